package e2e

// Several iamd nodes sharing one PostgreSQL database, in one process
// (issue 8). Each test gets a fresh schema; they run only when
// IAMD_TEST_POSTGRES_DSN is set (see package postgres/pgtest).

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamd/iamd/audit"
	iamcore "github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres"
	"github.com/iamd/iamd/postgres/pgtest"
	"github.com/iamd/iamd/server"
)

// cluster is a set of nodes on one database; the first node's data
// directory holds the master key and audit signing key, which every other
// node gets a copy of, as an operator would distribute them.
type cluster struct {
	t    *testing.T
	dsn  string
	keys string // directory holding the shared key files
}

func newCluster(t *testing.T) *cluster {
	return &cluster{t: t, dsn: pgtest.DSN(t), keys: t.TempDir()}
}

// start starts a node on dsn (the cluster's when empty) with a data
// directory of its own holding copies of the shared keys.
func (c *cluster) start(dsn, dataDir string) *testServer {
	t := c.t
	t.Helper()
	if dsn == "" {
		dsn = c.dsn
	}
	if dataDir == "" {
		dataDir = t.TempDir()
		for _, f := range []string{"master.key", audit.KeyFile} {
			if b, err := os.ReadFile(filepath.Join(c.keys, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dataDir, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	srv, err := server.Start(context.Background(), server.Config{
		Listen:          "127.0.0.1:0",
		DataDir:         dataDir,
		DatabaseURL:     dsn,
		AccountID:       testAccount,
		RootAccessKeyID: rootKeyID,
		RootSecret:      rootSecretKey,
		Logger:          slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatalf("server.Start: %v", err)
	}
	t.Cleanup(func() { stopNode(t, srv) })
	for _, f := range []string{"master.key", audit.KeyFile} {
		dst := filepath.Join(c.keys, f)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return &testServer{Server: srv, dataDir: dataDir}
}

func stopNode(t *testing.T, srv *server.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// eventually polls cond every 5 ms until it holds or limit passes, and
// returns how long it took.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// newUserWithKey creates a user and an access key through node n.
func newUserWithKey(t *testing.T, n *testServer, name string) (keyID, secret string) {
	t.Helper()
	ctx := t.Context()
	root := n.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return *k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey
}

const listUsersPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`

// TestMultiNodeEnforcement: a policy granted through node A allows on
// nodes B and C within a second, and its removal denies there as fast.
func TestMultiNodeEnforcement(t *testing.T) {
	c := newCluster(t)
	a := c.start("", "")
	b := c.start("", "")
	cc := c.start("", "")
	ctx := t.Context()
	keyID, secret := newUserWithKey(t, a, "bob")
	for _, n := range []*testServer{b, cc} {
		bob := n.iam(keyID, secret)
		// The key itself was created on A: B and C must know it already
		// or within the second.
		eventually(t, time.Second, "key known on other node", func() bool { return n.Service.Authenticate(keyID) != nil })
		_, err := bob.ListUsers(ctx, nil)
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	}
	policy, err := a.rootIAM().CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list"), PolicyDocument: aws.String(listUsersPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.rootIAM().AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: policy.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*testServer{b, cc} {
		bob := n.iam(keyID, secret)
		d := eventually(t, time.Second, "attached policy allows on another node", func() bool {
			_, err := bob.ListUsers(ctx, nil)
			return err == nil
		})
		t.Logf("allow propagated in %v", d)
	}
	if _, err := a.rootIAM().DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: policy.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*testServer{b, cc} {
		bob := n.iam(keyID, secret)
		d := eventually(t, time.Second, "detached policy denies on another node", func() bool {
			_, err := bob.ListUsers(ctx, nil)
			return err != nil
		})
		_, err := bob.ListUsers(ctx, nil)
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		t.Logf("deny propagated in %v", d)
	}
}

// TestMultiNodeAccessKeyQuota: concurrent CreateAccessKey calls for one
// user spread over three nodes leave exactly two keys (AWS's quota), the
// others failing with LimitExceeded.
func TestMultiNodeAccessKeyQuota(t *testing.T) {
	c := newCluster(t)
	nodes := []*testServer{c.start("", ""), c.start("", ""), c.start("", "")}
	ctx := t.Context()
	if _, err := nodes[0].rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[1:] {
		eventually(t, time.Second, "user known", func() bool {
			_, err := n.rootIAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
			return err == nil
		})
	}
	const calls = 12
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := nodes[i%len(nodes)].rootIAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	}
	if ok != 2 {
		t.Fatalf("%d CreateAccessKey calls succeeded, want 2", ok)
	}
	for _, n := range nodes {
		eventually(t, time.Second, "keys listed", func() bool {
			out, err := n.rootIAM().ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("carol")})
			return err == nil && len(out.AccessKeyMetadata) == 2
		})
	}
}

// TestMultiNodeSessionAndAudit: a session token minted on A works on B;
// the audit events of both nodes form one chain that verifies.
func TestMultiNodeSessionAndAudit(t *testing.T) {
	c := newCluster(t)
	a := c.start("", "")
	b := c.start("", "")
	ctx := t.Context()
	keyID, secret := newUserWithKey(t, a, "dave")
	eventually(t, time.Second, "key known on B", func() bool { return b.Service.Authenticate(keyID) != nil })
	tok, err := a.sts(keyID, secret).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken on A: %v", err)
	}
	cr := tok.Credentials
	onB := sts.NewFromConfig(b.awsConfig(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
	id, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity on B with A's session: %v", err)
	}
	if want := "arn:aws:iam::" + testAccount + ":user/dave"; aws.ToString(id.Arn) != want {
		t.Errorf("caller = %s, want %s", aws.ToString(id.Arn), want)
	}
	// Writes from both nodes, interleaved and concurrent.
	var wg sync.WaitGroup
	for i, n := range []*testServer{a, b, a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := n.rootIAM().CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g" + string(rune('a'+i)))}); err != nil {
				t.Errorf("CreateGroup: %v", err)
			}
		}()
	}
	wg.Wait()
	stopNode(t, a.Server)
	stopNode(t, b.Server)

	db, err := postgres.Open(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, _, err := audit.LoadOrCreateKey(filepath.Join(c.keys, audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, db, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("audit trail of two nodes does not verify: %v", rep.Problems)
	}
	groups := 0
	if err := db.ScanAudit(ctx, audit.Query{EventName: "CreateGroup"}, func(*audit.Record) error { groups++; return nil }); err != nil {
		t.Fatal(err)
	}
	if groups != 6 {
		t.Errorf("%d CreateGroup events in the trail, want 6", groups)
	}
}

// TestMultiNodeRestartCatchesUp: a node stopped while others write loads
// everything when it starts again.
func TestMultiNodeRestartCatchesUp(t *testing.T) {
	c := newCluster(t)
	a := c.start("", "")
	b := c.start("", "")
	dirB := b.dataDir
	stopNode(t, b.Server)
	keyID, secret := newUserWithKey(t, a, "erin")
	if _, err := a.rootIAM().PutUserPolicy(t.Context(), &iam.PutUserPolicyInput{UserName: aws.String("erin"),
		PolicyName: aws.String("list"), PolicyDocument: aws.String(listUsersPolicy)}); err != nil {
		t.Fatal(err)
	}
	b2 := c.start("", dirB)
	if _, err := b2.iam(keyID, secret).ListUsers(t.Context(), nil); err != nil {
		t.Fatalf("restarted node: ListUsers as erin = %v", err)
	}
}

// TestMultiNodeDatabaseOutage cuts node B's connections to PostgreSQL (a
// proxy between them stops forwarding): B keeps authenticating and
// answering from memory, its writes fail with ServiceFailure, and once the
// database is back it catches up with what A wrote meanwhile.
func TestMultiNodeDatabaseOutage(t *testing.T) {
	c := newCluster(t)
	u, err := url.Parse(c.dsn)
	if err != nil {
		t.Fatalf("%s must be a postgres:// URL for this test: %v", pgtest.EnvDSN, err)
	}
	p := startProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = p.addr()
	a := c.start("", "")
	b := c.start(viaProxy.String(), "")
	ctx := t.Context()
	keyID, secret := newUserWithKey(t, a, "frank")
	if _, err := a.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("frank"),
		PolicyName: aws.String("list"), PolicyDocument: aws.String(listUsersPolicy)}); err != nil {
		t.Fatal(err)
	}
	frankB := b.iam(keyID, secret)
	eventually(t, 2*time.Second, "policy on B", func() bool { _, err := frankB.ListUsers(ctx, nil); return err == nil })

	p.cut()
	if _, err := frankB.ListUsers(ctx, nil); err != nil {
		t.Errorf("database down: ListUsers on B = %v, want it served from memory", err)
	}
	if _, err := b.rootIAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("frank")}); err != nil {
		t.Errorf("database down: GetUser on B = %v", err)
	}
	tok, err := b.sts(keyID, secret).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Errorf("database down: GetSessionToken on B = %v", err)
	} else {
		cr := tok.Credentials
		onB := sts.NewFromConfig(b.awsConfig(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
		if _, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("database down: GetCallerIdentity with a new session on B = %v", err)
		}
	}
	_, err = b.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grace")})
	wantAPIError(t, err, "ServiceFailure", http.StatusInternalServerError)
	// A, still connected, writes meanwhile.
	if _, err := a.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("heidi")}); err != nil {
		t.Fatal(err)
	}

	p.restore()
	// The next write on B succeeds (the pool reconnects) and B learns of
	// A's write, by notification or by polling.
	eventually(t, 15*time.Second, "B writes again", func() bool {
		_, err := b.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("grace")})
		return err == nil
	})
	eventually(t, 10*time.Second, "B sees A's write", func() bool {
		_, err := b.rootIAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("heidi")})
		return err == nil
	})
}

// proxy forwards TCP to PostgreSQL until cut, which drops every
// connection and refuses new ones until restore.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[in] = true
		}
		p.mu.Unlock()
		if down {
			in.Close()
			continue
		}
		out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns[out] = true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// BenchmarkPropagation measures how long a change committed on node A
// takes to be enforced on node B: A creates (then deletes) an access key,
// and B is polled until it authenticates (then rejects) it. It reports
// p50 and p99 over b.N changes. Run with
//
//	go test -run '^$' -bench Propagation -benchtime 1000x ./e2e/
//
// BenchmarkPropagation measures it with notifications ("notify") and with
// polling alone ("poll": node B does not LISTEN, as behind a pooler that
// cannot carry it).
func BenchmarkPropagation(b *testing.B) {
	b.Run("notify", func(b *testing.B) { benchmarkPropagation(b, false) })
	b.Run("poll", func(b *testing.B) { benchmarkPropagation(b, true) })
}

func benchmarkPropagation(b *testing.B, noListen bool) {
	dsn := pgtest.DSN(b)
	dirA, dirB := b.TempDir(), b.TempDir()
	start := func(dir string) *server.Server {
		srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dir, DatabaseURL: dsn,
			AccountID: testAccount, RootAccessKeyID: rootKeyID, RootSecret: rootSecretKey, DatabaseNoListen: noListen && dir == dirB})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { srv.Shutdown(context.Background()) })
		return srv
	}
	a := start(dirA)
	if err := copyFile(filepath.Join(dirA, "master.key"), filepath.Join(dirB, "master.key")); err != nil {
		b.Fatal(err)
	}
	nb := start(dirB)
	ctx := context.Background()
	root := a.Service.Authenticate(rootKeyID).Principal
	if _, err := a.Service.CreateUser(ctx, root, iamcore.CreateUserInput{UserName: "bench", Path: "/"}); err != nil {
		b.Fatal(err)
	}
	// delays: from A's acknowledgement of the write to enforcement on B
	// (0 when B had applied it before A answered); fromStart: from the
	// start of A's call, which includes A's own commit.
	var delays, fromStart []time.Duration
	var keyID string
	b.ResetTimer()
	for i := range b.N {
		var want bool
		t0 := time.Now()
		if i%2 == 0 {
			k, err := a.Service.CreateAccessKey(ctx, root, "bench")
			if err != nil {
				b.Fatal(err)
			}
			keyID, want = k.Key.ID, true
		} else {
			if err := a.Service.DeleteAccessKey(ctx, root, "bench", keyID); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now() // committed on A
		for (nb.Service.Authenticate(keyID) != nil) != want {
			if time.Since(t1) > 10*time.Second {
				b.Fatalf("change %d not applied on B after 10 s", i)
			}
			time.Sleep(50 * time.Microsecond)
		}
		now := time.Now()
		delays = append(delays, now.Sub(t1))
		fromStart = append(fromStart, now.Sub(t0))
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[min(len(ds)-1, int(float64(len(ds))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(delays, 0.50), "ack-p50-ms")
	b.ReportMetric(pct(delays, 0.99), "ack-p99-ms")
	b.ReportMetric(pct(fromStart, 0.50), "start-p50-ms")
	b.ReportMetric(pct(fromStart, 0.99), "start-p99-ms")
	b.ReportMetric(pct(fromStart, 1), "start-max-ms")
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}

// BenchmarkCreateUser measures write throughput (CreateUser through the
// service, one transaction and one change each) on SQLite and on
// PostgreSQL, from one client and from 8 at once:
//
//	go test -run '^$' -bench CreateUser -benchtime 2000x ./e2e/
func BenchmarkCreateUser(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, clients := range []int{1, 8} {
			b.Run(backend+"/clients="+string(rune('0'+clients)), func(b *testing.B) {
				cfg := server.Config{Listen: "127.0.0.1:0", DataDir: b.TempDir(), AccountID: testAccount,
					RootAccessKeyID: rootKeyID, RootSecret: rootSecretKey,
					Quotas: manyUsers()}
				if backend == "postgres" {
					cfg.DatabaseURL = pgtest.DSN(b)
				}
				srv, err := server.Start(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Shutdown(context.Background())
				root := srv.Service.Authenticate(rootKeyID).Principal
				ctx := context.Background()
				var next atomic.Int64
				b.SetParallelism(clients)
				b.ResetTimer()
				start := time.Now()
				if clients == 1 {
					for range b.N {
						if _, err := srv.Service.CreateUser(ctx, root, iamcore.CreateUserInput{UserName: "u" + strconv.FormatInt(next.Add(1), 10), Path: "/"}); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					var wg sync.WaitGroup
					per := b.N / clients
					for range clients {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for range per {
								if _, err := srv.Service.CreateUser(ctx, root, iamcore.CreateUserInput{UserName: "u" + strconv.FormatInt(next.Add(1), 10), Path: "/"}); err != nil {
									b.Error(err)
									return
								}
							}
						}()
					}
					wg.Wait()
				}
				b.ReportMetric(float64(next.Load())/time.Since(start).Seconds(), "users/s")
			})
		}
	}
}

func manyUsers() iamcore.Quotas {
	q := iamcore.DefaultQuotas()
	q.UsersPerAccount = 1_000_000
	return q
}

// BenchmarkColdStart measures how long a node takes to start (load the
// whole state into memory) on a deployment of 100,000 users, 10,000 roles
// and 10,000 customer managed policies, and the heap it then holds. The
// rows are inserted with SQL, not through the API, to keep the set-up
// short. Run with
//
//	go test -run '^$' -bench ColdStart -benchtime 1x ./e2e/
func BenchmarkColdStart(b *testing.B) {
	const users, roles, policies = 100_000, 10_000, 10_000
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			cfg := server.Config{Listen: "127.0.0.1:0", DataDir: dir, AccountID: testAccount,
				RootAccessKeyID: rootKeyID, RootSecret: rootSecretKey}
			if backend == "postgres" {
				cfg.DatabaseURL = pgtest.DSN(b)
			}
			srv, err := server.Start(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			srv.Shutdown(ctx)
			var db *sql.DB
			if backend == "postgres" {
				db, err = sql.Open("pgx", cfg.DatabaseURL)
			} else {
				db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "iamd.db")+"?_foreign_keys=1")
			}
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			series, id := "generate_series(1, %d) s(i)", "'%s' || lpad(i::text, 17, '0')"
			if backend == "sqlite" {
				series, id = "(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < %d) SELECT i FROM r) s", "'%s' || printf('%%017d', i)"
			}
			const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
			for _, stmt := range []string{
				`INSERT INTO users (id, account_id, name, name_lower, path, create_date)
				 SELECT ` + fmt.Sprintf(id, "AIDA") + `, '` + testAccount + `', 'user' || i, 'user' || i, '/', 1700000000000000000 FROM ` + fmt.Sprintf(series, users),
				`INSERT INTO roles (id, account_id, name, name_lower, path, create_date, assume_role_policy, max_session_duration)
				 SELECT ` + fmt.Sprintf(id, "AROA") + `, '` + testAccount + `', 'role' || i, 'role' || i, '/', 1700000000000000000, '` + trust + `', 3600 FROM ` + fmt.Sprintf(series, roles),
				`INSERT INTO policies (id, account_id, name, name_lower, path, create_date, update_date, default_version_id, next_version)
				 SELECT ` + fmt.Sprintf(id, "ANPA") + `, '` + testAccount + `', 'policy' || i, 'policy' || i, '/', 1700000000000000000, 1700000000000000000, 'v1', 2 FROM ` + fmt.Sprintf(series, policies),
				`INSERT INTO policy_versions (policy_id, version_id, version_num, document, create_date)
				 SELECT ` + fmt.Sprintf(id, "ANPA") + `, 'v1', 1, '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket' || i || '/*"}]}', 1700000000000000000 FROM ` + fmt.Sprintf(series, policies),
			} {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					b.Fatalf("%s: %v", stmt[:40], err)
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			start := time.Now()
			srv, err = server.Start(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			took := time.Since(start)
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			if got := len(srv.Service.Authenticate(rootKeyID).Principal.AccountID); got == 0 {
				b.Fatal("no root principal after start")
			}
			srv.Shutdown(ctx)
			b.ReportMetric(took.Seconds(), "start-s")
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		})
	}
}
