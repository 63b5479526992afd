package policy

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"time"
	"unique"
	"unsafe"
)

// Gate names the policy type that decided a request.
type Gate uint8

const (
	GateNone Gate = iota
	GateIdentity
	GateResource
	GateBoundary
	GateSession
	GateSCP
)

var gateNames = [...]string{"", "identity", "resource", "boundary", "session", "scp"}

func (g Gate) String() string {
	if int(g) < len(gateNames) {
		return gateNames[g]
	}
	return "Gate(" + itoa(int(g)) + ")"
}

// StatementRef identifies a statement that matched a request.
type StatementRef struct {
	Gate    Gate
	Policy  string // Compiled.ID
	Version string // Compiled.VersionID
	Index   int    // position in the Statement array
	Sid     string
	Effect  Effect // Allow or ExplicitDeny
}

// Decision is the outcome of [Evaluate].
type Decision struct {
	Effect Effect
	// Gate is the policy type that decided a deny: for ExplicitDeny the
	// gate of the first matching Deny statement, for ImplicitDeny the gate
	// that failed to allow. GateNone for Allow.
	Gate Gate
	// Matched lists every statement that fully matched the request and
	// whose effect is the decision's (Deny statements for ExplicitDeny,
	// Allow statements for Allow, none for ImplicitDeny), ordered by gate
	// (identity, resource, boundary, session, scp), policy order and
	// statement index. Evaluate reuses its backing array.
	Matched []StatementRef

	federated bool // the caller is a GetFederationToken session
	denies    int  // Deny statements in Matched
}

// Set is everything that applies to one request besides the request
// itself: the caller's policies and the resource's. A set that is
// assembled once and used for many requests should be prepared
// ([Set.Prepare]).
type Set struct {
	// Identity holds the caller's identity-based policies (its own, its
	// groups', managed and inline).
	Identity []*Compiled
	// Resource is the resource-based policy, or the role's trust policy
	// when the request is an AssumeRole*; nil if none.
	Resource *Compiled
	// ResourceAccount owns the resource; empty means the caller's account.
	ResourceAccount string
	// ResourceRequired says the resource policy must allow even within
	// the account, as for role trust policies and KMS key policies: an
	// identity-based policy alone is never enough.
	ResourceRequired bool
	// Boundary is the caller's permissions boundary, nil if none.
	Boundary *Compiled
	// Session holds the session policies (inline and managed ARNs passed
	// to AssumeRole* or GetFederationToken), which together form one
	// session policy; empty if none were passed.
	Session []*Compiled
	// SCP holds the service control policies that apply to the caller's
	// account, one slice per level of the organization (root, each OU,
	// the account). Each level must allow; empty when the account is not
	// governed by SCPs (no organization, the management account, or a
	// service-linked role).
	SCP [][]*Compiled

	index *identityIndex // built by Prepare
	hint  hint           // built by Prepare
}

// Evaluate decides req against set with AWS's evaluation logic and writes
// the result to d:
//
//  1. An explicit Deny in any applicable policy wins.
//  2. With SCPs, every level must allow.
//  3. Within the resource's account, an allow in the identity-based
//     policies or in the resource policy is enough (their union). A
//     resource policy naming the caller itself (user, session, federated
//     user, "*") allows on its own; one naming the caller's role still
//     needs the boundary and session gates; one naming the account
//     delegates to the identity-based policies.
//  4. Across accounts, the identity side and the resource policy must both
//     allow.
//  5. A permissions boundary and session policies, if present, must also
//     allow what the identity side grants.
//  6. The root user of the resource's account is not restricted by
//     identity-based policies (it has none); Deny statements in the
//     resource policy and SCPs still apply to it.
//
// Service and anonymous principals are authorized by the resource policy
// alone. Evaluate does not allocate when d.Matched has enough capacity
// for the matching statements; it is safe for concurrent use with
// distinct Decisions.
func Evaluate(set *Set, req *Request, d *Decision) {
	if k := req.ActionKey; k != nil && k.name == req.Action {
		evaluate(set, req, d, &k.ref)
		return
	}
	var buf [maxLowerAction]byte
	var a actionRef
	a.act, a.lower, a.hash = lowerAction(&buf, req.Action)
	a.prepare()
	evaluate(set, req, d, &a)
}

// evaluate is Evaluate with the action prepared.
func evaluate(set *Set, req *Request, d *Decision, act *actionRef) {
	// Assigned field by field: a composite literal is built in a
	// temporary and copied.
	var e evaluator
	e.req, e.d, e.act = req, d, *act
	d.Effect, d.Gate, d.Matched, d.denies = ImplicitDeny, GateNone, d.Matched[:0], 0

	// The request's Context is usually cold when a decision starts (a
	// benchmark cycling through prepared requests; a server's parser
	// may have been descheduled); its lines the principal's conditions
	// read are fetched now, while the principal's index is read.
	set.hint.prefetch(set.index, req, act)
	p := &req.Principal
	// The common case, an IAM user or role session governed by its
	// identity-based policies alone, within its account: the general
	// logic below reduces to deny, else allow, else implicit deny.
	if set.Resource == nil && !set.ResourceRequired && set.Boundary == nil && len(set.Session) == 0 && len(set.SCP) == 0 &&
		(p.Type == PrincipalUser || p.Type == PrincipalAssumedRole) &&
		(set.ResourceAccount == "" || set.ResourceAccount == p.Account) {
		d.federated = false
		var allow, deny bool
		if ix := set.index; ix != nil && ix.valid(set.Identity) {
			allow, deny = e.merged(ix)
		} else {
			for _, c := range set.Identity {
				a, dn, _ := e.policy(c, GateIdentity)
				allow, deny = allow || a, deny || dn
			}
		}
		switch {
		case deny:
			d.finish(ExplicitDeny, GateIdentity)
		case allow:
			d.finish(Allow, GateNone)
		default:
			d.finish(ImplicitDeny, GateIdentity)
		}
		return
	}
	d.federated = p.Type == PrincipalFederatedUser
	// AWS: a Deny with NotPrincipal always denies a principal that has a
	// permissions boundary, whatever NotPrincipal lists.
	e.bounded = set.Boundary != nil
	resAcct := set.ResourceAccount
	if resAcct == "" {
		resAcct = p.Account
	}
	sameAcct := p.Account == resAcct
	human := p.Type == PrincipalUser || p.Type == PrincipalAssumedRole || p.Type == PrincipalFederatedUser

	var deny [GateSCP + 1]bool
	var idAllow, bAllow, sAllow bool
	rAllow := matchNone
	if human {
		if ix := set.index; ix != nil && ix.valid(set.Identity) {
			idAllow, deny[GateIdentity] = e.merged(ix)
		} else {
			for _, c := range set.Identity {
				a, dn, _ := e.policy(c, GateIdentity)
				idAllow, deny[GateIdentity] = idAllow || a, deny[GateIdentity] || dn
			}
		}
	}
	if set.Resource != nil {
		a, dn, k := e.policy(set.Resource, GateResource)
		if a {
			rAllow = k
		}
		deny[GateResource] = dn
	}
	if human && set.Boundary != nil {
		bAllow, deny[GateBoundary], _ = e.policy(set.Boundary, GateBoundary)
	}
	if human {
		for _, c := range set.Session {
			a, dn, _ := e.policy(c, GateSession)
			sAllow, deny[GateSession] = sAllow || a, deny[GateSession] || dn
		}
	}
	scpAllow := true
	if p.Type != PrincipalService && p.Type != PrincipalAnonymous {
		for _, level := range set.SCP {
			levelAllow := false
			for _, c := range level {
				a, dn, _ := e.policy(c, GateSCP)
				levelAllow, deny[GateSCP] = levelAllow || a, deny[GateSCP] || dn
			}
			scpAllow = scpAllow && levelAllow
		}
	}

	for g := GateIdentity; g <= GateSCP; g++ {
		if deny[g] {
			d.finish(ExplicitDeny, g)
			return
		}
	}
	switch {
	case !scpAllow:
		d.finish(ImplicitDeny, GateSCP)
	case !human:
		// Root of another account: its identity side allows everything,
		// so only the resource policy decides, as for services and
		// anonymous callers.
		if p.Type == PrincipalRoot && sameAcct && !set.ResourceRequired || rAllow != matchNone {
			d.finish(Allow, GateNone)
		} else {
			d.finish(ImplicitDeny, GateResource)
		}
	case sameAcct:
		switch {
		case set.ResourceRequired && rAllow == matchNone:
			d.finish(ImplicitDeny, GateResource)
		case rAllow == matchDirect && !set.ResourceRequired:
			d.finish(Allow, GateNone)
		case rAllow == matchDirect:
			// A trust (or key) policy naming the caller stands in for
			// the identity-based policy, but the boundary and session
			// policies still apply: AWS documents that a user named in
			// a role's trust policy also needs its permissions
			// boundary to allow sts:AssumeRole.
			d.finishGates(set, bAllow, sAllow, true)
		case !idAllow && rAllow != matchRole:
			d.finish(ImplicitDeny, GateIdentity)
		default:
			d.finishGates(set, bAllow, sAllow, true)
		}
	default:
		switch {
		case !idAllow:
			d.finish(ImplicitDeny, GateIdentity)
		case rAllow == matchNone:
			// Checked after the identity side so a caller lacking its
			// own permission is told so first, as AWS's messages do.
			if d.finishGates(set, bAllow, sAllow, false) {
				d.finish(ImplicitDeny, GateResource)
			}
		default:
			d.finishGates(set, bAllow, sAllow, true)
		}
	}
}

// finishGates applies the boundary and session gates. If they pass it
// allows when allow is set and reports true. A federated user
// (GetFederationToken) without session policies has no permissions from
// identity-based policies at all.
func (d *Decision) finishGates(set *Set, bAllow, sAllow, allow bool) bool {
	switch {
	case set.Boundary != nil && !bAllow:
		d.finish(ImplicitDeny, GateBoundary)
	case (len(set.Session) > 0 || d.federated) && !sAllow:
		d.finish(ImplicitDeny, GateSession)
	default:
		if allow {
			d.finish(Allow, GateNone)
		}
		return true
	}
	return false
}

// finish records the decision and keeps only the matched statements whose
// effect is the decision's.
func (d *Decision) finish(eff Effect, g Gate) {
	d.Effect, d.Gate = eff, g
	if eff == Allow && d.denies == 0 {
		return // every match is an Allow
	}
	n := 0
	for _, m := range d.Matched {
		if m.Effect == eff {
			d.Matched[n] = m
			n++
		}
	}
	d.Matched = d.Matched[:n]
}

// evaluator is the per-request state. It lives on Evaluate's stack: every
// method takes it by pointer and nothing retains it.
type evaluator struct {
	req *Request
	d   *Decision
	// res holds the request resource's ARN components, split on first
	// use: many requests are decided without an ARN pattern.
	res     arnParts
	resDone bool
	act     actionRef
	// bounded: the caller has a permissions boundary.
	bounded bool
	// The last date and address parsed from a request value: several
	// policies commonly test the same aws:CurrentTime or aws:SourceIp.
	dateStr, addrStr string
	dateVal          time.Time
	addrVal          netip.Addr
	dateOK, addrOK   bool
}

// date parses a request value as a date, remembering the last one.
func (e *evaluator) date(v string) (time.Time, bool) {
	if e.dateStr != v || v == "" {
		e.dateVal, e.dateOK = parseDate(v)
		e.dateStr = v
	}
	return e.dateVal, e.dateOK
}

// addr parses a request value as an IP address, remembering the last one.
func (e *evaluator) addr(v string) (netip.Addr, bool) {
	if e.addrStr != v || v == "" {
		a, err := netip.ParseAddr(v)
		e.addrVal, e.addrOK, e.addrStr = a.Unmap(), err == nil, v
	}
	return e.addrVal, e.addrOK
}

// maxLowerAction-8 is the longest action lower-cased once per request
// (lowerAction stores whole words); AWS action names stay under 70 bytes.
const maxLowerAction = 104

// lowerAction lower-cases a (ASCII) into buf, which lives on Evaluate's
// stack as long as the evaluator, eight bytes at a time, and returns the
// lower-case string, true and hashFold(a), computed on the way; or a
// itself, false and its hash if a does not fit (or is empty).
func lowerAction(buf *[maxLowerAction]byte, a string) (string, bool, uint64) {
	n := len(a)
	if n == 0 || n > len(buf)-8 {
		return a, false, hashFold(a)
	}
	h := uint64(n) * hashPrime
	i := 0
	for ; n-i >= 8; i += 8 {
		w := lower8(load8(a[i:]))
		binary.LittleEndian.PutUint64(buf[i:], w)
		h = hashWord(h, w)
	}
	w := lower8(loadShort(a[i:]))
	binary.LittleEndian.PutUint64(buf[i:], w)
	return unsafe.String(&buf[0], n), true, hashFinish(h, w)
}

// actionRef is the request's action as the indexes are probed with it.
type actionRef struct {
	// act is the action, lower-cased (lower) when it fits the stack
	// buffer or comes from an ActionKey, which is nearly always: table keys
	// and action patterns then compare it byte for byte instead of
	// folding case per policy and statement.
	act   string
	lower bool
	// hash and svcHash are hashFold of the action and of its service
	// prefix (svcLen bytes).
	hash    uint64
	svcHash uint64
	svcLen  int
	// id and svcID are the interned lower-case action and service
	// prefix, set for ActionKeys: the merged index compares them by
	// pointer instead of reading its keys' text.
	id, svcID unique.Handle[string]
}

// prepare hashes the action's service prefix.
func (a *actionRef) prepare() {
	a.svcLen = strings.IndexByte(a.act, ':')
	if a.svcLen < 0 {
		// No service prefix: the exact table may still hold the action,
		// under itself as its own prefix.
		a.svcHash = a.hash
	} else {
		a.svcHash = hashFold(a.act[:a.svcLen])
	}
}

// resource returns the request resource's ARN components.
func (e *evaluator) resource() *arnParts {
	if !e.resDone {
		e.res, e.resDone = splitARN(e.req.Resource), true
	}
	return &e.res
}

// candidates returns the index entries of c's statements that can apply
// to action a.
func (c *Compiled) candidates(a *actionRef) []entry {
	if c.svcBits&(1<<(a.svcHash&63)) == 0 {
		return c.global
	}
	if l, ok := c.exact.get(a.hash, a.act, a.lower); ok {
		return l
	}
	if a.svcLen >= 0 {
		if l, ok := c.bySvc.get(a.svcHash, a.act[:a.svcLen], a.lower); ok {
			return l
		}
	}
	return c.global
}

// policy evaluates every candidate statement of c, records the matching
// ones in the Decision and reports whether an Allow and a Deny matched,
// and how the strongest matching Allow named the caller.
func (e *evaluator) policy(c *Compiled, g Gate) (allow, deny bool, how principalMatch) {
	list := c.candidates(&e.act)
	for k := range list {
		ent := &list[k]
		m, eff := e.statement(&c.stmts[ent.stmt], ent, g)
		if m == matchNone {
			continue
		}
		if eff == Allow {
			allow = true
			how = max(how, m)
		} else {
			deny = true
		}
	}
	return allow, deny, how
}

// statement decides whether the candidate statement s matches the
// request, given its index entry ent (nil when the action is known to
// match); if it does, it records it in the Decision and returns how its
// Principal element named the caller (matchDirect without one) and its
// effect.
func (e *evaluator) statement(s *cstmt, ent *entry, g Gate) (principalMatch, Effect) {
	known := ent == nil || ent.known
	m := matchDirect
	if !known || !s.simple {
		if !known && !s.matchAction(ent.pats, e) {
			return matchNone, 0
		}
		if !s.matchResource(e) {
			return matchNone, 0
		}
		if s.principal != nil {
			p := &e.req.Principal
			if s.notPrinc {
				if !e.bounded && s.principal.excludes(p) {
					return matchNone, 0
				}
			} else if m = s.principal.match(p); m == matchNone {
				return matchNone, 0
			}
		}
		if !s.matchConds(e) {
			return matchNone, 0
		}
	}
	c := s.c
	e.d.Matched = append(e.d.Matched, StatementRef{Gate: g, Policy: c.ID, Version: c.VersionID, Index: int(s.index), Sid: s.sid, Effect: s.effect})
	if s.effect != Allow {
		e.d.denies++
	}
	return m, s.effect
}

func (s *cstmt) matchAction(pats []pattern, e *evaluator) bool {
	hit := false
	for i := range pats {
		if pats[i].matchAction(e.act.act, e.act.lower) {
			hit = true
			break
		}
	}
	return hit != s.notAction
}

func (s *cstmt) matchResource(e *evaluator) bool {
	if !s.hasResource {
		return true
	}
	hit := false
	r := e.req.Resource
	for i := range s.resources {
		p := &s.resources[i]
		var m bool
		if f := p.full; f != "" {
			// quick's common case, without the call.
			m = len(r) >= len(f) && (!p.exact || len(r) == len(f)) && eqStr(r[:len(f)], f)
		} else if q, ok := p.quick(r, e); ok {
			m = q
		} else {
			m = p.match(r, e.resource(), e)
		}
		if m {
			hit = true
			break
		}
	}
	return hit != s.notResource
}

func (s *cstmt) matchConds(e *evaluator) bool {
	for i := range s.conds {
		if !s.conds[i].eval(e) {
			return false
		}
	}
	return true
}

// lookup returns a condition key's values: from the request context, or
// derived from the principal for the principal keys the context omits.
// pk says whether the key is one of the principal keys (isPrincipalKey,
// decided at compile time), so other keys skip principalKey.
func (e *evaluator) lookup(lower string, h, home uint64, pk bool) values {
	if c := e.req.Context; c != nil {
		if en := c.entryAt(lower, h, home); en != nil {
			if en.vlen == 1 {
				return values{one: en.value0(), single: true}
			}
			return values{many: c.valueList(en)}
		}
	}
	if !pk {
		return values{}
	}
	if v, ok := e.req.Principal.principalKey(lower); ok {
		return values{one: v, single: true}
	}
	return values{}
}

// variable resolves a policy variable: only a key with exactly one value
// substitutes; a missing or multivalued key has no value.
func (e *evaluator) variable(lower string, h, home uint64, pk bool) (string, bool) {
	v := e.lookup(lower, h, home, pk)
	if v.len() != 1 {
		return "", false
	}
	return v.at(0), true
}
