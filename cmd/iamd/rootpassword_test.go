package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/server"
)

// fakeStdin makes root-password read in from standard input; terminal
// says whether that input is a terminal, whose no-echo reads return
// typed in turn.
func fakeStdin(t *testing.T, in string, terminal bool, typed ...string) {
	t.Helper()
	oldIn, oldTerm, oldRead := passwordInput, passwordTerminal, readNoEcho
	t.Cleanup(func() { passwordInput, passwordTerminal, readNoEcho = oldIn, oldTerm, oldRead })
	passwordInput = strings.NewReader(in)
	passwordTerminal = func() (int, bool) { return 0, terminal }
	readNoEcho = func(int) ([]byte, error) {
		if len(typed) == 0 {
			return nil, errors.New("no more input")
		}
		p := typed[0]
		typed = typed[1:]
		return []byte(p), nil
	}
}

func TestRootPasswordCommand(t *testing.T) {
	dir := t.TempDir()
	srv, err := server.Start(t.Context(), server.Config{Listen: "127.0.0.1:0", DataDir: dir, AccountID: rotAccount})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	const good = "Correct-Horse-9 battery"
	for _, tc := range []struct {
		name     string
		args     []string
		stdin    string
		terminal bool
		typed    []string
		want     string // the password that must be set; "" for a failure
	}{
		{"piped, with newline", []string{"--account", rotAccount}, good + "\n", false, nil, good},
		{"piped, CRLF, no other line read", []string{"--account", rotAccount}, "Other-Pass-77\r\nignored\n", false, nil, "Other-Pass-77"},
		{"piped, no final newline", []string{"--account", rotAccount}, good, false, nil, good},
		{"terminal, typed twice", []string{"--account", rotAccount}, "", true, []string{"Typed-Pass-42", "Typed-Pass-42"}, "Typed-Pass-42"},
		{"terminal, mismatch", []string{"--account", rotAccount}, "", true, []string{"Typed-Pass-42", "Typed-Pass-43"}, ""},
		{"too weak for AWS's root rules", []string{"--account", rotAccount}, "weakpassword\n", false, nil, ""},
		{"too short", []string{"--account", rotAccount}, "Ab1!\n", false, nil, ""},
		{"empty input", []string{"--account", rotAccount}, "", false, nil, ""},
		{"input too long", []string{"--account", rotAccount}, strings.Repeat("Aa1!", 300), false, nil, ""},
		{"no account", nil, good + "\n", false, nil, ""},
		{"unknown account", []string{"--account", "999999999999"}, good + "\n", false, nil, ""},
		{"password as an argument", []string{"--account", rotAccount, good}, "", false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeStdin(t, tc.stdin, tc.terminal, tc.typed...)
			var stdout, stderr bytes.Buffer
			args := append([]string{"root-password", "--data-dir", dir}, tc.args...)
			err := run(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
			for _, secret := range append([]string{tc.stdin}, tc.typed...) {
				secret = strings.TrimSpace(strings.SplitN(secret, "\n", 2)[0])
				if len(secret) < 4 {
					continue
				}
				if strings.Contains(stdout.String()+stderr.String(), secret) || err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("the password was printed: stdout %q, stderr %q, err %v", stdout.String(), stderr.String(), err)
				}
			}
			if tc.want == "" {
				if err == nil {
					t.Fatalf("root-password succeeded; stdout %q", stdout.String())
				}
				return
			}
			if err != nil || stdout.String() != "root password set for account "+rotAccount+"\n" {
				t.Fatalf("root-password = %v, stdout %q", err, stdout.String())
			}
			if tc.terminal && !strings.Contains(stderr.String(), "New root password:") {
				t.Errorf("no prompt on stderr: %q", stderr.String())
			}
			svc, closeStore, err := server.OpenService(t.Context(), server.Config{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer closeStore()
			if ok, err := svc.VerifyRootPassword(t.Context(), rotAccount, tc.want); !ok || err != nil {
				t.Errorf("VerifyRootPassword(set password) = %v, %v", ok, err)
			}
			if tc.name == "piped, with newline" { // once: every check costs an argon2id hash
				if ok, _ := svc.VerifyRootPassword(t.Context(), rotAccount, tc.want+"x"); ok {
					t.Error("VerifyRootPassword accepted another password")
				}
			}
		})
	}
}
