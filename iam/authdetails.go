package iam

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/iamd/iamd/awsmanaged"
)

// AttachedRef names an attached managed policy.
type AttachedRef struct {
	Name string
	ARN  string
}

// UserDetail is a user with everything that grants it permissions.
type UserDetail struct {
	User     *User
	Inline   []*InlinePolicy
	Groups   []string // group names
	Attached []AttachedRef
}

// GroupDetail is a group with its policies.
type GroupDetail struct {
	Group    *Group
	Inline   []*InlinePolicy
	Attached []AttachedRef
}

// RoleDetail is a role with its policies and instance profiles.
type RoleDetail struct {
	Role     *Role
	Inline   []*InlinePolicy
	Attached []AttachedRef
	Profiles []*InstanceProfileView
}

// PolicyDetail is a managed policy with all its versions.
type PolicyDetail struct {
	Info     *PolicyInfo
	Versions []*PolicyVersionInfo
}

// AuthorizationDetails is one page of GetAccountAuthorizationDetails.
type AuthorizationDetails struct {
	Users    []UserDetail
	Groups   []GroupDetail
	Roles    []RoleDetail
	Policies []PolicyDetail
	Page     Page[struct{}] // IsTruncated and Marker
}

// GetAccountAuthorizationDetails returns the account's users, groups, roles
// and managed policies with their relationships, filtered and paginated
// across all four lists in that order. AWS managed policies are listed
// when the account uses them (attached or as a boundary), as AWS does.
// Everything is read from memory.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, p *Principal, filter []string, in ListInput) (*AuthorizationDetails, error) {
	if err := s.authorize(p, "iam:GetAccountAuthorizationDetails", "*"); err != nil {
		return nil, err
	}
	want := func(f string) bool { return len(filter) == 0 || slices.Contains(filter, f) }
	start := 0
	if in.Marker != "" {
		m, err := decodeMarker("GetAccountAuthorizationDetails", in.Marker)
		if err != nil {
			return nil, err
		}
		if start, err = strconv.Atoi(m); err != nil || start < 0 {
			return nil, Errorf(CodeValidationError, "Invalid Marker.")
		}
	}
	limit := in.limit()
	out := &AuthorizationDetails{}
	pos, taken := 0, 0
	// take reports whether the next item belongs on this page, and stops
	// the walk once the page is full.
	take := func() (bool, bool) {
		defer func() { pos++ }()
		if pos < start {
			return false, true
		}
		if taken == limit {
			out.Page = Page[struct{}]{IsTruncated: true, Marker: encodeMarker("GetAccountAuthorizationDetails", strconv.Itoa(pos))}
			return false, false
		}
		taken++
		return true, true
	}
	acct := p.AccountID
	st := s.state
	attachedRefs := func(kind OwnerKind, id string) []AttachedRef {
		arns := st.attachedPolicies(kind, id)
		refs := make([]AttachedRef, 0, len(arns))
		for _, arn := range arns {
			refs = append(refs, AttachedRef{Name: arn[strings.LastIndexByte(arn, '/')+1:], ARN: arn})
		}
		return refs
	}
	if want(FilterUser) {
		for _, u := range st.usersSorted(acct) {
			ok, more := take()
			if !more {
				return out, nil
			}
			if !ok {
				continue
			}
			var groups []string
			for _, g := range st.groupsOfUser(u.ID) {
				groups = append(groups, g.Name)
			}
			out.Users = append(out.Users, UserDetail{User: u, Inline: st.inlinePolicies(OwnerUser, u.ID), Groups: groups, Attached: attachedRefs(OwnerUser, u.ID)})
		}
	}
	if want(FilterGroup) {
		for _, g := range st.groupsSorted(acct) {
			ok, more := take()
			if !more {
				return out, nil
			}
			if !ok {
				continue
			}
			out.Groups = append(out.Groups, GroupDetail{Group: g, Inline: st.inlinePolicies(OwnerGroup, g.ID), Attached: attachedRefs(OwnerGroup, g.ID)})
		}
	}
	if want(FilterRole) {
		for _, r := range st.rolesSorted(acct) {
			ok, more := take()
			if !more {
				return out, nil
			}
			if !ok {
				continue
			}
			d := RoleDetail{Role: r, Inline: st.inlinePolicies(OwnerRole, r.ID), Attached: attachedRefs(OwnerRole, r.ID)}
			for _, ip := range st.instanceProfilesSorted(acct) {
				if slices.Contains(ip.RoleIDs, r.ID) {
					d.Profiles = append(d.Profiles, s.viewProfile(ip))
				}
			}
			out.Roles = append(out.Roles, d)
		}
	}
	if want(FilterLocalPolicy) {
		for _, e := range st.policiesSorted(acct) {
			ok, more := take()
			if !more {
				return out, nil
			}
			if !ok {
				continue
			}
			m := managedRef{local: e}
			out.Policies = append(out.Policies, PolicyDetail{Info: s.policyInfo(acct, m), Versions: policyVersions(m)})
		}
	}
	if want(FilterAWSPolicy) {
		for _, ap := range awsmanaged.All() {
			use := st.usesOf(acct, ap.ARN, false)
			if use.attachments == 0 && use.boundaries == 0 {
				continue
			}
			ok, more := take()
			if !more {
				return out, nil
			}
			if !ok {
				continue
			}
			m := managedRef{aws: ap}
			out.Policies = append(out.Policies, PolicyDetail{Info: s.policyInfo(acct, m), Versions: policyVersions(m)})
		}
	}
	return out, nil
}
