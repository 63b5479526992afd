package awsmodel

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
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

	// STS arnType, meant as the XML 1.0 Char production. Java reads \uXXXX
	// as exactly four hex digits, so \u10000-\u10FFFF parses as \u1000, the
	// range '0'-\u10FF, 'F', 'F': taken literally it rejects supplementary
	// characters and admits U+007F-U+009F. Neither is the evident intent, so
	// the intent is implemented: tab, LF, CR, U+0020-U+007E, U+0085,
	// U+00A0-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
	`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`: matchXMLChars,

	// Expressible in RE2 and equivalent to its regexp (tested); special-cased
	// only for speed.
	`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`: matchIAMPath,
}

// fastOnly lists the specialPatterns entries that RE2 could also run; tests
// compare them against the regexp.
var fastOnly = map[string]bool{
	`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`: true,
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

// classMatcher recognises patterns of the form  ^P C{min,max}$  (P an
// optional literal prefix, C one character class, repeated by +, *, ? or
// {n,m}) and returns a matcher using an ASCII bitmap plus the class's sorted
// rune ranges, several times faster than the regexp engine. It returns nil
// for any other pattern. The shape covers nearly every IAM/STS pattern:
// names, tag keys and values, path prefixes, account IDs.
func classMatcher(full string) func(string) bool {
	re, err := syntax.Parse(full, syntax.Perl)
	if err != nil {
		return nil
	}
	var seq []*syntax.Regexp
	var flatten func(r *syntax.Regexp)
	flatten = func(r *syntax.Regexp) {
		if r.Op == syntax.OpConcat {
			for _, s := range r.Sub {
				flatten(s)
			}
			return
		}
		seq = append(seq, r)
	}
	flatten(re)
	for len(seq) > 0 && seq[0].Op == syntax.OpBeginText {
		seq = seq[1:]
	}
	for len(seq) > 0 && seq[len(seq)-1].Op == syntax.OpEndText {
		seq = seq[:len(seq)-1]
	}
	prefix := ""
	if len(seq) == 2 && seq[0].Op == syntax.OpLiteral && seq[0].Flags&syntax.FoldCase == 0 {
		prefix = string(seq[0].Rune)
		seq = seq[1:]
	}
	if len(seq) != 1 {
		return nil
	}
	body := seq[0]
	minN, maxN := 0, -1
	switch body.Op {
	case syntax.OpStar:
	case syntax.OpPlus:
		minN = 1
	case syntax.OpQuest:
		maxN = 1
	case syntax.OpRepeat:
		minN, maxN = body.Min, body.Max
	default:
		return nil
	}
	cls := body.Sub[0]
	var ranges []rune
	switch {
	case cls.Op == syntax.OpCharClass:
		ranges = cls.Rune
	case cls.Op == syntax.OpLiteral && len(cls.Rune) == 1 && cls.Flags&syntax.FoldCase == 0:
		ranges = []rune{cls.Rune[0], cls.Rune[0]}
	default:
		return nil
	}
	var ascii [4]uint32 // bitmap of allowed bytes < 0x80
	var wide []rune     // ranges (pairs) above 0x7F, sorted
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		for r := lo; r <= hi && r < utf8.RuneSelf; r++ {
			ascii[r>>5] |= 1 << (r & 31)
		}
		if hi >= utf8.RuneSelf {
			wide = append(wide, max(lo, utf8.RuneSelf), hi)
		}
	}
	// Invalid UTF-8 decodes to U+FFFD here as in RE2, so the two agree.
	inWide := func(r rune) bool {
		i, _ := slices.BinarySearch(wide, r)
		// wide is a flat list of [lo, hi] pairs: r is inside a range iff it
		// equals a bound or falls between an even index's lo and its hi.
		if i < len(wide) && wide[i] == r {
			return true
		}
		return i%2 == 1
	}
	return func(s string) bool {
		s, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return false
		}
		n := 0
		for i := 0; i < len(s); n++ {
			if maxN >= 0 && n >= maxN {
				return false
			}
			c := s[i]
			if c < utf8.RuneSelf {
				if ascii[c>>5]&(1<<(c&31)) == 0 {
					return false
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !inWide(r) {
				return false
			}
			i += size
		}
		return n >= minN
	}
}

// pathType, "(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", is checked on
// every user, role, group and policy creation; a direct check is an order of
// magnitude faster than RE2's backtracker and trivially equivalent.
func matchIAMPath(s string) bool {
	if len(s) == 0 || len(s) == 2 || s[0] != '/' || s[len(s)-1] != '/' {
		return false // "//" has an empty middle, which the + forbids
	}
	for i := 1; i < len(s)-1; i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}
