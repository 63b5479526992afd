package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/iamd/iamd/sqlstore"
)

// The schema is the ordered list of files in migrations/, named
// NNNN_description.sql, numbered from 1 without gaps and kept in step with
// sqlite/migrations (same numbers, same tables, this dialect's SQL). The
// table schema_migrations records what was applied, in the migration's own
// transaction.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies the migrations the database has not seen, all in one
// transaction (PostgreSQL's DDL is transactional) under an advisory lock:
// nodes starting together apply each exactly once, and none ever sees a
// half-migrated schema.
func migrate(ctx context.Context, db *sql.DB, key int32) error {
	ms, err := sqlstore.LoadMigrations(migrationFS)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, lockMigrate, key); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT NOT NULL PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur > len(ms) {
		return sqlstore.NewerSchema(cur, len(ms))
	}
	if cur == len(ms) {
		return nil // the deferred rollback ends the transaction
	}
	for _, m := range ms[cur:] {
		// Without arguments the statement goes over the simple query
		// protocol, which runs a file of several statements.
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
