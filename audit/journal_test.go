package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sqlite"
)

// journalClock is a settable clock.
type journalClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *journalClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *journalClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// failingAppends fails AppendAudit while fail is set, like a full disk.
// With raceRecovery set, the first append of recovered events finds that
// another node sharing the store recovered the same intents first.
type failingAppends struct {
	*sqlite.DB
	mu           sync.Mutex
	fail         bool
	raceRecovery bool
}

func (f *failingAppends) AppendAudit(ctx context.Context, recs []*audit.Record, d *audit.Digest) error {
	f.mu.Lock()
	fail, race := f.fail, f.raceRecovery && len(recs) > 0 && bytes.Contains(recs[0].Body, []byte("recoveredFromJournal"))
	if race {
		f.raceRecovery = false
	}
	f.mu.Unlock()
	if fail {
		return errors.New("disk full")
	}
	if race {
		if err := f.DB.AppendAudit(ctx, recs, nil); err != nil {
			return err
		}
		return audit.ErrHeadMoved
	}
	return f.DB.AppendAudit(ctx, recs, d)
}

func (f *failingAppends) setFail(v bool) {
	f.mu.Lock()
	f.fail = v
	f.mu.Unlock()
}

type journalFixture struct {
	db    *sqlite.DB
	store *failingAppends
	clk   *journalClock
	key   ed25519.PrivateKey
}

func newJournalFixture(t *testing.T) *journalFixture {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, key, _ := ed25519.GenerateKey(nil)
	return &journalFixture{db: db, store: &failingAppends{DB: db},
		clk: &journalClock{t: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}, key: key}
}

// writer starts a Writer the way a (re)started node does.
func (f *journalFixture) writer(t *testing.T) *audit.Writer {
	t.Helper()
	w, err := audit.NewWriter(t.Context(), audit.Config{Store: f.store, Key: f.key, Clock: f.clk.now,
		JournalGrace: time.Minute, JournalInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// event is a mutation's event as httpapi builds it before the result.
func (f *journalFixture) event(id string) *audit.Event {
	return &audit.Event{
		EventVersion: audit.EventVersion, EventTime: f.clk.now().Format(time.RFC3339), EventSource: "iam.amazonaws.com",
		EventName: "CreateUser", AWSRegion: "us-east-1", UserIdentity: audit.UserIdentity{Type: "Root", AccountID: "111122223333"},
		RequestParameters: map[string]any{"userName": "alice"}, RequestID: "req-" + id, EventID: id,
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "111122223333", EventCategory: "Management",
	}
}

// commit is a mutation's transaction: the change and its intent.
func (f *journalFixture) commit(t *testing.T, e *audit.Event) {
	t.Helper()
	payload, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Update(t.Context(), func(tx iam.Tx) error {
		if err := tx.SetMeta("change-"+e.EventID, "done"); err != nil {
			return err
		}
		return tx.PutAuditIntent(e.EventID, f.clk.now(), payload)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type storedEvent struct {
	audit.Event
	AdditionalEventData map[string]any `json:"additionalEventData"`
}

// events returns the trail's events with id, after checking that the
// whole trail verifies.
func (f *journalFixture) events(t *testing.T, w *audit.Writer, id string) []storedEvent {
	t.Helper()
	if err := w.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var out []storedEvent
	err := f.db.ScanAudit(t.Context(), audit.Query{EventID: id}, func(r *audit.Record) error {
		var e storedEvent
		if err := json.Unmarshal(r.Body, &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(t.Context(), f.db, f.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("Verify: %v", rep.Problems)
	}
	return out
}

func (f *journalFixture) intents(t *testing.T) int {
	t.Helper()
	ins, err := f.db.AuditIntents(t.Context(), f.clk.now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(ins)
}

// waitEvents polls until the trail has n events with id (the periodic
// recovery runs on its own schedule).
func (f *journalFixture) waitEvents(t *testing.T, w *audit.Writer, id string, n int) []storedEvent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := f.events(t, w, id)
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func wantRecovered(t *testing.T, evs []storedEvent, id string) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%d events for %s, want exactly 1", len(evs), id)
	}
	e := evs[0]
	if e.AdditionalEventData["recoveredFromJournal"] != true || e.ResponseElements != nil || e.EventName != "CreateUser" ||
		e.RequestParameters["userName"] != "alice" || e.RequestID != "req-"+id {
		t.Errorf("recovered event = %+v, want the intent's event marked recoveredFromJournal", e)
	}
}

// TestJournalOrdinaryMutation: the final event settles the intent; nothing
// is recovered later.
func TestJournalOrdinaryMutation(t *testing.T) {
	f := newJournalFixture(t)
	w := f.writer(t)
	e := f.event("ev-ok")
	f.commit(t, e)
	e.ResponseElements = map[string]any{"user": map[string]any{"userName": "alice"}}
	if err := w.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if n := f.intents(t); n != 0 {
		t.Errorf("%d intents left after the final event, want 0", n)
	}
	f.clk.add(2 * time.Minute)
	time.Sleep(30 * time.Millisecond) // several recovery ticks
	evs := f.events(t, w, "ev-ok")
	if len(evs) != 1 || evs[0].ResponseElements == nil || evs[0].AdditionalEventData != nil {
		t.Fatalf("events = %+v, want exactly the final event", evs)
	}
}

// TestJournalCrash: the process dies after the mutation committed and
// before its event was appended; the restarted writer appends the intent.
func TestJournalCrash(t *testing.T) {
	f := newJournalFixture(t)
	f.commit(t, f.event("ev-crash"))
	// Restarted within the grace period: the intent might belong to a
	// request of another node still in flight, so it waits.
	f.clk.add(30 * time.Second)
	w := f.writer(t)
	if evs := f.events(t, w, "ev-crash"); len(evs) != 0 {
		t.Fatalf("intent recovered within the grace period: %+v", evs)
	}
	f.clk.add(time.Minute)
	wantRecovered(t, f.waitEvents(t, w, "ev-crash", 1), "ev-crash")
	if n := f.intents(t); n != 0 {
		t.Errorf("%d intents left after recovery, want 0", n)
	}
	// Restarting again appends nothing more.
	w.Close()
	w = f.writer(t)
	wantRecovered(t, f.events(t, w, "ev-crash"), "ev-crash")
}

// TestJournalRecordFails: the final append fails (the client got a 500,
// but the change was committed); the intent becomes the event.
func TestJournalRecordFails(t *testing.T) {
	f := newJournalFixture(t)
	w := f.writer(t)
	e := f.event("ev-fail")
	f.commit(t, e)
	f.store.setFail(true)
	if err := w.Record(t.Context(), e); err == nil {
		t.Fatal("Record succeeded on a failing store")
	}
	f.store.setFail(false)
	f.clk.add(2 * time.Minute)
	wantRecovered(t, f.waitEvents(t, w, "ev-fail", 1), "ev-fail")
	if n := f.intents(t); n != 0 {
		t.Errorf("%d intents left after recovery, want 0", n)
	}
}

// TestJournalLateFinalEvent: a request that outlived the grace period had
// its intent recovered; its final event is then not appended a second time.
func TestJournalLateFinalEvent(t *testing.T) {
	f := newJournalFixture(t)
	w := f.writer(t)
	e := f.event("ev-late")
	f.commit(t, e)
	f.clk.add(2 * time.Minute)
	f.waitEvents(t, w, "ev-late", 1)
	if err := w.Record(t.Context(), e); err != nil {
		t.Fatalf("Record of the late final event = %v, want nil (its event is on the trail)", err)
	}
	wantRecovered(t, f.events(t, w, "ev-late"), "ev-late")
}

// TestJournalRecoveryRace: two nodes recover the same intent; the one that
// loses the race does not append it again after the other's.
func TestJournalRecoveryRace(t *testing.T) {
	f := newJournalFixture(t)
	f.commit(t, f.event("ev-race"))
	f.clk.add(2 * time.Minute)
	f.store.raceRecovery = true
	w := f.writer(t)
	time.Sleep(30 * time.Millisecond) // several recovery ticks
	wantRecovered(t, f.events(t, w, "ev-race"), "ev-race")
	f.store.mu.Lock()
	defer f.store.mu.Unlock()
	if f.store.raceRecovery {
		t.Fatal("the race was not simulated")
	}
}

// An event that cannot be encoded is refused when it is handed over, by
// Enqueue as by Record, so that its request fails; the trail goes on.
func TestWriterRefusesUnencodableEvent(t *testing.T) {
	f := newJournalFixture(t)
	w := f.writer(t)
	bad := f.event("bad")
	bad.RequestParameters = map[string]any{"c": make(chan int)}
	if err := w.Enqueue(bad); err == nil {
		t.Error("Enqueue of an unencodable event: no error")
	}
	if err := w.Record(t.Context(), bad); err == nil {
		t.Error("Record of an unencodable event: no error")
	}
	if err := w.Record(t.Context(), f.event("good")); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := f.db.ScanAudit(t.Context(), audit.Query{}, func(r *audit.Record) error {
		names = append(names, r.EventID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "good" {
		t.Errorf("trail holds %q, want only the encodable event", names)
	}
	if rep, err := audit.Verify(t.Context(), f.db, f.key.Public().(ed25519.PublicKey)); err != nil || !rep.OK() {
		t.Errorf("verify: %+v, %v", rep, err)
	}
}
