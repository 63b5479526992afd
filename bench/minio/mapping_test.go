package miniobench

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	minio "github.com/minio/pkg/v3/policy"

	"github.com/iamd/iamd/policy"
)

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

// iamdCase is one request in iamd's input form.
type iamdCase struct {
	set      *policy.Set
	req      policy.Request
	expected string
}

// minioCase is one S3 request in MinIO's input form.
type minioCase struct {
	pol         *minio.Policy
	args        minio.Args
	expected    string
	expressible bool
}

type loaded struct {
	iamdAll, iamdS3 []iamdCase
	iamdS3NoKey     []iamdCase // iamdS3 with the action as request text, no ActionKey
	minio           []minioCase
	untranslatable  map[string]string // "policy#stmt" -> MinIO's reason
}

var (
	once sync.Once
	wl   *loaded
	werr error
)

func load(tb testing.TB) *loaded {
	tb.Helper()
	path := os.Getenv("WORKLOAD")
	if path == "" {
		tb.Skip("WORKLOAD is not set: generate the shared workload (cd /work/shared/perf/workload && go run ./cmd/genworkload -out /tmp/workload.json) and set WORKLOAD=/tmp/workload.json")
	}
	once.Do(func() {
		wl, werr = read(path)
		// See policy/workload_bench_test.go's signalLoaded: lets a
		// script switch callgrind's instrumentation on after loading.
		if f := os.Getenv("BENCH_LOADED_FILE"); f != "" {
			if err := os.WriteFile(f, nil, 0o644); err == nil {
				time.Sleep(2 * time.Second)
			}
		}
	})
	if werr != nil {
		tb.Fatal(werr)
	}
	return wl
}

// stmt is a pool statement as decoded for mapping.
type stmt struct {
	Effect      string          `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
}

func strs(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

const s3ARN = "arn:aws:s3:::"

// mapStatement returns the statement as a MinIO policy document, nil if it
// cannot apply to S3 requests, or an error if MinIO cannot express it.
func mapStatement(s *stmt) ([]byte, error) {
	out := map[string]any{"Effect": s.Effect}
	keepActions := func(ps []string) (keep []string) {
		for _, p := range ps {
			if minio.Action(p).IsValid() {
				keep = append(keep, p)
			}
		}
		return keep
	}
	if a := strs(s.Action); a != nil {
		keep := keepActions(a)
		if len(keep) == 0 {
			return nil, nil
		}
		out["Action"] = keep
	} else if keep := keepActions(strs(s.NotAction)); len(keep) > 0 {
		out["NotAction"] = keep
	} else {
		out["Action"] = []string{"s3:*"}
	}
	keepRes := func(ps []string) (keep []string, spans bool) {
		for _, p := range ps {
			switch {
			case p == "*" || strings.HasPrefix(p, s3ARN):
				keep = append(keep, p)
			case strings.ContainsAny(p, "*?") && strings.HasPrefix(s3ARN, p[:strings.IndexAny(p, "*?")]):
				spans = true // e.g. "arn:aws:*:...": could match S3 too
			}
		}
		return keep, spans
	}
	if r := strs(s.Resource); r != nil {
		keep, spans := keepRes(r)
		if spans {
			return nil, errors.New("resource pattern spans services")
		}
		if len(keep) == 0 {
			return nil, nil
		}
		out["Resource"] = keep
	} else {
		keep, spans := keepRes(strs(s.NotResource))
		if spans {
			return nil, errors.New("NotResource pattern spans services")
		}
		for _, p := range keep {
			if p == "*" {
				return nil, nil
			}
		}
		if len(keep) > 0 {
			out["NotResource"] = keep
		} else {
			out["Resource"] = []string{"*"}
		}
	}
	if len(s.Condition) > 0 {
		out["Condition"] = s.Condition
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{out}})
	if err != nil {
		return nil, err
	}
	if _, err := minio.ParseConfig(bytes.NewReader(doc)); err != nil {
		return nil, err
	}
	return doc, nil
}

// minioKeys renames condition keys as MinIO looks them up.
func minioKeys(ctx map[string][]string) map[string][]string {
	out := make(map[string][]string, len(ctx))
	for k, v := range ctx {
		if p, rest, ok := strings.Cut(k, ":"); ok && (p == "aws" || p == "s3") {
			k = rest
		}
		out[k] = v
	}
	return out
}

func read(path string) (*loaded, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w workloadFile
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, err
	}
	if w.Format != "iam-authz-workload/v1" {
		return nil, errors.New("unknown workload format " + w.Format)
	}
	l := &loaded{untranslatable: map[string]string{}}

	// iamd: every pool policy parsed strictly and compiled once.
	compiled := make([]*policy.Compiled, len(w.Policies))
	// untrans[i] holds, per pool policy, compiled copies of the statements
	// MinIO cannot express, conditions removed, to decide which requests
	// they target.
	untrans := make([]*policy.Compiled, len(w.Policies))
	minioPol := make([]minio.Policy, len(w.Policies))
	for i, p := range w.Policies {
		pol, err := policy.ParseStrict(string(p.Document), policy.Identity)
		if err != nil {
			return nil, err
		}
		if compiled[i], err = policy.Compile(p.ARN, "v1", pol); err != nil {
			return nil, err
		}
		var doc struct {
			Statement json.RawMessage `json:"Statement"`
		}
		if err := json.Unmarshal(p.Document, &doc); err != nil {
			return nil, err
		}
		var stmts []stmt
		if json.Unmarshal(doc.Statement, &stmts) != nil {
			var one stmt
			if err := json.Unmarshal(doc.Statement, &one); err != nil {
				return nil, err
			}
			stmts = []stmt{one}
		}
		minioPol[i].Version = minio.DefaultVersion
		var bad []string
		for si := range stmts {
			mdoc, err := mapStatement(&stmts[si])
			if err != nil {
				l.untranslatable[p.Name+"#"+itoa(si)] = err.Error()
				target := stmts[si]
				target.Effect, target.Condition = "Allow", nil
				tb, _ := json.Marshal(target)
				bad = append(bad, string(tb))
				continue
			}
			if mdoc == nil {
				continue
			}
			mp, err := minio.ParseConfig(bytes.NewReader(mdoc))
			if err != nil {
				return nil, err
			}
			minioPol[i].Statements = append(minioPol[i].Statements, mp.Statements...)
		}
		if len(bad) > 0 {
			tp, err := policy.Parse(`{"Version":"2012-10-17","Statement":[`+stripNulls(strings.Join(bad, ","))+`]}`, policy.Identity)
			if err != nil {
				return nil, err
			}
			untrans[i], _ = policy.Compile(p.Name, "", tp)
		}
	}

	sets := make([]*policy.Set, len(w.Principals))
	targets := make([]*policy.Set, len(w.Principals))
	merged := make([]*minio.Policy, len(w.Principals))
	for pi, p := range w.Principals {
		sets[pi], targets[pi] = &policy.Set{}, &policy.Set{}
		var ps []minio.Policy
		for _, idx := range p.Policies {
			sets[pi].Identity = append(sets[pi].Identity, compiled[idx])
			if untrans[idx] != nil {
				targets[pi].Identity = append(targets[pi].Identity, untrans[idx])
			}
			ps = append(ps, minioPol[idx])
		}
		m := minio.MergePolicies(ps...)
		merged[pi] = &m
		// iamd's counterpart of MinIO's pre-merged policy: one merged
		// action index over the principal's policies (as iam does).
		sets[pi].Prepare()
	}
	// One ActionKey per action, as a server prepares them from its table
	// of operations; MinIO's Args.Action is likewise the action string.
	keys := map[string]*policy.ActionKey{}
	var d policy.Decision
	for _, r := range w.Requests {
		ctx := policy.NewContext(len(r.Context))
		for k, v := range r.Context {
			ctx.Set(k, v...)
		}
		pr := policy.Principal{Type: policy.PrincipalUser, ARN: w.Principals[r.Principal].ARN, Account: w.Account}
		k := keys[r.Action]
		if k == nil {
			k = policy.NewActionKey(r.Action)
			keys[r.Action] = k
		}
		c := iamdCase{set: sets[r.Principal], req: policy.Request{Principal: pr, Action: k.String(), ActionKey: k, Resource: r.Resource, Context: ctx}, expected: r.Expected}
		l.iamdAll = append(l.iamdAll, c)
		if !strings.HasPrefix(r.Action, "s3:") {
			continue
		}
		l.iamdS3 = append(l.iamdS3, c)
		nk := c
		nk.req.Action, nk.req.ActionKey = r.Action, nil
		l.iamdS3NoKey = append(l.iamdS3NoKey, nk)
		if !minio.Action(r.Action).IsValid() {
			continue
		}
		bucket, object := "", ""
		if r.Resource != "*" {
			rest, ok := strings.CutPrefix(r.Resource, s3ARN)
			if !ok {
				return nil, errors.New("S3 action on non-S3 resource " + r.Resource)
			}
			bucket, object, _ = strings.Cut(rest, "/")
		}
		// Expressible: no statement MinIO could not express targets this
		// request's action and resource (conditions aside).
		policy.Evaluate(targets[r.Principal], &policy.Request{Principal: pr, Action: r.Action, Resource: r.Resource}, &d)
		l.minio = append(l.minio, minioCase{
			pol: merged[r.Principal],
			args: minio.Args{
				AccountName:     w.Principals[r.Principal].Name,
				Action:          minio.Action(r.Action),
				BucketName:      bucket,
				ObjectName:      object,
				ConditionValues: minioKeys(r.Context),
			},
			expected:    r.Expected,
			expressible: d.Effect != policy.Allow,
		})
	}
	return l, nil
}

// stripNulls drops the null elements json.Marshal writes for absent
// fields of stmt.
func stripNulls(s string) string {
	for _, f := range []string{"Action", "NotAction", "Resource", "NotResource", "Condition"} {
		s = strings.ReplaceAll(s, `,"`+f+`":null`, "")
	}
	return s
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
