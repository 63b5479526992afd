// Command iamd is a self-hosted AWS IAM and STS server.
//
//	iamd [serve] [--listen ADDR] [--data-dir DIR]
//
// See README.md for the configuration reference.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/iamd/iamd/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "iamd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "account":
		return account(ctx, args, getenv, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args, getenv, stdout, stderr) // audit.go
	case "keys":
		return keysCmd(ctx, args, getenv, stdout, stderr) // keys.go
	case "root-password":
		return rootPasswordCmd(ctx, args, getenv, stdout, stderr) // rootpassword.go
	case "signin":
		return signinCmd(ctx, args, getenv, stdout, stderr) // signin.go
	case "service":
		return serviceCmd(ctx, args, getenv, stdout, stderr) // service.go
	case "db":
		return dbCmd(ctx, args, getenv, stdout, stderr) // db.go
	case "version":
		fmt.Fprintln(stdout, "iamd", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

var version = "dev"

const usage = `usage: iamd [serve] [flags]   run the server (the default command)
       iamd account create [--account-id ID] [--data-dir DIR]
                                add an account (with its root user and key) to a deployment
       iamd account list [--data-dir DIR]
       iamd db copy --from DB --to DB
                                copy a deployment between SQLite and PostgreSQL (or back up)
       iamd audit verify [--data-dir DIR] [--public-key HEX]
                                check the audit trail's hash chain and signed digests
       iamd audit export [--data-dir DIR] [--start T] [--end T] [--event-name N] [--username U] ...
                                print audit events as JSON lines
       iamd keys rotate|status|prune [--data-dir DIR] [--master-key-file F]
                                rotate the master key: add a key, re-encrypt every stored secret;
                                show what each key seals; remove keys nothing needs
       iamd root-password --account ID [--data-dir DIR]
                                set the root user's console password, read from standard input
       iamd signin unlock|status --account ID --user NAME [--data-dir DIR]
                                clear or show a user's console sign-in lockout (--user root for root)
       iamd service put|list|get|delete|validate ...
                                manage custom services; validate policies (docs/custom-services.md)
       iamd version             print the version

Every command that opens the deployment's database also takes --database URL (IAMD_DATABASE_URL)
for a PostgreSQL deployment. Run "iamd serve -h" for the flags; every flag has an IAMD_*
environment variable.
`

// config is the effective configuration: defaults < environment < flags.
type config struct {
	listen, dataDir, masterKeyFile, accountID string
	rootKeyID, rootSecret                     string
	logLevel, logFormat                       string
	quotas                                    string
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "iamd")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "share", "iamd")
	}
	return "iamd-data"
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", envOr(getenv, "IAMD_LISTEN", server.DefaultListen), "address to listen on (IAMD_LISTEN)")
	fs.StringVar(&c.dataDir, "data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	fs.StringVar(&c.masterKeyFile, "master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file; default DATA_DIR/master.key, generated on first start (IAMD_MASTER_KEY_FILE)")
	fs.StringVar(&c.accountID, "account-id", getenv("IAMD_ACCOUNT_ID"), "12-digit account ID to create on first start; random when unset (IAMD_ACCOUNT_ID)")
	fs.StringVar(&c.quotas, "quotas", getenv("IAMD_QUOTAS"), "quota overrides, e.g. UsersPerAccount=10000,RolesPerAccount=5000; AWS's defaults otherwise (IAMD_QUOTAS)")
	fs.StringVar(&c.logLevel, "log-level", envOr(getenv, "IAMD_LOG_LEVEL", "info"), "debug, info, warn or error (IAMD_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", envOr(getenv, "IAMD_LOG_FORMAT", "text"), "text or json (IAMD_LOG_FORMAT)")
	auditReads := fs.Bool("audit-reads", envOr(getenv, "IAMD_AUDIT_READS", "true") != "false", "record successful read-only calls in the audit trail too (IAMD_AUDIT_READS=false to skip them)")
	database := fs.String("database", getenv("IAMD_DATABASE_URL"), "PostgreSQL URL (postgres://...) shared by every node; SQLite in the data directory when unset. Keep the password in PGPASSWORD or ~/.pgpass, not in the flag (IAMD_DATABASE_URL)")
	dbListen := fs.Bool("database-listen", envOr(getenv, "IAMD_DATABASE_LISTEN", "true") != "false", "follow other nodes through PostgreSQL LISTEN/NOTIFY; false behind a pooler that cannot carry LISTEN (PgBouncer in transaction mode): changes then arrive by polling, within 0.5 s (IAMD_DATABASE_LISTEN)")
	publicURL := fs.String("public-url", getenv("IAMD_PUBLIC_URL"), "base URL clients reach this server at, e.g. https://iam.example.com; outbound federation issuers are PUBLIC_URL/oidc/<id>; http://<listen address> when unset (IAMD_PUBLIC_URL)")
	auditRetention := fs.String("audit-retention", getenv("IAMD_AUDIT_RETENTION"), "prune audit events older than this, e.g. 90d or 2160h; kept forever when unset (IAMD_AUDIT_RETENTION)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	// Secrets come only from the environment, never from flags, which other
	// users can read in the process list.
	c.rootKeyID = getenv("IAMD_ROOT_ACCESS_KEY_ID")
	c.rootSecret = getenv("IAMD_ROOT_SECRET_ACCESS_KEY")

	quotas, err := parseQuotas(c.quotas)
	if err != nil {
		return err
	}
	retention, err := parseRetention(*auditRetention) // audit.go
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	var handler slog.Handler
	switch c.logFormat {
	case "json":
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	case "text":
		handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		return fmt.Errorf("log format %q: want text or json", c.logFormat)
	}
	log := slog.New(handler)

	srv, err := server.Start(ctx, server.Config{
		Listen: c.listen, DataDir: c.dataDir, MasterKeyFile: c.masterKeyFile, AccountID: c.accountID,
		RootAccessKeyID: c.rootKeyID, RootSecret: c.rootSecret, RootPassword: getenv("IAMD_ROOT_PASSWORD"),
		Logger: log, Quotas: quotas, AuditRetention: retention, AuditSkipReads: !*auditReads, DatabaseURL: *database, DatabaseNoListen: !*dbListen,
		PublicURL: *publicURL,
	})
	if err != nil {
		return err
	}
	b := srv.Bootstrap
	fmt.Fprintf(stdout, "iamd %s listening on %s\n", version, srv.Endpoint())
	fmt.Fprintf(stdout, "account: %s    data: %s\n", b.Account.ID, c.dataDir)
	if b.RootSecret != "" {
		fmt.Fprintf(stdout, "root access key id:     %s\n", b.RootAccessKeyID)
		fmt.Fprintf(stdout, "root secret access key: %s\n", b.RootSecret)
		fmt.Fprintf(stdout, "(also written to %s, mode 0600; this is the only time the secret is printed)\n", srv.CredentialsPath)
	} else {
		fmt.Fprintf(stdout, "root credentials: see %s (written on first start)\n", filepath.Join(c.dataDir, server.RootCredentialsFile))
	}
	fmt.Fprintf(stdout, "try: aws --endpoint-url %s --region us-east-1 iam get-user\n", srv.Endpoint())

	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// account administers the deployment's accounts. It works on the data
// directory directly, also while a server runs on it: the server applies
// the change from its change feed within seconds.
func account(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("account: want create or list\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("account "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	masterKey := fs.String("master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file (IAMD_MASTER_KEY_FILE)")
	database := databaseFlag(fs, getenv) // dbflag.go
	var accountID *string
	if sub == "create" {
		accountID = fs.String("account-id", "", "12-digit ID of the new account; random when unset")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	svc, closeStore, err := server.OpenService(ctx, server.Config{DataDir: *dataDir, MasterKeyFile: *masterKey, DatabaseURL: *database})
	if err != nil {
		return err
	}
	defer closeStore()
	switch sub {
	case "create":
		res, err := svc.CreateAccount(ctx, *accountID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "account: %s\n", res.Account.ID)
		fmt.Fprintf(stdout, "root access key id:     %s\n", res.RootAccessKeyID)
		fmt.Fprintf(stdout, "root secret access key: %s\n", res.RootSecret)
		fmt.Fprintln(stdout, "(the secret is printed only now)")
		return nil
	case "list":
		ids := svc.Accounts()
		slices.Sort(ids)
		for _, id := range ids {
			fmt.Fprintln(stdout, id)
		}
		return nil
	}
	return fmt.Errorf("account: unknown subcommand %q", sub)
}
