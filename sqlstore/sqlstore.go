// Package sqlstore implements iam.Tx and its helpers over database/sql,
// shared by the sqlite and postgres backends.
//
// The backends keep what truly differs: opening the database, migrations,
// Update and View (SQLite's single writer connection, PostgreSQL's
// advisory write lock), the change feed's transport, the audit store's
// write paths (SQLite's packs, PostgreSQL's multi-node append), and the
// few dialect points a Dialect names. Everything else, the SQL of
// every entity, the scanning, the encodings of times and tags and the
// classification of constraint failures, is written once here, so that a
// fix or a new entity reaches both backends and the conformance suite
// (storetest) checks the same code twice.
//
// SQL is written in SQLite's form, with "?" and "?N" parameters, and
// rebound once to PostgreSQL's "$N" when the Store is made (Rebind); the
// one statement built per call, the audit scan's filter, is rebound per
// call. Dependencies point inward: this package imports iam, audit and
// database/sql, never a driver.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/iam"
)

// Dialect is what a backend tells the shared code about its SQL. The
// fields are few on purpose: a difference that needs more than a fragment
// belongs in the backend, not in a flag here.
type Dialect struct {
	// Name prefixes the errors this package makes ("sqlite", "postgres").
	Name string

	// Numbered: the driver takes $N parameters, so every query is
	// rebound once by Rebind.
	Numbered bool

	// Savepoints: a failed statement aborts the whole transaction (as on
	// PostgreSQL), so each write runs inside a savepoint that undoes only
	// the failed statement. iam.Tx lets the caller carry on after
	// ErrExists or ErrNotFound, and iam.Service does.
	Savepoints bool

	// PathPrefix is the boolean expression "column %[1]s.path starts with
	// parameter ?1", byte for byte: neither LIKE (wildcards, case folding)
	// nor anything that treats an empty prefix specially.
	PathPrefix string

	// Contains is the boolean expression "text column %[1]s contains
	// parameter ?", a plain substring test: no pattern characters, no
	// case folding.
	Contains string

	// NoLimit is bound to a listing's LIMIT when the caller wants every
	// row (SQLite: -1, PostgreSQL: NULL).
	NoLimit any

	// AuditScanNewest: a newest-first page of the audit trail with a
	// start time and no end time is read by scanning back from the
	// newest event, not through the (account, time) index. SQLite's
	// planner takes that index for any time range and sorts every event
	// in the range to return one page.
	AuditScanNewest bool

	// RoleIDs is a scalar subquery returning, as a JSON array text, the
	// role IDs of instance profile ip ordered by ID ('[]' when none).
	RoleIDs string

	// Revision is the query of the change feed's high-water mark: the
	// newest revision ever handed out, which pruning never lowers.
	Revision string

	// Constraint tells which integrity constraint a driver error reports,
	// by the driver's own codes, never by message text.
	Constraint func(error) Constraint
}

// Constraint is the kind of integrity constraint a statement violated.
type Constraint int

const (
	NoConstraint Constraint = iota // not a constraint failure, or one this package does not map
	Unique                         // a UNIQUE or PRIMARY KEY constraint
	ForeignKey                     // a FOREIGN KEY constraint
)

// Store is the SQL of every query for one Dialect.
type Store struct {
	d   Dialect
	sql []string // by query

	errReadOnly error
	errTxDone   error
}

// New returns the queries of the registry in d's form.
func New(d Dialect) (*Store, error) {
	if d.Name == "" || d.Constraint == nil || d.PathPrefix == "" || d.Contains == "" || d.RoleIDs == "" || d.Revision == "" {
		return nil, errors.New("sqlstore: incomplete dialect")
	}
	s := &Store{
		d:           d,
		sql:         make([]string, len(registry)),
		errReadOnly: errors.New(d.Name + ": write in a read-only (View) transaction"),
		errTxDone:   errors.New(d.Name + ": iam.Tx used after its Update or View returned"),
	}
	for i, text := range registry {
		q := text(&s.d)
		if d.Numbered {
			rq, err := Rebind(q)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: %w in %q", err, q)
			}
			q = rq
		}
		s.sql[i] = q
	}
	return s, nil
}

// Stmts is every query of a Store prepared once on one pool.
type Stmts struct {
	list []*sql.Stmt // by query
}

// Prepare prepares every query on db, for a driver that does not keep
// statements itself (pgx does, per connection; database/sql over SQLite
// does not). Tx then reuses a statement on the connection it was prepared
// on and prepares it again, once, on any other, so a lookup parses no SQL.
// Everything is prepared up front because preparing later on a pool of one
// connection would need the connection a running transaction holds.
func (s *Store) Prepare(ctx context.Context, db *sql.DB) (*Stmts, error) {
	st := &Stmts{list: make([]*sql.Stmt, len(s.sql))}
	for i, q := range s.sql {
		p, err := db.PrepareContext(ctx, q)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		st.list[i] = p
	}
	return st, nil
}

// Close closes the statements but keeps the list, which a transaction
// racing with Close may still be reading; a closed statement just fails.
func (st *Stmts) Close() {
	for _, p := range st.list {
		if p != nil {
			p.Close()
		}
	}
}

// Run runs fn on stx, a transaction the backend has begun (and, for a
// write, locked as it must), and ends stx: a read, or fn's error, ends in a
// rollback, a write fn accepts in a commit. stmts may be nil: queries then
// go to the driver as text. A Tx that fn keeps fails once Run returns.
func (s *Store) Run(ctx context.Context, stx *sql.Tx, stmts *Stmts, write bool, fn func(iam.Tx) error) error {
	t := &Tx{ctx: ctx, tx: stx, s: s, stmts: stmts, write: write}
	committing := false
	defer func() {
		t.done = true
		if !committing {
			// Also runs while a panic in fn unwinds, which then carries
			// on: the rollback makes sure no partial write survives it
			// and that the connection is freed.
			stx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	if !write {
		return nil
	}
	committing = true
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", s.d.Name, err)
	}
	return nil
}

// query is a statement of the registry, its index in Store.sql.
type query int

// registry holds every statement's text, in SQLite's form, as a function
// of the dialect for the few that differ. Each query variable of this
// package is declared through q or qd at package initialization.
var registry []func(*Dialect) string

func q(s string) query {
	return qd(func(*Dialect) string { return s })
}

func qd(f func(*Dialect) string) query {
	registry = append(registry, f)
	return query(len(registry) - 1)
}
