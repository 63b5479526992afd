package sqlstore

import (
	"strings"
	"testing"
)

// testDialect is PostgreSQL's dialect in shape; the drivers' own dialects
// are tested by their packages, against real databases (storetest).
var testDialect = Dialect{
	Name:       "test",
	Numbered:   true,
	PathPrefix: `starts_with(%[1]s.path, ?1)`,
	Contains:   `strpos(%[1]s, ?) > 0`,
	RoleIDs:    `'[]'`,
	Revision:   `SELECT 0`,
	Constraint: func(error) Constraint { return NoConstraint },
}

// registered returns the text of every query in SQLite's form.
func registered() []string {
	d := testDialect
	d.Numbered = false
	out := make([]string, len(registry))
	for i, f := range registry {
		out[i] = f(&d)
	}
	return out
}

func TestNewRebindsEveryQuery(t *testing.T) {
	s, err := New(testDialect)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	if len(s.sql) != len(registry) || len(s.sql) < 100 {
		t.Fatalf("New made %d queries of %d registered", len(s.sql), len(registry))
	}
	src := registered()
	for i, q := range s.sql {
		nums, rest := params(q)
		srcNums, srcRest := params(src[i])
		if strings.Contains(rest, "?") && !strings.Contains(src[i], "'") {
			t.Errorf("query %d still has a '?': %q", i, q)
		}
		if len(nums) != len(srcNums) || rest != srcRest {
			t.Errorf("query %d: %q rebound as %q", i, src[i], q)
		}
	}
	// The listings bind the owner as $4 and the filter as $1..$3.
	if got := s.sql[qUsers]; !strings.Contains(got, "u.account_id = $4 AND starts_with(u.path, $1) AND u.name_lower > $2 ORDER BY u.name_lower LIMIT $3") {
		t.Errorf("qUsers = %q", got)
	}
}

func TestNewRejectsIncompleteDialect(t *testing.T) {
	for _, mut := range []func(*Dialect){
		func(d *Dialect) { d.Name = "" },
		func(d *Dialect) { d.PathPrefix = "" },
		func(d *Dialect) { d.Contains = "" },
		func(d *Dialect) { d.RoleIDs = "" },
		func(d *Dialect) { d.Revision = "" },
		func(d *Dialect) { d.Constraint = nil },
	} {
		d := testDialect
		mut(&d)
		if _, err := New(d); err == nil {
			t.Errorf("New(%+v) = nil error, want one", d)
		}
	}
}
