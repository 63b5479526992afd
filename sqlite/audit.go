package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore"
)

// The audit trail's storage. Appends run on the writer connection in their
// own transaction (synchronous=FULL: durable at commit); reads run on the
// read pool. No business rule lives here: the audit package builds,
// chains, signs and verifies the records.

var _ audit.Store = (*DB)(nil)

func (db *DB) checkOpen() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	return nil
}

var qAuditHead = q(`SELECT seq, hash FROM (
	SELECT seq, hash FROM (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1)
	UNION ALL SELECT seq, hash FROM (SELECT last_seq AS seq, last_hash AS hash FROM audit_packs ORDER BY first_seq DESC LIMIT 1)
	UNION ALL SELECT seq, hash FROM (SELECT seq, hash FROM audit_digests ORDER BY seq DESC LIMIT 1)
) ORDER BY seq DESC LIMIT 1`)

// AuditHead implements audit.Store.
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, int64, error) {
	if err := db.checkOpen(); err != nil {
		return 0, nil, 0, err
	}
	// The head is the last event, a row or the end of a pack; when every
	// event was pruned, the chain continues from the last digest (a digest
	// is never newer than the last event).
	var seq int64
	var hash []byte
	err := db.w.QueryRowContext(ctx, qAuditHead).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, fmt.Errorf("sqlite: audit head: %w", err)
	}
	var dseq sql.NullInt64
	if err := db.w.QueryRowContext(ctx, "SELECT max(seq) FROM audit_digests").Scan(&dseq); err != nil {
		return 0, nil, 0, fmt.Errorf("sqlite: audit head: %w", err)
	}
	return seq, hash, dseq.Int64, nil
}

var qAppendAudit = q(`INSERT INTO audit_events (` + sqlstore.AuditColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)

var qAppendAuditPack = q(`INSERT INTO audit_packs (first_seq, last_seq, last_hash, min_time, max_time, min_event_id,
	max_event_id, accounts, format, body) VALUES (?,?,?,?,?,?,?,?,?,?)`)

// The last stored event's sequence. Rows have a primary key that refuses a
// sequence stored twice; packs cover ranges, so AppendAudit checks.
var qAuditLastSeq = q(`SELECT max(coalesce((SELECT max(seq) FROM audit_events), 0),
	coalesce((SELECT last_seq FROM audit_packs ORDER BY first_seq DESC LIMIT 1), 0))`)

// AppendAudit implements audit.Store. Each run of consecutive read-only
// records becomes one audit_packs row; every other record is a row of
// audit_events, whose trigger settles its journal intent.
func (db *DB) AppendAudit(ctx context.Context, recs []*audit.Record, d *audit.Digest) (err error) {
	if err := db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: audit begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if len(recs) > 0 {
		var last int64
		if err := tx.StmtContext(ctx, db.wStmts.m[qAuditLastSeq]).QueryRowContext(ctx).Scan(&last); err != nil {
			return fmt.Errorf("sqlite: audit append: %w", err)
		}
		if last >= recs[0].Seq {
			return audit.ErrHeadMoved
		}
		// The statements prepared in Open, bound to this transaction:
		// preparing them per batch cost more than a small batch's inserts.
		var st, pst *sql.Stmt
		var args []any // one row's, reused: the driver has copied them when ExecContext returns
		for i := 0; i < len(recs); {
			if r := recs[i]; !r.ReadOnly {
				if st == nil {
					st = tx.StmtContext(ctx, db.wStmts.m[qAppendAudit])
					defer st.Close()
					args = make([]any, 0, sqlstore.AuditColumnCount)
				}
				args = sqlstore.AppendAuditRow(args[:0], r)
				if _, err := st.ExecContext(ctx, args...); err != nil {
					return fmt.Errorf("sqlite: audit append: %w", err)
				}
				i++
				continue
			}
			j := i + 1
			for j < len(recs) && recs[j].ReadOnly {
				j++
			}
			if pst == nil {
				pst = tx.StmtContext(ctx, db.wStmts.m[qAppendAuditPack])
				defer pst.Close()
			}
			if err := insertPack(ctx, pst, recs[i:j]); err != nil {
				return err
			}
			i = j
		}
	}
	if d != nil {
		if err := db.sql.AppendAuditDigest(ctx, tx, d); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: audit commit: %w", err)
	}
	return nil
}

func insertPack(ctx context.Context, st *sql.Stmt, recs []*audit.Record) error {
	for i, r := range recs[1:] {
		if r.Seq != recs[i].Seq+1 {
			return fmt.Errorf("sqlite: audit append: records %d and %d are not consecutive", recs[i].Seq, r.Seq)
		}
	}
	bufs := packBufs.Get().(*[2][]byte)
	defer packBufs.Put(bufs)
	raw, s := encodePack(bufs[0][:0], recs)
	body := s2.Encode(bufs[1][:cap(bufs[1])], raw)
	bufs[0], bufs[1] = raw, body
	// The driver has copied the body when ExecContext returns: the buffers
	// are reused for the next pack.
	if _, err := st.ExecContext(ctx, s.firstSeq, s.lastSeq, s.lastHash, s.minTime, s.maxTime, s.minEvent, s.maxEvent,
		s.accounts, packS2, body); err != nil {
		return fmt.Errorf("sqlite: audit append: %w", err)
	}
	return nil
}

// packBufs holds a pack's encoding and its compressed form between batches:
// 50-100 KB each at the usual batch sizes, not worth giving to the GC every
// commit.
var packBufs = sync.Pool{New: func() any { return new([2][]byte) }}

// ScanAudit implements audit.Store. It merges the rows and the packs in
// sequence order, in one read transaction so that both are the same
// snapshot of the trail. Rows are filtered in SQL; packs are filtered in
// SQL by their summary columns, then record by record with packFilter.
func (db *DB) ScanAudit(ctx context.Context, q audit.Query, fn func(*audit.Record) error) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: audit scan: %w", err)
	}
	defer tx.Rollback()
	var packed func() (*audit.Record, error) // nil: no pack can match
	if q.ReadOnly == nil || *q.ReadOnly {    // packs hold read-only events only
		pq, pargs := packQuery(&q)
		prows, err := tx.QueryContext(ctx, pq, pargs...)
		if err != nil {
			return fmt.Errorf("sqlite: audit scan: %w", err)
		}
		defer prows.Close()
		var pack []packedRecord
		var buf []byte // the decoded body, reused: matches are copied out
		filter := newPackFilter(&q)
		packed = func() (*audit.Record, error) {
			for {
				for len(pack) > 0 {
					var p *packedRecord
					if q.Descending {
						p, pack = &pack[len(pack)-1], pack[:len(pack)-1]
					} else {
						p, pack = &pack[0], pack[1:]
					}
					if (q.BeforeSeq <= 0 || p.seq < q.BeforeSeq) && filter.match(p) {
						return p.record(), nil
					}
				}
				if !prows.Next() {
					return nil, prows.Err()
				}
				var s packSummary
				var format int64
				var body []byte
				if err := prows.Scan(&s.firstSeq, &s.lastSeq, &s.lastHash, &format, &body); err != nil {
					return nil, err
				}
				if pack, buf, err = decodePack(format, s, body, buf[:cap(buf)]); err != nil {
					return nil, packDamaged(s, err)
				}
			}
		}
	}
	return db.sql.ScanAudit(ctx, tx, &q, packed, fn)
}

// packQuery selects the packs that may hold a match: the conditions on
// the summary columns are necessary, not sufficient.
func packQuery(q *audit.Query) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if q.AccountID != "" {
		add("instr(accounts, ?) > 0", "\n"+q.AccountID+"\n")
	}
	if !q.Start.IsZero() {
		add("max_time >= ?", q.Start.Unix())
	}
	if !q.End.IsZero() {
		add("min_time <= ?", q.End.Unix())
	}
	if q.EventID != "" {
		add("min_event_id <= ? AND max_event_id >= ?", q.EventID, q.EventID)
	}
	if q.BeforeSeq > 0 {
		add("first_seq < ?", q.BeforeSeq)
	}
	query := "SELECT first_seq, last_seq, last_hash, format, body FROM audit_packs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if q.Descending {
		query += " ORDER BY first_seq DESC"
	} else {
		query += " ORDER BY first_seq"
	}
	return query, args
}

// AuditDigests implements audit.Store.
func (db *DB) AuditDigests(ctx context.Context) ([]audit.Digest, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	return db.sql.AuditDigests(ctx, db.r)
}

// PruneAudit implements audit.Store. A pack that straddles through is
// rewritten with its records after through, so that the trail starts
// exactly after through (where retention puts a signed digest).
func (db *DB) PruneAudit(ctx context.Context, through int64) (err error) {
	if err := db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: audit prune: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := db.sql.PruneAuditRows(ctx, tx, through); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM audit_packs WHERE last_seq <= ?", through); err != nil {
		return fmt.Errorf("sqlite: audit prune: %w", err)
	}
	var s packSummary
	var format int64
	var body []byte
	err = tx.QueryRowContext(ctx, `SELECT first_seq, last_seq, last_hash, format, body FROM audit_packs
		WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1`, through).Scan(&s.firstSeq, &s.lastSeq, &s.lastHash, &format, &body)
	if err == nil {
		pack, _, err := decodePack(format, s, body, nil)
		if err != nil {
			return packDamaged(s, err)
		}
		var keep []*audit.Record
		for i := range pack {
			if pack[i].seq > through {
				keep = append(keep, pack[i].record())
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM audit_packs WHERE first_seq = ?", s.firstSeq); err != nil {
			return fmt.Errorf("sqlite: audit prune: %w", err)
		}
		if err := insertPack(ctx, tx.StmtContext(ctx, db.wStmts.m[qAppendAuditPack]), keep); err != nil {
			return err
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: audit prune: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: audit prune: %w", err)
	}
	return nil
}
