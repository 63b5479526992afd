package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// simulatorRoutes routes the policy simulator and context-key operations.
func (h *Handler) simulatorRoutes() map[string]operation {
	return map[string]operation{
		"SimulatePrincipalPolicy":          h.simulatePrincipalPolicy,
		"SimulateCustomPolicy":             h.simulateCustomPolicy,
		"GetContextKeysForPrincipalPolicy": h.getContextKeysForPrincipalPolicy,
		"GetContextKeysForCustomPolicy":    h.getContextKeysForCustomPolicy,
	}
}

func simulateInput(in awsquery.Struct) iam.SimulateInput {
	var entries []iam.ContextEntry
	list, _ := in["ContextEntries"].([]any)
	for _, v := range list {
		e, _ := v.(awsquery.Struct)
		entries = append(entries, iam.ContextEntry{
			Key:    str(e, "ContextKeyName"),
			Values: stringsIn(e, "ContextKeyValues"),
			Type:   str(e, "ContextKeyType"),
		})
	}
	return iam.SimulateInput{
		PolicySourceARN:   str(in, "PolicySourceArn"),
		PolicyInputList:   stringsIn(in, "PolicyInputList"),
		BoundaryInputList: stringsIn(in, "PermissionsBoundaryPolicyInputList"),
		ActionNames:       stringsIn(in, "ActionNames"),
		ResourceARNs:      stringsIn(in, "ResourceArns"),
		ResourcePolicy:    str(in, "ResourcePolicy"),
		ResourceOwner:     str(in, "ResourceOwner"),
		CallerARN:         str(in, "CallerArn"),
		ContextEntries:    entries,
		ResourceHandling:  str(in, "ResourceHandlingOption"),
		MaxItems:          integer(in, "MaxItems"),
		Marker:            str(in, "Marker"),
	}
}

func (h *Handler) simulatePrincipalPolicy(c *call) (awsquery.Struct, error) {
	out, err := h.svc.SimulatePrincipalPolicy(c.ctx, c.principal, simulateInput(c.in))
	if err != nil {
		return nil, err
	}
	return simulateOut(out), nil
}

func (h *Handler) simulateCustomPolicy(c *call) (awsquery.Struct, error) {
	out, err := h.svc.SimulateCustomPolicy(c.ctx, c.principal, simulateInput(c.in))
	if err != nil {
		return nil, err
	}
	return simulateOut(out), nil
}

func (h *Handler) getContextKeysForPrincipalPolicy(c *call) (awsquery.Struct, error) {
	keys, err := h.svc.GetContextKeysForPrincipalPolicy(c.ctx, c.principal, str(c.in, "PolicySourceArn"), stringsIn(c.in, "PolicyInputList"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"ContextKeyNames": keys}, nil
}

func (h *Handler) getContextKeysForCustomPolicy(c *call) (awsquery.Struct, error) {
	keys, err := h.svc.GetContextKeysForCustomPolicy(c.ctx, c.principal, stringsIn(c.in, "PolicyInputList"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"ContextKeyNames": keys}, nil
}

// simulateOut is the SimulatePolicyResponse shape.
func simulateOut(out *iam.SimulateOutput) awsquery.Struct {
	results := make([]any, len(out.Results))
	for i, r := range out.Results {
		s := awsquery.Struct{
			"EvalActionName":       r.Action,
			"EvalResourceName":     r.Resource,
			"EvalDecision":         r.Decision,
			"MatchedStatements":    statementsOut(r.Matched),
			"MissingContextValues": r.Missing,
		}
		// No OrganizationsDecisionDetail: it "only applies if the
		// simulated user's account is part of an organization" (API
		// reference, EvaluationResult), and iamd has no organizations.
		decisionDetails(s, &r.ResourceResult)
		if r.Resources != nil {
			rs := make([]any, len(r.Resources))
			for j := range r.Resources {
				rr := &r.Resources[j]
				x := awsquery.Struct{
					"EvalResourceName":     rr.Resource,
					"EvalResourceDecision": rr.Decision,
					"MatchedStatements":    statementsOut(rr.Matched),
					"MissingContextValues": rr.Missing,
				}
				decisionDetails(x, rr)
				rs[j] = x
			}
			s["ResourceSpecificResults"] = rs
		}
		results[i] = s
	}
	res := awsquery.Struct{"EvaluationResults": results, "IsTruncated": out.IsTruncated}
	if out.IsTruncated {
		res["Marker"] = out.Marker
	}
	return res
}

func decisionDetails(s awsquery.Struct, rr *iam.ResourceResult) {
	if rr.Details != nil {
		s["EvalDecisionDetails"] = rr.Details
	}
	if rr.AllowedByBoundary != nil {
		s["PermissionsBoundaryDecisionDetail"] = awsquery.Struct{"AllowedByPermissionsBoundary": *rr.AllowedByBoundary}
	}
}

func statementsOut(list []iam.MatchedStatement) []any {
	out := make([]any, len(list))
	for i, m := range list {
		out[i] = awsquery.Struct{
			"SourcePolicyId":   m.SourcePolicyID,
			"SourcePolicyType": m.SourcePolicyType,
			"StartPosition":    awsquery.Struct{"Line": m.Start.Line, "Column": m.Start.Column},
			"EndPosition":      awsquery.Struct{"Line": m.End.Line, "Column": m.End.Column},
		}
	}
	return out
}
