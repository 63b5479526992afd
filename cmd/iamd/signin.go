package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/server"
)

// signinCmd runs `iamd signin unlock|status --account ID --user NAME`: it
// shows or clears a user's console sign-in lockout (the failure counter
// is in the database, so this works while servers run, on every node).
// The root user is --user root.
func signinCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "unlock" && args[0] != "status") {
		return fmt.Errorf("signin: want unlock or status\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("signin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", envOr(getenv, "IAMD_DATA_DIR", defaultDataDir(getenv)), "data directory (IAMD_DATA_DIR)")
	keyFile := fs.String("master-key-file", getenv("IAMD_MASTER_KEY_FILE"), "master key file (IAMD_MASTER_KEY_FILE)")
	accountID := fs.String("account", "", "12-digit account ID (required)")
	user := fs.String("user", "", "IAM user name, or root (required)")
	database := databaseFlag(fs, getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *accountID == "" || *user == "" {
		return fmt.Errorf("signin %s: --account and --user are required", sub)
	}
	svc, closeStore, err := server.OpenService(ctx, server.Config{DataDir: *dataDir, MasterKeyFile: *keyFile, DatabaseURL: *database})
	if err != nil {
		return fmt.Errorf("signin %s: %w", sub, err)
	}
	defer closeStore()
	if sub == "status" {
		f, err := svc.SignInLockout(ctx, *accountID, *user)
		if err != nil {
			return fmt.Errorf("signin status: %w", err)
		}
		if f == nil {
			fmt.Fprintf(stdout, "%s in %s: no failed sign-ins recorded\n", *user, *accountID)
			return nil
		}
		locked := "not locked"
		if time.Now().Before(f.LockedUntil) {
			locked = "locked until " + f.LockedUntil.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s in %s: %d consecutive failures, last %s, %s\n", *user, *accountID, f.Failures,
			f.LastFailure.UTC().Format(time.RFC3339), locked)
		return nil
	}
	err = svc.UnlockSignIn(ctx, *accountID, *user)
	if errors.Is(err, iam.ErrNoLockout) {
		fmt.Fprintf(stdout, "%s in %s: nothing to unlock\n", *user, *accountID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("signin unlock: %w", err)
	}
	fmt.Fprintf(stdout, "%s in %s: unlocked\n", *user, *accountID)
	return nil
}
