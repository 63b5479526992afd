package iam_test

import (
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// authzFixture is a user with the policies of a typical engineer: inline
// and managed policies of its own, two groups with theirs, AWS managed
// policies among them, and a permissions boundary.
func authzFixture(tb testing.TB) (*iam.Service, *iam.Principal, *iam.Principal) {
	f := newFixture(tb, iam.Quotas{})
	ctx := tb.Context()
	svc, root := f.svc, f.root
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "eng", Tags: []iam.Tag{{Key: "team", Value: "core"}}})
	must(err)
	doc := func(action, resource string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
	}
	must(svc.PutInlinePolicy(ctx, root, iam.OwnerUser, "eng", "own", doc("iam:Get*", "arn:aws:iam::*:user/${aws:username}")))
	for _, g := range []string{"dev", "ops"} {
		_, err := svc.CreateGroup(ctx, root, "/", g)
		must(err)
		must(svc.AddUserToGroup(ctx, root, g, "eng"))
		must(svc.PutInlinePolicy(ctx, root, iam.OwnerGroup, g, g+"-inline", doc("iam:List"+g+"*", "*")))
	}
	for _, arn := range []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"} {
		must(svc.AttachPolicy(ctx, root, iam.OwnerUser, "eng", arn))
	}
	must(svc.AttachPolicy(ctx, root, iam.OwnerGroup, "ops", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	must(svc.PutUserPermissionsBoundary(ctx, root, "eng", "arn:aws:iam::aws:policy/PowerUserAccess"))
	k, err := svc.CreateAccessKey(ctx, root, "eng")
	must(err)
	p := *svc.Authenticate(k.Key.ID).Principal
	p.Request = &iam.RequestInfo{Time: time.Now(), SourceIP: "127.0.0.1", UserAgent: "aws-cli/2", Region: "us-east-1"}
	return svc, &p, root
}

func TestAuthorizeFixture(t *testing.T) {
	svc, p, _ := authzFixture(t)
	for _, tc := range []struct {
		action, resource string
		allow            bool
	}{
		// PowerUserAccess, the boundary, allows everything except iam:*,
		// organizations:* and account:*, bar a few listed actions.
		{"iam:ListUsers", "arn:aws:iam::111122223333:user/", false},  // IAMReadOnlyAccess allows; the boundary does not
		{"iam:ListRoles", "arn:aws:iam::111122223333:role/", true},   // both allow
		{"iam:GetUser", "arn:aws:iam::111122223333:user/eng", false}, // own-user policy allows; the boundary does not
		{"s3:GetObject", "arn:aws:s3:::bucket/key", true},            // AmazonS3ReadOnlyAccess, inside the boundary
		{"s3:PutObject", "arn:aws:s3:::bucket/key", false},           // no identity policy allows
		{"ec2:DescribeInstances", "*", true},                         // ReadOnlyAccess through group ops
		{"organizations:ListAccounts", "*", false},                   // ReadOnlyAccess allows; the boundary does not
		{"organizations:DescribeOrganization", "*", true},            // both allow
	} {
		err := svc.Authorize(p, tc.action, tc.resource)
		if (err == nil) != tc.allow {
			t.Errorf("Authorize(%s, %s) = %v, want allowed=%v", tc.action, tc.resource, err, tc.allow)
		}
	}
}

// BenchmarkAuthorize measures the authorization a request pays: building
// the condition context and evaluating the cached, compiled policy set of
// the caller against the engine. Nothing is read from the database.
func BenchmarkAuthorize(b *testing.B) {
	svc, p, _ := authzFixture(b)
	for _, tc := range []struct{ name, action, resource string }{
		{"allow-s3-read", "s3:GetObject", "arn:aws:s3:::bucket/key"},
		{"deny-boundary", "iam:GetUser", "arn:aws:iam::111122223333:user/eng"},
		{"deny-implicit", "s3:PutObject", "arn:aws:s3:::bucket/key"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = svc.Authorize(p, tc.action, tc.resource)
			}
		})
	}
}

// BenchmarkAssumeRole measures issuing role credentials: trust-policy
// evaluation, session-token sealing (AES-GCM) and the new secret. No
// database access: credentials live only in the sealed token.
func BenchmarkAssumeRole(b *testing.B) {
	svc, p, root := authzFixture(b)
	ctx := b.Context()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/eng"},"Action":"sts:AssumeRole"}]}`
	if _, err := svc.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: "R", AssumeRolePolicyDocument: trust}); err != nil {
		b.Fatal(err)
	}
	in := iam.AssumeRoleInput{RoleARN: "arn:aws:iam::111122223333:role/R", RoleSessionName: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.AssumeRole(ctx, p, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateSession measures accepting temporary credentials on
// a request: a cache hit after the first use of a token.
func BenchmarkAuthenticateSession(b *testing.B) {
	svc, p, _ := authzFixture(b)
	ctx := b.Context()
	cr, err := svc.GetSessionToken(ctx, p, 0, "", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.AuthenticateSession(cr.AccessKeyID, cr.SessionToken); err != nil {
			b.Fatal(err)
		}
	}
}
