package httpapi

import (
	"strconv"
	"strings"

	"github.com/iamd/iamd/awsmodel"
)

// SupportTable renders the README's operation support table from the route
// table and the API models, so that the documentation cannot drift from what
// the server does.
func SupportTable() string {
	h := &Handler{iam: awsmodel.IAM(), sts: awsmodel.STS()}
	routes := h.buildRoutes()
	var b strings.Builder
	count := func(svc *awsmodel.Service) (n int) {
		for _, name := range svc.OperationNames {
			if _, ok := routes[svc.Operations[name]]; ok {
				n++
			}
		}
		return n
	}
	for _, svc := range []*awsmodel.Service{h.iam, h.sts} {
		b.WriteString("\n| " + strings.ToUpper(svc.EndpointPrefix) + " operation | status |\n|---|---|\n")
		for _, name := range svc.OperationNames {
			status := "501 NotImplemented (not yet)"
			if _, ok := routes[svc.Operations[name]]; ok {
				status = "implemented"
			}
			b.WriteString("| `" + name + "` | " + status + " |\n")
		}
		b.WriteString("\n" + strings.ToUpper(svc.EndpointPrefix) + ": ")
		b.WriteString(strconv.Itoa(count(svc)) + " of " + strconv.Itoa(len(svc.OperationNames)) + " operations implemented.\n")
	}
	return b.String()
}
