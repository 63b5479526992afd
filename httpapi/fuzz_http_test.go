package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/awsmodel"
)

var randomRequestsFor = flag.Duration("httpfuzz.duration", 5*time.Second, "how long TestRandomRequests drives the handler")

// checkAnswer asserts the invariants every answer keeps, whatever the
// request: no 5xx but an honest 501 NotImplemented, errors in AWS's
// ErrorResponse shape, and success only for a request the test itself
// signed (validSig).
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, validSig bool, what string) {
	t.Helper()
	body := rec.Body.Bytes()
	if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
		t.Fatalf("%s: status %d\n%.2000s", what, rec.Code, body)
	}
	if rec.Code >= 200 && rec.Code < 300 {
		if !validSig {
			t.Fatalf("%s: status %d for a request the test did not sign\n%.2000s", what, rec.Code, body)
		}
		if err := wellFormed(body); err != nil {
			t.Fatalf("%s: success body is not XML: %v\n%.2000s", what, err, body)
		}
		return
	}
	var e wireError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("%s: status %d, body is not an ErrorResponse: %v\n%.2000s", what, rec.Code, err, body)
	}
	if e.Error.Code == "" || e.RequestID == "" || (e.Error.Type != "Sender" && e.Error.Type != "Receiver") {
		t.Fatalf("%s: incomplete ErrorResponse: %+v", what, e)
	}
	if rec.Code == http.StatusNotImplemented && e.Error.Code != "NotImplemented" {
		t.Fatalf("%s: 501 with code %s", what, e.Error.Code)
	}
	if rec.Code < 400 {
		t.Fatalf("%s: error with status %d", what, rec.Code)
	}
	if got := rec.Header().Get("X-Amzn-Requestid"); got != e.RequestID {
		t.Fatalf("%s: request ID header %q, body %q", what, got, e.RequestID)
	}
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// fuzzSign returns the Authorization header our signer computes for the
// request as given (its body, query, content type, date and token).
func fuzzSign(body []byte, query, contentType, amzDate, token, service string) (string, bool) {
	// Header values are signed trimmed, so a padded date is the same date.
	at, err := time.Parse("20060102T150405Z", strings.TrimSpace(amzDate))
	if err != nil {
		return "", false
	}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", bytes.NewReader(body))
	if err != nil {
		return "", false
	}
	req.URL.RawQuery = query
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("X-Amz-Security-Token", token)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		return "", false
	}
	return req.Header.Get("Authorization"), true
}

// FuzzHandler sends arbitrary bodies, headers and query strings to the
// real handler. Seeds are requests the test signed and mutations of them.
func FuzzHandler(f *testing.F) {
	h := newBenchHandler(f)
	// Explore past the authentication limits; they have their own tests.
	h.auth.perKey, h.auth.perAddr = 1<<30, 1<<30
	now := time.Now().UTC().Format("20060102T150405Z")
	ct := "application/x-www-form-urlencoded; charset=utf-8"
	for _, s := range []struct{ service, body string }{
		{"sts", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"iam", "Action=GetUser&UserName=alice&Version=2010-05-08"},
		{"iam", "Action=ListUsers&Version=2010-05-08&MaxItems=1"},
		{"iam", "Action=CreateUser&UserName=bob&Tags.member.1.Key=k&Tags.member.1.Value=v&Version=2010-05-08"},
		{"iam", "Action=CreatePolicy&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D&Version=2010-05-08"},
		{"iam", "Action=GenerateCredentialReport&Version=2010-05-08"},
		{"iam", "Action=ListUsers&Version=2010-05-08&MaxItems=99999999999"},
		{"iam", "Action=CreateUser&UserName=%ff%fe&Version=2010-05-08"},
	} {
		auth, _ := fuzzSign([]byte(s.body), "", ct, now, "", s.service)
		f.Add([]byte(s.body), "", ct, now, "", auth)
		// Mutations: tampered body, signature, scope, token, query.
		f.Add([]byte(s.body+"&x=1"), "", ct, now, "", auth)
		f.Add([]byte(s.body), "", ct, now, "", auth[:len(auth)-1]+"0")
		f.Add([]byte(s.body), "", ct, now, "", strings.Replace(auth, "/"+s.service+"/", "/s3/", 1))
		f.Add([]byte(s.body), "", ct, now, "bogus-token", auth)
		f.Add([]byte(s.body), "Action=ListUsers", ct, now, "", auth)
		f.Add([]byte(s.body), "", "text/plain", now, "", auth)
		f.Add([]byte(s.body), "", ct, "20200101T000000Z", "", auth)
		f.Add([]byte(s.body), "", ct, now, "", "")
		f.Add([]byte(s.body), "", ct, now, "", strings.Split(auth, ", Signature")[0])
	}
	f.Add([]byte(""), "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date="+now+"&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "", "", "", "")
	f.Add([]byte("%zz"), "%zz", ct, now, "", "AWS4-HMAC-SHA256 Credential=")

	f.Fuzz(func(t *testing.T, body []byte, query, contentType, amzDate, token, authorization string) {
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		req.URL.RawQuery = query // as the client sent it, however malformed
		req.Host = "127.0.0.1:9393"
		req.RemoteAddr = "192.0.2.1:1234"
		setHeader := func(k, v string) {
			if v != "" {
				req.Header[k] = []string{v}
			}
		}
		setHeader("Content-Type", contentType)
		setHeader("X-Amz-Date", amzDate)
		setHeader("X-Amz-Security-Token", token)
		setHeader("Authorization", authorization)
		valid := false
		if authorization != "" {
			for _, svc := range []string{"iam", "sts"} {
				if want, ok := fuzzSign(body, query, contentType, amzDate, token, svc); ok && want == authorization {
					valid = true
				}
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, valid, fmt.Sprintf("body %q query %q", body, query))
	})
}

func TestOversizedBodyRefused(t *testing.T) {
	h := newBenchHandler(t)
	body := "Action=ListUsers&Version=2010-05-08&PathPrefix=/" + strings.Repeat("a", 2<<20)
	for _, chunked := range []bool{false, true} {
		req := sign(t, "iam", body).request()
		if chunked {
			req.ContentLength = -1 // a streamed body: the cap is enforced while reading
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("chunked=%v: status %d, want 4xx", chunked, rec.Code)
		}
		checkAnswer(t, rec, false, "2 MiB body")
	}
}

// TestRandomRequests is a stateful random-request driver: for a bounded
// time it picks operations from the API model, fills their members with
// random and boundary values per shape, signs them properly and checks the
// answers' invariants. Names come from a small pool so that operations meet
// each other's entities.
func TestRandomRequests(t *testing.T) {
	h := newBenchHandler(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	g := &gen{rng: rng}
	models := []*awsmodel.Service{awsmodel.IAM(), awsmodel.STS()}
	deadline := time.Now().Add(*randomRequestsFor)
	n, ok2xx := 0, 0
	for time.Now().Before(deadline) {
		svc := models[0]
		if rng.IntN(8) == 0 {
			svc = models[1]
		}
		op := svc.Operations[svc.OperationNames[rng.IntN(len(svc.OperationNames))]]
		form := url.Values{"Action": {op.Name}, "Version": {svc.APIVersion}}
		if op.Input != nil {
			g.structure(form, "", op.Input, 0)
		}
		body := form.Encode()
		req := sign(t, svc.EndpointPrefix, body).request()
		req.RemoteAddr = "192.0.2.7:1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		checkAnswer(t, rec, true, op.Name+" "+truncate(body, 500))
		if rec.Code == 200 {
			ok2xx++
			if !strings.Contains(rec.Body.String(), "<"+op.Name+"Response") {
				t.Fatalf("%s: success without %sResponse\n%.1000s", op.Name, op.Name, rec.Body)
			}
		}
		n++
	}
	t.Logf("%d requests, %d succeeded", n, ok2xx)
	if n < 20 {
		t.Fatalf("only %d requests in %v", n, *randomRequestsFor)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

type gen struct{ rng *rand.Rand }

var namePool = []string{"alice", "bob", "Alice", "devs", "ops", "Reader", "p1", "P1", "x"}

const validPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`

func (g *gen) structure(form url.Values, prefix string, sh *awsmodel.Shape, depth int) {
	for _, m := range sh.Members {
		if !m.Required && g.rng.IntN(3) != 0 {
			continue
		}
		if m.Required && g.rng.IntN(20) == 0 {
			continue // a missing required member
		}
		g.value(form, prefix+m.Name, m.Name, m.Shape, depth)
	}
}

func (g *gen) value(form url.Values, key, name string, sh *awsmodel.Shape, depth int) {
	r := g.rng
	switch sh.Type {
	case "structure":
		if depth > 3 {
			return
		}
		g.structure(form, key+".", sh, depth+1)
	case "list":
		if depth > 3 {
			return
		}
		n := r.IntN(4)
		if sh.Max != nil && r.IntN(10) == 0 {
			n = int(min(*sh.Max+1, 60))
		}
		elem := "member."
		if sh.Flattened || sh.Member.Flattened {
			elem = ""
		} else if sh.Member.LocationName != "" {
			elem = sh.Member.LocationName + "."
		}
		for i := 1; i <= n; i++ {
			g.value(form, key+"."+elem+strconv.Itoa(i), name, sh.Member.Shape, depth+1)
		}
	case "map":
		for i := 1; i <= r.IntN(3); i++ {
			g.value(form, key+".entry."+strconv.Itoa(i)+".key", "key", sh.Key.Shape, depth+1)
			g.value(form, key+".entry."+strconv.Itoa(i)+".value", "value", sh.Value.Shape, depth+1)
		}
	case "integer", "long":
		lo, hi := int64(-5), int64(1<<40)
		if sh.Min != nil {
			lo = *sh.Min
		}
		if sh.Max != nil {
			hi = *sh.Max
		}
		opts := []string{strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10), strconv.FormatInt(lo-1, 10),
			strconv.FormatInt(hi+1, 10), "0", "-1", "99999999999999999999999", "ten", "1.5", ""}
		if hi > lo {
			opts = append(opts, strconv.FormatInt(lo+r.Int64N(min(hi-lo, 1<<40)), 10))
		}
		form.Set(key, opts[r.IntN(len(opts))])
	case "boolean":
		form.Set(key, []string{"true", "false", "TRUE", "yes", "", "1"}[r.IntN(6)])
	case "timestamp":
		form.Set(key, []string{"2026-01-01T00:00:00Z", "1767225600", "yesterday", "9999-99-99T99:99:99Z"}[r.IntN(4)])
	case "double", "float":
		form.Set(key, []string{"0.5", "-1e308", "NaN", "Inf", "x"}[r.IntN(5)])
	case "blob":
		form.Set(key, []string{"aGVsbG8=", "!!!not base64", "", strings.Repeat("QUFB", 100)}[r.IntN(4)])
	default: // string
		form.Set(key, g.str(name, sh))
	}
}

func (g *gen) str(name string, sh *awsmodel.Shape) string {
	r := g.rng
	lo, hi := 0, 64
	if sh.Min != nil {
		lo = int(*sh.Min)
	}
	if sh.Max != nil {
		hi = int(min(*sh.Max, 4096))
	}
	lname := strings.ToLower(name)
	switch k := r.IntN(12); {
	case len(sh.Enum) > 0 && k < 6:
		return sh.Enum[r.IntN(len(sh.Enum))]
	case strings.Contains(lname, "document") && k < 6:
		return validPolicy
	case strings.HasSuffix(lname, "arn") && k < 6:
		return "arn:aws:iam::123456789012:policy/" + namePool[r.IntN(len(namePool))]
	case k < 6:
		return namePool[r.IntN(len(namePool))]
	case k == 6:
		return randString(r, max(lo-1, 0))
	case k == 7:
		return randString(r, hi+1+r.IntN(10))
	case k == 8:
		return string([]byte{0xff, 0xfe, 'a', 0xc3})
	case k == 9:
		return "<&\"'>\x00\x01\u2028" + randString(r, 3)
	case k == 10:
		if sh.Max != nil && *sh.Max > 4096 {
			return randString(r, int(min(*sh.Max+1, 140_000)))
		}
		return randString(r, hi)
	default:
		return randString(r, lo+r.IntN(max(hi-lo, 1)))
	}
}

func randString(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-/:*?"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}
