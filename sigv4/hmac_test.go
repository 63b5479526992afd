package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

func hmacNew(key []byte) hash.Hash { return hmac.New(sha256.New, key) }
