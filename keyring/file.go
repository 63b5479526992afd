package keyring

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FileKey is one line of a master key file.
type FileKey struct {
	ID      uint32
	Key     []byte
	Created time.Time // zero: not recorded (files written before rotation existed)
}

// ParseFile reads a master key file's lines, in order; blank lines and
// lines starting with '#' are skipped. The last key is the current one.
func ParseFile(data []byte) ([]FileKey, error) {
	var keys []FileKey
	seen := map[uint32]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 2 && len(f) != 3 {
			return nil, fmt.Errorf("keyring: line %d: want \"<id> <base64 key> [<created>]\"", line)
		}
		id, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("keyring: line %d: bad key id %q", line, f[0])
		}
		key, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return nil, fmt.Errorf("keyring: line %d: key is not base64", line)
		}
		if len(key) != keySize {
			return nil, fmt.Errorf("keyring: line %d: key has %d bytes, want %d", line, len(key), keySize)
		}
		fk := FileKey{ID: uint32(id), Key: key}
		if len(f) == 3 {
			if fk.Created, err = time.Parse(time.RFC3339, f[2]); err != nil {
				return nil, fmt.Errorf("keyring: line %d: creation time %q is not RFC 3339", line, f[2])
			}
			fk.Created = fk.Created.UTC()
		}
		if seen[fk.ID] {
			return nil, fmt.Errorf("keyring: line %d: duplicate key id %d", line, id)
		}
		seen[fk.ID] = true
		keys = append(keys, fk)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("keyring: no key in master key file")
	}
	return keys, nil
}

// FormatFile writes keys as a master key file, the last one current.
func FormatFile(keys []FileKey) []byte {
	var b bytes.Buffer
	if len(keys) > 1 {
		b.WriteString("# iamd master keys: <id> <base64 key> [<created>]; the last line seals, the others only open.\n")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "%d %s", k.ID, base64.StdEncoding.EncodeToString(k.Key))
		if !k.Created.IsZero() {
			b.WriteString(" " + k.Created.UTC().Format(time.RFC3339))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ReadFile reads and parses the master key file at path.
func ReadFile(path string) ([]FileKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	keys, err := ParseFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// AddKey appends a fresh random key, created at now, to the master key file
// at path and makes it current; the keys already there stay, so every
// sealed value still opens. It returns the new key's ID (one more than the
// largest). The caller holds the file's Lock.
func AddKey(path string, now time.Time) (uint32, error) {
	keys, err := ReadFile(path)
	if err != nil {
		return 0, err
	}
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return 0, err
	}
	var id uint32
	for _, k := range keys {
		id = max(id, k.ID)
	}
	if id == ^uint32(0) {
		return 0, errors.New("keyring: key IDs exhausted")
	}
	id++
	keys = append(keys, FileKey{ID: id, Key: key, Created: now.UTC().Truncate(time.Second)})
	return id, WriteFile(path, keys)
}

// RemoveKeys rewrites the master key file at path without the keys ids. The
// current key cannot be removed. The caller holds the file's Lock.
func RemoveKeys(path string, ids []uint32) error {
	keys, err := ReadFile(path)
	if err != nil {
		return err
	}
	if slices.Contains(ids, keys[len(keys)-1].ID) {
		return fmt.Errorf("keyring: key %d is current and cannot be removed", keys[len(keys)-1].ID)
	}
	keys = slices.DeleteFunc(keys, func(k FileKey) bool { return slices.Contains(ids, k.ID) })
	return WriteFile(path, keys)
}

// WriteFile replaces the master key file at path with keys, atomically: a
// temporary file (mode 0600) in the same directory is written and synced,
// then renamed over path, and the directory is synced. A reader, or a crash,
// sees the old file or the new one, never a mix.
func WriteFile(path string, keys []FileKey) error {
	if _, err := newSet(keys); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".master-key-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(FormatFile(keys)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
