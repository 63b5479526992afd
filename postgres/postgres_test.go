package postgres

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres/pgtest"
	"github.com/iamd/iamd/storetest"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return db
}

// TestConformance runs the whole storetest suite, core and extension
// groups, as sqlite does.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) iam.Store { return openTemp(t) })
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatalf("loadMigrations(embedded) = %v", err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
	for _, bad := range []fstest.MapFS{
		{"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		{"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		{"migrations/x_a.sql": {}},
		{"migrations/0002_a.sql": {}},
	} {
		if _, err := loadMigrations(bad); err == nil {
			t.Errorf("loadMigrations(%v) = nil error, want one", bad)
		}
	}
}
