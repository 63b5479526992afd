package policy

import (
	"errors"
	"slices"
	"strings"
)

// Compiled is a policy prepared for evaluation: patterns pre-split and
// pre-lowered, IP blocks, dates and numbers parsed, and an index from
// action to the statements that can apply to it, so statements about
// other actions cost nothing. It is immutable and safe for concurrent use.
type Compiled struct {
	// ID and VersionID identify the policy in [StatementRef]s (a policy
	// ARN or name, and "v3" for managed policy versions).
	ID        string
	VersionID string
	Type      PolicyType
	Policy    *Policy

	stmts []cstmt
	// The action index. A request's lower-cased action is looked up in
	// exact (actions named without wildcards); failing that its service
	// prefix in bySvc; failing that global holds what can match any
	// action. Each list is complete for its key and in statement order.
	exact  actTable[entry]
	bySvc  actTable[entry]
	global []entry
	// svcBits has bit hash%64 set for the hash of every service prefix
	// that occurs in exact or bySvc, so most policies that do not mention
	// the request's service skip both table probes.
	svcBits uint64
}

// entry is one statement in an index list, with only the action patterns
// that can match actions of the list's key: a statement listing 75
// services' actions is checked against its few patterns for the request's
// service, not against all 75.
type entry struct {
	stmt  int32
	known bool      // the action is known to match (Action only)
	pats  []pattern // Action: any match matches; NotAction: any match excludes
}

type cstmt struct {
	// What a decision reads, first and in one cache line.
	effect      Effect
	notAction   bool
	hasResource bool
	notResource bool
	notPrinc    bool
	// simple: no Principal, no conditions and a resource element that
	// matches every resource, so a statement whose action is known to
	// match (entry.known) matches without reading the request further.
	simple    bool
	resources []arnPattern
	conds     []cond
	principal *cprincipal

	sid     string
	actions []pattern
	// c and index locate the statement in its policy for the decision's
	// list of matched statements, so that an index entry can point at
	// the statement itself (one dependent read less per candidate).
	c     *Compiled
	index int32
}

// WithID returns a copy of c that reports id in matched statements. A
// Compiled must not be copied otherwise: its statements point back at it.
func (c *Compiled) WithID(id string) *Compiled {
	cp := *c
	cp.ID = id
	cp.stmts = slices.Clone(c.stmts)
	for i := range cp.stmts {
		cp.stmts[i].c = &cp
	}
	return &cp
}

// Compile prepares p for evaluation. id and versionID are reported in
// matched statements. The error is non-nil only for a nil policy.
func Compile(id, versionID string, p *Policy) (*Compiled, error) {
	if p == nil {
		return nil, errors.New("policy: Compile of nil Policy")
	}
	vars := p.Version == Version2012
	c := &Compiled{ID: id, VersionID: versionID, Type: p.Type, Policy: p, stmts: make([]cstmt, len(p.Statements))}
	for i := range p.Statements {
		c.stmts[i] = compileStatement(&p.Statements[i], vars)
		c.stmts[i].c, c.stmts[i].index = c, int32(i)
	}
	c.buildIndex()
	return c, nil
}

func compileStatement(s *Statement, vars bool) cstmt {
	cs := cstmt{sid: s.Sid, effect: s.Effect, notAction: s.NotAction, hasResource: s.HasResource, notResource: s.NotResource, notPrinc: s.NotPrincipal}
	for _, a := range s.Actions {
		cs.actions = append(cs.actions, compilePattern(a, true, false, true))
	}
	for _, r := range s.Resources {
		cs.resources = append(cs.resources, compileARN(r, vars, false))
	}
	if s.Principal != nil {
		cs.principal = compilePrincipals(s.Principal)
	}
	for i := range s.Conditions {
		cs.conds = append(cs.conds, compileCond(&s.Conditions[i], vars && supportsVars(s.Conditions[i].Operator)))
	}
	anyRes := !cs.hasResource
	for _, r := range cs.resources {
		anyRes = anyRes || r.any && !cs.notResource
	}
	cs.simple = anyRes && cs.principal == nil && len(cs.conds) == 0
	return cs
}

// supportsVars: AWS substitutes policy variables only in String and ARN
// condition operators.
func supportsVars(op string) bool {
	o, _ := lookupOperator(op)
	f := o.base.family()
	return f == famString || f == famArn
}

func (c *Compiled) buildIndex() {
	exact := map[string][]entry{}
	svc := map[string][]entry{}
	for i := range c.stmts {
		st := &c.stmts[i]
		groups := map[string][]pattern{}
		var wild []pattern
		star := false
		for _, p := range st.actions {
			prefix, _, found := strings.Cut(p.text, ":")
			switch {
			case p.kind == patAny:
				star = true
				wild = append(wild, p)
			case !st.notAction && p.kind == patExact:
				exact[p.text] = addEntry(exact[p.text], entry{stmt: int32(i), known: true})
			case !found || strings.ContainsAny(prefix, "*?"):
				wild = append(wild, p)
			default:
				groups[prefix] = append(groups[prefix], p)
			}
		}
		for prefix, ps := range groups {
			if st.notAction {
				ps = append(ps[:len(ps):len(ps)], wild...)
			}
			svc[prefix] = addEntry(svc[prefix], entry{stmt: int32(i), pats: ps})
		}
		if st.notAction || len(wild) > 0 {
			c.global = append(c.global, entry{stmt: int32(i), known: star && !st.notAction, pats: wild})
		}
	}
	bySvc := make(map[string][]entry, len(svc))
	for k, v := range svc {
		bySvc[k] = merge(v, c.global)
	}
	c.bySvc = newActTable(bySvc)
	full := make(map[string][]entry, len(exact))
	for k, v := range exact {
		prefix, _, _ := strings.Cut(k, ":")
		if sv, ok := bySvc[prefix]; ok {
			full[k] = merge(v, sv)
		} else {
			full[k] = merge(v, c.global)
		}
	}
	c.exact = newActTable(full)
	for k := range full {
		prefix, _, _ := strings.Cut(k, ":")
		c.svcBits |= 1 << (hashFold(prefix) & 63)
	}
	for k := range bySvc {
		c.svcBits |= 1 << (hashFold(k) & 63)
	}
}

// addEntry appends e unless its statement is already last in list (a
// statement naming several exact actions equal after lower-casing).
func addEntry(list []entry, e entry) []entry {
	if n := len(list); n > 0 && list[n-1].stmt == e.stmt {
		return list
	}
	return append(list, e)
}

// merge unions two statement-ordered lists; a statement in both keeps the
// patterns of both.
func merge(a, b []entry) []entry {
	out := make([]entry, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].stmt < b[j].stmt:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].stmt < a[i].stmt:
			out = append(out, b[j])
			j++
		default:
			e := a[i]
			e.known = e.known || b[j].known
			e.pats = append(e.pats[:len(e.pats):len(e.pats)], b[j].pats...)
			out = append(out, e)
			i++
			j++
		}
	}
	return out
}

// actTable is an open-addressing hash table keyed by lower-case action or
// service prefix, holding a policy's index lists (entry) or a set's merged
// ones (mref). The key's hash (hashFold) is computed once per request
// and reused for every table probed; a Go map would hash the key again
// for each of them.
type actTable[E any] struct {
	slots []actSlot[E]
	mask  uint64
}

type actSlot[E any] struct {
	hash uint64
	key  string
	list []E // nil marks an empty slot
}

func newActTable[E any](m map[string][]E) actTable[E] {
	n := 1
	for n < 2*len(m) {
		n <<= 1
	}
	t := actTable[E]{slots: make([]actSlot[E], n), mask: uint64(n - 1)}
	// Every list is non-empty (a key exists because some statement names
	// it), so a nil list can mark an empty slot.
	for k, v := range m {
		h := hashFold(k)
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			if t.slots[i].list == nil {
				t.slots[i] = actSlot[E]{h, k, v}
				break
			}
		}
	}
	return t
}

// get looks up key, which is lower case if lower is set and may otherwise
// be in any case; h is the hash of its lower case form. The table has at
// least one empty slot, so probing ends.
func (t *actTable[E]) get(h uint64, key string, lower bool) ([]E, bool) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.list == nil {
			return nil, false
		}
		if s.hash == h && len(s.key) == len(key) && (lower && eqStr(s.key, key) || !lower && hasPrefixFold(key, s.key)) {
			return s.list, true
		}
	}
}

// hashFold hashes s ignoring ASCII case, eight bytes at a time: each
// word is lower-cased with lower8, so the hash is that of s's ASCII
// lower-case form. It hashes the action once per request (lowerAction,
// which computes the same hash while lower-casing), and condition keys
// once at compile time and once per Context.Set.
func hashFold(s string) uint64 {
	h := uint64(len(s)) * hashPrime
	for len(s) >= 8 {
		h = hashWord(h, lower8(load8(s)))
		s = s[8:]
	}
	return hashFinish(h, lower8(loadShort(s)))
}

const hashPrime = 0x9e3779b97f4a7c15

func hashWord(h, w uint64) uint64 {
	h = (h ^ w) * hashPrime
	return h ^ h>>31
}

func hashFinish(h, w uint64) uint64 {
	h = (h ^ w) * hashPrime
	return h ^ h>>29
}

// load8 reads s's first eight bytes as a little-endian word (the
// compiler turns this into one load).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// loadShort reads s, shorter than eight bytes, as a little-endian word
// with zero high bytes, in at most two overlapping loads.
func loadShort(s string) uint64 {
	n := len(s)
	switch {
	case n >= 4:
		lo := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
		t := s[n-4:]
		hi := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24
		return lo | hi<<(8*(n-4))
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<(8*(n/2)) | uint64(s[n-1])<<(8*(n-1))
	}
	return 0
}

// lower8 lower-cases the ASCII letters among w's eight bytes and leaves
// every other byte (including non-ASCII ones) as it is.
func lower8(w uint64) uint64 {
	const hi = 0x8080808080808080
	b := w &^ hi
	ge := b + 0x3f3f3f3f3f3f3f3f // high bit set where b >= 'A'
	gt := b + 0x2525252525252525 // high bit set where b > 'Z'
	return w | (ge&^gt&^w&hi)>>2
}

// principalMatch ranks how a resource-policy statement names the caller:
// AWS lets a statement naming the user or session itself allow on its own
// within the account, while one naming the role still needs the
// permissions boundary and session policies, and one naming the account
// only delegates to the account's identity-based policies.
type principalMatch uint8

const (
	matchNone principalMatch = iota
	matchAccount
	matchRole
	matchDirect
)

type cprincipal struct {
	star      bool
	accounts  []string
	arns      []string // users, sessions, federated users: exact ARNs
	roles     []string
	services  []string
	federated []string
	canonical []string
}

func compilePrincipals(p *Principals) *cprincipal {
	c := &cprincipal{star: p.Star, services: p.Service, federated: p.Federated, canonical: p.CanonicalUser}
	for _, a := range p.AWS {
		switch {
		case a == "*":
			c.star = true
		case isAccountID(a):
			c.accounts = append(c.accounts, a)
		case strings.HasPrefix(a, "arn:") && strings.HasSuffix(a, ":root"):
			if parts := strings.Split(a, ":"); len(parts) == 6 && parts[5] == "root" {
				c.accounts = append(c.accounts, parts[4])
			} else {
				c.arns = append(c.arns, a)
			}
		case isRoleARN(a):
			c.roles = append(c.roles, a)
		default:
			c.arns = append(c.arns, a)
		}
	}
	return c
}

func isRoleARN(a string) bool {
	ap := splitARN(a)
	return ap.ok && ap.component(a, 2) == "iam" && strings.HasPrefix(ap.component(a, 5), "role/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasAccount(p *Principal) bool {
	return p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous
}

// match reports how the Principal element names p.
func (c *cprincipal) match(p *Principal) principalMatch {
	switch {
	case c.star:
		return matchDirect
	case p.ARN != "" && contains(c.arns, p.ARN):
		return matchDirect
	case p.Type == PrincipalService && contains(c.services, p.Service):
		return matchDirect
	case p.Federated != "" && contains(c.federated, p.Federated):
		return matchDirect
	case p.CanonicalUser != "" && contains(c.canonical, p.CanonicalUser):
		return matchDirect
	case p.Type == PrincipalAssumedRole && p.RoleARN != "" && contains(c.roles, p.RoleARN):
		return matchRole
	case hasAccount(p) && contains(c.accounts, p.Account):
		return matchAccount
	}
	return matchNone
}

// excludes reports whether a NotPrincipal element exempts p. AWS
// evaluates NotPrincipal against each identity the caller has (its
// account, its role, its session or user), so a caller is exempt only
// when every one of them is listed; listing a user without its account
// still applies the statement to the user.
func (c *cprincipal) excludes(p *Principal) bool {
	if c.star || p.Federated != "" && contains(c.federated, p.Federated) {
		return true
	}
	switch p.Type {
	case PrincipalAnonymous:
		return false
	case PrincipalService:
		return contains(c.services, p.Service)
	}
	if !contains(c.accounts, p.Account) {
		return false
	}
	switch p.Type {
	case PrincipalRoot:
		return true
	case PrincipalAssumedRole:
		return contains(c.roles, p.RoleARN) && contains(c.arns, p.ARN)
	}
	return contains(c.arns, p.ARN)
}
