package authzapi_test

import (
	"testing"

	"github.com/iamd/iamd/authzclient"
)

// TestBatchContextsDoNotLeak: each check of a batch is decided with its
// own context keys only, whatever the checks before it carried (iam
// reuses the principal's part of the context between checks).
func TestBatchContextsDoNotLeak(t *testing.T) {
	f := newFixture(t)
	inNet := map[string][]string{"aws:SourceIp": {"10.1.2.3"}}
	outNet := map[string][]string{"aws:SourceIp": {"192.0.2.9"}}
	del := func(ctx map[string][]string) authzclient.Check {
		return authzclient.Check{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::data/x", Context: ctx}
	}
	checks := []authzclient.Check{del(nil), del(inNet), del(nil), del(nil), del(outNet), del(inNet), del(inNet), del(nil), del(map[string][]string{})}
	want := []string{"ImplicitDeny", "Allow", "ImplicitDeny", "ImplicitDeny", "ImplicitDeny", "Allow", "Allow", "ImplicitDeny", "ImplicitDeny"}
	out, err := f.caller.AuthorizeBatch(t.Context(), &authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, r := range out.Results {
		if r.Decision != want[i] {
			t.Errorf("check %d (context %v): %s, want %s", i, checks[i].Context, r.Decision, want[i])
		}
	}
}
