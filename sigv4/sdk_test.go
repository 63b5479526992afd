package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// A typical IAM Query API call, as aws-sdk-go-v2 sends it.
const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion    = "us-east-1"
	testService   = "iam"
	iamBody       = "Action=ListAttachedUserPolicies&UserName=alice.smith&MaxItems=100&Version=2010-05-08"
)

var signTime = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func hexSHA256(b string) string {
	h := sha256.Sum256([]byte(b))
	return hex.EncodeToString(h[:])
}

func newIAMRequest(t testing.TB) *http.Request {
	r, err := http.NewRequest("POST", "https://iam.amazonaws.com/", strings.NewReader(iamBody))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 api/iam#1.65.0")
	r.Header.Set("Amz-Sdk-Invocation-Id", "3f9b4a1c-6c2e-4a7e-9d0f-2b8e1c7a5d40")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	return r
}

func sdkSign(t testing.TB, r *http.Request, payloadHash, service string, creds aws.Credentials, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash, service, testRegion, at); err != nil {
		t.Fatal(err)
	}
}

var testCreds = aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret}

func signedIAMRequest(t testing.TB) *http.Request {
	r := newIAMRequest(t)
	sdkSign(t, r, hexSHA256(iamBody), testService, testCreds, signTime)
	return r
}

func parseAndVerify(v *Verifier, r *http.Request, body []byte, secret string, now time.Time) (*Request, error) {
	q, err := Parse(r)
	if err != nil {
		return nil, err
	}
	return q, v.Verify(q, r, body, []byte(secret), now)
}

func TestSDKHeaderSigned(t *testing.T) {
	r := signedIAMRequest(t)
	q, err := parseAndVerify(new(Verifier), r, []byte(iamBody), testSecret, signTime.Add(time.Minute))
	if err != nil {
		t.Fatalf("%v\nAuthorization: %s", err, r.Header.Get("Authorization"))
	}
	if q.AccessKeyID != testAccessKey || q.Date != "20260315" || q.Region != testRegion || q.Service != testService ||
		q.Presigned || q.SecurityToken != "" || !q.Time.Equal(signTime) {
		t.Errorf("parsed %+v", q)
	}
	if got := strings.Join(q.SignedHeaderNames(), ";"); got != "amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date" {
		t.Errorf("signed headers %s", got)
	}
	if err := q.CheckScope("us-east-1", "iam"); err != nil {
		t.Error(err)
	}
	if err := q.CheckScope("", "sts"); err == nil || err.(*Error).Message != "Credential should be scoped to correct service: 'sts'." {
		t.Errorf("CheckScope: %v", err)
	}
	if err := q.CheckScope("eu-west-1", "iam"); err == nil || err.(*Error).Message != "Credential should be scoped to a valid region, not 'us-east-1'." {
		t.Errorf("CheckScope: %v", err)
	}
}

func TestSDKSessionTokenAndUnsignedPayload(t *testing.T) {
	r := newIAMRequest(t)
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := testCreds
	creds.SessionToken = "FwoGZXIvYXdzEXAMPLETOKEN+/=="
	sdkSign(t, r, "UNSIGNED-PAYLOAD", testService, creds, signTime)
	if !strings.Contains(r.Header.Get("Authorization"), "x-amz-security-token") {
		t.Fatalf("token not signed: %s", r.Header.Get("Authorization"))
	}
	q, err := parseAndVerify(new(Verifier), r, nil, testSecret, signTime)
	if err != nil {
		t.Fatal(err)
	}
	if q.SecurityToken != creds.SessionToken || q.ContentSHA256 != "UNSIGNED-PAYLOAD" {
		t.Errorf("parsed %+v", q)
	}
}

func TestSDKContentSHA256Header(t *testing.T) {
	r := newIAMRequest(t)
	ph := hexSHA256(iamBody)
	r.Header.Set("X-Amz-Content-Sha256", ph)
	sdkSign(t, r, ph, testService, testCreds, signTime)
	v := new(Verifier)
	for _, body := range [][]byte{nil, []byte(iamBody)} {
		if _, err := parseAndVerify(v, r, body, testSecret, signTime); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
	}
	_, err := parseAndVerify(v, r, []byte(iamBody+"&x=1"), testSecret, signTime)
	wantCode(t, err, CodeXAmzContentSHA256Mismatch, http.StatusBadRequest)
}

// The SDK-signed request sent through a real server: the verifier sees
// what net/http hands a handler (Host moved out of the header map, the raw
// request target in RequestURI).
func TestSDKThroughServer(t *testing.T) {
	v := new(Verifier)
	var mu sync.Mutex
	var got []error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := parseAndVerify(v, r, body, testSecret, signTime)
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}))
	defer srv.Close()
	send := func(r *http.Request) {
		t.Helper()
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	u, _ := url.Parse(srv.URL)

	// IAM Query POST.
	r := signedIAMRequest(t)
	r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	r.Host = "iam.amazonaws.com"
	r.Body = io.NopCloser(strings.NewReader(iamBody))
	send(r)

	// A non-S3 path that needs encoding (signed "double-encoded"), and a
	// query in need of sorting and re-encoding.
	r, _ = http.NewRequest("GET", srv.URL+"/a%20b/%E1%88%B4/c:d?z=1&a=x%2Fy&a=%41&empty", nil)
	sdkSign(t, r, emptySHA256, "execute-api", testCreds, signTime)
	send(r)

	// S3: the path is signed as sent, without normalization.
	r, _ = http.NewRequest("GET", srv.URL+"/bucket/my%20key//x/./y?list-type=2&prefix=a%2Fb", nil)
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
		SignHTTP(context.Background(), testCreds, r, "UNSIGNED-PAYLOAD", "s3", testRegion, signTime)
	if err != nil {
		t.Fatal(err)
	}
	send(r)

	// STS presigned GetCallerIdentity with a session token.
	r, _ = http.NewRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", nil)
	creds := testCreds
	creds.SessionToken = "IQoJb3JpZ2luX2VjEXAMPLE/+=="
	signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, emptySHA256, "sts", testRegion, signTime)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(signed)
	r, _ = http.NewRequest("GET", srv.URL+pu.RequestURI(), nil)
	r.Host = "sts.amazonaws.com"
	for k, vs := range hdr {
		if k != "Host" {
			r.Header[k] = vs
		}
	}
	send(r)

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("server saw %d requests", len(got))
	}
	for i, err := range got {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
}

func presignedSTS(t testing.TB, expires string, token string) *http.Request {
	t.Helper()
	raw := "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
	if expires != "" {
		raw += "&X-Amz-Expires=" + expires
	}
	r, _ := http.NewRequest("GET", raw, nil)
	creds := testCreds
	creds.SessionToken = token
	signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, emptySHA256, "sts", testRegion, signTime)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = http.NewRequest("GET", signed, nil)
	for k, vs := range hdr {
		if k != "Host" {
			r.Header[k] = vs
		}
	}
	return r
}

func TestSDKPresigned(t *testing.T) {
	r := presignedSTS(t, "900", "session-token/+=")
	q, err := parseAndVerify(new(Verifier), r, nil, testSecret, signTime.Add(10*time.Minute))
	if err != nil {
		t.Fatalf("%v\nURL: %s", err, r.URL)
	}
	if !q.Presigned || q.Expires != 900*time.Second || q.SecurityToken != "session-token/+=" || q.Service != "sts" {
		t.Errorf("parsed %+v", q)
	}
}

func wantCode(t *testing.T, err error, code string, status int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want code %s", err, err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("got %s/%d %q, want %s/%d", e.Code, e.Status, e.Message, code, status)
	}
	return e
}

func setAuth(f func(string) string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", f(r.Header.Get("Authorization"))) }
}

// Every single change to a signed request is rejected with AWS's code.
func TestMutations(t *testing.T) {
	now := signTime.Add(2 * time.Minute)
	const scopeMsg = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260314' != '20260315', from '20260315T120000Z'."
	cases := []struct {
		name    string
		mutate  func(*http.Request)
		body    string
		secret  string
		now     time.Time
		verifer *Verifier
		code    string
		status  int
		msg     string
	}{
		{name: "unchanged", code: ""},
		{name: "signed header changed", mutate: func(r *http.Request) { r.Header.Set("Amz-Sdk-Request", "attempt=2; max=3") },
			code: CodeSignatureDoesNotMatch, status: 403, msg: msgSignatureMismatch},
		{name: "signed header removed", mutate: func(r *http.Request) { r.Header.Del("Content-Type") },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "signed header duplicated", mutate: func(r *http.Request) { r.Header.Add("Content-Type", "text/plain") },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "unsigned header changed", mutate: func(r *http.Request) { r.Header.Set("User-Agent", "curl") }},
		{name: "header value whitespace", mutate: func(r *http.Request) { r.Header.Set("Amz-Sdk-Request", "  attempt=1;   max=3 ") }},
		{name: "host changed", mutate: func(r *http.Request) { r.Host = "sts.amazonaws.com" },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "method changed", mutate: func(r *http.Request) { r.Method = "PUT" },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "path changed", mutate: func(r *http.Request) { r.URL.Path = "/x" },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "query added", mutate: func(r *http.Request) { r.URL.RawQuery = "Action=DeleteUser" },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "body changed", body: strings.Replace(iamBody, "alice", "mallory", 1),
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "body empty", body: "-", code: CodeSignatureDoesNotMatch, status: 403},
		{name: "wrong secret", secret: testSecret + "x", code: CodeSignatureDoesNotMatch, status: 403},
		{name: "x-amz-date changed", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260315T120001Z") },
			code: CodeSignatureDoesNotMatch, status: 403, msg: msgSignatureMismatch},
		{name: "wrong date scope", mutate: setAuth(func(a string) string { return strings.Replace(a, "/20260315/", "/20260314/", 1) }),
			code: CodeSignatureDoesNotMatch, status: 403, msg: scopeMsg},
		{name: "wrong region scope", mutate: setAuth(func(a string) string { return strings.Replace(a, "/us-east-1/", "/us-west-2/", 1) }),
			code: CodeSignatureDoesNotMatch, status: 403, msg: msgSignatureMismatch},
		{name: "wrong terminator", mutate: setAuth(func(a string) string { return strings.Replace(a, "aws4_request", "aws5_request", 1) }),
			code: CodeSignatureDoesNotMatch, status: 403, msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{name: "credential with 4 parts", mutate: setAuth(func(a string) string { return strings.Replace(a, "/us-east-1", "", 1) }),
			code: CodeIncompleteSignature, status: 400,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testAccessKey + "/20260315/iam/aws4_request'"},
		{name: "unsigned host", mutate: setAuth(func(a string) string { return strings.Replace(a, "content-type;host;", "content-type;", 1) }),
			code: CodeSignatureDoesNotMatch, status: 403, msg: msgHostNotSigned},
		{name: "signed headers reordered", mutate: setAuth(func(a string) string {
			return strings.Replace(a, "amz-sdk-invocation-id;amz-sdk-request", "amz-sdk-request;amz-sdk-invocation-id", 1)
		}), code: CodeSignatureDoesNotMatch, status: 403},
		{name: "expired", now: signTime.Add(15*time.Minute + time.Second), code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature expired: 20260315T120000Z is now earlier than 20260315T120001Z (20260315T121501Z - 15 min.)"},
		{name: "at the skew limit", now: signTime.Add(15 * time.Minute)},
		{name: "future within skew", now: signTime.Add(-15 * time.Minute)},
		{name: "future beyond skew", now: signTime.Add(-15*time.Minute - time.Second), code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature not yet current: 20260315T120000Z is still later than 20260315T115959Z (20260315T114459Z + 15 min.)"},
		{name: "custom skew", now: signTime.Add(6 * time.Minute), verifer: &Verifier{MaxSkew: 5 * time.Minute},
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature expired: 20260315T120000Z is now earlier than 20260315T120100Z (20260315T120600Z - 5 min.)"},
		{name: "bad hex signature", mutate: setAuth(func(a string) string { return a[:len(a)-1] + "g" }),
			code: CodeSignatureDoesNotMatch, status: 403, msg: msgSignatureMismatch},
		{name: "short signature", mutate: setAuth(func(a string) string { return a[:len(a)-2] }),
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "flipped signature bit", mutate: setAuth(func(a string) string {
			c := a[len(a)-1]
			if c == '0' {
				c = '1'
			} else {
				c = '0'
			}
			return a[:len(a)-1] + string(c)
		}), code: CodeSignatureDoesNotMatch, status: 403},
		{name: "uppercase hex signature", mutate: setAuth(func(a string) string {
			i := strings.Index(a, "Signature=") + len("Signature=")
			return a[:i] + strings.ToUpper(a[i:])
		})},
		{name: "truncated header", mutate: setAuth(func(a string) string { return a[:strings.Index(a, ", SignedHeaders")] }),
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=" +
				"AWS4-HMAC-SHA256 Credential=" + testAccessKey + "/20260315/us-east-1/iam/aws4_request"},
		{name: "duplicate Credential", mutate: setAuth(func(a string) string {
			return a + ", Credential=AKIAOTHER/20260315/us-east-1/iam/aws4_request"
		}), code: CodeIncompleteSignature, status: 400},
		{name: "duplicate Signature", mutate: setAuth(func(a string) string { return a + ", Signature=" + strings.Repeat("0", 64) }),
			code: CodeIncompleteSignature, status: 400},
		{name: "missing equal sign", mutate: setAuth(func(a string) string { return strings.Replace(a, "Credential=", "Credential ", 1) }),
			code: CodeIncompleteSignature, status: 400},
		{name: "commas without spaces", mutate: setAuth(func(a string) string { return strings.ReplaceAll(a, ", ", ",") })},
		{name: "unsupported algorithm", mutate: setAuth(func(a string) string { return strings.Replace(a, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1) }),
			code: CodeIncompleteSignature, status: 400, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{name: "not sigv4", mutate: func(r *http.Request) {
			r.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
			r.Header.Del("X-Amz-Date")
		}, code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
				"'X-Amz-Date' or a 'Date' header. Authorization=Basic Zm9vOmJhcg=="},
		{name: "bad x-amz-date", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-03-15T12:00:00Z") },
			code: CodeIncompleteSignature, status: 400,
			msg: "Date must be in ISO-8601 'basic format'. Got '2026-03-15T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "no authentication", mutate: func(r *http.Request) { r.Header.Del("Authorization") },
			code: CodeMissingAuthenticationToken, status: 403, msg: "Request is missing Authentication Token"},
		{name: "empty authorization", mutate: func(r *http.Request) { r.Header.Set("Authorization", " ") },
			code: CodeMissingAuthenticationToken, status: 403},
		{name: "header and query", mutate: func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			code: CodeSignatureDoesNotMatch, status: 403},
		{name: "content sha mismatch", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA256("x")) },
			code: CodeXAmzContentSHA256Mismatch, status: 400},
		{name: "content sha malformed", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "abc") },
			code: CodeIncompleteSignature, status: 400},
		{name: "streaming payload", mutate: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}, code: CodeIncompleteSignature, status: 400},
		{name: "unsigned payload not signed", mutate: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") },
			code: CodeSignatureDoesNotMatch, status: 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := signedIAMRequest(t)
			if c.mutate != nil {
				c.mutate(r)
			}
			body := iamBody
			switch c.body {
			case "":
			case "-":
				body = ""
			default:
				body = c.body
			}
			secret := testSecret
			if c.secret != "" {
				secret = c.secret
			}
			at := now
			if !c.now.IsZero() {
				at = c.now
			}
			for _, v := range []*Verifier{c.verifer, {CacheSize: -1}} {
				if v == nil {
					v = new(Verifier)
				}
				if c.verifer != nil && v.CacheSize < 0 {
					v.MaxSkew = c.verifer.MaxSkew
				}
				_, err := parseAndVerify(v, r, []byte(body), secret, at)
				if c.code == "" {
					if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
					continue
				}
				e := wantCode(t, err, c.code, c.status)
				if c.msg != "" && e.Message != c.msg {
					t.Fatalf("message\n%q, want\n%q", e.Message, c.msg)
				}
			}
		})
	}
}

func TestPresignedExpiry(t *testing.T) {
	r := presignedSTS(t, "60", "")
	v := new(Verifier)
	for _, c := range []struct {
		now  time.Duration
		code string
		msg  string
	}{
		{now: 0},
		{now: 60 * time.Second},
		{now: -15 * time.Minute},
		{now: 61 * time.Second, code: CodeRequestExpired, msg: "Request has expired"},
		{now: -16 * time.Minute, code: CodeSignatureDoesNotMatch},
	} {
		_, err := parseAndVerify(v, r, nil, testSecret, signTime.Add(c.now))
		if c.code == "" {
			if err != nil {
				t.Errorf("at %v: %v", c.now, err)
			}
			continue
		}
		if e := wantCode(t, err, c.code, statusOf(c.code)); c.msg != "" && e.Message != c.msg {
			t.Errorf("at %v: %q", c.now, e.Message)
		}
	}

	// STS semantics: X-Amz-Expires=60 lives the 15-minute skew window.
	sts := &Verifier{IgnoreExpires: true}
	if _, err := parseAndVerify(sts, r, nil, testSecret, signTime.Add(14*time.Minute)); err != nil {
		t.Errorf("IgnoreExpires at 14m: %v", err)
	}
	_, err := parseAndVerify(sts, r, nil, testSecret, signTime.Add(16*time.Minute))
	wantCode(t, err, CodeSignatureDoesNotMatch, 403)

	// Without X-Amz-Expires the skew window applies.
	r = presignedSTS(t, "", "")
	if _, err := parseAndVerify(v, r, nil, testSecret, signTime.Add(14*time.Minute)); err != nil {
		t.Errorf("no expires at 14m: %v", err)
	}
	_, err = parseAndVerify(v, r, nil, testSecret, signTime.Add(16*time.Minute))
	wantCode(t, err, CodeSignatureDoesNotMatch, 403)

	// Seven days is the most X-Amz-Expires may say.
	r = presignedSTS(t, "604800", "")
	if _, err := parseAndVerify(v, r, nil, testSecret, signTime.Add(7*24*time.Hour)); err != nil {
		t.Errorf("7 days: %v", err)
	}
	for _, bad := range []string{"604801", "-1", "1e3", "", "99999999999"} {
		r = presignedSTS(t, "1", "")
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=1", "X-Amz-Expires="+bad, 1)
		_, err := Parse(r)
		wantCode(t, err, CodeIncompleteSignature, 400)
	}
}

func statusOf(code string) int {
	switch code {
	case CodeIncompleteSignature, CodeRequestExpired, CodeXAmzContentSHA256Mismatch:
		return http.StatusBadRequest
	}
	return http.StatusForbidden
}

func TestPresignedMutations(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(string) string
		code string
		msg  string
	}{
		{"token changed", func(q string) string {
			return strings.Replace(q, "X-Amz-Security-Token=tok", "X-Amz-Security-Token=tak", 1)
		},
			CodeSignatureDoesNotMatch, msgSignatureMismatch},
		{"action changed", func(q string) string { return strings.Replace(q, "GetCallerIdentity", "GetSessionToken", 1) },
			CodeSignatureDoesNotMatch, msgSignatureMismatch},
		{"signature removed", func(q string) string { return q[:strings.Index(q, "&X-Amz-Signature=")] },
			CodeIncompleteSignature, "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{"duplicate credential", func(q string) string {
			return q + "&X-Amz-Credential=AKIAOTHER%2F20260315%2Fus-east-1%2Fsts%2Faws4_request"
		},
			CodeIncompleteSignature, ""},
		{"algorithm", func(q string) string { return strings.Replace(q, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1) },
			CodeIncompleteSignature, "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "},
		{"unsigned host", func(q string) string {
			return strings.Replace(q, "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date", 1)
		},
			CodeSignatureDoesNotMatch, msgHostNotSigned},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := presignedSTS(t, "900", "tok")
			r.URL.RawQuery = c.edit(r.URL.RawQuery)
			_, err := parseAndVerify(new(Verifier), r, nil, testSecret, signTime)
			e := wantCode(t, err, c.code, statusOf(c.code))
			if c.msg != "" && e.Message != c.msg {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

// The Date header stands in for X-Amz-Date, as AWS allows.
func TestDateHeaderFallback(t *testing.T) {
	r, _ := http.NewRequest("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.Header.Set("Date", signTime.Format(http.TimeFormat))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAccessKey+"/20260315/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature="+strings.Repeat("0", 64))
	q, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Time.Equal(signTime) || q.amzDate != "20260315T120000Z" {
		t.Fatalf("time %v %q", q.Time, q.amzDate)
	}
	// Sign it independently: crypto/hmac over the canonical strings.
	creq := AppendCanonicalRequest(nil, q, r, emptySHA256)
	want := "GET\n/\nAction=ListUsers&Version=2010-05-08\ndate:Sun, 15 Mar 2026 12:00:00 GMT\nhost:iam.amazonaws.com\n\ndate;host\n" + emptySHA256
	if string(creq) != want {
		t.Fatalf("canonical request\n%s\nwant\n%s", creq, want)
	}
	sig := referenceSignature(testSecret, q, AppendStringToSign(nil, q, creq))
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), strings.Repeat("0", 64), sig, 1))
	if _, err := parseAndVerify(new(Verifier), r, nil, testSecret, signTime); err != nil {
		t.Fatal(err)
	}
}

func referenceSignature(secret string, q *Request, sts []byte) string {
	mac := func(k []byte, m string) []byte {
		h := hmacNew(k)
		h.Write([]byte(m))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), q.Date)
	k = mac(k, q.Region)
	k = mac(k, q.Service)
	k = mac(k, "aws4_request")
	return hex.EncodeToString(mac(k, string(sts)))
}

// A rotated secret never reuses the key derived from the old one.
func TestCacheRotation(t *testing.T) {
	v := new(Verifier)
	r := signedIAMRequest(t)
	if _, err := parseAndVerify(v, r, []byte(iamBody), testSecret, signTime); err != nil {
		t.Fatal(err)
	}
	_, err := parseAndVerify(v, r, []byte(iamBody), "rotated-secret", signTime)
	wantCode(t, err, CodeSignatureDoesNotMatch, 403)
	r = newIAMRequest(t)
	creds := testCreds
	creds.SecretAccessKey = "rotated-secret"
	sdkSign(t, r, hexSHA256(iamBody), testService, creds, signTime)
	if _, err := parseAndVerify(v, r, []byte(iamBody), "rotated-secret", signTime); err != nil {
		t.Fatal(err)
	}
	_, err = parseAndVerify(v, r, []byte(iamBody), testSecret, signTime)
	wantCode(t, err, CodeSignatureDoesNotMatch, 403)
}

// A small cache keeps its bound and stays correct under concurrent use
// (run with -race).
func TestCacheConcurrent(t *testing.T) {
	v := &Verifier{CacheSize: 8}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				r := newIAMRequest(t)
				creds := testCreds
				creds.AccessKeyID = "AKIA" + strings.Repeat(string(rune('A'+g)), 4) + string(rune('A'+i%20))
				at := signTime.Add(time.Duration(i%3) * 24 * time.Hour)
				sdkSign(t, r, hexSHA256(iamBody), testService, creds, at)
				if _, err := parseAndVerify(v, r, []byte(iamBody), testSecret, at); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	v.mu.RLock()
	n := len(v.cache)
	v.mu.RUnlock()
	if n > 8 {
		t.Fatalf("cache holds %d entries, bound 8", n)
	}
}

func TestVerifyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	r := signedIAMRequest(t)
	q, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(iamBody)
	secret := []byte(testSecret)
	for _, v := range []*Verifier{new(Verifier), {CacheSize: -1}} {
		if err := v.Verify(q, r, body, secret, signTime); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = v.Verify(q, r, body, secret, signTime) }); n != 0 {
			t.Errorf("Verify (cache %d) allocates %v times", v.CacheSize, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Parse(r) }); n > 1 {
		t.Errorf("Parse allocates %v times", n)
	}
}

// Only verified requests fill the caches: an unauthenticated client cannot
// evict good entries with junk scopes or header lists.
func TestCachesFilledOnlyBySuccess(t *testing.T) {
	v := new(Verifier)
	r := signedIAMRequest(t)
	_, err := parseAndVerify(v, r, []byte(iamBody), "wrong secret", signTime)
	wantCode(t, err, CodeSignatureDoesNotMatch, 403)
	if len(v.cache) != 0 || len(v.plans) != 0 {
		t.Fatalf("failed verification cached %d keys, %d plans", len(v.cache), len(v.plans))
	}
	if _, err := parseAndVerify(v, r, []byte(iamBody), testSecret, signTime); err != nil {
		t.Fatal(err)
	}
	if len(v.cache) != 1 || len(v.plans) != 1 {
		t.Fatalf("verification cached %d keys, %d plans", len(v.cache), len(v.plans))
	}
	if _, err := parseAndVerify(v, r, []byte(iamBody), testSecret, signTime); err != nil {
		t.Fatal(err)
	}
}
