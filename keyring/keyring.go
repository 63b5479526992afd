// Package keyring seals and opens secrets that iamd must be able to recover
// (access-key secrets for SigV4, later MFA seeds and session-token keys) with
// AES-256-GCM under a master key.
//
// The master key file holds one or more keys, one per line as
// "<id> <base64 32 bytes>"; the last line is the current key, used to seal.
// Older keys stay readable so that a rotation can re-encrypt at its own pace
// without losing a secret if interrupted. Each sealed value records the ID of
// the key that sealed it.
//
// Sealed format: 0x01 | key id (uint32, big endian) | 12-byte nonce |
// ciphertext+tag. Callers pass associated data that binds the ciphertext to
// its owner (for example the access key ID), so a sealed secret copied onto
// another row does not open.
package keyring

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	formatV1  = 0x01
	keySize   = 32
	nonceSize = 12
	headerLen = 1 + 4 + nonceSize
)

// ErrOpen is returned when a sealed value cannot be opened: wrong key,
// tampered ciphertext or mismatched associated data.
var ErrOpen = errors.New("keyring: cannot open sealed value")

// Keyring holds the master keys. It is safe for concurrent use once built.
type Keyring struct {
	aeads   map[uint32]cipher.AEAD
	current uint32
}

// New builds a keyring from keys by ID; current selects the sealing key.
func New(keys map[uint32][]byte, current uint32) (*Keyring, error) {
	k := &Keyring{aeads: make(map[uint32]cipher.AEAD, len(keys)), current: current}
	for id, key := range keys {
		if len(key) != keySize {
			return nil, fmt.Errorf("keyring: key %d has %d bytes, want %d", id, len(key), keySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[id] = aead
	}
	if _, ok := k.aeads[current]; !ok {
		return nil, fmt.Errorf("keyring: current key %d missing", current)
	}
	return k, nil
}

// Generate returns a keyring with one fresh random key, and the file content
// that stores it.
func Generate() (*Keyring, []byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	k, err := New(map[uint32][]byte{1: key}, 1)
	if err != nil {
		return nil, nil, err
	}
	return k, []byte("1 " + base64.StdEncoding.EncodeToString(key) + "\n"), nil
}

// Parse reads a master key file's content.
func Parse(data []byte) (*Keyring, error) {
	keys := map[uint32][]byte{}
	var current uint32
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		idText, keyText, ok := strings.Cut(text, " ")
		if !ok {
			return nil, fmt.Errorf("keyring: line %d: want \"<id> <base64 key>\"", line)
		}
		id, err := strconv.ParseUint(idText, 10, 32)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("keyring: line %d: bad key id %q", line, idText)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyText))
		if err != nil {
			return nil, fmt.Errorf("keyring: line %d: key is not base64", line)
		}
		if _, dup := keys[uint32(id)]; dup {
			return nil, fmt.Errorf("keyring: line %d: duplicate key id %d", line, id)
		}
		keys[uint32(id)] = key
		current = uint32(id)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("keyring: no key in master key file")
	}
	return New(keys, current)
}

// LoadOrCreate reads the master key file at path, creating it with a fresh
// key (mode 0600) when it does not exist and create is true.
func LoadOrCreate(path string, create bool) (k *Keyring, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := Parse(data)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, false, err
	}
	k, content, err := Generate()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	// O_EXCL: two processes racing on first start must not each write a
	// different key, or one would seal secrets nobody can open.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}

// Seal encrypts plaintext under the current key, binding it to ad.
func (k *Keyring) Seal(plaintext, ad []byte) []byte {
	aead := k.aeads[k.current]
	out := make([]byte, headerLen, headerLen+len(plaintext)+aead.Overhead())
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:5], k.current)
	if _, err := rand.Read(out[5:headerLen]); err != nil {
		// crypto/rand does not fail on supported platforms; sealing
		// with a predictable nonce would be worse than stopping.
		panic("keyring: crypto/rand failed: " + err.Error())
	}
	return aead.Seal(out, out[5:headerLen], plaintext, ad)
}

// Open decrypts a value produced by Seal with the same ad.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < headerLen || sealed[0] != formatV1 {
		return nil, ErrOpen
	}
	aead, ok := k.aeads[binary.BigEndian.Uint32(sealed[1:5])]
	if !ok {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, sealed[5:headerLen], sealed[headerLen:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
