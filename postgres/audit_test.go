package postgres

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/postgres/pgtest"
	"github.com/iamd/iamd/sqlstore/audittest"
)

func auditEvent(node, i int) *audit.Event {
	return &audit.Event{EventVersion: audit.EventVersion, EventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339),
		EventSource: "iam.amazonaws.com", EventName: "CreateUser", EventID: fmt.Sprintf("node%d-%d", node, i),
		UserIdentity: audit.UserIdentity{Type: "Root", AccountID: "123456789012"}, RecipientAccountID: "123456789012",
		EventType: "AwsApiCall", ManagementEvent: true}
}

// TestAuditSeveralWriters appends from three writers (as three nodes would,
// each with its own in-memory head) to one database at once: every event
// must land exactly once, in one chain that verifies.
func TestAuditSeveralWriters(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	key, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	const nodes, perNode = 3, 40
	var dbs []*DB
	var ws []*audit.Writer
	for range nodes {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		w, err := audit.NewWriter(ctx, audit.Config{Store: db, Key: key, DigestEvery: 7})
		if err != nil {
			t.Fatal(err)
		}
		dbs, ws = append(dbs, db), append(ws, w)
	}
	var wg sync.WaitGroup
	errs := make(chan error, nodes*perNode)
	for n, w := range ws {
		for i := range perNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- w.Record(ctx, auditEvent(n, i))
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Record = %v", err)
		}
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := audit.Verify(ctx, dbs[0], key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if !rep.OK() {
		t.Fatalf("Verify problems: %v", rep.Problems)
	}
	seen := map[string]int{}
	var n int64
	if err := dbs[1].ScanAudit(ctx, audit.Query{}, func(r *audit.Record) error {
		n++
		if r.Seq != n {
			return fmt.Errorf("seq %d at position %d", r.Seq, n)
		}
		seen[r.EventID]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != nodes*perNode || n != nodes*perNode {
		t.Fatalf("%d events, %d distinct, want %d", n, len(seen), nodes*perNode)
	}
}

// TestAuditStaleHead checks the store side of the protocol: records that
// do not follow the stored head are refused with ErrHeadMoved and nothing
// is written.
func TestAuditStaleHead(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	rec := func(seq int64, prev []byte) *audit.Record {
		r, err := audit.NewRecord(auditEvent(0, int(seq)), seq, prev)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1 := rec(1, audit.ZeroHash)
	if err := db.AppendAudit(ctx, []*audit.Record{r1}, nil); err != nil {
		t.Fatalf("first append = %v", err)
	}
	for _, tc := range []struct {
		name string
		r    *audit.Record
	}{
		{"same seq again", rec(1, audit.ZeroHash)},
		{"gap", rec(3, r1.Hash)},
		{"wrong prev hash", rec(2, audit.ZeroHash)},
	} {
		if err := db.AppendAudit(ctx, []*audit.Record{tc.r}, nil); !errors.Is(err, audit.ErrHeadMoved) {
			t.Errorf("%s: AppendAudit = %v, want ErrHeadMoved", tc.name, err)
		}
	}
	stale := &audit.Digest{Seq: 1, Hash: audit.ZeroHash, Time: time.Now()}
	if err := db.AppendAudit(ctx, nil, stale); !errors.Is(err, audit.ErrHeadMoved) {
		t.Errorf("digest of a wrong hash: AppendAudit = %v, want ErrHeadMoved", err)
	}
	seq, hash, _, err := db.AuditHead(ctx)
	if err != nil || seq != 1 || string(hash) != string(r1.Hash) {
		t.Fatalf("AuditHead = %d, %x, %v; want 1, %x", seq, hash, err, r1.Hash)
	}
	if err := db.AppendAudit(ctx, []*audit.Record{rec(2, r1.Hash)}, nil); err != nil {
		t.Fatalf("append after head = %v", err)
	}
}

// TestAuditScanFilters runs the backends' shared check of ScanAudit's
// filters.
func TestAuditScanFilters(t *testing.T) { audittest.Filters(t, openTemp(t)) }
