package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/sqlite"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestObserveRequest(t *testing.T) {
	m := New()
	m.ObserveRequest("iam", "GetUser", 200, "", 3*time.Millisecond)
	m.ObserveRequest("iam", "GetUser", 200, "", 4*time.Millisecond)
	m.ObserveRequest("iam", "CreateUser", 403, "AccessDenied", time.Millisecond)
	m.ObserveRequest("sts", "GetCallerIdentity", 200, "", time.Millisecond)
	out := scrape(t, m.Handler())
	for _, want := range []string{
		`iamd_requests_total{action="GetUser",error_code="",service="iam",status="200"} 2`,
		`iamd_requests_total{action="CreateUser",error_code="AccessDenied",service="iam",status="403"} 1`,
		`iamd_requests_total{action="GetCallerIdentity",error_code="",service="sts",status="200"} 1`,
		`iamd_request_duration_seconds_count{action="GetUser",service="iam"} 2`,
		`iamd_request_duration_seconds_bucket{action="GetUser",service="iam",le="0.005"} 2`,
		`iamd_request_duration_seconds_bucket{action="GetUser",service="iam",le="0.0025"} 0`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestReadyHandler(t *testing.T) {
	m := New()
	var fail error
	h := ReadyHandler(m.WatchStore(func(context.Context) error { return fail }))
	for _, tc := range []struct {
		err    error
		status int
		up     string
	}{
		{nil, http.StatusOK, "iamd_store_up 1"},
		{errors.New("database is closed"), http.StatusServiceUnavailable, "iamd_store_up 0"},
		{nil, http.StatusOK, "iamd_store_up 1"},
	} {
		fail = tc.err
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != tc.status {
			t.Errorf("readyz with %v = %d, want %d", tc.err, rec.Code, tc.status)
		}
		if out := scrape(t, m.Handler()); !strings.Contains(out, tc.up) {
			t.Errorf("after readyz with %v, scrape lacks %q", tc.err, tc.up)
		}
	}
}

// BenchmarkObserveRequest is the cost metrics add to every request once
// its series exists: it must not allocate.
func BenchmarkObserveRequest(b *testing.B) {
	m := New()
	m.ObserveRequest("iam", "GetUser", 200, "", time.Millisecond)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("iam", "GetUser", 200, "", time.Millisecond)
		}
	})
}

// TestReadyzFollowsStore closes a real store under /readyz: it must turn
// from 200 to 503.
func TestReadyzFollowsStore(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := ReadyHandler(New().WatchStore(StorePing(db)))
	get := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("readyz with an open store = %d, want 200", got)
	}
	db.Close()
	if got := get(); got != http.StatusServiceUnavailable {
		t.Errorf("readyz with a closed store = %d, want 503", got)
	}
}

// TestObserveRequestConcurrent adds series from many goroutines at once:
// the copy-on-write cache must lose no series and no count.
func TestObserveRequestConcurrent(t *testing.T) {
	m := New()
	const workers, actions, rounds = 8, 20, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				a := (w + r) % actions
				m.ObserveRequest("iam", "Action"+strconv.Itoa(a), 200, "", time.Millisecond)
			}
		}()
	}
	wg.Wait()
	out := scrape(t, m.Handler())
	total := 0
	for a := range actions {
		line := `iamd_requests_total{action="Action` + strconv.Itoa(a) + `",error_code="",service="iam",status="200"} `
		i := strings.Index(out, line)
		if i < 0 {
			t.Fatalf("series for Action%d missing", a)
		}
		rest := out[i+len(line):]
		n, err := strconv.Atoi(rest[:strings.IndexByte(rest, '\n')])
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != workers*rounds {
		t.Fatalf("counted %d requests, want %d", total, workers*rounds)
	}
	if got := len(*m.series.Load()); got != actions {
		t.Fatalf("%d cached series, want %d", got, actions)
	}
}
