package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/postgres"
	"github.com/iamd/iamd/sqlite"
)

const dbUsage = `usage: iamd db copy --from DB --to DB
  DB is a PostgreSQL URL (postgres://...) or a SQLite file (sqlite:PATH or a plain path).
  Copies every entity, secret (as ciphertext: both ends need the same master key),
  audit event and digest from one deployment database to another, empty, one.
  Stop the nodes using either database first. Copying to a SQLite file is also a backup.`

// dbCmd implements "iamd db".
func dbCmd(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "copy" {
		return errors.New(dbUsage)
	}
	fs := flag.NewFlagSet("db copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source database")
	to := fs.String("to", "", "destination database (must be empty)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		return errors.New(dbUsage)
	}
	counts, err := copyDatabase(ctx, *from, *to)
	if err != nil {
		return err
	}
	total := 0
	for _, c := range counts {
		if c.rows > 0 {
			fmt.Fprintf(stdout, "%-24s %d\n", c.table, c.rows)
		}
		total += c.rows
	}
	fmt.Fprintf(stdout, "copied %d rows\n", total)
	return nil
}

// copyTables lists every table holding deployment data, parents before
// children (foreign keys). Not copied: the change feed (changes and its
// counters), which the destination's triggers rebuild as rows arrive, and
// migration bookkeeping. TestCopyTablesComplete fails when a migration adds
// a table missing here.
var copyTables = []string{
	"meta", "accounts", "users", "groups", "group_members", "access_keys",
	"roles", "policies", "policy_versions", "user_policies", "group_policies", "role_policies",
	"user_attachments", "group_attachments", "role_attachments", "instance_profiles", "instance_profile_roles",
	"oidc_providers", "saml_providers", "ssh_public_keys", "signing_certificates", "server_certificates",
	"service_credentials", "account_aliases",
	"login_profiles", "password_policies", "mfa_devices",
	"audit_events", "audit_digests", "audit_journal",
	"service_access", "reports",
	"console_sessions", "sign_in_failures",
	"service_definitions",
}

// notCopied are the tables copyTables leaves out on purpose. SQLite's
// audit_packs (read events stored many to a row) are copied by
// copyAuditPacks as one audit_events row per event instead.
var notCopied = map[string]bool{"changes": true, "change_revision": true, "schema_migrations": true, "sqlite_sequence": true,
	"audit_packs": true}

// boolColumns are stored as BOOLEAN on PostgreSQL and 0/1 on SQLite.
var boolColumns = map[string]bool{"audit_events.read_only": true}

type dbEnd struct {
	db       *sql.DB
	postgres bool
}

type tableCount struct {
	table string
	rows  int
}

// openEnd migrates the database with its store package (so both ends have
// the current schema), then opens a plain handle for the copy.
func openEnd(ctx context.Context, spec string) (*dbEnd, error) {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		st, err := postgres.Open(ctx, spec)
		if err != nil {
			return nil, err
		}
		st.Close()
		db, err := sql.Open("pgx", spec)
		if err != nil {
			return nil, errors.New("postgres: invalid database URL")
		}
		return &dbEnd{db: db, postgres: true}, nil
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	st.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "_foreign_keys=1&_busy_timeout=5000"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &dbEnd{db: db}, nil
}

func (e *dbEnd) placeholders(n int) string {
	ps := make([]string, n)
	for i := range ps {
		if e.postgres {
			ps[i] = "$" + strconv.Itoa(i+1)
		} else {
			ps[i] = "?"
		}
	}
	return strings.Join(ps, ", ")
}

// copyDatabase copies every table of copyTables from one database to the
// other in one destination transaction, reading one source snapshot.
func copyDatabase(ctx context.Context, fromSpec, toSpec string) ([]tableCount, error) {
	src, err := openEnd(ctx, fromSpec)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	defer src.db.Close()
	dst, err := openEnd(ctx, toSpec)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	defer dst.db.Close()

	stx, err := src.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: src.postgres, Isolation: srcIsolation(src)})
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	defer stx.Rollback()
	dtx, err := dst.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	defer dtx.Rollback()
	for _, t := range []string{"accounts", "audit_events"} {
		var n int
		if err := dtx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("--to: %w", err)
		}
		if n > 0 {
			return nil, fmt.Errorf("--to: the destination is not empty (%s has %d rows)", t, n)
		}
	}
	var counts []tableCount
	for _, table := range copyTables {
		n, err := copyTable(ctx, stx, dtx, dst, table)
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", table, err)
		}
		counts = append(counts, tableCount{table, n})
	}
	if !src.postgres {
		n, err := copyAuditPacks(ctx, stx, dtx, dst)
		if err != nil {
			return nil, fmt.Errorf("copy audit_packs: %w", err)
		}
		counts = append(counts, tableCount{"audit_events (packed)", n})
	}
	if err := dtx.Commit(); err != nil {
		return nil, fmt.Errorf("--to: commit: %w", err)
	}
	return counts, nil
}

func srcIsolation(e *dbEnd) sql.IsolationLevel {
	if e.postgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

func copyTable(ctx context.Context, stx, dtx *sql.Tx, dst *dbEnd, table string) (int, error) {
	// Table names come from copyTables, never from input.
	rows, err := stx.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ins, err := dtx.PrepareContext(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+dst.placeholders(len(cols))+")")
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, c := range cols {
			if boolColumns[table+"."+c] {
				vals[i] = convertBool(vals[i], dst.postgres)
			}
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// copyAuditPacks writes the events of a SQLite source's audit_packs as
// rows of the destination's audit_events, field for field.
func copyAuditPacks(ctx context.Context, stx, dtx *sql.Tx, dst *dbEnd) (int, error) {
	ins, err := dtx.PrepareContext(ctx, `INSERT INTO audit_events (seq, prev_hash, hash, body, event_time, account_id, event_id,
		event_name, event_source, username, access_key, read_only, resources) VALUES (`+dst.placeholders(13)+")")
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	n := 0
	err = sqlite.ScanAuditPacks(ctx, stx, func(r *audit.Record) error {
		_, err := ins.ExecContext(ctx, r.Seq, r.PrevHash, r.Hash, string(r.Body), r.Time.Unix(), r.AccountID, r.EventID, r.EventName,
			r.EventSource, r.Username, r.AccessKeyID, convertBool(r.ReadOnly, dst.postgres), sqlite.EncodeAuditResources(r.Resources))
		n++
		return err
	})
	return n, err
}

// convertBool turns a stored flag into the destination's form.
func convertBool(v any, toPostgres bool) any {
	var b bool
	switch x := v.(type) {
	case bool:
		b = x
	case int64:
		b = x != 0
	default:
		return v
	}
	if toPostgres {
		return b
	}
	if b {
		return int64(1)
	}
	return int64(0)
}
