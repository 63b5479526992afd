package authzapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/sqlite"
)

type trailEntry struct {
	RequestID   string
	Endpoint    string
	Principal   *struct{ ARN, Type, AccountID string }
	AccessKeyID string
	Checks      []struct {
		Action, Resource string
		Context          map[string][]string
		ContextKeys      []string
	}
	SourceIPAddress string
	Results         []struct{ Decision, Gate string }
	ErrorCode       string
}

// TestAuditTrail: every call's decisions reach the trail, attributed to
// the calling service, grouped into events, without secrets.
func TestAuditTrail(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const calls = 20
	ids := map[string]bool{}
	for i := range calls {
		out, err := f.caller.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
			Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/" + itoa(i)}})
		if err != nil {
			t.Fatal(err)
		}
		ids[out.RequestID] = true
	}
	batch, err := f.caller.AuthorizeBatch(ctx, &authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Checks: []authzclient.Check{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}, {Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/b"}}})
	if err != nil {
		t.Fatal(err)
	}
	sr := f.signed(t, acct+"/alice", "", "s3", http.MethodGet, "/data/a", nil)
	sr.Path = "/data/tampered"
	_, err = f.caller.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{SignedRequest: sr}, Check: authzclient.Check{Action: "s3:GetObject", Resource: "*"}})
	wantErr(t, err, "SignatureDoesNotMatch", "subject")
	big := map[string][]string{"s3:prefix": {strings.Repeat("p", 3000)}, "aws:SourceIp": {"10.9.8.7"}}
	if _, err := f.caller.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
		Check: authzclient.Check{Action: "s3:ListBucket", Resource: "arn:aws:s3:::data", Context: big}}); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Shutdown(ctx); err != nil { // records the groups still open
		t.Fatal(err)
	}

	db, err := sqlite.Open(ctx, filepath.Join(filepath.Dir(f.srv.CredentialsPath), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var entries []trailEntry
	events := 0
	err = db.ScanAudit(ctx, audit.Query{EventSource: "authz.iamd"}, func(r *audit.Record) error {
		events++
		for _, secret := range []string{f.keys[acct+"/alice"][1], f.keys[acct+"/service"][1], "Signature=", "AWS4-HMAC-SHA256"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("event %d holds a secret (%.12s...)", r.Seq, secret)
			}
		}
		var ev struct {
			UserIdentity       struct{ ARN string }
			RecipientAccountID string
			RequestParameters  struct{ Decisions []trailEntry }
		}
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		if ev.UserIdentity.ARN != "arn:aws:iam::"+acct+":user/service" || ev.RecipientAccountID != acct {
			t.Errorf("event by %s for %s, want the service for %s", ev.UserIdentity.ARN, ev.RecipientAccountID, acct)
		}
		entries = append(entries, ev.RequestParameters.Decisions...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != calls+3 || events > len(entries) {
		t.Fatalf("%d entries in %d events, want %d", len(entries), events, calls+3)
	}
	// Decisions about different accounts (or none, for a subject that did
	// not authenticate) are grouped separately, so the groups may reach
	// the trail in any order: find each entry by what it is.
	var singles int
	var b, fail, large *trailEntry
	for i := range entries {
		e := &entries[i]
		switch {
		case e.RequestID == batch.RequestID:
			b = e
		case e.ErrorCode != "":
			fail = e
		case len(e.Checks) == 1 && e.Checks[0].Action == "s3:ListBucket":
			large = e
		default:
			if !ids[e.RequestID] || e.Principal == nil || e.Principal.ARN != aliceARN || len(e.Results) != 1 || e.Results[0].Decision != "Allow" {
				t.Fatalf("single decision entry %+v", e)
			}
			singles++
		}
	}
	if singles != calls {
		t.Errorf("%d single decision entries, want %d", singles, calls)
	}
	// Large context values are left out; their keys stay.
	if e := large; e == nil || e.Checks[0].Context != nil || strings.Join(e.Checks[0].ContextKeys, ",") != "aws:SourceIp,s3:prefix" || e.SourceIPAddress != "10.9.8.7" {
		t.Fatalf("large-context entry %+v", e)
	}
	if b == nil || len(b.Checks) != 2 || len(b.Results) != 2 || b.Results[1].Decision != "ExplicitDeny" || b.Results[1].Gate != "identity" {
		t.Fatalf("batch entry %+v", b)
	}
	if fail == nil || fail.Principal != nil || fail.ErrorCode != "SignatureDoesNotMatch" || fail.AccessKeyID != f.keys[acct+"/alice"][0] {
		t.Fatalf("failed subject entry %+v", fail)
	}
}
