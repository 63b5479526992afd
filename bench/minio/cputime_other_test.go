//go:build !linux

package miniobench

import "time"

func threadCPU() time.Duration { return 0 }
