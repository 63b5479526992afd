package httpapi

import (
	"context"
	"crypto/ed25519"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// recordingAuditor keeps the events it is given without storing them.
type recordingAuditor struct {
	mu     sync.Mutex
	events []*audit.Event
}

func (a *recordingAuditor) Record(_ context.Context, e *audit.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, e)
	return nil
}

func (a *recordingAuditor) Enqueue(e *audit.Event) error { return a.Record(context.Background(), e) }

func (f *auditFixture) intentIDs(t *testing.T) []string {
	t.Helper()
	ins, err := f.db.AuditIntents(t.Context(), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range ins {
		ids = append(ids, in.EventID)
	}
	return ids
}

// TestJournalIntentPerMutation: a mutation's transaction stores its
// event's intent under the event's own ID; a read, a refused change and an
// STS call store none.
func TestJournalIntentPerMutation(t *testing.T) {
	f := newAuditFixture(t, nil)
	rec := &recordingAuditor{}
	f.h.audit = rec // events are not appended: intents stay
	for _, tc := range []struct {
		service string
		form    url.Values
		intent  bool
	}{
		{"iam", iamForm("CreateUser", "UserName", "alice"), true},
		{"iam", iamForm("GetUser", "UserName", "alice"), false},
		{"iam", iamForm("CreateUser", "UserName", "ALICE"), false}, // EntityAlreadyExists
		{"iam", iamForm("TagUser", "UserName", "alice", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"), true},
		{"sts", stsForm("GetCallerIdentity"), false},
	} {
		service, form := tc.service, tc.form
		before := len(f.intentIDs(t))
		f.do(t, rootCreds, service, form)
		rec.mu.Lock()
		e := rec.events[len(rec.events)-1]
		rec.mu.Unlock()
		ids := f.intentIDs(t)
		if got := len(ids) - before; got != map[bool]int{true: 1}[tc.intent] {
			t.Errorf("%s: %d intents stored, want intent: %v", e.EventName, got, tc.intent)
			continue
		}
		if tc.intent && !slices.Contains(ids, e.EventID) {
			t.Errorf("%s: intents %v do not include the event's ID %s", e.EventName, ids, e.EventID)
		}
	}
}

// TestJournalOrdinaryRequestsLeaveNoIntent: with the real writer, each
// mutation has exactly one event and no intent is left behind.
func TestJournalOrdinaryRequestsLeaveNoIntent(t *testing.T) {
	f := newAuditFixture(t, nil)
	for _, form := range []url.Values{
		iamForm("CreateUser", "UserName", "bob"),
		iamForm("CreateGroup", "GroupName", "admins"),
		iamForm("AddUserToGroup", "UserName", "bob", "GroupName", "admins"),
		iamForm("CreateAccessKey", "UserName", "bob"),
		iamForm("DeleteGroup", "GroupName", "admins"), // DeleteConflict: refused
		iamForm("ListUsers"),
	} {
		f.do(t, rootCreds, "iam", form)
	}
	if ids := f.intentIDs(t); len(ids) != 0 {
		t.Errorf("intents left: %v", ids)
	}
	seen := map[string]int{}
	for _, e := range f.events(t) {
		seen[e.EventID]++
		if seen[e.EventID] > 1 {
			t.Errorf("event %s (%s) appended twice", e.EventID, e.EventName)
		}
	}
	if len(seen) != 6 {
		t.Errorf("%d events, want 6", len(seen))
	}
}

// TestJournalAuditFailure: the final event cannot be written, so the
// client gets 500 ServiceFailure, but the user was created; the writer
// (here a restarted one, after the journal's grace period) appends the
// intent, and the trail verifies.
func TestJournalAuditFailure(t *testing.T) {
	f := newAuditFixture(t, nil)
	f.h.audit = failingAuditor{}
	status, body, _ := f.do(t, rootCreds, "iam", iamForm("CreateUser", "UserName", "carol"))
	if status != 500 || elem(body, "Code") != "ServiceFailure" {
		t.Fatalf("HTTP %d %s, want 500 ServiceFailure", status, body)
	}
	ids := f.intentIDs(t)
	if len(ids) != 1 {
		t.Fatalf("intents %v, want the CreateUser one", ids)
	}
	f.w.Close()
	w, err := audit.NewWriter(t.Context(), audit.Config{Store: f.db, Key: f.key,
		Clock: func() time.Time { return time.Now().Add(2 * audit.DefaultJournalGrace) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	f.w = w
	var got []*audit.Event
	for _, e := range f.events(t) {
		if e.EventID == ids[0] {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].EventName != "CreateUser" || got[0].RequestParameters["userName"] != "carol" || got[0].ErrorCode != "" {
		t.Fatalf("events for the intent = %+v, want one CreateUser event", got)
	}
	if left := f.intentIDs(t); len(left) != 0 {
		t.Errorf("intents left after recovery: %v", left)
	}
	rep, err := audit.Verify(t.Context(), f.db, f.key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
}
