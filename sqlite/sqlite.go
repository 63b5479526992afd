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

	"github.com/iamd/iamd/iam"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// readConns is the size of the read-only pool. WAL readers never block each
// other or the writer, and a lookup is CPU-bound, so one connection per CPU
// (at least 4, for readers waiting on I/O) lets View calls run in parallel;
// more would only hold more page caches.
func readConns() int { return max(4, runtime.GOMAXPROCS(0)) }

// ErrClosed is returned by Update and View after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// errReadOnly is returned by a write inside View. The read pool is also
// opened with query_only, so this check is for a clear message, not safety.
var errReadOnly = errors.New("sqlite: write in a read-only (View) transaction")

// DB is an iam.Store backed by one SQLite database file.
type DB struct {
	w *sql.DB // exactly one connection: SQLite has one writer anyway
	r *sql.DB // read-only pool for View

	wStmts stmtCache
	rStmts stmtCache

	mu     sync.Mutex
	closed bool
}

var _ iam.Store = (*DB)(nil)

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
	if err := db.wStmts.prepare(ctx, w); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.rStmts.prepare(ctx, r); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
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

func (db *DB) run(ctx context.Context, fn func(iam.Tx) error, write bool) (err error) {
	db.mu.Lock()
	closed := db.closed
	db.mu.Unlock()
	if closed {
		return ErrClosed
	}

	pool, stmts, opts := db.r, &db.rStmts, &sql.TxOptions{ReadOnly: true}
	if write {
		pool, stmts, opts = db.w, &db.wStmts, nil
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	t := &tx{ctx: ctx, tx: stx, stmts: stmts, write: write}
	done := false
	defer func() {
		t.done = true
		if !done {
			// Also runs while a panic in fn unwinds, which then carries
			// on: the rollback makes sure no partial write survives it
			// and that the writer connection is freed.
			stx.Rollback()
		}
	}()

	if err := fn(t); err != nil {
		return err
	}
	if !write {
		return nil // the deferred rollback ends a read transaction
	}
	done = true
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
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
	db.wStmts.close()
	db.rStmts.close()
	// Readers first: the last connection to close checkpoints the WAL into
	// the main file and removes it, and that should be the writer.
	return errors.Join(db.r.Close(), db.w.Close())
}

// stmtCache holds every query of this package prepared once on a pool.
// They are all prepared in Open, never lazily: preparing on the writer pool
// needs its only connection, which a running Update holds. Tx.StmtContext
// then reuses the statement on the connection it was prepared on and
// prepares it again, once, on any other (another reader, or a writer
// connection database/sql had to replace), so a lookup parses no SQL.
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
