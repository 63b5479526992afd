package iam_test

import (
	"testing"

	"github.com/iamd/iamd/iam"
)

// TestAuthorizePassRole checks iam:PassRole with the keys AWS supplies
// for it: iam:PassedToService, iam:AssociatedResourceArn, and the role's
// tags as aws:ResourceTag and iam:ResourceTag.
func TestAuthorizePassRole(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	svc, root := f.svc, f.root
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct {
		name string
		tags []iam.Tag
	}{{"app", []iam.Tag{{Key: "team", Value: "blue"}}}, {"admin", nil}, {"other", []iam.Tag{{Key: "team", Value: "red"}}}} {
		_, err := svc.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: r.name, AssumeRolePolicyDocument: trust, Tags: r.tags})
		must(err)
	}
	_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "dev"})
	must(err)
	must(svc.PutInlinePolicy(ctx, root, iam.OwnerUser, "dev", "pass", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/app",
		 "Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/admin",
		 "Condition":{"ArnLike":{"iam:AssociatedResourceArn":"arn:aws:ec2:*:*:instance/i-allowed*"}}},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"red","iam:ResourceTag/team":"red","iam:PassedToService":"lambda.amazonaws.com"}}}]}`))
	k, err := svc.CreateAccessKey(ctx, root, "dev")
	must(err)
	dev := svc.Authenticate(k.Key.ID).Principal
	role := func(name string) string { return "arn:aws:iam::" + account + ":role/" + name }

	for _, tc := range []struct {
		name, role, service, associated string
		allow                           bool
	}{
		{"matching service", role("app"), "ec2.amazonaws.com", "", true},
		{"other service", role("app"), "lambda.amazonaws.com", "", false},
		{"no service", role("app"), "", "", false},
		{"associated resource matches", role("admin"), "ec2.amazonaws.com", "arn:aws:ec2:us-east-1:" + account + ":instance/i-allowed1", true},
		{"associated resource differs", role("admin"), "ec2.amazonaws.com", "arn:aws:ec2:us-east-1:" + account + ":instance/i-other", false},
		{"associated resource absent", role("admin"), "ec2.amazonaws.com", "", false},
		{"role tag matches", role("other"), "lambda.amazonaws.com", "", true},
		{"role tag matches, wrong service", role("other"), "ec2.amazonaws.com", "", false},
		{"missing role, tag unknown", role("ghost"), "lambda.amazonaws.com", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.associated != "" {
				err = svc.AuthorizePassRole(dev, tc.role, tc.service, tc.associated)
			} else {
				err = svc.AuthorizePassRole(dev, tc.role, tc.service)
			}
			if (err == nil) != tc.allow {
				t.Fatalf("AuthorizePassRole(%s, %s) = %v, want allowed=%v", tc.role, tc.service, err, tc.allow)
			}
			if err != nil && iam.ErrorCode(err) != iam.CodeAccessDenied {
				t.Fatalf("error code = %s, want AccessDenied", iam.ErrorCode(err))
			}
		})
	}
	// The root user passes any role of its account.
	must(svc.AuthorizePassRole(root, role("admin"), "ec2.amazonaws.com"))
}

// BenchmarkAuthorizePassRole measures an authorization with operation
// condition keys (iam:PassedToService and the role's tags as
// aws:ResourceTag and iam:ResourceTag), next to BenchmarkAuthorize's
// calls that carry none.
func BenchmarkAuthorizePassRole(b *testing.B) {
	svc, p, root := authzFixture(b)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := svc.CreateRole(b.Context(), root, iam.CreateRoleInput{RoleName: "app", AssumeRolePolicyDocument: trust,
		Tags: []iam.Tag{{Key: "team", Value: "core"}, {Key: "env", Value: "prod"}}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = svc.AuthorizePassRole(p, "arn:aws:iam::"+account+":role/app", "ec2.amazonaws.com")
	}
}
