package httpapi

import (
	"errors"
	"net"
	"net/http"
	"net/url"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// stsRoutes routes the STS operations.
func (h *Handler) stsRoutes() map[string]operation {
	return map[string]operation{
		"GetCallerIdentity":          h.getCallerIdentity,
		"AssumeRole":                 h.assumeRole,
		"GetSessionToken":            h.getSessionToken,
		"GetFederationToken":         h.getFederationToken,
		"GetAccessKeyInfo":           h.getAccessKeyInfo,
		"DecodeAuthorizationMessage": h.decodeAuthorizationMessage,
		"AssumeRoleWithWebIdentity":  h.assumeRoleWithWebIdentity,
		"AssumeRoleWithSAML":         h.assumeRoleWithSAML,
		"GetWebIdentityToken":        h.getWebIdentityToken, // outbound.go
	}
}

// unsignedSTS are the STS actions whose credential is in the request (a
// web identity token or SAML assertion): AWS serves them without SigV4.
var unsignedSTS = map[string]bool{"AssumeRoleWithWebIdentity": true, "AssumeRoleWithSAML": true}

// isUnsignedSTS reports whether r is an unsigned call of one of those
// actions. A signed call of them takes the usual path.
func isUnsignedSTS(r *http.Request, action string) bool {
	return unsignedSTS[action] && r.Header.Get("Authorization") == "" && !r.URL.Query().Has("X-Amz-Credential")
}

// identityRefused reports the errors of a refused web identity or SAML
// credential, which count against the caller's address as failed
// signatures do (ratelimit.go).
func identityRefused(err error) bool {
	var ie *iam.Error
	if !errors.As(err, &ie) {
		return false
	}
	switch ie.Code {
	case iam.CodeInvalidIdentityToken, iam.CodeExpiredTokenException, iam.CodeIDPRejectedClaim, iam.CodeAccessDenied:
		return true
	}
	return false
}

// serveUnsigned runs an unsigned STS federation call: the route verifies
// the token itself and the caller starts as an anonymous web identity.
func (h *Handler) serveUnsigned(q *request, form url.Values, action, version string) (*awsmodel.Service, *awsmodel.Operation, awsquery.Struct, error) {
	r, requestID := q.r, q.requestID
	svc := h.sts
	op := svc.Operations[action]
	if op == nil || version != svc.APIVersion {
		return svc, nil, nil, awsquery.ErrorFor(nil, "InvalidAction", "Could not find operation "+action+" for version "+version)
	}
	in, err := awsquery.Decode(op, form)
	if err != nil {
		return svc, op, nil, err
	}
	route, ok := h.routes[op]
	if !ok {
		return svc, op, nil, awsquery.NotImplemented(action)
	}
	rp := &requestPrincipal{p: iam.Principal{Type: iam.PrincipalWebIdentityUser}}
	if action == "AssumeRoleWithSAML" {
		rp.p.Type = iam.PrincipalSAMLUser
	}
	rp.info = iam.RequestInfo{Time: h.now(), UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rp.info.SourceIP = host
	}
	rp.p.Request = &rp.info
	c := &call{ctx: r.Context(), principal: &rp.p, in: in, requestID: requestID, ac: q.ac}
	out, err := route(c)
	if err != nil && identityRefused(err) {
		h.auth.fail("", remoteHost(r), h.now())
	}
	return svc, op, out, err
}

func (h *Handler) getCallerIdentity(c *call) (awsquery.Struct, error) {
	p := c.principal
	return awsquery.Struct{"UserId": p.UserID, "Account": p.AccountID, "Arn": p.ARN}, nil
}

func credentialsOut(cr *iam.Credentials) awsquery.Struct {
	return awsquery.Struct{
		"AccessKeyId":     cr.AccessKeyID,
		"SecretAccessKey": cr.SecretAccessKey,
		"SessionToken":    cr.SessionToken,
		"Expiration":      cr.Expiration,
	}
}

func (h *Handler) assumeRole(c *call) (awsquery.Struct, error) {
	var arns []string
	if list, ok := c.in["PolicyArns"].([]any); ok {
		for _, v := range list {
			if st, ok := v.(awsquery.Struct); ok {
				arns = append(arns, str(st, "arn"))
			}
		}
	}
	out, err := h.svc.AssumeRole(c.ctx, c.principal, iam.AssumeRoleInput{
		RoleARN:           str(c.in, "RoleArn"),
		RoleSessionName:   str(c.in, "RoleSessionName"),
		DurationSeconds:   integer(c.in, "DurationSeconds"),
		Policy:            str(c.in, "Policy"),
		PolicyARNs:        arns,
		Tags:              tagsIn(c.in, "Tags"),
		TransitiveTagKeys: stringsIn(c.in, "TransitiveTagKeys"),
		ExternalID:        str(c.in, "ExternalId"),
		SerialNumber:      str(c.in, "SerialNumber"),
		TokenCode:         str(c.in, "TokenCode"),
		SourceIdentity:    str(c.in, "SourceIdentity"),
	})
	if err != nil {
		return nil, err
	}
	res := awsquery.Struct{
		"Credentials":     credentialsOut(&out.Credentials),
		"AssumedRoleUser": awsquery.Struct{"AssumedRoleId": out.AssumedRoleID, "Arn": out.AssumedRoleARN},
	}
	if out.PackedPolicySize >= 0 {
		res["PackedPolicySize"] = int64(out.PackedPolicySize)
	}
	if out.SourceIdentity != "" {
		res["SourceIdentity"] = out.SourceIdentity
	}
	return res, nil
}

func (h *Handler) getSessionToken(c *call) (awsquery.Struct, error) {
	cr, err := h.svc.GetSessionToken(c.ctx, c.principal, integer(c.in, "DurationSeconds"), str(c.in, "SerialNumber"), str(c.in, "TokenCode"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Credentials": credentialsOut(cr)}, nil
}

func (h *Handler) getFederationToken(c *call) (awsquery.Struct, error) {
	var arns []string
	if list, ok := c.in["PolicyArns"].([]any); ok {
		for _, v := range list {
			if st, ok := v.(awsquery.Struct); ok {
				arns = append(arns, str(st, "arn"))
			}
		}
	}
	cr, id, arn, packed, err := h.svc.GetFederationToken(c.ctx, c.principal, str(c.in, "Name"), integer(c.in, "DurationSeconds"),
		str(c.in, "Policy"), arns, tagsIn(c.in, "Tags"))
	if err != nil {
		return nil, err
	}
	res := awsquery.Struct{
		"Credentials":   credentialsOut(cr),
		"FederatedUser": awsquery.Struct{"FederatedUserId": id, "Arn": arn},
	}
	if packed >= 0 {
		res["PackedPolicySize"] = int64(packed)
	}
	return res, nil
}

func (h *Handler) getAccessKeyInfo(c *call) (awsquery.Struct, error) {
	acct, err := h.svc.GetAccessKeyInfo(c.ctx, c.principal, str(c.in, "AccessKeyId"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Account": acct}, nil
}

func (h *Handler) decodeAuthorizationMessage(c *call) (awsquery.Struct, error) {
	msg, err := h.svc.DecodeAuthorizationMessage(c.ctx, c.principal, str(c.in, "EncodedMessage"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"DecodedMessage": msg}, nil
}

func policyARNsIn(in awsquery.Struct) []string {
	var arns []string
	if list, ok := in["PolicyArns"].([]any); ok {
		for _, v := range list {
			if st, ok := v.(awsquery.Struct); ok {
				arns = append(arns, str(st, "arn"))
			}
		}
	}
	return arns
}

func (h *Handler) assumeRoleWithWebIdentity(c *call) (awsquery.Struct, error) {
	out, err := h.svc.AssumeRoleWithWebIdentity(c.ctx, c.principal, iam.AssumeRoleWithWebIdentityInput{
		RoleARN:          str(c.in, "RoleArn"),
		RoleSessionName:  str(c.in, "RoleSessionName"),
		WebIdentityToken: str(c.in, "WebIdentityToken"),
		ProviderID:       str(c.in, "ProviderId"),
		DurationSeconds:  integer(c.in, "DurationSeconds"),
		Policy:           str(c.in, "Policy"),
		PolicyARNs:       policyARNsIn(c.in),
	})
	if err != nil {
		return nil, err
	}
	res := awsquery.Struct{
		"Credentials":                 credentialsOut(&out.Credentials),
		"AssumedRoleUser":             awsquery.Struct{"AssumedRoleId": out.AssumedRoleID, "Arn": out.AssumedRoleARN},
		"SubjectFromWebIdentityToken": out.Subject,
		"Audience":                    out.Audience,
		"Provider":                    out.Provider,
	}
	if out.PackedPolicySize >= 0 {
		res["PackedPolicySize"] = int64(out.PackedPolicySize)
	}
	if out.SourceIdentity != "" {
		res["SourceIdentity"] = out.SourceIdentity
	}
	return res, nil
}

func (h *Handler) assumeRoleWithSAML(c *call) (awsquery.Struct, error) {
	out, err := h.svc.AssumeRoleWithSAML(c.ctx, c.principal, iam.AssumeRoleWithSAMLInput{
		RoleARN:         str(c.in, "RoleArn"),
		PrincipalARN:    str(c.in, "PrincipalArn"),
		SAMLAssertion:   str(c.in, "SAMLAssertion"),
		DurationSeconds: integer(c.in, "DurationSeconds"),
		Policy:          str(c.in, "Policy"),
		PolicyARNs:      policyARNsIn(c.in),
	})
	if err != nil {
		return nil, err
	}
	res := awsquery.Struct{
		"Credentials":     credentialsOut(&out.Credentials),
		"AssumedRoleUser": awsquery.Struct{"AssumedRoleId": out.AssumedRoleID, "Arn": out.AssumedRoleARN},
		"Subject":         out.Subject,
		"SubjectType":     out.SubjectType,
		"Issuer":          out.Issuer,
		"Audience":        out.Audience,
		"NameQualifier":   out.NameQualifier,
	}
	if out.PackedPolicySize >= 0 {
		res["PackedPolicySize"] = int64(out.PackedPolicySize)
	}
	if out.SourceIdentity != "" {
		res["SourceIdentity"] = out.SourceIdentity
	}
	return res, nil
}
