package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type wireError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

// do serves req from addr and returns the status and parsed error (zero
// when the answer is not an error).
func do(t *testing.T, h http.Handler, req *http.Request, addr string) (int, wireError) {
	t.Helper()
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var e wireError
	if rec.Code >= 300 {
		if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
			t.Fatalf("status %d, body is not an ErrorResponse: %v\n%s", rec.Code, err, rec.Body)
		}
	}
	return rec.Code, e
}

func badSignature(s signedRequest) *http.Request {
	r := s.request()
	r.Header = r.Header.Clone()
	auth := r.Header.Get("Authorization")
	r.Header.Set("Authorization", auth[:len(auth)-4]+"0000")
	return r
}

func TestAuthFailuresPerKeyAreThrottled(t *testing.T) {
	h := newBenchHandler(t)
	var offset atomic.Int64
	h.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	h.auth.perKey, h.auth.perAddr, h.auth.window = 3, 1000, time.Minute

	good := sign(t, "iam", "Action=ListUsers&Version=2010-05-08")
	for i := range 3 {
		if st, e := do(t, h, badSignature(good), "192.0.2.1:1000"); st != 403 || e.Error.Code != "SignatureDoesNotMatch" {
			t.Fatalf("failure %d: %d %s, want 403 SignatureDoesNotMatch", i, st, e.Error.Code)
		}
	}
	// The key is now throttled, even with a good signature, from anywhere.
	for _, addr := range []string{"192.0.2.1:1000", "198.51.100.7:2000"} {
		st, e := do(t, h, good.request(), addr)
		if st != 400 || e.Error.Code != "Throttling" || e.Error.Message != "Rate exceeded" || e.Error.Type != "Sender" {
			t.Fatalf("from %s: %d %+v, want 400 Throttling", addr, st, e.Error)
		}
		if !strings.HasPrefix(e.Xmlns, "https://iam.amazonaws.com/doc/") || e.RequestID == "" {
			t.Errorf("throttling error shape: %+v", e)
		}
	}
	// STS requests are answered in STS's namespace.
	if st, e := do(t, h, sign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15").request(), "192.0.2.1:1"); st != 400 ||
		e.Error.Code != "Throttling" || !strings.HasPrefix(e.Xmlns, "https://sts.amazonaws.com/doc/") {
		t.Fatalf("sts: %d %+v", st, e)
	}
	// A third of the window returns one token.
	offset.Store(int64(21 * time.Second))
	if st, _ := do(t, h, good.request(), "192.0.2.1:1000"); st != 200 {
		t.Fatalf("after refill: status %d, want 200", st)
	}
	// Successes cost nothing; one more failure empties the bucket again.
	if st, _ := do(t, h, good.request(), "192.0.2.1:1000"); st != 200 {
		t.Fatalf("second success: status %d", st)
	}
	do(t, h, badSignature(good), "192.0.2.1:1000")
	if st, e := do(t, h, good.request(), "192.0.2.1:1000"); st != 400 || e.Error.Code != "Throttling" {
		t.Fatalf("after another failure: %d %s, want Throttling", st, e.Error.Code)
	}
	// After the whole window the key works again.
	offset.Store(int64(90 * time.Second))
	if st, _ := do(t, h, good.request(), "192.0.2.1:1000"); st != 200 {
		t.Fatalf("after the window: status %d, want 200", st)
	}
}

func TestAuthFailuresPerAddressAreThrottled(t *testing.T) {
	h := newBenchHandler(t)
	h.auth.perKey, h.auth.perAddr, h.auth.window = 1000, 5, time.Hour

	// Unknown keys, a different one each time: only the address links them.
	for i := range 5 {
		r := sign(t, "iam", "Action=ListUsers&Version=2010-05-08").request()
		r.Header = r.Header.Clone()
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), benchKeyID, "AKIAUNKNOWN00000000"+string(rune('A'+i)), 1))
		if st, e := do(t, h, r, "203.0.113.9:4000"); st != 403 || e.Error.Code != "InvalidClientTokenId" {
			t.Fatalf("attempt %d: %d %s", i, st, e.Error.Code)
		}
	}
	good := sign(t, "iam", "Action=ListUsers&Version=2010-05-08")
	if st, e := do(t, h, good.request(), "203.0.113.9:4001"); st != 400 || e.Error.Code != "Throttling" {
		t.Fatalf("same address: %d %s, want Throttling", st, e.Error.Code)
	}
	// Another address is not affected, nor is the (valid) key.
	if st, _ := do(t, h, good.request(), "203.0.113.10:4000"); st != 200 {
		t.Fatalf("other address: status %d, want 200", st)
	}
	// Unsigned requests are not failures: they guess nothing.
	h2 := newBenchHandler(t)
	h2.auth.perAddr = 2
	for range 5 {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
		if st, e := do(t, h2, r, "203.0.113.11:1"); st != 403 || e.Error.Code != "MissingAuthenticationToken" {
			t.Fatalf("unsigned: %d %s", st, e.Error.Code)
		}
	}
}

// TestAuthLimiterConcurrent checks the exact count under concurrency: of
// many concurrent failures, the limit is reached, never exceeded.
func TestAuthLimiterConcurrent(t *testing.T) {
	var l authLimiter
	l.perKey, l.perAddr, l.window = 10, 1000, time.Hour
	now := time.Now()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { l.fail("AKIAX", "", now) })
	}
	wg.Wait()
	if l.allowed("AKIAX", "", now) {
		t.Fatal("key allowed after 50 failures with a limit of 10")
	}
	if !l.allowed("AKIAY", "", now) {
		t.Fatal("unrelated key throttled")
	}
}

func TestAuthLimiterMemoryIsBounded(t *testing.T) {
	var l authLimiter
	now := time.Now()
	for i := range maxTrackedBuckets + 50 {
		l.fail("K"+strings.Repeat("x", i%7)+string(rune(i)), "", now)
	}
	if len(l.keys) > maxTrackedBuckets {
		t.Fatalf("%d buckets tracked, limit %d", len(l.keys), maxTrackedBuckets)
	}
}

func TestRequestKeyID(t *testing.T) {
	r, _ := http.NewRequest("GET", "http://x/?X-Amz-Credential=AKIAQUERY%2F20260101%2Fus-east-1%2Fsts%2Faws4_request", nil)
	if got := requestKeyID(r); got != "AKIAQUERY" {
		t.Errorf("presigned: %q", got)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHEADER/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00")
	if got := requestKeyID(r); got != "AKIAHEADER" {
		t.Errorf("header: %q", got)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+strings.Repeat("A", 1000))
	if got := requestKeyID(r); len(got) != maxKeyIDLen {
		t.Errorf("long key ID kept %d bytes", len(got))
	}
}
