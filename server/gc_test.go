package server

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := TuneGC(getenv); got != DefaultGCPercent || debug.SetGCPercent(100) != DefaultGCPercent {
		t.Fatalf("without GOGC: TuneGC = %d, want %d in force", got, DefaultGCPercent)
	}
	// With GOGC set the runtime's value stands (here 150, as if the
	// runtime had read GOGC=150 at start).
	env["GOGC"] = "150"
	debug.SetGCPercent(150)
	if got := TuneGC(getenv); got != 150 || debug.SetGCPercent(150) != 150 {
		t.Fatalf("with GOGC=150: TuneGC = %d, want 150 left in force", got)
	}
}
