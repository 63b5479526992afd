package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// accountRoutes routes the account-wide reports.
func (h *Handler) accountRoutes() map[string]operation {
	return map[string]operation{
		"GetAccountSummary":              h.getAccountSummary,
		"GetAccountAuthorizationDetails": h.getAccountAuthorizationDetails,
	}
}

func (h *Handler) getAccountSummary(c *call) (awsquery.Struct, error) {
	m, err := h.svc.GetAccountSummary(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return awsquery.Struct{"SummaryMap": out}, nil
}

func inlineOut(list []*iam.InlinePolicy) []any {
	out := make([]any, len(list))
	for i, p := range list {
		out[i] = awsquery.Struct{"PolicyName": p.Name, "PolicyDocument": encodeDocument(p.Document)}
	}
	return out
}

func attachedOut(list []iam.AttachedRef) []any {
	out := make([]any, len(list))
	for i, a := range list {
		out[i] = awsquery.Struct{"PolicyName": a.Name, "PolicyArn": a.ARN}
	}
	return out
}

func (h *Handler) getAccountAuthorizationDetails(c *call) (awsquery.Struct, error) {
	d, err := h.svc.GetAccountAuthorizationDetails(c.ctx, c.principal, stringsIn(c.in, "Filter"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	users := make([]any, 0, len(d.Users))
	for _, u := range d.Users {
		s := awsquery.Struct{
			"Path": u.User.Path, "UserName": u.User.Name, "UserId": u.User.ID, "Arn": u.User.ARN(), "CreateDate": u.User.CreateDate,
			"UserPolicyList": inlineOut(u.Inline), "GroupList": toAny(u.Groups), "AttachedManagedPolicies": attachedOut(u.Attached),
		}
		if u.User.PermissionsBoundary != "" {
			s["PermissionsBoundary"] = boundaryOut(u.User.PermissionsBoundary)
		}
		if len(u.User.Tags) > 0 {
			s["Tags"] = tagsOut(u.User.Tags)
		}
		users = append(users, s)
	}
	groups := make([]any, 0, len(d.Groups))
	for _, g := range d.Groups {
		groups = append(groups, awsquery.Struct{
			"Path": g.Group.Path, "GroupName": g.Group.Name, "GroupId": g.Group.ID, "Arn": g.Group.ARN(), "CreateDate": g.Group.CreateDate,
			"GroupPolicyList": inlineOut(g.Inline), "AttachedManagedPolicies": attachedOut(g.Attached),
		})
	}
	roles := make([]any, 0, len(d.Roles))
	for _, r := range d.Roles {
		profiles := make([]any, len(r.Profiles))
		for i, ip := range r.Profiles {
			// With Tags, as GetInstanceProfile: the InstanceProfile shape
			// has them, and unlike ListInstanceProfiles this operation is
			// not documented as leaving them out.
			profiles[i] = instanceProfileOut(ip, true)
		}
		s := awsquery.Struct{
			"Path": r.Role.Path, "RoleName": r.Role.Name, "RoleId": r.Role.ID, "Arn": r.Role.ARN(), "CreateDate": r.Role.CreateDate,
			"AssumeRolePolicyDocument": encodeDocument(r.Role.AssumeRolePolicy), "InstanceProfileList": profiles,
			"RolePolicyList": inlineOut(r.Inline), "AttachedManagedPolicies": attachedOut(r.Attached),
			"RoleLastUsed": awsquery.Struct{},
		}
		if r.Role.PermissionsBoundary != "" {
			s["PermissionsBoundary"] = boundaryOut(r.Role.PermissionsBoundary)
		}
		if len(r.Role.Tags) > 0 {
			s["Tags"] = tagsOut(r.Role.Tags)
		}
		roles = append(roles, s)
	}
	policies := make([]any, 0, len(d.Policies))
	for _, p := range d.Policies {
		s := policyOut(p.Info, false)
		delete(s, "Tags")
		if p.Info.Description != "" {
			s["Description"] = p.Info.Description
		}
		versions := make([]any, len(p.Versions))
		for i, v := range p.Versions {
			versions[i] = policyVersionOut(v, true)
		}
		s["PolicyVersionList"] = versions
		policies = append(policies, s)
	}
	out := awsquery.Struct{
		"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies,
		"IsTruncated": d.Page.IsTruncated,
	}
	if d.Page.IsTruncated {
		out["Marker"] = d.Page.Marker
	}
	return out, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
