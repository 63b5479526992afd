package policy

import "strings"

// ActionKey is an action name prepared for evaluation once, where the
// caller learns the action (a server knows each operation's action when
// it starts): lower-cased, with the hashes the action indexes are probed
// with. A [Request] carrying one skips that work on every decision, and
// reads a small shared object instead of the request's own copy of the
// action text. An ActionKey is immutable and safe for concurrent use.
type ActionKey struct {
	name    string // as given
	lower   string // ASCII lower case
	hash    uint64 // hashFold(name)
	svcHash uint64 // hashFold of the service prefix, or hash without one
	svcLen  int    // length of the service prefix; -1 without a ':'
}

// NewActionKey prepares action ("service:Action", any case).
func NewActionKey(action string) *ActionKey {
	k := &ActionKey{name: action, lower: lowerASCII(action), hash: hashFold(action), svcLen: strings.IndexByte(action, ':')}
	k.svcHash = k.hash
	if k.svcLen >= 0 {
		k.svcHash = hashFold(action[:k.svcLen])
	}
	return k
}

// String returns the action as given to NewActionKey.
func (k *ActionKey) String() string { return k.name }
