// Package keyring seals and opens secrets that iamd must be able to recover
// (access-key secrets for SigV4, MFA seeds, server-certificate private keys
// and STS session tokens) with AES-256-GCM under a master key.
//
// The master key file holds one or more keys, one per line as
// "<id> <base64 32 bytes> [<created, RFC 3339>]"; the last line is the
// current key, used to seal. The creation time is optional so that files
// written before rotation existed (one key, no time) keep working; keys
// added by [AddKey] carry it, because pruning needs to know how long ago a
// key stopped sealing. Older keys stay readable so that a rotation can
// re-encrypt at its own pace without losing a secret if interrupted. Each
// sealed value records the ID of the key that sealed it ([KeyID]).
//
// A Keyring loaded from a file follows it: it re-reads the file when Open
// meets a key ID it does not know (at most once per second, so forged
// values cannot make it hammer the disk), and checks the file's size and
// modification time every ReloadInterval on use, so that a running server
// seals with a new current key within seconds of `iamd keys rotate` adding
// it, without a restart.
//
// Sealed format: 0x01 | key id (uint32, big endian) | 12-byte nonce |
// ciphertext+tag. Callers pass associated data that binds the ciphertext to
// its owner (for example the access key ID), so a sealed secret copied onto
// another row does not open.
package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

const (
	formatV1  = 0x01
	keySize   = 32
	nonceSize = 12
	headerLen = 1 + 4 + nonceSize
)

// ReloadInterval is how often a file-backed Keyring checks, on use, whether
// its file changed. `iamd keys rotate` waits longer than this after adding
// a key before it re-encrypts, so every running server seals with the new
// key by then.
const ReloadInterval = 10 * time.Second

// unknownKeyReloadInterval bounds the re-reads that values sealed with an
// unknown key ID can cause. Tests shorten it.
var unknownKeyReloadInterval = time.Second

// ErrOpen is returned when a sealed value cannot be opened: wrong key,
// tampered ciphertext or mismatched associated data.
var ErrOpen = errors.New("keyring: cannot open sealed value")

// KeyInfo describes one key of a keyring, without its material.
type KeyInfo struct {
	ID      uint32
	Created time.Time // zero when the file does not record it
	Current bool
}

// keySet is one immutable generation of keys; a reload swaps in another.
type keySet struct {
	aeads   map[uint32]cipher.AEAD
	raw     map[uint32][]byte
	current uint32
	info    []KeyInfo // in file order
}

// Keyring holds the master keys. It is safe for concurrent use.
type Keyring struct {
	set atomic.Pointer[keySet]

	// File-backed keyrings only (path != "").
	path       string
	now        func() time.Time
	mu         sync.Mutex // serializes reloads
	stamp      fileStamp  // of the file content in set; under mu
	lastCheck  atomic.Int64
	lastForced atomic.Int64
	log        atomic.Pointer[slog.Logger]
}

type fileStamp struct {
	size    int64
	modTime time.Time
	ino     uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), modTime: fi.ModTime(), ino: inode(fi)}
}

func newSet(keys []FileKey) (*keySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no key in master key file")
	}
	s := &keySet{aeads: make(map[uint32]cipher.AEAD, len(keys)), raw: make(map[uint32][]byte, len(keys))}
	for _, fk := range keys {
		if len(fk.Key) != keySize {
			return nil, fmt.Errorf("keyring: key %d has %d bytes, want %d", fk.ID, len(fk.Key), keySize)
		}
		if _, dup := s.aeads[fk.ID]; dup {
			return nil, fmt.Errorf("keyring: duplicate key id %d", fk.ID)
		}
		block, err := aes.NewCipher(fk.Key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads[fk.ID] = aead
		s.raw[fk.ID] = fk.Key
		s.info = append(s.info, KeyInfo{ID: fk.ID, Created: fk.Created})
	}
	s.current = keys[len(keys)-1].ID
	s.info[len(s.info)-1].Current = true
	return s, nil
}

// New builds a keyring from keys by ID; current selects the sealing key.
// It does not follow any file.
func New(keys map[uint32][]byte, current uint32) (*Keyring, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("keyring: current key %d missing", current)
	}
	list := make([]FileKey, 0, len(keys))
	for id, key := range keys {
		if id != current {
			list = append(list, FileKey{ID: id, Key: key})
		}
	}
	list = append(list, FileKey{ID: current, Key: keys[current]})
	s, err := newSet(list)
	if err != nil {
		return nil, err
	}
	k := &Keyring{now: time.Now}
	k.set.Store(s)
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
	// The first key records no creation time, exactly as files written
	// before rotation existed: nothing was sealed before it.
	return k, FormatFile([]FileKey{{ID: 1, Key: key}}), nil
}

// Parse reads a master key file's content. The keyring does not follow any
// file; use Load for that.
func Parse(data []byte) (*Keyring, error) {
	keys, err := ParseFile(data)
	if err != nil {
		return nil, err
	}
	s, err := newSet(keys)
	if err != nil {
		return nil, err
	}
	k := &Keyring{now: time.Now}
	k.set.Store(s)
	return k, nil
}

// Load reads the master key file at path into a keyring that follows the
// file (see the package documentation).
func Load(path string) (*Keyring, error) {
	k := &Keyring{path: path, now: time.Now}
	if err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadOrCreate reads the master key file at path, creating it with a fresh
// key (mode 0600) when it does not exist and create is true. The keyring
// follows the file.
func LoadOrCreate(path string, create bool) (k *Keyring, created bool, err error) {
	k, err = Load(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, false, err
	}
	_, content, err := Generate()
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
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	k, err = Load(path)
	return k, err == nil, err
}

// SetLogger makes a file-backed keyring log the reloads it performs and
// the ones that fail (it keeps its keys then). Key material is never
// logged.
func (k *Keyring) SetLogger(log *slog.Logger) { k.log.Store(log) }

// Reload re-reads the keyring's file now. A file that does not parse, or
// that gives an existing key ID different key material, is refused and the
// keys in use are kept: a half-edited or foreign file must not make sealed
// values unreadable. Keys removed from the file are dropped. Reload on a
// keyring that follows no file does nothing.
func (k *Keyring) Reload() error {
	if k.path == "" {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.reloadLocked()
}

func (k *Keyring) reloadLocked() error {
	k.lastCheck.Store(k.now().UnixNano())
	f, err := os.Open(k.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return err
	}
	keys, err := ParseFile(buf.Bytes())
	if err != nil {
		return fmt.Errorf("%s: %w", k.path, err)
	}
	next, err := newSet(keys)
	if err != nil {
		return fmt.Errorf("%s: %w", k.path, err)
	}
	if old := k.set.Load(); old != nil {
		for id, key := range next.raw {
			if prev, ok := old.raw[id]; ok && subtle.ConstantTimeCompare(prev, key) != 1 {
				return fmt.Errorf("%s: key %d changed its material; refusing the file", k.path, id)
			}
		}
		if old.current != next.current {
			if log := k.log.Load(); log != nil {
				log.Info("master key file reloaded", "path", k.path, "current_key", next.current, "previous_key", old.current)
			}
		}
	}
	k.set.Store(next)
	k.stamp = stampOf(fi)
	return nil
}

// maybeReload checks the file every ReloadInterval, on use, and re-reads
// it when its size, modification time or inode changed. Only one caller
// does the check; the others carry on with the keys they have.
func (k *Keyring) maybeReload() {
	if k.path == "" {
		return
	}
	now := k.now().UnixNano()
	last := k.lastCheck.Load()
	if now-last < int64(ReloadInterval) || !k.lastCheck.CompareAndSwap(last, now) {
		return
	}
	if !k.mu.TryLock() {
		return
	}
	defer k.mu.Unlock()
	fi, err := os.Stat(k.path)
	if err != nil {
		k.logErr(err)
		return
	}
	if st := stampOf(fi); st.size == k.stamp.size && st.ino == k.stamp.ino && st.modTime.Equal(k.stamp.modTime) {
		return
	}
	if err := k.reloadLocked(); err != nil {
		k.logErr(err)
	}
}

// reloadForUnknown re-reads the file because a value names a key this
// keyring lacks, at most once per unknownKeyReloadInterval.
func (k *Keyring) reloadForUnknown(id uint32) bool {
	if k.path == "" {
		return false
	}
	now := k.now().UnixNano()
	last := k.lastForced.Load()
	if now-last < int64(unknownKeyReloadInterval) || !k.lastForced.CompareAndSwap(last, now) {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.set.Load().aeads[id]; ok {
		return true // another caller loaded it meanwhile
	}
	if err := k.reloadLocked(); err != nil {
		k.logErr(err)
		return false
	}
	_, ok := k.set.Load().aeads[id]
	return ok
}

func (k *Keyring) logErr(err error) {
	if log := k.log.Load(); log != nil {
		log.Error("master key file reload failed; keeping the keys in use", "path", k.path, "err", err)
	}
}

// Current returns the ID of the key that seals.
func (k *Keyring) Current() uint32 {
	k.maybeReload()
	return k.set.Load().current
}

// Keys describes the keys, in file order (the current key last).
func (k *Keyring) Keys() []KeyInfo {
	return append([]KeyInfo(nil), k.set.Load().info...)
}

// KeyID returns the ID of the key that sealed a value, without opening it;
// false when the value is not in a known format.
func KeyID(sealed []byte) (uint32, bool) {
	if len(sealed) < headerLen || sealed[0] != formatV1 {
		return 0, false
	}
	return binary.BigEndian.Uint32(sealed[1:5]), true
}

// Seal encrypts plaintext under the current key, binding it to ad.
func (k *Keyring) Seal(plaintext, ad []byte) []byte {
	k.maybeReload()
	s := k.set.Load()
	aead := s.aeads[s.current]
	out := make([]byte, headerLen, headerLen+len(plaintext)+aead.Overhead())
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:5], s.current)
	if _, err := rand.Read(out[5:headerLen]); err != nil {
		// crypto/rand does not fail on supported platforms; sealing
		// with a predictable nonce would be worse than stopping.
		panic("keyring: crypto/rand failed: " + err.Error())
	}
	return aead.Seal(out, out[5:headerLen], plaintext, ad)
}

// Open decrypts a value produced by Seal with the same ad. A value sealed
// with a key this keyring does not have makes a file-backed keyring re-read
// its file (rate-limited) before giving up.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	id, ok := KeyID(sealed)
	if !ok {
		return nil, ErrOpen
	}
	aead, ok := k.set.Load().aeads[id]
	if !ok {
		if !k.reloadForUnknown(id) {
			return nil, ErrOpen
		}
		aead = k.set.Load().aeads[id]
	}
	pt, err := aead.Open(nil, sealed[5:headerLen], sealed[headerLen:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
