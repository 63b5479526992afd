package jsonquote

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// reference is the definition Append must meet: encoding/json's encoding
// of the string, with or without HTML escaping.
func reference(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		"", "plain", "arn:aws:iam::123456789012:user/alice", "twelve bytes and more of plain text",
		`quote " and \ backslash`, "controls \x00\x01\x1f\x7f \b\f\n\r\t",
		"<script>&amp;</script> at the end of a long run <", "é 😀 \u2028\u2029 mixed",
		"bad utf8 \xff\xfe and \xc3 cut", "12345678<", "1234567&8",
	}
	for _, s := range tests {
		for _, html := range []bool{false, true} {
			if got, want := string(Append([]byte("x"), s, html)), "x"+reference(s, html); got != want {
				t.Errorf("Append(%q, html=%v) = %s, want %s", s, html, got, want)
			}
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a<b>&c", "\x00\xff\u2028", "plain text of some length"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, html := range []bool{false, true} {
			if got, want := string(Append(nil, s, html)), reference(s, html); got != want {
				t.Fatalf("Append(%q, html=%v) = %s, want %s", s, html, got, want)
			}
		}
	})
}

// TestNeedsEscape8 checks the eight-bytes-at-a-time test: it must flag
// every word holding a byte the byte loop would escape or decode, at any
// position, whatever the other bytes.
func TestNeedsEscape8(t *testing.T) {
	word := func(bs [8]byte) uint64 {
		var x uint64
		for i, b := range bs {
			x |= uint64(b) << (8 * i)
		}
		return x
	}
	for _, html := range []bool{false, true} {
		special := func(b byte) bool {
			return b < 0x20 || b == '"' || b == '\\' || b >= 0x80 || html && (b == '<' || b == '>' || b == '&')
		}
		for _, fill := range []byte{'a', ' ', '~', '!', '#', '[', ']', 0x7f} {
			for pos := range 8 {
				for b := range 256 {
					var bs [8]byte
					for i := range bs {
						bs[i] = fill
					}
					bs[pos] = byte(b)
					if got, want := needsEscape8(word(bs), html), special(byte(b)); got != want {
						t.Errorf("needsEscape8(%q, html=%v) = %v, want %v", bs, html, got, want)
					}
				}
			}
		}
		// Any mix: flagged whenever one byte is special.
		rng := rand.New(rand.NewPCG(1, 2))
		for range 300_000 {
			var bs [8]byte
			any := false
			for i := range bs {
				bs[i] = byte(rng.IntN(256))
				any = any || special(bs[i])
			}
			if any && !needsEscape8(word(bs), html) {
				t.Fatalf("needsEscape8(%q, html=%v) = false", bs, html)
			}
		}
	}
}
