package authzapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// The OpenID AuthZEN Authorization API 1.0 access evaluation endpoints
// (POST /access/v1/evaluation and /access/v1/evaluations). A subject's id
// is a principal ARN (or an IAM user name, in subject.properties.account_id
// or the adapter's account); the action's name is an IAM action
// (s3:GetObject); the resource's id an ARN or "*", with optional
// properties resource_policy (a policy document, as a string or an
// object) and account_id (the owning account); context entries become
// condition keys. The answer is {"decision": bool} with, for denials, the
// reason in context.reason_admin and iamd's details in context.iamd.

type azEntity struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties,omitempty"`
}

type azAction struct {
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties,omitempty"`
}

type azEvaluation struct {
	Subject  *azEntity      `json:"subject,omitempty"`
	Action   *azAction      `json:"action,omitempty"`
	Resource *azEntity      `json:"resource,omitempty"`
	Context  map[string]any `json:"context,omitempty"`
}

type azEvaluations struct {
	azEvaluation
	Evaluations []azEvaluation `json:"evaluations"`
	Options     struct {
		Semantic string `json:"evaluations_semantic"`
	} `json:"options"`
}

type azDecision struct {
	Decision bool           `json:"decision"`
	Context  map[string]any `json:"context,omitempty"`
}

type azDecisions struct {
	Evaluations []azDecision `json:"evaluations"`
}

func (h *Handler) authzenEvaluation(c *call) (any, *apiError) {
	var in azEvaluation
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	if in.Subject == nil || in.Action == nil || in.Resource == nil {
		return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "subject, action and resource are required.")
	}
	return h.azEvaluate(c, &in)
}

func (h *Handler) authzenEvaluations(c *call) (any, *apiError) {
	var in azEvaluations
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	if len(in.Evaluations) == 0 {
		// AuthZEN: without evaluations the request is a single evaluation.
		if in.Subject == nil || in.Action == nil || in.Resource == nil {
			return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "subject, action and resource are required.")
		}
		return h.azEvaluate(c, &in.azEvaluation)
	}
	if len(in.Evaluations) > iam.MaxDecideChecks {
		return nil, requestErr(http.StatusBadRequest, "InvalidInput", "At most "+strconv.Itoa(iam.MaxDecideChecks)+" evaluations are allowed per request.")
	}
	switch in.Options.Semantic {
	case "", "execute_all", "deny_on_first_deny", "permit_on_first_permit":
	default:
		return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "Unknown evaluations_semantic "+strconv.Quote(in.Options.Semantic)+".")
	}
	out := azDecisions{Evaluations: make([]azDecision, 0, len(in.Evaluations))}
	for i := range in.Evaluations {
		e := in.Evaluations[i]
		// The request's subject, action, resource and context are the
		// defaults of every evaluation.
		if e.Subject == nil {
			e.Subject = in.Subject
		}
		if e.Action == nil {
			e.Action = in.Action
		}
		if e.Resource == nil {
			e.Resource = in.Resource
		}
		if e.Context == nil {
			e.Context = in.Context
		}
		var d azDecision
		if e.Subject == nil || e.Action == nil || e.Resource == nil {
			d = azDeny("invalid_request", "evaluation "+strconv.Itoa(i)+" lacks a subject, action or resource")
		} else {
			r, aerr := h.azEvaluate(c, &e)
			if aerr != nil {
				// One bad evaluation does not fail the others.
				d = azDeny("invalid_request", aerr.body.Message)
			} else {
				d = *r
			}
		}
		out.Evaluations = append(out.Evaluations, d)
		if (in.Options.Semantic == "deny_on_first_deny" && !d.Decision) || (in.Options.Semantic == "permit_on_first_permit" && d.Decision) {
			break
		}
	}
	return out, nil
}

func azDeny(reason, msg string) azDecision {
	return azDecision{Context: map[string]any{"reason_admin": map[string]string{"en": msg}, "iamd": map[string]any{"reason": reason}}}
}

// azEvaluate decides one evaluation. Malformed input is an error; a
// subject iamd does not know is a denial.
func (h *Handler) azEvaluate(c *call, e *azEvaluation) (*azDecision, *apiError) {
	action := e.Action.Name
	if strings.IndexByte(action, ':') <= 0 {
		return nil, requestErr(http.StatusBadRequest, "InvalidInput", "action.name must be an IAM action (service:Action).")
	}
	ck := iam.Check{Action: action, Resource: e.Resource.ID}
	if ck.Resource == "" {
		ck.Resource = "*"
	}
	if doc, ok := e.Resource.Properties["resource_policy"]; ok {
		switch v := doc.(type) {
		case string:
			ck.ResourcePolicy = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, requestErr(http.StatusBadRequest, "InvalidInput", "resource.properties.resource_policy is not a policy document.")
			}
			ck.ResourcePolicy = string(b)
		}
	}
	if a, ok := e.Resource.Properties["account_id"].(string); ok {
		ck.ResourceAccount = a
	}
	for k, v := range e.Context {
		vals, ok := contextValues(v)
		if !ok {
			continue // objects are AuthZEN context, not condition keys
		}
		ck.Context = setKey(ck.Context, k, vals)
	}
	name := e.Subject.ID
	var p *iam.Principal
	if a, ok := e.Subject.Properties["account_id"].(string); ok && !strings.HasPrefix(name, "arn:") {
		var err error
		if p, err = h.svc.PrincipalFromUserName(a, name, c.now); err != nil {
			h.record(c, nil, "", []iam.Check{ck}, nil, "authzen", sourceErr("subject", err))
			d := azDeny("subject_unknown", "The subject is not a principal iamd knows.")
			return &d, nil
		}
	}
	if p == nil {
		var aerr *apiError
		if p, aerr = h.adapterPrincipal(c, name); aerr != nil {
			h.record(c, nil, "", []iam.Check{ck}, nil, "authzen", aerr)
			d := azDeny("subject_unknown", "The subject is not a principal iamd knows.")
			return &d, nil
		}
	}
	res, aerr := h.decide(c, p, iam.DecideInput{Checks: []iam.Check{ck}}, "authzen")
	if aerr != nil {
		return nil, aerr
	}
	r := &res[0]
	if r.Decision == policy.Allow {
		return &azDecision{Decision: true}, nil
	}
	d := azDeny(strings.ToLower(r.Decision.String()), azReason(r))
	d.Context["iamd"].(map[string]any)["gate"] = r.Gate.String()
	return &d, nil
}

func azReason(r *iam.CheckResult) string {
	if r.Decision == policy.ExplicitDeny {
		g := r.Gate.String()
		if g == "identity" {
			return "Explicitly denied by an identity policy."
		}
		return "Explicitly denied by a " + g + " policy."
	}
	return "No " + r.Gate.String() + " policy allows the action."
}

// contextValues turns a JSON context value into condition key values:
// strings, numbers and booleans, or arrays of them.
func contextValues(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case bool:
		return []string{strconv.FormatBool(x)}, true
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := contextValues(e)
			if !ok || len(s) != 1 {
				return nil, false
			}
			out = append(out, s[0])
		}
		return out, true
	}
	return nil, false
}
