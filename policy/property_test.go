package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// The property test draws random policies and requests from small
// vocabularies (so that they collide often) and requires the compiled
// engine and the reference interpreter to decide alike, down to the
// matched statements.

var (
	genActions   = []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:CreateUser", "ec2:RunInstances", "sts:AssumeRole", "S3:getobject"}
	genActPats   = []string{"*", "s3:*", "s3:Get*", "s3:GetObject", "s3:?utObject", "iam:*User", "ec2:*", "*:Get*", "S3:GETOBJECT", "sts:AssumeRole", "s3*:*"}
	genResources = []string{"arn:aws:s3:::bucket/key", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/alice/x", "arn:aws:iam::111122223333:user/alice", "*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1"}
	genResPats   = []string{"*", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:*:*:111122223333:*", "arn:aws:s3:::b?cket*", "arn:aws:iam::*:user/${aws:username}", "arn:aws:ec2:*", "arn:aws:s3:::${aws:PrincipalTag/team, 'bucket'}/*"}
	genKeys      = []string{"aws:SourceIp", "aws:TagKeys", "aws:PrincipalTag/team", "aws:CurrentTime", "aws:MultiFactorAuthAge", "aws:SecureTransport", "aws:SourceArn", "s3:prefix", "aws:username"}
	genOps       = []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null"}
	genValues = map[string][]string{
		"aws:SourceIp":           {"10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "10.1.2.3", "2001:db8::5", "198.51.100.7"},
		"aws:TagKeys":            {"env", "team", "Env", "e*", "${aws:username}", "t?am"},
		"aws:PrincipalTag/team":  {"blue", "Blue", "b*", "${aws:username}", "red"},
		"aws:CurrentTime":        {"2026-01-01T00:00:00Z", "2026-06-01", "1767225600", "2025-12-31T23:59:59Z"},
		"aws:MultiFactorAuthAge": {"0", "3600", "100.5", "-1", "x"},
		"aws:SecureTransport":    {"true", "false", "TRUE"},
		"aws:SourceArn":          {"arn:aws:s3:::bucket", "arn:aws:s3:::b*", "arn:aws:sns:*:111122223333:t", "arn:aws:sns:us-east-1:111122223333:t", "arn:aws:s3:::${aws:username}"},
		"s3:prefix":              {"home/", "home/*", "home/${aws:username}/*", "home/alice/x", "", "${*}"},
		"aws:username":           {"alice", "bob", "a*"},
	}
	genPrincipals = []Principal{
		{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
		{Type: PrincipalUser, ARN: "arn:aws:iam::444455556666:user/bob", Account: "444455556666"},
		{Type: PrincipalAssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/R/s", RoleARN: "arn:aws:iam::111122223333:role/R", Account: "111122223333"},
		{Type: PrincipalRoot, ARN: "arn:aws:iam::111122223333:root", Account: "111122223333"},
		{Type: PrincipalService, Service: "ec2.amazonaws.com"},
		{Type: PrincipalAnonymous},
		{Type: PrincipalFederatedUser, ARN: "arn:aws:sts::111122223333:federated-user/carol", Account: "111122223333"},
	}
	genPrincipalVals = []string{"*", "111122223333", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/R",
		"arn:aws:sts::111122223333:assumed-role/R/s", "arn:aws:iam::444455556666:root", "arn:aws:sts::111122223333:federated-user/carol"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func pickSome(r *rand.Rand, s []string) any {
	n := 1 + r.IntN(3)
	if n == 1 && r.IntN(2) == 0 {
		return pick(r, s)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = pick(r, s)
	}
	return out
}

func genPolicy(r *rand.Rand, t PolicyType) string {
	n := 1 + r.IntN(4)
	var stmts []map[string]any
	for i := 0; i < n; i++ {
		s := map[string]any{"Effect": pick(r, []string{"Allow", "Allow", "Deny"})}
		if r.IntN(5) == 0 {
			s["NotAction"] = pickSome(r, genActPats)
		} else {
			s["Action"] = pickSome(r, genActPats)
		}
		if t != Trust {
			if r.IntN(6) == 0 {
				s["NotResource"] = pickSome(r, genResPats)
			} else if t != Resource || r.IntN(3) > 0 {
				s["Resource"] = pickSome(r, genResPats)
			}
		}
		if t.hasPrincipal() {
			var pv any = map[string]any{"AWS": pickSome(r, genPrincipalVals)}
			switch r.IntN(8) {
			case 0:
				pv = "*"
			case 1:
				pv = map[string]any{"Service": "ec2.amazonaws.com"}
			}
			if r.IntN(5) == 0 {
				s["NotPrincipal"] = pv
			} else {
				s["Principal"] = pv
			}
		}
		if r.IntN(2) == 0 {
			cond := map[string]map[string]any{}
			for j := 0; j < 1+r.IntN(2); j++ {
				op := pick(r, genOps)
				switch r.IntN(5) {
				case 0:
					op = "ForAllValues:" + op
				case 1:
					op = "ForAnyValue:" + op
				}
				if r.IntN(4) == 0 && op != "Null" && op[len(op)-4:] != "Null" {
					op += "IfExists"
				}
				k := pick(r, genKeys)
				vals := genValues[k]
				if op == "Null" || len(op) > 4 && op[len(op)-4:] == "Null" {
					vals = []string{"true", "false"}
				}
				if cond[op] == nil {
					cond[op] = map[string]any{}
				}
				cond[op][k] = pickSome(r, vals)
			}
			s["Condition"] = cond
		}
		stmts = append(stmts, s)
	}
	d := map[string]any{"Statement": stmts}
	if r.IntN(6) > 0 {
		d["Version"] = "2012-10-17"
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func genRequest(r *rand.Rand) *Request {
	req := &Request{Principal: pick(r, genPrincipals), Action: pick(r, genActions), Resource: pick(r, genResources), Context: NewContext(4)}
	for _, k := range genKeys {
		if r.IntN(3) == 0 {
			continue
		}
		vals := genValues[k]
		n := 1
		if k == "aws:TagKeys" {
			n = r.IntN(3)
		}
		vs := make([]string, n)
		for i := range vs {
			vs[i] = pick(r, vals)
		}
		if k == "aws:CurrentTime" && r.IntN(2) == 0 {
			vs = []string{"2026-03-01T12:00:00Z"}
		}
		req.Context.Set(k, vs...)
	}
	return req
}

// randomCase builds a random set and request; ok is false when a random
// document does not parse (the generator can produce invalid operators).
func randomCase(r *rand.Rand) (*Set, *refSet, *Request, bool) {
	set, ref := &Set{}, &refSet{}
	add := func(t PolicyType, id string) (*Compiled, *refPolicy, bool) {
		p, err := Parse(genPolicy(r, t), t)
		if err != nil {
			return nil, nil, false
		}
		c, _ := Compile(id, "v1", p)
		return c, &refPolicy{id: id, version: "v1", p: p}, true
	}
	for i := 0; i < r.IntN(3); i++ {
		c, rp, ok := add(Identity, fmt.Sprint("id", i))
		if !ok {
			return nil, nil, nil, false
		}
		set.Identity, ref.identity = append(set.Identity, c), append(ref.identity, rp)
	}
	if r.IntN(2) == 0 {
		c, rp, ok := add(Resource, "res")
		if !ok {
			return nil, nil, nil, false
		}
		set.Resource, ref.resource = c, rp
		if r.IntN(3) == 0 {
			set.ResourceAccount = "444455556666"
		}
		ref.resourceAccount = set.ResourceAccount
		set.ResourceRequired = r.IntN(4) == 0
		ref.resourceRequired = set.ResourceRequired
	} else if r.IntN(8) == 0 {
		// A role's trust policy evaluation without the trust policy:
		// nothing can allow, whatever the identity side says.
		set.ResourceRequired, ref.resourceRequired = true, true
	}
	if r.IntN(3) == 0 {
		c, rp, ok := add(Boundary, "b")
		if !ok {
			return nil, nil, nil, false
		}
		set.Boundary, ref.boundary = c, rp
	}
	if r.IntN(3) == 0 {
		c, rp, ok := add(Session, "s")
		if !ok {
			return nil, nil, nil, false
		}
		set.Session, ref.session = []*Compiled{c}, []*refPolicy{rp}
	}
	if r.IntN(4) == 0 {
		c, rp, ok := add(SCP, "scp")
		if !ok {
			return nil, nil, nil, false
		}
		set.SCP, ref.scp = [][]*Compiled{{c}}, [][]*refPolicy{{rp}}
	}
	return set, ref, genRequest(r), true
}

func TestEngineMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n, decided := 0, map[Effect]int{}
	for n < 8000 {
		set, ref, req, ok := randomCase(r)
		if !ok {
			continue
		}
		n++
		var got Decision
		Evaluate(set, req, &got)
		want := refEvaluate(ref, req)
		decided[got.Effect]++
		if got.Effect != want.Effect || got.Gate != want.Gate || !sameRefs(got.Matched, want.Matched) {
			t.Fatalf("case %d: Evaluate = %v %v %v, want %v %v %v\nrequest %+v\ncontext %+v\n%s", n, got.Effect, got.Gate, got.Matched, want.Effect, want.Gate, want.Matched, req, req.Context, dumpSet(ref))
		}
		if p := evaluatePrepared(set, req); p.Effect != want.Effect || p.Gate != want.Gate || !sameRefs(p.Matched, want.Matched) {
			t.Fatalf("case %d: prepared Evaluate = %v %v %v, want %v %v %v\nrequest %+v\ncontext %+v\n%s", n, p.Effect, p.Gate, p.Matched, want.Effect, want.Gate, want.Matched, req, req.Context, dumpSet(ref))
		}
	}
	// The generator must exercise every outcome, or the comparison is weak.
	for _, e := range []Effect{Allow, ExplicitDeny, ImplicitDeny} {
		if decided[e] < n/50 {
			t.Errorf("only %d of %d random cases decided %v", decided[e], n, e)
		}
	}
}

func sameRefs(a, b []StatementRef) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func dumpSet(s *refSet) string {
	out := ""
	for _, p := range s.identity {
		out += "identity " + p.id + ": " + p.p.Text + "\n"
	}
	if s.resource != nil {
		out += "resource (account " + s.resourceAccount + fmt.Sprintf(", required %v): ", s.resourceRequired) + s.resource.p.Text + "\n"
	}
	if s.boundary != nil {
		out += "boundary: " + s.boundary.p.Text + "\n"
	}
	for _, p := range s.session {
		out += "session: " + p.p.Text + "\n"
	}
	for _, l := range s.scp {
		for _, p := range l {
			out += "scp: " + p.p.Text + "\n"
		}
	}
	return out
}

// FuzzEvaluate drives the same comparison from fuzzer-chosen seeds.
func FuzzEvaluate(f *testing.F) {
	for i := uint64(0); i < 8; i++ {
		f.Add(i, i*7+1)
	}
	f.Fuzz(func(t *testing.T, a, b uint64) {
		r := rand.New(rand.NewPCG(a, b))
		set, ref, req, ok := randomCase(r)
		if !ok {
			return
		}
		var got Decision
		Evaluate(set, req, &got)
		want := refEvaluate(ref, req)
		if got.Effect != want.Effect || got.Gate != want.Gate || !sameRefs(got.Matched, want.Matched) {
			t.Fatalf("Evaluate = %v %v %v, want %v %v %v\n%s", got.Effect, got.Gate, got.Matched, want.Effect, want.Gate, want.Matched, dumpSet(ref))
		}
		if p := evaluatePrepared(set, req); p.Effect != want.Effect || p.Gate != want.Gate || !sameRefs(p.Matched, want.Matched) {
			t.Fatalf("prepared Evaluate = %v %v %v, want %v %v %v\n%s", p.Effect, p.Gate, p.Matched, want.Effect, want.Gate, want.Matched, dumpSet(ref))
		}
	})
}

// evaluatePrepared decides req the way a server does: through a copy of
// set with the merged identity index (Set.Prepare) and with the action
// prepared as an ActionKey.
func evaluatePrepared(set *Set, req *Request) Decision {
	ps := *set
	ps.Prepare()
	kr := *req
	kr.ActionKey = NewActionKey(req.Action)
	var d Decision
	Evaluate(&ps, &kr, &d)
	return d
}

// TestPreparedMatchesPolicyByPolicy draws identity sides of up to eight
// random policies, more than randomCase does, so that the merged index
// interleaves many policies' exact, service and global lists; the merged
// evaluation must equal the policy-by-policy one, down to the matched
// statements and their order.
func TestPreparedMatchesPolicyByPolicy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := 0
	for cases < 3000 {
		set := &Set{}
		for i := r.IntN(9); i > 0; i-- {
			p, err := Parse(genPolicy(r, Identity), Identity)
			if err != nil {
				continue
			}
			c, _ := Compile(fmt.Sprint("id", i), "v1", p)
			set.Identity = append(set.Identity, c)
		}
		for range 4 {
			req := genRequest(r)
			req.Principal = genPrincipals[0]
			cases++
			var want Decision
			Evaluate(set, req, &want)
			if got := evaluatePrepared(set, req); got.Effect != want.Effect || got.Gate != want.Gate || !sameRefs(got.Matched, want.Matched) {
				t.Fatalf("prepared Evaluate = %v %v %v, want %v %v %v\nrequest %+v", got.Effect, got.Gate, got.Matched, want.Effect, want.Gate, want.Matched, req)
			}
			// The merged index probed with the action's text (no
			// ActionKey: its keys are compared by text, not by handle).
			ps := *set
			ps.Prepare()
			var got Decision
			if Evaluate(&ps, req, &got); got.Effect != want.Effect || got.Gate != want.Gate || !sameRefs(got.Matched, want.Matched) {
				t.Fatalf("prepared Evaluate without ActionKey = %v %v %v, want %v %v %v\nrequest %+v", got.Effect, got.Gate, got.Matched, want.Effect, want.Gate, want.Matched, req)
			}
		}
	}
}
