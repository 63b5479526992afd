package keyring

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, content, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal([]byte("secret"), []byte("AKIAEXAMPLE"))
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(sealed, []byte("AKIAEXAMPLE"))
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v; want secret, nil", got, err)
	}
	if _, err := k.Open(sealed, []byte("AKIAOTHER")); err != ErrOpen {
		t.Errorf("Open with other ad: err = %v, want ErrOpen", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := k.Open(tampered, []byte("AKIAEXAMPLE")); err != ErrOpen {
		t.Errorf("Open tampered: err = %v, want ErrOpen", err)
	}
	if _, err := k.Open(sealed[:5], nil); err != ErrOpen {
		t.Errorf("Open short: err = %v, want ErrOpen", err)
	}
	k2, err := Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(sealed, []byte("AKIAEXAMPLE")); err != nil || string(got) != "secret" {
		t.Fatalf("reparsed Open = %q, %v", got, err)
	}
}

func TestRotationKeepsOldKeysReadable(t *testing.T) {
	old, content, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	sealedOld := old.Seal([]byte("a"), nil)
	_, content2, _ := Generate()
	// Second key gets ID 2 and becomes current.
	rotated := append(content, append([]byte("2"), content2[1:]...)...)
	k, err := Parse(rotated)
	if err != nil {
		t.Fatal(err)
	}
	if k.Current() != 2 {
		t.Fatalf("current = %d, want 2", k.Current())
	}
	if got, err := k.Open(sealedOld, nil); err != nil || string(got) != "a" {
		t.Fatalf("Open old = %q, %v", got, err)
	}
	if _, err := old.Open(k.Seal([]byte("b"), nil), nil); err != ErrOpen {
		t.Fatalf("old keyring opened a value sealed with the new key")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"empty", ""},
		{"no space", "1abc"},
		{"bad id", "x AAAA"},
		{"zero id", "0 AAAA"},
		{"bad base64", "1 !!!"},
		{"short key", "1 AAAA"},
		{"duplicate", "1 " + string(bytes.Repeat([]byte("A"), 43)) + "=\n1 " + string(bytes.Repeat([]byte("A"), 43)) + "="},
	} {
		if _, err := Parse([]byte(tc.in)); err == nil {
			t.Errorf("Parse(%s) succeeded, want error", tc.name)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	if _, _, err := LoadOrCreate(path, false); err == nil {
		t.Fatal("LoadOrCreate(create=false) on missing file succeeded")
	}
	k, created, err := LoadOrCreate(path, true)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate = %v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	sealed := k.Seal([]byte("x"), nil)
	k2, created, err := LoadOrCreate(path, true)
	if err != nil || created {
		t.Fatalf("second LoadOrCreate = %v, %v", created, err)
	}
	if got, err := k2.Open(sealed, nil); err != nil || string(got) != "x" {
		t.Fatalf("Open after reload = %q, %v", got, err)
	}
}

// BenchmarkOpen measures opening a session-token-sized value with a
// file-backed keyring, including its on-use reload check.
func BenchmarkOpen(b *testing.B) {
	path := filepath.Join(b.TempDir(), "master.key")
	k, _, err := LoadOrCreate(path, true)
	if err != nil {
		b.Fatal(err)
	}
	sealed := k.Seal(bytes.Repeat([]byte("s"), 400), []byte("iamd/session-token/v1"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Open(sealed, []byte("iamd/session-token/v1")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal measures sealing, including the on-use reload check.
func BenchmarkSeal(b *testing.B) {
	path := filepath.Join(b.TempDir(), "master.key")
	k, _, err := LoadOrCreate(path, true)
	if err != nil {
		b.Fatal(err)
	}
	plain := bytes.Repeat([]byte("s"), 40)
	b.ReportAllocs()
	for b.Loop() {
		k.Seal(plain, []byte("AKIAEXAMPLE"))
	}
}
