// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database named by IAMD_TEST_POSTGRES_DSN, dropped when the
// test ends.
//
// Without the variable, tests that need PostgreSQL are skipped, except when
// IAMD_REQUIRE_POSTGRES=1 (as in CI): then they fail, so that a CI machine
// that lost its database cannot pass by running nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the variable holding the test server's URL, e.g.
// postgres://iamd:iamd@127.0.0.1:5432/iamd_test.
const EnvDSN = "IAMD_TEST_POSTGRES_DSN"

// EnvRequire, set to 1, turns a missing EnvDSN into a failure.
const EnvRequire = "IAMD_REQUIRE_POSTGRES"

// BaseDSN returns the server's URL, skipping (or failing, see EnvRequire)
// the test when none is configured.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s=1 but %s is not set: PostgreSQL tests cannot run", EnvRequire, EnvDSN)
		}
		t.Skipf("%s not set: PostgreSQL tests skipped", EnvDSN)
	}
	return dsn
}

// DSN creates an empty schema and returns a URL whose connections use it
// (search_path); the schema is dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "iamd_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema: %v", err)
		}
	})
	return WithSchema(t, base, schema)
}

// WithSchema returns dsn with its search_path set to schema.
func WithSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("pgtest: %s is not a URL", EnvDSN)
		}
		q := u.Query()
		q.Set("search_path", schema)
		// Test data need not survive a crash; not waiting for the WAL
		// flush makes each of the many small test transactions cheaper.
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema + " synchronous_commit=off"
}
