package keyring

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	keyA = bytes.Repeat([]byte{0xa}, keySize)
	keyB = bytes.Repeat([]byte{0xb}, keySize)
	b64A = base64.StdEncoding.EncodeToString(keyA)
	b64B = base64.StdEncoding.EncodeToString(keyB)
	t0   = time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)
)

var parseFileTests = []struct {
	name string
	in   string
	want []FileKey // nil: an error
}{
	{"single key written before rotation existed", "1 " + b64A + "\n", []FileKey{{ID: 1, Key: keyA}}},
	{"no final newline", "1 " + b64A, []FileKey{{ID: 1, Key: keyA}}},
	{"rotated, with creation time", "1 " + b64A + "\n2 " + b64B + " 2026-12-02T06:30:00Z\n",
		[]FileKey{{ID: 1, Key: keyA}, {ID: 2, Key: keyB, Created: t0}}},
	{"comments, blank lines, tabs, offsets", "# keys\n\n 7\t" + b64B + "  2026-12-02T07:30:00+01:00 \n",
		[]FileKey{{ID: 7, Key: keyB, Created: t0}}},
	{"order kept, current last", "5 " + b64B + "\n3 " + b64A + "\n", []FileKey{{ID: 5, Key: keyB}, {ID: 3, Key: keyA}}},
	{"empty", "", nil},
	{"only comments", "# nothing\n", nil},
	{"one field", "1" + b64A, nil},
	{"four fields", "1 " + b64A + " 2026-12-02T06:30:00Z extra", nil},
	{"bad id", "x " + b64A, nil},
	{"zero id", "0 " + b64A, nil},
	{"id overflow", "4294967296 " + b64A, nil},
	{"bad base64", "1 !!!", nil},
	{"short key", "1 AAAA", nil},
	{"bad time", "1 " + b64A + " yesterday", nil},
	{"duplicate id", "1 " + b64A + "\n1 " + b64B, nil},
}

func TestParseFile(t *testing.T) {
	for _, tc := range parseFileTests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFile([]byte(tc.in))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("ParseFile(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || !equalKeys(got, tc.want) {
				t.Fatalf("ParseFile(%q):\n\tgot  %v, %v\n\twant %v", tc.in, got, err, tc.want)
			}
			// What FormatFile writes reads back the same.
			again, err := ParseFile(FormatFile(got))
			if err != nil || !equalKeys(again, got) {
				t.Fatalf("ParseFile(FormatFile(%v)) = %v, %v", got, again, err)
			}
			if _, err := Parse([]byte(tc.in)); err != nil {
				t.Errorf("Parse(%q) = %v", tc.in, err)
			}
		})
	}
}

func equalKeys(a, b []FileKey) bool {
	return slices.EqualFunc(a, b, func(x, y FileKey) bool {
		return x.ID == y.ID && bytes.Equal(x.Key, y.Key) && x.Created.Equal(y.Created)
	})
}

func FuzzParseFile(f *testing.F) {
	for _, tc := range parseFileTests {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseFile(data)
		if err != nil {
			return
		}
		again, err := ParseFile(FormatFile(keys))
		if err != nil || !equalKeys(again, keys) {
			t.Fatalf("round trip of %v = %v, %v", keys, again, err)
		}
		if _, err := newSet(keys); err != nil {
			t.Fatalf("newSet of parsed keys: %v", err)
		}
	})
}

// newKeyFile creates a one-key master key file and a keyring following it
// on a fake clock.
func newKeyFile(t *testing.T) (path string, k *Keyring, now *time.Time) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "master.key")
	if _, _, err := LoadOrCreate(path, true); err != nil {
		t.Fatal(err)
	}
	k, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := t0
	k.now = func() time.Time { return clock }
	if err := k.Reload(); err != nil { // stamps the last check with the fake clock
		t.Fatal(err)
	}
	return path, k, &clock
}

func TestAddAndRemoveKeys(t *testing.T) {
	path, k, _ := newKeyFile(t)
	old := k.Seal([]byte("secret"), []byte("ad"))
	id, err := AddKey(path, t0)
	if err != nil || id != 2 {
		t.Fatalf("AddKey = %d, %v; want 2", id, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".master-key-*")); len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
	keys, err := ReadFile(path)
	if err != nil || len(keys) != 2 || keys[0].ID != 1 || !keys[0].Created.IsZero() || keys[1].ID != 2 || !keys[1].Created.Equal(t0) {
		t.Fatalf("ReadFile after AddKey = %v, %v", keys, err)
	}
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Current() != 2 {
		t.Errorf("Current after AddKey = %d, want 2", k2.Current())
	}
	if got, err := k2.Open(old, []byte("ad")); err != nil || string(got) != "secret" {
		t.Fatalf("old value after AddKey: %q, %v", got, err)
	}
	if id, _ := KeyID(k2.Seal([]byte("x"), nil)); id != 2 {
		t.Errorf("Seal after AddKey used key %d, want 2", id)
	}
	if err := RemoveKeys(path, []uint32{2}); err == nil {
		t.Error("RemoveKeys(current) succeeded")
	}
	if err := RemoveKeys(path, []uint32{1}); err != nil {
		t.Fatal(err)
	}
	keys, _ = ReadFile(path)
	if len(keys) != 1 || keys[0].ID != 2 {
		t.Fatalf("after RemoveKeys(1): %v", keys)
	}
	if id, err := AddKey(path, t0); err != nil || id != 3 {
		t.Fatalf("AddKey after prune = %d, %v; want 3 (IDs are never reused)", id, err)
	}
}

func TestOpenUnknownKeyReloads(t *testing.T) {
	path, server, _ := newKeyFile(t)
	if _, err := AddKey(path, t0); err != nil {
		t.Fatal(err)
	}
	rotator, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed := rotator.Seal([]byte("secret"), []byte("AKIA1"))
	// The server learns key 2 from the value it meets, and seals with it
	// from then on.
	if got, err := server.Open(sealed, []byte("AKIA1")); err != nil || string(got) != "secret" {
		t.Fatalf("server Open of a value sealed with the new key = %q, %v", got, err)
	}
	if id, _ := KeyID(server.Seal([]byte("y"), nil)); id != 2 {
		t.Errorf("server Seal after reload used key %d, want 2", id)
	}
}

func TestUnknownKeyReloadIsRateLimited(t *testing.T) {
	path, server, now := newKeyFile(t)
	forged := make([]byte, headerLen+16)
	forged[0], forged[4] = formatV1, 99
	if _, err := server.Open(forged, nil); err != ErrOpen {
		t.Fatalf("Open(forged key 99) = %v, want ErrOpen", err)
	}
	if _, err := AddKey(path, t0); err != nil {
		t.Fatal(err)
	}
	rotator, _ := Load(path)
	sealed := rotator.Seal([]byte("s"), nil)
	if _, err := server.Open(sealed, nil); err != ErrOpen {
		t.Fatalf("Open right after a forced reload = %v, want ErrOpen (rate-limited)", err)
	}
	*now = now.Add(unknownKeyReloadInterval)
	if got, err := server.Open(sealed, nil); err != nil || string(got) != "s" {
		t.Fatalf("Open after the interval = %q, %v", got, err)
	}
}

func TestPeriodicReload(t *testing.T) {
	path, server, now := newKeyFile(t)
	if _, err := AddKey(path, t0); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(ReloadInterval - time.Second)
	if id, _ := KeyID(server.Seal(nil, nil)); id != 1 {
		t.Fatalf("Seal before the reload interval used key %d, want 1", id)
	}
	*now = now.Add(time.Second)
	if id, _ := KeyID(server.Seal(nil, nil)); id != 2 {
		t.Fatalf("Seal after the reload interval used key %d, want 2", id)
	}
	if server.Current() != 2 {
		t.Errorf("Current = %d, want 2", server.Current())
	}
}

func TestReloadRefusesBadFiles(t *testing.T) {
	path, server, _ := newKeyFile(t)
	sealed := server.Seal([]byte("keep"), nil)
	orig, _ := os.ReadFile(path)
	for _, tc := range []struct{ name, content string }{
		{"garbage", "not a key file"},
		{"key 1 with other material", "1 " + b64B + "\n"},
		{"empty", ""},
	} {
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := server.Reload(); err == nil {
			t.Errorf("Reload(%s) succeeded", tc.name)
		}
		if got, err := server.Open(sealed, nil); err != nil || string(got) != "keep" {
			t.Errorf("after Reload(%s): Open = %q, %v; the keys in use must be kept", tc.name, got, err)
		}
	}
	os.WriteFile(path, orig, 0o600)
	if err := server.Reload(); err != nil {
		t.Errorf("Reload(original) = %v", err)
	}
}

// TestConcurrentReload runs sealing and opening while the file changes, for
// the race detector.
func TestConcurrentReload(t *testing.T) {
	path, _, _ := newKeyFile(t)
	k, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := k.Seal([]byte("v"), nil)
				if got, err := k.Open(s, nil); err != nil || string(got) != "v" {
					t.Errorf("Open = %q, %v", got, err)
					return
				}
			}
		}()
	}
	for range 5 {
		if _, err := AddKey(path, t0); err != nil {
			t.Error(err)
		}
		if err := k.Reload(); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if k.Current() != 6 {
		t.Errorf("Current = %d, want 6", k.Current())
	}
}

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := Lock(path)
		if err != nil {
			t.Error(err)
		} else {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second Lock did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("second Lock not granted after unlock")
	}
}

func TestGenerateWritesLegacyFormat(t *testing.T) {
	_, content, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	// One line "<id> <key>", which older iamd versions read too.
	if f := strings.Fields(string(content)); len(f) != 2 || f[0] != "1" {
		t.Errorf("Generate content = %q", content)
	}
}
