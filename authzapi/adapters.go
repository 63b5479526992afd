package authzapi

import (
	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// adapterAccount is the account whose users an adapter's names refer to:
// the "account" query parameter, else the calling service's own account.
func adapterAccount(c *call) string {
	if a := c.r.URL.Query().Get("account"); a != "" {
		return a
	}
	return c.caller.AccountID
}

// adapterPrincipal resolves a name an adapter's system authenticated: an
// ARN as is, otherwise an IAM user name in the adapter's account.
func (h *Handler) adapterPrincipal(c *call, name string) (*iam.Principal, *apiError) {
	var p *iam.Principal
	var err error
	if len(name) > 4 && name[:4] == "arn:" {
		p, err = h.svc.PrincipalFromARN(name, c.now)
	} else {
		p, err = h.svc.PrincipalFromUserName(adapterAccount(c), name, c.now)
	}
	if err != nil {
		return nil, sourceErr(wire.SourceSubject, err)
	}
	return p, nil
}

// adapterDecide decides one check for a name; a name iamd does not know
// is a denial (audited), because the systems these adapters serve read
// anything but an allow as a refusal anyway.
func (h *Handler) adapterDecide(c *call, name string, p *iam.Principal, ck iam.Check, endpoint string) (iam.CheckResult, *apiError) {
	if p == nil {
		var aerr *apiError
		if p, aerr = h.adapterPrincipal(c, name); aerr != nil {
			if aerr.body.Source == wire.SourceSubject {
				h.record(c, nil, "", []iam.Check{ck}, nil, endpoint, aerr)
				return iam.CheckResult{Decision: policy.ImplicitDeny}, nil
			}
			return iam.CheckResult{}, aerr
		}
	}
	if ck.Resource == "" {
		ck.Resource = "*"
	}
	res, aerr := h.decide(c, p, iam.DecideInput{Checks: []iam.Check{ck}}, endpoint)
	if aerr != nil {
		return iam.CheckResult{}, aerr
	}
	return res[0], nil
}
