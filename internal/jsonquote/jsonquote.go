// Package jsonquote appends strings quoted exactly as encoding/json quotes
// them, without reflection or allocation. The audit trail's canonical
// JSON and the authorization API's hand-written codec both need
// encoding/json's bytes (the first is hash-chained, the second must not
// differ from what a reflection encoder would answer), one without and
// one with HTML escaping.
package jsonquote

import "unicode/utf8"

// Append appends s as a JSON string: '"', '\\' and control characters
// escaped as encoding/json escapes them, invalid UTF-8 as U+FFFD, U+2028
// and U+2029 escaped; with html also '<', '>' and '&' (encoding/json's
// default, which json.Encoder.SetEscapeHTML(false) turns off).
func Append(dst []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs attention: most of the
		// text these encoders write is plain ASCII.
		for i+8 <= len(s) && !needsEscape8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56, html) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!html || b != '<' && b != '>' && b != '&') {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// needsEscape8 reports whether any of the eight bytes of x is below 0x20,
// is '"' or '\\', is 0x80 or above, or (with html) is '<', '>' or '&'. It
// may not miss one; a false alarm would only send those bytes through the
// byte loop.
func needsEscape8(x uint64, html bool) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	hasZero := func(v uint64) uint64 { return (v - lo) &^ v & hi }
	m := (x-lo*0x20)&^x&hi | hasZero(x^(lo*'"')) | hasZero(x^(lo*'\\')) | x&hi
	if html {
		m |= hasZero(x^(lo*'<')) | hasZero(x^(lo*'>')) | hasZero(x^(lo*'&'))
	}
	return m != 0
}
