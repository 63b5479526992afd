package policy

import "unique"

// ActionKey is an action name prepared for evaluation once, where the
// caller learns the action (a server knows each operation's action when
// it starts): lower-cased, with the hashes the action indexes are probed
// with. A [Request] carrying one skips that work on every decision, and
// reads a small shared object instead of the request's own copy of the
// action text. An ActionKey is immutable and safe for concurrent use.
type ActionKey struct {
	name string // as given
	ref  actionRef
}

// NewActionKey prepares action ("service:Action", any case).
func NewActionKey(action string) *ActionKey {
	k := &ActionKey{name: action, ref: actionRef{act: lowerASCII(action), lower: true, hash: hashFold(action)}}
	k.ref.prepare()
	k.ref.id = unique.Make(k.ref.act)
	if k.ref.svcLen >= 0 {
		k.ref.svcID = unique.Make(k.ref.act[:k.ref.svcLen])
	} else {
		k.ref.svcID = k.ref.id
	}
	return k
}

// String returns the action as given to NewActionKey.
func (k *ActionKey) String() string { return k.name }
