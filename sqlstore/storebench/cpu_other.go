//go:build !unix

package storebench

import "time"

// ProcessCPU is not measured here: cpu-µs/event then reads 0.
func ProcessCPU() time.Duration { return 0 }
