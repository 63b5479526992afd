//go:build !amd64

package policy

import "unsafe"

// prefetch is a no-op where iamd has no prefetch instruction.
func prefetch(a, b, c, d, base unsafe.Pointer, mask uint32) {}
