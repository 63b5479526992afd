package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/audit"
)

// errVerifyFailed makes `iamd audit verify` exit non-zero after it printed
// the problems.
var errVerifyFailed = errors.New("audit trail verification FAILED")

// auditCmd runs `iamd audit verify` and `iamd audit export`. Both read the
// deployment's database (--database, or the data directory's SQLite file)
// and the data directory's audit-signing.key, also while servers run on
// them.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("audit: want verify or export\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	pubHex := fs.String("public-key", "", "verify: hex Ed25519 public key to check digests against, instead of the data directory's key (keep a copy off the host)")
	start := fs.String("start", "", "export: first event time, RFC 3339")
	end := fs.String("end", "", "export: last event time, RFC 3339")
	var q audit.Query
	fs.StringVar(&q.EventName, "event-name", "", "export: only this eventName")
	fs.StringVar(&q.Username, "username", "", "export: only this user (user name, role session name, or root)")
	fs.StringVar(&q.AccountID, "account-id", "", "export: only this account")
	fs.StringVar(&q.EventSource, "event-source", "", "export: only this eventSource, e.g. sts.amazonaws.com")
	fs.StringVar(&q.AccessKeyID, "access-key-id", "", "export: only this access key ID")
	fs.StringVar(&q.EventID, "event-id", "", "export: only this eventID")
	database := databaseFlag(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, tv := range []struct {
		s   string
		dst *time.Time
	}{{*start, &q.Start}, {*end, &q.End}} {
		if tv.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, tv.s)
		if err != nil {
			return fmt.Errorf("audit %s: time %q: want RFC 3339, e.g. 2026-01-02T15:04:05Z", sub, tv.s)
		}
		*tv.dst = t
	}
	db, err := openStore(ctx, *database, *dataDir)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer db.Close()
	switch sub {
	case "verify":
		var pub ed25519.PublicKey
		if *pubHex != "" {
			b, err := hex.DecodeString(*pubHex)
			if err != nil || len(b) != ed25519.PublicKeySize {
				return errors.New("audit verify: --public-key: want 64 hex digits")
			}
			pub = b
		} else {
			key, err := readKey(filepath.Join(*dataDir, audit.KeyFile))
			if err != nil {
				return err
			}
			pub = key.Public().(ed25519.PublicKey)
		}
		rep, err := audit.Verify(ctx, db, pub)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "public key: %s\n", hex.EncodeToString(pub))
		fmt.Fprintf(stdout, "events: %d (seq %d to %d), signed digests: %d\n", rep.Events, rep.First, rep.Last, rep.Digests)
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "TAMPERED: %s\n", p)
		}
		if !rep.OK() {
			return errVerifyFailed
		}
		fmt.Fprintln(stdout, "OK: the chain is intact and every digest signature is valid")
		return nil
	case "export":
		return db.ScanAudit(ctx, q, func(r *audit.Record) error {
			if _, err := stdout.Write(append(r.Body, '\n')); err != nil {
				return err
			}
			return nil
		})
	}
	return fmt.Errorf("audit: unknown subcommand %q", sub)
}

// readKey reads the signing key without creating it.
func readKey(path string) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	key, _, err := audit.LoadOrCreateKey(path)
	return key, err
}

// parseRetention reads --audit-retention: a Go duration ("2160h") or a
// number of days ("90d"); "" or "0" keeps events forever.
func parseRetention(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("audit retention %q: want e.g. 90d or 2160h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("audit retention %q: want e.g. 90d or 2160h (at least 1h)", s)
	}
	return d, nil
}
