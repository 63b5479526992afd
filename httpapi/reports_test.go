package httpapi

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/metrics"
)

type observed struct {
	service, action string
	status          int
	code            string
}

type fakeObserver struct {
	mu  sync.Mutex
	got []observed
}

func (f *fakeObserver) ObserveDenial(bool) {}

func (f *fakeObserver) ObserveRequest(service, action string, status int, code string, _ time.Duration) {
	f.mu.Lock()
	f.got = append(f.got, observed{service, action, status, code})
	f.mu.Unlock()
}

// TestObserveRequests checks what the metrics hook and the access log are
// told about requests: successes, API errors and unauthenticated ones.
func TestObserveRequests(t *testing.T) {
	base := newBenchHandler(t)
	obs := &fakeObserver{}
	var logs bytes.Buffer
	h := NewHandler(Config{Service: base.svc, Metrics: obs,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, tc := range []struct {
		req  *http.Request
		want observed
	}{
		{sign(t, "iam", "Action=GetUser&UserName=alice&Version=2010-05-08").request(), observed{"iam", "GetUser", 200, ""}},
		{sign(t, "iam", "Action=GetUser&UserName=nobody&Version=2010-05-08").request(), observed{"iam", "GetUser", 404, "NoSuchEntity"}},
		{sign(t, "sts", "Action=GetCallerIdentity&Version=2011-06-15").request(), observed{"sts", "GetCallerIdentity", 200, ""}},
		{func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}(), observed{"iam", "", 403, "MissingAuthenticationToken"}},
	} {
		obs.got = nil
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, tc.req)
		if len(obs.got) != 1 || obs.got[0] != tc.want {
			t.Errorf("observed %+v, want %+v", obs.got, tc.want)
		}
		if id := w.h.Get("X-Amzn-Requestid"); id == "" || !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("request %s not logged with its request ID:\n%s", id, logs.String())
		}
	}
	for _, secret := range []string{benchSecret, "Signature="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("access log contains %q", secret)
		}
	}
}

// BenchmarkHandlerMetrics is BenchmarkHandler's GetUser with and without
// the Prometheus metrics, to show what instrumentation costs per request.
func BenchmarkHandlerMetrics(b *testing.B) {
	base := newBenchHandler(b)
	req := sign(b, "iam", "Action=GetUser&UserName=alice&Version=2010-05-08")
	for _, tc := range []struct {
		name string
		obs  RequestObserver
	}{{"Off", nil}, {"On", metrics.New()}} {
		h := NewHandler(Config{Service: base.svc, Metrics: tc.obs})
		b.Run(tc.name, func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req.request())
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
