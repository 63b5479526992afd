package audit

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

// NewEventID returns a new eventID: a UUID (RFC 9562 version 7) whose first
// 48 bits are the Unix time in milliseconds and the rest random, with a
// counter in rand_a so that IDs made in one millisecond still ascend.
// CloudTrail's eventIDs are UUIDs without a documented version; the time
// order is what makes them cheap to index: a store's event ID index grows
// at its right edge, so a group commit dirties a few index pages instead of
// one random page per event (random version 4 IDs made the index the
// largest part of a read event's cost, see docs/bench/audit.md).
func NewEventID() string {
	ms := uint64(time.Now().UnixMilli())
	eventIDMu.Lock()
	if ms <= eventIDLast {
		ms = eventIDLast
		eventIDSeq++
		if eventIDSeq > 0xfff { // 4096 IDs in one millisecond: borrow the next
			ms++
			eventIDSeq = 0
		}
	} else {
		eventIDSeq = 0
	}
	eventIDLast = ms
	seq := eventIDSeq
	eventIDMu.Unlock()
	var b [16]byte
	_, _ = rand.Read(b[8:])
	binary.BigEndian.PutUint64(b[0:8], ms<<16|0x7000|uint64(seq))
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

var (
	eventIDMu   sync.Mutex
	eventIDLast uint64
	eventIDSeq  uint64
)
