package sqlite

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore"
)

// packBatches is the trail of the pack tests, one group commit per line
// (R read-only, W not): seq 1-5 pack, 6 row, 7-10 pack, 11 pack, 12 row,
// 13-14 pack, 15 row, 16 pack. Digests at the end of the batches marked.
var packBatches = []struct {
	kinds  string
	digest bool
}{{"RRRRR", true}, {"W", false}, {"RRRR", true}, {"RWRR", false}, {"W", false}, {"R", true}}

// packEvent is the event at seq: two accounts, a few names, users, keys,
// sources and resources, so that every filter has something to select.
func packEvent(seq int64, readOnly bool) *audit.Event {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	acct := []string{"123456789012", "210987654321"}[seq%2]
	name := fmt.Sprintf("GetUser%d", seq%3)
	if !readOnly {
		name = "TagUser"
	}
	e := &audit.Event{EventVersion: audit.EventVersion, EventTime: base.Add(time.Duration(seq) * time.Second).Format(time.RFC3339),
		EventSource: []string{"iam.amazonaws.com", "sts.amazonaws.com"}[seq%4/3], EventName: name,
		EventID: fmt.Sprintf("0190-%04d", seq), ReadOnly: readOnly, RecipientAccountID: acct,
		UserIdentity: audit.UserIdentity{Type: "IAMUser", AccountID: acct, UserName: fmt.Sprintf("user%d", seq%3),
			AccessKeyID: fmt.Sprintf("AKIA%d", seq%2)},
		EventType: "AwsApiCall", ManagementEvent: true}
	if seq%5 == 0 {
		e.Resources = []audit.Resource{{Type: "AWS::IAM::User", Name: fmt.Sprintf("user%d", seq%3)}}
	}
	return e
}

// packTrail stores packBatches through AppendAudit and returns the records.
func packTrail(t *testing.T) (*DB, ed25519.PrivateKey, []*audit.Record) {
	t.Helper()
	ctx := context.Background()
	db := openTemp(t)
	_, key, _ := ed25519.GenerateKey(nil)
	var all []*audit.Record
	prev := audit.ZeroHash
	for _, b := range packBatches {
		var recs []*audit.Record
		for _, k := range b.kinds {
			r, err := audit.NewRecord(packEvent(int64(len(all)+1), k == 'R'), int64(len(all)+1), prev)
			if err != nil {
				t.Fatal(err)
			}
			prev = r.Hash
			recs = append(recs, r)
			all = append(all, r)
		}
		var d *audit.Digest
		if b.digest {
			last := recs[len(recs)-1]
			d = &audit.Digest{Seq: last.Seq, Hash: last.Hash, Time: last.Time}
			d.Signature = ed25519.Sign(key, d.SignedBytes())
		}
		if err := db.AppendAudit(ctx, recs, d); err != nil {
			t.Fatal(err)
		}
	}
	return db, key, all
}

func TestAuditPacksStoreReadEventsTogether(t *testing.T) {
	ctx := context.Background()
	db, _, _ := packTrail(t)
	var packs, rows int
	if err := db.r.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM audit_packs), (SELECT count(*) FROM audit_events)").Scan(&packs, &rows); err != nil {
		t.Fatal(err)
	}
	if packs != 5 || rows != 3 {
		t.Errorf("%d packs and %d rows, want 5 and 3", packs, rows)
	}
	seq, hash, dseq, err := db.AuditHead(ctx)
	if err != nil || seq != 16 || dseq != 16 || len(hash) != 32 {
		t.Errorf("AuditHead = %d %x %d %v, want 16 (a pack's end), digest 16", seq, hash, dseq, err)
	}
	// A batch that does not follow the head is refused, whether it would
	// land inside a pack or a row.
	for _, seq := range []int64{3, 16} {
		r, _ := audit.NewRecord(packEvent(seq, true), seq, audit.ZeroHash)
		if err := db.AppendAudit(ctx, []*audit.Record{r}, nil); !errors.Is(err, audit.ErrHeadMoved) {
			t.Errorf("AppendAudit(seq %d behind the head) = %v, want ErrHeadMoved", seq, err)
		}
	}
}

// TestAuditScanPacksMatchesRows checks ScanAudit's merge of rows and packs
// against the same records filtered in plain Go, for every filter, both
// orders, BeforeSeq and Limit: packs must answer exactly as rows do.
func TestAuditScanPacksMatchesRows(t *testing.T) {
	ctx := context.Background()
	db, _, all := packTrail(t)
	// The reference: the same records, every one a row, filtered in SQL.
	rowsDB, err := Open(ctx, filepath.Join(t.TempDir(), "rows.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rowsDB.Close()
	for _, r := range all {
		if _, err := rowsDB.w.ExecContext(ctx, qAppendAudit, sqlstore.AppendAuditRow(nil, r)...); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(all); n != 16 {
		t.Fatalf("%d records", n)
	}
	yes, no := true, false
	at := func(seq int64) time.Time { return all[seq-1].Time }
	queries := []audit.Query{
		{},
		{AccountID: "123456789012"},
		{AccountID: "nobody"},
		{Start: at(4), End: at(11)},
		{Start: at(4).Add(500 * time.Millisecond)}, // whole seconds, as the column
		{End: at(1)},
		{EventID: "0190-0008"},
		{EventID: "0190-0006"},
		{EventID: "0190-00"},
		{EventName: "GetUser1"},
		{EventName: "TagUser"},
		{EventSource: "sts.amazonaws.com"},
		{Username: "user2"},
		{AccessKeyID: "AKIA1"},
		{ReadOnly: &yes},
		{ReadOnly: &no},
		{ResType: "AWS::IAM::User"},
		{ResType: "AWS::IAM::Use"},
		{ResName: "user1"},
		{ResName: "user"},
		{AccountID: "210987654321", EventName: "GetUser0", ReadOnly: &yes},
	}
	for _, base := range queries {
		for _, desc := range []bool{false, true} {
			for _, before := range []int64{0, 1, 8, 11, 12, 17} {
				for _, limit := range []int{0, 1, 3, 100} {
					q := base
					q.Descending, q.BeforeSeq, q.Limit = desc, before, limit
					var want []*audit.Record
					if err := rowsDB.ScanAudit(ctx, q, func(r *audit.Record) error { want = append(want, r); return nil }); err != nil {
						t.Fatal(err)
					}
					var got []*audit.Record
					err := db.ScanAudit(ctx, q, func(r *audit.Record) error { got = append(got, r); return nil })
					if err != nil || !reflect.DeepEqual(got, want) {
						t.Errorf("ScanAudit(%+v) = %v, %v; want %v (all rows)", q, seqs(got), err, seqs(want))
					}
				}
			}
		}
	}
}

func seqs(rs []*audit.Record) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

// rewritePack replaces the pack starting at first with the records edit
// returns (stored as a new pack at their first sequence), or drops it.
func rewritePack(t *testing.T, db *DB, first int64, edit func([]*audit.Record) []*audit.Record) {
	t.Helper()
	ctx := context.Background()
	var s packSummary
	var format int64
	var body []byte
	if err := db.w.QueryRowContext(ctx, "SELECT first_seq, last_seq, last_hash, format, body FROM audit_packs WHERE first_seq = ?", first).
		Scan(&s.firstSeq, &s.lastSeq, &s.lastHash, &format, &body); err != nil {
		t.Fatal(err)
	}
	pack, _, err := decodePack(format, s, body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var recs []*audit.Record
	for i := range pack {
		recs = append(recs, pack[i].record())
	}
	if _, err := db.w.ExecContext(ctx, "DELETE FROM audit_packs WHERE first_seq = ?", first); err != nil {
		t.Fatal(err)
	}
	if recs = edit(recs); len(recs) == 0 {
		return
	}
	body, s = encodePack(nil, recs)
	if _, err := db.w.ExecContext(ctx, qAppendAuditPack, s.firstSeq, s.lastSeq, s.lastHash, s.minTime, s.maxTime, s.minEvent,
		s.maxEvent, s.accounts, packRaw, body); err != nil {
		t.Fatal(err)
	}
}

// renumber gives recs consecutive sequences from first.
func renumber(recs []*audit.Record, first int64) []*audit.Record {
	for i, r := range recs {
		r.Seq = first + int64(i)
	}
	return recs
}

func TestAuditVerifyDetectsTamperingInPacks(t *testing.T) {
	ctx := context.Background()
	exec := func(db *DB, stmts ...string) { execSQL(t, db, stmts...) }
	for _, tc := range []struct {
		name    string
		tamper  func(db *DB, all []*audit.Record)
		wantSeq int64
		want    string
	}{
		{"modified body", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 7, func(rs []*audit.Record) []*audit.Record {
				rs[1].Body = bytes.Replace(rs[1].Body, []byte("GetUser2"), []byte("GetUser9"), 1)
				return rs
			})
		}, 8, "modified"},
		{"modified column", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 1, func(rs []*audit.Record) []*audit.Record { rs[3].Username = "alice"; return rs })
		}, 4, "indexed columns"},
		{"modified resources", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 1, func(rs []*audit.Record) []*audit.Record { rs[4].Resources = nil; return rs })
		}, 5, "indexed columns"},
		{"deleted, pack renumbered", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 7, func(rs []*audit.Record) []*audit.Record {
				return renumber(append(rs[:1:1], rs[2:]...), 7)
			})
		}, 8, "previous-hash link"},
		{"deleted, pack split", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 7, func(rs []*audit.Record) []*audit.Record { return rs[:1] })
		}, 11, "missing"},
		{"whole pack deleted", func(db *DB, _ []*audit.Record) { exec(db, `DELETE FROM audit_packs WHERE first_seq = 13`) }, 15, "missing"},
		{"pack deleted from the end", func(db *DB, _ []*audit.Record) { exec(db, `DELETE FROM audit_packs WHERE first_seq = 16`) }, 16, "deleted from the end"},
		{"inserted into a pack", func(db *DB, all []*audit.Record) {
			rewritePack(t, db, 7, func(rs []*audit.Record) []*audit.Record {
				forged, err := audit.NewRecord(packEvent(99, true), 8, rs[0].Hash)
				if err != nil {
					t.Fatal(err)
				}
				return renumber(slices.Insert(rs, 1, forged), 7)
			})
			exec(db, `UPDATE audit_events SET seq = seq + 1000 WHERE seq > 10`, `UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000`,
				`UPDATE audit_packs SET first_seq = first_seq + 1001, last_seq = last_seq + 1001 WHERE first_seq > 10`,
				`UPDATE audit_packs SET first_seq = first_seq - 1000, last_seq = last_seq - 1000 WHERE first_seq > 1000`)
		}, 9, "previous-hash link"},
		{"reordered inside a pack", func(db *DB, _ []*audit.Record) {
			rewritePack(t, db, 1, func(rs []*audit.Record) []*audit.Record {
				rs[2], rs[3] = rs[3], rs[2]
				return renumber(rs, 1)
			})
		}, 3, "previous-hash link"},
		{"reordered across a pack and a row", func(db *DB, _ []*audit.Record) {
			// The pack's last event (5) and the row after it (6) swap places.
			var moved *audit.Record
			rewritePack(t, db, 1, func(rs []*audit.Record) []*audit.Record { moved = rs[4]; return rs[:4] })
			exec(db, `UPDATE audit_events SET seq = 5 WHERE seq = 6`)
			moved.Seq = 6
			body, s := encodePack(nil, []*audit.Record{moved})
			if _, err := db.w.ExecContext(ctx, qAppendAuditPack, s.firstSeq, s.lastSeq, s.lastHash, s.minTime, s.maxTime, s.minEvent,
				s.maxEvent, s.accounts, packRaw, body); err != nil {
				t.Fatal(err)
			}
		}, 5, "previous-hash link"},
		{"chain rewritten in a pack", func(db *DB, all []*audit.Record) {
			// Events 7 on replaced by a recomputed chain: only the digest
			// of 10 can tell.
			rewritePack(t, db, 7, func(rs []*audit.Record) []*audit.Record {
				prev := all[5].Hash
				for i, r := range rs {
					e := packEvent(r.Seq, true)
					e.EventName = "Forged"
					rs[i], _ = audit.NewRecord(e, r.Seq, prev)
					prev = rs[i].Hash
				}
				return rs
			})
			exec(db, `DELETE FROM audit_events WHERE seq > 10`, `DELETE FROM audit_packs WHERE first_seq > 10`)
		}, 10, "signed digest"},
		{"pack body damaged", func(db *DB, _ []*audit.Record) {
			exec(db, `UPDATE audit_packs SET body = substr(body, 1, 100) WHERE first_seq = 7`)
		}, 7, "cannot be read back"},
		{"pack range changed", func(db *DB, _ []*audit.Record) {
			exec(db, `UPDATE audit_packs SET last_seq = 9 WHERE first_seq = 7`)
		}, 7, "cannot be read back"},
		{"pack head hash changed", func(db *DB, _ []*audit.Record) {
			exec(db, `UPDATE audit_packs SET last_hash = zeroblob(32) WHERE first_seq = 7`)
		}, 7, "cannot be read back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, key, all := packTrail(t)
			checkTamperDetected(t, db, key, 16, func() { tc.tamper(db, all) }, tc.wantSeq, tc.want)
		})
	}
}

func TestAuditPruneRewritesStraddlingPack(t *testing.T) {
	ctx := context.Background()
	for _, through := range []int64{5, 6, 8, 11, 15} {
		t.Run(fmt.Sprint(through), func(t *testing.T) {
			db, _, all := packTrail(t)
			if err := db.PruneAudit(ctx, through); err != nil {
				t.Fatal(err)
			}
			var got []int64
			if err := db.ScanAudit(ctx, audit.Query{}, func(r *audit.Record) error {
				if w := all[r.Seq-1]; !reflect.DeepEqual(*r, *w) {
					t.Errorf("seq %d read back as %+v, stored %+v", r.Seq, r, w)
				}
				got = append(got, r.Seq)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var want []int64
			for s := through + 1; s <= 16; s++ {
				want = append(want, s)
			}
			if !slices.Equal(got, want) {
				t.Errorf("after PruneAudit(%d): %v", through, got)
			}
			if seq, _, _, err := db.AuditHead(ctx); err != nil || seq != 16 {
				t.Errorf("AuditHead = %d, %v", seq, err)
			}
		})
	}
}

func FuzzDecodePack(f *testing.F) {
	recs := make([]*audit.Record, 3)
	prev := audit.ZeroHash
	for i := range recs {
		recs[i], _ = audit.NewRecord(packEvent(int64(i+1), true), int64(i+1), prev)
		prev = recs[i].Hash
	}
	body, s := encodePack(nil, recs)
	f.Add(body, int64(1), int64(3), false)
	f.Add(body[:len(body)/2], int64(1), int64(3), false)
	f.Add([]byte{0xff, 0xff, 0xff}, int64(5), int64(4), false)
	f.Add(s2.Encode(nil, body), int64(1), int64(3), true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0}, int64(1), int64(3), true) // claims 4 GiB
	f.Fuzz(func(t *testing.T, body []byte, first, last int64, compressed bool) {
		// Whatever is stored, decoding fails or yields exactly the range.
		format := int64(packRaw)
		if compressed {
			format = packS2
		}
		pack, _, err := decodePack(format, packSummary{firstSeq: first, lastSeq: last, lastHash: s.lastHash}, body, nil)
		if err != nil {
			return
		}
		if int64(len(pack)) != last-first+1 || pack[len(pack)-1].seq != last {
			t.Fatalf("decoded %d records for %d-%d", len(pack), first, last)
		}
	})
}

// TestAuditRowsBeforePacksStayReadable: a trail written before migration
// 0011 has its read-only events as rows; the writer continues it with packs,
// and the whole chain scans in order and verifies.
func TestAuditRowsBeforePacksStayReadable(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	prev := audit.ZeroHash
	for seq := int64(1); seq <= 6; seq++ { // as the previous code stored them
		r, err := audit.NewRecord(packEvent(seq, seq != 3), seq, prev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.w.ExecContext(ctx, qAppendAudit, sqlstore.AppendAuditRow(nil, r)...); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
	key, _, err := audit.LoadOrCreateKey(filepath.Join(t.TempDir(), audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: db, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	for seq := int64(7); seq <= 20; seq++ {
		if err := w.Enqueue(packEvent(seq, true)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var packs int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM audit_packs").Scan(&packs); err != nil || packs == 0 {
		t.Fatalf("%d packs, %v: the new events were not packed", packs, err)
	}
	rep, err := audit.Verify(ctx, db, key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK() || rep.First != 1 || rep.Last != 20 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	yes := true
	var got []int64
	if err := db.ScanAudit(ctx, audit.Query{ReadOnly: &yes, Descending: true, BeforeSeq: 9, Limit: 4}, func(r *audit.Record) error {
		got = append(got, r.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []int64{8, 7, 6, 5}; !slices.Equal(got, want) {
		t.Errorf("read-only events before 9, newest first: %v, want %v", got, want)
	}
}
