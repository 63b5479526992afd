package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// instanceProfileRoutes are part of rolePolicyRoutes.
func (h *Handler) instanceProfileRoutes() map[string]operation {
	return map[string]operation{
		"CreateInstanceProfile":         h.createInstanceProfile,
		"GetInstanceProfile":            h.getInstanceProfile,
		"ListInstanceProfiles":          h.listInstanceProfiles,
		"ListInstanceProfilesForRole":   h.listInstanceProfilesForRole,
		"DeleteInstanceProfile":         h.deleteInstanceProfile,
		"AddRoleToInstanceProfile":      h.addRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile": h.removeRoleFromInstanceProfile,
		"TagInstanceProfile":            h.tagInstanceProfile,
		"UntagInstanceProfile":          h.untagInstanceProfile,
		"ListInstanceProfileTags":       h.listInstanceProfileTags,
	}
}

// instanceProfileOut is the InstanceProfile shape; its roles are listed as
// ListRoles lists them.
func instanceProfileOut(v *iam.InstanceProfileView, withTags bool) awsquery.Struct {
	roles := make([]any, len(v.Roles))
	for i, r := range v.Roles {
		roles[i] = roleOut(r, false)
	}
	s := awsquery.Struct{
		"Path":                v.Path,
		"InstanceProfileName": v.Name,
		"InstanceProfileId":   v.ID,
		"Arn":                 v.ARN(),
		"CreateDate":          v.CreateDate,
		"Roles":               roles,
	}
	if withTags && len(v.Tags) > 0 {
		s["Tags"] = tagsOut(v.Tags)
	}
	return s
}

func (h *Handler) createInstanceProfile(c *call) (awsquery.Struct, error) {
	v, err := h.svc.CreateInstanceProfile(c.ctx, c.principal, str(c.in, "Path"), str(c.in, "InstanceProfileName"), tagsIn(c.in, "Tags"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"InstanceProfile": instanceProfileOut(v, true)}, nil
}

func (h *Handler) getInstanceProfile(c *call) (awsquery.Struct, error) {
	v, err := h.svc.GetInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"InstanceProfile": instanceProfileOut(v, true)}, nil
}

func (h *Handler) listInstanceProfiles(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListInstanceProfiles(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "InstanceProfiles", p, func(v *iam.InstanceProfileView) awsquery.Struct {
		return instanceProfileOut(v, false)
	}), nil
}

func (h *Handler) listInstanceProfilesForRole(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListInstanceProfilesForRole(c.ctx, c.principal, str(c.in, "RoleName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "InstanceProfiles", p, func(v *iam.InstanceProfileView) awsquery.Struct {
		return instanceProfileOut(v, false)
	}), nil
}

func (h *Handler) deleteInstanceProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"))
}

func (h *Handler) addRoleToInstanceProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.AddRoleToInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"), str(c.in, "RoleName"))
}

func (h *Handler) removeRoleFromInstanceProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.RemoveRoleFromInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"), str(c.in, "RoleName"))
}

func (h *Handler) tagInstanceProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagInstanceProfile(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagInstanceProfile(c.ctx, c.principal, str(c.in, "InstanceProfileName"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listInstanceProfileTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListInstanceProfileTags(c.ctx, c.principal, str(c.in, "InstanceProfileName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Tags", p, tagOut), nil
}
