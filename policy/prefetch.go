package policy

import "unsafe"

// ctxLines is the mask of the inline Context slots (hash & (ctxSlots-1))
// that the conditions and policy variables of ps look up first: the lines
// of a request's Context that a decision for a principal governed by ps
// is likely to read.
func ctxLines(ps []*Compiled) uint32 {
	var m uint32
	addPat := func(p *pattern) {
		for i := range p.parts {
			if p.parts[i].kind == partVar {
				m |= 1 << p.parts[i].home
			}
		}
	}
	for _, c := range ps {
		for i := range c.stmts {
			s := &c.stmts[i]
			for j := range s.conds {
				k := &s.conds[j]
				m |= 1 << k.home
				for p := range k.pats {
					addPat(&k.pats[p])
				}
				for a := range k.arns {
					if comp := k.arns[a].comp; comp != nil {
						for p := range comp {
							addPat(&comp[p])
						}
					}
				}
			}
			for a := range s.resources {
				if comp := s.resources[a].comp; comp != nil {
					for p := range comp {
						addPat(&comp[p])
					}
				}
			}
		}
	}
	return m
}

// hint names the lines a decision for a prepared Set reads first: the
// merged index's header, the slot of the request's action in its exact
// and service tables, and the request Context's slots of the keys the
// principal's conditions look up. Each is a dependent load, one after
// another, and in a server that cycles through many principals and
// requests each is usually a cache miss; computed from the Set and the
// request alone, their addresses are known at once, so Evaluate asks for
// all of them together and waits for memory about once instead of four
// or five times. A hint only ever feeds prefetches: if it is stale (the
// Set was changed after Prepare) a decision costs more time, never a
// different answer.
type hint struct {
	ctx                uint32 // bit i: inline Context slot i
	exactMask, svcMask uint32
	exact, svc         unsafe.Pointer // the tables' first slots
	// exactBits is the index's filter of exact keys: an action that
	// passes it is usually found in the exact table, and the service
	// table's slot (another page, usually) is not asked for.
	exactBits [4]uint64
}

func newHint(ix *identityIndex, ps []*Compiled) hint {
	h := hint{ctx: ctxLines(ps), exactBits: ix.exactBits}
	if len(ix.exact.slots) > 0 {
		h.exact, h.exactMask = unsafe.Pointer(&ix.exact.slots[0]), uint32(ix.exact.mask)
	}
	if len(ix.bySvc.slots) > 0 {
		h.svc, h.svcMask = unsafe.Pointer(&ix.bySvc.slots[0]), uint32(ix.bySvc.mask)
	}
	return h
}

// prefetch asks for the lines h names for request r with action a, and
// for the start of r's resource text, which statements compare with their
// ARN patterns.
func (h *hint) prefetch(ix *identityIndex, r *Request, a *actionRef) {
	if ix == nil {
		return
	}
	slot, svc := h.slots(a)
	if slot == nil {
		slot = svc
	}
	var ctx unsafe.Pointer
	if c := r.Context; c != nil && h.ctx != 0 {
		ctx = unsafe.Pointer(&c.tab[0])
	}
	// Both ends of the resource: ARN comparisons read its last word
	// first, and an ARN often spans two lines.
	var res, resEnd unsafe.Pointer
	if n := len(r.Resource); n > 0 {
		res = unsafe.Pointer(unsafe.StringData(r.Resource))
		resEnd = unsafe.Add(res, n-1)
	}
	prefetch(unsafe.Pointer(ix), slot, res, resEnd, ctx, h.ctx)
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
