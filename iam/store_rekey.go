package iam

// SealedKind names a family of keyring-sealed values in the store. Each
// value is sealed with its owner's ID as associated data, so re-encrypting
// needs nothing but the kind, the owner and the ciphertext.
type SealedKind string

// Sealed kinds: every column that holds a keyring-sealed value. STS session
// tokens are sealed too but never stored; they expire instead.
const (
	SealedAccessKeySecret SealedKind = "accesskey"  // access_keys.sealed_secret, owner: access key ID
	SealedMFASeed         SealedKind = "mfa"        // mfa_devices.sealed_seed, owner: serial number
	SealedServerCertKey   SealedKind = "servercert" // server_certificates.sealed_private_key, owner: certificate ID
)

// SealedKinds lists every kind, in the order a rotation processes them.
var SealedKinds = []SealedKind{SealedAccessKeySecret, SealedMFASeed, SealedServerCertKey}

// SealedValue is one stored sealed value.
type SealedValue struct {
	Owner  string // the row's ID, also the associated data it is sealed with
	Sealed []byte
}

// RekeyTx is the part of Tx that master-key rotation uses (iam/rekey.go):
// it walks every sealed value in batches and replaces each with the same
// secret sealed under the new key.
type RekeyTx interface {
	// SealedValues returns up to limit (> 0) values of the kind whose owner
	// is greater than after (byte order), ordered by owner. An unknown kind
	// is an error.
	SealedValues(kind SealedKind, after string, limit int) ([]SealedValue, error)
	// ReplaceSealed stores sealed as the owner's value if it still holds
	// old, and reports whether it did: false (and no error) when the row is
	// gone or its value changed meanwhile, so a concurrent write is never
	// overwritten. Nothing else in the row changes.
	ReplaceSealed(kind SealedKind, owner string, old, sealed []byte) (bool, error)
}
