package policy

import (
	"slices"
	"unsafe"
)

// Prepare merges the action indexes of s.Identity into one, so that
// Evaluate probes a single table per request for the whole identity side
// instead of one or two per policy, and walks only the statements whose
// action can match. Call it once the set is assembled and before it is
// shared: it modifies s. Copies of s made afterwards share the merged
// index. Evaluate uses the index only while s.Identity is the slice
// Prepare saw (same backing array and length) and otherwise evaluates
// the policies one by one; a caller that overwrites elements of
// s.Identity in place must call Prepare again.
func (s *Set) Prepare() {
	s.index = newIdentityIndex(s.Identity)
}

// identityIndex is the merged action index of a list of policies, built
// from their own indexes: for each key, the concatenation in policy order
// of what each policy's index returns for it. A request's action finds its
// candidates as in one policy: its exact entry, else its service's, else
// the global list, because an action that is no policy's exact key gets
// from every policy what that policy keeps for its service (or its
// global list), and likewise for services.
type identityIndex struct {
	// The fields every decision reads come first, in one cache line.
	svcBits uint64
	// first and n identify the Identity slice the index was built from
	// (its backing array and length): comparing them costs no memory
	// access beyond this line.
	first  **Compiled
	n      int
	exact  actTable[mref]
	bySvc  actTable[mref]
	global []mref
}

// mref is one candidate statement: an index entry of one of the policies.
type mref struct {
	c   *Compiled
	ent *entry
}

func newIdentityIndex(ps []*Compiled) *identityIndex {
	ix := &identityIndex{first: unsafe.SliceData(ps), n: len(ps)}
	var exactKeys, svcKeys []string
	for _, c := range ps {
		ix.svcBits |= c.svcBits
		for i := range c.exact.slots {
			if sl := &c.exact.slots[i]; sl.list != nil {
				exactKeys = append(exactKeys, sl.key)
			}
		}
		for i := range c.bySvc.slots {
			if sl := &c.bySvc.slots[i]; sl.list != nil {
				svcKeys = append(svcKeys, sl.key)
			}
		}
	}
	slices.Sort(exactKeys)
	exactKeys = slices.Compact(exactKeys)
	slices.Sort(svcKeys)
	svcKeys = slices.Compact(svcKeys)

	// All lists share one backing array, in key order, so that a
	// principal's index is a few contiguous blocks of memory.
	var all []mref
	type span struct{ lo, hi int }
	add := func(c *Compiled, list []entry) {
		for i := range list {
			all = append(all, mref{c: c, ent: &list[i]})
		}
	}
	exact := make(map[string]span, len(exactKeys))
	for _, k := range exactKeys {
		a := newActionRefLower(k)
		lo := len(all)
		for _, c := range ps {
			add(c, c.candidates(&a))
		}
		exact[k] = span{lo, len(all)}
	}
	svc := make(map[string]span, len(svcKeys))
	for _, k := range svcKeys {
		// An action of service k that is no policy's exact key.
		a := actionRef{act: k + ":", lower: true, svcHash: hashFold(k), svcLen: len(k)}
		lo := len(all)
		for _, c := range ps {
			add(c, c.svcCandidates(&a))
		}
		svc[k] = span{lo, len(all)}
	}
	lo := len(all)
	for _, c := range ps {
		add(c, c.global)
	}
	all = slices.Clip(all)
	ix.global = all[lo:]
	lists := func(m map[string]span) map[string][]mref {
		out := make(map[string][]mref, len(m))
		for k, s := range m {
			out[k] = all[s.lo:s.hi:s.hi]
		}
		return out
	}
	ix.exact = newActTable(lists(exact))
	ix.bySvc = newActTable(lists(svc))
	return ix
}

// newActionRefLower is the actionRef of a lower-case action.
func newActionRefLower(a string) actionRef {
	r := actionRef{act: a, lower: true, hash: hashFold(a)}
	r.prepare()
	return r
}

// svcCandidates is candidates for an action of a's service that c's exact
// table does not hold.
func (c *Compiled) svcCandidates(a *actionRef) []entry {
	if c.svcBits&(1<<(a.svcHash&63)) != 0 {
		if l, ok := c.bySvc.get(a.svcHash, a.act[:a.svcLen], true); ok {
			return l
		}
	}
	return c.global
}

// valid reports whether ps is the slice the index was built from.
func (ix *identityIndex) valid(ps []*Compiled) bool {
	return len(ps) == ix.n && unsafe.SliceData(ps) == ix.first
}

// candidates is Compiled.candidates over the merged index.
func (ix *identityIndex) candidates(a *actionRef) []mref {
	if ix.svcBits&(1<<(a.svcHash&63)) == 0 {
		return ix.global
	}
	if l, ok := ix.exact.get(a.hash, a.act, a.lower); ok {
		return l
	}
	if a.svcLen >= 0 {
		if l, ok := ix.bySvc.get(a.svcHash, a.act[:a.svcLen], a.lower); ok {
			return l
		}
	}
	return ix.global
}

// merged evaluates the identity gate through ix: what Evaluate's loop
// over the identity policies computes, with one index probe.
func (e *evaluator) merged(ix *identityIndex) (allow, deny bool) {
	list := ix.candidates(&e.act)
	for k := range list {
		r := &list[k]
		m, eff := e.statement(r.c, r.ent, GateIdentity)
		if m == matchNone {
			continue
		}
		if eff == Allow {
			allow = true
		} else {
			deny = true
		}
	}
	return allow, deny
}
