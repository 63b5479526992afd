package authzapi

import (
	"strconv"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// EventSource and EventName identify decision events in the audit trail
// (aws cloudtrail lookup-events --lookup-attributes
// AttributeKey=EventSource,AttributeValue=authz.iamd).
const (
	EventSource = "authz.iamd"
	EventName   = "Authorize"
)

// record hands the audit trail one decision, or one subject that could
// not be resolved (p nil, aerr set). The event holds what was asked and
// what was decided, never the forwarded headers, signatures or tokens:
// only the access key ID, as CloudTrail records it.
func (h *Handler) record(c *call, p *iam.Principal, keyID string, ck *iam.Check, res *iam.CheckResult, endpoint string, aerr *apiError) {
	if h.audit == nil {
		return
	}
	e := &audit.Event{
		EventVersion: audit.EventVersion, EventTime: c.now.UTC().Format(time.RFC3339),
		EventSource: EventSource, EventName: EventName, AWSRegion: "us-east-1", SourceIPAddress: c.sourceIP,
		UserAgent: c.r.UserAgent(), RequestID: c.requestID, EventID: newRequestID(), ReadOnly: true,
		EventType: "AwsApiCall", ManagementEvent: false, EventCategory: "Data",
	}
	params := map[string]any{"endpoint": endpoint, "callerArn": c.caller.ARN}
	if ck != nil {
		params["action"] = ck.Action
		params["resource"] = ck.Resource
		if ck.ResourceAccount != "" {
			params["resourceAccount"] = ck.ResourceAccount
		}
		if len(ck.Context) > 0 {
			keys := make(map[string]any, len(ck.Context))
			for k, v := range ck.Context {
				keys[k] = v
			}
			params["context"] = keys
		}
		if ck.ResourcePolicy != "" {
			params["resourcePolicy"] = true
		}
		if ip := firstValue(ck.Context, "aws:SourceIp"); ip != "" {
			e.SourceIPAddress = ip
		}
		e.Resources = []audit.Resource{{Type: "ARN", Name: ck.Resource}}
	}
	e.RequestParameters = params
	if p == nil {
		e.UserIdentity = audit.UserIdentity{Type: "Unknown", AccessKeyID: keyID}
		e.RecipientAccountID = c.caller.AccountID
	} else {
		e.UserIdentity = identityOf(p)
		e.RecipientAccountID = p.AccountID
		if p.Request != nil && p.Request.Region != "" {
			e.AWSRegion = p.Request.Region
		}
	}
	if aerr != nil {
		e.ErrorCode, e.ErrorMessage = aerr.body.Code, aerr.body.Message
	}
	if res != nil {
		resp := map[string]any{"decision": res.Decision.String()}
		if res.Decision != policy.Allow {
			resp["gate"] = res.Gate.String()
			e.ErrorCode = "AccessDenied"
		}
		if len(res.Matched) > 0 {
			m := make([]any, len(res.Matched))
			for i, s := range res.Matched {
				m[i] = map[string]any{"gate": s.Gate.String(), "policyId": s.Policy, "versionId": s.Version,
					"statementIndex": s.Index, "sid": s.Sid, "effect": s.Effect.String()}
			}
			resp["matchedStatements"] = m
		}
		e.ResponseElements = resp
	}
	if err := h.audit.Enqueue(e); err != nil {
		h.log.Error("authorization decision could not be audited", "request_id", c.requestID, "err", err)
	}
}

func firstValue(m map[string][]string, key string) string {
	for k, v := range m {
		if len(v) > 0 && len(k) == len(key) && equalFold(k, key) {
			return v[0]
		}
	}
	return ""
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// identityOf is CloudTrail's userIdentity for the decided principal.
func identityOf(p *iam.Principal) audit.UserIdentity {
	u := audit.UserIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	switch p.Type {
	case iam.PrincipalRoot:
		u.Type = "Root"
	case iam.PrincipalUser:
		u.Type, u.UserName = "IAMUser", p.UserName
	case iam.PrincipalAssumedRole:
		u.Type = "AssumedRole"
	case iam.PrincipalFederatedUser:
		u.Type = "FederatedUser"
	default:
		u.Type = "Unknown"
	}
	if s := p.Session; s != nil {
		sc := &audit.SessionContext{SourceIdent: s.SourceIdentity, Attributes: audit.SessionAttrs{
			CreationDate: time.Unix(s.Issued, 0).UTC().Format(time.RFC3339), MFAAuthenticated: strconv.FormatBool(s.MFA)}}
		if s.Kind == iam.SessionRole {
			name := s.RoleARN
			for i := len(name) - 1; i >= 0; i-- {
				if name[i] == '/' {
					name = name[i+1:]
					break
				}
			}
			sc.SessionIssuer = &audit.SessionIssuer{Type: "Role", PrincipalID: s.RoleID, ARN: s.RoleARN, AccountID: s.Account, UserName: name}
		}
		u.SessionContext = sc
	}
	return u
}
