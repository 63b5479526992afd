package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256  Credential=x, Credential=y",
		"AWS4-HMAC-SHA512 Credential=x",
		"Basic Zm9v",
		"AWS4-HMAC-SHA256 Credential",
		"AWS4-HMAC-SHA256 \tCredential==, Foo=bar",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, missing, err := parseAuthorization(h)
		if err != nil || missing != "" {
			return
		}
		// Accepted: the canonical serialization parses to the same
		// parameters, and serializes identically again.
		s := p.String()
		p2, missing2, err2 := parseAuthorization(s)
		if err2 != nil || missing2 != "" || p2 != p {
			t.Fatalf("%q -> %q -> %+v %q %v, want %+v", h, s, p2, missing2, err2, p)
		}
		if s2 := p2.String(); s2 != s {
			t.Fatalf("unstable serialization %q != %q", s2, s)
		}
		// The full parser must not panic on it either.
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Host: "h", Header: http.Header{
			"Authorization": {h}, "X-Amz-Date": {"20150830T123600Z"},
		}}
		if q, err := Parse(r); err == nil {
			_ = new(Verifier).Verify(q, r, nil, []byte("k"), suiteTime)
		}
	})
}

// presignedQuery serializes the parsed authentication parameters again.
func presignedQuery(q *Request) string {
	v := url.Values{}
	v.Set("X-Amz-Algorithm", Algorithm)
	v.Set("X-Amz-Credential", q.AccessKeyID+"/"+q.CredentialScope())
	v.Set("X-Amz-Date", q.amzDate)
	v.Set("X-Amz-SignedHeaders", q.SignedHeaders)
	v.Set("X-Amz-Signature", "not-hex") // Parse keeps such a request, with a nil Signature
	if q.Signature != nil {
		v.Set("X-Amz-Signature", hexString(q.Signature))
	}
	if q.hasExpires {
		v.Set("X-Amz-Expires", itoa(int64(q.Expires.Seconds())))
	}
	if q.SecurityToken != "" {
		v.Set("X-Amz-Security-Token", q.SecurityToken)
	}
	if q.ContentSHA256 != "" {
		v.Set("X-Amz-Content-Sha256", q.ContentSHA256)
	}
	return strings.ReplaceAll(v.Encode(), "+", "%20")
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func FuzzParsePresigned(f *testing.F) {
	for _, s := range []string{
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5",
		"Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20150830%2Fr%2Fs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bx&X-Amz-Security-Token=t%2B%2F%3D&X-Amz-Signature=zz",
		"X-Amz-Credential=x&X-Amz-Credential=y",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-1",
		"X-Amz-Signature=%zz&&=&X-Amz-Date=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/", RawQuery: raw}, Host: "h", Header: http.Header{}}
		q, err := Parse(r)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !q.Presigned {
			t.Fatalf("accepted %q as not presigned", raw)
		}
		_ = new(Verifier).Verify(q, r, nil, []byte("k"), suiteTime)
		s := presignedQuery(q)
		r2 := &http.Request{Method: "GET", URL: &url.URL{Path: "/", RawQuery: s}, Host: "h", Header: http.Header{}}
		q2, err := Parse(r2)
		if err != nil {
			t.Fatalf("%q -> %q: %v", raw, s, err)
		}
		if s2 := presignedQuery(q2); s2 != s {
			t.Fatalf("unstable: %q -> %q -> %q", raw, s, s2)
		}
		if q2.AccessKeyID != q.AccessKeyID || q2.CredentialScope() != q.CredentialScope() || q2.SignedHeaders != q.SignedHeaders ||
			!q2.Time.Equal(q.Time) || q2.Expires != q.Expires || q2.SecurityToken != q.SecurityToken || string(q2.Signature) != string(q.Signature) {
			t.Fatalf("%q -> %q: %+v != %+v", raw, s, q2, q)
		}
	})
}
