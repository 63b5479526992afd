package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
)

// journalTests check AuditJournalTx and its other half, audit.Journal plus
// AppendAudit's settling of intents: a backend whose transactions store
// intents must let the audit writer list them and must delete an intent
// when its event is appended.
var journalTests = []test{
	{"PutList", testJournalPutList},
	{"Settle", testJournalSettle},
}

// journalStore is what a backend with intents implements besides iam.Store.
type journalStore interface {
	audit.Store
	audit.Journal
}

func asJournal(t *testing.T, s iam.Store) journalStore {
	t.Helper()
	js, ok := s.(journalStore)
	if !ok {
		t.Fatalf("%T stores audit intents (iam.AuditJournalTx) but does not implement audit.Store and audit.Journal", s)
	}
	return js
}

func intentIDs(t *testing.T, js journalStore, before time.Time, limit int) []string {
	t.Helper()
	ins, err := js.AuditIntents(ctx(t), before, limit)
	noErr(t, "AuditIntents", err)
	var ids []string
	for _, in := range ins {
		ids = append(ids, in.EventID)
	}
	return ids
}

func testJournalPutList(t *testing.T, s iam.Store) {
	js := asJournal(t, s)
	if ids := intentIDs(t, js, at(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("AuditIntents(empty) = %v", ids)
	}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutAuditIntent(b)", tx.PutAuditIntent("ev-b", at(2*time.Second), []byte(`{"eventID":"ev-b"}`)))
		noErr(t, "PutAuditIntent(a)", tx.PutAuditIntent("ev-a", at(time.Second), []byte(`{"eventID":"ev-a"}`)))
		noErr(t, "PutAuditIntent(c)", tx.PutAuditIntent("ev-c", at(3*time.Second), nil))
		wantErr(t, "PutAuditIntent(duplicate)", tx.PutAuditIntent("ev-a", at(0), []byte("x")), iam.ErrExists)
		return nil
	})
	// Rolled back with its transaction, like the change it journals.
	boom := errors.New("boom")
	if err := s.Update(ctx(t), func(tx iam.Tx) error {
		noErr(t, "PutAuditIntent(rolled back)", tx.PutAuditIntent("ev-rolled-back", at(0), []byte("x")))
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	if err := s.View(ctx(t), func(tx iam.Tx) error { return tx.PutAuditIntent("ev-view", at(0), []byte("x")) }); err == nil {
		t.Error("PutAuditIntent in View succeeded")
	}

	ins, err := js.AuditIntents(ctx(t), at(time.Hour), 10)
	noErr(t, "AuditIntents", err)
	if len(ins) != 3 {
		t.Fatalf("AuditIntents = %d intents, want 3 (ev-a, ev-b, ev-c)", len(ins))
	}
	for i, want := range []struct {
		id      string
		created time.Time
		payload string
	}{{"ev-a", at(time.Second), `{"eventID":"ev-a"}`}, {"ev-b", at(2 * time.Second), `{"eventID":"ev-b"}`}, {"ev-c", at(3 * time.Second), ""}} {
		got := ins[i]
		if got.EventID != want.id || !bytes.Equal(got.Payload, []byte(want.payload)) || got.Created.Location() != time.UTC ||
			got.Created.Truncate(time.Second) != want.created.Truncate(time.Second) {
			t.Errorf("AuditIntents[%d] = %s %v %q, want %s %v %q (oldest first)", i, got.EventID, got.Created, got.Payload,
				want.id, want.created, want.payload)
		}
	}
	// before is exclusive; limit keeps the oldest.
	if ids := intentIDs(t, js, at(2*time.Second), 10); len(ids) != 1 || ids[0] != "ev-a" {
		t.Errorf("AuditIntents(before ev-b) = %v, want [ev-a]", ids)
	}
	if ids := intentIDs(t, js, at(time.Hour), 2); len(ids) != 2 || ids[0] != "ev-a" || ids[1] != "ev-b" {
		t.Errorf("AuditIntents(limit 2) = %v, want [ev-a ev-b]", ids)
	}
}

func testJournalSettle(t *testing.T, s iam.Store) {
	js := asJournal(t, s)
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutAuditIntent(write)", tx.PutAuditIntent("ev-write", at(0), []byte("{}")))
		noErr(t, "PutAuditIntent(read)", tx.PutAuditIntent("ev-read", at(0), []byte("{}")))
		noErr(t, "PutAuditIntent(other)", tx.PutAuditIntent("ev-other", at(0), []byte("{}")))
		return nil
	})
	seq, hash, _, err := js.AuditHead(ctx(t))
	noErr(t, "AuditHead", err)
	if hash == nil {
		hash = audit.ZeroHash
	}
	var recs []*audit.Record
	for _, e := range []*audit.Event{
		{EventVersion: audit.EventVersion, EventTime: at(0).Format(time.RFC3339), EventName: "CreateUser", EventID: "ev-write"},
		// A read-only event never settles an intent (reads never journal).
		{EventVersion: audit.EventVersion, EventTime: at(0).Format(time.RFC3339), EventName: "GetUser", EventID: "ev-read", ReadOnly: true},
		{EventVersion: audit.EventVersion, EventTime: at(0).Format(time.RFC3339), EventName: "TagUser", EventID: "ev-no-intent"},
	} {
		r, err := audit.NewRecord(e, seq+1, hash)
		noErr(t, "NewRecord", err)
		recs = append(recs, r)
		seq, hash = r.Seq, r.Hash
	}
	noErr(t, "AppendAudit", js.AppendAudit(ctx(t), recs, nil))
	ids := intentIDs(t, js, at(time.Hour), 10)
	slices.Sort(ids) // created at the same time: any order
	if len(ids) != 2 || ids[0] != "ev-other" || ids[1] != "ev-read" {
		t.Errorf("AuditIntents after appending ev-write, ev-read (read-only), ev-no-intent = %v, want [ev-other ev-read]", ids)
	}
}
