package iam

import (
	"fmt"
	"testing"

	"github.com/iamd/iamd/policy"
)

func TestGenCache(t *testing.T) {
	c := newGenCache[int, string](3)
	for i := range 3 {
		c.put(i, fmt.Sprint("v", i))
	}
	c.put(1, "v1'") // a replacement in the current generation does not rotate
	if c.len() != 3 || len(c.prev) != 0 {
		t.Fatalf("after replacing: %d entries, %d in prev; want 3, 0", c.len(), len(c.prev))
	}
	c.put(3, "v3") // rotates: 0, 1, 2 become the previous generation
	if v, ok := c.get(1); !ok || v != "v1'" {
		t.Fatalf("get(1) = %q, %v after a rotation; want v1', true", v, ok)
	}
	if _, ok := c.prev[1]; ok {
		t.Fatalf("a hit in the previous generation stays there; want it moved to the current one")
	}
	c.put(4, "v4") // current is 3, 1, 4: rotates, dropping 0 and 2
	c.put(5, "v5")
	for k, want := range map[int]bool{0: false, 2: false, 1: true, 3: true, 4: true, 5: true} {
		if _, ok := c.get(k); ok != want {
			t.Errorf("get(%d) found = %v, want %v", k, ok, want)
		}
	}
	for i := range 1000 {
		c.put(100+i, "x")
		if c.len() > 2*c.max {
			t.Fatalf("%d entries after %d puts, want at most %d", c.len(), i+1, 2*c.max)
		}
	}
}

// TestCompiledCacheBounded: every distinct session policy a caller passes
// is compiled and cached; the cache keeps at most two generations of them,
// and a document in use survives the others passing through.
func TestCompiledCacheBounded(t *testing.T) {
	s := &Service{authz: authz{compiled: newGenCache[string, compiledDoc](8), sets: newGenCache[setKey, cachedSet](8)}}
	const inUse = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`
	first, err := s.compile("session:"+inUse, "session-policy", "", inUse, policy.Session)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b%d/*"}}`, i)
		if _, err := s.compile("session:"+doc, "session-policy", "", doc, policy.Session); err != nil {
			t.Fatal(err)
		}
		again, err := s.compile("session:"+inUse, "session-policy", "", inUse, policy.Session)
		if err != nil {
			t.Fatal(err)
		}
		if again != first {
			t.Fatalf("after %d other documents the document in use was compiled again", i+1)
		}
		if n := s.authz.compiled.len(); n > 16 {
			t.Fatalf("%d compiled documents cached after %d distinct ones, want at most 16", n, i+2)
		}
	}
}
