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
// built for one request and read by many policies, so it is laid out for
// reading: a lookup checks a 64-bit filter of the keys' hashes (most
// lookups are for absent keys and end there), then a 32-slot index by
// hash, all in the Context's first cache line, and then reads the one
// entry whose hash matches: a cache line holding the key's hash, its
// name (lower-cased, when it fits, as condition keys do) and its first
// value. A single-valued key is therefore found in two cache lines of the
// Context. Looking a key up allocates nothing; building a Context
// allocates only when its arenas grow, so a reused Context (Reset) stops
// allocating.
//
// Key names are matched ASCII-case-insensitively, as AWS does; values are
// kept as given. A Context must not be modified while an evaluation reads
// it; concurrent evaluations may share it.
type Context struct {
	// bits has bit hash>>58 set for every key's hash: most lookups are
	// for keys the request does not carry (aws:RequestTag/..., the Null
	// checks), and they end here, in the Context's first cache line,
	// without scanning entries.
	bits uint64
	// slot is a small open-addressing index of entries by key hash
	// (entry index + 1 at hash&31, linear probing), kept while the
	// Context holds at most ctxSlotMax keys: a lookup then reads one
	// entry instead of scanning them. It shares the first cache line
	// with bits and the entries' slice header.
	slot    [ctxSlots]uint8
	entries []ctxEntry
	vals    []string
	keys    []byte // names longer than ctxKeyInline
	// Inline storage used by NewContext, so that a typical request's
	// context is one allocation and one contiguous block of memory. A
	// Context therefore must not be copied after its first Set.
	inlEntries [16]ctxEntry
	inlVals    [20]string
	inlKeys    [64]byte
}

// ctxKeyInline is the longest key name an entry holds itself.
const ctxKeyInline = 32

// ctxEntry is one key: 64 bytes, one cache line. hash is the hashFold of
// the key, which compiled conditions also hold, so a lookup compares
// 8-byte hashes and compares key text only once. The name is in kin when
// it fits, otherwise in Context.keys at koff; the values are in
// Context.vals at voff, and the first one also in v0, so that reading a
// single-valued key touches nothing else. Offsets are 16-bit: a Context
// holds at most 65,535 bytes of long key names and 65,535 values.
type ctxEntry struct {
	hash       uint64
	v0         string
	koff, klen uint16
	voff, vlen uint16
	kin        [ctxKeyInline]byte
}

// NewContext returns an empty Context with room for n keys; up to 16
// keys (with 20 values) fit without further allocation.
func NewContext(n int) *Context {
	c := &Context{}
	c.entries, c.keys, c.vals = c.inlEntries[:0], c.inlKeys[:0], c.inlVals[:0]
	if n > len(c.inlEntries) {
		c.entries, c.vals = make([]ctxEntry, 0, n), make([]string, 0, n+4)
	}
	return c
}

// Reset empties c for reuse, keeping its storage.
func (c *Context) Reset() {
	c.slot = [ctxSlots]uint8{}
	c.bits, c.entries, c.keys, c.vals = 0, c.entries[:0], c.keys[:0], c.vals[:0]
}

// Set sets key to values (copied), replacing any previous values of the
// key. Single-valued keys have one value; multivalued keys (aws:TagKeys,
// ...) any number. An empty value list is an empty multivalued key, which
// condition operators treat like a missing key.
func (c *Context) Set(key string, values ...string) {
	if len(c.keys)+len(key) > 0xffff || len(c.vals)+len(values) > 0xffff || len(key) > 0xffff {
		panic("policy: Context too large")
	}
	h := hashFold(key)
	i := c.find(h, key, false)
	if i < 0 {
		e := ctxEntry{hash: h, klen: uint16(len(key))}
		if len(key) <= ctxKeyInline {
			for j := 0; j < len(key); j++ {
				e.kin[j] = lowerByte(key[j])
			}
		} else {
			e.koff = uint16(len(c.keys))
			for j := 0; j < len(key); j++ {
				c.keys = append(c.keys, lowerByte(key[j]))
			}
		}
		c.bits |= keyBit(h)
		c.entries = append(c.entries, e)
		i = len(c.entries) - 1
		if len(c.entries) <= ctxSlotMax {
			s := h
			for c.slot[s&(ctxSlots-1)] != 0 {
				s++
			}
			c.slot[s&(ctxSlots-1)] = uint8(len(c.entries))
		}
	}
	// Replaced values stay in the arena as garbage until Reset; keys are
	// rarely set twice.
	e := &c.entries[i]
	e.voff, e.vlen, e.v0 = uint16(len(c.vals)), uint16(len(values)), ""
	if len(values) > 0 {
		e.v0 = values[0]
	}
	c.vals = append(c.vals, values...)
}

func lowerByte(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return b
}

const (
	ctxSlots   = 32
	ctxSlotMax = 24 // at most 3/4 full, so probing ends at an empty slot
)

// find returns the index of the entry for key, whose hashFold is h; key
// is lower case if lower is set and is otherwise compared ignoring ASCII
// case. -1 if there is none.
func (c *Context) find(h uint64, key string, lower bool) int {
	if c == nil || c.bits&keyBit(h) == 0 {
		return -1
	}
	if len(c.entries) <= ctxSlotMax {
		for s := h; ; s++ {
			j := int(c.slot[s&(ctxSlots-1)]) - 1
			if j < 0 {
				return -1
			}
			if c.is(j, h, key, lower) {
				return j
			}
		}
	}
	for i := range c.entries {
		if c.is(i, h, key, lower) {
			return i
		}
	}
	return -1
}

// is reports whether entry i is key's (see find).
func (c *Context) is(i int, h uint64, key string, lower bool) bool {
	e := &c.entries[i]
	if e.hash != h || int(e.klen) != len(key) {
		return false
	}
	k := c.name(e)
	if lower {
		return eqStr(k, key)
	}
	return equalFoldASCII(key, k)
}

// name returns e's key name (lower case), which aliases c.
func (c *Context) name(e *ctxEntry) string {
	if e.klen <= ctxKeyInline {
		return unsafe.String(&e.kin[0], int(e.klen))
	}
	return unsafe.String(&c.keys[e.koff], int(e.klen))
}

// Lookup returns the values of key, ignoring ASCII case in the key. The
// returned slice aliases c and must not be modified.
func (c *Context) Lookup(key string) ([]string, bool) {
	h := hashFold(key)
	i := c.find(h, key, false)
	if i < 0 {
		return nil, false
	}
	e := &c.entries[i]
	return c.vals[e.voff : e.voff+e.vlen : e.voff+e.vlen], true
}

// entry is find for a lower-case key and its hashFold, the form compiled
// policies hold, with the indexed search written out: it is the lookup
// every condition makes.
func (c *Context) entry(lower string, h uint64) *ctxEntry {
	if c == nil || c.bits&keyBit(h) == 0 {
		return nil
	}
	if len(c.entries) > ctxSlotMax {
		if i := c.find(h, lower, true); i >= 0 {
			return &c.entries[i]
		}
		return nil
	}
	for s := h; ; s++ {
		j := int(c.slot[s&(ctxSlots-1)]) - 1
		if j < 0 {
			return nil
		}
		e := &c.entries[j]
		if e.hash == h && int(e.klen) == len(lower) && eqStr(c.name(e), lower) {
			return e
		}
	}
}

// keyBit is a key hash's bit in Context.bits.
func keyBit(h uint64) uint64 { return 1 << (h >> 58) }

// Len returns the number of keys set.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
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
