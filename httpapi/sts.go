package httpapi

import (
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
	}
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
