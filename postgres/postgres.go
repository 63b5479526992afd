package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sqlstore"
)

// ErrClosed is returned by Update and View after Close.
var ErrClosed = errors.New("postgres: store is closed")

// dialect is what the shared SQL (sqlstore) needs to know of PostgreSQL.
// No statement is prepared in Open (Begin gets no Stmts): pgx prepares each
// query once per connection, on first use, and keeps it in its statement
// cache, so the hot-path lookups parse no SQL after warm-up.
var dialect = sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	// A failed statement aborts a PostgreSQL transaction.
	Savepoints: true,
	// starts_with rather than LIKE: LIKE would treat '_' and '%' in a path
	// as wildcards.
	PathPrefix: `starts_with(%[1]s.path, ?1)`,
	Contains:   `strpos(%[1]s, ?) > 0`,
	NoLimit:    nil, // LIMIT NULL: no limit
	RoleIDs: `coalesce((SELECT json_agg(role_id ORDER BY role_id)::text FROM instance_profile_roles
		WHERE profile_id = ip.id), '[]')`,
	// change_revision is the transactional high-water mark (migration
	// 0002).
	Revision:   `SELECT revision FROM change_revision WHERE id = 1`,
	Constraint: constraint,
}

// Advisory lock classes (the first key of pg_advisory_xact_lock(int, int));
// the second key is a hash of the schema, so that deployments (or test
// runs) in different schemas of one database do not wait for each other.
const (
	lockMigrate int32 = 0x69616d00 // "iam\x00"
	lockWrite   int32 = 0x69616d01
	lockAudit   int32 = 0x69616d02
)

// DefaultMaxConns is the pool size when the URL does not set
// pool_max_conns.
const DefaultMaxConns = 16

// DB is an iam.Store and an audit.Store on a PostgreSQL database, shared by
// every node of a deployment.
type DB struct {
	db      *sql.DB
	sql     *sqlstore.Store
	connCfg *pgx.ConnConfig // for the LISTEN connection
	lockKey int32           // hashtext(current_schema())
	schema  string

	mu     sync.Mutex
	closed bool
}

var (
	_ iam.Store     = (*DB)(nil)
	_ audit.Journal = (*DB)(nil)
)

// Open connects to the database at url (postgres://user:pass@host/db?...),
// brings its schema up to date and returns the store. Parameters pgx does
// not know, such as search_path, are sent to the server as run-time
// settings, which is how tests give each run its own schema.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included.
		return nil, errors.New("postgres: invalid database URL")
	}
	shared, err := sqlstore.New(dialect)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{connCfg: cfg, sql: shared}
	db.db = stdlib.OpenDB(*cfg)
	db.db.SetMaxOpenConns(DefaultMaxConns)
	db.db.SetMaxIdleConns(DefaultMaxConns)
	// Connections are recycled now and then so that, behind a proxy or
	// after a failover, the pool moves to the current server.
	db.db.SetConnMaxLifetime(30 * time.Minute)
	db.db.SetConnMaxIdleTime(5 * time.Minute)

	if err := db.db.QueryRowContext(ctx, `SELECT current_schema(), hashtext(current_schema())`).Scan(&db.schema, &db.lockKey); err != nil {
		db.db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if db.schema == "" {
		db.db.Close()
		return nil, errors.New("postgres: no schema: the search_path names no existing schema")
	}
	if err := migrate(ctx, db.db, db.lockKey); err != nil {
		db.db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// Update runs fn in a READ COMMITTED transaction that first takes the
// deployment's write lock (an advisory transaction lock), so Update calls
// of every node are serialized as SQLite's single writer serializes them
// on one node: a count read inside fn stays true until the commit, and the
// change feed's revisions become visible in order. The lock is released by
// the commit or rollback, even if the connection dies.
func (db *DB) Update(ctx context.Context, fn func(iam.Tx) error) error {
	return db.run(ctx, fn, true)
}

// View runs fn in a REPEATABLE READ, READ ONLY transaction: one snapshot for
// every read of fn, taking no lock and never waiting for Update.
func (db *DB) View(ctx context.Context, fn func(iam.Tx) error) error {
	return db.run(ctx, fn, false)
}

func (db *DB) run(ctx context.Context, fn func(iam.Tx) error, write bool) error {
	if err := db.checkOpen(); err != nil {
		return err
	}
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	if write {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	stx, err := db.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if write {
		if _, err := stx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockWrite, db.lockKey); err != nil {
			stx.Rollback()
			return fmt.Errorf("postgres: write lock: %w", err)
		}
	}
	return db.sql.Run(ctx, stx, nil, write, fn)
}

// AuditIntents implements audit.Journal.
func (db *DB) AuditIntents(ctx context.Context, before time.Time, limit int) ([]audit.Intent, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	return db.sql.AuditIntents(ctx, db.db, before, limit)
}

func (db *DB) checkOpen() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return ErrClosed
	}
	return nil
}

// Close closes the pool; callers stop calling Update and View first.
// Calling Close again returns nil.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	return db.db.Close()
}
