package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/audit"
)

// --- the audit trail's rows (audit.Store). What is written once here is
// what both backends store alike: the audit_events row of an event, the
// query of a LookupEvents filter on those rows, the scan, and the digests.
// The backends keep what differs: SQLite packs runs of read events
// (audit_packs) and appends through statements prepared on its writer;
// PostgreSQL stores every event as a row and appends under an advisory
// lock with one multi-row INSERT per batch, checking the head itself since
// several nodes append to one chain.

// AuditColumns are the columns of audit_events in the order AppendAuditRow
// binds them and the scan reads them.
const AuditColumns = `seq, prev_hash, hash, body, event_time, account_id, event_id, event_name, event_source, username, access_key, read_only, resources`

// AuditColumnCount is the number of AuditColumns, the parameters of one row.
const AuditColumnCount = 13

// AppendAuditRow appends to args r's values for AuditColumns. A caller
// inserting several rows reuses one args slice for the batch.
func AppendAuditRow(args []any, r *audit.Record) []any {
	return append(args, r.Seq, r.PrevHash, r.Hash, string(r.Body), r.Time.Unix(), r.AccountID, r.EventID,
		r.EventName, r.EventSource, r.Username, r.AccessKeyID, r.ReadOnly, EncodeAuditResources(r.Resources))
}

// EncodeAuditResources is the resources column of audit_events for rs:
// "\n" type "\t" name for each, then "\n", so that a filter on a type or a
// name is a substring test that cannot match across two resources (a type
// or a name holds neither byte).
func EncodeAuditResources(rs []audit.Resource) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n" + r.Type + "\t" + r.Name)
	}
	b.WriteString("\n")
	return b.String()
}

// DecodeAuditResources is the inverse of EncodeAuditResources; a line
// without a tab (only a damaged column has one) is skipped.
func DecodeAuditResources(s string) []audit.Resource {
	var out []audit.Resource
	for _, line := range strings.Split(strings.Trim(s, "\n"), "\n") {
		if t, n, ok := strings.Cut(line, "\t"); ok {
			out = append(out, audit.Resource{Type: t, Name: n})
		}
	}
	return out
}

// Querier is what the audit reads run through: a pool or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Execer is what the audit writes run through: a transaction.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// auditRowQuery returns the SELECT of the audit_events rows that match q,
// in q's order and within its limit, in the dialect's form. Every filter
// is exact and case-sensitive, as LookupEvents' attributes are; times are
// compared in whole seconds, the column's unit; a resource type or name is
// a substring of the resources column, delimited as EncodeAuditResources
// delimits it.
func (s *Store) auditRowQuery(q *audit.Query) (string, []any, error) {
	var b strings.Builder
	b.WriteString("SELECT " + AuditColumns + " FROM audit_events")
	var args []any
	add := func(cond string, v any) {
		if len(args) == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(cond)
		args = append(args, v)
	}
	if q.AccountID != "" {
		add("account_id = ?", q.AccountID)
	}
	if !q.Start.IsZero() {
		if s.d.AuditScanNewest && q.Descending && q.End.IsZero() {
			// "+" keeps the column out of the planner's choice of
			// index: the page's events are the newest rows, which a
			// backward scan by seq reaches first.
			add("+event_time >= ?", q.Start.Unix())
		} else {
			add("event_time >= ?", q.Start.Unix())
		}
	}
	if !q.End.IsZero() {
		add("event_time <= ?", q.End.Unix())
	}
	for _, c := range [...]struct{ col, v string }{{"event_id", q.EventID}, {"event_name", q.EventName},
		{"event_source", q.EventSource}, {"username", q.Username}, {"access_key", q.AccessKeyID}} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if q.ReadOnly != nil {
		add("read_only = ?", *q.ReadOnly)
	}
	if q.ResType != "" {
		add(fmt.Sprintf(s.d.Contains, "resources"), "\n"+q.ResType+"\t")
	}
	if q.ResName != "" {
		add(fmt.Sprintf(s.d.Contains, "resources"), "\t"+q.ResName+"\n")
	}
	if q.BeforeSeq > 0 {
		add("seq < ?", q.BeforeSeq)
	}
	if q.Descending {
		b.WriteString(" ORDER BY seq DESC")
	} else {
		b.WriteString(" ORDER BY seq")
	}
	if q.Limit > 0 {
		b.WriteString(" LIMIT " + strconv.Itoa(q.Limit))
	}
	query := b.String()
	if s.d.Numbered {
		// Per scan, not per row: a few hundred bytes, against a query
		// that reads the table.
		var err error
		if query, err = Rebind(query); err != nil {
			return "", nil, err
		}
	}
	return query, args, nil
}

// ScanAudit calls fn for the records matching q: the rows of audit_events
// read through db, merged in q's order with the records more returns,
// when more is not nil. more yields the backend's other records matching q
// (SQLite's packs) in q's order, and nil after its last; the two never
// hold the same sequence. q.Limit applies to the merged sequence. An error
// from fn is returned as is.
func (s *Store) ScanAudit(ctx context.Context, db Querier, q *audit.Query, more func() (*audit.Record, error), fn func(*audit.Record) error) error {
	query, args, err := s.auditRowQuery(q)
	if err != nil {
		return fmt.Errorf("%s: audit scan: %w", s.d.Name, err)
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: audit scan: %w", s.d.Name, err)
	}
	defer rows.Close()
	nextRow := func() (*audit.Record, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		r := &audit.Record{}
		var body, res string
		var t int64
		if err := rows.Scan(&r.Seq, &r.PrevHash, &r.Hash, &body, &t, &r.AccountID, &r.EventID, &r.EventName, &r.EventSource,
			&r.Username, &r.AccessKeyID, &r.ReadOnly, &res); err != nil {
			return nil, err
		}
		r.Body, r.Time, r.Resources = []byte(body), time.Unix(t, 0).UTC(), DecodeAuditResources(res)
		return r, nil
	}
	if more == nil {
		more = func() (*audit.Record, error) { return nil, nil }
	}
	r, err := nextRow()
	if err != nil {
		return fmt.Errorf("%s: audit scan: %w", s.d.Name, err)
	}
	p, err := more()
	if err != nil {
		return fmt.Errorf("%s: audit scan: %w", s.d.Name, err)
	}
	for n := 0; (q.Limit <= 0 || n < q.Limit) && (r != nil || p != nil); n++ {
		var next *audit.Record
		if r == nil || p != nil && (p.Seq < r.Seq) != q.Descending {
			next = p
			p, err = more()
		} else {
			next = r
			r, err = nextRow()
		}
		if err != nil {
			return fmt.Errorf("%s: audit scan: %w", s.d.Name, err)
		}
		if err := fn(next); err != nil {
			return err
		}
	}
	return nil
}

var qAppendAuditDigest = q(`INSERT INTO audit_digests (seq, hash, time, signature) VALUES (?, ?, ?, ?)`)

// AppendAuditDigest inserts d through tx, AppendAudit's transaction.
func (s *Store) AppendAuditDigest(ctx context.Context, tx Execer, d *audit.Digest) error {
	if _, err := tx.ExecContext(ctx, s.sql[qAppendAuditDigest], d.Seq, d.Hash, d.Time.UTC().Format(time.RFC3339Nano), d.Signature); err != nil {
		return fmt.Errorf("%s: audit digest: %w", s.d.Name, err)
	}
	return nil
}

var qAuditDigests = q(`SELECT seq, hash, time, signature FROM audit_digests ORDER BY seq`)

// AuditDigests implements audit.Store's AuditDigests, reading through db.
func (s *Store) AuditDigests(ctx context.Context, db Querier) ([]audit.Digest, error) {
	rows, err := db.QueryContext(ctx, s.sql[qAuditDigests])
	if err != nil {
		return nil, fmt.Errorf("%s: audit digests: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []audit.Digest
	for rows.Next() {
		var d audit.Digest
		var t string
		if err := rows.Scan(&d.Seq, &d.Hash, &t, &d.Signature); err != nil {
			return nil, fmt.Errorf("%s: audit digests: %w", s.d.Name, err)
		}
		// The column is only ever written by AppendAuditDigest; a damaged
		// time is left zero and its signature then fails to verify.
		d.Time, _ = time.Parse(time.RFC3339Nano, t)
		out = append(out, d)
	}
	return out, rows.Err()
}

var qPruneAuditRows = q(`DELETE FROM audit_events WHERE seq <= ?`)

// PruneAuditRows deletes through tx the rows of audit_events with a
// sequence up to through.
func (s *Store) PruneAuditRows(ctx context.Context, tx Execer, through int64) error {
	if _, err := tx.ExecContext(ctx, s.sql[qPruneAuditRows], through); err != nil {
		return fmt.Errorf("%s: audit prune: %w", s.d.Name, err)
	}
	return nil
}
