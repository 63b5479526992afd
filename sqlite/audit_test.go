package sqlite

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore"
	"github.com/iamd/iamd/sqlstore/audittest"
)

// auditTrail writes n events (a digest every 5) and returns the database.
func auditTrail(t *testing.T, n int) (*DB, ed25519.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	db := openTemp(t)
	key, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: db, Key: key, DigestEvery: 5})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		e := &audit.Event{EventVersion: audit.EventVersion, EventTime: base.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			EventSource: "iam.amazonaws.com", EventName: fmt.Sprintf("CreateUser%d", i+1), EventID: fmt.Sprintf("id-%d", i+1),
			UserIdentity: audit.UserIdentity{Type: "Root", AccountID: "123456789012"}, RecipientAccountID: "123456789012",
			EventType: "AwsApiCall", ManagementEvent: true}
		if err := w.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return db, key
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	forge := func(db *DB, seq int64, prev []byte) {
		e := &audit.Event{EventName: "Forged", EventID: "forged", EventTime: "2026-01-02T03:04:05Z", RecipientAccountID: "123456789012"}
		r, err := audit.NewRecord(e, seq, prev)
		if err != nil {
			t.Fatal(err)
		}
		// Straight into the table: AppendAudit refuses to store an event
		// behind the head, which is what an attacker with the file does.
		if _, err := db.w.ExecContext(ctx, qAppendAudit, sqlstore.AppendAuditRow(nil, r)...); err != nil {
			t.Fatal(err)
		}
	}
	hashOf := func(db *DB, seq int64) []byte {
		var h []byte
		if err := db.w.QueryRowContext(ctx, "SELECT hash FROM audit_events WHERE seq = ?", seq).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	exec := func(db *DB, stmts ...string) { execSQL(t, db, stmts...) }
	for _, tc := range []struct {
		name    string
		tamper  func(db *DB)
		wantSeq int64
		want    string
	}{
		{"modified body", func(db *DB) {
			exec(db, `UPDATE audit_events SET body = replace(body, 'CreateUser7', 'DeleteUser7') WHERE seq = 7`)
		}, 7, "modified"},
		{"modified column", func(db *DB) {
			exec(db, `UPDATE audit_events SET username = 'alice' WHERE seq = 4`)
		}, 4, "indexed columns"},
		{"deleted", func(db *DB) { exec(db, `DELETE FROM audit_events WHERE seq = 9`) }, 10, "missing"},
		{"deleted and renumbered", func(db *DB) {
			exec(db, `DELETE FROM audit_events WHERE seq = 9`, `UPDATE audit_events SET seq = seq - 1 WHERE seq > 9`)
		}, 9, "previous-hash link"},
		{"deleted from the end", func(db *DB) { exec(db, `DELETE FROM audit_events WHERE seq > 10`) }, 12, "deleted from the end"},
		{"inserted", func(db *DB) {
			// Make room after seq 10, then insert a well-formed event
			// chained to seq 10.
			exec(db, `UPDATE audit_events SET seq = seq + 1000 WHERE seq > 10`, `UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000`)
			forge(db, 11, hashOf(db, 10))
		}, 12, "previous-hash link"},
		{"reordered", func(db *DB) {
			exec(db, `UPDATE audit_events SET seq = -1 WHERE seq = 3`, `UPDATE audit_events SET seq = 3 WHERE seq = 4`, `UPDATE audit_events SET seq = 4 WHERE seq = -1`)
		}, 3, "previous-hash link"},
		{"chain rewritten", func(db *DB) {
			// Replace everything from seq 3 on with a recomputed chain:
			// only the signed digests can tell.
			exec(db, `DELETE FROM audit_events WHERE seq >= 3`)
			prev := hashOf(db, 2)
			for s := int64(3); s <= 12; s++ {
				forge(db, s, prev)
				prev = hashOf(db, s)
			}
		}, 5, "signed digest"},
		{"digest forged", func(db *DB) {
			exec(db, `UPDATE audit_digests SET hash = zeroblob(32) WHERE seq = 5`)
		}, 5, "signature is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, key := auditTrail(t, 12)
			checkTamperDetected(t, db, key, 12, func() { tc.tamper(db) }, tc.wantSeq, tc.want)
		})
	}
}

// execSQL runs stmts on db's writer, as someone with the file would.
func execSQL(t *testing.T, db *DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.w.ExecContext(t.Context(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// checkTamperDetected verifies db's untouched trail of events events,
// applies tamper, and checks that verification's first problem is at
// wantSeq and says want.
func checkTamperDetected(t *testing.T, db *DB, key ed25519.PrivateKey, events int, tamper func(), wantSeq int64, want string) {
	t.Helper()
	ctx := context.Background()
	pub := key.Public().(ed25519.PublicKey)
	rep, err := audit.Verify(ctx, db, pub)
	if err != nil || !rep.OK() || rep.Events != int64(events) {
		t.Fatalf("untouched trail: %+v, %v", rep, err)
	}
	tamper()
	rep, err = audit.Verify(ctx, db, pub)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("tampering not detected")
	}
	p := rep.Problems[0]
	if p.Seq != wantSeq || !strings.Contains(p.Message, want) {
		t.Errorf("first problem = %s; want seq %d, %q (all: %v)", p, wantSeq, want, rep.Problems)
	}
}

func TestAuditPruneKeepsTrailVerifiable(t *testing.T) {
	ctx := context.Background()
	db, key := auditTrail(t, 12)
	// Digests at 5, 10 and 12 (final); prune events older than the digest at 10.
	if err := audit.Prune(ctx, db, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, db, key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK() || rep.First != 11 || rep.Last != 12 {
		t.Fatalf("after prune: %+v %v", rep, err)
	}
	// Deleting a prefix not at a digest boundary is detected.
	db2, key2 := auditTrail(t, 12)
	if _, err := db2.w.ExecContext(ctx, "DELETE FROM audit_events WHERE seq <= 3"); err != nil {
		t.Fatal(err)
	}
	rep, _ = audit.Verify(ctx, db2, key2.Public().(ed25519.PublicKey))
	if rep.OK() || rep.Problems[0].Seq != 4 {
		t.Errorf("prefix deletion: %v", rep.Problems)
	}
}

// TestAuditScanFilters runs the backends' shared check of ScanAudit's
// filters on a trail of rows and packs.
func TestAuditScanFilters(t *testing.T) { audittest.Filters(t, openTemp(t)) }

// TestAuditNewestPagePlans: a newest-first LookupEvents page of an
// account, with or without an open-ended StartTime, is read in index
// order, never by sorting the account's events (migration 0012 and
// Dialect.AuditScanNewest). The WHERE clauses are the ones
// sqlstore.TestAuditRowQuery pins.
func TestAuditNewestPagePlans(t *testing.T) {
	db := openTemp(t)
	const sel = "SELECT " + sqlstore.AuditColumns + " FROM audit_events"
	for _, q := range []string{
		sel + " WHERE account_id = ? ORDER BY seq DESC LIMIT 51",
		sel + " WHERE account_id = ? AND +event_time >= ? ORDER BY seq DESC LIMIT 51",
		sel + " WHERE account_id = ? AND +event_time >= ? AND seq < ? ORDER BY seq DESC LIMIT 51",
	} {
		rows, err := db.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, "123456789012", int64(1700000000), int64(99))
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notUsed int
			var detail string
			if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "audit_events_account_seq") {
			t.Errorf("%s\nplan: %s", q, p)
		}
	}
}
