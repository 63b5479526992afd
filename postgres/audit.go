package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/audit"
)

// The audit trail's storage. Several nodes append to one chain, so
// AppendAudit serializes appends with an advisory lock and checks, under
// it, that the records follow the stored head; a writer whose in-memory
// head is stale gets audit.ErrHeadMoved and re-chains its batch. No other
// business rule lives here: the audit package builds, chains, signs and
// verifies the records.

var _ audit.Store = (*DB)(nil)

// head reads the chain head: the last event, or, when every event was
// pruned, the last digest, from which the chain continues.
func head(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, []byte, int64, error) {
	var seq int64
	var hash []byte
	err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, err
	}
	var dseq int64
	var dhash []byte
	err = q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_digests ORDER BY seq DESC LIMIT 1`).Scan(&dseq, &dhash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, 0, err
	}
	if seq == 0 && dseq > 0 {
		seq, hash = dseq, dhash
	}
	return seq, hash, dseq, nil
}

// AuditHead implements audit.Store.
func (db *DB) AuditHead(ctx context.Context) (int64, []byte, int64, error) {
	if err := db.checkOpen(); err != nil {
		return 0, nil, 0, err
	}
	seq, hash, dseq, err := head(ctx, db.db)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("postgres: audit head: %w", err)
	}
	return seq, hash, dseq, nil
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

// AppendAudit implements audit.Store. Under the audit lock it checks that
// recs continue the stored chain (and that a digest alone is for the
// stored head): otherwise another node appended first and it returns
// audit.ErrHeadMoved without writing anything.
func (db *DB) AppendAudit(ctx context.Context, recs []*audit.Record, d *audit.Digest) (err error) {
	if err := db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: audit begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockAudit, db.lockKey); err != nil {
		return fmt.Errorf("postgres: audit lock: %w", err)
	}
	seq, hash, dseq, err := head(ctx, tx)
	if err != nil {
		return fmt.Errorf("postgres: audit head: %w", err)
	}
	if hash == nil {
		hash = audit.ZeroHash
	}
	switch {
	case len(recs) > 0:
		if recs[0].Seq != seq+1 || !bytes.Equal(recs[0].PrevHash, hash) {
			return audit.ErrHeadMoved
		}
	case d != nil:
		if d.Seq != seq || !bytes.Equal(d.Hash, hash) || d.Seq <= dseq {
			return audit.ErrHeadMoved
		}
	}
	if len(recs) > 0 {
		// One multi-row INSERT per batch: a round trip per event would make
		// the commit loop, and so every audited request, wait longer.
		var sb strings.Builder
		sb.WriteString(`INSERT INTO audit_events (seq, prev_hash, hash, body, event_time, account_id, event_id,
			event_name, event_source, username, access_key, read_only, resources) VALUES `)
		args := make([]any, 0, 13*len(recs))
		for i, r := range recs {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(")
			for j := range 13 {
				if j > 0 {
					sb.WriteString(",")
				}
				sb.WriteString("$" + strconv.Itoa(i*13+j+1))
			}
			sb.WriteString(")")
			args = append(args, r.Seq, r.PrevHash, r.Hash, string(r.Body), r.Time.Unix(), r.AccountID, r.EventID,
				r.EventName, r.EventSource, r.Username, r.AccessKeyID, r.ReadOnly, encodeResources(r.Resources))
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("postgres: audit append: %w", err)
		}
	}
	if d != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_digests (seq, hash, time, signature) VALUES ($1, $2, $3, $4)`,
			d.Seq, d.Hash, d.Time.UTC().Format(time.RFC3339Nano), d.Signature); err != nil {
			return fmt.Errorf("postgres: audit digest: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: audit commit: %w", err)
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
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if q.AccountID != "" {
		add("account_id = $?", q.AccountID)
	}
	if !q.Start.IsZero() {
		add("event_time >= $?", q.Start.Unix())
	}
	if !q.End.IsZero() {
		add("event_time <= $?", q.End.Unix())
	}
	for _, c := range []struct{ col, v string }{{"event_id", q.EventID}, {"event_name", q.EventName},
		{"event_source", q.EventSource}, {"username", q.Username}, {"access_key", q.AccessKeyID}} {
		if c.v != "" {
			add(c.col+" = $?", c.v)
		}
	}
	if q.ReadOnly != nil {
		add("read_only = $?", *q.ReadOnly)
	}
	if q.ResType != "" {
		add("strpos(resources, $?) > 0", "\n"+q.ResType+"\t")
	}
	if q.ResName != "" {
		add("strpos(resources, $?) > 0", "\t"+q.ResName+"\n")
	}
	if q.BeforeSeq > 0 {
		add("seq < $?", q.BeforeSeq)
	}
	query := `SELECT seq, prev_hash, hash, body, event_time, account_id, event_id, event_name, event_source, username,
		access_key, read_only, resources FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	if q.Descending {
		query += " ORDER BY seq DESC"
	} else {
		query += " ORDER BY seq"
	}
	if q.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := db.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("postgres: audit scan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &audit.Record{}
		var body, res string
		var t int64
		if err := rows.Scan(&r.Seq, &r.PrevHash, &r.Hash, &body, &t, &r.AccountID, &r.EventID, &r.EventName, &r.EventSource,
			&r.Username, &r.AccessKeyID, &r.ReadOnly, &res); err != nil {
			return fmt.Errorf("postgres: audit scan: %w", err)
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
	rows, err := db.db.QueryContext(ctx, `SELECT seq, hash, time, signature FROM audit_digests ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit digests: %w", err)
	}
	defer rows.Close()
	var out []audit.Digest
	for rows.Next() {
		var d audit.Digest
		var t string
		if err := rows.Scan(&d.Seq, &d.Hash, &t, &d.Signature); err != nil {
			return nil, fmt.Errorf("postgres: audit digests: %w", err)
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
	if _, err := db.db.ExecContext(ctx, `DELETE FROM audit_events WHERE seq <= $1`, through); err != nil {
		return fmt.Errorf("postgres: audit prune: %w", err)
	}
	return nil
}
