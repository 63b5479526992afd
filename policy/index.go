package policy

import (
	"slices"
	"unique"
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
	s.hint = newHint(s.index, s.Identity)
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
	// exactBits has bit hash>>56 set for every key of exact: an action
	// that is no policy's exact key usually skips that table's probe (a
	// cold line) for the service table's.
	exactBits [4]uint64
	// first and n identify the Identity slice the index was built from
	// (its backing array and length): comparing them costs no memory
	// access beyond this line.
	first  **Compiled
	n      int
	exact  mtable
	bySvc  mtable
	global []mref
}

// mtable is the merged index's hash table: actTable's layout reworked for
// a table probed once per decision whose memory is usually cold (one per
// principal). A slot is one 64-byte line holding its key as an interned
// handle, compared by pointer with a request's ActionKey instead of
// reading the key's text from elsewhere, and the first two candidates
// inline: a probe that finds its key usually reads nothing else of the
// index.
type mtable struct {
	slots []mslot
	mask  uint64
}

type mslot struct {
	hash uint64
	key  unique.Handle[string] // zero marks an empty slot
	n    int                   // candidates: inl[:min(n, 2)], then rest[:n-2]
	rest *mref
	inl  [2]mref
}

func newMTable(m map[string][]mref) mtable {
	n := 1
	for 3*n < 4*len(m)+4 {
		n <<= 1
	}
	t := mtable{slots: make([]mslot, n), mask: uint64(n - 1)}
	for k, v := range m {
		h := hashFold(k)
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			s := &t.slots[i]
			if s.key != (unique.Handle[string]{}) {
				continue
			}
			s.hash, s.key, s.n = h, unique.Make(k), len(v)
			copy(s.inl[:], v)
			if len(v) > len(s.inl) {
				s.rest = &v[len(s.inl)]
			}
			break
		}
	}
	return t
}

// get looks key up as actTable.get does; id, if not zero, is the handle
// of key (lower case), and then no key text is read.
func (t *mtable) get(h uint64, id unique.Handle[string], key string, lower bool) *mslot {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch {
		case s.key == (unique.Handle[string]{}):
			return nil
		case s.hash != h:
		case id != (unique.Handle[string]{}):
			if s.key == id {
				return s
			}
		default:
			if k := s.key.Value(); len(k) == len(key) && (lower && eqStr(k, key) || !lower && hasPrefixFold(key, k)) {
				return s
			}
		}
	}
}

// mref is one candidate statement: the statement itself and its index
// entry in its policy, or nil when the entry says the action is known to
// match, so that a candidate's first read is the statement.
type mref struct {
	s   *cstmt
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
			r := mref{s: &c.stmts[list[i].stmt], ent: &list[i]}
			if r.ent.known {
				r.ent = nil
			}
			all = append(all, r)
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
	ix.exact = newMTable(lists(exact))
	for k := range exact {
		b := hashFold(k) >> 56
		ix.exactBits[b>>6] |= 1 << (b & 63)
	}
	ix.bySvc = newMTable(lists(svc))
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

// candidates is Compiled.candidates over the merged index: the slot of
// the action or of its service, or nil for the global list.
func (ix *identityIndex) candidates(a *actionRef) *mslot {
	if ix.svcBits&(1<<(a.svcHash&63)) == 0 {
		return nil
	}
	if b := a.hash >> 56; ix.exactBits[b>>6]&(1<<(b&63)) != 0 {
		if s := ix.exact.get(a.hash, a.id, a.act, a.lower); s != nil {
			return s
		}
	}
	if a.svcLen >= 0 {
		if s := ix.bySvc.get(a.svcHash, a.svcID, a.act[:a.svcLen], a.lower); s != nil {
			return s
		}
	}
	return nil
}

// merged evaluates the identity gate through ix: what Evaluate's loop
// over the identity policies computes, with one index probe.
func (e *evaluator) merged(ix *identityIndex) (allow, deny bool) {
	s := ix.candidates(&e.act)
	if s == nil {
		for k := range ix.global {
			r := &ix.global[k]
			a, d := e.candidate(r)
			allow, deny = allow || a, deny || d
		}
		return allow, deny
	}
	n := s.n
	for k := 0; k < n && k < len(s.inl); k++ {
		a, d := e.candidate(&s.inl[k])
		allow, deny = allow || a, deny || d
	}
	if n > len(s.inl) {
		rest := unsafe.Slice(s.rest, n-len(s.inl))
		for k := range rest {
			a, d := e.candidate(&rest[k])
			allow, deny = allow || a, deny || d
		}
	}
	return allow, deny
}

// candidate evaluates one candidate statement of the merged index.
func (e *evaluator) candidate(r *mref) (allow, deny bool) {
	m, eff := e.statement(r.s, r.ent, GateIdentity)
	if m == matchNone {
		return false, false
	}
	return eff == Allow, eff != Allow
}
