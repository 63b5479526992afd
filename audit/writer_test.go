package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlite"
)

// countingAppends records the size of every AppendAudit batch.
type countingAppends struct {
	*sqlite.DB
	mu      sync.Mutex
	batches []int
}

func (c *countingAppends) AppendAudit(ctx context.Context, recs []*audit.Record, d *audit.Digest) error {
	c.mu.Lock()
	c.batches = append(c.batches, len(recs))
	c.mu.Unlock()
	return c.DB.AppendAudit(ctx, recs, d)
}

func (c *countingAppends) sizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.batches)
}

// TestWriterReadLinger: read events (Enqueue) wait for more, up to
// ReadLinger after the previous commit, and an event whose caller waits
// (Record) ends the wait at once.
func TestWriterReadLinger(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &countingAppends{DB: db}
	key, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	const linger = 500 * time.Millisecond
	w, err := audit.NewWriter(ctx, audit.Config{Store: st, Key: key, ReadLinger: linger, DigestEvery: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	n := 0
	event := func(readOnly bool) *audit.Event {
		n++
		return &audit.Event{EventVersion: audit.EventVersion, EventTime: "2026-12-02T09:00:00Z", EventName: "GetUser",
			EventID: fmt.Sprintf("e%d", n), ReadOnly: readOnly, RecipientAccountID: "123456789012"}
	}
	// A lone request is not delayed: nothing was committed just before.
	start := time.Now()
	if err := w.Record(ctx, event(true)); err != nil {
		t.Fatal(err)
	}
	// Reads right after a commit wait; the Record joins them and ends the
	// wait.
	for range 10 {
		if err := w.Enqueue(event(true)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // without the linger, each would be committed alone
	}
	if err := w.Record(ctx, event(false)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= linger {
		t.Errorf("two Records took %v: a waiting caller must end the linger", d)
	}
	if got := st.sizes(); !slices.Equal(got, []int{1, 11}) {
		t.Errorf("batches %v, want [1 11]: the ten reads should have waited for the Record", got)
	}
	// A read alone after a commit is committed once the linger is over.
	if err := w.Enqueue(event(true)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(st.sizes()) < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("batches %v: the lingering read was never committed", st.sizes())
		}
	}
	if got := st.sizes(); !slices.Equal(got, []int{1, 11, 1}) {
		t.Errorf("batches %v, want [1 11 1]", got)
	}
}
