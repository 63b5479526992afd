package iam

import (
	"crypto/rand"
	"encoding/base64"
)

// Unique-ID and access-key prefixes, as AWS issues them. Tools and policies
// recognise entity kinds by them (AIDA = user, AGPA = group, ...).
const (
	PrefixUser      = "AIDA"
	PrefixGroup     = "AGPA"
	PrefixRole      = "AROA"
	PrefixPolicy    = "ANPA"
	PrefixAccessKey = "AKIA"
)

// idAlphabet is what AWS uses in unique IDs and key IDs: upper-case letters
// and the digits 2-7 (base32), so IDs survive case-insensitive systems.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns prefix followed by n random base32 characters.
func newID(prefix string, n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, len(prefix)+n)
	copy(out, prefix)
	for i, b := range buf {
		out[len(prefix)+i] = idAlphabet[b&31]
	}
	return string(out)
}

// NewUserID returns a user unique ID (21 characters).
func NewUserID() string { return newID(PrefixUser, 17) }

// NewGroupID returns a group unique ID (21 characters).
func NewGroupID() string { return newID(PrefixGroup, 17) }

// NewAccessKeyID returns an access key ID (20 characters).
func NewAccessKeyID() string { return newID(PrefixAccessKey, 16) }

// NewSecretAccessKey returns a 40-character secret in AWS's alphabet.
func NewSecretAccessKey() string {
	buf := make([]byte, 30)
	if _, err := rand.Read(buf); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// NewAccountID returns a random 12-digit account ID that does not start
// with 0, so tools that parse it as a number keep all 12 digits.
func NewAccountID() string {
	buf := make([]byte, 12)
	if _, err := rand.Read(buf); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, 12)
	for i, b := range buf {
		out[i] = '0' + b%10
	}
	if out[0] == '0' {
		out[0] = '1' + buf[0]%9
	}
	return string(out)
}
