package policy

import (
	"os"
	"testing"
)

// BenchmarkIamdColdParts splits the cost of a cold decision between the
// request's memory and the principal's: the S3 requests of the workload
// cycled as in BenchmarkIamd/s3, with the request's Context, the whole
// request, or the principal's set taken from a small window that stays
// in cache (the copied requests of the middle rows keep their Contexts
// where wlS3 holds them, apart from the copy). It is a diagnostic, not a figure of the engine, so it runs
// only with POLICY_BENCH_PARTS=1 (bench.sh's `-bench .` skips it).
func BenchmarkIamdColdParts(b *testing.B) {
	if os.Getenv("POLICY_BENCH_PARTS") != "1" {
		b.Skip("set POLICY_BENCH_PARTS=1")
	}
	loadWorkload(b)
	n := len(wlS3)
	hotCtx := make([]workloadCase, n)
	hotSet := make([]workloadCase, n)
	hotReq := make([]workloadCase, n)
	for i := range wlS3 {
		hotCtx[i] = wlS3[i]
		hotCtx[i].req.Context = wlS3[i%64].req.Context
		hotSet[i] = wlS3[i]
		hotSet[i].set = wlS3[i%16].set
		hotReq[i] = wlS3[i%256]
		hotReq[i].set = wlS3[i].set
	}
	b.Run("all-cold", func(b *testing.B) { benchWorkload(b, wlS3) })
	b.Run("context-hot", func(b *testing.B) { benchWorkload(b, hotCtx) })
	b.Run("principal-hot", func(b *testing.B) { benchWorkload(b, hotSet) })
	b.Run("request-hot", func(b *testing.B) { benchWorkload(b, hotReq) })
	b.Run("all-hot", func(b *testing.B) { benchWorkload(b, wlS3[:256]) })
}
