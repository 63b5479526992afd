package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamd/iamd/postgres/pgtest"
)

// eachBackend runs f against a SQLite deployment (dsn "") and a
// PostgreSQL one (a fresh schema; skipped without IAMD_TEST_POSTGRES_DSN,
// failing instead under IAMD_REQUIRE_POSTGRES=1).
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, "") })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.DSN(t)) })
}

func TestDatabaseFlag(t *testing.T) {
	for _, tt := range []struct {
		env, args []string
		want      string
	}{
		{nil, nil, ""},
		{[]string{"IAMD_DATABASE_URL", "postgres://h/env"}, nil, "postgres://h/env"},
		{[]string{"IAMD_DATABASE_URL", "postgres://h/env"}, []string{"--database", "postgres://h/flag"}, "postgres://h/flag"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		got := databaseFlag(fs, func(k string) string {
			if len(tt.env) == 2 && k == tt.env[0] {
				return tt.env[1]
			}
			return ""
		})
		if err := fs.Parse(tt.args); err != nil || *got != tt.want {
			t.Errorf("env %v args %v: --database = %q, %v; want %q", tt.env, tt.args, *got, err, tt.want)
		}
	}
}

// TestAdminCommandsNeedADatabase checks that every admin command that
// opens the store refuses a data directory with no database rather than
// creating one, and that a bad --database URL is reported without
// echoing the URL (its password).
func TestAdminCommandsNeedADatabase(t *testing.T) {
	const secretURL = "postgres://u:s3cret@[bad/db"
	for _, args := range [][]string{
		{"audit", "verify"},
		{"audit", "export"},
		{"keys", "status"},
	} {
		for _, db := range []string{"", secretURL} {
			dir := t.TempDir()
			var out bytes.Buffer
			// keys checks the master key file first: give it one.
			full := append(append([]string{}, args...), "--data-dir", dir, "--master-key-file", "/dev/null")
			if args[0] == "audit" {
				full = full[:len(full)-2]
			}
			if db != "" {
				full = append(full, "--database", db)
			}
			err := run(t.Context(), full, func(string) string { return "" }, &out, io.Discard)
			if err == nil {
				t.Errorf("iamd %v succeeded", full)
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, "iamd.db")); err == nil {
				t.Errorf("iamd %v created a database", full)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(out.String(), "s3cret") {
				t.Errorf("iamd %v: the error shows the password: %v", full, err)
			}
		}
	}
}
