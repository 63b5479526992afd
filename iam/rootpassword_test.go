package iam_test

import (
	"testing"

	"github.com/iamd/iamd/iam"
)

func TestRootPassword(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	if ok, err := f.svc.VerifyRootPassword(ctx, account, "anything"); err != nil || ok {
		t.Fatalf("no password set: Verify = %v, %v", ok, err)
	}
	for _, weak := range []string{"short1A", "alllowercaseletters", "ALLUPPER12345"} {
		if err := f.svc.SetRootPassword(ctx, account, weak); err == nil {
			t.Errorf("SetRootPassword(%q) accepted a weak password", weak)
		}
	}
	if err := f.svc.SetRootPassword(ctx, account, "Correct-Horse-9"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.svc.VerifyRootPassword(ctx, account, "Correct-Horse-9"); !ok {
		t.Error("right password refused")
	}
	if ok, _ := f.svc.VerifyRootPassword(ctx, account, "Correct-Horse-8"); ok {
		t.Error("wrong password accepted")
	}
	sum, err := f.svc.GetAccountSummary(ctx, f.root)
	if err != nil || sum["AccountPasswordPresent"] != 1 {
		t.Errorf("AccountPasswordPresent = %d, %v; want 1", sum["AccountPasswordPresent"], err)
	}
}
