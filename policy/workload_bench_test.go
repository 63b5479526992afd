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

// workloadCase is one request in Evaluate's input form.
type workloadCase struct {
	set      *Set
	req      Request
	expected string
}

var (
	wlOnce  sync.Once
	wlAll   []workloadCase
	wlS3    []workloadCase
	wlNoKey []workloadCase // wlAll without ActionKeys
	wlError error
)

func loadWorkload(tb testing.TB) {
	tb.Helper()
	path := os.Getenv("WORKLOAD")
	if path == "" {
		tb.Skip("WORKLOAD is not set: generate the shared workload (cd /work/shared/perf/workload && go run ./cmd/genworkload -out /tmp/workload.json) and set WORKLOAD=/tmp/workload.json")
	}
	wlOnce.Do(func() {
		wlAll, wlS3, wlNoKey, wlError = readWorkload(path)
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

func readWorkload(path string) (all, s3, noKey []workloadCase, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	var w workloadFile
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, nil, nil, err
	}
	if w.Format != "iam-authz-workload/v1" {
		return nil, nil, nil, &Error{Message: "unknown workload format " + w.Format}
	}
	compiled := make([]*Compiled, len(w.Policies))
	for i, p := range w.Policies {
		pol, err := ParseStrict(string(p.Document), Identity)
		if err != nil {
			return nil, nil, nil, err
		}
		if compiled[i], err = Compile(p.ARN, "v1", pol); err != nil {
			return nil, nil, nil, err
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
	all = make([]workloadCase, len(w.Requests))
	for _, r := range w.Requests {
		// A server parses a request's strings out of one request buffer;
		// give each request's strings the same locality here instead of
		// the scattered allocations of the JSON decoder.
		arena.WriteString(r.Action)
		arena.WriteString(r.Resource)
		for _, k := range sortedKeys(r.Context) {
			for _, v := range r.Context[k] {
				arena.WriteString(v)
			}
		}
	}
	text, off := arena.String(), 0
	next := func(n int) string { s := text[off : off+n]; off += n; return s }
	for i, r := range w.Requests {
		action, resource := next(len(r.Action)), next(len(r.Resource))
		ctx := NewContext(len(r.Context))
		for _, k := range sortedKeys(r.Context) {
			vals := make([]string, len(r.Context[k]))
			for j, v := range r.Context[k] {
				vals[j] = next(len(v))
			}
			ctx.Set(k, vals...)
		}
		k := keys[r.Action]
		if k == nil {
			k = NewActionKey(r.Action)
			keys[r.Action] = k
		}
		// The request's Action is the key's own string, as when a server
		// takes both from its table of operations.
		all[i] = workloadCase{set: sets[r.Principal], req: Request{Principal: principals[r.Principal], Action: k.String(), ActionKey: k, Resource: resource, Context: ctx}, expected: r.Expected}
		if strings.HasPrefix(r.Action, "s3:") {
			s3 = append(s3, all[i])
		}
		// The same request with the action as request text, lower-cased
		// and hashed by every Evaluate.
		nk := all[i]
		nk.req.Action, nk.req.ActionKey = action, nil
		noKey = append(noKey, nk)
	}
	return all, s3, noKey, nil
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
