package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var endpointLine = regexp.MustCompile(`listening on (http://\S+)`)

// startRun runs the command in process and returns its endpoint and the
// lines it printed up to the "try:" hint.
func startRun(t *testing.T, ctx context.Context, env map[string]string, args ...string) (endpoint string, out string, done chan error) {
	t.Helper()
	pr, pw := io.Pipe()
	done = make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- run(ctx, args, getenv, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var b strings.Builder
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if m := endpointLine.FindStringSubmatch(line); m != nil {
			endpoint = m[1]
		}
		if strings.HasPrefix(line, "try:") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if endpoint == "" {
		t.Fatalf("no endpoint printed; output:\n%s", b.String())
	}
	return endpoint, b.String(), done
}

func TestServePrintsRootCredentialsOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"IAMD_DATA_DIR": dir, "IAMD_LISTEN": "127.0.0.1:0", "IAMD_LOG_LEVEL": "warn"}

	ctx, cancel := context.WithCancel(t.Context())
	endpoint, out, done := startRun(t, ctx, env)
	if !strings.Contains(out, "root secret access key:") {
		t.Errorf("first start did not print the root secret:\n%s", out)
	}
	resp, err := http.Get(endpoint + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	credPath := filepath.Join(dir, "root-credentials")
	fi, err := os.Stat(credPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v; want mode 0600", fi, err)
	}
	data, _ := os.ReadFile(credPath)
	if !regexp.MustCompile(`aws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n`).Match(data) {
		t.Errorf("credentials file content:\n%s", data)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}

	// Second start on the same data directory: same account, no secret.
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	_, out2, done2 := startRun(t, ctx2, env)
	if strings.Contains(out2, "root secret access key:") {
		t.Errorf("second start printed the root secret again:\n%s", out2)
	}
	acct := regexp.MustCompile(`account: (\d{12})`)
	if a, b := acct.FindStringSubmatch(out), acct.FindStringSubmatch(out2); a == nil || b == nil || a[1] != b[1] {
		t.Errorf("account changed across restarts: %v vs %v", a, b)
	}
	cancel2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
}

func TestBadArguments(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"serve", "--no-such-flag"}, {"serve", "extra"}, {"serve", "--log-level", "loud"}} {
		err := run(t.Context(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// TestGracefulShutdownOnSIGTERM builds the real binary and stops it with
// SIGTERM, which must end it cleanly (exit status 0).
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "iamd")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "listening on") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- cmd.Wait() }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("iamd did not stop within 20 s of SIGTERM")
	}
}

func TestAccountCreateAndList(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	env := func(string) string { return "" }
	if err := run(t.Context(), []string{"account", "create", "--data-dir", dir, "--account-id", "222233334444"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`account: 222233334444\nroot access key id:     AKIA[A-Z2-7]{16}\nroot secret access key: \S{40}\n`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
	if err := run(t.Context(), []string{"account", "create", "--data-dir", dir, "--account-id", "222233334444"}, env, io.Discard, io.Discard); err == nil {
		t.Error("creating the same account twice succeeded")
	}
	out.Reset()
	if err := run(t.Context(), []string{"account", "list", "--data-dir", dir}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if out.String() != "222233334444\n" {
		t.Errorf("list = %q", out.String())
	}
}

func TestParseQuotas(t *testing.T) {
	q, err := parseQuotas("UsersPerAccount=10000, RolesPerAccount=5000")
	if err != nil || q.UsersPerAccount != 10000 || q.RolesPerAccount != 5000 || q.AccessKeysPerUser != 2 {
		t.Fatalf("parseQuotas = %+v, %v", q, err)
	}
	for _, bad := range []string{"Nope=1", "UsersPerAccount", "UsersPerAccount=0", "UsersPerAccount=x"} {
		if _, err := parseQuotas(bad); err == nil {
			t.Errorf("parseQuotas(%q) succeeded", bad)
		}
	}
}
