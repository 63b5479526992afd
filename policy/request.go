package policy

import (
	"strings"
	"unsafe"
)

// PrincipalType is the kind of authenticated caller.
type PrincipalType uint8

const (
	PrincipalUser          PrincipalType = iota // IAM user
	PrincipalAssumedRole                        // role session (AssumeRole*, also web identity and SAML)
	PrincipalRoot                               // the account's root user
	PrincipalFederatedUser                      // GetFederationToken session
	PrincipalService                            // an AWS service principal
	PrincipalAnonymous                          // unauthenticated
)

var principalTypeNames = [...]string{"User", "AssumedRole", "Root", "FederatedUser", "Service", "Anonymous"}

func (t PrincipalType) String() string {
	if int(t) < len(principalTypeNames) {
		return principalTypeNames[t]
	}
	return "PrincipalType(" + itoa(int(t)) + ")"
}

// ParsePrincipalType is the inverse of PrincipalType.String.
func ParsePrincipalType(s string) (PrincipalType, bool) {
	for i, n := range principalTypeNames {
		if n == s {
			return PrincipalType(i), true
		}
	}
	return 0, false
}

// Principal is the authenticated caller of a request. Type PrincipalRoot
// is the root-user flag: identity-based policies cannot restrict the root
// user of the account that owns the resource.
type Principal struct {
	Type PrincipalType
	// ARN of the caller: the user, the assumed-role session
	// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION), the federated user,
	// or arn:aws:iam::ACCT:root.
	ARN     string
	Account string
	// RoleARN is the role of an assumed-role session (with its path);
	// resource policies naming it match every session of the role.
	RoleARN string
	// Service is the service principal name (ec2.amazonaws.com) for
	// PrincipalService.
	Service string
	// Federated is the identity provider a web-identity or SAML caller
	// authenticated with (an IAM OIDC/SAML provider ARN, or
	// cognito-identity.amazonaws.com, accounts.google.com ...): it is what
	// a trust policy's "Federated" principal names.
	Federated string
	// CanonicalUser is the S3 canonical user ID, if any.
	CanonicalUser string
	// UserID is the value of aws:userid (AIDA..., AROA...:session).
	UserID string
}

// Request is one authorization question. The evaluator only reads it.
//
// The fields every decision reads (the action, its key, the resource, the
// Context and the principal's type) come first, so that they share a
// cache line: a request is often cold when it is evaluated.
type Request struct {
	Action   string // service:Action, any case
	Resource string // ARN, or "*" for actions without resource-level permissions
	Context  *Context
	// ActionKey, if set, is NewActionKey(Action), prepared once for every
	// request with this action; Evaluate then neither lower-cases nor
	// hashes the action. A key for another action is ignored.
	ActionKey *ActionKey
	Principal Principal
}

// Context holds the request's condition keys and their values. It is
// built for one request and read by many policies, so it is laid out for
// reading with as few cache lines as possible, because a request's
// Context is often cold when it is evaluated (prepared ahead, or one of
// many in flight):
//
//   - The entries live in an open-addressing table held in the Context
//     itself (32 slots, linear probing, at most ctxInlineMax keys), so a
//     key's home slot is at a fixed offset from the Context: a lookup
//     reads that slot's line and nothing else, not a header first. An
//     empty slot ends a lookup for an absent key (the table is at most 72%
//     full, usually about a third). The global keys most requests carry
//     (ctxKnown) each have a home slot of their own and always sit in it;
//     other keys hash to the remaining slots.
//   - Each entry is one 64-byte line holding the key's hash, its name
//     (lower-cased, when it fits, as condition keys are) and its value:
//     a single value whose bytes fit beside the name is copied into the
//     line, so a condition on a single-valued key reads that one line
//     and not also the caller's memory (the value text would otherwise
//     be one more cold read, after the entry's).
//
// A Context with more than ctxInlineMax keys moves its entries to a
// larger table on the heap and marks every inline slot as moved; lookups
// then check a 64-bit filter of the keys' hashes first. Looking a key up
// allocates nothing; building a Context allocates only for long key
// names, multivalued keys beyond the inline room and large contexts, so a
// reused Context (Reset) stops allocating.
//
// Key names are matched ASCII-case-insensitively, as AWS does; values are
// kept as given. A Context must not be copied after its first Set (it
// points into itself), and must not be modified while an evaluation
// reads it; concurrent evaluations may share it.
type Context struct {
	// The header: one cache line (64 bytes).
	//
	// bits has bit hash>>58 set for every key's hash.
	bits uint64
	// big is the table once the Context holds more than ctxInlineMax
	// keys; nil before.
	big  *ctxTable
	vals []string // values of multivalued keys
	n    uint8    // keys in the inline table
	// used lists the inline table's occupied slots in insertion order,
	// so Reset clears only those.
	used [ctxInlineMax]uint8

	keys    []byte // names longer than ctxBuf
	inlKeys [40]byte
	inlVals [8]string
	tab     [ctxSlots]ctxEntry
}

const (
	// ctxSlots is the inline table's size, a power of two; ctxInlineMax
	// keeps it at most 72% full so probes stay short and end at an
	// empty slot.
	ctxSlots     = 32
	ctxInlineMax = 23
	// ctxBuf is the room in an entry for its name and value bytes: the
	// longest name an entry holds itself, and with a single value, the
	// most name and value bytes together that it holds. 40 bytes hold
	// the global keys with their usual values (aws:PrincipalTag/... with
	// a short tag value, aws:CurrentTime with its 20-byte date).
	ctxBuf = 40
)

// ctxTable is the table of a Context with many keys.
type ctxTable struct {
	mask uint64
	n    int
	tab  []ctxEntry
}

// ctxEntry is one key: 64 bytes, one cache line. hash is the low half of
// the hashFold of the key, which compiled conditions also hold, so a
// lookup compares hashes and compares key text only once. klen is the
// name's length plus one (0 marks an empty slot); the name is in buf
// when it fits, otherwise in Context.keys at koff. A single value (vlen
// 1) is the v0len bytes at v0: in buf, right after the name, when they
// fit there, otherwise the caller's string. Other value lists are in
// Context.vals at voff. Offsets are 16-bit: a Context holds at most
// 65,534 bytes of long key names and 65,535 values.
type ctxEntry struct {
	hash       uint32
	klen, vlen uint16
	v0         unsafe.Pointer
	v0len      uint32
	koff, voff uint16
	buf        [ctxBuf]byte
}

// value0 returns e's single value.
func (e *ctxEntry) value0() string {
	return unsafe.String((*byte)(e.v0), e.v0len)
}

// setValue0 makes v e's single value, copied beside the name if it fits.
func (e *ctxEntry) setValue0(v string) {
	e.vlen, e.v0len, e.v0 = 1, uint32(len(v)), nil
	if n := int(e.klen) - 1; n+len(v) <= ctxBuf {
		if len(v) > 0 {
			copy(e.buf[n:], v)
			e.v0 = unsafe.Pointer(&e.buf[n])
		}
		return
	}
	e.v0 = unsafe.Pointer(unsafe.StringData(v))
}

// moveTo copies e to s, keeping a value held in buf pointing at the copy.
func (e *ctxEntry) moveTo(s *ctxEntry) {
	*s = *e
	if n := int(e.klen) - 1; e.vlen == 1 && e.v0len > 0 && n+int(e.v0len) <= ctxBuf {
		s.v0 = unsafe.Pointer(&s.buf[n])
	}
}

// NewContext returns an empty Context with room for n keys; up to 23
// keys fit without further allocation.
func NewContext(n int) *Context {
	c := &Context{}
	if n > ctxInlineMax {
		c.grow(n)
	}
	return c
}

// Reset empties c for reuse, keeping its storage.
func (c *Context) Reset() {
	if c.big != nil {
		clear(c.big.tab)
		c.big.n = 0
	}
	for _, s := range c.used[:c.n] {
		c.tab[s] = ctxEntry{}
	}
	c.bits, c.n, c.keys, c.vals = 0, 0, c.keys[:0], c.vals[:0]
}

// grow moves the entries to a heap table with room for n keys.
func (c *Context) grow(n int) {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	t := &ctxTable{mask: uint64(size - 1), tab: make([]ctxEntry, size)}
	move := func(e *ctxEntry) {
		for i := uint64(e.hash); ; i++ {
			if s := &t.tab[i&t.mask]; s.klen == 0 {
				e.moveTo(s)
				t.n++
				return
			}
		}
	}
	if c.big != nil {
		for i := range c.big.tab {
			if e := &c.big.tab[i]; e.klen != 0 {
				move(e)
			}
		}
	}
	for _, s := range c.used[:c.n] {
		move(&c.tab[s])
	}
	for i := range c.tab {
		c.tab[i] = ctxEntry{klen: ctxMoved}
	}
	c.n, c.big = 0, t
}

// Set sets key to values (copied), replacing any previous values of the
// key. Single-valued keys have one value; multivalued keys (aws:TagKeys,
// ...) any number. An empty value list is an empty multivalued key, which
// condition operators treat like a missing key.
func (c *Context) Set(key string, values ...string) {
	if len(c.keys)+len(key) >= 0xfffe || len(c.vals)+len(values) > 0xffff || len(values) == 1 && uint64(len(values[0])) > 0xffffffff {
		panic("policy: Context too large")
	}
	// One pass lower-cases the key into buf (when it fits) and hashes it.
	var buf [maxLowerAction]byte
	lower, folded, h := lowerAction(&buf, key)
	home, known := ctxHome(h)
	e := c.slotFor(h, key, home)
	if e.klen == 0 {
		if c.big == nil && int(c.n) == ctxInlineMax || c.big != nil && 2*(c.big.n+1) > len(c.big.tab) {
			c.grow(2 * c.Len())
			e = c.slotFor(h, key, home)
		}
		slot := e
		if known && c.big == nil && e != &c.tab[home] {
			// A known key's home is taken by a key hashed there (or
			// pushed on from before it): that key moves on to the free
			// slot found, and the known key takes its home, so that
			// its lookups, and the hint's prefetch, find it in one line.
			// Every key still lies after its own home with no empty
			// slot between, as linear probing requires.
			o := &c.tab[home]
			o.moveTo(e)
			*o = ctxEntry{}
			e = o
		}
		e.hash, e.klen = uint32(h), uint16(len(key)+1)
		switch {
		case len(key) <= ctxBuf && folded:
			// All of buf's first ctxBuf bytes, zeros after the name: a
			// fixed-size copy, not a call to memmove.
			e.buf = [ctxBuf]byte(buf[:ctxBuf])
		case len(key) <= ctxBuf:
			// The empty key, which lowerAction does not fold: no name.
		default:
			if c.keys == nil {
				c.keys = c.inlKeys[:0]
			}
			e.koff = uint16(len(c.keys))
			if folded {
				c.keys = append(c.keys, lower...)
			} else {
				for j := 0; j < len(key); j++ {
					c.keys = append(c.keys, lowerByte(key[j]))
				}
			}
		}
		c.bits |= keyBit(h)
		if c.big != nil {
			c.big.n++
		} else {
			// The slot newly taken (by this key, or by the one it
			// moved on) is recorded for Reset.
			c.used[c.n] = uint8(slot.slot(c))
			c.n++
		}
	}
	// Replaced multivalued lists stay in the arena as garbage until
	// Reset; keys are rarely set twice.
	if len(values) == 1 {
		e.setValue0(values[0])
	} else {
		e.vlen, e.v0, e.v0len = uint16(len(values)), nil, 0
		if c.vals == nil {
			c.vals = c.inlVals[:0]
		}
		e.voff = uint16(len(c.vals))
		c.vals = append(c.vals, values...)
	}
}

// slot is e's index in c's inline table.
func (e *ctxEntry) slot(c *Context) int {
	return int((uintptr(unsafe.Pointer(e)) - uintptr(unsafe.Pointer(&c.tab[0]))) / unsafe.Sizeof(*e))
}

// slotFor returns key's entry, or the empty slot where it goes; home is
// the key's first slot in the inline table (ctxHome).
func (c *Context) slotFor(h uint64, key string, home uint64) *ctxEntry {
	tab, mask, start := c.tab[:], uint64(ctxSlots-1), home
	if c.big != nil {
		tab, mask, start = c.big.tab, c.big.mask, h
	}
	for i := start; ; i++ {
		e := &tab[i&mask]
		if e.klen == 0 || e.hash == uint32(h) && int(e.klen)-1 == len(key) && equalFoldASCII(key, c.name(e)) {
			return e
		}
	}
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return b
}

// name returns e's key name (lower case), which aliases c.
func (c *Context) name(e *ctxEntry) string {
	n := int(e.klen) - 1
	if n <= ctxBuf {
		return unsafe.String(&e.buf[0], n)
	}
	return unsafe.String(&c.keys[e.koff], n)
}

// valueList returns the values of e, a key that has not exactly one,
// aliasing c.
func (c *Context) valueList(e *ctxEntry) []string {
	return c.vals[e.voff : e.voff+e.vlen : e.voff+e.vlen]
}

// Lookup returns the values of key, ignoring ASCII case in the key. The
// returned slice may alias c and must not be modified.
func (c *Context) Lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	h := hashFold(key)
	if c.bits&keyBit(h) == 0 {
		return nil, false
	}
	home, _ := ctxHome(h)
	e := c.slotFor(h, key, home)
	if e.klen == 0 {
		return nil, false
	}
	if e.vlen == 1 {
		return []string{e.value0()}, true
	}
	return c.valueList(e), true
}

// entryAt finds a lower-case key by its hashFold and its home slot
// (ctxHome), the form compiled policies hold: it is the lookup every
// condition makes, and reads only the inline table's slots unless the
// entries have moved.
func (c *Context) entryAt(lower string, h, home uint64) *ctxEntry {
	if c == nil {
		return nil
	}
	for i := home; ; i++ {
		e := &c.tab[i&(ctxSlots-1)]
		switch e.klen {
		case 0:
			return nil
		case ctxMoved:
			if c.bits&keyBit(h) == 0 {
				return nil
			}
			return c.find(lower, h)
		}
		if e.hash == uint32(h) && int(e.klen)-1 == len(lower) && eqStr(c.name(e), lower) {
			return e
		}
	}
}

// ctxMoved marks the inline table's slots once the entries have moved
// to the heap table.
const ctxMoved = 0xffff

// find is entry once the entries have moved to the heap table and the
// filter has passed.
func (c *Context) find(lower string, h uint64) *ctxEntry {
	tab, mask := c.big.tab, c.big.mask
	for i := h; ; i++ {
		e := &tab[i&mask]
		if e.klen == 0 {
			return nil
		}
		if e.hash == uint32(h) && int(e.klen)-1 == len(lower) && eqStr(c.name(e), lower) {
			return e
		}
	}
}

// keyBit is a key hash's bit in Context.bits.
func keyBit(h uint64) uint64 { return 1 << (h >> 58) }

// Len returns the number of keys set.
func (c *Context) Len() int {
	switch {
	case c == nil:
		return 0
	case c.big != nil:
		return c.big.n
	}
	return int(c.n)
}

// values is a condition key's value list. Keys derived from the Principal
// have one value held inline, so no slice is built for them.
type values struct {
	many   []string
	one    string
	single bool
}

func (v values) len() int {
	if v.single {
		return 1
	}
	return len(v.many)
}

func (v values) at(i int) string {
	if v.single {
		return v.one
	}
	return v.many[i]
}

// isPrincipalKey reports whether principalKey can derive lower's value.
func isPrincipalKey(lower string) bool {
	switch lower {
	case "aws:username", "aws:userid", "aws:principaltype", "aws:principalaccount",
		"aws:principalarn", "aws:principalservicename", "aws:principalisawsservice":
		return true
	}
	return false
}

// principalKey returns the value of a principal key the request context
// does not set, derived from the Principal as AWS defines it (aws:username
// only for IAM users, aws:PrincipalArn of a role session is the role's
// ARN, aws:PrincipalType of the root user is "Account").
func (p *Principal) principalKey(lower string) (string, bool) {
	switch lower {
	case "aws:username":
		if p.Type == PrincipalUser && p.ARN != "" {
			return p.ARN[strings.LastIndexByte(p.ARN, '/')+1:], true
		}
	case "aws:userid":
		switch {
		case p.UserID != "":
			return p.UserID, true
		case p.Type == PrincipalRoot:
			return p.Account, p.Account != ""
		case p.Type == PrincipalAnonymous:
			return "anonymous", true
		}
	case "aws:principaltype":
		switch p.Type {
		case PrincipalRoot:
			return "Account", true
		case PrincipalUser, PrincipalAssumedRole, PrincipalFederatedUser, PrincipalAnonymous:
			return p.Type.String(), true
		}
	case "aws:principalaccount":
		return p.Account, p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous
	case "aws:principalarn":
		switch p.Type {
		case PrincipalAssumedRole:
			return p.RoleARN, p.RoleARN != ""
		case PrincipalUser, PrincipalRoot, PrincipalFederatedUser:
			return p.ARN, p.ARN != ""
		}
	case "aws:principalservicename":
		return p.Service, p.Type == PrincipalService && p.Service != ""
	case "aws:principalisawsservice":
		if p.Type == PrincipalService {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

// ctxKnown are the global condition keys that AWS (and iamd's own
// authorization, iam.fillContext) puts in most requests' context: each has
// its own home slot in the inline table, the first ctxKnownSlots slots,
// so that none of them is ever pushed out of its home line by another
// (with slots from the keys' hashes, three of them shared one). Other
// keys hash to the remaining slots.
var ctxKnown = [...]string{
	"aws:currenttime", "aws:epochtime", "aws:securetransport", "aws:sourceip",
	"aws:useragent", "aws:requestedregion", "aws:principalarn", "aws:principalaccount",
	"aws:principaltype", "aws:userid", "aws:username", "aws:tokenissuetime",
	"aws:multifactorauthpresent", "aws:multifactorauthage", "aws:sourceidentity", "aws:viaawsservice",
	"aws:principalorgid", "aws:sourcevpc", "aws:sourcevpce", "aws:calledvia",
}

const ctxKnownSlots = len(ctxKnown)

// ctxKnownIdx finds a known key by its hash: an open-addressing table of
// 64 entries indexed by the hash's top six bits.
var ctxKnownIdx = func() (t [64]struct {
	h    uint64
	slot uint64
}) {
	for i, k := range ctxKnown {
		// A hash of 0 would read as an empty entry and the key as
		// unknown; TestContextKnownKeysAtHome would fail.
		h := hashFold(k)
		for j := h >> 58; ; j = (j + 1) & 63 {
			if t[j].h == 0 {
				t[j].h, t[j].slot = h, uint64(i)
				break
			}
		}
	}
	return t
}()

// ctxHome returns the inline-table slot where the key whose hashFold is h
// is looked for first, and whether it is a known key. It decides by the
// hash alone: another key with the hash of a known one (a 64-bit
// collision) would share its home and its priority, which costs a probe
// but never a wrong answer, since every key is found from its home.
func ctxHome(h uint64) (uint64, bool) {
	for j := h >> 58; ; j = (j + 1) & 63 {
		k := &ctxKnownIdx[j]
		if k.h == 0 {
			break // 0 marks an empty entry, so a hash of 0 is never known
		}
		if k.h == h {
			return k.slot, true
		}
	}
	return uint64(ctxKnownSlots) + uint64(uint32(h))*uint64(ctxSlots-ctxKnownSlots)>>32, false
}
