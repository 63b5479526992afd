package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres"
	"github.com/iamd/iamd/sqlite"
)

// databaseFlag registers --database, shared by the admin commands, so
// that each of them reaches a PostgreSQL deployment the way `iamd serve`
// does: one URL, from the flag or IAMD_DATABASE_URL.
func databaseFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("database", getenv("IAMD_DATABASE_URL"),
		"PostgreSQL URL (postgres://...); SQLite in the data directory when unset. Keep the password in PGPASSWORD or ~/.pgpass, not in the flag (IAMD_DATABASE_URL)")
}

// adminStore is what the commands that work on the store itself, below
// iam.Service, need: both backends implement it.
type adminStore interface {
	iam.Store
	audit.Store
}

// openStore opens the deployment's database: PostgreSQL at url when set,
// else the data directory's SQLite file. The file must already exist: an
// admin command pointed at a wrong directory must fail, not create an
// empty deployment there.
func openStore(ctx context.Context, url, dataDir string) (adminStore, error) {
	if url != "" {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		return db, nil
	}
	path := filepath.Join(dataDir, "iamd.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no database in %s: %w", dataDir, err)
	}
	return sqlite.Open(ctx, path)
}
