package sqlstore

import (
	"regexp"
	"slices"
	"strconv"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`VALUES (?, ?, ?)`, `VALUES ($1, $2, $3)`},
		// Numbered parameters keep their number, may repeat and come in
		// any order.
		{`WHERE x = ?4 AND substr(p, 1, length(?1)) = ?1 LIMIT ?3`, `WHERE x = $4 AND substr(p, 1, length($1)) = $1 LIMIT $3`},
		// A bare ? after a numbered one is one past the largest so far,
		// as SQLite numbers it.
		{`?4 ?`, `$4 $5`},
		{`? ?7 ? ?2 ?`, `$1 $7 $8 $2 $9`},
		{`?10?`, `$10$11`},
		// Literals, quoted identifiers and comments are left alone.
		{`SELECT '?', "a?b", ? FROM t`, `SELECT '?', "a?b", $1 FROM t`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`SELECT "say ""?""", ?`, `SELECT "say ""?""", $1`},
		{`SELECT coalesce(x, '[]') WHERE k = ?`, `SELECT coalesce(x, '[]') WHERE k = $1`},
		{"SELECT ? -- why ?\n, ?", "SELECT $1 -- why ?\n, $2"},
		{"SELECT ? -- trailing ?", "SELECT $1 -- trailing ?"},
		{`SELECT /* ? */ ?`, `SELECT /* ? */ $1`},
		{`SELECT ?-1, 2/?, a-?`, `SELECT $1-1, 2/$2, a-$3`},
		{``, ``},
	} {
		got, err := Rebind(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Rebind(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestRebindErrors(t *testing.T) {
	for _, in := range []string{
		`WHERE a = ?0`,
		`WHERE a = ?32767`,
		`WHERE a = ?99999999999999999999999`,
		`?32766 ?`,
		`SELECT 'open ?`,
		`SELECT "open ?`,
		`SELECT 'a'' ?`,
		`SELECT /* ? `,
	} {
		if got, err := Rebind(in); err == nil {
			t.Errorf("Rebind(%q) = %q, nil error; want an error", in, got)
		}
	}
}

// tokens finds, in the way neither Rebind nor SQL parsing is written, the
// parameters outside literals and comments: RE2's leftmost-first match
// lets a literal or comment swallow a '?' before the parameter
// alternative can see it.
var tokens = regexp.MustCompile(`'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*(?s:.*?)\*/|\?[0-9]*|\$[0-9]+`)

// params returns the argument numbers of query's parameters in order
// (SQLite numbering for '?', $N as written) and the query with them cut
// out.
func params(query string) (nums []int, rest string) {
	largest := 0
	last := 0
	for _, m := range tokens.FindAllStringIndex(query, -1) {
		tok := query[m[0]:m[1]]
		var n int
		switch tok[0] {
		case '?':
			n = largest + 1
			if len(tok) > 1 {
				n, _ = strconv.Atoi(tok[1:])
			}
			largest = max(largest, n)
		case '$':
			n, _ = strconv.Atoi(tok[1:])
		default:
			continue
		}
		nums = append(nums, n)
		rest += query[last:m[0]]
		last = m[1]
	}
	return nums, rest + query[last:]
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{
		`SELECT a FROM t WHERE b = ? AND c = ?`,
		`WHERE x = ?4 AND substr(p, 1, length(?1)) = ?1 LIMIT ?3`,
		`SELECT 'it''s ?', "a?b", ? -- c ?` + "\n" + `/* ? */ ?7 ?`,
		`$1 ?`, `'`, `/*`, `?0`,
	} {
		f.Add(s)
	}
	for _, s := range registered() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Rebind(in)
		if err != nil {
			return
		}
		inNums, inRest := params(in)
		outNums, outRest := params(out)
		if !slices.Equal(inNums, outNums) {
			t.Fatalf("Rebind(%q) = %q: parameters %v, want %v", in, out, outNums, inNums)
		}
		if inRest != outRest {
			t.Fatalf("Rebind(%q) = %q: text around the parameters changed: %q, want %q", in, out, outRest, inRest)
		}
		if again, err := Rebind(out); err != nil || again != out {
			// Rebinding a rebound query must be the identity: no '?'
			// is left outside literals.
			t.Fatalf("Rebind(Rebind(%q)) = %q, %v; want %q", in, again, err, out)
		}
	})
}
