// Command loadtest measures the authorization API of a real iamd: it
// starts a server (SQLite and the audit trail in a temporary directory),
// creates a calling service and a user, and drives POST
// /iamd/authz/v1/authorize and /authorize-batch with wrk (Debian's package
// wrk, closed loop: throughput at saturation), with -gen raw at fixed
// offered rates from a separate process (open loop: latency at a given
// rate; raw.go) or, with -gen go, with a Go load generator in this
// process. Results go to stdout as Markdown rows for docs/bench/authz.md.
//
//	go run ./authzapi/loadtest -duration 10s -connections 16
//	go run ./authzapi/loadtest -gen raw -rate 10000,20000 -only "single (principal ARN)"
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/authzapi"
	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/httpserve"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/server"
	"github.com/valyala/fasthttp"
)

const account = "123456789012"

func main() {
	if spec := os.Getenv(rawEnv); spec != "" {
		if err := rawChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest generator:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name      string
	path      string
	body      []byte
	decisions int // per request
}

func run() error {
	duration := flag.Duration("duration", 10*time.Second, "duration of each scenario")
	conns := flag.Int("connections", 16, "concurrent connections")
	threads := flag.Int("threads", 1, "wrk threads")
	gen := flag.String("gen", "wrk", "load generator: wrk, go (in this process) or raw (fixed rate from a separate process, needs -rate)")
	only := flag.String("only", "", "run only the scenario with this name")
	cpuprofile := flag.String("cpuprofile", "", "write the server's CPU profile here")
	rates := flag.String("rate", "0", "with -gen go or raw: offered requests per second in total, or a comma-separated list to run each in turn (go: 0 is as fast as possible)")
	genTick := flag.Duration("gentick", 250*time.Microsecond, "with -gen raw: least time between two of the generator's batches of writes")
	genProfile := flag.String("genprofile", "", "with -gen raw: write the generator's CPU profile here")
	genPoll := flag.Bool("genpoll", false, "with -gen raw: read answers once a tick instead of waking for each (fewer wake-ups on both sides; an answer's time is late by up to a tick)")
	genGroup := flag.Int("gengroup", 1, "with -gen raw: consecutive requests dealt to one connection before the next (1: round-robin; more: several requests in one write, pipelined)")
	noAudit := flag.Bool("noaudit", false, "serve the API without the audit trail (to measure what auditing costs)")
	floor := flag.Bool("floor", false, "serve every request with a fixed decision answer from a plain net/http server (the floor: net/http, the kernel and the generator without iamd)")
	floorFast := flag.Bool("floorfasthttp", false, "like -floor, with a fasthttp handler answering directly (no net/http adapter)")
	floorServe := flag.Bool("floorhttpserve", false, "like -floor, with iamd's HTTP server (package httpserve) instead of net/http's: iamd's transport without iamd")
	memprofile := flag.String("memprofile", "", "write the server's allocation profile here at the end")
	traceOut := flag.String("trace", "", "write an execution trace of the load (go tool trace) here")
	flag.Parse()
	if *memprofile != "" {
		defer func() {
			f, err := os.Create(*memprofile)
			if err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx := context.Background()
	dir, err := os.MkdirTemp("", "iamd-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := server.Start(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: dir, AccountID: account,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return err
	}
	defer srv.Shutdown(context.Background())
	svc := srv.Service
	root := svc.Authenticate(srv.Bootstrap.RootAccessKeyID).Principal
	mk := func(name, doc string) (*iam.NewAccessKey, error) {
		if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: name, Tags: []iam.Tag{{Key: "team", Value: "core"}}}); err != nil {
			return nil, err
		}
		if err := svc.PutInlinePolicy(ctx, root, iam.OwnerUser, name, "p", doc); err != nil {
			return nil, err
		}
		if err := svc.AttachPolicy(ctx, root, iam.OwnerUser, name, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"); err != nil {
			return nil, err
		}
		return svc.CreateAccessKey(ctx, root, name)
	}
	service, err := mk("service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iamd:Authorize","Resource":"*"}]}`)
	if err != nil {
		return err
	}
	alice, err := mk("alice", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]},
		{"Sid":"NoSecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/secret/*"},
		{"Sid":"Team","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::data/${aws:PrincipalTag/team}/*"}]}`)
	if err != nil {
		return err
	}
	token := service.Key.ID + ":" + service.Secret
	endpoint := srv.Endpoint()
	if *noAudit {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		// The real server's transport and timeouts (server.Start), whose
		// deadlines cost per request too, so that the difference is the
		// trail alone.
		hs := httpserve.New(httpserve.Config{Handler: authzapi.NewHandler(authzapi.Config{Service: svc}), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10})
		go hs.Serve(ln)
		defer hs.Shutdown(context.Background())
		endpoint = "http://" + ln.Addr().String()
	}
	aliceARN := "arn:aws:iam::" + account + ":user/alice"
	check := wire.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/reports/2026.csv", Context: map[string][]string{"aws:SourceIp": {"10.0.0.7"}}}
	single, _ := json.Marshal(&wire.AuthorizeRequest{Subject: wire.Subject{PrincipalARN: aliceARN}, Check: check})
	if *floor || *floorServe || *floorFast {
		answer, err := post(endpoint+wire.AuthorizePath, token, single)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		fixed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header()["Content-Type"] = []string{"application/json"}
			w.Header()["Content-Length"] = []string{strconv.Itoa(len(answer))}
			_, _ = w.Write(answer)
		})
		if *floorFast {
			// fasthttp's own handler type: the adapter's cost is the
			// difference from -floorhttpserve.
			hs := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
				c.SetContentType("application/json")
				c.SetBody(answer)
			}, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, NoDefaultServerHeader: true}
			go hs.Serve(ln)
			defer hs.Shutdown()
		} else if *floorServe {
			hs := httpserve.New(httpserve.Config{Handler: fixed, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
				WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second})
			go hs.Serve(ln)
			defer hs.Shutdown(context.Background())
		} else {
			hs := &http.Server{Handler: fixed, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
			go hs.Serve(ln)
			defer hs.Close()
		}
		endpoint = "http://" + ln.Addr().String()
	}
	sr, err := signed(alice.Key.ID, alice.Secret, srv.Endpoint())
	if err != nil {
		return err
	}
	signedBody, _ := json.Marshal(&wire.AuthorizeRequest{Subject: wire.Subject{SignedRequest: sr}, Check: check})
	checks := make([]wire.Check, 10)
	for i := range checks {
		checks[i] = wire.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k" + strconv.Itoa(i)}
	}
	batch, _ := json.Marshal(&wire.BatchRequest{Subject: wire.Subject{PrincipalARN: aliceARN}, Checks: checks})
	scenarios := []scenario{
		{"single (principal ARN)", wire.AuthorizePath, single, 1},
		{"single (forwarded SigV4 request)", wire.AuthorizePath, signedBody, 1},
		{"batch of 10 (principal ARN)", wire.BatchPath, batch, 10},
	}
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	var rateList []int
	for f := range strings.SplitSeq(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return fmt.Errorf("-rate: %q is not a rate", f)
		}
		rateList = append(rateList, n)
	}
	if *gen == "raw" {
		fmt.Printf("| scenario | connections | offered/s | answered/s | p50 | p90 | p99 | p99.9 | max | from write p50 / p99 | errors | server CPU/request | generator CPU/request | generator lateness p50 / p99 / max | written >1 ms late | requests/write | generator syscalls/request | allocs/request | GC cycles |\n" +
			"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	} else {
		fmt.Printf("| scenario | generator | connections | requests/s | decisions/s | p50 | p99 | errors | server CPU/request | wrk CPU/request | allocs/request | GC cycles |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	}
	for _, sc := range scenarios {
		for _, rate := range rateList {
			if *only != "" && sc.name != *only {
				continue
			}
			o := options{gen: *gen, endpoint: endpoint, token: token, dir: dir, duration: *duration, conns: *conns, threads: *threads, genTick: *genTick, genGroup: *genGroup, genPoll: *genPoll, genProfile: *genProfile}
			if err := runScenario(sc, rate, &o); err != nil {
				return err
			}
		}
	}
	return nil
}

// options are the flags a scenario runs with.
type options struct {
	gen, endpoint, token, dir string
	duration                  time.Duration
	conns, threads            int
	genTick                   time.Duration
	genGroup                  int
	genPoll                   bool
	genProfile                string
}

// runScenario drives one scenario at one offered rate (0: as fast as the
// generator goes) and prints its row.
func runScenario(sc scenario, rate int, o *options) error {
	gen, endpoint, token, dir, duration, conns := o.gen, o.endpoint, o.token, o.dir, o.duration, o.conns
	if err := probe(endpoint+sc.path, token, sc.body); err != nil {
		return fmt.Errorf("%s: %w", sc.name, err)
	}
	var res result
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	var err error
	switch gen {
	case "wrk":
		res, err = runWrk(dir, endpoint+sc.path, token, sc.body, duration, conns, o.threads)
	case "go":
		res, err = runGo(endpoint+sc.path, token, sc.body, duration, conns, rate)
	case "raw":
		res, err = runRaw(endpoint+sc.path, token, sc.body, duration, conns, rate, o)
	default:
		return errors.New("-gen must be wrk, go or raw")
	}
	if err != nil {
		return fmt.Errorf("%s: %w", sc.name, err)
	}
	// The server's CPU time per request (user + system, this process
	// only: wrk runs apart) does not depend on what else the machine
	// runs, unlike the rates: 2 cores / CPU per request bounds the rate.
	served := max(1, int64(res.rps*duration.Seconds()))
	if res.served > 0 {
		served = res.served
	}
	perReq := (cpuTime() - cpu0) / time.Duration(served)
	// Allocations and collections depend on the code alone, not on
	// the neighbours (with -gen go they include the generator's).
	runtime.ReadMemStats(&ms1)
	allocs, gcs := float64(ms1.Mallocs-ms0.Mallocs)/float64(served), ms1.NumGC-ms0.NumGC
	if r := res.raw; r != nil {
		ms := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
		fmt.Printf("| %s | %d | %d | %.0f | %s | %s | %s | %s | %s | %s / %s | %d | %s | %s | %s / %s / %s | %.2f%% | %.1f | %.2f | %.1f | %d |\n",
			sc.name, conns, rate, res.rps, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.P999), ms(r.Max), ms(r.WriteP50), ms(r.WriteP99), res.errors,
			perReq.Round(100*time.Nanosecond), (r.CPU / time.Duration(max(1, r.Sent))).Round(100*time.Nanosecond),
			ms(r.LateP50), ms(r.LateP99), ms(r.LateMax), 100*float64(r.Late1ms)/float64(max(1, r.Sent)), r.MeanRequestsPerWrite, float64(r.Syscalls)/float64(max(1, r.Sent)), allocs, gcs)
		return nil
	}
	genPerReq := "-"
	if res.genCPU > 0 {
		genPerReq = (res.genCPU / time.Duration(served)).Round(100 * time.Nanosecond).String()
	}
	fmt.Printf("| %s | %s | %d | %.0f | %.0f | %s | %s | %d | %s | %s | %.1f | %d |\n", sc.name, gen, conns, res.rps, res.rps*float64(sc.decisions),
		res.p50, res.p99, res.errors, perReq.Round(100*time.Nanosecond), genPerReq, allocs, gcs)
	return nil
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// signed returns a GetObject request signed by alice for an S3-like
// service, as that service would forward it. It stays valid for the
// 15-minute skew window, longer than a run.
func signed(id, secret, endpoint string) (*wire.SignedRequest, error) {
	r, err := http.NewRequest(http.MethodGet, "http://store.example:9000/data/reports/2026.csv?x-id=GetObject", nil)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(nil)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0")
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r,
		hex.EncodeToString(sum[:]), "s3", "us-east-1", time.Now(), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return nil, err
	}
	h := map[string][]string{"Host": {r.Host}}
	for k, v := range r.Header {
		h[k] = v
	}
	return &wire.SignedRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: h}, nil
}

// probe checks one request succeeds before the load starts.
func probe(url, token string, body []byte) error {
	_, err := post(url, token, body)
	return err
}

// post sends one request and returns its answer, which must allow.
func post(url, token string, body []byte) ([]byte, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"Allow"`)) {
		return nil, fmt.Errorf("probe: %d %s", resp.StatusCode, b)
	}
	return b, nil
}

type result struct {
	rps      float64
	served   int64 // answers counted, when the generator knows (0: rps × duration)
	p50, p99 string
	errors   int
	raw      *rawResult    // -gen raw's own figures
	genCPU   time.Duration // wrk's CPU time (user + system)
}

var (
	reqsRe = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p50Re  = regexp.MustCompile(`\n\s+50%\s+(\S+)`)
	p99Re  = regexp.MustCompile(`\n\s+99%\s+(\S+)`)
	non2Re = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	errRe  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func runWrk(dir, url, token string, body []byte, d time.Duration, conns, threads int) (result, error) {
	script := filepath.Join(dir, "authz.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Authorization\"] = %s\n",
		luaString(string(body)), luaString("Bearer "+token))
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.Command("wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String(), "--latency", "-s", script, url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v: %s", err, out)
	}
	var res result
	res.genCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	m := reqsRe.FindSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("wrk output: %s", out)
	}
	res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := p50Re.FindSubmatch(out); m != nil {
		res.p50 = string(m[1])
	}
	if m := p99Re.FindSubmatch(out); m != nil {
		res.p99 = string(m[1])
	}
	if m := non2Re.FindSubmatch(out); m != nil {
		res.errors, _ = strconv.Atoi(string(m[1]))
	}
	if m := errRe.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			res.errors += n
		}
	}
	return res, nil
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, []byte(fmt.Sprintf("\\%03d", c))...)
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// runGo is the Go load generator: conns goroutines, each with its own
// keep-alive connection, sending back to back or, with rate, each on its
// own ticker (latency is then measured from the tick, so that a stalled
// server's queueing counts).
func runGo(url, token string, body []byte, d time.Duration, conns, rate int) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			bad := 0
			var tick <-chan time.Time
			if rate > 0 {
				t := time.NewTicker(time.Duration(float64(time.Second) * float64(conns) / float64(rate)))
				defer t.Stop()
				tick = t.C
			}
			for time.Now().Before(deadline) {
				start := time.Now()
				if tick != nil {
					start = <-tick
				}
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					bad++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
				}
				local = append(local, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(lat)
	pct := func(p float64) string { return lat[int(float64(len(lat)-1)*p)].Round(10 * time.Microsecond).String() }
	return result{rps: float64(len(lat)) / d.Seconds(), p50: pct(0.50), p99: pct(0.99), errors: errs}, nil
}
