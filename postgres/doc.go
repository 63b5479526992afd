// Package postgres implements iam.Store and audit.Store on PostgreSQL, the
// database several iamd nodes share (server.Config.DatabaseURL,
// `iamd serve --database postgres://...`). It passes the same conformance
// suite as package sqlite (storetest) and holds the same data in the same
// shape, table for table.
//
// # Driver
//
// github.com/jackc/pgx/v5 through its database/sql adapter (pgx/v5/stdlib):
//
//   - the iam.Tx code is package sqlstore's, over database/sql, shared
//     with package sqlite: its SQL is written once, in SQLite's form, and
//     rebound to $N parameters once at Open; the few dialect points
//     (path prefix, no-limit, JSON aggregation, the revision counter,
//     savepoints, SQLSTATE codes) are this package's sqlstore.Dialect;
//   - pgx still does the work underneath: binary protocol, and its
//     per-connection statement cache prepares every query once on first
//     use, so hot lookups parse no SQL and no prepare step is needed at
//     Open;
//   - what database/sql cannot do, waiting for notifications, uses a
//     plain pgx.Conn of its own (FollowChanges).
//
// pgxpool's native interface would skip database/sql's thin layer; the
// store is not the bottleneck of an IAM server, whose reads are served
// from memory.
//
// # Concurrency across nodes
//
// iam.Service checks its invariants (2 access keys per user, 5 policy
// versions, case-insensitive unique names, quotas) by counting rows inside
// Store.Update. On SQLite one writer connection makes that safe; here every
// Update first takes a transaction-scoped advisory lock,
// pg_advisory_xact_lock(class, hashtext(current_schema())), which
// serializes the write transactions of all nodes on one deployment, then
// runs at READ COMMITTED: each statement sees everything committed before
// the lock was granted, so a count stays true until the commit. This was
// chosen over SERIALIZABLE with retries because
//
//   - it matches SQLite's semantics exactly, so the same Service code is
//     correct on both without any retry path that only one backend takes;
//   - the change feed needs revisions to become visible in order: with
//     concurrent writers a reader could see revision 11 committed before
//     10 and skip 10 forever. Under the lock they commit in order;
//   - IAM writes are rare and short (milliseconds); a deployment-wide
//     write lock costs nothing measurable next to the fsync of the commit
//     (docs/bench/postgres.md). A per-account lock would need the account
//     before the transaction starts, which Update does not know.
//
// The lock is released by commit or rollback, including when the
// connection dies, so a crashed node cannot hold it. View runs at
// REPEATABLE READ, READ ONLY: one snapshot for all of fn's reads, no lock,
// never waiting for writers.
//
// A failing statement aborts a PostgreSQL transaction, but iam.Tx lets fn
// carry on after ErrExists or ErrNotFound; every write therefore runs
// inside a SAVEPOINT that is rolled back on error.
//
// # Change feed
//
// Migration 0002 mirrors SQLite's: triggers on every entity table append
// (revision, kind, entity id) to changes. Revisions come from the one-row
// table change_revision, updated in the writing transaction (a sequence is
// not transactional: a reader could see a number handed to an uncommitted
// transaction). Each change also calls pg_notify on channel iamd_changes; the
// notification is sent at commit, once per transaction. FollowChanges
// LISTENs on a dedicated connection, reconnecting with backoff, and wakes
// Service.Sync; the Service's periodic polling stays as the fallback.
//
// # Audit trail
//
// Every node runs an audit.Writer with the chain head in memory. AppendAudit
// takes another advisory lock, reads the stored head and refuses records
// that do not follow it with audit.ErrHeadMoved; the writer then reloads
// the head, re-chains its batch after it and retries, so events from all
// nodes form one chain that audit.Verify accepts. Nodes must share the
// audit signing key (DataDir/audit-signing.key) as they share the master
// key.
//
// # Schema
//
// Migrations are migrations/NNNN_*.sql, numbered as sqlite's and written in
// this dialect (they are not translated). They are applied at Open,
// all pending ones in one transaction under an advisory lock, and recorded
// in schema_migrations; a database newer than the build is refused. Text
// columns are COLLATE "C", so ordering and the pagination marker comparison
// are by bytes as on SQLite, whatever the database's locale. Times are
// BIGINT Unix nanoseconds, flags 0/1 integers, secrets BYTEA, as on SQLite,
// so rows copy between the two unchanged. The URL's search_path selects the
// schema; tests use one fresh schema per test (package pgtest).
//
// Errors are classified by SQLSTATE: 23505 is iam.ErrExists, 23503 a
// missing referenced row (on insert) or a row still referenced (on delete).
package postgres
