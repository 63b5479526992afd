package iam

import (
	"testing"
	"time"

	"github.com/iamd/iamd/policy"
)

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "iam", true},
		{"iam", "IAM", true},
		{"i?m", "iam", true},
		{"s*", "sts", true},
		{"s*", "iam", false},
		{"iam:Get*", "iam:GetUser", true},
		{"iam:Get*", "iam:ListUsers", false},
		{"iam:*User", "iam:GetUser", true},
		{"iam:*User", "iam:GetUsers", false},
		{"*:*", "sts:AssumeRole", true},
		{"", "", true},
		{"", "x", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPolicyGrants(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		service   map[string]bool
		action    map[string]bool
	}{
		{"action wildcard", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}`,
			map[string]bool{"iam": true, "sts": false}, map[string]bool{"iam:GetUser": true, "iam:CreateUser": false}},
		{"star", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			map[string]bool{"iam": true, "s3": true}, map[string]bool{"iam:CreateUser": true}},
		{"deny only", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`,
			map[string]bool{"iam": false}, map[string]bool{"iam:GetUser": false}},
		{"not action", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","sts:AssumeRole"],"Resource":"*"}}`,
			map[string]bool{"iam": false, "sts": true, "s3": true}, map[string]bool{"iam:GetUser": false, "sts:AssumeRole": false, "sts:GetCallerIdentity": true}},
		{"service wildcard", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s*:Get*","Resource":"*"}}`,
			map[string]bool{"sts": true, "s3": true, "iam": false}, map[string]bool{"sts:GetCallerIdentity": true}},
		{"unparsable", `{`, map[string]bool{"iam": false}, map[string]bool{"iam:GetUser": false}},
	} {
		g := policyGrants(tc.doc)
		for svc, want := range tc.service {
			if got := g.service(svc); got != want {
				t.Errorf("%s: service(%s) = %v, want %v", tc.name, svc, got, want)
			}
		}
		for a, want := range tc.action {
			if got := g.action(a); got != want {
				t.Errorf("%s: action(%s) = %v, want %v", tc.name, a, got, want)
			}
		}
	}
}

// BenchmarkNoteAccess measures the access advisor's cost on an allowed
// request: a map update under a mutex, no allocation once recorded.
func BenchmarkNoteAccess(b *testing.B) {
	s := &Service{activity: newActivity(), now: func() time.Time { return time.Unix(1e9, 0) }}
	p := &Principal{Type: PrincipalUser, UserID: "AIDAEXAMPLE", Request: &RequestInfo{Region: "us-east-1"}}
	d := &policy.Decision{Effect: policy.Allow, Matched: []policy.StatementRef{{Gate: policy.GateIdentity, Policy: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}
	b.ReportAllocs()
	for b.Loop() {
		s.noteAccess(p, "iam:GetUser", d)
	}
}

// FuzzParseEntityARN: no panic, and what parses puts back together into
// the same ARN.
func FuzzParseEntityARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/a/b/alice",
		"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:role/", "arn:aws:s3:::b/k", "arn:", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		account, typ, path, name, ok := parseEntityARN(arn)
		if !ok {
			return
		}
		if back := "arn:aws:iam::" + account + ":" + typ + path + name; back != arn {
			t.Errorf("parseEntityARN(%q) = %q %q %q %q, which joins to %q", arn, account, typ, path, name, back)
		}
		if name == "" || typ == "" || path == "" || path[0] != '/' || path[len(path)-1] != '/' {
			t.Errorf("parseEntityARN(%q) = %q %q %q %q: empty or unbounded parts", arn, account, typ, path, name)
		}
	})
}
