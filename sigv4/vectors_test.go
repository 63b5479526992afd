package sigv4

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The AWS SigV4 test suite's fixed inputs.
const (
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteDir    = "testdata/aws-sig-v4-test-suite"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

// readSuiteRequest parses a .req/.sreq file the way a server would see the
// request, without net/http's parser: the suite has request targets Go
// rejects ("/example space/") and keeps folded header lines as separate
// values (its canonical form of get-header-value-multiline joins them with
// commas).
func readSuiteRequest(t *testing.T, text string) (*http.Request, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	method, rest, ok := strings.Cut(lines[0], " ")
	if !ok {
		t.Fatalf("bad request line %q", lines[0])
	}
	i := strings.LastIndex(rest, " HTTP/")
	if i < 0 {
		t.Fatalf("bad request line %q", lines[0])
	}
	target := rest[:i]
	r := &http.Request{Method: method, RequestURI: target, Header: http.Header{}, URL: &url.URL{}}
	r.URL.Path, r.URL.RawQuery, _ = strings.Cut(target, "?")
	var last string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			r.Header[last] = append(r.Header[last], l)
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		last = textproto.CanonicalMIMEHeaderKey(k)
		r.Header[last] = append(r.Header[last], v)
	}
	// net/http moves Host out of the header map.
	if h := r.Header["Host"]; len(h) > 0 {
		r.Host = strings.TrimSpace(h[0])
		delete(r.Header, "Host")
	}
	if body == "" {
		return r, nil
	}
	return r, []byte(body)
}

func TestAWSSigV4TestSuite(t *testing.T) {
	var cases []string
	err := filepath.WalkDir(suiteDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".sreq") {
			cases = append(cases, strings.TrimSuffix(p, ".sreq"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 25 {
		t.Fatalf("found only %d test vectors", len(cases))
	}
	for _, base := range cases {
		name := strings.TrimPrefix(base, suiteDir+"/")
		t.Run(name, func(t *testing.T) {
			sreq, err := os.ReadFile(base + ".sreq")
			if err != nil {
				t.Fatal(err)
			}
			r, body := readSuiteRequest(t, string(sreq))
			q, err := Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if q.AccessKeyID != "AKIDEXAMPLE" || q.Region != "us-east-1" || q.Service != "service" || !q.Time.Equal(suiteTime) {
				t.Fatalf("parsed %+v", q)
			}
			if strings.Contains(string(sreq), "X-Amz-Security-Token") != (q.SecurityToken != "") {
				t.Fatalf("security token %q", q.SecurityToken)
			}
			if strings.Contains(string(sreq), "X-Amz-Signature=") != q.Presigned {
				t.Fatalf("presigned %v", q.Presigned)
			}
			ph, perr := payloadHash(q, body, &scratch{})
			if perr != nil {
				t.Fatal(perr)
			}
			creq := AppendCanonicalRequest(nil, q, r, string(ph))
			sts := AppendStringToSign(nil, q, creq)
			if want, err := os.ReadFile(base + ".creq"); err == nil && !bytes.Equal(creq, want) {
				t.Errorf("canonical request:\n%s\nwant:\n%s", creq, want)
			}
			if want, err := os.ReadFile(base + ".sts"); err == nil && !bytes.Equal(sts, want) {
				t.Errorf("string to sign:\n%s\nwant:\n%s", sts, want)
			}
			for _, size := range []int{0, -1} {
				v := &Verifier{CacheSize: size}
				if err := v.Verify(q, r, body, []byte(suiteSecret), suiteTime); err != nil {
					t.Fatalf("Verify (cache %d): %v\ncanonical request:\n%s\nstring to sign:\n%s", size, err, creq, sts)
				}
			}
			if err := new(Verifier).Verify(q, r, body, []byte(suiteSecret+"x"), suiteTime); err == nil {
				t.Fatal("verified with the wrong secret")
			}
			// ParseInto into a Request left over from another parse gives
			// what Parse gives, and verifies alike.
			reused := &Request{AccessKeyID: "stale", SecurityToken: "stale", Presigned: !q.Presigned, Expires: time.Hour, hasExpires: true}
			if err := ParseInto(reused, r); err != nil {
				t.Fatalf("ParseInto: %v", err)
			}
			if !reflect.DeepEqual(reused, q) {
				t.Fatalf("ParseInto gave %+v, Parse %+v", reused, q)
			}
			if err := new(Verifier).Verify(reused, r, body, []byte(suiteSecret), suiteTime); err != nil {
				t.Fatalf("Verify after ParseInto: %v", err)
			}
		})
	}
}

func TestCanonicalURI(t *testing.T) {
	for _, c := range []struct {
		in, want, s3 string
	}{
		{"/", "/", "/"},
		{"//", "/", "//"},
		{"//example//", "/example/", "//example//"},
		{"/./example", "/example", "/./example"},
		{"/a/b/../c/./d/", "/a/c/d/", "/a/b/../c/./d/"},
		{"/../..", "/", "/../.."},
		{"/a/..", "/", "/a/.."},
		{"/example space/", "/example%20space/", "/example%20space/"},
		{"/%E1%88%B4", "/%25E1%2588%25B4", "/%E1%88%B4"},
		{"/a%2Fb", "/a%252Fb", "/a%2Fb"},
		{"/-._~AZaz09", "/-._~AZaz09", "/-._~AZaz09"},
		{"/a:b@c", "/a%3Ab%40c", "/a%3Ab%40c"},
	} {
		if got := string(appendCanonicalURI(nil, c.in, false)); got != c.want {
			t.Errorf("canonical URI %q = %q, want %q", c.in, got, c.want)
		}
		if got := string(appendCanonicalURI(nil, c.in, true)); got != c.s3 {
			t.Errorf("S3 canonical URI %q = %q, want %q", c.in, got, c.s3)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1&A=3", "A=3&a=1&a=2"},
		{"a", "a="},
		{"a=&&b", "a=&b="},
		{"k=a%20b&k=a+b", "k=a%20b&k=a%2Bb"},
		{"x=%7e%41", "x=~A"},
		{"x=%2f%e1%88%b4", "x=%2F%E1%88%B4"},
		{"x=100%", "x=100%25"},
		{"ሴ=bar", "%E1%88%B4=bar"},
		{"X-Amz-Signature=abc&a=1", "X-Amz-Signature=abc&a=1"},
	} {
		sc := &scratch{}
		if got := string(appendCanonicalQuery(nil, c.in, false, sc)); got != c.want {
			t.Errorf("canonical query %q = %q, want %q", c.in, got, c.want)
		}
	}
	sc := &scratch{}
	if got := string(appendCanonicalQuery(nil, "X-Amz-Signature=abc&a=1", true, sc)); got != "a=1" {
		t.Errorf("presigned canonical query kept the signature: %q", got)
	}
	// More pairs than the insertion sort handles.
	var in []string
	for i := 20; i > 0; i-- {
		in = append(in, "p"+string(rune('a'+i))+"=1")
	}
	got := string(appendCanonicalQuery(nil, strings.Join(in, "&"), false, sc))
	want := strings.Join(reversed(in), "&")
	if got != want {
		t.Errorf("sorted %q, want %q", got, want)
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
