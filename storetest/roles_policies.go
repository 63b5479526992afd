package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// rolePolicyTests check RolePolicyTx: roles, managed policies and their
// versions, inline policies, attachments and their change-feed entries.
var rolePolicyTests = []test{
	{"Roles", testRoles},
	{"RoleDeleteKeepsNoOrphans", testRoleDeleteOrphans},
	{"Policies", testPolicies},
	{"PolicyVersions", testPolicyVersions},
	{"InlinePolicies", testInlinePolicies},
	{"Attachments", testAttachments},
	{"BoundaryUses", testBoundaryUses},
	{"Changes", testRolePolicyChanges},
	{"InstanceProfiles", testInstanceProfiles},
}

func roleID(n int) string   { return fmt.Sprintf("AROA%017d", n) }
func policyID(n int) string { return fmt.Sprintf("ANPA%017d", n) }

func newRole(acct, n int, name string) *iam.Role {
	return &iam.Role{
		ID: roleID(n), AccountID: accountID(acct), Name: name, Path: "/",
		CreateDate:         at(time.Duration(n) * time.Minute),
		AssumeRolePolicy:   `{"Version":"2012-10-17","Statement":[]}`,
		MaxSessionDuration: 3600,
	}
}

func newPolicy(acct, n int, name string) *iam.ManagedPolicy {
	return &iam.ManagedPolicy{
		ID: policyID(n), AccountID: accountID(acct), Name: name, Path: "/",
		CreateDate: at(time.Duration(n) * time.Minute), UpdateDate: at(time.Duration(n) * time.Minute),
		DefaultVersionID: "v1", NextVersion: 2,
	}
}

// rpNorm removes what a backend may change: sub-second times, UTC
// location, nil versus empty tag lists.
func rpNorm(v any) any {
	switch v := v.(type) {
	case *iam.Role:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate, c.LastUsedDate = normTime(c.CreateDate), normTime(c.LastUsedDate)
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
		return &c
	case *iam.ManagedPolicy:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate, c.UpdateDate = normTime(c.CreateDate), normTime(c.UpdateDate)
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
		return &c
	case *iam.PolicyVersion:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate = normTime(c.CreateDate)
		return &c
	case []*iam.Role:
		return rpNormSlice(v)
	case []*iam.ManagedPolicy:
		return rpNormSlice(v)
	case []*iam.PolicyVersion:
		return rpNormSlice(v)
	case []*iam.InlinePolicy:
		if len(v) == 0 {
			return []any(nil)
		}
		out := make([]any, len(v))
		for i, p := range v {
			out[i] = *p
		}
		return out
	case []string:
		if len(v) == 0 {
			return []string(nil)
		}
	case []iam.Attachment:
		if len(v) == 0 {
			return []iam.Attachment(nil)
		}
		c := slices.Clone(v)
		slices.SortFunc(c, func(a, b iam.Attachment) int {
			return compareStrings(string(a.Kind)+a.OwnerID+a.PolicyARN, string(b.Kind)+b.OwnerID+b.PolicyARN)
		})
		return c
	}
	return v
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func rpNormSlice[T any](s []*T) []any {
	if len(s) == 0 {
		return nil
	}
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = rpNorm(e)
	}
	return out
}

func rpEqual(t *testing.T, call string, got, want any) {
	t.Helper()
	if g, w := rpNorm(got), rpNorm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", call, rpShow(g), rpShow(w))
	}
}

func rpShow(v any) string {
	if s, ok := v.([]any); ok {
		out := "["
		for i, e := range s {
			if i > 0 {
				out += " "
			}
			out += fmt.Sprintf("%+v", e)
		}
		return out + "]"
	}
	return fmt.Sprintf("%+v", v)
}

func testRoles(t *testing.T, s iam.Store) {
	app, db, web := newRole(1, 1, "App"), newRole(1, 2, "db"), newRole(1, 3, "web")
	web.Path = "/svc/"
	web.Description = "front end"
	web.Tags = []iam.Tag{{Key: "team", Value: "core"}}
	web.PermissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess"
	other := newRole(2, 4, "app")
	create(t, s, newAccount(1), newAccount(2))
	update(t, s, func(tx iam.Tx) error {
		for _, r := range []*iam.Role{app, db, web, other} {
			noErr(t, "CreateRole("+r.Name+")", tx.CreateRole(r))
		}
		dup := newRole(1, 9, "APP")
		wantErr(t, "CreateRole(APP, same account)", tx.CreateRole(dup), iam.ErrExists)
		dupID := newRole(1, 1, "fresh")
		wantErr(t, "CreateRole(taken ID)", tx.CreateRole(dupID), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		r, err := tx.Role(accountID(1), "app")
		noErr(t, "Role(app)", err)
		rpEqual(t, "Role(app)", r, app)
		r, err = tx.RoleByID(web.ID)
		noErr(t, "RoleByID(web)", err)
		rpEqual(t, "RoleByID(web)", r, web)
		_, err = tx.Role(accountID(1), "missing")
		wantErr(t, "Role(missing)", err, iam.ErrNotFound)
		_, err = tx.RoleByID(roleID(99))
		wantErr(t, "RoleByID(missing)", err, iam.ErrNotFound)

		rs, err := tx.Roles(accountID(1), iam.ListQuery{})
		noErr(t, "Roles", err)
		rpEqual(t, "Roles", rs, []*iam.Role{app, db, web})
		rs, err = tx.Roles(accountID(1), iam.ListQuery{After: "app", Limit: 1})
		noErr(t, "Roles(After app, Limit 1)", err)
		rpEqual(t, "Roles(After app, Limit 1)", rs, []*iam.Role{db})
		rs, err = tx.Roles(accountID(1), iam.ListQuery{PathPrefix: "/svc/"})
		noErr(t, "Roles(/svc/)", err)
		rpEqual(t, "Roles(/svc/)", rs, []*iam.Role{web})
		n, err := tx.CountRoles(accountID(1))
		if n != 3 || err != nil {
			t.Errorf("CountRoles = %d, %v, want 3", n, err)
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		next := *app
		next.AssumeRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`
		next.Description = "d"
		next.MaxSessionDuration = 43200
		next.PermissionsBoundary = "arn:aws:iam::000000000001:policy/b"
		next.Tags = []iam.Tag{{Key: "a", Value: ""}}
		next.LastUsedDate = at(time.Hour)
		next.LastUsedRegion = "eu-west-1"
		noErr(t, "UpdateRole(app)", tx.UpdateRole(&next))
		r, err := tx.RoleByID(app.ID)
		noErr(t, "RoleByID(app) after update", err)
		rpEqual(t, "RoleByID(app) after update", r, &next)
		missing := newRole(1, 99, "nobody")
		wantErr(t, "UpdateRole(missing)", tx.UpdateRole(missing), iam.ErrNotFound)
		noErr(t, "DeleteRole(db)", tx.DeleteRole(db.ID))
		wantErr(t, "DeleteRole(db) again", tx.DeleteRole(db.ID), iam.ErrNotFound)
		_, err = tx.Role(accountID(1), "db")
		wantErr(t, "Role(db) after delete", err, iam.ErrNotFound)
		return nil
	})
}

func testRoleDeleteOrphans(t *testing.T, s iam.Store) {
	r := newRole(1, 1, "app")
	create(t, s, newAccount(1))
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateRole", tx.CreateRole(r))
		noErr(t, "PutInlinePolicy", tx.PutInlinePolicy(&iam.InlinePolicy{Kind: iam.OwnerRole, OwnerID: r.ID, Name: "p", Document: "{}"}))
		noErr(t, "AttachPolicy", tx.AttachPolicy(iam.Attachment{Kind: iam.OwnerRole, OwnerID: r.ID, PolicyARN: "arn:aws:iam::aws:policy/X"}))
		return nil
	})
	// Deleting a role that still has policies either fails or takes them
	// with it; it never leaves them behind.
	err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteRole(r.ID) })
	view(t, s, func(tx iam.Tx) error {
		_, rerr := tx.RoleByID(r.ID)
		ips, ierr := tx.InlinePolicies(iam.OwnerRole, r.ID)
		arns, aerr := tx.AttachedPolicies(iam.OwnerRole, r.ID)
		noErr(t, "InlinePolicies", ierr)
		noErr(t, "AttachedPolicies", aerr)
		if err != nil && rerr != nil {
			t.Errorf("DeleteRole failed (%v) yet the role is gone (%v)", err, rerr)
		}
		if rerr != nil && (len(ips) > 0 || len(arns) > 0) {
			t.Errorf("role deleted but %d inline policies and %d attachments remain", len(ips), len(arns))
		}
		return nil
	})
}

func testPolicies(t *testing.T, s iam.Store) {
	a, b := newPolicy(1, 1, "Alpha"), newPolicy(1, 2, "beta")
	b.Path = "/team/"
	b.Description = "the beta"
	b.Tags = []iam.Tag{{Key: "k", Value: "v"}}
	create(t, s, newAccount(1), newAccount(2))
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreatePolicy(Alpha)", tx.CreatePolicy(a))
		noErr(t, "CreatePolicy(beta)", tx.CreatePolicy(b))
		noErr(t, "CreatePolicy(alpha in account 2)", tx.CreatePolicy(newPolicy(2, 3, "alpha")))
		// Names are unique per account whatever the path.
		dup := newPolicy(1, 9, "ALPHA")
		dup.Path = "/other/"
		wantErr(t, "CreatePolicy(ALPHA, other path)", tx.CreatePolicy(dup), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		p, err := tx.Policy(accountID(1), "alpha")
		noErr(t, "Policy(alpha)", err)
		rpEqual(t, "Policy(alpha)", p, a)
		p, err = tx.PolicyByID(b.ID)
		noErr(t, "PolicyByID(beta)", err)
		rpEqual(t, "PolicyByID(beta)", p, b)
		_, err = tx.Policy(accountID(1), "gamma")
		wantErr(t, "Policy(gamma)", err, iam.ErrNotFound)
		ps, err := tx.Policies(accountID(1), iam.ListQuery{})
		noErr(t, "Policies", err)
		rpEqual(t, "Policies", ps, []*iam.ManagedPolicy{a, b})
		ps, err = tx.Policies(accountID(1), iam.ListQuery{PathPrefix: "/team/"})
		noErr(t, "Policies(/team/)", err)
		rpEqual(t, "Policies(/team/)", ps, []*iam.ManagedPolicy{b})
		n, err := tx.CountPolicies(accountID(1))
		if n != 2 || err != nil {
			t.Errorf("CountPolicies = %d, %v, want 2", n, err)
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		next := *a
		next.DefaultVersionID, next.NextVersion, next.UpdateDate = "v7", 8, at(time.Hour)
		next.Tags = []iam.Tag{{Key: "x", Value: "y"}}
		next.Description = "changed"
		noErr(t, "UpdatePolicy", tx.UpdatePolicy(&next))
		p, err := tx.PolicyByID(a.ID)
		noErr(t, "PolicyByID after update", err)
		rpEqual(t, "PolicyByID after update", p, &next)
		wantErr(t, "UpdatePolicy(missing)", tx.UpdatePolicy(newPolicy(1, 99, "x")), iam.ErrNotFound)
		noErr(t, "DeletePolicy(beta)", tx.DeletePolicy(b.ID))
		wantErr(t, "DeletePolicy(beta) again", tx.DeletePolicy(b.ID), iam.ErrNotFound)
		return nil
	})
}

func testPolicyVersions(t *testing.T, s iam.Store) {
	p := newPolicy(1, 1, "p")
	create(t, s, newAccount(1))
	same := at(time.Hour)
	vs := []*iam.PolicyVersion{
		{PolicyID: p.ID, VersionID: "v1", Document: `{"a":1}`, CreateDate: at(time.Minute)},
		{PolicyID: p.ID, VersionID: "v9", Document: `{"a":9}`, CreateDate: same},
		{PolicyID: p.ID, VersionID: "v10", Document: `{"a":10}`, CreateDate: same},
	}
	update(t, s, func(tx iam.Tx) error {
		wantErr(t, "CreatePolicyVersion(no policy)", tx.CreatePolicyVersion(vs[0]), iam.ErrNotFound)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreatePolicy", tx.CreatePolicy(p))
		for _, v := range []*iam.PolicyVersion{vs[2], vs[0], vs[1]} {
			noErr(t, "CreatePolicyVersion("+v.VersionID+")", tx.CreatePolicyVersion(v))
		}
		wantErr(t, "CreatePolicyVersion(v1 again)", tx.CreatePolicyVersion(vs[0]), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.PolicyVersions(p.ID)
		noErr(t, "PolicyVersions", err)
		// Creation order, and v10 after v9 when created in the same instant.
		rpEqual(t, "PolicyVersions", got, vs)
		v, err := tx.PolicyVersion(p.ID, "v9")
		noErr(t, "PolicyVersion(v9)", err)
		rpEqual(t, "PolicyVersion(v9)", v, vs[1])
		_, err = tx.PolicyVersion(p.ID, "v2")
		wantErr(t, "PolicyVersion(v2)", err, iam.ErrNotFound)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeletePolicyVersion(v9)", tx.DeletePolicyVersion(p.ID, "v9"))
		wantErr(t, "DeletePolicyVersion(v9) again", tx.DeletePolicyVersion(p.ID, "v9"), iam.ErrNotFound)
		return nil
	})
	// A policy cannot be deleted under its versions: either the delete
	// fails or the versions go too.
	err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeletePolicy(p.ID) })
	view(t, s, func(tx iam.Tx) error {
		_, perr := tx.PolicyByID(p.ID)
		left, verr := tx.PolicyVersions(p.ID)
		noErr(t, "PolicyVersions", verr)
		if err == nil && (perr == nil || len(left) > 0) {
			t.Errorf("DeletePolicy succeeded but policy (%v) or %d versions remain", perr, len(left))
		}
		return nil
	})
}

func testInlinePolicies(t *testing.T, s iam.Store) {
	u, g, r := newUser(1, 1, "alice"), newGroup(1, 1, "devs"), newRole(1, 1, "app")
	create(t, s, newAccount(1), u, g)
	update(t, s, func(tx iam.Tx) error { return tx.CreateRole(r) })
	owners := []struct {
		kind iam.OwnerKind
		id   string
	}{{iam.OwnerUser, u.ID}, {iam.OwnerGroup, g.ID}, {iam.OwnerRole, r.ID}}
	update(t, s, func(tx iam.Tx) error {
		for _, o := range owners {
			for _, name := range []string{"Zeta", "alpha"} {
				noErr(t, "PutInlinePolicy", tx.PutInlinePolicy(&iam.InlinePolicy{Kind: o.kind, OwnerID: o.id, Name: name, Document: "doc-" + name}))
			}
			// Same name in another case replaces the document.
			noErr(t, "PutInlinePolicy(ZETA)", tx.PutInlinePolicy(&iam.InlinePolicy{Kind: o.kind, OwnerID: o.id, Name: "ZETA", Document: "new"}))
		}
		wantErr(t, "PutInlinePolicy(missing user)",
			tx.PutInlinePolicy(&iam.InlinePolicy{Kind: iam.OwnerUser, OwnerID: userID(99), Name: "p", Document: "d"}), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		for _, o := range owners {
			ps, err := tx.InlinePolicies(o.kind, o.id)
			noErr(t, "InlinePolicies", err)
			rpEqual(t, fmt.Sprintf("InlinePolicies(%s)", o.kind), ps, []*iam.InlinePolicy{
				{Kind: o.kind, OwnerID: o.id, Name: "alpha", Document: "doc-alpha"},
				{Kind: o.kind, OwnerID: o.id, Name: "Zeta", Document: "new"},
			})
			p, err := tx.InlinePolicy(o.kind, o.id, "ALPHA")
			noErr(t, "InlinePolicy(ALPHA)", err)
			if p.Name != "alpha" || p.Document != "doc-alpha" || p.Kind != o.kind {
				t.Errorf("InlinePolicy(%s, ALPHA) = %+v", o.kind, p)
			}
			_, err = tx.InlinePolicy(o.kind, o.id, "none")
			wantErr(t, "InlinePolicy(none)", err, iam.ErrNotFound)
		}
		all, err := tx.AllInlinePolicies()
		noErr(t, "AllInlinePolicies", err)
		if len(all) != 6 {
			t.Errorf("AllInlinePolicies = %d policies, want 6", len(all))
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeleteInlinePolicy(zeta)", tx.DeleteInlinePolicy(iam.OwnerGroup, g.ID, "zeta"))
		wantErr(t, "DeleteInlinePolicy(zeta) again", tx.DeleteInlinePolicy(iam.OwnerGroup, g.ID, "zeta"), iam.ErrNotFound)
		return nil
	})
}

func testAttachments(t *testing.T, s iam.Store) {
	u, g, r := newUser(1, 1, "alice"), newGroup(1, 1, "devs"), newRole(1, 1, "app")
	const a1, a2 = "arn:aws:iam::aws:policy/A", "arn:aws:iam::000000000001:policy/B"
	create(t, s, newAccount(1), u, g)
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateRole", tx.CreateRole(r))
		for _, a := range []iam.Attachment{
			{Kind: iam.OwnerUser, OwnerID: u.ID, PolicyARN: a2}, {Kind: iam.OwnerUser, OwnerID: u.ID, PolicyARN: a1},
			{Kind: iam.OwnerGroup, OwnerID: g.ID, PolicyARN: a1}, {Kind: iam.OwnerRole, OwnerID: r.ID, PolicyARN: a1},
		} {
			noErr(t, "AttachPolicy", tx.AttachPolicy(a))
		}
		noErr(t, "AttachPolicy(again)", tx.AttachPolicy(iam.Attachment{Kind: iam.OwnerUser, OwnerID: u.ID, PolicyARN: a1}))
		wantErr(t, "AttachPolicy(missing role)",
			tx.AttachPolicy(iam.Attachment{Kind: iam.OwnerRole, OwnerID: roleID(99), PolicyARN: a1}), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		arns, err := tx.AttachedPolicies(iam.OwnerUser, u.ID)
		noErr(t, "AttachedPolicies(user)", err)
		// Ordered by ARN: an account ID sorts before "aws".
		rpEqual(t, "AttachedPolicies(user)", arns, []string{a2, a1})
		atts, err := tx.PolicyAttachments(a1)
		noErr(t, "PolicyAttachments(a1)", err)
		rpEqual(t, "PolicyAttachments(a1)", atts, []iam.Attachment{
			{Kind: iam.OwnerUser, OwnerID: u.ID, PolicyARN: a1}, {Kind: iam.OwnerGroup, OwnerID: g.ID, PolicyARN: a1},
			{Kind: iam.OwnerRole, OwnerID: r.ID, PolicyARN: a1},
		})
		all, err := tx.AllAttachments()
		noErr(t, "AllAttachments", err)
		if len(all) != 4 {
			t.Errorf("AllAttachments = %d, want 4", len(all))
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DetachPolicy", tx.DetachPolicy(iam.Attachment{Kind: iam.OwnerGroup, OwnerID: g.ID, PolicyARN: a1}))
		wantErr(t, "DetachPolicy again", tx.DetachPolicy(iam.Attachment{Kind: iam.OwnerGroup, OwnerID: g.ID, PolicyARN: a1}), iam.ErrNotFound)
		arns, err := tx.AttachedPolicies(iam.OwnerGroup, g.ID)
		noErr(t, "AttachedPolicies(group)", err)
		rpEqual(t, "AttachedPolicies(group) after detach", arns, []string(nil))
		return nil
	})
}

func testBoundaryUses(t *testing.T, s iam.Store) {
	const b = "arn:aws:iam::aws:policy/PowerUserAccess"
	u1, u2 := newUser(1, 1, "a"), newUser(1, 2, "b")
	u1.PermissionsBoundary = b
	r := newRole(1, 1, "app")
	r.PermissionsBoundary = b
	create(t, s, newAccount(1), u1, u2)
	update(t, s, func(tx iam.Tx) error { return tx.CreateRole(r) })
	view(t, s, func(tx iam.Tx) error {
		n, err := tx.CountBoundaryUses(b)
		if n != 2 || err != nil {
			t.Errorf("CountBoundaryUses = %d, %v, want 2", n, err)
		}
		n, err = tx.CountBoundaryUses("arn:aws:iam::aws:policy/Other")
		if n != 0 || err != nil {
			t.Errorf("CountBoundaryUses(other) = %d, %v, want 0", n, err)
		}
		return nil
	})
}

func testRolePolicyChanges(t *testing.T, s iam.Store) {
	u, g, r, p := newUser(1, 1, "alice"), newGroup(1, 1, "devs"), newRole(1, 1, "app"), newPolicy(1, 1, "pol")
	create(t, s, newAccount(1), u, g)
	steps := []struct {
		what string
		fn   func(tx iam.Tx) error
		want []iam.Change
	}{
		{"CreateRole", func(tx iam.Tx) error { return tx.CreateRole(r) }, []iam.Change{{Kind: iam.ChangeRole, ID: r.ID}}},
		{"UpdateRole", func(tx iam.Tx) error { return tx.UpdateRole(r) }, []iam.Change{{Kind: iam.ChangeRole, ID: r.ID}}},
		{"CreatePolicy+Version", func(tx iam.Tx) error {
			if err := tx.CreatePolicy(p); err != nil {
				return err
			}
			return tx.CreatePolicyVersion(&iam.PolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: "{}", CreateDate: base})
		}, []iam.Change{{Kind: iam.ChangePolicy, ID: p.ID}, {Kind: iam.ChangePolicy, ID: p.ID}}},
		{"PutInlinePolicy(user)", func(tx iam.Tx) error {
			return tx.PutInlinePolicy(&iam.InlinePolicy{Kind: iam.OwnerUser, OwnerID: u.ID, Name: "p", Document: "{}"})
		}, []iam.Change{{Kind: iam.ChangeUserPolicy, ID: u.ID}}},
		{"PutInlinePolicy(group)", func(tx iam.Tx) error {
			return tx.PutInlinePolicy(&iam.InlinePolicy{Kind: iam.OwnerGroup, OwnerID: g.ID, Name: "p", Document: "{}"})
		}, []iam.Change{{Kind: iam.ChangeGroupPolicy, ID: g.ID}}},
		{"PutInlinePolicy(role)", func(tx iam.Tx) error {
			return tx.PutInlinePolicy(&iam.InlinePolicy{Kind: iam.OwnerRole, OwnerID: r.ID, Name: "p", Document: "{}"})
		}, []iam.Change{{Kind: iam.ChangeRolePolicy, ID: r.ID}}},
		{"AttachPolicy(user, group, role)", func(tx iam.Tx) error {
			for _, a := range []iam.Attachment{{Kind: iam.OwnerUser, OwnerID: u.ID, PolicyARN: p.ARN()},
				{Kind: iam.OwnerGroup, OwnerID: g.ID, PolicyARN: p.ARN()}, {Kind: iam.OwnerRole, OwnerID: r.ID, PolicyARN: p.ARN()}} {
				if err := tx.AttachPolicy(a); err != nil {
					return err
				}
			}
			return nil
		}, []iam.Change{{Kind: iam.ChangeUserAttachment, ID: u.ID}, {Kind: iam.ChangeGroupAttachment, ID: g.ID}, {Kind: iam.ChangeRoleAttachment, ID: r.ID}}},
		{"DetachPolicy(role)", func(tx iam.Tx) error {
			return tx.DetachPolicy(iam.Attachment{Kind: iam.OwnerRole, OwnerID: r.ID, PolicyARN: p.ARN()})
		}, []iam.Change{{Kind: iam.ChangeRoleAttachment, ID: r.ID}}},
		{"DeleteInlinePolicy(role)+DeleteRole", func(tx iam.Tx) error {
			if err := tx.DeleteInlinePolicy(iam.OwnerRole, r.ID, "p"); err != nil {
				return err
			}
			return tx.DeleteRole(r.ID)
		}, []iam.Change{{Kind: iam.ChangeRolePolicy, ID: r.ID}, {Kind: iam.ChangeRole, ID: r.ID}}},
		{"DeletePolicyVersion", func(tx iam.Tx) error { return tx.DeletePolicyVersion(p.ID, "v1") },
			[]iam.Change{{Kind: iam.ChangePolicy, ID: p.ID}}},
	}
	for _, st := range steps {
		before := revision(t, s)
		update(t, s, st.fn)
		checkFeed(t, st.what, changesAfter(t, s, before), before, st.want)
	}
}

func newProfile(acct, n int, name string) *iam.InstanceProfile {
	return &iam.InstanceProfile{ID: fmt.Sprintf("AIPA%017d", n), AccountID: accountID(acct), Name: name, Path: "/",
		CreateDate: at(time.Duration(n) * time.Minute)}
}

func testInstanceProfiles(t *testing.T, s iam.Store) {
	web, db := newProfile(1, 1, "Web"), newProfile(1, 2, "db")
	db.Path = "/data/"
	db.Tags = []iam.Tag{{Key: "k", Value: "v"}}
	r := newRole(1, 1, "app")
	create(t, s, newAccount(1))
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateRole", tx.CreateRole(r))
		noErr(t, "CreateInstanceProfile(Web)", tx.CreateInstanceProfile(web))
		noErr(t, "CreateInstanceProfile(db)", tx.CreateInstanceProfile(db))
		wantErr(t, "CreateInstanceProfile(WEB)", tx.CreateInstanceProfile(newProfile(1, 3, "WEB")), iam.ErrExists)
		return nil
	})
	before := revision(t, s)
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "AddInstanceProfileRole", tx.AddInstanceProfileRole(web.ID, r.ID))
		noErr(t, "AddInstanceProfileRole(again)", tx.AddInstanceProfileRole(web.ID, r.ID))
		wantErr(t, "AddInstanceProfileRole(missing role)", tx.AddInstanceProfileRole(web.ID, roleID(99)), iam.ErrNotFound)
		return nil
	})
	checkFeed(t, "AddInstanceProfileRole", changesAfter(t, s, before), before,
		[]iam.Change{{Kind: iam.ChangeInstanceProfile, ID: web.ID}})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.InstanceProfile(accountID(1), "web")
		noErr(t, "InstanceProfile(web)", err)
		if got.ID != web.ID || !slices.Equal(got.RoleIDs, []string{r.ID}) || !normTime(got.CreateDate).Equal(normTime(web.CreateDate)) {
			t.Errorf("InstanceProfile(web) = %+v", got)
		}
		got, err = tx.InstanceProfileByID(db.ID)
		noErr(t, "InstanceProfileByID(db)", err)
		if got.Name != "db" || got.Path != "/data/" || len(got.RoleIDs) != 0 || !reflect.DeepEqual(got.Tags, db.Tags) {
			t.Errorf("InstanceProfileByID(db) = %+v", got)
		}
		_, err = tx.InstanceProfile(accountID(1), "none")
		wantErr(t, "InstanceProfile(none)", err, iam.ErrNotFound)
		list, err := tx.InstanceProfiles(accountID(1), iam.ListQuery{})
		noErr(t, "InstanceProfiles", err)
		if len(list) != 2 || list[0].Name != "db" || list[1].Name != "Web" {
			t.Errorf("InstanceProfiles = %v", list)
		}
		list, err = tx.InstanceProfiles(accountID(1), iam.ListQuery{PathPrefix: "/data/"})
		noErr(t, "InstanceProfiles(/data/)", err)
		if len(list) != 1 || list[0].Name != "db" {
			t.Errorf("InstanceProfiles(/data/) = %v", list)
		}
		forRole, err := tx.InstanceProfilesForRole(r.ID)
		noErr(t, "InstanceProfilesForRole", err)
		if len(forRole) != 1 || forRole[0].ID != web.ID {
			t.Errorf("InstanceProfilesForRole = %v", forRole)
		}
		n, err := tx.CountInstanceProfiles(accountID(1))
		if n != 2 || err != nil {
			t.Errorf("CountInstanceProfiles = %d, %v", n, err)
		}
		return nil
	})
	// A role in a profile cannot be deleted from under it.
	err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteRole(r.ID) })
	view(t, s, func(tx iam.Tx) error {
		got, perr := tx.InstanceProfileByID(web.ID)
		noErr(t, "InstanceProfileByID(web)", perr)
		if _, rerr := tx.RoleByID(r.ID); rerr != nil && len(got.RoleIDs) > 0 {
			t.Errorf("role deleted (%v) but the profile still names it", err)
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		if _, err := tx.RoleByID(r.ID); err == nil {
			noErr(t, "RemoveInstanceProfileRole", tx.RemoveInstanceProfileRole(web.ID, r.ID))
			wantErr(t, "RemoveInstanceProfileRole(again)", tx.RemoveInstanceProfileRole(web.ID, r.ID), iam.ErrNotFound)
		}
		db2 := *db
		db2.Tags = nil
		noErr(t, "UpdateInstanceProfile", tx.UpdateInstanceProfile(&db2))
		got, err := tx.InstanceProfileByID(db.ID)
		noErr(t, "InstanceProfileByID(db)", err)
		if len(got.Tags) != 0 {
			t.Errorf("tags after update = %v", got.Tags)
		}
		noErr(t, "DeleteInstanceProfile", tx.DeleteInstanceProfile(web.ID))
		wantErr(t, "DeleteInstanceProfile(again)", tx.DeleteInstanceProfile(web.ID), iam.ErrNotFound)
		return nil
	})
}
