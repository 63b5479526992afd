package miniobench

import (
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/iamd/iamd/policy"
)

// TestAgreement reports both engines' agreement with the workload's
// expected decisions: iamd on all requests and on the S3 subset, MinIO on
// the S3 requests it can be asked, split by expressibility.
func TestAgreement(t *testing.T) {
	l := load(t)
	d := policy.Decision{Matched: make([]policy.StatementRef, 0, 32)}
	agree := func(cs []iamdCase) int {
		n := 0
		for i := range cs {
			policy.Evaluate(cs[i].set, &cs[i].req, &d)
			if d.Effect.String() == cs[i].expected {
				n++
			}
		}
		return n
	}
	a, s := agree(l.iamdAll), agree(l.iamdS3)
	if nk := agree(l.iamdS3NoKey); nk != s {
		t.Errorf("iamd s3 without ActionKeys agrees on %d, with them on %d", nk, s)
	}
	t.Logf("iamd: all %d/%d (%.2f%%), s3 %d/%d (%.2f%%)", a, len(l.iamdAll), pct(a, len(l.iamdAll)), s, len(l.iamdS3), pct(s, len(l.iamdS3)))
	if a != len(l.iamdAll) {
		t.Errorf("iamd disagrees on %d requests", len(l.iamdAll)-a)
	}
	var all, ok, expr, exprOK int
	for _, c := range l.minio {
		got := c.pol.IsAllowed(c.args)
		want := c.expected == "Allow"
		all++
		if got == want {
			ok++
		}
		if c.expressible {
			expr++
			if got == want {
				exprOK++
			}
		}
	}
	t.Logf("minio: S3 requests it knows %d; expressible %d (%.1f%%); agreement on expressible %d/%d (%.2f%%), on all %d/%d (%.2f%%)",
		all, expr, pct(expr, all), exprOK, expr, pct(exprOK, expr), ok, all, pct(ok, all))
	var reasons []string
	for k, v := range l.untranslatable {
		reasons = append(reasons, k+": "+v)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		t.Logf("  minio cannot express %s", r)
	}
}

func pct(a, b int) float64 { return 100 * float64(a) / float64(b) }

func benchIamd(b *testing.B, cs []iamdCase) {
	d := policy.Decision{Matched: make([]policy.StatementRef, 0, 32)}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	start := threadCPU()
	for b.Loop() {
		policy.Evaluate(cs[i].set, &cs[i].req, &d)
		if i++; i == len(cs) {
			i = 0
		}
	}
	reportCPU(b, start)
}

// reportCPU reports the thread CPU time per op since start: the machine is
// shared, and time spent descheduled inflates ns/op but not cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if d := threadCPU() - start; start != 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func benchIamdParallel(b *testing.B, cs []iamdCase) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := policy.Decision{Matched: make([]policy.StatementRef, 0, 32)}
		i := 0
		for pb.Next() {
			policy.Evaluate(cs[i].set, &cs[i].req, &d)
			if i++; i == len(cs) {
				i = 0
			}
		}
	})
}

// BenchmarkIamd: one op = one iamd decision, cycling through the requests
// in file order.
func BenchmarkIamd(b *testing.B) {
	l := load(b)
	b.Run("all", func(b *testing.B) { benchIamd(b, l.iamdAll) })
	b.Run("s3", func(b *testing.B) { benchIamd(b, l.iamdS3) })
	// The action as request text, lower-cased and hashed per decision.
	b.Run("s3-nokey", func(b *testing.B) { benchIamd(b, l.iamdS3NoKey) })
}

func BenchmarkIamdParallel(b *testing.B) {
	l := load(b)
	b.Run("all", func(b *testing.B) { benchIamdParallel(b, l.iamdAll) })
	b.Run("s3", func(b *testing.B) { benchIamdParallel(b, l.iamdS3) })
}

// BenchmarkMinIO: one op = one MinIO decision (Policy.IsAllowed on the
// principal's pre-merged S3 policy), cycling through the S3 requests MinIO
// knows, in file order.
func BenchmarkMinIO(b *testing.B) {
	l := load(b)
	b.Run("s3", func(b *testing.B) {
		b.ReportAllocs()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		i := 0
		start := threadCPU()
		for b.Loop() {
			c := &l.minio[i]
			c.pol.IsAllowed(c.args)
			if i++; i == len(l.minio) {
				i = 0
			}
		}
		reportCPU(b, start)
	})
}

func BenchmarkMinIOParallel(b *testing.B) {
	l := load(b)
	b.Run("s3", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				c := &l.minio[i]
				c.pol.IsAllowed(c.args)
				if i++; i == len(l.minio) {
					i = 0
				}
			}
		})
	})
}
