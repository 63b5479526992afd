package httpapi

import (
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// operation handles one API operation: c.in is the decoded, validated input
// and the returned Struct is encoded with the operation's output shape.
type operation func(c *call) (awsquery.Struct, error)

// buildRoutes maps operations to handlers. Every operation of the two models
// is served: the ones absent here answer 501 NotImplemented.
func (h *Handler) buildRoutes() map[*awsmodel.Operation]operation {
	iamOps := map[string]operation{}
	for _, group := range []map[string]operation{h.userGroupKeyRoutes(), h.rolePolicyRoutes(), h.providerCredentialRoutes(),
		h.simulatorRoutes(), h.passwordMFARoutes(), h.accountRoutes(), h.reportRoutes(), h.outboundRoutes()} {
		for name, fn := range group {
			if _, dup := iamOps[name]; dup {
				panic("httpapi: operation routed twice: " + name)
			}
			iamOps[name] = fn
		}
	}
	stsOps := h.stsRoutes()
	routes := make(map[*awsmodel.Operation]operation, len(iamOps)+len(stsOps))
	for name, fn := range iamOps {
		op := h.iam.Operations[name]
		if op == nil {
			panic("httpapi: IAM model has no operation " + name)
		}
		routes[op] = fn
	}
	for name, fn := range stsOps {
		op := h.sts.Operations[name]
		if op == nil {
			panic("httpapi: STS model has no operation " + name)
		}
		routes[op] = fn
	}
	return routes
}

// userGroupKeyRoutes routes users, groups and access keys.
func (h *Handler) userGroupKeyRoutes() map[string]operation {
	return map[string]operation{
		"CreateUser":           h.createUser,
		"GetUser":              h.getUser,
		"ListUsers":            h.listUsers,
		"UpdateUser":           h.updateUser,
		"DeleteUser":           h.deleteUser,
		"TagUser":              h.tagUser,
		"UntagUser":            h.untagUser,
		"ListUserTags":         h.listUserTags,
		"CreateGroup":          h.createGroup,
		"GetGroup":             h.getGroup,
		"ListGroups":           h.listGroups,
		"UpdateGroup":          h.updateGroup,
		"DeleteGroup":          h.deleteGroup,
		"AddUserToGroup":       h.addUserToGroup,
		"RemoveUserFromGroup":  h.removeUserFromGroup,
		"ListGroupsForUser":    h.listGroupsForUser,
		"CreateAccessKey":      h.createAccessKey,
		"ListAccessKeys":       h.listAccessKeys,
		"UpdateAccessKey":      h.updateAccessKey,
		"DeleteAccessKey":      h.deleteAccessKey,
		"GetAccessKeyLastUsed": h.getAccessKeyLastUsed,
	}
}

// Implemented reports which operations of the IAM ("iam") or STS ("sts")
// model iamd implements; the README's support table is generated from it.
func Implemented(service, operation string) bool {
	h := &Handler{iam: awsmodel.IAM(), sts: awsmodel.STS()}
	routes := h.buildRoutes()
	svc := h.iam
	if service == "sts" {
		svc = h.sts
	}
	op := svc.Operations[operation]
	_, ok := routes[op]
	return op != nil && ok
}

// Input accessors. Decode has already checked types and constraints, so a
// present value has the model's type.

func str(in awsquery.Struct, name string) string {
	s, _ := in[name].(string)
	return s
}

func optStr(in awsquery.Struct, name string) *string {
	if s, ok := in[name].(string); ok {
		return &s
	}
	return nil
}

func integer(in awsquery.Struct, name string) int {
	n, _ := in[name].(int64)
	return int(n)
}

func listInput(in awsquery.Struct) iam.ListInput {
	return iam.ListInput{PathPrefix: str(in, "PathPrefix"), Marker: str(in, "Marker"), MaxItems: integer(in, "MaxItems")}
}

func tagsIn(in awsquery.Struct, name string) []iam.Tag {
	list, _ := in[name].([]any)
	tags := make([]iam.Tag, 0, len(list))
	for _, v := range list {
		t, _ := v.(awsquery.Struct)
		tags = append(tags, iam.Tag{Key: str(t, "Key"), Value: str(t, "Value")})
	}
	return tags
}

func stringsIn(in awsquery.Struct, name string) []string {
	list, _ := in[name].([]any)
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// Output builders, in the members of the model's shapes.

func tagsOut(tags []iam.Tag) []any {
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = awsquery.Struct{"Key": t.Key, "Value": t.Value}
	}
	return out
}

// userOut is the User shape. withTags: AWS includes tags in CreateUser and
// GetUser, not in ListUsers.
func userOut(u *iam.User, withTags bool) awsquery.Struct {
	s := awsquery.Struct{
		"Path":       u.Path,
		"UserName":   u.Name,
		"UserId":     u.ID,
		"Arn":        u.ARN(),
		"CreateDate": u.CreateDate,
	}
	if !u.PasswordLastUsed.IsZero() {
		s["PasswordLastUsed"] = u.PasswordLastUsed
	}
	if u.PermissionsBoundary != "" {
		s["PermissionsBoundary"] = awsquery.Struct{
			"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
			"PermissionsBoundaryArn":  u.PermissionsBoundary,
		}
	}
	if withTags && len(u.Tags) > 0 {
		s["Tags"] = tagsOut(u.Tags)
	}
	return s
}

func groupOut(g *iam.Group) awsquery.Struct {
	return awsquery.Struct{
		"Path":       g.Path,
		"GroupName":  g.Name,
		"GroupId":    g.ID,
		"Arn":        g.ARN(),
		"CreateDate": g.CreateDate,
	}
}

func pageOut[T any](out awsquery.Struct, member string, p iam.Page[T], conv func(T) awsquery.Struct) awsquery.Struct {
	items := make([]any, len(p.Items))
	for i, it := range p.Items {
		items[i] = conv(it)
	}
	out[member] = items
	out["IsTruncated"] = p.IsTruncated
	if p.IsTruncated {
		out["Marker"] = p.Marker
	}
	return out
}

// Users.

func (h *Handler) createUser(c *call) (awsquery.Struct, error) {
	u, err := h.svc.CreateUser(c.ctx, c.principal, iam.CreateUserInput{
		Path:                str(c.in, "Path"),
		UserName:            str(c.in, "UserName"),
		PermissionsBoundary: str(c.in, "PermissionsBoundary"),
		Tags:                tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"User": userOut(u, true)}, nil
}

func (h *Handler) getUser(c *call) (awsquery.Struct, error) {
	u, err := h.svc.GetUser(c.ctx, c.principal, str(c.in, "UserName"))
	if err != nil {
		return nil, err
	}
	if u.Name == "" { // the root user: AWS returns only its ID, ARN and dates
		s := awsquery.Struct{"UserId": u.ID, "Arn": c.principal.ARN, "CreateDate": u.CreateDate}
		if !u.PasswordLastUsed.IsZero() {
			s["PasswordLastUsed"] = u.PasswordLastUsed
		}
		return awsquery.Struct{"User": s}, nil
	}
	return awsquery.Struct{"User": userOut(u, true)}, nil
}

func (h *Handler) listUsers(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListUsers(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Users", p, listedUserOut), nil
}

// listedUserOut is a user as ListUsers shows it: AWS documents that
// ListUsers leaves out PermissionsBoundary and Tags, which only GetUser
// returns.
func listedUserOut(u *iam.User) awsquery.Struct {
	s := userOut(u, false)
	delete(s, "PermissionsBoundary")
	return s
}

func (h *Handler) updateUser(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateUser(c.ctx, c.principal, iam.UpdateUserInput{
		UserName:    str(c.in, "UserName"),
		NewPath:     optStr(c.in, "NewPath"),
		NewUserName: optStr(c.in, "NewUserName"),
	})
}

func (h *Handler) deleteUser(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteUser(c.ctx, c.principal, str(c.in, "UserName"))
}

func (h *Handler) tagUser(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagUser(c.ctx, c.principal, str(c.in, "UserName"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagUser(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagUser(c.ctx, c.principal, str(c.in, "UserName"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listUserTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListUserTags(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Tags", p, func(t iam.Tag) awsquery.Struct {
		return awsquery.Struct{"Key": t.Key, "Value": t.Value}
	}), nil
}

// Groups.

func (h *Handler) createGroup(c *call) (awsquery.Struct, error) {
	g, err := h.svc.CreateGroup(c.ctx, c.principal, str(c.in, "Path"), str(c.in, "GroupName"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Group": groupOut(g)}, nil
}

func (h *Handler) getGroup(c *call) (awsquery.Struct, error) {
	g, p, err := h.svc.GetGroup(c.ctx, c.principal, str(c.in, "GroupName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{"Group": groupOut(g)}, "Users", p, func(u *iam.User) awsquery.Struct { return userOut(u, false) }), nil
}

func (h *Handler) listGroups(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListGroups(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Groups", p, groupOut), nil
}

func (h *Handler) updateGroup(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateGroup(c.ctx, c.principal, str(c.in, "GroupName"), optStr(c.in, "NewPath"), optStr(c.in, "NewGroupName"))
}

func (h *Handler) deleteGroup(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteGroup(c.ctx, c.principal, str(c.in, "GroupName"))
}

func (h *Handler) addUserToGroup(c *call) (awsquery.Struct, error) {
	return nil, h.svc.AddUserToGroup(c.ctx, c.principal, str(c.in, "GroupName"), str(c.in, "UserName"))
}

func (h *Handler) removeUserFromGroup(c *call) (awsquery.Struct, error) {
	return nil, h.svc.RemoveUserFromGroup(c.ctx, c.principal, str(c.in, "GroupName"), str(c.in, "UserName"))
}

func (h *Handler) listGroupsForUser(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListGroupsForUser(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Groups", p, groupOut), nil
}

// Access keys.

func (h *Handler) createAccessKey(c *call) (awsquery.Struct, error) {
	k, err := h.svc.CreateAccessKey(c.ctx, c.principal, str(c.in, "UserName"))
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{
		"AccessKeyId":     k.Key.ID,
		"Status":          k.Key.Status,
		"SecretAccessKey": k.Secret,
		"CreateDate":      k.Key.CreateDate,
	}
	if k.UserName != "" {
		out["UserName"] = k.UserName
	}
	return awsquery.Struct{"AccessKey": out}, nil
}

func (h *Handler) listAccessKeys(c *call) (awsquery.Struct, error) {
	l, err := h.svc.ListAccessKeys(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "AccessKeyMetadata", l.Page, func(k *iam.AccessKey) awsquery.Struct {
		s := awsquery.Struct{"AccessKeyId": k.ID, "Status": k.Status, "CreateDate": k.CreateDate}
		if l.UserName != "" {
			s["UserName"] = l.UserName
		}
		return s
	}), nil
}

func (h *Handler) updateAccessKey(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateAccessKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "AccessKeyId"), str(c.in, "Status"))
}

func (h *Handler) deleteAccessKey(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteAccessKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "AccessKeyId"))
}

func (h *Handler) getAccessKeyLastUsed(c *call) (awsquery.Struct, error) {
	lu, err := h.svc.GetAccessKeyLastUsed(c.ctx, c.principal, str(c.in, "AccessKeyId"))
	if err != nil {
		return nil, err
	}
	used := awsquery.Struct{"ServiceName": lu.Service, "Region": lu.Region}
	if !lu.Date.IsZero() {
		used["LastUsedDate"] = lu.Date.Truncate(time.Second)
	}
	return awsquery.Struct{"UserName": lu.UserName, "AccessKeyLastUsed": used}, nil
}
