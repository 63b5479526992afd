package iam_test

import (
	"testing"

	"github.com/iamd/iamd/iam"
)

// AWS managed policies belong to no account, yet any principal whose own
// policies allow it may read them: they are not cross-account resources
// needing a resource-based policy.
func TestUserReadsAWSManagedPolicy(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	f.mustUser(t, "reader")
	f.mustUser(t, "nobody")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "reader", "all",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	principal := func(name string) *iam.Principal {
		k, err := f.svc.CreateAccessKey(ctx, f.root, name)
		must(err)
		return f.svc.Authenticate(k.Key.ID).Principal
	}
	reader, nobody := principal("reader"), principal("nobody")

	if _, err := f.svc.GetPolicy(ctx, reader, arn); err != nil {
		t.Errorf("GetPolicy with Allow *: %v", err)
	}
	if _, err := f.svc.GetPolicyVersion(ctx, reader, arn, "v1"); err != nil && iam.ErrorCode(err) == iam.CodeAccessDenied {
		t.Errorf("GetPolicyVersion with Allow *: %v", err)
	}
	if _, err := f.svc.ListPolicyVersions(ctx, reader, arn, iam.ListInput{}); err != nil {
		t.Errorf("ListPolicyVersions with Allow *: %v", err)
	}
	_, err := f.svc.GetPolicy(ctx, nobody, arn)
	wantCode(t, err, iam.CodeAccessDenied)
	// A policy's explicit deny still applies.
	must(f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "reader", "deny",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:GetPolicy","Resource":"arn:aws:iam::aws:policy/*"}]}`))
	_, err = f.svc.GetPolicy(ctx, reader, arn)
	wantCode(t, err, iam.CodeAccessDenied)
}
