package authzapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/servicecatalog"
)

// Custom service definitions and policy validation, over iam's methods:
// a service registers its actions, resource types and condition keys (in
// the Service Authorization Reference's shape, see package servicecatalog)
// so that policies naming them validate. Each call is authorized by iam
// with its own action (iamd:PutServiceDefinition, ..., iamd:ValidatePolicy).

type serviceInfo struct {
	Prefix     string          `json:"prefix"`
	CreateDate time.Time       `json:"createDate"`
	UpdateDate time.Time       `json:"updateDate"`
	Definition json.RawMessage `json:"definition,omitempty"`
}

func infoOf(d *iam.ServiceDefinition, withDoc bool) serviceInfo {
	out := serviceInfo{Prefix: d.Prefix, CreateDate: d.CreateDate, UpdateDate: d.UpdateDate}
	if withDoc && json.Valid([]byte(d.Document)) {
		out.Definition = json.RawMessage(d.Document)
	}
	return out
}

// putService is POST /iamd/authz/v1/services with the definition as body.
func (h *Handler) putService(c *call) (any, *apiError) {
	d, err := h.svc.PutServiceDefinition(c.r.Context(), c.caller, c.body)
	if err != nil {
		return nil, adminErr(err)
	}
	return infoOf(d, false), nil
}

func (h *Handler) getService(c *call) (any, *apiError) {
	d, err := h.svc.GetServiceDefinition(c.r.Context(), c.caller, c.r.PathValue("prefix"))
	if err != nil {
		return nil, adminErr(err)
	}
	return infoOf(d, true), nil
}

func (h *Handler) listServices(c *call) (any, *apiError) {
	defs, err := h.svc.ListServiceDefinitions(c.r.Context(), c.caller)
	if err != nil {
		return nil, adminErr(err)
	}
	out := struct {
		Services []serviceInfo `json:"services"`
	}{Services: make([]serviceInfo, len(defs))}
	for i, d := range defs {
		out.Services[i] = infoOf(d, false)
	}
	return out, nil
}

func (h *Handler) deleteService(c *call) (any, *apiError) {
	if err := h.svc.DeleteServiceDefinition(c.r.Context(), c.caller, c.r.PathValue("prefix")); err != nil {
		return nil, adminErr(err)
	}
	return struct{}{}, nil
}

// validatePolicy is POST /iamd/authz/v1/validate-policy:
// {"policyDocument": "...", "policyType": "IDENTITY_POLICY"} answers
// {"findings": [...]} in Access Analyzer's shape.
func (h *Handler) validatePolicy(c *call) (any, *apiError) {
	var in struct {
		PolicyDocument string `json:"policyDocument"`
		PolicyType     string `json:"policyType"`
	}
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	if in.PolicyDocument == "" {
		return nil, requestErr(http.StatusBadRequest, "InvalidInput", "policyDocument is required.")
	}
	if in.PolicyType == "" {
		in.PolicyType = iam.ValidateIdentityPolicy
	}
	findings, err := h.svc.ValidatePolicy(c.caller, in.PolicyDocument, in.PolicyType)
	if err != nil {
		return nil, adminErr(err)
	}
	if findings == nil {
		findings = []servicecatalog.Finding{}
	}
	return struct {
		Findings []servicecatalog.Finding `json:"findings"`
	}{findings}, nil
}

// adminErr attributes a refusal to the caller and anything else to the
// request.
func adminErr(err error) *apiError {
	e := sourceErr(wire.SourceRequest, err)
	if e.body.Code == "AccessDenied" {
		e.body.Source = wire.SourceCaller
	}
	return e
}
