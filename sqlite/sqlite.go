package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// readConns is the size of the read-only pool. WAL readers never block each
// other or the writer, and a lookup is CPU-bound, so one connection per CPU
// (at least 4, for readers waiting on I/O) lets View calls run in parallel;
// more would only hold more page caches.
func readConns() int { return max(4, runtime.GOMAXPROCS(0)) }

// ErrClosed is returned by Update and View after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// dialect is what the shared SQL (sqlstore) needs to know of SQLite.
var dialect = sqlstore.Dialect{
	Name: "sqlite",
	// Listings filter by path prefix with substr rather than LIKE: LIKE
	// would treat '_' and '%' in a path as wildcards and fold ASCII case.
	PathPrefix: `substr(%[1]s.path, 1, length(?1)) = ?1`,
	Contains:   `instr(%[1]s, ?) > 0`,
	NoLimit:    int64(-1),
	// See docs/audit.md: a LookupEvents page since a StartTime scanned
	// newest first instead of sorting the whole range (0.33 s for
	// 300,000 events).
	AuditScanNewest: true,
	RoleIDs: `coalesce((SELECT json_group_array(role_id) FROM (SELECT role_id FROM instance_profile_roles
		WHERE profile_id = ip.id ORDER BY role_id)), '[]')`,
	// AUTOINCREMENT keeps the high-water mark in sqlite_sequence,
	// transactionally, and never lowers it.
	Revision:   `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)`,
	Constraint: constraint,
}

// DB is an iam.Store backed by one SQLite database file.
type DB struct {
	w *sql.DB // exactly one connection: SQLite has one writer anyway
	r *sql.DB // read-only pool for View

	sql *sqlstore.Store
	// The shared queries, prepared on each pool, and this package's own
	// (the audit store's, which writes), prepared on the writer.
	wShared, rShared *sqlstore.Stmts
	wStmts           stmtCache

	mu     sync.Mutex
	closed bool
}

var (
	_ iam.Store     = (*DB)(nil)
	_ audit.Journal = (*DB)(nil)
)

// Open opens the database at path, creating the file (but not its
// directory) when it is missing, and brings its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	w, err := sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	// The writer connection is never recycled: closing it would drop its
	// prepared statements and page cache for nothing.
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	// Readers are opened only after the writer has put the file in WAL mode
	// and created the schema, so a reader never sees a half-made database.
	r, err := sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readConns())
	r.SetMaxIdleConns(readConns())

	db := &DB{w: w, r: r}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

func (db *DB) prepare(ctx context.Context) (err error) {
	if db.sql, err = sqlstore.New(dialect); err != nil {
		return err
	}
	if db.wShared, err = db.sql.Prepare(ctx, db.w); err != nil {
		return err
	}
	if db.rShared, err = db.sql.Prepare(ctx, db.r); err != nil {
		return err
	}
	return db.wStmts.prepare(ctx, db.w)
}

// dsn builds a file: URI so that a path holding '?' or '#' stays a path: a
// plain file name would be cut at the first '?'. Every setting is a DSN
// parameter rather than a one-off Exec because database/sql opens and
// reopens connections on its own, and each must come up configured.
func dsn(abs string, readOnly bool) string {
	q := url.Values{}
	// Applied first by the driver, so the pragmas below cannot fail with
	// SQLITE_BUSY while another process holds a lock.
	q.Set("_busy_timeout", "5000")
	q.Add("_pragma", "temp_store(memory)")
	q.Add("_pragma", "cache_size(-16384)") // KiB: 16 MiB per connection
	q.Set("_synchronous", "FULL")
	if readOnly {
		// journal_mode is persistent in the file; the writer already set
		// it, and query_only would refuse the change anyway.
		q.Set("_query_only", "1")
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "1")
		// Keeps the WAL file from staying at its high-water mark after a
		// checkpoint.
		q.Add("_pragma", "journal_size_limit(67108864)")
		// Take the write lock at BEGIN, not at the first write: a
		// transaction that read a count and then tries to write can then
		// never hit SQLITE_BUSY halfway (which busy_timeout cannot retry
		// for a deferred transaction upgrading its lock).
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	if u.Path != "" && u.Path[0] != '/' {
		u.Path = "/" + u.Path // Windows: file:///C:/...
	}
	return u.String()
}

// Update runs fn in a write transaction started with BEGIN IMMEDIATE on the
// single writer connection, so concurrent Update calls are serialized:
// whatever fn reads stays true until it commits.
func (db *DB) Update(ctx context.Context, fn func(iam.Tx) error) error {
	return db.run(ctx, fn, true)
}

// View runs fn in a read transaction on the read pool. Under WAL it reads a
// snapshot taken at its first read and does not block, or wait for, Update.
func (db *DB) View(ctx context.Context, fn func(iam.Tx) error) error {
	return db.run(ctx, fn, false)
}

func (db *DB) run(ctx context.Context, fn func(iam.Tx) error, write bool) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	pool, stmts, opts := db.r, db.rShared, &sql.TxOptions{ReadOnly: true}
	if write {
		pool, stmts, opts = db.w, db.wShared, nil
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	return db.sql.Run(ctx, stx, stmts, write, fn)
}

// Close closes the database; it waits for nothing, so callers stop calling
// Update and View first. Calling Close again returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	for _, st := range []*sqlstore.Stmts{db.wShared, db.rShared} {
		if st != nil {
			st.Close()
		}
	}
	db.wStmts.close()
	// Readers first: the last connection to close checkpoints the WAL into
	// the main file and removes it, and that should be the writer.
	return errors.Join(db.r.Close(), db.w.Close())
}

// AuditIntents implements audit.Journal, on the read pool.
func (db *DB) AuditIntents(ctx context.Context, before time.Time, limit int) ([]audit.Intent, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	return db.sql.AuditIntents(ctx, db.r, before, limit)
}

// allQueries lists the statements of this package (the audit store's; the
// shared ones are sqlstore's), for stmtCache to prepare on the writer in
// Open. Each is declared through q.
var allQueries []string

func q(s string) string {
	allQueries = append(allQueries, s)
	return s
}

// stmtCache holds every query of this package prepared once on a pool.
// They are all prepared in Open, never lazily: preparing on the writer pool
// needs its only connection, which a running Update holds. Tx.StmtContext
// then reuses the statement on the connection it was prepared on and
// prepares it again, once, on any other (a writer connection database/sql
// had to replace), so an append parses no SQL.
type stmtCache struct {
	m map[string]*sql.Stmt
}

func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) error {
	c.m = make(map[string]*sql.Stmt, len(allQueries))
	for _, q := range allQueries {
		s, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.close()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		c.m[q] = s
	}
	return nil
}

// close closes the statements but keeps the map, which an Update racing
// with Close may still be reading; a closed statement just fails.
func (c *stmtCache) close() {
	for _, s := range c.m {
		s.Close()
	}
}
