package server

import "runtime/debug"

// DefaultGCPercent is the GOGC iamd runs with unless the environment sets
// GOGC. Go's default, 100, collects each time the heap doubles; iamd's
// live heap is small (tens of MiB even for 100,000 users: the state the
// authorization path reads without the database), and at the default its
// garbage collector ran about 10 cycles a second under 20,000 audited
// decisions a second, each taking a quarter of the CPU while it marks:
// on a 2-core machine that showed as the latency tail (p99 at a fixed
// 20,000/s: 5.5-10.9 ms at 100, 3.8-6.2 ms at 400; docs/bench/authz.md).
// 400 trades up to five times the live heap for a quarter of the cycles.
// GOMEMLIMIT, if set, still bounds the heap.
const DefaultGCPercent = 400

// TuneGC applies DefaultGCPercent when getenv has no GOGC, and reports
// the GOGC in force.
func TuneGC(getenv func(string) string) int {
	if v := getenv("GOGC"); v != "" {
		// The runtime has already applied it; read it back.
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	debug.SetGCPercent(DefaultGCPercent)
	return DefaultGCPercent
}
