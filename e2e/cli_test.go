package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLIWalkthrough runs the README's walk-through with every aws CLI on
// the machine. CI sets IAMD_REQUIRE_AWS_CLI so that a missing CLI fails
// rather than skips.
func TestAWSCLIWalkthrough(t *testing.T) {
	clis := awsCLIs()
	if len(clis) == 0 {
		if os.Getenv("IAMD_REQUIRE_AWS_CLI") != "" {
			t.Fatal("no aws CLI found and IAMD_REQUIRE_AWS_CLI is set")
		}
		t.Skip("no aws CLI installed; CI installs one")
	}
	script, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	script += "/testdata/walkthrough.sh"
	for _, cli := range clis {
		t.Run(cli, func(t *testing.T) {
			s := startServer(t, "")
			dir := t.TempDir()
			if err := os.Symlink(cli, dir+"/aws"); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), "bash", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(),
				"PATH="+dir+":"+os.Getenv("PATH"),
				"ENDPOINT="+s.Endpoint(),
				"AWS_ACCESS_KEY_ID="+rootKeyID,
				"AWS_SECRET_ACCESS_KEY="+rootSecretKey,
				"AWS_CONFIG_FILE=/dev/null",
				"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("walkthrough failed: %v\n%s", err, out)
			}
			text := string(out)
			for _, want := range []string{
				"arn:aws:iam::" + testAccount + ":root",
				"arn:aws:iam::" + testAccount + ":user/alice",
				"arn:aws:iam::" + testAccount + ":group/developers",
				"AccessDenied",
				"no identity-based policy allows the iam:CreateUser action",
				"Active",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("output lacks %q:\n%s", want, text)
				}
			}
			lines := strings.Split(strings.TrimSpace(text), "\n")
			if last := lines[len(lines)-1]; last != "0" {
				t.Errorf("users left after clean-up = %q, want 0", last)
			}
		})
	}
}

// awsCLIs finds the aws CLIs installed: the one on PATH (often pip's v1)
// and Debian's v2 at /usr/bin/aws when it is a different program.
func awsCLIs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p == "" {
			return
		}
		if real, err := realPath(p); err == nil && !seen[real] {
			seen[real] = true
			out = append(out, p)
		}
	}
	if p, err := exec.LookPath("aws"); err == nil {
		add(p)
	}
	for _, p := range []string{"/usr/bin/aws", "/usr/local/bin/aws"} {
		if _, err := os.Stat(p); err == nil {
			add(p)
		}
	}
	return out
}

func realPath(p string) (string, error) {
	return filepath.EvalSymlinks(p)
}
