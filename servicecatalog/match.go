package servicecatalog

import "strings"

// keyPattern is a condition key of the reference, compiled for matching:
// a ${Variable} (or <variable>) in it stands for any non-empty text, so
// "aws:RequestTag/${TagKey}" matches "aws:RequestTag/team" and
// "codebuild:fileSystemLocations/${identifier}.type" matches
// "codebuild:fileSystemLocations/x.type". Matching ignores case, as IAM's
// condition key names do.
type keyPattern struct {
	parts []string // lower-cased literal parts between variables
}

func compileKey(k string) keyPattern {
	l := strings.ToLower(k)
	var parts []string
	for {
		// A few keys of the reference write the variable as <key>
		// (s3:ExistingObjectTag/<key>) rather than ${TagKey}.
		i, closer := strings.Index(l, "${"), byte('}')
		if a := strings.IndexByte(l, '<'); a >= 0 && (i < 0 || a < i) {
			i, closer = a, '>'
		}
		if i < 0 {
			break
		}
		j := strings.IndexByte(l[i:], closer)
		if j < 0 {
			break
		}
		parts = append(parts, l[:i])
		l = l[i+j+1:]
	}
	return keyPattern{parts: append(parts, l)}
}

func (p keyPattern) match(key string) bool {
	k := strings.ToLower(key)
	if len(p.parts) == 1 {
		return k == p.parts[0]
	}
	if !strings.HasPrefix(k, p.parts[0]) {
		return false
	}
	k = k[len(p.parts[0]):]
	for i, part := range p.parts[1:] {
		last := i == len(p.parts)-2
		if last {
			return len(k) > len(part) && strings.HasSuffix(k, part)
		}
		j := strings.Index(k[1:], part)
		if j < 0 {
			return false
		}
		k = k[1+j+len(part):]
	}
	return false
}

// wildMatch reports whether s matches the IAM pattern p (* any run, ?
// one character), ignoring ASCII case as action matching does.
func wildMatch(p, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && lower(c) == lower(s[sx]) {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// overlap reports whether some string matches both patterns, where '*'
// matches any run and '?' one character in either. The policy's ARN
// pattern is checked against a resource type's ARN format this way, with
// the format's ${Variables} turned into '*'. Literal characters compare
// exactly: ARNs are case-sensitive.
func overlap(a, b string) bool {
	if (len(a)+1)*(len(b)+1) > 1<<20 {
		return true // too long to decide cheaply; err on the side of no finding
	}
	// memo[i][j]: 0 unknown, 1 false, 2 true; sizes are bounded by callers
	// (ARNs are at most 2048 characters, formats at most 1024).
	memo := make([]uint8, (len(a)+1)*(len(b)+1))
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		m := &memo[i*(len(b)+1)+j]
		if *m != 0 {
			return *m == 2
		}
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = rec(i+1, j) || j < len(b) && rec(i, j+1)
		case j < len(b) && b[j] == '*':
			r = rec(i, j+1) || i < len(a) && rec(i+1, j)
		case i == len(a) || j == len(b):
			r = false
		default:
			r = (a[i] == b[j] || a[i] == '?' || b[j] == '?') && rec(i+1, j+1)
		}
		if r {
			*m = 2
		} else {
			*m = 1
		}
		return r
	}
	return rec(0, 0)
}

// formatPattern turns an ARN format of the reference into a wildcard
// pattern: each ${Variable} becomes '*'.
func formatPattern(f string) string {
	var b strings.Builder
	for {
		i := strings.Index(f, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(f[:i])
		b.WriteByte('*')
		f = f[i+j+1:]
	}
	b.WriteString(f)
	return b.String()
}
