package policy

import (
	"fmt"
	"strings"
	"testing"
)

func mustCompile(tb testing.TB, id, doc string, t PolicyType) *Compiled {
	tb.Helper()
	p, err := Parse(doc, t)
	if err != nil {
		tb.Fatalf("Parse(%s) = %v", id, err)
	}
	c, err := Compile(id, "v1", p)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func manyStatements(n int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/*"}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkEvaluate runs named scenarios; every one must report 0 allocs/op.
func BenchmarkEvaluate(b *testing.B) {
	ctx := NewContext(8)
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:CurrentTime", "2026-05-27T16:40:29Z")
	ctx.Set("aws:TagKeys", "env", "team")
	ctx.Set("aws:PrincipalTag/team", "blue")
	ctx.Set("s3:prefix", "home/alice/docs")
	alice := Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}
	req := func(action, res string) *Request {
		return &Request{Principal: alice, Action: action, Resource: res, Context: ctx}
	}
	scenarios := []struct {
		name string
		set  *Set
		req  *Request
		want Effect
	}{
		{"1stmt", &Set{Identity: []*Compiled{mustCompile(b, "p", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}`, Identity)}},
			req("s3:GetObject", "arn:aws:s3:::bucket/key"), Allow},
		{"100stmts", &Set{Identity: []*Compiled{mustCompile(b, "p", manyStatements(100), Identity)}},
			req("s3:GetObject", "arn:aws:s3:::bucket-99/key"), Allow},
		{"100stmts-other-action", &Set{Identity: []*Compiled{mustCompile(b, "p", manyStatements(100), Identity)}},
			req("ec2:RunInstances", "*"), ImplicitDeny},
		{"deny", &Set{Identity: []*Compiled{mustCompile(b, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bucket/*"}]}`, Identity)}},
			req("s3:DeleteObject", "arn:aws:s3:::bucket/key"), ExplicitDeny},
		{"wildcard", &Set{Identity: []*Compiled{mustCompile(b, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","*:Describe*"],"Resource":"arn:aws:s3:::b*t/*/k?y"}]}`, Identity)}},
			req("s3:GetObject", "arn:aws:s3:::bucket/a/b/key"), Allow},
		{"conditions", &Set{Identity: []*Compiled{mustCompile(b, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]},"Bool":{"aws:SecureTransport":"true"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","owner"]},"StringLike":{"s3:prefix":"home/*"}}},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, Identity)}},
			req("s3:GetObject", "arn:aws:s3:::bucket/key"), Allow},
		{"variables", &Set{Identity: []*Compiled{mustCompile(b, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team}/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}]}`, Identity)}},
			req("s3:GetObject", "arn:aws:s3:::bucket/blue/alice/key"), Allow},
		{"resource-policy", &Set{Resource: mustCompile(b, "rp", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","444455556666"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`, Resource),
			Boundary: mustCompile(b, "b", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, Boundary)},
			req("s3:GetObject", "arn:aws:s3:::bucket/key"), Allow},
	}
	for _, s := range scenarios {
		b.Run(s.name, func(b *testing.B) {
			d := Decision{Matched: make([]StatementRef, 0, 16)}
			Evaluate(s.set, s.req, &d)
			if d.Effect != s.want {
				b.Fatalf("Evaluate = %v, want %v", d.Effect, s.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				Evaluate(s.set, s.req, &d)
			}
		})
	}
}

func TestEvaluateDoesNotAllocate(t *testing.T) {
	c := mustCompile(t, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}}]}`, Identity)
	ctx := NewContext(4)
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:CurrentTime", "2026-05-27T16:40:29Z")
	ctx.Set("aws:MultiFactorAuthAge", "12")
	ctx.Set("aws:SourceArn", "arn:aws:s3:::x")
	req := &Request{Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/alice/k", Context: ctx}
	set := &Set{Identity: []*Compiled{c}}
	d := Decision{Matched: make([]StatementRef, 0, 4)}
	allocs := testing.AllocsPerRun(100, func() { Evaluate(set, req, &d) })
	if d.Effect != Allow {
		t.Fatalf("Evaluate = %v, want Allow", d.Effect)
	}
	if allocs != 0 {
		t.Errorf("Evaluate allocs = %v, want 0", allocs)
	}
}

// BenchmarkContextBuild builds a Context as iam's authorize does for every
// request: a pooled Context, Reset, then the global condition keys and a
// principal tag, names in AWS's mixed case. 0 allocs/op once warm.
func BenchmarkContextBuild(b *testing.B) {
	keys := []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:userid", "aws:username",
		"aws:PrincipalTag/Department", "aws:MultiFactorAuthPresent", "aws:ViaAWSService", "aws:SourceIp", "aws:UserAgent",
		"aws:SecureTransport", "aws:RequestedRegion", "aws:CurrentTime", "aws:EpochTime"}
	vals := []string{"arn:aws:iam::111122223333:user/alice", "111122223333", "User", "AIDAEXAMPLE", "alice",
		"engineering", "false", "false", "10.1.2.3", "aws-cli/2.15.0", "true", "us-east-1", "2026-05-27T16:40:29Z", "1779900029"}
	ctx := NewContext(16)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Reset()
		for i, k := range keys {
			ctx.Set(k, vals[i])
		}
	}
	if ctx.Len() != len(keys) {
		b.Fatalf("Len() = %d, want %d", ctx.Len(), len(keys))
	}
}
