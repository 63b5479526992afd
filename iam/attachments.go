package iam

import (
	"context"
	"slices"
	"strings"
)

// OwnerKind says which kind of identity owns an inline policy or a policy
// attachment.
type OwnerKind string

// Owner kinds.
const (
	OwnerUser  OwnerKind = "user"
	OwnerGroup OwnerKind = "group"
	OwnerRole  OwnerKind = "role"
)

// Attachment is one managed policy attached to one user, group or role.
type Attachment struct {
	Kind      OwnerKind
	OwnerID   string
	PolicyARN string
}

// InlinePolicy is a policy document embedded in a user, group or role.
type InlinePolicy struct {
	Kind     OwnerKind
	OwnerID  string
	Name     string
	Document string // as submitted
}

// Change kinds of roles and policies. Inline policy and attachment changes
// carry the owner's ID: the owner's whole set is to be reloaded. A policy
// change covers its versions too.
const (
	ChangeRole            ChangeKind = "role"
	ChangePolicy          ChangeKind = "policy"
	ChangeUserPolicy      ChangeKind = "userpolicy"
	ChangeGroupPolicy     ChangeKind = "grouppolicy"
	ChangeRolePolicy      ChangeKind = "rolepolicy"
	ChangeUserAttachment  ChangeKind = "userattachment"
	ChangeGroupAttachment ChangeKind = "groupattachment"
	ChangeRoleAttachment  ChangeKind = "roleattachment"
)

// owner is a user, group or role found for an operation on its policies.
type owner struct {
	kind OwnerKind
	id   string
	name string
}

// ownerForAction finds the named user, group or role in a write
// transaction and authorizes action on it. Roles that AWS protects
// (service-linked) refuse every change to their policies.
func (s *Service) ownerForAction(tx Tx, p *Principal, kind OwnerKind, action, name string) (owner, error) {
	return s.ownerForActionWith(tx, p, kind, action, name, nil)
}

// ownerForActionWith is ownerForAction with the request's own condition
// keys.
func (s *Service) ownerForActionWith(tx Tx, p *Principal, kind OwnerKind, action, name string, extra *authzKeys) (owner, error) {
	switch kind {
	case OwnerUser:
		u, err := s.userForActionWith(tx, p, action, name, extra)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, u.ID, u.Name}, nil
	case OwnerGroup:
		g, err := s.groupForActionWith(tx, p, action, name, extra)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, g.ID, g.Name}, nil
	default:
		r, err := s.modifiableRoleWith(tx, p, action, name, extra)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, r.ID, r.Name}, nil
	}
}

// ownerForRead is ownerForAction from memory, for reads.
func (s *Service) ownerForRead(p *Principal, kind OwnerKind, action, name string) (owner, error) {
	switch kind {
	case OwnerUser:
		u, err := s.userForRead(p, action, name)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, u.ID, u.Name}, nil
	case OwnerGroup:
		g, err := s.groupForRead(p, action, name)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, g.ID, g.Name}, nil
	default:
		r, err := s.roleForRead(p, action, name)
		if err != nil {
			return owner{}, err
		}
		return owner{kind, r.ID, r.Name}, nil
	}
}

// ownerAction names the IAM action of an operation on an owner kind:
// "iam:AttachUserPolicy", "iam:ListRolePolicies", ...
func ownerAction(verb string, kind OwnerKind, noun string) string {
	k := string(kind)
	return "iam:" + verb + strings.ToUpper(k[:1]) + k[1:] + noun
}

func (s *Service) attachQuota(kind OwnerKind) (int, string) {
	q := s.resolvedQuotas()
	switch kind {
	case OwnerUser:
		return q.PoliciesPerUser, "PoliciesPerUser"
	case OwnerGroup:
		return q.PoliciesPerGroup, "PoliciesPerGroup"
	}
	return q.PoliciesPerRole, "PoliciesPerRole"
}

// AttachPolicy attaches a managed policy to the named user, group or
// role; attaching it again succeeds and changes nothing.
func (s *Service) AttachPolicy(ctx context.Context, p *Principal, kind OwnerKind, name, arn string) error {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return invalidARN(arn)
	}
	return s.update(ctx, func(tx Tx) error {
		o, err := s.ownerForActionWith(tx, p, kind, ownerAction("Attach", kind, "Policy"), name, &authzKeys{policyARN: arn})
		if err != nil {
			return err
		}
		m, _, err := s.managedInTx(tx, p.AccountID, arn)
		if err != nil {
			return err
		}
		if !m.found() {
			return policyNotAttachable(arn)
		}
		if !m.attachable() {
			return Errorf(CodePolicyNotAttachable, "Cannot attach a Service Role Policy to a Customer Role.")
		}
		have, err := tx.AttachedPolicies(kind, o.id)
		if err != nil {
			return err
		}
		if slices.Contains(have, arn) {
			return nil
		}
		if q, quota := s.attachQuota(kind); len(have) >= q {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for %s: %d", quota, q)
		}
		return tx.AttachPolicy(Attachment{Kind: kind, OwnerID: o.id, PolicyARN: arn})
	})
}

// DetachPolicy detaches a managed policy from the named user, group or
// role.
func (s *Service) DetachPolicy(ctx context.Context, p *Principal, kind OwnerKind, name, arn string) error {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return invalidARN(arn)
	}
	return s.update(ctx, func(tx Tx) error {
		o, err := s.ownerForActionWith(tx, p, kind, ownerAction("Detach", kind, "Policy"), name, &authzKeys{policyARN: arn})
		if err != nil {
			return err
		}
		if err := tx.DetachPolicy(Attachment{Kind: kind, OwnerID: o.id, PolicyARN: arn}); err != nil {
			if isNotFound(err) {
				return policyNotFound(arn)
			}
			return err
		}
		return nil
	})
}

// AttachedPolicy is a managed policy attached to an identity.
type AttachedPolicy struct {
	Name string
	ARN  string
	path string
}

func attachedKey(a AttachedPolicy) string { return policyOrderKey(a.Name, a.ARN) }

// ListAttachedPolicies lists the managed policies attached to the named
// user, group or role whose path starts with PathPrefix.
func (s *Service) ListAttachedPolicies(ctx context.Context, p *Principal, kind OwnerKind, name string, in ListInput) (Page[AttachedPolicy], error) {
	o, err := s.ownerForRead(p, kind, ownerAction("ListAttached", kind, "Policies"), name)
	if err != nil {
		return Page[AttachedPolicy]{}, err
	}
	arns := s.state.attachedPolicies(kind, o.id)
	list := make([]AttachedPolicy, 0, len(arns))
	for _, arn := range arns {
		_, path, pname, _ := parsePolicyARN(arn)
		list = append(list, AttachedPolicy{Name: pname, ARN: arn, path: path})
	}
	slices.SortFunc(list, func(a, b AttachedPolicy) int { return strings.Compare(attachedKey(a), attachedKey(b)) })
	return pageFrom(list, in, attachedKey, func(a AttachedPolicy) string { return a.path })
}

// PolicyEntity is one user, group or role that uses a managed policy; one
// of the three is set.
type PolicyEntity struct {
	User  *User
	Group *Group
	Role  *Role
}

// ListEntitiesInput is ListEntitiesForPolicy's input.
type ListEntitiesInput struct {
	ListInput
	EntityFilter string // "", User, Role, Group, LocalManagedPolicy, AWSManagedPolicy
	UsageFilter  string // "", PermissionsPolicy, PermissionsBoundary
}

// ListEntitiesForPolicy lists the account's groups, users and roles
// (in that order, each by name) that have a managed policy attached or,
// unless UsageFilter says otherwise, use it as their boundary.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, p *Principal, arn string, in ListEntitiesInput) (Page[PolicyEntity], error) {
	m, err := s.readPolicy(p, "iam:ListEntitiesForPolicy", arn)
	if err != nil {
		return Page[PolicyEntity]{}, err
	}
	var users []*User
	var groups []*Group
	var roles []*Role
	if in.UsageFilter != UsageBoundary {
		use := s.state.usesOf(p.AccountID, m.arn(), true)
		users, groups, roles = use.users, use.groups, use.roles
	}
	if in.UsageFilter != UsagePermissions {
		bu, br := s.state.boundaryEntities(p.AccountID, m.arn())
		for _, u := range bu {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		for _, r := range br {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	slices.SortFunc(users, func(a, b *User) int { return strings.Compare(userKey(a), userKey(b)) })
	slices.SortFunc(groups, func(a, b *Group) int { return strings.Compare(groupKey(a), groupKey(b)) })
	slices.SortFunc(roles, func(a, b *Role) int { return strings.Compare(roleKey(a), roleKey(b)) })
	want := func(kind string) bool {
		switch in.EntityFilter {
		case FilterUser, FilterGroup, FilterRole:
			return in.EntityFilter == kind
		}
		return true
	}
	pathOK := func(path string) bool { return strings.HasPrefix(path, in.PathPrefix) }
	var list []PolicyEntity
	if want(FilterGroup) {
		for _, g := range groups {
			if pathOK(g.Path) {
				list = append(list, PolicyEntity{Group: g})
			}
		}
	}
	if want(FilterUser) {
		for _, u := range users {
			if pathOK(u.Path) {
				list = append(list, PolicyEntity{User: u})
			}
		}
	}
	if want(FilterRole) {
		for _, r := range roles {
			if pathOK(r.Path) {
				list = append(list, PolicyEntity{Role: r})
			}
		}
	}
	return pageIndex(list, in.ListInput)
}
