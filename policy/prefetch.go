package policy

import "unsafe"

// hint names the lines of the merged index a decision for a prepared Set
// reads first: the index's header and the slot of the request's action in
// its exact or service table. Each is a dependent load after the Set, and
// in a server that cycles through many principals each is usually a
// cache miss; computed from the Set and the action alone, their addresses
// are known at once, so Evaluate asks for both together and waits for
// memory once instead of twice. A hint only ever feeds prefetches: if it
// is stale (the Set was changed after Prepare) a decision costs more
// time, never a different answer.
type hint struct {
	exactMask, svcMask uint32
	// Padding: it keeps a Set at 184 bytes, in the runtime's 192-byte
	// size class, whose objects start on cache lines (at 176 bytes a Set
	// would straddle one more line). TestSetSize checks it.
	_ uint64
	exact, svc         unsafe.Pointer // the tables' first slots
	// exactBits is the index's filter of exact keys: an action that
	// passes it is usually found in the exact table, and the service
	// table's slot (another page, usually) is not asked for.
	exactBits [4]uint64
}

func newHint(ix *identityIndex) hint {
	h := hint{exactBits: ix.exactBits}
	if len(ix.exact.slots) > 0 {
		h.exact, h.exactMask = unsafe.Pointer(&ix.exact.slots[0]), uint32(ix.exact.mask)
	}
	if len(ix.bySvc.slots) > 0 {
		h.svc, h.svcMask = unsafe.Pointer(&ix.bySvc.slots[0]), uint32(ix.bySvc.mask)
	}
	return h
}

// prefetch asks for the lines of the merged index h names for action a.
func (h *hint) prefetch(ix *identityIndex, a *actionRef) {
	if ix == nil {
		return
	}
	slot, svc := h.slots(a)
	if slot == nil {
		slot = svc
	}
	prefetch(unsafe.Pointer(ix), slot, nil, nil, nil, 0)
}

// prefetchRequest asks for the lines of set and r a decision reads first,
// before it reads any: the Set's first line, the start of r's Context
// (its header, index and first records: a Context keeps a request's keys
// and values together, so these lines are what conditions read) and both
// ends of the resource, which statements compare with their ARN patterns
// (they read its last word first, and an ARN often spans two lines). They
// depend on the request alone, so their misses overlap with the Set's
// instead of following it.
func prefetchRequest(set *Set, r *Request) {
	var res, resEnd, ctx unsafe.Pointer
	if n := len(r.Resource); n > 0 {
		res = unsafe.Pointer(unsafe.StringData(r.Resource))
		resEnd = unsafe.Add(res, n-1)
	}
	if r.Context != nil {
		ctx = unsafe.Pointer(r.Context)
	}
	prefetchRequestLines(unsafe.Pointer(set), res, resEnd, ctx)
}

// slots returns the first slot the merged index probes for a in its exact
// table, or else in its service table; nil for a table that is empty or
// not probed.
func (h *hint) slots(a *actionRef) (exact, svc unsafe.Pointer) {
	if b := a.hash >> 56; h.exact != nil && h.exactBits[b>>6]&(1<<(b&63)) != 0 {
		exact = unsafe.Add(h.exact, uintptr(uint32(a.hash)&h.exactMask)*unsafe.Sizeof(mslot{}))
		return exact, nil
	}
	if h.svc != nil && a.svcLen >= 0 {
		svc = unsafe.Add(h.svc, uintptr(uint32(a.svcHash)&h.svcMask)*unsafe.Sizeof(mslot{}))
	}
	return exact, svc
}

// ctxPrefetchLines is how many lines of a Context prefetchRequestLines
// asks for: its header, its index and ten lines of records (632 bytes,
// those of a usual request's global condition keys).
const ctxPrefetchLines = 12
