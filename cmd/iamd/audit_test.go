package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	auditKeyID  = "AKIAIOSFODNN7EXAMPLE"
	auditSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func signedPost(t *testing.T, endpoint, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: auditKeyID, SecretAccessKey: auditSecret},
		req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestAuditVerifyAndExport runs a server, makes requests, looks them up
// with the aws CLI (when installed), stops the server, then verifies,
// exports, tampers and verifies again, on each backend.
func TestAuditVerifyAndExport(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		env := map[string]string{"IAMD_DATA_DIR": dir, "IAMD_LISTEN": "127.0.0.1:0", "IAMD_LOG_LEVEL": "warn", "IAMD_DATABASE_URL": dsn,
			"IAMD_ACCOUNT_ID": "123456789012", "IAMD_ROOT_ACCESS_KEY_ID": auditKeyID, "IAMD_ROOT_SECRET_ACCESS_KEY": auditSecret}
		ctx, cancel := context.WithCancel(t.Context())
		endpoint, _, done := startRun(t, ctx, env)
		for _, name := range []string{"alice", "bob", "carol"} {
			signedPost(t, endpoint, "Action=CreateUser&Version=2010-05-08&UserName="+name)
		}
		signedPost(t, endpoint, "Action=ListUsers&Version=2010-05-08")
		// The CLI's paging does not depend on the backend: once is enough.
		if aws, err := exec.LookPath("aws"); err == nil && dsn == "" {
			cmd := exec.CommandContext(t.Context(), aws, "cloudtrail", "lookup-events", "--endpoint-url", endpoint, "--region", "us-east-1",
				"--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser", "--page-size", "2")
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+auditKeyID, "AWS_SECRET_ACCESS_KEY="+auditSecret,
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
			out, err := cmd.CombinedOutput()
			// Pages of two: the CLI follows NextToken itself, all three come back.
			if err != nil || strings.Count(string(out), `"EventName": "CreateUser"`) != 3 || !strings.Contains(string(out), `"ResourceName": "alice"`) {
				t.Errorf("aws cloudtrail lookup-events: %v\n%s", err, out)
			}
		} else if dsn == "" {
			t.Log("aws CLI not installed: lookup-events not exercised through it")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, "audit-signing.key")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("signing key: %v %v", fi, err)
		}

		auditRun := func(args ...string) (string, error) {
			var out bytes.Buffer
			args = append(args, "--data-dir", dir)
			if dsn != "" {
				args = append(args, "--database", dsn)
			}
			err := run(context.Background(), append([]string{"audit"}, args...), func(string) string { return "" }, &out, &out)
			return out.String(), err
		}
		out, err := auditRun("verify")
		if err != nil || !strings.Contains(out, "OK") {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		out, err = auditRun("export", "--event-name", "CreateUser", "--username", "root", "--start", time.Now().Add(-time.Hour).Format(time.RFC3339))
		if err != nil || strings.Count(out, "\n") != 3 || !strings.Contains(out, `"userName":"bob"`) {
			t.Fatalf("export: %v\n%s", err, out)
		}
		if out, _ := auditRun("export", "--end", "2000-01-01T00:00:00Z"); out != "" {
			t.Errorf("export before 2000: %s", out)
		}

		driver, source := "sqlite", filepath.Join(dir, "iamd.db")
		if dsn != "" {
			driver, source = "pgx", dsn
		}
		db, err := sql.Open(driver, source)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE audit_events SET body = replace(body, '"bob"', '"eve"') WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		out, err = auditRun("verify")
		if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "TAMPERED: seq 2 (event ") || !strings.Contains(out, "modified") {
			t.Errorf("verify after tampering: %v\n%s", err, out)
		}
	})
}
