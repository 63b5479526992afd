package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/server"
)

func TestSigninUnlock(t *testing.T) {
	eachBackend(t, testSigninUnlock)
}

// testSigninUnlock names the PostgreSQL database in the environment, not
// the flag, so that IAMD_DATABASE_URL is exercised too.
func testSigninUnlock(t *testing.T, dsn string) {
	ctx := t.Context()
	dir := t.TempDir()
	const acct = "123456789012"
	svc, closeStore, err := server.OpenService(ctx, server.Config{DataDir: dir, DatabaseURL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	root := svc.Authenticate(boot.RootAccessKeyID).Principal
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "alice"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < iam.UserFreeFailures+1; i++ {
		_, _ = svc.SignIn(ctx, iam.SignInInput{Account: acct, UserName: "alice", Password: "wrong", SourceIP: "192.0.2.9"})
	}
	closeStore()

	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		getenv := func(k string) string {
			if k == "IAMD_DATABASE_URL" {
				return dsn
			}
			return ""
		}
		err := run(ctx, append(append([]string{"signin"}, args...), "--data-dir", dir), getenv, &out, &out)
		return out.String(), err
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--account", acct, "--user", "alice"}, "4 consecutive failures"},
		{[]string{"unlock", "--account", acct, "--user", "ALICE"}, "alice in " + acct + ": unlocked"},
		{[]string{"status", "--account", acct, "--user", "alice"}, "no failed sign-ins recorded"},
		{[]string{"unlock", "--account", acct, "--user", "alice"}, "nothing to unlock"},
	} {
		out, err := cmd(tt.args...)
		if err != nil || !strings.Contains(strings.ToLower(out), strings.ToLower(tt.want)) {
			t.Fatalf("iamd signin %v = %q, %v; want %q", tt.args, out, err, tt.want)
		}
	}
	if _, err := cmd("unlock", "--account", acct); err == nil {
		t.Fatal("unlock without --user succeeded")
	}
	if _, err := cmd("frobnicate"); err == nil {
		t.Fatal("unknown subcommand succeeded")
	}
}
