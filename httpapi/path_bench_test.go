package httpapi

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/metrics"
)

// discardAuditor takes events and drops them: it leaves only the request
// side of auditing (building and redacting the event) in a benchmark.
type discardAuditor struct{ n atomic.Int64 }

func (d *discardAuditor) Record(_ context.Context, e *audit.Event) error { d.n.Add(1); return nil }
func (d *discardAuditor) Enqueue(e *audit.Event) error                   { d.n.Add(1); return nil }

// encodeAuditor encodes events as audit.Writer does on the caller's
// goroutine (Canonical), then drops them.
type encodeAuditor struct{ n atomic.Int64 }

func (d *encodeAuditor) Record(_ context.Context, e *audit.Event) error { return d.Enqueue(e) }
func (d *encodeAuditor) Enqueue(e *audit.Event) error {
	body, err := e.Canonical()
	d.n.Add(int64(len(body)))
	return err
}

// BenchmarkRequestPath is a whole signed request in process, with the
// handler configured as the server configures it: Prometheus metrics and
// the audit trail, reads left out of it (reads=skip, IAMD_AUDIT_READS=false)
// or recorded by an auditor that drops them (reads=request-side: what
// building the read's event costs the request, without the store;
// reads=request-side+encode also encodes it, as audit.Writer does on the
// request's goroutine before queueing it). bare
// is the handler without metrics or audit. docs/bench/httppath.md has the
// figures; run it with -cpu 1.
func BenchmarkRequestPath(b *testing.B) {
	base := newBenchHandler(b)
	m := metrics.New()
	handlers := []struct {
		name string
		h    *Handler
	}{
		{"bare", base},
		{"reads=skip", NewHandler(Config{Service: base.svc, Metrics: m, Audit: &discardAuditor{}, SkipReadEvents: true})},
		{"reads=request-side", NewHandler(Config{Service: base.svc, Metrics: m, Audit: &discardAuditor{}})},
		{"reads=request-side+encode", NewHandler(Config{Service: base.svc, Metrics: m, Audit: &encodeAuditor{}})},
	}
	for _, tc := range []struct{ name, service, body string }{
		{"GetCallerIdentity", "sts", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"GetUser", "iam", "Action=GetUser&UserName=alice&Version=2010-05-08"},
	} {
		req := sign(b, tc.service, tc.body)
		for _, hc := range handlers {
			b.Run(tc.name+"/"+hc.name, func(b *testing.B) {
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					hc.h.ServeHTTP(w, req.request())
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				}
			})
		}
	}
}
