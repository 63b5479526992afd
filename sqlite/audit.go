package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/iamd/iamd/audit"
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

// AuditHead implements audit.Store.
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, int64, error) {
	if err := db.checkOpen(); err != nil {
		return 0, nil, 0, err
	}
	var seq int64
	var hash []byte
	err := db.w.QueryRowContext(ctx, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, fmt.Errorf("sqlite: audit head: %w", err)
	}
	var dseq sql.NullInt64
	var dhash []byte
	if err := db.w.QueryRowContext(ctx, "SELECT seq, hash FROM audit_digests ORDER BY seq DESC LIMIT 1").Scan(&dseq, &dhash); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, fmt.Errorf("sqlite: audit head: %w", err)
	}
	if seq == 0 && dseq.Int64 > 0 {
		// Every event was pruned: the chain continues from the last digest.
		seq, hash = dseq.Int64, dhash
	}
	return seq, hash, dseq.Int64, nil
}

func encodeResources(rs []audit.Resource) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n" + r.Type + "\t" + r.Name)
	}
	b.WriteString("\n")
	return b.String()
}

func decodeResources(s string) []audit.Resource {
	var out []audit.Resource
	for _, line := range strings.Split(strings.Trim(s, "\n"), "\n") {
		if t, n, ok := strings.Cut(line, "\t"); ok {
			out = append(out, audit.Resource{Type: t, Name: n})
		}
	}
	return out
}

var qAppendAudit = q(`INSERT INTO audit_events (seq, prev_hash, hash, body, event_time, account_id, event_id,
	event_name, event_source, username, access_key, read_only, resources) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`)

// AppendAudit implements audit.Store.
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
		// The statement prepared in Open, bound to this transaction:
		// preparing it per batch cost more than a small batch's inserts.
		st := tx.StmtContext(ctx, db.wStmts.m[qAppendAudit])
		defer st.Close()
		for _, r := range recs {
			if _, err := st.ExecContext(ctx, r.Seq, r.PrevHash, r.Hash, string(r.Body), r.Time.Unix(), r.AccountID, r.EventID,
				r.EventName, r.EventSource, r.Username, r.AccessKeyID, r.ReadOnly, encodeResources(r.Resources)); err != nil {
				return fmt.Errorf("sqlite: audit append: %w", err)
			}
		}
	}
	if d != nil {
		if _, err := tx.ExecContext(ctx, "INSERT INTO audit_digests (seq, hash, time, signature) VALUES (?,?,?,?)",
			d.Seq, d.Hash, d.Time.UTC().Format(time.RFC3339Nano), d.Signature); err != nil {
			return fmt.Errorf("sqlite: audit digest: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: audit commit: %w", err)
	}
	return nil
}

// ScanAudit implements audit.Store.
func (db *DB) ScanAudit(ctx context.Context, q audit.Query, fn func(*audit.Record) error) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.AccountID != "" {
		add("account_id = ?", q.AccountID)
	}
	if !q.Start.IsZero() {
		add("event_time >= ?", q.Start.Unix())
	}
	if !q.End.IsZero() {
		add("event_time <= ?", q.End.Unix())
	}
	for col, v := range map[string]string{"event_id": q.EventID, "event_name": q.EventName, "event_source": q.EventSource,
		"username": q.Username, "access_key": q.AccessKeyID} {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	if q.ReadOnly != nil {
		add("read_only = ?", *q.ReadOnly)
	}
	if q.ResType != "" {
		add("instr(resources, ?) > 0", "\n"+q.ResType+"\t")
	}
	if q.ResName != "" {
		add("instr(resources, ?) > 0", "\t"+q.ResName+"\n")
	}
	if q.BeforeSeq > 0 {
		add("seq < ?", q.BeforeSeq)
	}
	query := "SELECT seq, prev_hash, hash, body, event_time, account_id, event_id, event_name, event_source, username, access_key, read_only, resources FROM audit_events"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if q.Descending {
		query += " ORDER BY seq DESC"
	} else {
		query += " ORDER BY seq"
	}
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: audit scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &audit.Record{}
		var body, res string
		var t int64
		if err := rows.Scan(&r.Seq, &r.PrevHash, &r.Hash, &body, &t, &r.AccountID, &r.EventID, &r.EventName, &r.EventSource,
			&r.Username, &r.AccessKeyID, &r.ReadOnly, &res); err != nil {
			return fmt.Errorf("sqlite: audit scan: %w", err)
		}
		r.Body, r.Time, r.Resources = []byte(body), time.Unix(t, 0).UTC(), decodeResources(res)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditDigests implements audit.Store.
func (db *DB) AuditDigests(ctx context.Context) ([]audit.Digest, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, "SELECT seq, hash, time, signature FROM audit_digests ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit digests: %w", err)
	}
	defer rows.Close()
	var out []audit.Digest
	for rows.Next() {
		var d audit.Digest
		var t string
		if err := rows.Scan(&d.Seq, &d.Hash, &t, &d.Signature); err != nil {
			return nil, fmt.Errorf("sqlite: audit digests: %w", err)
		}
		d.Time, _ = time.Parse(time.RFC3339Nano, t)
		out = append(out, d)
	}
	return out, rows.Err()
}

// PruneAudit implements audit.Store.
func (db *DB) PruneAudit(ctx context.Context, through int64) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, "DELETE FROM audit_events WHERE seq <= ?", through); err != nil {
		return fmt.Errorf("sqlite: audit prune: %w", err)
	}
	return nil
}
