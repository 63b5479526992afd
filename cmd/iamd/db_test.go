package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres"
	"github.com/iamd/iamd/postgres/pgtest"
	"github.com/iamd/iamd/server"
	"github.com/iamd/iamd/sqlite"
)

// TestCopyTablesComplete fails when a migration adds a table that
// `iamd db copy` would leave behind.
func TestCopyTablesComplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iamd.db")
	end, err := openEnd(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer end.db.Close()
	rows, err := end.db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	listed := map[string]bool{}
	for _, n := range copyTables {
		listed[n] = true
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !listed[name] && !notCopied[name] {
			t.Errorf("table %s is neither in copyTables nor in notCopied", name)
		}
		delete(listed, name)
	}
	for n := range listed {
		t.Errorf("copyTables names %s, which the schema does not have", n)
	}
}

// TestDBCopyRoundTrip copies a SQLite deployment to PostgreSQL and back:
// a server started on the copy authenticates the original access key
// (its secret was copied sealed), enforces the copied policy, and the
// copied audit trail verifies.
func TestDBCopyRoundTrip(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: dir, AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	root := srv.Service.Authenticate(srv.Bootstrap.RootAccessKeyID).Principal
	if _, err := srv.Service.CreateUser(ctx, root, iam.CreateUserInput{UserName: "Alice", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	key, err := srv.Service.CreateAccessKey(ctx, root, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.CreatePolicy(ctx, root, iam.CreatePolicyInput{PolicyName: "p", Path: "/",
		PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// A few audit events with a digest.
	st, err := sqlite.Open(ctx, filepath.Join(dir, "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	signing, _, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: st, Key: signing, DigestEvery: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e := &audit.Event{EventVersion: audit.EventVersion, EventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339),
			EventSource: "iam.amazonaws.com", EventName: "CreateUser", EventID: fmt.Sprintf("e%d", i), ReadOnly: i%2 == 0,
			UserIdentity: audit.UserIdentity{Type: "Root", AccountID: "123456789012"}, RecipientAccountID: "123456789012"}
		if err := w.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	st.Close()

	var out bytes.Buffer
	if err := run(ctx, []string{"db", "copy", "--from", filepath.Join(dir, "iamd.db"), "--to", dsn}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("db copy sqlite -> postgres: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "access_keys") || !strings.Contains(out.String(), "audit_events") {
		t.Errorf("copy output lacks per-table counts:\n%s", out.String())
	}
	// Copying again onto the now non-empty destination is refused.
	if err := run(ctx, []string{"db", "copy", "--from", filepath.Join(dir, "iamd.db"), "--to", dsn}, func(string) string { return "" }, &out, &out); err == nil {
		t.Error("second copy onto a non-empty database: nil error")
	}

	check := func(name string, dbURL string) {
		t.Helper()
		srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: dir, DatabaseURL: dbURL})
		if err != nil {
			t.Fatalf("%s: start: %v", name, err)
		}
		defer srv.Shutdown(ctx)
		c := srv.Service.Authenticate(key.Key.ID)
		if c == nil || string(c.Secret) != key.Secret || c.Principal.UserName != "Alice" {
			t.Fatalf("%s: copied access key does not authenticate as Alice", name)
		}
	}
	check("postgres", dsn)
	pg, err := postgresStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, pg, signing.Public().(ed25519.PublicKey))
	pg.Close()
	if err != nil || !rep.OK() {
		t.Fatalf("copied audit trail on postgres: %v %v", err, rep)
	}

	back := filepath.Join(t.TempDir(), "back.db")
	if err := run(ctx, []string{"db", "copy", "--from", dsn, "--to", "sqlite:" + back}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("db copy postgres -> sqlite: %v\n%s", err, out.String())
	}
	st2, err := sqlite.Open(ctx, back)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = audit.Verify(ctx, st2, signing.Public().(ed25519.PublicKey))
	var ro int
	st2.ScanAudit(ctx, audit.Query{}, func(r *audit.Record) error {
		if r.ReadOnly {
			ro++
		}
		return nil
	})
	st2.Close()
	if err != nil || !rep.OK() {
		t.Fatalf("audit trail copied back to sqlite: %v %v", err, rep)
	}
	if ro != 3 {
		t.Errorf("read-only events after two copies = %d, want 3", ro)
	}
}

func postgresStore(ctx context.Context, dsn string) (*postgres.DB, error) {
	return postgres.Open(ctx, dsn)
}

// TestServeDatabaseURL: IAMD_DATABASE_URL puts the deployment in
// PostgreSQL, not in the data directory, and "account list --database"
// reads it there.
func TestServeDatabaseURL(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	env := map[string]string{"IAMD_DATA_DIR": dir, "IAMD_LISTEN": "127.0.0.1:0", "IAMD_LOG_LEVEL": "warn",
		"IAMD_DATABASE_URL": dsn, "IAMD_ACCOUNT_ID": "210987654321"}
	ctx, cancel := context.WithCancel(t.Context())
	_, _, done := startRun(t, ctx, env)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "iamd.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve with IAMD_DATABASE_URL created a SQLite file in the data directory (stat: %v)", err)
	}
	var out bytes.Buffer
	getenv := func(k string) string { return map[string]string{"IAMD_DATA_DIR": dir}[k] }
	if err := run(t.Context(), []string{"account", "list", "--database", dsn}, getenv, &out, &out); err != nil {
		t.Fatalf("account list: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "210987654321") {
		t.Errorf("account list on the database lacks the account:\n%s", out.String())
	}
}
