package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// outboundRoutes routes outbound web identity federation: IAM's switch for
// the account (iam/outbound.go). STS's GetWebIdentityToken is in
// stsRoutes.
func (h *Handler) outboundRoutes() map[string]operation {
	return map[string]operation{
		"EnableOutboundWebIdentityFederation":  h.enableOutboundWebIdentityFederation,
		"DisableOutboundWebIdentityFederation": h.disableOutboundWebIdentityFederation,
		"GetOutboundWebIdentityFederationInfo": h.getOutboundWebIdentityFederationInfo,
	}
}

func (h *Handler) enableOutboundWebIdentityFederation(c *call) (awsquery.Struct, error) {
	iss, err := h.svc.EnableOutboundWebIdentityFederation(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"IssuerIdentifier": iss}, nil
}

func (h *Handler) disableOutboundWebIdentityFederation(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DisableOutboundWebIdentityFederation(c.ctx, c.principal)
}

func (h *Handler) getOutboundWebIdentityFederationInfo(c *call) (awsquery.Struct, error) {
	info, err := h.svc.GetOutboundWebIdentityFederationInfo(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"IssuerIdentifier": info.IssuerIdentifier, "JwtVendingEnabled": info.Enabled}, nil
}

func (h *Handler) getWebIdentityToken(c *call) (awsquery.Struct, error) {
	tok, err := h.svc.GetWebIdentityToken(c.ctx, c.principal, iam.GetWebIdentityTokenInput{
		Audience:         stringsIn(c.in, "Audience"),
		DurationSeconds:  integer(c.in, "DurationSeconds"),
		SigningAlgorithm: str(c.in, "SigningAlgorithm"),
		Tags:             tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"WebIdentityToken": tok.Token, "Expiration": tok.Expiration}, nil
}
