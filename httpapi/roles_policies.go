package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// rolePolicyRoutes routes roles, managed and inline policies, attachments,
// permissions boundaries and instance profiles.
func (h *Handler) rolePolicyRoutes() map[string]operation {
	routes := map[string]operation{
		"CreateRole":             h.createRole,
		"GetRole":                h.getRole,
		"ListRoles":              h.listRoles,
		"UpdateRole":             h.updateRole,
		"UpdateRoleDescription":  h.updateRoleDescription,
		"UpdateAssumeRolePolicy": h.updateAssumeRolePolicy,
		"DeleteRole":             h.deleteRole,
		"TagRole":                h.tagRole,
		"UntagRole":              h.untagRole,
		"ListRoleTags":           h.listRoleTags,

		"CreateServiceLinkedRole":            h.createServiceLinkedRole,
		"DeleteServiceLinkedRole":            h.deleteServiceLinkedRole,
		"GetServiceLinkedRoleDeletionStatus": h.getServiceLinkedRoleDeletionStatus,

		"CreatePolicy":            h.createPolicy,
		"GetPolicy":               h.getPolicy,
		"ListPolicies":            h.listPolicies,
		"DeletePolicy":            h.deletePolicy,
		"CreatePolicyVersion":     h.createPolicyVersion,
		"GetPolicyVersion":        h.getPolicyVersion,
		"ListPolicyVersions":      h.listPolicyVersions,
		"DeletePolicyVersion":     h.deletePolicyVersion,
		"SetDefaultPolicyVersion": h.setDefaultPolicyVersion,
		"TagPolicy":               h.tagPolicy,
		"UntagPolicy":             h.untagPolicy,
		"ListPolicyTags":          h.listPolicyTags,

		"AttachUserPolicy":          h.attach(iam.OwnerUser, "UserName"),
		"AttachGroupPolicy":         h.attach(iam.OwnerGroup, "GroupName"),
		"AttachRolePolicy":          h.attach(iam.OwnerRole, "RoleName"),
		"DetachUserPolicy":          h.detach(iam.OwnerUser, "UserName"),
		"DetachGroupPolicy":         h.detach(iam.OwnerGroup, "GroupName"),
		"DetachRolePolicy":          h.detach(iam.OwnerRole, "RoleName"),
		"ListAttachedUserPolicies":  h.listAttached(iam.OwnerUser, "UserName"),
		"ListAttachedGroupPolicies": h.listAttached(iam.OwnerGroup, "GroupName"),
		"ListAttachedRolePolicies":  h.listAttached(iam.OwnerRole, "RoleName"),
		"ListEntitiesForPolicy":     h.listEntitiesForPolicy,

		"PutUserPolicy":     h.putInline(iam.OwnerUser, "UserName"),
		"PutGroupPolicy":    h.putInline(iam.OwnerGroup, "GroupName"),
		"PutRolePolicy":     h.putInline(iam.OwnerRole, "RoleName"),
		"GetUserPolicy":     h.getInline(iam.OwnerUser, "UserName"),
		"GetGroupPolicy":    h.getInline(iam.OwnerGroup, "GroupName"),
		"GetRolePolicy":     h.getInline(iam.OwnerRole, "RoleName"),
		"ListUserPolicies":  h.listInline(iam.OwnerUser, "UserName"),
		"ListGroupPolicies": h.listInline(iam.OwnerGroup, "GroupName"),
		"ListRolePolicies":  h.listInline(iam.OwnerRole, "RoleName"),
		"DeleteUserPolicy":  h.deleteInline(iam.OwnerUser, "UserName"),
		"DeleteGroupPolicy": h.deleteInline(iam.OwnerGroup, "GroupName"),
		"DeleteRolePolicy":  h.deleteInline(iam.OwnerRole, "RoleName"),

		"PutUserPermissionsBoundary":    h.putUserBoundary,
		"DeleteUserPermissionsBoundary": h.deleteUserBoundary,
		"PutRolePermissionsBoundary":    h.putRoleBoundary,
		"DeleteRolePermissionsBoundary": h.deleteRoleBoundary,
	}
	for name, fn := range h.instanceProfileRoutes() {
		routes[name] = fn
	}
	return routes
}

func boolIn(in awsquery.Struct, name string) bool {
	b, _ := in[name].(bool)
	return b
}

func optInt(in awsquery.Struct, name string) *int {
	if n, ok := in[name].(int64); ok {
		v := int(n)
		return &v
	}
	return nil
}

// encodeDocument percent-encodes a policy document as AWS returns every
// stored document (RFC 3986: all but unreserved characters, UTF-8 bytes).
// aws-sdk-go-v2 hands it to the caller as is; boto3 and the aws CLI decode
// it, so iamd must encode exactly once.
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(doc); i++ {
		if !unreserved(doc[i]) {
			n++
		}
	}
	if n == 0 {
		return doc
	}
	b := make([]byte, 0, len(doc)+2*n)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func boundaryOut(arn string) awsquery.Struct {
	return awsquery.Struct{"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
}

// roleOut is the Role shape. full: CreateRole, GetRole and friends return
// the boundary, tags and RoleLastUsed; ListRoles does not (AWS documents
// the omission).
func roleOut(r *iam.Role, full bool) awsquery.Struct {
	s := awsquery.Struct{
		"Path":                     r.Path,
		"RoleName":                 r.Name,
		"RoleId":                   r.ID,
		"Arn":                      r.ARN(),
		"CreateDate":               r.CreateDate,
		"AssumeRolePolicyDocument": encodeDocument(r.AssumeRolePolicy),
		"MaxSessionDuration":       r.MaxSessionDuration,
	}
	if r.Description != "" {
		s["Description"] = r.Description
	}
	if !full {
		return s
	}
	if r.PermissionsBoundary != "" {
		s["PermissionsBoundary"] = boundaryOut(r.PermissionsBoundary)
	}
	if len(r.Tags) > 0 {
		s["Tags"] = tagsOut(r.Tags)
	}
	// AWS always includes RoleLastUsed, empty until the role is used.
	used := awsquery.Struct{}
	if !r.LastUsedDate.IsZero() {
		used["LastUsedDate"] = r.LastUsedDate
		used["Region"] = r.LastUsedRegion
	}
	s["RoleLastUsed"] = used
	return s
}

// Roles.

func (h *Handler) createRole(c *call) (awsquery.Struct, error) {
	r, err := h.svc.CreateRole(c.ctx, c.principal, iam.CreateRoleInput{
		Path:                     str(c.in, "Path"),
		RoleName:                 str(c.in, "RoleName"),
		AssumeRolePolicyDocument: str(c.in, "AssumeRolePolicyDocument"),
		Description:              str(c.in, "Description"),
		MaxSessionDuration:       integer(c.in, "MaxSessionDuration"),
		PermissionsBoundary:      str(c.in, "PermissionsBoundary"),
		Tags:                     tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(r, true)
	delete(out, "RoleLastUsed") // CreateRole's answer has none
	return awsquery.Struct{"Role": out}, nil
}

func (h *Handler) getRole(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GetRole(c.ctx, c.principal, str(c.in, "RoleName"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Role": roleOut(r, true)}, nil
}

func (h *Handler) listRoles(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListRoles(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Roles", p, func(r *iam.Role) awsquery.Struct { return roleOut(r, false) }), nil
}

func (h *Handler) updateRole(c *call) (awsquery.Struct, error) {
	_, err := h.svc.UpdateRole(c.ctx, c.principal, str(c.in, "RoleName"), optStr(c.in, "Description"), optInt(c.in, "MaxSessionDuration"))
	return nil, err
}

func (h *Handler) updateRoleDescription(c *call) (awsquery.Struct, error) {
	d := str(c.in, "Description")
	r, err := h.svc.UpdateRole(c.ctx, c.principal, str(c.in, "RoleName"), &d, nil)
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Role": roleOut(r, true)}, nil
}

func (h *Handler) updateAssumeRolePolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateAssumeRolePolicy(c.ctx, c.principal, str(c.in, "RoleName"), str(c.in, "PolicyDocument"))
}

func (h *Handler) deleteRole(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteRole(c.ctx, c.principal, str(c.in, "RoleName"))
}

func (h *Handler) tagRole(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagRole(c.ctx, c.principal, str(c.in, "RoleName"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagRole(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagRole(c.ctx, c.principal, str(c.in, "RoleName"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listRoleTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListRoleTags(c.ctx, c.principal, str(c.in, "RoleName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Tags", p, tagOut), nil
}

func tagOut(t iam.Tag) awsquery.Struct { return awsquery.Struct{"Key": t.Key, "Value": t.Value} }

// Managed policies.

// policyOut is the Policy shape. full: GetPolicy and CreatePolicy return
// the description and tags; ListPolicies does not.
func policyOut(p *iam.PolicyInfo, full bool) awsquery.Struct {
	s := awsquery.Struct{
		"PolicyName":                    p.Name,
		"PolicyId":                      p.ID,
		"Arn":                           p.ARN,
		"Path":                          p.Path,
		"DefaultVersionId":              p.DefaultVersionID,
		"AttachmentCount":               p.AttachmentCount,
		"PermissionsBoundaryUsageCount": p.BoundaryUsageCount,
		"IsAttachable":                  p.IsAttachable,
		"CreateDate":                    p.CreateDate,
		"UpdateDate":                    p.UpdateDate,
	}
	if full && p.Description != "" {
		s["Description"] = p.Description
	}
	if full && len(p.Tags) > 0 {
		s["Tags"] = tagsOut(p.Tags)
	}
	return s
}

func policyVersionOut(v *iam.PolicyVersionInfo, withDocument bool) awsquery.Struct {
	s := awsquery.Struct{"VersionId": v.VersionID, "IsDefaultVersion": v.IsDefault, "CreateDate": v.CreateDate}
	if withDocument {
		s["Document"] = encodeDocument(v.Document)
	}
	return s
}

func (h *Handler) createPolicy(c *call) (awsquery.Struct, error) {
	p, err := h.svc.CreatePolicy(c.ctx, c.principal, iam.CreatePolicyInput{
		PolicyName:     str(c.in, "PolicyName"),
		Path:           str(c.in, "Path"),
		PolicyDocument: str(c.in, "PolicyDocument"),
		Description:    str(c.in, "Description"),
		Tags:           tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Policy": policyOut(p, true)}, nil
}

func (h *Handler) getPolicy(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetPolicy(c.ctx, c.principal, str(c.in, "PolicyArn"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Policy": policyOut(p, true)}, nil
}

func (h *Handler) listPolicies(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListPolicies(c.ctx, c.principal, iam.ListPoliciesInput{
		ListInput:    listInput(c.in),
		Scope:        str(c.in, "Scope"),
		OnlyAttached: boolIn(c.in, "OnlyAttached"),
		UsageFilter:  str(c.in, "PolicyUsageFilter"),
	})
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Policies", p, func(p *iam.PolicyInfo) awsquery.Struct { return policyOut(p, false) }), nil
}

func (h *Handler) deletePolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeletePolicy(c.ctx, c.principal, str(c.in, "PolicyArn"))
}

func (h *Handler) createPolicyVersion(c *call) (awsquery.Struct, error) {
	v, err := h.svc.CreatePolicyVersion(c.ctx, c.principal, str(c.in, "PolicyArn"), str(c.in, "PolicyDocument"), boolIn(c.in, "SetAsDefault"))
	if err != nil {
		return nil, err
	}
	// AWS leaves the document out of CreatePolicyVersion's answer.
	return awsquery.Struct{"PolicyVersion": policyVersionOut(v, false)}, nil
}

func (h *Handler) getPolicyVersion(c *call) (awsquery.Struct, error) {
	v, err := h.svc.GetPolicyVersion(c.ctx, c.principal, str(c.in, "PolicyArn"), str(c.in, "VersionId"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"PolicyVersion": policyVersionOut(v, true)}, nil
}

func (h *Handler) listPolicyVersions(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListPolicyVersions(c.ctx, c.principal, str(c.in, "PolicyArn"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Versions", p, func(v *iam.PolicyVersionInfo) awsquery.Struct { return policyVersionOut(v, false) }), nil
}

func (h *Handler) deletePolicyVersion(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeletePolicyVersion(c.ctx, c.principal, str(c.in, "PolicyArn"), str(c.in, "VersionId"))
}

func (h *Handler) setDefaultPolicyVersion(c *call) (awsquery.Struct, error) {
	return nil, h.svc.SetDefaultPolicyVersion(c.ctx, c.principal, str(c.in, "PolicyArn"), str(c.in, "VersionId"))
}

func (h *Handler) tagPolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagPolicy(c.ctx, c.principal, str(c.in, "PolicyArn"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagPolicy(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagPolicy(c.ctx, c.principal, str(c.in, "PolicyArn"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listPolicyTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListPolicyTags(c.ctx, c.principal, str(c.in, "PolicyArn"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Tags", p, tagOut), nil
}

// Attachments.

func (h *Handler) attach(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		return nil, h.svc.AttachPolicy(c.ctx, c.principal, kind, str(c.in, member), str(c.in, "PolicyArn"))
	}
}

func (h *Handler) detach(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		return nil, h.svc.DetachPolicy(c.ctx, c.principal, kind, str(c.in, member), str(c.in, "PolicyArn"))
	}
}

func (h *Handler) listAttached(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		p, err := h.svc.ListAttachedPolicies(c.ctx, c.principal, kind, str(c.in, member), listInput(c.in))
		if err != nil {
			return nil, err
		}
		return pageOut(awsquery.Struct{}, "AttachedPolicies", p, func(a iam.AttachedPolicy) awsquery.Struct {
			return awsquery.Struct{"PolicyName": a.Name, "PolicyArn": a.ARN}
		}), nil
	}
}

func (h *Handler) listEntitiesForPolicy(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListEntitiesForPolicy(c.ctx, c.principal, str(c.in, "PolicyArn"), iam.ListEntitiesInput{
		ListInput:    listInput(c.in),
		EntityFilter: str(c.in, "EntityFilter"),
		UsageFilter:  str(c.in, "PolicyUsageFilter"),
	})
	if err != nil {
		return nil, err
	}
	groups, users, roles := []any{}, []any{}, []any{}
	for _, e := range p.Items {
		switch {
		case e.Group != nil:
			groups = append(groups, awsquery.Struct{"GroupName": e.Group.Name, "GroupId": e.Group.ID})
		case e.User != nil:
			users = append(users, awsquery.Struct{"UserName": e.User.Name, "UserId": e.User.ID})
		case e.Role != nil:
			roles = append(roles, awsquery.Struct{"RoleName": e.Role.Name, "RoleId": e.Role.ID})
		}
	}
	out := awsquery.Struct{"PolicyGroups": groups, "PolicyUsers": users, "PolicyRoles": roles, "IsTruncated": p.IsTruncated}
	if p.IsTruncated {
		out["Marker"] = p.Marker
	}
	return out, nil
}

// Inline policies.

func (h *Handler) putInline(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		return nil, h.svc.PutInlinePolicy(c.ctx, c.principal, kind, str(c.in, member), str(c.in, "PolicyName"), str(c.in, "PolicyDocument"))
	}
}

func (h *Handler) getInline(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		ip, owner, err := h.svc.GetInlinePolicy(c.ctx, c.principal, kind, str(c.in, member), str(c.in, "PolicyName"))
		if err != nil {
			return nil, err
		}
		return awsquery.Struct{member: owner, "PolicyName": ip.Name, "PolicyDocument": encodeDocument(ip.Document)}, nil
	}
}

func (h *Handler) listInline(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		p, err := h.svc.ListInlinePolicies(c.ctx, c.principal, kind, str(c.in, member), listInput(c.in))
		if err != nil {
			return nil, err
		}
		names := make([]any, len(p.Items))
		for i, n := range p.Items {
			names[i] = n
		}
		out := awsquery.Struct{"PolicyNames": names, "IsTruncated": p.IsTruncated}
		if p.IsTruncated {
			out["Marker"] = p.Marker
		}
		return out, nil
	}
}

func (h *Handler) deleteInline(kind iam.OwnerKind, member string) operation {
	return func(c *call) (awsquery.Struct, error) {
		return nil, h.svc.DeleteInlinePolicy(c.ctx, c.principal, kind, str(c.in, member), str(c.in, "PolicyName"))
	}
}

// Permissions boundaries.

func (h *Handler) putUserBoundary(c *call) (awsquery.Struct, error) {
	return nil, h.svc.PutUserPermissionsBoundary(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "PermissionsBoundary"))
}

func (h *Handler) deleteUserBoundary(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteUserPermissionsBoundary(c.ctx, c.principal, str(c.in, "UserName"))
}

func (h *Handler) putRoleBoundary(c *call) (awsquery.Struct, error) {
	return nil, h.svc.PutRolePermissionsBoundary(c.ctx, c.principal, str(c.in, "RoleName"), str(c.in, "PermissionsBoundary"))
}

func (h *Handler) deleteRoleBoundary(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteRolePermissionsBoundary(c.ctx, c.principal, str(c.in, "RoleName"))
}

// Service-linked roles.

func (h *Handler) createServiceLinkedRole(c *call) (awsquery.Struct, error) {
	r, err := h.svc.CreateServiceLinkedRole(c.ctx, c.principal, str(c.in, "AWSServiceName"), str(c.in, "Description"), str(c.in, "CustomSuffix"))
	if err != nil {
		return nil, err
	}
	out := roleOut(r, true)
	delete(out, "RoleLastUsed")
	return awsquery.Struct{"Role": out}, nil
}

func (h *Handler) deleteServiceLinkedRole(c *call) (awsquery.Struct, error) {
	task, err := h.svc.DeleteServiceLinkedRole(c.ctx, c.principal, str(c.in, "RoleName"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"DeletionTaskId": task}, nil
}

func (h *Handler) getServiceLinkedRoleDeletionStatus(c *call) (awsquery.Struct, error) {
	status, err := h.svc.GetServiceLinkedRoleDeletionStatus(c.ctx, c.principal, str(c.in, "DeletionTaskId"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Status": status}, nil
}
