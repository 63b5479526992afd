package authzapi_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/authzapi"
	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/sqlite"
)

// handlerRequest returns a POST of body to path authenticated with the
// service's static token, so that the benchmark measures the handler, not
// the client's signing.
func handlerRequest(f *fixture, path string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+f.token(acct+"/service"))
	r.RemoteAddr = "192.0.2.1:1234"
	return r
}

func benchHandler(b *testing.B, path string, in any) {
	f := newFixture(b)
	benchHandlerWith(b, f, authzapi.NewHandler(authzapi.Config{Service: f.svc}), path, in)
}

func benchHandlerWith(b *testing.B, f *fixture, h *authzapi.Handler, path string, in any) {
	body, _ := json.Marshal(in)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, handlerRequest(f, path, body))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"decision"`) {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, handlerRequest(f, path, body))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}

func BenchmarkHandlerAuthorizeARN(b *testing.B) {
	benchHandler(b, "/iamd/authz/v1/authorize", &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
		Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a", Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}}}})
}

// BenchmarkHandlerAuthorizeARNAudited is BenchmarkHandlerAuthorizeARN
// with every decision recorded in an audit trail of its own (SQLite in a
// temporary directory): cpu-ns/op includes the writer's goroutine.
func BenchmarkHandlerAuthorizeARNAudited(b *testing.B) {
	f := newFixture(b)
	db, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "trail.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	_, key, _ := ed25519.GenerateKey(nil)
	w, err := audit.NewWriter(b.Context(), audit.Config{Store: db, Key: key})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	h := authzapi.NewHandler(authzapi.Config{Service: f.svc, Audit: w})
	defer h.Close()
	benchHandlerWith(b, f, h, "/iamd/authz/v1/authorize", &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
		Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a", Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}}}})
}

func BenchmarkHandlerAuthorizeSigned(b *testing.B) {
	f := newFixture(b)
	sr := f.signed(b, acct+"/alice", "", "s3", http.MethodGet, "/data/a?x-id=GetObject", nil)
	h := authzapi.NewHandler(authzapi.Config{Service: f.svc})
	body, _ := json.Marshal(&authzclient.AuthorizeRequest{Subject: authzclient.Subject{SignedRequest: sr},
		Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}})
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, handlerRequest(f, "/iamd/authz/v1/authorize", body))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}

func BenchmarkHandlerBatch10(b *testing.B) {
	checks := make([]authzclient.Check, 10)
	for i := range checks {
		checks[i] = authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/k" + itoa(i)}
	}
	f := newFixture(b)
	h := authzapi.NewHandler(authzapi.Config{Service: f.svc})
	body, _ := json.Marshal(&authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Checks: checks})
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, handlerRequest(f, "/iamd/authz/v1/authorize-batch", body))
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*10)/b.Elapsed().Seconds(), "decisions/s")
}

// reportCPU reports the process's CPU time per operation: on a shared
// machine wall time per op moves with other jobs' load, CPU time much
// less. Call as defer reportCPU(b)().
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
