package iam_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/iamd/iamd/iam"
)

// The state a node builds by following the change feed through random
// role and policy operations equals what a fresh load of the store builds.
func TestRolePolicyStateMatchesFreshLoad(t *testing.T) {
	ctx := t.Context()
	n, root, open := nodes(t, 1)
	a := n[0]
	rng := rand.New(rand.NewPCG(3, 4))
	roles := []string{"r0", "r1", "r2"}
	users := []string{"u0", "u1"}
	groups := []string{"g0"}
	for _, u := range users {
		mustOK(t, ignore(a.CreateUser(ctx, root, iam.CreateUserInput{UserName: u})))
	}
	mustOK(t, ignore(a.CreateGroup(ctx, root, "/", groups[0])))
	policies := []string{adminARN, readARN}
	for i := range 3 {
		p, err := a.CreatePolicy(ctx, root, iam.CreatePolicyInput{PolicyName: fmt.Sprint("p", i), PolicyDocument: allow("s3:*")})
		mustOK(t, err)
		policies = append(policies, p.ARN)
	}
	owner := func() (iam.OwnerKind, string) {
		switch rng.IntN(3) {
		case 0:
			return iam.OwnerUser, users[rng.IntN(len(users))]
		case 1:
			return iam.OwnerGroup, groups[0]
		}
		return iam.OwnerRole, roles[rng.IntN(len(roles))]
	}
	for range 400 {
		r, pol := roles[rng.IntN(len(roles))], policies[rng.IntN(len(policies))]
		switch rng.IntN(10) {
		case 0:
			a.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: r, AssumeRolePolicyDocument: trustDoc})
		case 1:
			a.DeleteRole(ctx, root, r)
		case 2:
			k, o := owner()
			a.AttachPolicy(ctx, root, k, o, pol)
		case 3:
			k, o := owner()
			a.DetachPolicy(ctx, root, k, o, pol)
		case 4:
			k, o := owner()
			a.PutInlinePolicy(ctx, root, k, o, fmt.Sprint("i", rng.IntN(2)), allow(fmt.Sprint("s3:Get", rng.IntN(9))))
		case 5:
			k, o := owner()
			a.DeleteInlinePolicy(ctx, root, k, o, fmt.Sprint("i", rng.IntN(2)))
		case 6:
			a.PutRolePermissionsBoundary(ctx, root, r, pol)
		case 7:
			a.PutUserPermissionsBoundary(ctx, root, users[rng.IntN(len(users))], pol)
		case 8:
			a.CreatePolicyVersion(ctx, root, pol, allow(fmt.Sprint("ec2:Describe", rng.IntN(9))), rng.IntN(2) == 0)
		case 9:
			a.DeletePolicyVersion(ctx, root, pol, fmt.Sprint("v", 1+rng.IntN(6)))
		}
	}
	fresh := open()
	got := rpSnapshot(t, a, root, users, groups)
	if len(got) < 10 {
		t.Fatalf("the random operations left too little to compare: %v", got)
	}
	if want := rpSnapshot(t, fresh, root, users, groups); !reflect.DeepEqual(got, want) {
		t.Errorf("incremental state differs from a fresh load:\n got %v\nwant %v", got, want)
	}
}

func ignore[T any](_ T, err error) error { return err }

func rpSnapshot(t *testing.T, s *iam.Service, root *iam.Principal, users, groups []string) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	owned := func(k iam.OwnerKind, name string) {
		at, _ := s.ListAttachedPolicies(ctx, root, k, name, iam.ListInput{})
		for _, a := range at.Items {
			out = append(out, "  attached "+a.ARN)
		}
		names, _ := s.ListInlinePolicies(ctx, root, k, name, iam.ListInput{})
		for _, n := range names.Items {
			ip, _, _ := s.GetInlinePolicy(ctx, root, k, name, n)
			out = append(out, "  inline "+n+" "+ip.Document)
		}
	}
	lr, _ := s.ListRoles(ctx, root, iam.ListInput{MaxItems: 1000})
	for _, r := range lr.Items {
		out = append(out, "role "+r.Name+" "+r.ID+" boundary "+r.PermissionsBoundary)
		owned(iam.OwnerRole, r.Name)
	}
	for _, u := range users {
		got, _ := s.GetUser(ctx, root, u)
		out = append(out, "user "+u+" boundary "+got.PermissionsBoundary)
		owned(iam.OwnerUser, u)
	}
	for _, g := range groups {
		out = append(out, "group "+g)
		owned(iam.OwnerGroup, g)
	}
	local, _ := s.ListPolicies(ctx, root, iam.ListPoliciesInput{Scope: iam.ScopeLocal, ListInput: iam.ListInput{MaxItems: 1000}})
	used, _ := s.ListPolicies(ctx, root, iam.ListPoliciesInput{Scope: iam.ScopeAWS, OnlyAttached: true, ListInput: iam.ListInput{MaxItems: 1000}})
	for _, p := range append(local.Items, used.Items...) {
		out = append(out, fmt.Sprintf("policy %s %s attached %d boundary %d", p.ARN, p.DefaultVersionID, p.AttachmentCount, p.BoundaryUsageCount))
		vs, _ := s.ListPolicyVersions(ctx, root, p.ARN, iam.ListInput{})
		for _, v := range vs.Items {
			out = append(out, fmt.Sprintf("  version %s default %v %s", v.VersionID, v.IsDefault, v.Document))
		}
	}
	return out
}

// TestListPoliciesUsageFilter: PolicyUsageFilter filters on how policies are
// used whether or not OnlyAttached is set ("To list only the policies used
// to set permissions boundaries, set the value to PermissionsBoundary", API
// reference, ListPolicies); a policy used neither way matches neither
// filter. Every case is also paged one policy at a time, which must list
// the same policies.
func TestListPoliciesUsageFilter(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "ua")
	f.mustUser(t, "ub")
	f.mustGroup(t, "g")
	f.mustRole(t, "ra")
	f.mustRole(t, "rb")
	arn := map[string]string{}
	for _, n := range []string{"attUser", "attGroup", "boundRole", "both", "unused"} {
		arn[n] = f.mustPolicy(t, n, allow("s3:GetObject")).ARN
	}
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "ua", arn["attUser"]))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerGroup, "g", arn["attGroup"]))
	mustOK(t, f.svc.PutRolePermissionsBoundary(ctx, f.root, "ra", arn["boundRole"]))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerRole, "rb", arn["both"]))
	mustOK(t, f.svc.PutUserPermissionsBoundary(ctx, f.root, "ub", arn["both"]))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "ub", readARN))

	for _, tc := range []struct {
		name         string
		scope        string
		onlyAttached bool
		usage        string
		want         []string // policy names, in listing order
	}{
		{"no filter", iam.ScopeLocal, false, "", []string{"attGroup", "attUser", "both", "boundRole", "unused"}},
		{"PermissionsPolicy", iam.ScopeLocal, false, iam.UsagePermissions, []string{"attGroup", "attUser", "both"}},
		{"PermissionsBoundary", iam.ScopeLocal, false, iam.UsageBoundary, []string{"both", "boundRole"}},
		{"OnlyAttached PermissionsPolicy", iam.ScopeLocal, true, iam.UsagePermissions, []string{"attGroup", "attUser", "both"}},
		{"OnlyAttached PermissionsBoundary", iam.ScopeLocal, true, iam.UsageBoundary, []string{"both", "boundRole"}},
		{"OnlyAttached", iam.ScopeLocal, true, "", []string{"attGroup", "attUser", "both", "boundRole"}},
		{"All PermissionsBoundary", iam.ScopeAll, false, iam.UsageBoundary, []string{"both", "boundRole"}},
		{"AWS PermissionsPolicy", iam.ScopeAWS, false, iam.UsagePermissions, []string{"ReadOnlyAccess"}},
		{"AWS PermissionsBoundary", iam.ScopeAWS, false, iam.UsageBoundary, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := iam.ListPoliciesInput{Scope: tc.scope, OnlyAttached: tc.onlyAttached, UsageFilter: tc.usage}
			in.MaxItems = 1000
			all, err := f.svc.ListPolicies(ctx, f.root, in)
			mustOK(t, err)
			var got []string
			for _, p := range all.Items {
				got = append(got, p.Name)
			}
			if !reflect.DeepEqual(got, tc.want) || all.IsTruncated {
				t.Errorf("ListPolicies = %v (truncated %v), want %v", got, all.IsTruncated, tc.want)
			}
			var paged []string
			in.MaxItems = 1
			for range len(tc.want) + 2 {
				pg, err := f.svc.ListPolicies(ctx, f.root, in)
				mustOK(t, err)
				for _, p := range pg.Items {
					paged = append(paged, p.Name)
				}
				if !pg.IsTruncated {
					break
				}
				in.Marker = pg.Marker
			}
			if !reflect.DeepEqual(paged, tc.want) {
				t.Errorf("paged one by one: %v, want %v", paged, tc.want)
			}
		})
	}
}
