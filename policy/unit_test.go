package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"Effect(Allow)", Allow.String(), "Allow"},
		{"Effect(9)", Effect(9).String(), "Effect(9)"},
		{"Gate(scp)", GateSCP.String(), "scp"},
		{"Gate(9)", Gate(9).String(), "Gate(9)"},
		{"PolicyType(trust)", Trust.String(), "trust"},
		{"PolicyType(9)", PolicyType(9).String(), "PolicyType(9)"},
		{"PrincipalType(Root)", PrincipalRoot.String(), "Root"},
		{"PrincipalType(9)", PrincipalType(9).String(), "PrincipalType(9)"},
		{"Error", (&Error{Code: CodeMalformed, Message: msgSyntax}).Error(), "MalformedPolicyDocument: Syntax errors in policy."},
		{"itoa(0)", itoa(0), "0"},
		{"itoa(6144)", itoa(6144), "6144"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if _, ok := ParsePrincipalType("Nobody"); ok {
		t.Errorf("ParsePrincipalType(Nobody) ok, want not ok")
	}
}

// get is Lookup through entry, the path conditions take.
func (c *Context) get(lower string, h uint64) ([]string, bool) {
	e := c.entry(lower, h)
	if e == nil {
		return nil, false
	}
	if e.vlen == 1 {
		return []string{e.value0()}, true
	}
	return c.valueList(e), true
}

// TestContextEntries: names longer than an entry holds, multivalued and
// empty keys, as conditions read them.
func TestContextEntries(t *testing.T) {
	long := "aws:RequestTag/" + strings.Repeat("Long", 6) // 39 bytes
	c := NewContext(3)
	c.Set(long, "v")
	c.Set("aws:TagKeys", "a", "b")
	c.Set("aws:SourceArn")
	c.Set("Aws:Username", "x")
	c.Set("aws:username", "alice")
	e := evaluator{req: &Request{Context: c}}
	lower := strings.ToLower(long)
	tests := []struct {
		key  string
		want []string
	}{
		{lower, []string{"v"}},
		{"aws:tagkeys", []string{"a", "b"}},
		{"aws:sourcearn", nil},
		{"aws:username", []string{"alice"}},
		{lower[:len(lower)-1] + "x", nil},
	}
	for _, tt := range tests {
		home, _ := ctxHome(hashFold(tt.key))
		v := e.lookup(tt.key, hashFold(tt.key), home, false)
		var got []string
		for i := 0; i < v.len(); i++ {
			got = append(got, v.at(i))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("lookup(%s) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if v, ok := c.Lookup(strings.ToUpper(long)); !ok || len(v) != 1 || v[0] != "v" {
		t.Errorf("Lookup(%s) = %v, %v", strings.ToUpper(long), v, ok)
	}
}

func TestContext(t *testing.T) {
	var nilCtx *Context
	if _, ok := nilCtx.Lookup("a:b"); ok || nilCtx.Len() != 0 {
		t.Errorf("nil Context: Lookup ok or Len != 0")
	}
	if _, ok := nilCtx.get("a:b", hashFold("a:b")); ok {
		t.Errorf("nil Context: get ok")
	}
	c := NewContext(2)
	c.Set("AWS:SourceIp", "10.0.0.1")
	c.Set("aws:TagKeys", "a", "b")
	c.Set("aws:sourceip", "10.0.0.2")
	if v, ok := c.Lookup("aws:SOURCEIP"); !ok || len(v) != 1 || v[0] != "10.0.0.2" {
		t.Errorf("Lookup(aws:SOURCEIP) = %v, %v, want [10.0.0.2], true", v, ok)
	}
	if _, ok := c.Lookup("aws:username"); ok {
		t.Errorf("Lookup(aws:username) ok, want missing")
	}
	if c.Len() != 2 {
		t.Errorf("Len() = %d, want 2", c.Len())
	}
	c.Reset()
	if c.Len() != 0 {
		t.Errorf("Len() after Reset = %d, want 0", c.Len())
	}
	big := NewContext(40)
	for i := 0; i < 40; i++ {
		big.Set("k:"+itoa(i), itoa(i))
	}
	if v, ok := big.Lookup("K:39"); !ok || v[0] != "39" {
		t.Errorf("Lookup(K:39) = %v, %v", v, ok)
	}
	// Up to ctxInlineMax keys (the inline table, with collisions) and
	// more (the heap table, grown from the inline one and grown again),
	// present and absent, and after a Reset.
	for _, n := range []int{ctxInlineMax, ctxInlineMax + 1, 200} {
		c := NewContext(1) // grown from the inline table, not sized up front
		for i := 0; i < n; i++ {
			c.Set("k:"+itoa(i), itoa(i))
		}
		for i := 0; i < 2*n; i++ {
			v, ok := c.get("k:"+itoa(i), hashFold("k:"+itoa(i)))
			if ok != (i < n) || ok && v[0] != itoa(i) {
				t.Errorf("%d keys: get(k:%d) = %v, %v", n, i, v, ok)
			}
		}
		if c.Len() != n {
			t.Errorf("%d keys: Len() = %d", n, c.Len())
		}
		c.Reset()
		c.Set("K:1", "one")
		if v, ok := c.get("k:1", hashFold("k:1")); !ok || v[0] != "one" || c.Len() != 1 {
			t.Errorf("%d keys, after Reset: get(k:1) = %v, %v; Len() = %d", n, v, ok, c.Len())
		}
		if _, ok := c.get("k:2", hashFold("k:2")); ok {
			t.Errorf("%d keys, after Reset: k:2 still present", n)
		}
	}
	if got := unsafe.Sizeof(Context{}); got%64 != 0 || unsafe.Offsetof(Context{}.tab)%64 != 0 || unsafe.Sizeof(ctxEntry{}) != 64 {
		t.Errorf("Context is %d bytes with its table at %d, entries %d bytes: want whole cache lines", got, unsafe.Offsetof(Context{}.tab), unsafe.Sizeof(ctxEntry{}))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Set of a 70000-byte key did not panic")
			}
		}()
		NewContext(1).Set(strings.Repeat("k", 70000), "v")
	}()
	var zero Context
	zero.Set("a:b", "c")
	if v, ok := zero.get("a:b", hashFold("a:b")); !ok || v[0] != "c" {
		t.Errorf("zero Context get(a:b) = %v, %v", v, ok)
	}
}

func TestAppendQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t\x01", `"\n\r\t\u0001"`},
		{"café", `"café"`},
		{"\xff", `"\ufffd"`},
		{"<&>", `"<&>"`},
	}
	for _, tt := range tests {
		if got := string(appendQuote(nil, tt.in)); got != tt.want {
			t.Errorf("appendQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{ "a" : "b c" }`, 11},
		{"{\n\t\"a\\\" x\": 1\r\n}", 11},
		{`"é"`, 3},
	}
	for _, tt := range tests {
		if got := Size(tt.in); got != tt.want {
			t.Errorf("Size(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2026, 5, 27, 16, 40, 0, 0, time.UTC)
	for _, in := range []string{"2026-05-27T16:40:00Z", "2026-05-27T18:40:00+02:00", "2026-05-27T16:40:00+0000", "2026-05-27T16:40Z", "2026-05-27T16:40:00", "2026-05-27T16:40", "1779900000"} {
		got, ok := parseDate(in)
		if !ok || !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "tomorrow", "99999999999999999999", "2026-13-01"} {
		if _, ok := parseDate(in); ok {
			t.Errorf("parseDate(%q) ok, want error", in)
		}
	}
}

func TestParseIPPrefix(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.0/8", "10.0.0.0/8", true},
		{"10.1.2.3/8", "10.0.0.0/8", true},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", true},
		{"::ffff:10.0.0.1", "10.0.0.1/32", true},
		{"2001:db8::/32", "2001:db8::/32", true},
		{"10.0.0.0/33", "", false},
		{"example.com", "", false},
	}
	for _, tt := range tests {
		p, ok := parseIPPrefix(tt.in)
		if ok != tt.ok || ok && p.String() != tt.want {
			t.Errorf("parseIPPrefix(%q) = %v, %v, want %s, %v", tt.in, p, ok, tt.want, tt.ok)
		}
	}
}

func TestSplitVar(t *testing.T) {
	tests := []struct {
		body, key, def string
		hasDef, ok     bool
	}{
		{"aws:username", "aws:username", "", false, true},
		{" aws:username , 'x''y' ", "aws:username", "x'y", true, true},
		{"", "", "", false, false},
		{"a b", "", "", false, false},
		{"a, x", "", "", false, false},
		{"a, 'x'y'", "", "", false, false},
	}
	for _, tt := range tests {
		k, d, hd, ok := splitVar(tt.body)
		if k != tt.key || d != tt.def || hd != tt.hasDef || ok != tt.ok {
			t.Errorf("splitVar(%q) = %q, %q, %v, %v, want %q, %q, %v, %v", tt.body, k, d, hd, ok, tt.key, tt.def, tt.hasDef, tt.ok)
		}
	}
	if got := varEnd("a'}'", 0); got != -1 {
		t.Errorf("varEnd(a'}') = %d, want -1", got)
	}
}

// TestPatternVariables covers substitution corners: unterminated and
// invalid variables stay literal text, a variable followed by '?' or '*'.
func TestPatternVariables(t *testing.T) {
	ctx := NewContext(2)
	ctx.Set("aws:PrincipalTag/team", "Blue")
	ctx.Set("aws:TagKeys", "a", "b")
	e := &evaluator{req: &Request{Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::1:user/alice"}, Context: ctx}}
	tests := []struct {
		pat        string
		wild, fold bool
		s          string
		want       bool
	}{
		{"x${aws:username", true, false, "x${aws:username", true},
		{"x${a b}", true, false, "x${a b}", true},
		{"${aws:username}?", true, false, "alicez", true},
		{"${aws:username}?", true, false, "alice", false},
		{"*${aws:username}", true, false, "bob-alice", true},
		{"*${aws:username}x", true, false, "alicealicex", true},
		{"${aws:PrincipalTag/team}", false, true, "BLUE", true},
		{"${aws:PrincipalTag/team}", false, true, "BLUEX", false},
		{"team-${aws:PrincipalTag/team}", false, true, "TEAM-blue", true},
		{"team-${aws:PrincipalTag/team}", false, true, "TEAX-blue", false},
		{"${aws:TagKeys}", false, false, "a", false},
		{"${aws:TagKeys, 'd'}", false, false, "d", true},
	}
	for _, tt := range tests {
		p := compilePattern(tt.pat, tt.wild, true, tt.fold)
		if got := p.match(tt.s, e); got != tt.want {
			t.Errorf("compilePattern(%q).match(%q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"", "", true},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"?", "é", true},
		{"??", "é", false},
		{"*é", "caf\u00e9", true},
		{"a?c", "abc", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	for _, in := range []string{deep, `{"a":1`, `[1,`, `{"a":}`, `{"a" 1}`, `{1:2}`, `nul`, `{"a":[1}`} {
		if _, ok := decodeJSON(in); ok {
			t.Errorf("decodeJSON(%q) ok, want failure", in)
		}
	}
	v, ok := decodeJSON(`{"a":[true,null,1.5,"x"],"b":false}`)
	if !ok || len(v.obj) != 2 || v.obj[0].val.arr[1].kind != jNull || v.obj[1].val.str != "false" {
		t.Errorf("decodeJSON = %+v, %v", v, ok)
	}
	if _, ok := v.obj[0].val.scalarList(); ok {
		t.Errorf("scalarList with null ok, want failure")
	}
	if _, ok := (&jvalue{kind: jNull}).scalarList(); ok {
		t.Errorf("scalarList(null) ok, want failure")
	}
}

func TestCompileNil(t *testing.T) {
	if _, err := Compile("x", "v1", nil); err == nil {
		t.Errorf("Compile(nil) error = nil, want error")
	}
}

func TestPrincipalFormats(t *testing.T) {
	tests := []struct {
		p    Principals
		want string
	}{
		{Principals{AWS: []string{"arn:aws:sts::111122223333:federated-user/x"}}, ""},
		{Principals{AWS: []string{"arn:aws:s3:::111122223333"}}, `Invalid principal in policy: "AWS":"arn:aws:s3:::111122223333"`},
		{Principals{AWS: []string{"arn:aws:ec2::111122223333:instance/x"}}, `Invalid principal in policy: "AWS":"arn:aws:ec2::111122223333:instance/x"`},
		{Principals{AWS: []string{"arn:aws:iam::11112222333a:root"}}, `Invalid principal in policy: "AWS":"arn:aws:iam::11112222333a:root"`},
		{Principals{Federated: []string{"a b"}}, `Invalid principal in policy: "Federated":"a b"`},
		{Principals{CanonicalUser: []string{"xyz"}}, `Invalid principal in policy: "CanonicalUser":"xyz"`},
		{Principals{CanonicalUser: []string{strings.Repeat("A", 64)}}, ""},
	}
	for _, tt := range tests {
		got := ""
		if err := checkPrincipalFormats(&tt.p); err != nil {
			got = err.Message
		}
		if got != tt.want {
			t.Errorf("checkPrincipalFormats(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestPrincipalMatch(t *testing.T) {
	fed := Principal{Type: PrincipalAnonymous, Federated: "accounts.google.com"}
	canon := Principal{Type: PrincipalAnonymous, CanonicalUser: "abc"}
	c := compilePrincipals(&Principals{AWS: []string{"arn:aws:iam::111122223333:user/x:root", "arn:aws:iam:::root"}, Federated: []string{"accounts.google.com"}, CanonicalUser: []string{"abc"}})
	if m := c.match(&fed); m != matchDirect {
		t.Errorf("match(federated) = %v, want direct", m)
	}
	if m := c.match(&canon); m != matchDirect {
		t.Errorf("match(canonical) = %v, want direct", m)
	}
	if !c.excludes(&fed) {
		t.Errorf("excludes(federated) = false, want true")
	}
	u := Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/x:root", Account: "111122223333"}
	if m := c.match(&u); m != matchDirect {
		t.Errorf("match(user with :root suffix) = %v, want direct", m)
	}
}

func TestStrictMisc(t *testing.T) {
	tests := []struct {
		doc  string
		typ  PolicyType
		want string
	}{
		{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":null}}}}`, Identity, msgSyntax},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","NotPrincipal":"*"}}`, Resource, msgSyntax},
		{`{"Statement":{"Effect":"Allow","Principal":["*"],"Action":"s3:*"}}`, Resource, msgSyntax},
		{`{"Statement":{"Effect":"Allow","Principal":{"Foo":[]},"Action":"s3:*"}}`, Resource, `Invalid principal in policy: "Foo":""`},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}`, Trust, ""},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRoleWithSAML*x"}}`, Trust, msgTrustActions},
		{`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Foo":{}}}}`, Identity, ""},
	}
	for _, tt := range tests {
		_, err := ParseStrict(tt.doc, tt.typ)
		got := ""
		if err != nil {
			got = err.(*Error).Message
		}
		if got != tt.want {
			t.Errorf("ParseStrict(%s, %v) = %q, want %q", tt.doc, tt.typ, got, tt.want)
		}
	}
}

// TestActionIndex checks the action index: duplicate exact actions,
// NotAction, actions without a service prefix, non-ARN resources and
// actions of services no statement names.
func TestActionIndex(t *testing.T) {
	c := mustCompile(t, "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","S3:GETOBJECT","s3:Get*","ec2:*"],"Resource":"*"},
		{"Effect":"Allow","NotAction":["s3:Put*","iam:*"],"Resource":"*"},
		{"Effect":"Allow","Action":"weird","Resource":"not-an-arn*"},
		{"Effect":"Allow","Action":"s3:Get*Tag?ing","Resource":"*"}]}`, Identity)
	tests := []struct {
		action, resource string
		want             []int
	}{
		{"s3:GetObject", "*", []int{0, 1}},
		{"s3:GetBucketPolicy", "*", []int{0, 1}},
		{"s3:PutObject", "*", nil},
		{"ec2:RunInstances", "*", []int{0, 1}},
		{"sqs:SendMessage", "*", []int{1}},
		{"weird", "not-an-arn-x", []int{1, 2}},
		{"noservice", "*", []int{1}},
		{"s3:" + strings.Repeat("x", 200), "*", []int{1}},
		// Upper case, short (lower-cased once) and too long for that.
		{"S3:GETOBJECT", "*", []int{0, 1}},
		{"S3:GETOBJECTTAGGING", "*", []int{0, 1, 3}},
		{"S3:GET" + strings.Repeat("X", 100) + "TAGGING", "*", []int{0, 1, 3}},
		{"S3:GET" + strings.Repeat("X", 100) + "TAGGIN", "*", []int{0, 1}},
	}
	for _, tt := range tests {
		var d Decision
		Evaluate(&Set{Identity: []*Compiled{c}}, &Request{Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::1:user/a", Account: "1"}, Action: tt.action, Resource: tt.resource}, &d)
		var got []int
		for _, m := range d.Matched {
			got = append(got, m.Index)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Evaluate(%s, %s) matched %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
}

func TestLowerAndHash(t *testing.T) {
	const chars = "aAzZ@[`{09:_\x7f\x80\xffÉé*"
	for n := 0; n <= 40; n++ {
		for k := 0; k < 20; k++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = chars[(i*7+k*13+n)%len(chars)]
			}
			s := string(b)
			w := []byte(s)
			for i, c := range w {
				if 'A' <= c && c <= 'Z' {
					w[i] = c + 'a' - 'A'
				}
			}
			want := string(w)
			var buf [maxLowerAction]byte
			got, ok, h := lowerAction(&buf, s)
			if ok && got != want || !ok && n != 0 {
				t.Fatalf("lowerAction(%q) = %q, %v, want %q", s, got, ok, want)
			}
			if h != hashFold(s) || h != hashFold(want) {
				t.Fatalf("hashes of %q differ: %x %x %x", s, h, hashFold(s), hashFold(want))
			}
		}
	}
	if hashFold("ab") == hashFold("ba") || hashFold("a") == hashFold("a\x00") {
		t.Error("hashFold collides on trivial inputs")
	}
}

func TestSplitARN(t *testing.T) {
	tests := []struct {
		s    string
		ok   bool
		comp [6]string
	}{
		{"arn:aws:s3:::b/k:x", true, [6]string{"arn", "aws", "s3", "", "", "b/k:x"}},
		{"arn:aws:iam::1:user/a", true, [6]string{"arn", "aws", "iam", "", "1", "user/a"}},
		{"arn:::::", true, [6]string{"arn", "", "", "", "", ""}},
		{"arn:aws:s3::", false, [6]string{}},
		{"arn:aws", false, [6]string{}},
		{"ARN:aws:s3:::b", false, [6]string{}},
		// Colons found eight bytes at a time, a ';' right after a ':'
		// (where the borrow-based zero-byte test reports a false
		// colon), and colons in the byte-at-a-time tail.
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t:x", true, [6]string{"arn", "aws", "dynamodb", "us-east-1", "123456789012", "table/t:x"}},
		{"arn:a:;;;;;;;;;:;b:c:d", true, [6]string{"arn", "a", ";;;;;;;;;", ";b", "c", "d"}},
		{"arn:partition-long:s:r:a:", true, [6]string{"arn", "partition-long", "s", "r", "a", ""}},
		{"arn:partition-long:s:r:a", false, [6]string{}},
		{"arn:aws:ec2:us-east-1", false, [6]string{}},
	}
	for _, tt := range tests {
		a := splitARN(tt.s)
		if a.ok != tt.ok {
			t.Errorf("splitARN(%q).ok = %v", tt.s, a.ok)
			continue
		}
		for i := 0; a.ok && i < 6; i++ {
			if got := a.component(tt.s, i); got != tt.comp[i] {
				t.Errorf("splitARN(%q) component %d = %q, want %q", tt.s, i, got, tt.comp[i])
			}
		}
	}
}

// TestEqStr compares eqStr with == across lengths around the word size,
// with the difference at every position.
func TestEqStr(t *testing.T) {
	base := "abcdefghijklmnopqrstuvwxyz0123456789"
	for n := 0; n <= len(base); n++ {
		a := base[:n]
		if !eqStr(a, strings.Clone(a)) {
			t.Errorf("eqStr(%q, copy) = false", a)
		}
		if n > 0 && eqStr(a, base[:n-1]) {
			t.Errorf("eqStr(%q, %q) = true", a, base[:n-1])
		}
		for i := 0; i < n; i++ {
			b := []byte(a)
			b[i] ^= 0x20
			if eqStr(a, string(b)) {
				t.Errorf("eqStr(%q, %q) = true", a, b)
			}
		}
	}
}

// TestPreparedSetChanged: an index built by Prepare is ignored, not
// trusted, once Identity is no longer the slice it was built from; and an
// ActionKey is used only with its own action.
func TestPreparedSetChanged(t *testing.T) {
	allowGet := mustCompile(t, "get", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, Identity)
	allowPut := mustCompile(t, "put", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}`, Identity)
	denyAll := mustCompile(t, "deny", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, Identity)
	alice := Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"}
	key := NewActionKey("s3:GetObject")
	if key.String() != "s3:GetObject" {
		t.Fatalf("ActionKey.String() = %q", key.String())
	}
	tests := []struct {
		name   string
		change func(s *Set)
		action string
		want   Effect
	}{
		{"unchanged", func(s *Set) {}, "s3:GetObject", Allow},
		{"policy appended", func(s *Set) { s.Identity = append(s.Identity, denyAll) }, "s3:GetObject", ExplicitDeny},
		{"slice replaced", func(s *Set) { s.Identity = []*Compiled{allowPut} }, "s3:GetObject", ImplicitDeny},
		{"slice shortened", func(s *Set) { s.Identity = s.Identity[:0] }, "s3:GetObject", ImplicitDeny},
		{"key for another action", func(s *Set) {}, "s3:PutObject", ImplicitDeny},
	}
	// Actions too long to be lower-cased on the stack are compared with
	// the merged index's keys ignoring case; an action without a service
	// prefix is its own prefix.
	long := "svc:" + strings.Repeat("Long", 30)
	allowLong := mustCompile(t, "long", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"`+long+`","Resource":"*"},{"Effect":"Allow","Action":"NoPrefix","Resource":"*"}]}`, Identity)
	for _, a := range []string{strings.ToUpper(long), "noprefix"} {
		set := &Set{Identity: []*Compiled{allowLong, allowPut}}
		set.Prepare()
		for _, k := range []*ActionKey{nil, NewActionKey(a)} {
			var d Decision
			if Evaluate(set, &Request{Principal: alice, Action: a, ActionKey: k, Resource: "*"}, &d); d.Effect != Allow {
				t.Errorf("%.20s (ActionKey %v): Evaluate = %v, want Allow", a, k != nil, d.Effect)
			}
		}
	}
	for _, tt := range tests {
		set := &Set{Identity: []*Compiled{allowGet}}
		set.Prepare()
		tt.change(set)
		var d Decision
		Evaluate(set, &Request{Principal: alice, Action: tt.action, ActionKey: key, Resource: "arn:aws:s3:::b/k"}, &d)
		if d.Effect != tt.want {
			t.Errorf("%s: Evaluate = %v, want %v", tt.name, d.Effect, tt.want)
		}
	}
}

// TestContextValueInline: a single value is copied beside its key's name
// when both fit the entry, and stays readable when the entries move to the
// heap table or the key is set again with a longer or shorter value.
func TestContextValueInline(t *testing.T) {
	for _, nameLen := range []int{1, 20, ctxBuf - 1, ctxBuf, ctxBuf + 1, 60} {
		name := strings.Repeat("k", nameLen)
		for _, vlen := range []int{0, 1, ctxBuf - nameLen, ctxBuf - nameLen + 1, 100} {
			if vlen < 0 {
				continue
			}
			val := strings.Repeat("v", vlen)
			c := NewContext(1)
			check := func(when, want string) {
				t.Helper()
				got, ok := c.get(name, hashFold(name))
				if !ok || len(got) != 1 || got[0] != want {
					t.Errorf("name %d, value %d, %s: get = %q, %v", nameLen, vlen, when, got, ok)
				}
				if got, ok := c.Lookup(strings.ToUpper(name)); !ok || len(got) != 1 || got[0] != want {
					t.Errorf("name %d, value %d, %s: Lookup = %q, %v", nameLen, vlen, when, got, ok)
				}
			}
			c.Set(name, val)
			check("set", val)
			e := c.entry(name, hashFold(name))
			inline := vlen > 0 && nameLen+vlen <= ctxBuf
			if in := e.v0 == unsafe.Pointer(&e.buf[min(nameLen, ctxBuf-1)]); in != inline {
				t.Errorf("name %d, value %d: held in the entry = %v, want %v", nameLen, vlen, in, inline)
			}
			for i := 0; i < ctxInlineMax+8; i++ {
				c.Set("other:"+itoa(i), itoa(i))
			}
			check("moved", val)
			c.Set(name, val+"xyz")
			check("set again, longer", val+"xyz")
			c.Set(name, "")
			check("set again, empty", "")
			c.Set(name, "w")
			check("set again, short", "w")
		}
	}
}

// TestCompiledWithID: the copy reports its own ID in matched statements,
// through the merged index and without it, and the original keeps its.
func TestCompiledWithID(t *testing.T) {
	pol, err := Parse(`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:Put*","Resource":"*"}]}`, Identity)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Compile("orig", "v1", pol)
	if err != nil {
		t.Fatal(err)
	}
	cp := orig.WithID("copy")
	for _, tc := range []struct {
		c    *Compiled
		want string
	}{{orig, "orig"}, {cp, "copy"}, {orig, "orig"}} {
		for _, prepared := range []bool{false, true} {
			for _, action := range []string{"s3:GetObject", "s3:PutObject"} {
				set := &Set{Identity: []*Compiled{tc.c}}
				if prepared {
					set.Prepare()
				}
				var d Decision
				Evaluate(set, &Request{Action: action, Resource: "arn:aws:s3:::b/k", Principal: Principal{Type: PrincipalUser, ARN: "arn:aws:iam::111122223333:user/u", Account: "111122223333"}}, &d)
				if d.Effect != Allow || len(d.Matched) != 1 || d.Matched[0].Policy != tc.want || d.Matched[0].Version != "v1" {
					t.Errorf("%s (prepared %v) %s: %+v", tc.want, prepared, action, d)
				}
			}
		}
	}
}

// TestARNPatternSize: an ARN pattern's fields that quick reads, and the
// pattern itself, fit one cache line, so a statement's patterns are
// adjacent.
func TestARNPatternSize(t *testing.T) {
	if got := unsafe.Sizeof(arnPattern{}); got > 64 {
		t.Errorf("arnPattern is %d bytes, want at most 64", got)
	}
}

// TestContextKnownKeysAtHome: the known global keys have distinct home
// slots of their own, other keys hash to the rest, and a known key is
// found in its home slot whatever was set before it, while every key
// stays found.
func TestContextKnownKeysAtHome(t *testing.T) {
	homes := map[uint64]string{}
	for _, k := range ctxKnown {
		home, known := ctxHome(hashFold(strings.ToUpper(k)))
		if !known || home >= uint64(ctxKnownSlots) {
			t.Errorf("%s: home %d, known %v", k, home, known)
		}
		if other, dup := homes[home]; dup {
			t.Errorf("%s and %s share home %d", k, other, home)
		}
		homes[home] = k
	}
	var others []string
	for i := 0; i < 40; i++ {
		k := "aws:requesttag/k" + itoa(i)
		if home, known := ctxHome(hashFold(k)); known || home < uint64(ctxKnownSlots) || home >= ctxSlots {
			t.Errorf("%s: home %d, known %v", k, home, known)
		}
		others = append(others, k)
	}
	for _, n := range []int{1, 3, 8, 12} {
		c := NewContext(0)
		// The other keys first, so that they sit wherever they land,
		// wrapping into the known keys' slots when their own run out.
		set := map[string]string{}
		for _, k := range others[:n] {
			c.Set(k, "v-"+k)
			set[k] = "v-" + k
		}
		for _, k := range ctxKnown[:min(ctxKnownSlots, ctxInlineMax-n)] {
			c.Set(strings.ToUpper(k), "v-"+k)
			set[k] = "v-" + k
		}
		for k, v := range set {
			h := hashFold(k)
			home, known := ctxHome(h)
			e := c.entryAt(k, h, home)
			if e == nil || e.value0() != v {
				t.Fatalf("%d others: %s not found", n, k)
			}
			if known && e != &c.tab[home] {
				t.Errorf("%d others: known key %s in slot %d, not its home %d", n, k, e.slot(c), home)
			}
		}
		if c.Len() != len(set) {
			t.Errorf("%d others: Len %d, want %d", n, c.Len(), len(set))
		}
		c.Reset()
		for i := range c.tab {
			if c.tab[i].klen != 0 {
				t.Fatalf("%d others: slot %d not cleared by Reset", n, i)
			}
		}
	}
}

// TestParseDateExported: the exported form accepts what Date conditions compare
// (ISO 8601 forms and epoch seconds) and refuses the rest.
func TestParseDateExported(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), true},
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), true},
		{"1767225600", time.Unix(1767225600, 0).UTC(), true},
		{"tomorrow", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, ok := ParseDate(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestContextVeryLongKey: a key longer than Set lower-cases on its stack
// (maxLowerAction) is stored lower-cased and found in any case.
func TestContextVeryLongKey(t *testing.T) {
	key := "aws:RequestTag/" + strings.Repeat("AbC", 40)
	c := NewContext(1)
	c.Set(key, "v")
	c.Set("", "empty")
	for _, k := range []string{key, strings.ToLower(key), strings.ToUpper(key)} {
		if v, ok := c.Lookup(k); !ok || len(v) != 1 || v[0] != "v" {
			t.Errorf("Lookup(%d bytes) = %v, %v", len(k), v, ok)
		}
	}
	if v, ok := c.get(strings.ToLower(key), hashFold(key)); !ok || v[0] != "v" {
		t.Errorf("get = %v, %v", v, ok)
	}
	if v, ok := c.Lookup(""); !ok || v[0] != "empty" {
		t.Errorf("Lookup(\"\") = %v, %v", v, ok)
	}
}

// entry finds a lower-case key by its hashFold, as conditions do with the
// home slot they compute at compile time.
func (c *Context) entry(lower string, h uint64) *ctxEntry {
	home, _ := ctxHome(h)
	return c.entryAt(lower, h, home)
}
