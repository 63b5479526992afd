package policy

import (
	"encoding/json"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The shared workload (see /work/shared/perf/README.md): 1,000 IAM users
// with 1-10 attached identity policies each and 100,000 requests with their
// expected decisions. $WORKLOAD names the file; generate it with
//
//	cd /work/shared/perf/workload && go run ./cmd/genworkload -out /tmp/workload.json
//
// Everything is parsed, compiled and converted before timing; only
// Evaluate is timed, one decision per op.

type workloadFile struct {
	Format   string `json:"format"`
	Account  string `json:"account"`
	Policies []struct {
		Name     string          `json:"name"`
		ARN      string          `json:"arn"`
		Document json.RawMessage `json:"document"`
	} `json:"policies"`
	Principals []struct {
		Name     string `json:"name"`
		ARN      string `json:"arn"`
		Policies []int  `json:"policies"`
	} `json:"principals"`
	Requests []struct {
		Principal int                 `json:"principal"`
		Action    string              `json:"action"`
		Resource  string              `json:"resource"`
		Context   map[string][]string `json:"context"`
		Expected  string              `json:"expected"`
	} `json:"requests"`
}

// workloadCase is one request in Evaluate's input form. Its Context is
// stored in the case, next to the Request, as a server keeps a request's
// state in one place; cases must not be copied once filled (a Context
// points into itself), except where req.Context is pointed elsewhere.
type workloadCase struct {
	set      *Set
	req      Request
	expected string
	ctx      Context
}

var (
	wlOnce  sync.Once
	wlAll   []workloadCase
	wlS3    []workloadCase
	wlNoKey []workloadCase // wlAll without ActionKeys
	// wlS3Apart is wlS3 with each Context allocated on its own
	// (NewContext), away from its request.
	wlS3Apart []workloadCase
	wlError   error
)

func loadWorkload(tb testing.TB) {
	tb.Helper()
	path := os.Getenv("WORKLOAD")
	if path == "" {
		tb.Skip("WORKLOAD is not set: generate the shared workload (cd /work/shared/perf/workload && go run ./cmd/genworkload -out /tmp/workload.json) and set WORKLOAD=/tmp/workload.json")
	}
	wlOnce.Do(func() {
		wlAll, wlS3, wlNoKey, wlS3Apart, wlError = readWorkload(path)
		signalLoaded()
	})
	if wlError != nil {
		tb.Fatal(wlError)
	}
}

// signalLoaded supports counting instructions under valgrind without
// paying for the workload's loading: with BENCH_LOADED_FILE set, it
// creates that file once the workload is loaded and waits two seconds, so
// that a script watching for the file can switch callgrind's
// instrumentation on (callgrind_control -i on) before timing starts. See
// docs/bench/policy.md.
func signalLoaded() {
	if f := os.Getenv("BENCH_LOADED_FILE"); f != "" {
		if err := os.WriteFile(f, nil, 0o644); err == nil {
			time.Sleep(2 * time.Second)
		}
	}
}

func readWorkload(path string) (all, s3, noKey, s3Apart []workloadCase, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var w workloadFile
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, nil, nil, nil, err
	}
	if w.Format != "iam-authz-workload/v1" {
		return nil, nil, nil, nil, &Error{Message: "unknown workload format " + w.Format}
	}
	compiled := make([]*Compiled, len(w.Policies))
	for i, p := range w.Policies {
		pol, err := ParseStrict(string(p.Document), Identity)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if compiled[i], err = Compile(p.ARN, "v1", pol); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	sets := make([]*Set, len(w.Principals))
	principals := make([]Principal, len(w.Principals))
	for i, p := range w.Principals {
		s := &Set{}
		for _, idx := range p.Policies {
			s.Identity = append(s.Identity, compiled[idx])
		}
		// As iam's policySet does: one merged identity index per
		// principal, built once.
		s.Prepare()
		sets[i] = s
		principals[i] = Principal{Type: PrincipalUser, ARN: p.ARN, Account: w.Account}
	}
	// A server knows each operation's action when it starts, so it
	// prepares one ActionKey per action, not per request.
	keys := map[string]*ActionKey{}
	// A server parses a request's strings out of one request buffer that
	// is hot in cache while it is being authorized. Cycling through
	// 100,000 requests makes every request cold instead, so at least keep
	// each request's strings together, and the requests in order, in one
	// arena, rather than where the JSON decoder scattered them.
	var arena strings.Builder
	nS3 := 0
	for _, r := range w.Requests {
		arena.WriteString(r.Action)
		arena.WriteString(r.Resource)
		for _, k := range sortedKeys(r.Context) {
			for _, v := range r.Context[k] {
				arena.WriteString(v)
			}
		}
		if strings.HasPrefix(r.Action, "s3:") {
			nS3++
		}
	}
	text, off := arena.String(), 0
	next := func(n int) string { t := text[off : off+n]; off += n; return t }
	type strs struct {
		action, resource string
		vals             [][]string // by sortedKeys
	}
	reqText := make([]strs, len(w.Requests))
	for i, r := range w.Requests {
		t := &reqText[i]
		t.action, t.resource = next(len(r.Action)), next(len(r.Resource))
		for _, k := range sortedKeys(r.Context) {
			vals := make([]string, len(r.Context[k]))
			for j, v := range r.Context[k] {
				vals[j] = next(len(v))
			}
			t.vals = append(t.vals, vals)
		}
	}
	// fill makes c request i, with its Context in ctx.
	fill := func(c *workloadCase, i int, ctx *Context, withKey bool) {
		r, t := &w.Requests[i], &reqText[i]
		for j, k := range sortedKeys(r.Context) {
			ctx.Set(k, t.vals[j]...)
		}
		k := keys[r.Action]
		if k == nil {
			k = NewActionKey(r.Action)
			keys[r.Action] = k
		}
		c.set, c.expected = sets[r.Principal], r.Expected
		// With a key, the request's Action is the key's own string, as
		// when a server takes both from its table of operations; without
		// one it is request text, lower-cased and hashed by every
		// Evaluate.
		c.req = Request{Principal: principals[r.Principal], Action: k.String(), ActionKey: k, Resource: t.resource, Context: ctx}
		if !withKey {
			c.req.Action, c.req.ActionKey = t.action, nil
		}
	}
	all = make([]workloadCase, len(w.Requests))
	noKey = make([]workloadCase, len(w.Requests))
	s3 = make([]workloadCase, 0, nS3)
	s3Apart = make([]workloadCase, 0, nS3)
	for i, r := range w.Requests {
		fill(&all[i], i, &all[i].ctx, true)
		fill(&noKey[i], i, &noKey[i].ctx, false)
		if strings.HasPrefix(r.Action, "s3:") {
			s3 = s3[:len(s3)+1]
			c := &s3[len(s3)-1]
			fill(c, i, &c.ctx, true)
			s3Apart = s3Apart[:len(s3Apart)+1]
			fill(&s3Apart[len(s3Apart)-1], i, NewContext(len(r.Context)), true)
		}
	}
	return all, s3, noKey, s3Apart, nil
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestAgreement counts decisions equal to the workload's expected ones.
func TestAgreement(t *testing.T) {
	loadWorkload(t)
	d := Decision{Matched: make([]StatementRef, 0, 32)}
	agree, byEffect := 0, map[string]int{}
	for i := range wlAll {
		c := &wlAll[i]
		Evaluate(c.set, &c.req, &d)
		byEffect[d.Effect.String()]++
		if d.Effect.String() == c.expected {
			agree++
		} else if agree+10 > i {
			t.Errorf("request %d (%s %s): Evaluate = %v, want %s", i, c.req.Action, c.req.Resource, d.Effect, c.expected)
		}
	}
	t.Logf("agreement: %d / %d = %.2f%% (decisions: %v)", agree, len(wlAll), 100*float64(agree)/float64(len(wlAll)), byEffect)
	if agree != len(wlAll) {
		t.Errorf("agreement %d / %d, want all", agree, len(wlAll))
	}
	for i := range wlNoKey {
		c := &wlNoKey[i]
		if Evaluate(c.set, &c.req, &d); d.Effect.String() != c.expected {
			t.Fatalf("request %d without ActionKey (%s %s): Evaluate = %v, want %s", i, c.req.Action, c.req.Resource, d.Effect, c.expected)
		}
	}
}

func benchWorkload(b *testing.B, cases []workloadCase) {
	d := Decision{Matched: make([]StatementRef, 0, 32)}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	start := threadCPU()
	for b.Loop() {
		c := &cases[i]
		Evaluate(c.set, &c.req, &d)
		if i++; i == len(cases) {
			i = 0
		}
	}
	reportCPU(b, start)
}

// reportCPU reports the thread CPU time per op since start: the machine is
// shared, and time spent descheduled inflates ns/op but not cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if d := threadCPU() - start; start != 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func benchWorkloadParallel(b *testing.B, cases []workloadCase) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := Decision{Matched: make([]StatementRef, 0, 32)}
		i := 0
		for pb.Next() {
			c := &cases[i]
			Evaluate(c.set, &c.req, &d)
			if i++; i == len(cases) {
				i = 0
			}
		}
	})
}

func BenchmarkIamd(b *testing.B) {
	loadWorkload(b)
	b.Run("all", func(b *testing.B) { benchWorkload(b, wlAll) })
	b.Run("s3", func(b *testing.B) { benchWorkload(b, wlS3) })
	// Each request's Context allocated apart from the request.
	b.Run("s3-ctxapart", func(b *testing.B) { benchWorkload(b, wlS3Apart) })
	// The first 1,000 requests only: they stay in cache, so this is the
	// evaluator's CPU cost without the memory stalls of cycling through
	// 100,000 cold requests.
	b.Run("hot1000", func(b *testing.B) { benchWorkload(b, wlAll[:1000]) })
	// Without ActionKeys: the action is request text, as iam passes it.
	b.Run("all-nokey", func(b *testing.B) { benchWorkload(b, wlNoKey) })
}

func BenchmarkIamdParallel(b *testing.B) {
	loadWorkload(b)
	b.Run("all", func(b *testing.B) { benchWorkloadParallel(b, wlAll) })
	b.Run("s3", func(b *testing.B) { benchWorkloadParallel(b, wlS3) })
}
