package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// RequestObserver is told about every finished Query-protocol request;
// metrics.Metrics implements it. It runs on every request, so it must be
// cheap and must not block.
type RequestObserver interface {
	ObserveRequest(service, action string, status int, errorCode string, elapsed time.Duration)
	// ObserveDenial counts a request the policy engine denied, explicitly
	// (a Deny statement) or implicitly (nothing allowed it).
	ObserveDenial(explicit bool)
}

// observe reports a finished request to the metrics and, at debug level,
// to the log as one structured line carrying the request ID.
func (h *Handler) observe(r *http.Request, svc *awsmodel.Service, op *awsmodel.Operation, status int, code string, err error,
	requestID string, start time.Time) {
	elapsed := time.Since(start)
	service, action := "", ""
	if svc != nil {
		service = svc.EndpointPrefix
	}
	if op != nil {
		action = op.Name
	}
	if h.metrics != nil {
		h.metrics.ObserveRequest(service, action, status, code, elapsed)
		if code == string(iam.CodeAccessDenied) {
			h.metrics.ObserveDenial(explicitDeny(err))
		}
	}
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("request_id", requestID), slog.String("service", service), slog.String("action", action),
			slog.Int("status", status), slog.String("error_code", code), slog.Duration("duration", elapsed),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// reportRoutes routes the credential report and the access advisor.
func (h *Handler) reportRoutes() map[string]operation {
	return map[string]operation{
		"GenerateCredentialReport":                  h.generateCredentialReport,
		"GetCredentialReport":                       h.getCredentialReport,
		"GenerateServiceLastAccessedDetails":        h.generateServiceLastAccessedDetails,
		"GetServiceLastAccessedDetails":             h.getServiceLastAccessedDetails,
		"GetServiceLastAccessedDetailsWithEntities": h.getServiceLastAccessedDetailsWithEntities,
		"ListPoliciesGrantingServiceAccess":         h.listPoliciesGrantingServiceAccess,
		"GenerateOrganizationsAccessReport":         h.generateOrganizationsAccessReport,
		"GetOrganizationsAccessReport":              h.getOrganizationsAccessReport,
		// Centralized root access, an AWS Organizations feature: answered
		// as for an account outside any organization.
		"ListOrganizationsFeatures":                     h.organizationsRootAccess("ListOrganizationsFeatures"),
		"EnableOrganizationsRootCredentialsManagement":  h.organizationsRootAccess("EnableOrganizationsRootCredentialsManagement"),
		"DisableOrganizationsRootCredentialsManagement": h.organizationsRootAccess("DisableOrganizationsRootCredentialsManagement"),
		"EnableOrganizationsRootSessions":               h.organizationsRootAccess("EnableOrganizationsRootSessions"),
		"DisableOrganizationsRootSessions":              h.organizationsRootAccess("DisableOrganizationsRootSessions"),
	}
}

func (h *Handler) organizationsRootAccess(action string) operation {
	return func(c *call) (awsquery.Struct, error) {
		return nil, h.svc.OrganizationsRootAccess(c.ctx, c.principal, action)
	}
}

func (h *Handler) generateCredentialReport(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GenerateCredentialReport(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{"State": r.State}
	if r.Description != "" {
		out["Description"] = r.Description
	}
	return out, nil
}

func (h *Handler) getCredentialReport(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GetCredentialReport(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Content": r.Content, "ReportFormat": r.ReportFormat, "GeneratedTime": r.GeneratedTime}, nil
}

func (h *Handler) generateServiceLastAccessedDetails(c *call) (awsquery.Struct, error) {
	id, err := h.svc.GenerateServiceLastAccessedDetails(c.ctx, c.principal, str(c.in, "Arn"), str(c.in, "Granularity"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"JobId": id}, nil
}

// jobOut starts an access advisor answer: the job's status and dates.
func jobOut(j *iam.AdvisorJob) awsquery.Struct {
	return awsquery.Struct{"JobStatus": iam.JobCompleted, "JobCreationDate": j.Created, "JobCompletionDate": j.Completed}
}

func pagedOut(out awsquery.Struct, truncated bool, marker string) awsquery.Struct {
	out["IsTruncated"] = truncated
	if truncated {
		out["Marker"] = marker
	}
	return out
}

func (h *Handler) getServiceLastAccessedDetails(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetServiceLastAccessedDetails(c.ctx, c.principal, str(c.in, "JobId"), str(c.in, "Marker"), integer(c.in, "MaxItems"))
	if err != nil {
		return nil, err
	}
	out := jobOut(p.Job)
	out["JobType"] = p.Job.Granularity
	services := make([]any, len(p.Items))
	for i, s := range p.Items {
		so := awsquery.Struct{"ServiceName": s.ServiceName, "ServiceNamespace": s.ServiceNamespace}
		if !s.LastAuthenticated.IsZero() {
			so["LastAuthenticated"] = s.LastAuthenticated
			so["LastAuthenticatedEntity"] = s.LastAuthenticatedEntity
			so["LastAuthenticatedRegion"] = s.LastAuthenticatedRegion
			// AWS leaves the count out (null) for services nobody used.
			so["TotalAuthenticatedEntities"] = s.TotalAuthenticatedEntities
		}
		if p.Job.Granularity == iam.GranularityAction && s.TrackedActions != nil {
			actions := make([]any, len(s.TrackedActions))
			for j, a := range s.TrackedActions {
				ao := awsquery.Struct{"ActionName": a.ActionName}
				if !a.LastAccessedTime.IsZero() {
					ao["LastAccessedTime"] = a.LastAccessedTime
					ao["LastAccessedEntity"] = a.LastAccessedEntity
					ao["LastAccessedRegion"] = a.LastAccessedRegion
				}
				actions[j] = ao
			}
			so["TrackedActionsLastAccessed"] = actions
		}
		services[i] = so
	}
	out["ServicesLastAccessed"] = services
	return pagedOut(out, p.IsTruncated, p.Marker), nil
}

func (h *Handler) getServiceLastAccessedDetailsWithEntities(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetServiceLastAccessedDetailsWithEntities(c.ctx, c.principal, str(c.in, "JobId"),
		str(c.in, "ServiceNamespace"), str(c.in, "Marker"), integer(c.in, "MaxItems"))
	if err != nil {
		return nil, err
	}
	out := jobOut(p.Job)
	list := make([]any, len(p.Items))
	for i, e := range p.Items {
		info := awsquery.Struct{"Arn": e.ARN, "Name": e.Name, "Type": e.Type, "Id": e.ID}
		if e.Path != "" {
			info["Path"] = e.Path
		}
		eo := awsquery.Struct{"EntityInfo": info}
		if !e.LastAuthenticated.IsZero() {
			eo["LastAuthenticated"] = e.LastAuthenticated
		}
		list[i] = eo
	}
	out["EntityDetailsList"] = list
	return pagedOut(out, p.IsTruncated, p.Marker), nil
}

func (h *Handler) listPoliciesGrantingServiceAccess(c *call) (awsquery.Struct, error) {
	res, err := h.svc.ListPoliciesGrantingServiceAccess(c.ctx, c.principal, str(c.in, "Arn"), stringsIn(c.in, "ServiceNamespaces"))
	if err != nil {
		return nil, err
	}
	entries := make([]any, len(res))
	for i, sp := range res {
		policies := make([]any, len(sp.Policies))
		for j, pg := range sp.Policies {
			po := awsquery.Struct{"PolicyName": pg.PolicyName, "PolicyType": pg.PolicyType}
			if pg.PolicyARN != "" {
				po["PolicyArn"] = pg.PolicyARN
			}
			if pg.EntityType != "" {
				po["EntityType"], po["EntityName"] = pg.EntityType, pg.EntityName
			}
			policies[j] = po
		}
		entries[i] = awsquery.Struct{"ServiceNamespace": sp.ServiceNamespace, "Policies": policies}
	}
	return awsquery.Struct{"PoliciesGrantingServiceAccess": entries, "IsTruncated": false}, nil
}

func (h *Handler) generateOrganizationsAccessReport(c *call) (awsquery.Struct, error) {
	return nil, h.svc.GenerateOrganizationsAccessReport(c.ctx, c.principal)
}

func (h *Handler) getOrganizationsAccessReport(c *call) (awsquery.Struct, error) {
	return nil, h.svc.GetOrganizationsAccessReport(c.ctx, c.principal, str(c.in, "JobId"))
}

// explicitDeny reports whether an AccessDenied came from a Deny statement,
// as iam words it (authorize.go accessDenied). A function of its own so
// that the error variable escapes only on this path.
func explicitDeny(err error) bool {
	var ie *iam.Error
	return errors.As(err, &ie) && strings.Contains(ie.Message, " with an explicit deny ")
}
