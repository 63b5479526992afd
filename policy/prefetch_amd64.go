package policy

import "unsafe"

// prefetch issues PREFETCHT0 for the lines at a, b, c and d, those that
// are not nil, and for the 64-byte line base+64*i of every bit i set in mask.
// A prefetch never faults and changes nothing a program can observe, only
// what is in cache.
//
//go:noescape
func prefetch(a, b, c, d, base unsafe.Pointer, mask uint32)
