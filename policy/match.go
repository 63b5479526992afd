package policy

import (
	"math/bits"
	"strings"
	"unicode/utf8"
)

// globMatch matches s against pattern p, where '*' matches any run of
// characters (including none, and including '/' and ':') and '?' exactly
// one character. It is case-sensitive.
func globMatch(p, s string) bool { return glob(p, s, false) }

// glob is the allocation-free wildcard matcher. With fold, s is compared
// ASCII-case-insensitively against p, which must then be lower case. It
// backtracks only to the latest '*', which is sufficient because every
// '*'-free piece has a fixed length: matching it at the leftmost position
// never loses a match.
func glob(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) || pi < len(p) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				if si < len(s) {
					si += runeLen(s, si)
					pi++
					continue
				}
			default:
				if si < len(s) {
					sc := s[si]
					if fold && 'A' <= sc && sc <= 'Z' {
						sc += 'a' - 'A'
					}
					if sc == c {
						pi++
						si++
						continue
					}
				}
			}
		}
		if starP >= 0 && starS < len(s) {
			starS += runeLen(s, starS)
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	return true
}

func runeLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// hasPrefixFold reports whether s starts with lower-case prefix p, ignoring
// ASCII case in s.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// equalFoldASCII compares s with lower-case p ignoring ASCII case in s.
func equalFoldASCII(s, p string) bool { return len(s) == len(p) && hasPrefixFold(s, p) }

// pattern is a compiled string pattern: a condition value, an ARN
// component or an action. Simple patterns (no variables) are matched
// straight from text; patterns with policy variables keep parts, whose
// variables are resolved against the request at match time without
// building the substituted string.
type pattern struct {
	kind  patKind
	text  string // exact text, or glob text, or prefix for patPrefix
	parts []part // patParts only
	fold  bool   // compare case-insensitively (text is lower case)
}

type patKind uint8

const (
	patAny    patKind = iota // "*": matches everything
	patExact                 // no wildcard
	patPrefix                // "abc*"
	patGlob                  // general wildcard text
	patParts                 // contains policy variables
)

type partKind uint8

const (
	partLit partKind = iota
	partStar
	partQmark
	partVar
)

type part struct {
	kind   partKind
	hash   uint64 // hashFold(text) for partVar
	home   uint64 // ctxHome(text) for partVar
	text   string // literal text; variable key (lower case) for partVar
	def    string // default value for partVar
	hasDef bool
	pk     bool // isPrincipalKey(text) for partVar
}

// compilePattern compiles s. wild says whether '*' and '?' are wildcards
// (StringLike, ARNs, actions) or literal (StringEquals); vars whether
// ${...} policy variables are substituted (Version 2012-10-17 and an
// operator or element that supports them).
func compilePattern(s string, wild, vars, fold bool) pattern {
	if fold {
		s = strings.ToLower(s)
	}
	if vars && strings.Contains(s, "${") {
		return pattern{kind: patParts, parts: parseVars(s, wild), fold: fold}
	}
	if !wild || !strings.ContainsAny(s, "*?") {
		return pattern{kind: patExact, text: s, fold: fold}
	}
	if s == "*" {
		return pattern{kind: patAny}
	}
	if i := strings.IndexAny(s, "*?"); i == len(s)-1 && s[i] == '*' {
		return pattern{kind: patPrefix, text: s[:i], fold: fold}
	}
	return pattern{kind: patGlob, text: s, fold: fold}
}

// parseVars splits s into literal, wildcard and variable parts. ${*},
// ${?} and ${$} are the literal characters. ${key, 'default'} carries a
// default (a doubled quote inside the quotes stands for one). Text that does not form a
// variable stays literal, as AWS leaves it.
func parseVars(s string, wild bool) []part {
	var parts []part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := varEnd(s, i+2)
			if end > 0 {
				body := s[i+2 : end]
				switch strings.TrimSpace(body) {
				case "*", "?", "$":
					lit.WriteString(strings.TrimSpace(body))
				default:
					key, def, hasDef, ok := splitVar(body)
					if !ok {
						lit.WriteString(s[i : end+1])
						break
					}
					flush()
					lower, h := strings.ToLower(key), hashFold(key)
					home, _ := ctxHome(h)
					parts = append(parts, part{kind: partVar, text: lower, hash: h, home: home, def: def, hasDef: hasDef, pk: isPrincipalKey(lower)})
				}
				i = end + 1
				continue
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				parts = append(parts, part{kind: partStar})
			} else {
				parts = append(parts, part{kind: partQmark})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return parts
}

// varEnd returns the index of the '}' closing a variable whose body starts
// at i, skipping quoted defaults; -1 if there is none.
func varEnd(s string, i int) int {
	inQ := false
	for ; i < len(s); i++ {
		switch s[i] {
		case '\'':
			inQ = !inQ
		case '}':
			if !inQ {
				return i
			}
		}
	}
	return -1
}

// splitVar parses "key" or "key, 'default'".
func splitVar(body string) (key, def string, hasDef, ok bool) {
	k, rest, found := strings.Cut(body, ",")
	key = strings.TrimSpace(k)
	if key == "" || strings.ContainsAny(key, " '") {
		return "", "", false, false
	}
	if !found {
		return key, "", false, true
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", "", false, false
	}
	inner := rest[1 : len(rest)-1]
	// Inside the quotes a quote is written twice.
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 < len(inner) && inner[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return "", "", false, false
		}
		b.WriteByte(inner[i])
	}
	return key, b.String(), true, true
}

// match reports whether s matches the pattern.
func (p *pattern) match(s string, r *evaluator) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.fold {
			return equalFoldASCII(s, p.text)
		}
		return s == p.text
	case patPrefix:
		if p.fold {
			return hasPrefixFold(s, p.text)
		}
		return strings.HasPrefix(s, p.text)
	case patGlob:
		return glob(p.text, s, p.fold)
	}
	return matchParts(p.parts, s, r, p.fold)
}

// matchAction matches an action pattern (compiled with fold, without
// variables) against action a, which is already lower case if lower is
// set and then needs no case folding.
func (p *pattern) matchAction(a string, lower bool) bool {
	if !lower {
		return p.match(a, nil)
	}
	switch p.kind {
	case patAny:
		return true
	case patExact:
		return a == p.text
	case patPrefix:
		return strings.HasPrefix(a, p.text)
	}
	return glob(p.text, a, false)
}

// matchParts is glob over parts, resolving variables as literal text
// (wildcard characters in a variable's value match only themselves). A
// variable without a value and without a default matches nothing: AWS
// treats the missing value as null, which equals and is like nothing.
func matchParts(parts []part, s string, r *evaluator, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) || pi < len(parts) {
		if pi < len(parts) {
			pt := &parts[pi]
			switch pt.kind {
			case partStar:
				starP, starS = pi, si
				pi++
				continue
			case partQmark:
				if si < len(s) {
					si += runeLen(s, si)
					pi++
					continue
				}
			default:
				lit := pt.text
				if pt.kind == partVar {
					v, ok := r.variable(pt.text, pt.hash, pt.home, pt.pk)
					switch {
					case ok:
						lit = v
					case pt.hasDef:
						lit = pt.def
					default:
						return false
					}
				}
				if fold && pt.kind == partVar {
					if len(s)-si >= len(lit) && strings.EqualFold(s[si:si+len(lit)], lit) {
						si += len(lit)
						pi++
						continue
					}
				} else if fold {
					if hasPrefixFold(s[si:], lit) {
						si += len(lit)
						pi++
						continue
					}
				} else if strings.HasPrefix(s[si:], lit) {
					si += len(lit)
					pi++
					continue
				}
			}
		}
		if starP >= 0 && starS < len(s) {
			starS += runeLen(s, starS)
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	return true
}

// arnParts holds the byte offsets of an ARN's six components
// (arn:partition:service:region:account:resource); ok is false when s is
// not an ARN, in which case it is matched as one string.
type arnParts struct {
	ok   bool
	ends [5]int // index of the colon ending components 0..4
}

func splitARN(s string) arnParts {
	var a arnParts
	if !strings.HasPrefix(s, "arn:") {
		return a
	}
	a.ends[0] = 3
	n, i := 1, 4
	// The four colons sit within the first few dozen bytes: find them
	// eight bytes at a time rather than with a call per colon.
	for ; i+8 <= len(s); i += 8 {
		for m := colons8(load8(s[i:])); m != 0; m &= m - 1 {
			a.ends[n] = i + bits.TrailingZeros64(m)>>3
			if n++; n == 5 {
				a.ok = true
				return a
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i] == ':' {
			a.ends[n] = i
			if n++; n == 5 {
				a.ok = true
				return a
			}
		}
	}
	return a
}

// colons8 returns the high bit of each byte of w that is ':'. Unlike the
// shorter borrow-based zero-byte test, it has no false positives.
func colons8(w uint64) uint64 {
	const lo7 = 0x7f7f7f7f7f7f7f7f
	w ^= 0x3a3a3a3a3a3a3a3a // ':' bytes become zero
	t := (w & lo7) + lo7    // high bit set where the low seven bits are not all zero
	return ^(t | w | lo7)
}

// eqStr reports whether a == b, eight bytes at a time and inline: the
// strings compared per decision (index keys, context keys, resource
// prefixes) are short, and the runtime's general comparison costs more
// in its call and dispatch than in comparing.
func eqStr(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n < 8 {
		return loadShort(a) == loadShort(b)
	}
	// The last word first: these strings tend to share their beginning
	// ("arn:aws:s3:::", "aws:", the service prefix) and differ at the end.
	if load8(a[n-8:]) != load8(b[n-8:]) {
		return false
	}
	for i := 0; i < n-8; i += 8 {
		if load8(a[i:]) != load8(b[i:]) {
			return false
		}
	}
	return true
}

func (a *arnParts) component(s string, i int) string {
	start := 0
	if i > 0 {
		start = a.ends[i-1] + 1
	}
	if i == 5 {
		return s[start:]
	}
	return s[start:a.ends[i]]
}

// arnPattern is a compiled ARN pattern: matched per component, so a
// wildcard in one component never spans into another (except the resource
// component, which runs to the end and may itself contain ':' and '/').
type arnPattern struct {
	// full is head followed by the resource component when that is
	// exact (exact set) or a prefix pattern, the common case, so that one
	// comparison decides. It comes first with the other fields quick
	// reads, which then share a cache line.
	full  string
	exact bool
	any   bool // "*"
	// head is "arn:partition:service:region:account:" when those five
	// components are wildcard-free: one comparison replaces five.
	head  string
	whole *pattern // not an ARN: matched as one string
	// comp holds the components (arn, partition, service, region,
	// account, resource) of an ARN pattern, nil for the others. It is
	// kept apart so that an arnPattern is one cache line and a
	// statement's patterns, which quick reads one after another, are
	// next to each other.
	comp *[6]pattern
}

// compileARN compiles an ARN pattern. Policy variables are substituted
// only in the resource component for the Resource element (varsAll false)
// and in every component for ARN condition operators (varsAll true).
func compileARN(s string, vars, varsAll bool) arnPattern {
	if s == "*" {
		return arnPattern{any: true}
	}
	if !strings.HasPrefix(s, "arn:") {
		p := compilePattern(s, true, vars && varsAll, false)
		return arnPattern{whole: &p}
	}
	// AWS reads an ARN pattern with missing trailing components as if
	// they were "*" (its error messages print them so).
	comps := strings.SplitN(s, ":", 6)
	for len(comps) < 6 {
		comps = append(comps, "*")
	}
	ap := arnPattern{comp: new([6]pattern)}
	simple := true
	for i, c := range comps {
		ap.comp[i] = compilePattern(c, true, vars && (varsAll || i == 5), false)
		simple = simple && (i == 5 || ap.comp[i].kind == patExact)
	}
	if simple {
		ap.head = strings.Join(comps[:5], ":") + ":"
		if k := ap.comp[5].kind; k == patExact || k == patPrefix {
			ap.full, ap.exact = ap.head+ap.comp[5].text, k == patExact
		}
	}
	return ap
}

// quick decides the match when that needs no split of s (ok true): for
// "*", non-ARN patterns, and patterns with a wildcard-free head, whose
// five colons then line up with the first five of s exactly when s starts
// with the head.
func (ap *arnPattern) quick(s string, r *evaluator) (match, ok bool) {
	switch {
	case ap.full != "":
		if ap.exact {
			return eqStr(s, ap.full), true
		}
		return len(s) >= len(ap.full) && eqStr(s[:len(ap.full)], ap.full), true
	case ap.any:
		return true, true
	case ap.whole != nil:
		return ap.whole.match(s, r), true
	case ap.head != "":
		return strings.HasPrefix(s, ap.head) && ap.comp[5].match(s[len(ap.head):], r), true
	}
	return false, false
}

// match matches s, whose components are sa, against a pattern quick
// could not decide.
func (ap *arnPattern) match(s string, sa *arnParts, r *evaluator) bool {
	if !sa.ok {
		return false
	}
	// Resource first: it is the most selective component.
	if !ap.comp[5].match(sa.component(s, 5), r) {
		return false
	}
	// Component 0 is "arn" in both (compileARN and splitARN require
	// the prefix), and "*" components match anything.
	for i := 4; i > 0; i-- {
		if p := &ap.comp[i]; p.kind != patAny && !p.match(sa.component(s, i), r) {
			return false
		}
	}
	return true
}
