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
type Request struct {
	Principal Principal
	Action    string // service:Action, any case
	Resource  string // ARN, or "*" for actions without resource-level permissions
	Context   *Context
	// ActionKey, if set, is NewActionKey(Action), prepared once for every
	// request with this action; Evaluate then neither lower-cases nor
	// hashes the action. A key for another action is ignored.
	ActionKey *ActionKey
}

// Context holds the request's condition keys and their values. It is
// built for one request and read by many policies, and it is often cold
// when a decision starts (one of many requests in flight, or prepared
// ahead), so it is laid out to be small and in one piece: what a decision
// reads of it is a few lines of one region, next to the Request that
// points to it, not lines scattered over the heap.
//
//   - Each key is a record in one byte buffer (text), held in the
//     Context itself until it outgrows it: the key's hash, its name
//     (lower-cased, as condition keys are) and, for a single-valued key,
//     its value, copied. A lookup that finds a key reads its record and
//     nothing else.
//   - An open-addressing index of 16-bit record offsets (32 slots, one
//     line, linear probing, at most ctxInlineMax keys) follows the
//     header; a 64-bit filter of the keys' hashes in the header answers
//     most lookups of absent keys without reading further.
//
// A Context with more keys, or more text than 16-bit offsets reach,
// moves its index to a larger table on the heap. Looking a key up
// allocates nothing; building a Context allocates only when its records
// outgrow the inline buffer, for multivalued keys beyond the inline room
// and for large contexts, so a reused Context (Reset) stops allocating.
//
// Key names are matched ASCII-case-insensitively, as AWS does; values are
// kept as given. A Context must not be copied after its first Set (its
// slices point into itself), and must not be modified while an
// evaluation reads it; concurrent evaluations may share it.
type Context struct {
	// The header: one cache line (64 bytes), read by every lookup.
	//
	// bits has bit hash>>58 set for every key's hash.
	bits uint64
	// big is the index once the inline one cannot hold the keys; nil
	// before.
	big  *ctxTable
	text []byte   // the records; inl until it outgrows it
	vals []string // values of multivalued keys

	// idx is the inline index: slot hash&(ctxSlots-1) holds the offset
	// of a key's record in text, in 8-byte units, plus one; 0 is empty.
	idx [ctxSlots]uint16

	n       int // keys in the inline index
	inl     [ctxInlineText]byte
	inlVals [4]string
}

const (
	// ctxSlots is the inline index's size, a power of two; ctxInlineMax
	// keeps it at most 72% full so probes stay short and end at an
	// empty slot.
	ctxSlots     = 32
	ctxInlineMax = 23
	// ctxInlineText is the room for records in the Context itself:
	// about fifteen keys of usual names and values, and a Context of
	// exactly 15 cache lines.
	ctxInlineText = 760
	// ctxFar is the first record offset (in 8-byte units, plus one) the
	// inline index cannot hold.
	ctxFar = 1 << 16
)

// ctxRec is the head of a record in Context.text, at an offset that is a
// multiple of 8. The key's name (klen bytes, lower case) follows; then,
// when nv is 1, the value, v bytes. Otherwise v is the index of the key's
// first value in Context.vals. Records are padded to 8 bytes.
type ctxRec struct {
	hash uint64
	klen uint16
	nv   uint16
	v    uint32
}

const ctxRecHead = int(unsafe.Sizeof(ctxRec{}))

// ctxTable is the index of a Context with many keys or much text: like
// the inline index, but with 32-bit offsets.
type ctxTable struct {
	mask uint64
	n    int
	idx  []uint32
}

// NewContext returns an empty Context with room for n keys; up to 23
// keys fit without a heap index.
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
		clear(c.big.idx)
		c.big.n = 0
	}
	c.idx = [ctxSlots]uint16{}
	c.bits, c.n, c.text, c.vals = 0, 0, c.text[:0], c.vals[:0]
}

// rec returns the record at off (in bytes).
func (c *Context) rec(off int) *ctxRec {
	return (*ctxRec)(unsafe.Pointer(&c.text[off]))
}

// name returns r's key name, aliasing its Context.
func (r *ctxRec) name() string {
	if r.klen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(r), ctxRecHead)), int(r.klen))
}

// values returns r's values, aliasing c.
func (r *ctxRec) values(c *Context) values {
	if r.nv != 1 {
		return values{many: c.vals[r.v : r.v+uint32(r.nv) : r.v+uint32(r.nv)]}
	}
	if r.v == 0 {
		return values{single: true}
	}
	return values{one: unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(r), ctxRecHead+int(r.klen))), int(r.v)), single: true}
}

// matches reports whether the record at off is key: lower case when
// fold is false, any case otherwise.
func (c *Context) matches(off int, h uint64, key string, fold bool) bool {
	r := c.rec(off)
	if r.hash != h || int(r.klen) != len(key) {
		return false
	}
	if fold {
		return equalFoldASCII(key, r.name())
	}
	return eqStr(r.name(), key)
}

// probe returns the index slot of key, or of the empty slot where it
// goes, in the inline index or in big.
func (c *Context) probe(h uint64, key string, fold bool) (slot int, found bool) {
	if t := c.big; t != nil {
		for i := h; ; i++ {
			s := t.idx[i&t.mask]
			if s == 0 {
				return int(i & t.mask), false
			}
			if c.matches(int(s-1)*8, h, key, fold) {
				return int(i & t.mask), true
			}
		}
	}
	for i := h; ; i++ {
		s := c.idx[i&(ctxSlots-1)]
		if s == 0 {
			return int(i & (ctxSlots - 1)), false
		}
		if c.matches(int(s-1)*8, h, key, fold) {
			return int(i & (ctxSlots - 1)), true
		}
	}
}

// grow moves the index to a heap table with room for n keys.
func (c *Context) grow(n int) {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	t := &ctxTable{mask: uint64(size - 1), idx: make([]uint32, size)}
	move := func(s uint32) {
		for i := c.rec(int(s-1) * 8).hash; ; i++ {
			if p := &t.idx[i&t.mask]; *p == 0 {
				*p = s
				t.n++
				return
			}
		}
	}
	if c.big != nil {
		for _, s := range c.big.idx {
			if s != 0 {
				move(s)
			}
		}
	}
	for i, s := range c.idx {
		if s != 0 {
			move(uint32(s))
			c.idx[i] = 0
		}
	}
	c.n, c.big = 0, t
}

// Set sets key to values (copied), replacing any previous values of the
// key. Single-valued keys have one value; multivalued keys (aws:TagKeys,
// ...) any number. An empty value list is an empty multivalued key, which
// condition operators treat like a missing key.
func (c *Context) Set(key string, values ...string) {
	if len(key) > 0xffff || len(values) > 0xffff || len(values) == 1 && uint64(len(values[0])) > 0xffffffff {
		panic("policy: Context too large")
	}
	h := hashFold(key)
	if c.text == nil {
		c.text = c.inl[:0]
	}
	unit := len(c.text)/8 + 1
	if c.big == nil {
		slot, found := c.probe(h, key, true)
		if unit < ctxFar && (found || c.n < ctxInlineMax) {
			c.write(h, key, values)
			c.idx[slot] = uint16(unit)
			if !found {
				c.n++
				c.bits |= keyBit(h)
			}
			return
		}
		c.grow(2 * (c.n + 1))
	}
	if 2*(c.big.n+1) > len(c.big.idx) {
		c.grow(2 * (c.big.n + 1))
	}
	slot, found := c.probe(h, key, true)
	c.write(h, key, values)
	c.big.idx[slot] = uint32(unit)
	if !found {
		c.big.n++
		c.bits |= keyBit(h)
	}
}

// write appends key's record. Replaced records stay in text as garbage
// until Reset; keys are rarely set twice.
func (c *Context) write(h uint64, key string, values []string) {
	r := ctxRec{hash: h, klen: uint16(len(key)), nv: uint16(len(values))}
	size := ctxRecHead + len(key)
	if len(values) == 1 {
		r.v = uint32(len(values[0]))
		size += len(values[0])
	} else {
		if c.vals == nil {
			c.vals = c.inlVals[:0]
		}
		r.v = uint32(len(c.vals))
		c.vals = append(c.vals, values...)
	}
	size = (size + 7) &^ 7
	off := len(c.text)
	c.text = append(c.text, make([]byte, size)...)
	*c.rec(off) = r
	b := c.text[off+ctxRecHead:]
	for j := 0; j < len(key); j++ {
		b[j] = lowerByte(key[j])
	}
	if len(values) == 1 {
		copy(b[len(key):], values[0])
	}
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return b
}

// Lookup returns the values of key, ignoring ASCII case in the key. The
// returned slice aliases c and must not be modified.
func (c *Context) Lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	h := hashFold(key)
	if c.bits&keyBit(h) == 0 {
		return nil, false
	}
	slot, found := c.probe(h, key, true)
	if !found {
		return nil, false
	}
	v := c.rec(c.offset(slot)).values(c)
	if v.single {
		return []string{v.one}, true
	}
	return v.many, true
}

// offset returns the record offset (in bytes) in index slot i.
func (c *Context) offset(i int) int {
	if c.big != nil {
		return int(c.big.idx[i]-1) * 8
	}
	return int(c.idx[i]-1) * 8
}

// find looks up a lower-case key by its hashFold, the form compiled
// policies hold: it is the lookup every condition makes.
func (c *Context) find(lower string, h uint64) (values, bool) {
	if c == nil || c.bits&keyBit(h) == 0 {
		return values{}, false
	}
	if c.big != nil {
		slot, found := c.probe(h, lower, false)
		if !found {
			return values{}, false
		}
		return c.rec(c.offset(slot)).values(c), true
	}
	// The records are c's own (Set wrote them): no bounds checks.
	text := unsafe.Pointer(unsafe.SliceData(c.text))
	for i := h; ; i++ {
		s := c.idx[i&(ctxSlots-1)]
		if s == 0 {
			return values{}, false
		}
		r := (*ctxRec)(unsafe.Add(text, int(s-1)*8))
		if r.hash == h && int(r.klen) == len(lower) && eqStr(r.name(), lower) {
			return r.values(c), true
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
