package policy

import "testing"

func BenchmarkExpWindow(b *testing.B) {
	loadWorkload(b)
	for _, n := range []int{1000, 3000, 6000, 12000, len(wlS3)} {
		b.Run(itoa(n), func(b *testing.B) { benchWorkload(b, wlS3[:n]) })
	}
}
