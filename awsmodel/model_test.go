package awsmodel

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	for _, svc := range []*Service{IAM(), STS()} {
		if len(svc.Operations) == 0 || len(svc.Operations) != len(svc.OperationNames) {
			t.Fatalf("%s: %d operations, %d names", svc.Name, len(svc.Operations), len(svc.OperationNames))
		}
		if !slices.IsSorted(svc.OperationNames) {
			t.Errorf("%s: OperationNames not sorted", svc.Name)
		}
		for _, n := range svc.OperationNames {
			op := svc.Operations[n]
			if op.Name != n {
				t.Errorf("%s: operation %s named %s", svc.Name, n, op.Name)
			}
			if op.Output != nil && op.ResultWrapper != n+"Result" {
				t.Errorf("%s: %s result wrapper %q", svc.Name, n, op.ResultWrapper)
			}
		}
	}
	iam, sts := IAM(), STS()
	if iam.XMLNamespace != "https://iam.amazonaws.com/doc/2010-05-08/" || iam.APIVersion != "2010-05-08" || iam.Name != "iam" {
		t.Errorf("iam metadata: %+v", iam)
	}
	if sts.XMLNamespace != "https://sts.amazonaws.com/doc/2011-06-15/" || sts.APIVersion != "2011-06-15" {
		t.Errorf("sts metadata: %+v", sts)
	}
	if IAM() != iam {
		t.Error("IAM() not cached")
	}
}

func names(ms []*Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestMemberOrder(t *testing.T) {
	user := IAM().Shapes["User"]
	want := []string{"Path", "UserName", "UserId", "Arn", "CreateDate", "PasswordLastUsed", "PermissionsBoundary", "Tags"}
	if got := names(user.Members); !slices.Equal(got, want) {
		t.Errorf("User members = %v, want %v", got, want)
	}
	for i, m := range user.Members {
		if m.Index != i {
			t.Errorf("%s index %d, want %d", m.Name, m.Index, i)
		}
	}
	if !user.IsRequired("UserName") || user.IsRequired("Tags") || user.IsRequired("Nope") {
		t.Error("IsRequired wrong")
	}
	if m := user.MemberByName("UserName"); m.Path != "userName" || m.Shape.Name != "userNameType" {
		t.Errorf("UserName member %+v", m)
	}
	creds := STS().Shapes["Credentials"]
	want = []string{"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
	if got := names(creds.Members); !slices.Equal(got, want) {
		t.Errorf("Credentials members = %v, want %v", got, want)
	}
}

func TestShapes(t *testing.T) {
	iam := IAM()
	un := iam.Shapes["userNameType"]
	if un.Type != "string" || *un.Min != 1 || *un.Max != 64 || un.Pattern != `[\w+=,.@-]+` {
		t.Errorf("userNameType %+v", un)
	}
	mi := iam.Shapes["maxItemsType"]
	if mi.Type != "integer" || *mi.Min != 1 || *mi.Max != 1000 {
		t.Errorf("maxItemsType %+v", mi)
	}
	st := iam.Shapes["statusType"]
	if !slices.Equal(st.Enum, []string{"Active", "Inactive", "Expired"}) || !st.InEnum("Active") || st.InEnum("active") {
		t.Errorf("statusType enum %v", st.Enum)
	}
	tl := iam.Shapes["tagListType"]
	if tl.Type != "list" || tl.Member.Shape.Name != "Tag" || *tl.Max != 50 {
		t.Errorf("tagListType %+v", tl)
	}
	sm := iam.Shapes["summaryMapType"]
	if sm.Type != "map" || sm.Key.Shape.Name != "summaryKeyType" || sm.Value.Shape.Type != "integer" {
		t.Errorf("summaryMapType %+v", sm)
	}
	if !iam.Shapes["passwordType"].Sensitive {
		t.Error("passwordType not sensitive")
	}
	ns := iam.ErrorByCode("NoSuchEntity")
	if ns == nil || ns.ErrorStatus != 404 || !ns.SenderFault || !ns.Exception {
		t.Errorf("NoSuchEntity %+v", ns)
	}
	if sf := iam.ErrorByCode("ServiceFailure"); sf == nil || sf.ErrorStatus != 500 || sf.SenderFault {
		t.Errorf("ServiceFailure %+v", sf)
	}
	gu := iam.Operations["GetUser"]
	if gu.Input.Name != "GetUserRequest" || gu.Output.Name != "GetUserResponse" || len(gu.Errors) != 2 {
		t.Errorf("GetUser %+v", gu)
	}
	if du := iam.Operations["DeleteUser"]; du.Output != nil || du.ResultWrapper != "" {
		t.Errorf("DeleteUser output %+v", du)
	}
}

func TestPatterns(t *testing.T) {
	iam, sts := IAM(), STS()
	cases := []struct {
		svc   *Service
		shape string
		ok    []string
		bad   []string
	}{
		{iam, "userNameType", []string{"bob", "a+b=c,d.e@f-g_h", "X"}, []string{"", "a b", "a/b", "é", "bob\n"}},
		{iam, "pathType", []string{"/", "/a/", "/a/b/", "/~!/"}, []string{"", "//", "a", "/a", "a/", "/a b/", "/é/"}},
		{iam, "pathPrefixType", []string{"/", "/a", "/a/b\x7f"}, []string{"", "a", "/ "}},
		{iam, "accountAliasType", []string{"abc", "my-alias", "a-b-c", "a1b"}, []string{"ab", "-ab", "ab-", "a--b", "ABC", "a_b", strings.Repeat("a", 64)}},
		{iam, "tagValueType", []string{"", "a b:c/d=e+f-g@h_i.", "é日本"}, []string{"a&b", "a\tb", "a*b"}},
		{iam, "accountIdType", nil, nil},
		{sts, "arnType", []string{"arn:aws:iam::123456789012:role/x", "tab\there", "emoji \U0001F600"}, []string{"", "nul\x00", "bad\xffutf8"}},
	}
	for _, c := range cases {
		sh := c.svc.Shapes[c.shape]
		if sh == nil {
			if c.ok != nil {
				t.Errorf("no shape %s", c.shape)
			}
			continue
		}
		for _, v := range c.ok {
			if !sh.MatchPattern(v) {
				t.Errorf("%s (%s): %q should match", c.shape, sh.Pattern, v)
			}
		}
		for _, v := range c.bad {
			if sh.MatchPattern(v) {
				t.Errorf("%s (%s): %q should not match", c.shape, sh.Pattern, v)
			}
		}
	}
}

// The table-driven class matcher must agree with the regexp it replaces.
func TestClassMatcherAgreesWithRegexp(t *testing.T) {
	alphabet := []rune("aZ09_-+=,.@:/\\ \t\n\r\x00\x7f~!éü日\u0085\u00a0\U0001F600\uFFFDo-rvp")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, svc := range []*Service{IAM(), STS()} {
		// Sorted so the random strings each shape sees are reproducible.
		names := make([]string, 0, len(svc.Shapes))
		for n := range svc.Shapes {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			sh := svc.Shapes[n]
			if sh.Pattern == "" {
				continue
			}
			if _, special := specialPatterns[sh.Pattern]; special && !fastOnly[sh.Pattern] {
				continue
			}
			tr, err := translateJava(sh.Pattern)
			if err != nil {
				t.Fatal(err)
			}
			re := regexp.MustCompile(`^(?:` + tr + `)$`)
			for i := 0; i < 2000; i++ {
				var b strings.Builder
				n := rng.IntN(6)
				if rng.IntN(4) == 0 {
					n = rng.IntN(40) // reach {10,32}-style counts
				}
				if rng.IntN(3) == 0 {
					b.WriteString([]string{"/", "o-", "p-", "v1", "http://"}[rng.IntN(5)])
				}
				for ; n > 0; n-- {
					b.WriteRune(alphabet[rng.IntN(len(alphabet))])
				}
				if rng.IntN(10) == 0 {
					b.WriteByte(0xff) // invalid UTF-8
				}
				s := b.String()
				if got, want := sh.MatchPattern(s), re.MatchString(s); got != want {
					t.Errorf("%s %q on %q: matcher %v, regexp %v", sh.Name, sh.Pattern, s, got, want)
				}
			}
		}
	}
}

func TestAccountAliasAgainstBacktrackingDefinition(t *testing.T) {
	// Brute-force reference for ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$.
	ref := func(s string) bool {
		if len(s) < 3 || len(s) > 63 {
			return false
		}
		isAN := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
		if !isAN(s[0]) || !isAN(s[len(s)-1]) {
			return false
		}
		for i := 1; i < len(s)-1; i++ {
			if !isAN(s[i]) && !(s[i] == '-' && s[i+1] != '-') {
				return false
			}
		}
		return true
	}
	alpha := "a0-_A"
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		b := make([]byte, rng.IntN(8))
		for j := range b {
			b[j] = alpha[rng.IntN(len(alpha))]
		}
		if got, want := matchAccountAlias(string(b)), ref(string(b)); got != want {
			t.Errorf("%q: %v, want %v", b, got, want)
		}
	}
}

func BenchmarkMatchUserName(b *testing.B) {
	sh := IAM().Shapes["userNameType"]
	for b.Loop() {
		sh.MatchPattern("some.user@example.com")
	}
}

// Loading is paid once per process, on first use of IAM().
func BenchmarkLoadIAM(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustLoad("iam", "data/iam-2010-05-08.json.gz")
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"not json":      `{`,
		"wrong proto":   `{"metadata":{"protocol":"json"},"operations":{},"shapes":{}}`,
		"unknown ref":   `{"metadata":{"protocol":"query"},"operations":{},"shapes":{"L":{"type":"list","member":{"shape":"X"}}}}`,
		"unknown input": `{"metadata":{"protocol":"query"},"operations":{"Op":{"name":"Op","input":{"shape":"X"}}},"shapes":{}}`,
		"bad pattern":   `{"metadata":{"protocol":"query"},"operations":{},"shapes":{"S":{"type":"string","pattern":"(?<=a)b"}}}`,
		"members array": `{"metadata":{"protocol":"query"},"operations":{},"shapes":{"S":{"type":"structure","members":[]}}}`,
	}
	for name, js := range cases {
		if _, err := Parse("x", []byte(js)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
