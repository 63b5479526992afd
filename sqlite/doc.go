// Package sqlite implements iam.Store on a single SQLite database file.
//
// # Driver
//
// It uses modernc.org/sqlite, SQLite transpiled to pure Go: no cgo, so
// iamd stays one static binary that cross-compiles with GOOS/GOARCH alone,
// and the driver is actively maintained, tracks upstream SQLite releases
// closely (v1.62.0 bundles SQLite 3.54.1) and has a large test suite. The
// price is some speed against the C library, which an IAM server, read
// mostly and small, does not notice (see docs/bench/store.md). modernc.org/sqlite requires the exact
// modernc.org/libc version its go.mod names; keep them in step when
// upgrading.
//
// # Connections and transactions
//
// A DB holds two database/sql pools on the same file:
//
//   - a writer with exactly one connection. Update runs BEGIN IMMEDIATE on
//     it (DSN _txlock=immediate), taking SQLite's write lock at the start of
//     the transaction. Update calls are therefore serialized, so a count read
//     inside one (CountUsers, AccessKeys, ...) holds until it commits, and a
//     transaction that has read cannot fail with SQLITE_BUSY when it later
//     writes. SQLite allows one writer at a time anyway; more writer
//     connections would only contend for the lock.
//   - a read-only pool (PRAGMA query_only) for View, one connection per
//     CPU and at least 4.
//     In WAL mode readers see the last committed snapshot and neither block
//     nor wait for the writer.
//
// Settings are DSN parameters (_pragma and the driver's shorthand keys) so
// every connection database/sql opens gets them, not only the first:
//
//   - journal_mode=WAL: concurrent readers during a write, and a commit is
//     one sequential append to the WAL.
//   - synchronous=FULL: the WAL is fsynced at every commit, so a
//     transaction acknowledged to a client survives power loss or an OS
//     crash. NORMAL would sync only at checkpoints: the database would stay
//     consistent, but the last commits could vanish. For IAM that is not
//     acceptable: a deleted access key or removed group membership would
//     come back after a crash, restoring access that was revoked and
//     reported revoked. IAM writes are rare; the fsync costs little.
//   - foreign_keys=ON: memberships and access keys reference their user and
//     group with ON DELETE RESTRICT, so no orphan can exist whatever the
//     domain layer does; it must remove dependants first.
//   - busy_timeout=5000 ms: waits for another process holding the lock (a
//     backup tool, a second iamd by mistake) instead of failing at once.
//   - temp_store=memory, cache_size=16 MiB per connection,
//     journal_size_limit=64 MiB (truncates the WAL after checkpoints).
//
// The iam.Tx code and its SQL are package sqlstore's, shared with package
// postgres; this package gives it SQLite's dialect (sqlstore.Dialect) and
// runs it on the pools above. Every query is prepared once at Open on each
// pool and reused, so hot-path lookups parse no SQL. Contexts are honoured: cancelling one interrupts a
// running statement and rolls the transaction back.
//
// # Schema
//
// Migrations are the numbered files in migrations/ (NNNN_description.sql),
// embedded in the binary and applied in order at Open, each in its own
// transaction together with PRAGMA user_version, which records the last
// applied number. Opening a file whose version is newer than the binary
// knows fails rather than risk writing rows a newer schema forbids. New
// entities (roles, policies, ...) get new files; applied files are never
// edited.
//
// Names are unique per account case-insensitively through a name_lower
// column, set from strings.ToLower(name), with a UNIQUE (account_id,
// name_lower) index; listings sort on it. Tags are a JSON array of
// {"Key","Value"} objects in a TEXT column of the entity's row: they are
// always read and written with the entity and never queried by key, so a
// child table would only cost joins. Times are INTEGER Unix nanoseconds in
// UTC (full time.Time precision, years 1678 to 2261), with 0 for the zero
// time; they read back in UTC.
//
// Driver errors are classified by SQLite extended result code, never by
// message text: SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY
// become iam.ErrExists, sql.ErrNoRows and zero affected rows iam.ErrNotFound,
// and SQLITE_CONSTRAINT_FOREIGNKEY iam.ErrNotFound when inserting a
// membership or key for a missing user or group.
package sqlite
