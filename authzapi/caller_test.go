package authzapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/iam"
)

// TestCallerCacheNoticesChanges: a caller allowed iamd:Authorize a moment
// ago (its decision cached) is refused on its very next request once its
// permission is removed, its key deactivated or deleted, whether it signs
// its requests or sends a static token; and allowed again once the
// permission is restored.
func TestCallerCacheNoticesChanges(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.user(t, acct, "svc2", allowAll, "")
	k := f.keys[acct+"/svc2"]
	signer := authzclient.New(f.srv.Endpoint(), credentials.NewStaticCredentialsProvider(k[0], k[1], ""))
	body := `{"principalArn":"` + aliceARN + `","action":"s3:GetObject","resource":"arn:aws:s3:::data/a"}`
	req := &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}}
	allowed := func(step string) {
		t.Helper()
		for range 3 { // the first fills the cache, the others use it
			if st, out := f.post(t, "/iamd/authz/v1/authorize", f.token(acct+"/svc2"), body); st != http.StatusOK {
				t.Fatalf("%s: static token: %d %v", step, st, out)
			}
			if _, err := signer.Authorize(ctx, req); err != nil {
				t.Fatalf("%s: signed: %v", step, err)
			}
		}
	}
	refused := func(step, code string) {
		t.Helper()
		st, out := f.post(t, "/iamd/authz/v1/authorize", f.token(acct+"/svc2"), body)
		if e, _ := out["error"].(map[string]any); st != http.StatusForbidden || e["code"] != code || e["source"] != "caller" {
			t.Fatalf("%s: static token: %d %v, want 403 %s", step, st, out, code)
		}
		_, err := signer.Authorize(ctx, req)
		wantErr(t, err, code, "caller")
	}

	allowed("initially")
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "svc2", "p",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iamd:Authorize","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/tier":"gold"}}}]}`); err != nil {
		t.Fatal(err)
	}
	refused("permission made conditional", "AccessDenied")
	if err := f.svc.TagUser(ctx, f.root, "svc2", []iam.Tag{{Key: "tier", Value: "gold"}}); err != nil {
		t.Fatal(err)
	}
	allowed("tag added")
	if err := f.svc.UntagUser(ctx, f.root, "svc2", []string{"tier"}); err != nil {
		t.Fatal(err)
	}
	refused("tag removed", "AccessDenied")
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "svc2", "p", allowAll); err != nil {
		t.Fatal(err)
	}
	allowed("permission restored")
	if err := f.svc.UpdateAccessKey(ctx, f.root, "svc2", k[0], "Inactive"); err != nil {
		t.Fatal(err)
	}
	refused("key deactivated", "InvalidClientTokenId")
	if err := f.svc.UpdateAccessKey(ctx, f.root, "svc2", k[0], "Active"); err != nil {
		t.Fatal(err)
	}
	allowed("key reactivated")
	if err := f.svc.DeleteAccessKey(ctx, f.root, "svc2", k[0]); err != nil {
		t.Fatal(err)
	}
	refused("key deleted", "InvalidClientTokenId")
}

// TestReservedContextKeysRefused: keys iamd derives are refused however
// they are spelled, including past the stack buffer iam lower-cases
// ASCII keys in and with Unicode letters that lower-case to ASCII.
func TestReservedContextKeysRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		key  string
		want int
	}{
		{"aws:PrincipalTag/team", http.StatusBadRequest},
		{"AWS:TOKENISSUETIME", http.StatusBadRequest},
		{"aws:To\u212aenIssueTime", http.StatusBadRequest}, // Kelvin sign
		{"aws:PrincipalTag/" + strings.Repeat("k", 100), http.StatusBadRequest},
		{"aws:PrincipalTag/" + strings.Repeat("\u212a", 30), http.StatusBadRequest},
		{"aws:SourceIp", http.StatusOK},
		{"aws:RequestTag/" + strings.Repeat("k", 100), http.StatusOK},
	} {
		body := `{"principalArn":"` + aliceARN + `","action":"s3:GetObject","resource":"*","context":{"` + tc.key + `":["v"]}}`
		if st, out := f.post(t, "/iamd/authz/v1/authorize", f.token(acct+"/service"), body); st != tc.want {
			t.Errorf("context key %q: %d %v, want %d", tc.key, st, out, tc.want)
		}
	}
}
