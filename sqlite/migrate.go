package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"

	"github.com/iamd/iamd/sqlstore"
)

// The schema is the ordered list of files in migrations/, named
// NNNN_description.sql and numbered from 1 without gaps. PRAGMA user_version
// records the number of the last one applied: it lives in the database
// header and changes atomically with the migration's own transaction, so
// there is no bookkeeping table that could disagree with the schema.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrate applies the migrations db has not seen, each in its own
// transaction. The writer's transactions are BEGIN IMMEDIATE, and the
// version is read again inside each, so two processes opening the same new
// file at once apply every migration exactly once.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := sqlstore.LoadMigrations(migrationFS)
	if err != nil {
		return err
	}
	// The common case, an up-to-date file, needs no write transaction.
	var cur int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return err
	}
	if cur > len(ms) {
		return sqlstore.NewerSchema(cur, len(ms))
	}
	for _, m := range ms[cur:] {
		if err := applyMigration(ctx, db, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m sqlstore.Migration, latest int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	defer tx.Rollback()

	var cur int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if cur > latest {
		return sqlstore.NewerSchema(cur, latest)
	}
	if cur >= m.Version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	// PRAGMA takes no bound parameters; the version is an int we produced.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.Version)); err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}
