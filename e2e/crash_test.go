package e2e

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var crashRounds = flag.Int("crash.rounds", 3, "SIGKILL rounds in TestCrashSafety")

// buildIamd builds the real binary into a temporary directory.
func buildIamd(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "iamd")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", exe, "github.com/iamd/iamd/cmd/iamd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// iamdProcess is the binary running on a data directory.
type iamdProcess struct {
	cmd      *exec.Cmd
	endpoint string
	stderr   *lockedBuffer
	exited   chan struct{}
}

func startIamd(t *testing.T, exe, dataDir string) *iamdProcess {
	t.Helper()
	cmd := exec.Command(exe, "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn")
	cmd.Env = append(os.Environ(),
		"IAMD_ACCOUNT_ID="+testAccount, "IAMD_ROOT_ACCESS_KEY_ID="+rootKeyID, "IAMD_ROOT_SECRET_ACCESS_KEY="+rootSecretKey,
		// Room for long runs (-crash.rounds): each round creates ~100 of each.
		"IAMD_QUOTAS=UsersPerAccount=100000,PoliciesPerAccount=100000,GroupsPerAccount=10000")
	p := &iamdProcess{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	endpoint := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
				select {
				case endpoint <- strings.TrimSpace(after):
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.endpoint = <-endpoint:
	case <-p.exited:
		t.Fatalf("iamd exited before listening: %s", p.stderr.Bytes())
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("iamd did not report its endpoint: %s", p.stderr.Bytes())
	}
	if !strings.HasPrefix(p.endpoint, "http://") {
		t.Fatalf("endpoint %q", p.endpoint)
	}
	return p
}

func (p *iamdProcess) kill() {
	_ = p.cmd.Process.Kill() // SIGKILL: no shutdown, no flush
	<-p.exited
}

func (p *iamdProcess) config(keyID, secret string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(p.endpoint),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 20 * time.Second},
		Retryer:      closedConnRetryer,
	}
}

// ledger records the writes the server acknowledged.
type ledger struct {
	mu       sync.Mutex
	users    map[string]bool   // acknowledged CreateUser (with crashTags)
	keys     map[string]string // access key ID -> secret
	keyUser  map[string]string // access key ID -> user
	attached map[string]bool   // user with an acknowledged AttachUserPolicy (ListUsers)
	members  map[string]string // user -> group, acknowledged AddUserToGroup
}

var crashTags = []types.Tag{
	{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")},
	{Key: aws.String("c"), Value: aws.String("3")}, {Key: aws.String("d"), Value: aws.String("4")},
}

// TestCrashSafety runs concurrent writers against the real binary, kills it
// with SIGKILL at random moments and restarts it on the same data
// directory: every acknowledged write must be there and usable, and no
// entity may be visible half-written.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	exe := buildIamd(t)
	dir := t.TempDir()
	l := &ledger{users: map[string]bool{}, keys: map[string]string{}, keyUser: map[string]string{},
		attached: map[string]bool{}, members: map[string]string{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for round := range *crashRounds {
		p := startIamd(t, exe, dir)
		verifyLedger(t, p, l, round)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() { crashWriter(ctx, p, l, round, w) })
		}
		time.Sleep(time.Duration(400+rng.IntN(1200)) * time.Millisecond)
		p.kill()
		cancel()
		wg.Wait()
		l.mu.Lock()
		t.Logf("round %d: killed; %d users, %d keys, %d attachments, %d memberships acknowledged so far",
			round, len(l.users), len(l.keys), len(l.attached), len(l.members))
		l.mu.Unlock()
	}
	p := startIamd(t, exe, dir)
	verifyLedger(t, p, l, *crashRounds)
	if len(l.users) == 0 || len(l.keys) == 0 {
		t.Fatal("no write was acknowledged: the test proved nothing")
	}
	// A clean stop after all this.
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("iamd did not stop on SIGINT")
	}
}

// crashWriter creates users with tags, their keys, policies, attachments
// and memberships until the server dies.
func crashWriter(ctx context.Context, p *iamdProcess, l *ledger, round, w int) {
	root := iam.NewFromConfig(p.config(rootKeyID, rootSecretKey))
	group := fmt.Sprintf("g-%d-%d", round, w)
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)}); err != nil {
		return
	}
	for i := 0; ctx.Err() == nil; i++ {
		user := fmt.Sprintf("u-%d-%d-%d", round, w, i)
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user), Tags: crashTags}); err != nil {
			return
		}
		l.mu.Lock()
		l.users[user] = true
		l.mu.Unlock()
		k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
		if err != nil {
			return
		}
		id := aws.ToString(k.AccessKey.AccessKeyId)
		l.mu.Lock()
		l.keys[id], l.keyUser[id] = aws.ToString(k.AccessKey.SecretAccessKey), user
		l.mu.Unlock()
		pol, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p-" + user), PolicyDocument: aws.String(allowDoc("iam:ListUsers"))})
		if err != nil {
			return
		}
		if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: pol.Policy.Arn}); err != nil {
			return
		}
		l.mu.Lock()
		l.attached[user] = true
		l.mu.Unlock()
		if _, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)}); err != nil {
			return
		}
		l.mu.Lock()
		l.members[user] = group
		l.mu.Unlock()
	}
}

func verifyLedger(t *testing.T, p *iamdProcess, l *ledger, round int) {
	t.Helper()
	ctx := t.Context()
	l.mu.Lock()
	defer l.mu.Unlock()
	root := iam.NewFromConfig(p.config(rootKeyID, rootSecretKey))
	// Every user that exists, acknowledged or not, is whole.
	var listed []string
	pg := iam.NewListUsersPaginator(root, &iam.ListUsersInput{})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("round %d: ListUsers: %v\n%s", round, err, p.stderr.Bytes())
		}
		for _, u := range out.Users {
			listed = append(listed, aws.ToString(u.UserName))
			if strings.HasPrefix(aws.ToString(u.UserName), "u-") {
				tags, err := root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: u.UserName})
				if err != nil {
					t.Fatalf("round %d: ListUserTags %s: %v", round, aws.ToString(u.UserName), err)
				}
				if len(tags.Tags) != len(crashTags) {
					t.Errorf("round %d: user %s visible with %d of its %d tags", round, aws.ToString(u.UserName), len(tags.Tags), len(crashTags))
				}
			}
		}
	}
	for user := range l.users {
		if !slices.Contains(listed, user) {
			t.Errorf("round %d: acknowledged user %s is missing", round, user)
		}
	}
	for id, secret := range l.keys {
		out, err := sts.NewFromConfig(p.config(id, secret)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Errorf("round %d: acknowledged key %s of %s does not authenticate: %v", round, id, l.keyUser[id], err)
			continue
		}
		if want := "arn:aws:iam::" + testAccount + ":user/" + l.keyUser[id]; aws.ToString(out.Arn) != want {
			t.Errorf("round %d: key %s is %s, want %s", round, id, aws.ToString(out.Arn), want)
		}
		if l.attached[l.keyUser[id]] {
			if _, err := iam.NewFromConfig(p.config(id, secret)).ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1)}); err != nil {
				t.Errorf("round %d: %s's attached policy does not allow ListUsers: %v", round, l.keyUser[id], err)
			}
		}
	}
	groups := map[string][]string{}
	for user, group := range l.members {
		if _, ok := groups[group]; !ok {
			g, err := root.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(group), MaxItems: aws.Int32(1000)})
			if err != nil {
				t.Errorf("round %d: GetGroup %s: %v", round, group, err)
				continue
			}
			for _, u := range g.Users {
				groups[group] = append(groups[group], aws.ToString(u.UserName))
			}
		}
		if !slices.Contains(groups[group], user) {
			t.Errorf("round %d: acknowledged membership of %s in %s is missing", round, user, group)
		}
		lg, err := root.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
		if err != nil || len(lg.Groups) != 1 || aws.ToString(lg.Groups[0].GroupName) != group {
			t.Errorf("round %d: ListGroupsForUser %s = %v (%v), want [%s]", round, user, lg, err, group)
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s", bytes.TrimSpace(p.stderr.Bytes()))
	}
}
