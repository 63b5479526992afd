package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Rebind rewrites the SQLite parameters of query, "?" and "?N", as
// PostgreSQL's "$N", numbering a bare "?" as SQLite does: one more than the
// largest number used so far in the statement, so "?4 ... ?" binds the
// fifth argument on both. Text inside string literals, quoted identifiers
// and comments is copied unchanged, so a '?' there stays a character.
//
// Block comments end at the first "*/", as in SQLite; PostgreSQL nests
// them, so the shared SQL does not.
//
// Rebind runs once per query when a Store is made, never per call. It
// fails on what SQLite itself refuses (?0, a number past 32766) and on an
// unterminated literal or comment, which would otherwise swallow the
// placeholders that follow it.
func Rebind(query string) (string, error) {
	// Most statements have no literal and grow by one byte per "?".
	var b strings.Builder
	b.Grow(len(query) + 8)
	largest := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end, ok := quoteEnd(query, i)
			if !ok {
				return "", fmt.Errorf("rebind: unterminated %c at byte %d", c, i)
			}
			b.WriteString(query[i:end])
			i = end
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				return "", fmt.Errorf("rebind: unterminated comment at byte %d", i)
			}
			b.WriteString(query[i : i+2+end+2])
			i += 2 + end + 2
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := largest + 1
			if j > i+1 {
				var err error
				n, err = strconv.Atoi(query[i+1 : j])
				if err != nil || n < 1 || n > maxParam {
					return "", fmt.Errorf("rebind: parameter %s out of range at byte %d", query[i:j], i)
				}
			}
			if n > maxParam {
				return "", fmt.Errorf("rebind: more than %d parameters", maxParam)
			}
			largest = max(largest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// maxParam is SQLite's default SQLITE_MAX_VARIABLE_NUMBER.
const maxParam = 32766

// quoteEnd returns the index just past the literal or quoted identifier
// opening at query[i], where a doubled quote character is an escaped one
// (the only escape either language has in these).
func quoteEnd(query string, i int) (int, bool) {
	quote := query[i]
	for j := i + 1; j < len(query); j++ {
		if query[j] != quote {
			continue
		}
		if j+1 < len(query) && query[j+1] == quote {
			j++
			continue
		}
		return j + 1, true
	}
	return 0, false
}
