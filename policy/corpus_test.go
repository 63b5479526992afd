package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// corpusCase is one case of testdata/corpus/*.json; the format is
// documented in testdata/corpus/FORMAT.md.
type corpusCase struct {
	Name      string `json:"name"`
	Cite      string `json:"cite"`
	Principal *struct {
		ARN       string `json:"arn"`
		Account   string `json:"account"`
		Type      string `json:"type"`
		RoleARN   string `json:"roleArn"`
		Service   string `json:"service"`
		Federated string `json:"federated"`
		UserID    string `json:"userId"`
	} `json:"principal"`
	Policies struct {
		Identity []corpusPolicy `json:"identity"`
		Resource *corpusPolicy  `json:"resource"`
		Boundary *corpusPolicy  `json:"boundary"`
		Session  []corpusPolicy `json:"session"`
		SCP      []corpusPolicy `json:"scp"`
	} `json:"policies"`
	Request struct {
		Action   string              `json:"action"`
		Resource string              `json:"resource"`
		Context  map[string][]string `json:"context"`
	} `json:"request"`
	Parse *struct {
		Type     string `json:"type"`
		Document string `json:"document"`
	} `json:"parse"`
	Expect struct {
		Decision string `json:"decision"`
		Gate     string `json:"gate"`
		Matched  *[]struct {
			Policy    string  `json:"policy"`
			Statement int     `json:"statement"`
			Sid       *string `json:"sid"`
		} `json:"matched"`
		Error *string `json:"error"`
	} `json:"expect"`
}

type corpusPolicy struct {
	ID       string          `json:"id"`
	Version  string          `json:"version"`
	Account  string          `json:"account"`
	Type     string          `json:"type"`
	Required bool            `json:"required"`
	Document json.RawMessage `json:"document"`
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var all []corpusCase
	names := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cs []corpusCase
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cs {
			if prev, dup := names[c.Name]; dup {
				t.Fatalf("%s: case name %q also in %s", f, c.Name, prev)
			}
			names[c.Name] = f
			if !strings.HasPrefix(c.Cite, "https://docs.aws.amazon.com/") && !strings.HasPrefix(c.Cite, "https://repost.aws/") {
				t.Errorf("%s: case %q: cite must be an AWS documentation URL, got %q", f, c.Name, c.Cite)
			}
		}
		all = append(all, cs...)
	}
	return all
}

func typeByName(s string) (PolicyType, bool) {
	for i, n := range typeNames {
		if n == s {
			return PolicyType(i), true
		}
	}
	return 0, false
}

// corpusInputs builds the engine's and the reference's inputs for an
// evaluation case.
func corpusInputs(t *testing.T, c *corpusCase) (*Set, *refSet, *Request) {
	t.Helper()
	req := &Request{
		Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		Action:    c.Request.Action,
		Resource:  c.Request.Resource,
		Context:   NewContext(len(c.Request.Context)),
	}
	if cp := c.Principal; cp != nil {
		pt, ok := ParsePrincipalType(cp.Type)
		if !ok {
			t.Fatalf("unknown principal type %q", cp.Type)
		}
		req.Principal = Principal{Type: pt, ARN: cp.ARN, Account: cp.Account, RoleARN: cp.RoleARN, Service: cp.Service, Federated: cp.Federated, UserID: cp.UserID}
	}
	for k, v := range c.Request.Context {
		req.Context.Set(k, v...)
	}
	compile := func(cp *corpusPolicy, typ PolicyType) (*Compiled, *refPolicy) {
		if cp.Type != "" {
			var ok bool
			if typ, ok = typeByName(cp.Type); !ok {
				t.Fatalf("policy %s: unknown type %q", cp.ID, cp.Type)
			}
		}
		p, err := Parse(string(cp.Document), typ)
		if err != nil {
			t.Fatalf("Parse(policy %s) = %v", cp.ID, err)
		}
		cc, err := Compile(cp.ID, cp.Version, p)
		if err != nil {
			t.Fatal(err)
		}
		return cc, &refPolicy{id: cp.ID, version: cp.Version, p: p}
	}
	set, ref := &Set{}, &refSet{}
	for i := range c.Policies.Identity {
		cc, rp := compile(&c.Policies.Identity[i], Identity)
		set.Identity, ref.identity = append(set.Identity, cc), append(ref.identity, rp)
	}
	if r := c.Policies.Resource; r != nil {
		set.Resource, ref.resource = compile(r, Resource)
		set.ResourceAccount, ref.resourceAccount = r.Account, r.Account
		req := r.Required || r.Type == "trust"
		set.ResourceRequired, ref.resourceRequired = req, req
	}
	if b := c.Policies.Boundary; b != nil {
		set.Boundary, ref.boundary = compile(b, Boundary)
	}
	for i := range c.Policies.Session {
		cc, rp := compile(&c.Policies.Session[i], Session)
		set.Session, ref.session = append(set.Session, cc), append(ref.session, rp)
	}
	if len(c.Policies.SCP) > 0 {
		var lvl []*Compiled
		var rlvl []*refPolicy
		for i := range c.Policies.SCP {
			cc, rp := compile(&c.Policies.SCP[i], SCP)
			lvl, rlvl = append(lvl, cc), append(rlvl, rp)
		}
		set.SCP, ref.scp = [][]*Compiled{lvl}, [][]*refPolicy{rlvl}
	}
	return set, ref, req
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 300 {
		t.Errorf("corpus has %d cases, want at least 300", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Parse != nil {
				runParseCase(t, &c)
				return
			}
			set, ref, req := corpusInputs(t, &c)
			var d Decision
			Evaluate(set, req, &d)
			checkDecision(t, &c, "Evaluate", d)
			checkDecision(t, &c, "prepared Evaluate", evaluatePrepared(set, req))
			checkDecision(t, &c, "refEvaluate", refEvaluate(ref, req))
		})
	}
}

func runParseCase(t *testing.T, c *corpusCase) {
	typ, ok := typeByName(c.Parse.Type)
	if !ok {
		t.Fatalf("unknown parse type %q", c.Parse.Type)
	}
	if c.Expect.Error == nil {
		t.Fatalf("parse case without expect.error")
	}
	p, err := ParseStrict(c.Parse.Document, typ)
	got := ""
	if err != nil {
		got = err.(*Error).Message
	}
	if got != *c.Expect.Error {
		t.Errorf("ParseStrict(%s) error = %q, want %q\ncite: %s", c.Parse.Type, got, *c.Expect.Error, c.Cite)
	}
	if err == nil {
		checkRoundTrip(t, p)
	}
}

func checkDecision(t *testing.T, c *corpusCase, fn string, d Decision) {
	t.Helper()
	if got := d.Effect.String(); got != c.Expect.Decision {
		t.Errorf("%s = %s (gate %s, matched %v), want %s\ncite: %s", fn, got, d.Gate, d.Matched, c.Expect.Decision, c.Cite)
		return
	}
	if c.Expect.Gate != "" && d.Gate.String() != c.Expect.Gate {
		t.Errorf("%s gate = %s, want %s\ncite: %s", fn, d.Gate, c.Expect.Gate, c.Cite)
	}
	if c.Expect.Matched == nil {
		return
	}
	type ref struct {
		Policy string
		Index  int
		Sid    string
	}
	var got, want []ref
	for _, m := range d.Matched {
		got = append(got, ref{m.Policy, m.Index, m.Sid})
	}
	for _, m := range *c.Expect.Matched {
		r := ref{m.Policy, m.Statement, ""}
		if m.Sid != nil {
			r.Sid = *m.Sid
		}
		want = append(want, r)
	}
	// Sids are checked only where the case gives them.
	for i := range got {
		if i < len(*c.Expect.Matched) && (*c.Expect.Matched)[i].Sid == nil {
			got[i].Sid = ""
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s matched = %v, want %v\ncite: %s", fn, got, want, c.Cite)
	}
}

// checkRoundTrip asserts parse -> Marshal -> parse is stable.
func checkRoundTrip(t testing.TB, p *Policy) {
	t.Helper()
	m := p.Marshal()
	q, err := Parse(string(m), p.Type)
	if err != nil {
		t.Fatalf("Parse(Marshal(p)) = %v\n%s", err, m)
	}
	if m2 := q.Marshal(); string(m2) != string(m) {
		t.Fatalf("Marshal not stable:\n%s\n%s", m, m2)
	}
	a, b := *p, *q
	a.Text, b.Text = "", ""
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("Parse(Marshal(p)) = %+v, want %+v", b, a)
	}
}
