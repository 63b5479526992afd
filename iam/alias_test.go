package iam_test

import (
	"testing"

	"github.com/iamd/iamd/iam"
)

func TestAccountAliases(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	aliases := func(p *iam.Principal) []string {
		t.Helper()
		page, err := f.svc.ListAccountAliases(ctx, p, iam.ListInput{})
		noErr(t, err)
		return page.Items
	}
	if got := aliases(f.root); len(got) != 0 {
		t.Fatalf("aliases = %q, want none", got)
	}
	noErr(t, f.svc.CreateAccountAlias(ctx, f.root, "example-corp"))
	wantErr(t, f.svc.CreateAccountAlias(ctx, f.root, "example-corp"), iam.CodeEntityAlreadyExists,
		"The account alias example-corp already exists.")
	// A second alias replaces the first: an account holds one.
	noErr(t, f.svc.CreateAccountAlias(ctx, f.root, "example-prod"))
	if got := aliases(f.root); len(got) != 1 || got[0] != "example-prod" {
		t.Fatalf("aliases = %q, want [example-prod]", got)
	}
	// Aliases are unique across the deployment.
	other := f.otherRoot(t, "444455556666")
	wantErr(t, f.svc.CreateAccountAlias(ctx, other, "example-prod"), iam.CodeEntityAlreadyExists, "")
	noErr(t, f.svc.CreateAccountAlias(ctx, other, "example-corp"))
	// A failed replacement keeps the current alias.
	wantErr(t, f.svc.CreateAccountAlias(ctx, f.root, "example-corp"), iam.CodeEntityAlreadyExists, "")
	if got := aliases(f.root); len(got) != 1 || got[0] != "example-prod" {
		t.Fatalf("aliases after failed replacement = %q", got)
	}
	wantErr(t, f.svc.DeleteAccountAlias(ctx, f.root, "example-corp"), iam.CodeNoSuchEntity, "The account alias example-corp cannot be found.")
	noErr(t, f.svc.DeleteAccountAlias(ctx, f.root, "example-prod"))
	if got := aliases(f.root); len(got) != 0 {
		t.Fatalf("aliases after delete = %q", got)
	}
}

func TestSTSPreferences(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	v, err := f.svc.STSPreferences(ctx, account)
	if v != iam.TokenVersion1 || err != nil {
		t.Fatalf("default = %s, %v", v, err)
	}
	noErr(t, f.svc.SetSTSPreferences(ctx, f.root, iam.TokenVersion2))
	if v, _ := f.svc.STSPreferences(ctx, account); v != iam.TokenVersion2 {
		t.Fatalf("after set = %s", v)
	}
	user := &iam.Principal{Type: iam.PrincipalUser, AccountID: account, ARN: "arn:aws:iam::" + account + ":user/u", UserName: "u"}
	wantErr(t, f.svc.SetSTSPreferences(ctx, user, iam.TokenVersion1), iam.CodeAccessDenied, "")
}
