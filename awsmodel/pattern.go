package awsmodel

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// botocore patterns are Java regular expressions applied with
// String.matches, so the whole value must match. compilePattern turns one
// into a matcher once per shape.
//
// Translation to RE2 needs only one rewrite for the patterns in the IAM and
// STS models: Java's \uXXXX escapes become \x{XXXX}. Everything else in them
// (\w, \d, \p{L}, \p{Z}, \p{N}, escaped punctuation, a '-' after a range) means
// the same in both engines; \w and \d are ASCII-only in both.
//
// Patterns RE2 cannot express, or that mean something unintended in Java, are
// handled by explicit checkers in specialPatterns (see there).
//
// Patterns that reduce to a single character class repeated (the bulk of
// them: names, tags, paths) get a table-driven matcher instead of the regexp
// engine, since pattern checks run on every request.
func compilePattern(p string) (func(string) bool, error) {
	if f, ok := specialPatterns[p]; ok {
		return f, nil
	}
	re2, err := translateJava(p)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	full := `^(?:` + re2 + `)$`
	re, err := regexp.Compile(full)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	if f := classMatcher(full); f != nil {
		return f, nil
	}
	return re.MatchString, nil
}

// translateJava rewrites Java-only escapes into RE2 syntax.
func translateJava(p string) (string, error) {
	if !strings.Contains(p, `\u`) {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '\\' || i+1 >= len(p) {
			b.WriteByte(c)
			continue
		}
		if p[i+1] != 'u' {
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		// Java: exactly four hex digits follow \u.
		if i+6 > len(p) {
			return "", fmt.Errorf(`truncated \u escape`)
		}
		if _, err := strconv.ParseUint(p[i+2:i+6], 16, 32); err != nil {
			return "", fmt.Errorf(`bad \u escape %q`, p[i:i+6])
		}
		b.WriteString(`\x{`)
		b.WriteString(p[i+2 : i+6])
		b.WriteString(`}`)
		i += 5
	}
	return b.String(), nil
}

// specialPatterns maps the exact model pattern text to a hand-written checker.
var specialPatterns = map[string]func(string) bool{
	// IAM accountAliasType. RE2 has no lookahead. "-(?!-)" forbids two
	// consecutive hyphens; with the fixed first and last classes the whole
	// pattern means: 3..63 chars of [a-z0-9-], not starting or ending with
	// '-', and no "--".
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: matchAccountAlias,

	// STS arnType (XML 1.0 Char production). In Java, \u10000-\u10FFFF
	// parses as \u1000, the range '0'-\u10FF, 'F', 'F': supplementary
	// characters would be rejected, clearly not the intent (and the other
	// ranges already cover everything the misparse adds). We implement the
	// intent, the XML Char set including U+10000..U+10FFFF.
	`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`: matchXMLChars,
}

func matchAccountAlias(s string) bool {
	if len(s) < 3 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i+1] == '-' { // i+1 exists: the last byte is not '-'
				return false
			}
		default:
			return false
		}
	}
	return true
}

func matchXMLChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\t', r == '\n', r == '\r', r >= 0x20 && r <= 0x7E, r == 0x85:
		case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD && !(r == utf8.RuneError && n == 1):
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// classMatcher recognises ^C+$ / ^C*$ for a character class C and returns a
// matcher using an ASCII bitmap plus the class's sorted rune ranges. It
// returns nil for any other pattern shape.
func classMatcher(full string) func(string) bool {
	re, err := syntax.Parse(full, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil
	}
	body := re.Sub[1]
	if body.Op == syntax.OpCapture { // (?:...) is non-capturing, but be safe
		body = body.Sub[0]
	}
	var allowEmpty bool
	switch body.Op {
	case syntax.OpStar:
		allowEmpty = true
	case syntax.OpPlus:
	default:
		return nil
	}
	if body.Flags&syntax.NonGreedy != 0 {
		return nil
	}
	cls := body.Sub[0]
	var ranges []rune
	switch cls.Op {
	case syntax.OpCharClass:
		ranges = cls.Rune
	case syntax.OpLiteral:
		if cls.Flags&syntax.FoldCase != 0 {
			return nil
		}
		for _, r := range cls.Rune {
			ranges = append(ranges, r, r)
		}
		if len(cls.Rune) != 1 {
			return nil
		}
	default:
		return nil
	}
	var ascii [4]uint32 // bitmap of allowed bytes < 0x80
	var wide []rune     // ranges (pairs) above 0x7F
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			ascii[r>>5] |= 1 << (r & 31)
		}
		if hi >= utf8.RuneSelf {
			wide = append(wide, max(lo, utf8.RuneSelf), hi)
		}
	}
	// RE2 treats invalid UTF-8 bytes as U+FFFD; keep that behaviour so the
	// fast path agrees with the regexp it replaces.
	inWide := func(r rune) bool {
		for i := 0; i < len(wide); i += 2 {
			if r < wide[i] {
				return false
			}
			if r <= wide[i+1] {
				return true
			}
		}
		return false
	}
	return func(s string) bool {
		if s == "" {
			return allowEmpty
		}
		for i := 0; i < len(s); {
			c := s[i]
			if c < utf8.RuneSelf {
				if ascii[c>>5]&(1<<(c&31)) == 0 {
					return false
				}
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if !inWide(r) {
				return false
			}
			i += n
		}
		return true
	}
}
