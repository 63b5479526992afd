package iam_test

import (
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// asUser returns the user's principal as a request from region would carry
// it.
func (f *fixture) asUser(t *testing.T, name, region string) *iam.Principal {
	t.Helper()
	k, err := f.svc.CreateAccessKey(t.Context(), f.root, name)
	if err != nil {
		t.Fatal(err)
	}
	p := *f.svc.Authenticate(k.Key.ID).Principal
	p.Request = &iam.RequestInfo{Region: region}
	return &p
}

func TestAccessAdvisor(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "alice")
	f.mustUser(t, "bob")
	f.mustGroup(t, "dev")
	for _, u := range []string{"alice", "bob"} {
		if err := f.svc.AddUserToGroup(ctx, f.root, "dev", u); err != nil {
			t.Fatal(err)
		}
	}
	mustOK(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerGroup, "dev", "ReadIAM", allow("iam:Get*")))
	pol := f.mustPolicy(t, "WhoAmI", allow("sts:GetCallerIdentity"))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "alice", pol.ARN))

	alice := f.asUser(t, "alice", "eu-west-1")
	f.now = f.now.Add(time.Minute)
	first := f.now
	if _, err := f.svc.GetUser(ctx, alice, "bob"); err != nil {
		t.Fatal(err)
	}
	// Denied requests are not accesses.
	if _, err := f.svc.ListUsers(ctx, alice, iam.ListInput{}); err == nil {
		t.Fatal("ListUsers allowed, want AccessDenied")
	}

	aliceARN := "arn:aws:iam::" + account + ":user/alice"
	groupARN := "arn:aws:iam::" + account + ":group/dev"
	job := func(arn, granularity string) *iam.AdvisorPage[iam.ServiceLastAccessed] {
		t.Helper()
		id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, arn, granularity)
		if err != nil {
			t.Fatalf("GenerateServiceLastAccessedDetails(%s): %v", arn, err)
		}
		if len(id) != 36 {
			t.Errorf("JobId %q is not 36 characters", id)
		}
		p, err := f.svc.GetServiceLastAccessedDetails(ctx, f.root, id, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	byNS := func(items []iam.ServiceLastAccessed) map[string]iam.ServiceLastAccessed {
		m := map[string]iam.ServiceLastAccessed{}
		for _, s := range items {
			m[s.ServiceNamespace] = s
		}
		return m
	}

	user := byNS(job(aliceARN, "").Items)
	if len(user) != 2 {
		t.Fatalf("alice's report lists %v, want iam and sts", user)
	}
	if s := user["iam"]; s.ServiceName != "AWS Identity and Access Management" || !s.LastAuthenticated.Equal(first) ||
		s.LastAuthenticatedEntity != aliceARN || s.LastAuthenticatedRegion != "eu-west-1" || s.TotalAuthenticatedEntities != 1 ||
		s.TrackedActions != nil {
		t.Errorf("alice iam = %+v", s)
	}
	if s := user["sts"]; s.ServiceName != "AWS Security Token Service" || !s.LastAuthenticated.IsZero() || s.TotalAuthenticatedEntities != 0 {
		t.Errorf("alice sts = %+v, want granted but not accessed", s)
	}

	group := byNS(job(groupARN, iam.GranularityAction).Items)
	if len(group) != 1 {
		t.Fatalf("dev's report lists %v, want iam only", group)
	}
	g := group["iam"]
	if !g.LastAuthenticated.Equal(first) || g.LastAuthenticatedEntity != aliceARN {
		t.Errorf("dev iam = %+v, want alice's use", g)
	}
	actions := map[string]iam.TrackedAction{}
	for _, a := range g.TrackedActions {
		actions[a.ActionName] = a
	}
	if a, ok := actions["GetUser"]; !ok || !a.LastAccessedTime.Equal(first) || a.LastAccessedRegion != "eu-west-1" {
		t.Errorf("tracked GetUser = %+v, %v", a, ok)
	}
	if a, ok := actions["GetGroup"]; !ok || !a.LastAccessedTime.IsZero() {
		t.Errorf("tracked GetGroup = %+v, %v; want granted, never accessed", a, ok)
	}
	if _, ok := actions["CreateUser"]; ok {
		t.Error("tracked actions list CreateUser, which dev's policy does not allow")
	}

	// The policy's report: sts granted, not used yet.
	pr := byNS(job(pol.ARN, "").Items)
	if s, ok := pr["sts"]; len(pr) != 1 || !ok || !s.LastAuthenticated.IsZero() {
		t.Errorf("WhoAmI report = %+v", pr)
	}

	// Entities: dev's members, with alice's last use.
	id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, groupARN, "")
	mustOK(t, err)
	ents, err := f.svc.GetServiceLastAccessedDetailsWithEntities(ctx, f.root, id, "iam", "", 1)
	mustOK(t, err)
	if len(ents.Items) != 1 || !ents.IsTruncated || ents.Items[0].Name != "alice" || !ents.Items[0].LastAuthenticated.Equal(first) {
		t.Errorf("entities page 1 = %+v", ents)
	}
	ents, err = f.svc.GetServiceLastAccessedDetailsWithEntities(ctx, f.root, id, "iam", ents.Marker, 1)
	mustOK(t, err)
	if len(ents.Items) != 1 || ents.IsTruncated || ents.Items[0].Name != "bob" || !ents.Items[0].LastAuthenticated.IsZero() {
		t.Errorf("entities page 2 = %+v", ents)
	}

	lp, err := f.svc.ListPoliciesGrantingServiceAccess(ctx, f.root, aliceARN, []string{"iam", "sts", "s3"})
	mustOK(t, err)
	if len(lp) != 3 || len(lp[0].Policies) != 1 || lp[0].Policies[0] != (iam.PolicyGrantingAccess{
		PolicyName: "ReadIAM", PolicyType: "INLINE", EntityType: "GROUP", EntityName: "dev"}) ||
		len(lp[1].Policies) != 1 || lp[1].Policies[0].PolicyARN != pol.ARN || lp[1].Policies[0].PolicyType != "MANAGED" ||
		len(lp[2].Policies) != 0 {
		t.Errorf("ListPoliciesGrantingServiceAccess = %+v", lp)
	}

	for _, tc := range []struct {
		arn  string
		code iam.Code
	}{
		{"arn:aws:iam::" + account + ":user/nobody", iam.CodeNoSuchEntity},
		{"arn:aws:iam::" + account + ":role/none", iam.CodeNoSuchEntity},
		{"arn:aws:iam::999999999999:user/alice", iam.CodeAccessDenied}, // another account
		{"arn:aws:s3:::bucket/key", iam.CodeInvalidInput},
		{"not-an-arn-at-all-really", iam.CodeInvalidInput},
		{"arn:aws:iam::notanaccount:user/alice", iam.CodeInvalidInput}, // not another account: no account at all
		{"arn:aws:iam::" + account + ":user/", iam.CodeInvalidInput},
	} {
		_, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, tc.arn, "")
		wantCode(t, err, tc.code)
		_, err = f.svc.ListPoliciesGrantingServiceAccess(ctx, f.root, tc.arn, []string{"iam"})
		wantCode(t, err, tc.code)
	}
	_, err = f.svc.GetServiceLastAccessedDetails(ctx, f.root, "00000000-0000-4000-8000-000000000000", "", 0)
	wantCode(t, err, iam.CodeNoSuchEntity)
	wantCode(t, f.svc.GenerateOrganizationsAccessReport(ctx, f.root), iam.CodeOrganizationNotFound)
	wantCode(t, f.svc.GetOrganizationsAccessReport(ctx, f.root, "00000000-0000-4000-8000-000000000000"), iam.CodeNoSuchEntity)
	_, err = f.svc.ListPoliciesGrantingServiceAccess(ctx, f.root, pol.ARN, []string{"iam"})
	wantCode(t, err, iam.CodeInvalidInput) // identities only
	_, err = f.svc.GenerateServiceLastAccessedDetails(ctx, alice, aliceARN, "")
	wantCode(t, err, iam.CodeAccessDenied)
}

func TestLastUsedIsRecordedAndFlushed(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	r := f.mustRole(t, "app")
	u := f.mustUser(t, "dave")
	f.now = f.now.Add(time.Hour)
	sess := &iam.Principal{Type: iam.PrincipalAssumedRole, AccountID: account, Session: &iam.Session{Kind: iam.SessionRole, RoleID: r.ID}}
	f.svc.RecordSessionUse(sess, "ap-south-1")
	f.svc.RecordPasswordUse(account, u.ID)
	f.svc.RecordPasswordUse(account, "") // root
	if got, _ := f.svc.GetRole(ctx, f.root, "app"); !got.LastUsedDate.IsZero() {
		t.Fatalf("RoleLastUsed before flush = %v, want none yet", got.LastUsedDate)
	}
	mustOK(t, f.svc.FlushActivity(ctx))
	got, err := f.svc.GetRole(ctx, f.root, "app")
	mustOK(t, err)
	if !got.LastUsedDate.Equal(f.now) || got.LastUsedRegion != "ap-south-1" {
		t.Errorf("RoleLastUsed = %v %q, want %v ap-south-1", got.LastUsedDate, got.LastUsedRegion, f.now)
	}
	if rt, err := f.svc.RootPasswordLastUsed(ctx, account); err != nil || !rt.Equal(f.now) {
		t.Errorf("RootPasswordLastUsed = %v, %v; want %v", rt, err, f.now)
	}
	gu, err := f.svc.GetUser(ctx, f.root, "dave")
	mustOK(t, err)
	if !gu.PasswordLastUsed.Equal(f.now) {
		t.Errorf("PasswordLastUsed = %v, want %v", gu.PasswordLastUsed, f.now)
	}
	// A password used again within five minutes keeps its first use, as
	// AWS reports it; a later use moves the date on.
	first := f.now
	for _, tc := range []struct {
		after time.Duration
		want  time.Time
	}{{2 * time.Minute, first}, {6 * time.Minute, first.Add(6 * time.Minute)}} {
		f.now = first.Add(tc.after)
		f.svc.RecordPasswordUse(account, u.ID)
		mustOK(t, f.svc.FlushActivity(ctx))
		if gu, _ := f.svc.GetUser(ctx, f.root, "dave"); !gu.PasswordLastUsed.Equal(tc.want) {
			t.Errorf("PasswordLastUsed after a use at +%v = %v, want %v", tc.after, gu.PasswordLastUsed, tc.want)
		}
	}
	f.now = first

	// An older use recorded later does not move the date back.
	then := f.now
	f.now = f.now.Add(-time.Minute)
	f.svc.RecordSessionUse(sess, "us-east-1")
	mustOK(t, f.svc.FlushActivity(ctx))
	if got, _ := f.svc.GetRole(ctx, f.root, "app"); !got.LastUsedDate.Equal(then) {
		t.Errorf("RoleLastUsed after an older use = %v, want %v", got.LastUsedDate, then)
	}
}

// An AWS managed policy's access report is every account's to ask for, as
// its GetPolicy is: the console shows Access Advisor for AWS policies too.
func TestAccessAdvisorAWSManagedPolicy(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	f.mustUser(t, "carol")
	f.mustUser(t, "dave")
	mustOK(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "carol", "advisor", allow("iam:GenerateServiceLastAccessedDetails")))
	carol := f.asUser(t, "carol", "us-east-1")
	dave := f.asUser(t, "dave", "us-east-1")
	for _, tc := range []struct {
		name string
		who  *iam.Principal
		arn  string
		code iam.Code // "": allowed
	}{
		{"root", f.root, admin, ""},
		{"allowed user", carol, admin, ""},
		{"user without permission", dave, admin, iam.CodeAccessDenied},
		{"missing AWS policy", f.root, "arn:aws:iam::aws:policy/NoSuchPolicyAtAll", iam.CodeNoSuchEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, tc.who, tc.arn, iam.GranularityService)
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			mustOK(t, err)
			page, err := f.svc.GetServiceLastAccessedDetails(ctx, f.root, id, "", 1000)
			mustOK(t, err)
			// "*" reaches every service of the fixture's catalog.
			var got []string
			for _, s := range page.Items {
				got = append(got, s.ServiceNamespace)
			}
			if !slices.Contains(got, "iam") || !slices.Contains(got, "sts") {
				t.Errorf("AdministratorAccess report lists %v, want iam and sts", got)
			}
		})
	}
}

// TrackedActionsLastAccessed is null while none of a tracked service's
// actions was used (API reference, ServiceLastAccessed), and lists the
// allowed actions, used or not, once one was.
func TestAccessAdvisorTrackedActionsUntilUsed(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	for _, tc := range []struct {
		user    string
		use     bool
		tracked bool
	}{
		{"idle", false, false},
		{"busy", true, true},
	} {
		t.Run(tc.user, func(t *testing.T) {
			f.mustUser(t, tc.user)
			mustOK(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, tc.user, "read", allow("iam:Get*")))
			if tc.use {
				if _, err := f.svc.GetUser(ctx, f.asUser(t, tc.user, "us-east-1"), tc.user); err != nil {
					t.Fatal(err)
				}
			}
			id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, "arn:aws:iam::"+account+":user/"+tc.user, iam.GranularityAction)
			mustOK(t, err)
			page, err := f.svc.GetServiceLastAccessedDetails(ctx, f.root, id, "", 0)
			mustOK(t, err)
			if len(page.Items) != 1 || page.Items[0].ServiceNamespace != "iam" {
				t.Fatalf("report lists %+v, want iam only", page.Items)
			}
			if got := page.Items[0].TrackedActions != nil; got != tc.tracked {
				t.Errorf("TrackedActions = %+v, want present %v", page.Items[0].TrackedActions, tc.tracked)
			}
		})
	}
}

// GetServiceLastAccessedDetailsWithEntities lists the most recent access
// first (API reference), whatever the names; the never used follow by ARN.
func TestAccessAdvisorEntitiesNewestFirst(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustGroup(t, "ops")
	mustOK(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerGroup, "ops", "read", allow("iam:Get*")))
	for _, u := range []string{"amy", "bea", "yan", "zed"} {
		f.mustUser(t, u)
		mustOK(t, f.svc.AddUserToGroup(ctx, f.root, "ops", u))
	}
	// yan, then zed, use the group's policy; amy and bea never do.
	for _, u := range []string{"yan", "zed"} {
		f.now = f.now.Add(time.Minute)
		if _, err := f.svc.GetUser(ctx, f.asUser(t, u, "us-east-1"), u); err != nil {
			t.Fatal(err)
		}
	}
	id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, "arn:aws:iam::"+account+":group/ops", "")
	mustOK(t, err)
	var got []string
	marker := ""
	for range 5 {
		page, err := f.svc.GetServiceLastAccessedDetailsWithEntities(ctx, f.root, id, "iam", marker, 1)
		mustOK(t, err)
		for _, e := range page.Items {
			got = append(got, e.Name)
		}
		if !page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if want := []string{"zed", "yan", "amy", "bea"}; !slices.Equal(got, want) {
		t.Errorf("entities = %v, want %v", got, want)
	}
}

// TestAccessAdvisorPolicyEntities: a policy report's entities are "users or
// roles that could have used the policy" (API reference,
// GetServiceLastAccessedDetailsWithEntities): the members of a group the
// policy is attached to are listed as users, the group itself is not, and a
// user the policy reaches both directly and through a group is listed once.
func TestAccessAdvisorPolicyEntities(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	pol := f.mustPolicy(t, "ReadIAM", allow("iam:Get*"))
	f.mustUser(t, "direct")
	f.mustUser(t, "member")
	f.mustUser(t, "outsider")
	f.mustGroup(t, "team")
	f.mustRole(t, "worker")
	for _, u := range []string{"direct", "member"} {
		mustOK(t, f.svc.AddUserToGroup(ctx, f.root, "team", u))
	}
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerGroup, "team", pol.ARN))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "direct", pol.ARN))
	mustOK(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerRole, "worker", pol.ARN))
	f.now = f.now.Add(time.Minute)
	used := f.now
	if _, err := f.svc.GetUser(ctx, f.asUser(t, "member", "us-east-1"), "member"); err != nil {
		t.Fatal(err)
	}

	id, err := f.svc.GenerateServiceLastAccessedDetails(ctx, f.root, pol.ARN, "")
	mustOK(t, err)
	page, err := f.svc.GetServiceLastAccessedDetailsWithEntities(ctx, f.root, id, "iam", "", 100)
	mustOK(t, err)
	type ent struct{ typ, name string }
	var got []ent
	for _, e := range page.Items {
		got = append(got, ent{e.Type, e.Name})
		if e.Name == "member" && !e.LastAuthenticated.Equal(used) {
			t.Errorf("member LastAuthenticated = %v, want %v", e.LastAuthenticated, used)
		}
	}
	// The most recent access first, then the never used by ARN (role/ sorts
	// before user/).
	want := []ent{{"USER", "member"}, {"ROLE", "worker"}, {"USER", "direct"}}
	if !slices.Equal(got, want) {
		t.Errorf("policy report entities = %v, want %v", got, want)
	}
}
