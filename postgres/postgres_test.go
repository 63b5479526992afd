package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres/pgtest"
	"github.com/iamd/iamd/sqlstore"
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
// groups, as sqlite does. The suite wants an empty store per subtest;
// emptying one migrated schema is much cheaper than creating and
// migrating a schema for each of the ~130 subtests.
func TestConformance(t *testing.T) {
	dsn := pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) iam.Store {
		db, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close = %v", err)
			}
		})
		if err := empty(t.Context(), db); err != nil {
			t.Fatalf("empty the schema: %v", err)
		}
		return db
	})
}

// empty deletes every row of the store's schema and resets the change
// feed's revision counter, leaving the migrated schema. DELETE, not
// TRUNCATE: on tables of a few rows it is several times faster. Tables
// with foreign keys go first (their parents have none), and changes last,
// since the deletes themselves record changes.
func empty(ctx context.Context, db *DB) error {
	rows, err := db.db.QueryContext(ctx, `SELECT quote_ident(t.tablename) FROM pg_tables t
		WHERE t.schemaname = current_schema()
		  AND t.tablename NOT IN ('schema_migrations', 'change_revision', 'changes')
		ORDER BY EXISTS (SELECT FROM pg_constraint c WHERE c.contype = 'f'
			AND c.conrelid = (quote_ident(t.schemaname) || '.' || quote_ident(t.tablename))::regclass) DESC`)
	if err != nil {
		return err
	}
	var stmts []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		stmts = append(stmts, "DELETE FROM "+n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmts = append(stmts, "DELETE FROM changes", "UPDATE change_revision SET revision = 0")
	_, err = db.db.ExecContext(ctx, strings.Join(stmts, "; "))
	return err
}

// TestLoadMigrations checks the embedded files; sqlstore tests the loader.
func TestLoadMigrations(t *testing.T) {
	ms, err := sqlstore.LoadMigrations(migrationFS)
	if err != nil {
		t.Fatalf("LoadMigrations(embedded) = %v", err)
	}
	if len(ms) == 0 {
		t.Fatal("no embedded migrations")
	}
}
