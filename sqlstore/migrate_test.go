package sqlstore

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		ok    bool
	}{
		{"ordered", fstest.MapFS{"migrations/0002_b.sql": file("b"), "migrations/0001_a.sql": file("a")}, true},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/0003_c.sql": file("c")}, false},
		{"duplicate", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/001_b.sql": file("b")}, false},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("a")}, false},
		{"unnumbered", fstest.MapFS{"migrations/init.sql": file("a")}, false},
		{"not a number", fstest.MapFS{"migrations/x_a.sql": file("a")}, false},
		{"first is not 1", fstest.MapFS{"migrations/0002_a.sql": file("a")}, false},
	} {
		ms, err := LoadMigrations(c.files)
		if (err == nil) != c.ok {
			t.Errorf("LoadMigrations(%s) = %v, want ok %v", c.name, err, c.ok)
		}
		if c.ok && (len(ms) != 2 || ms[0].SQL != "a" || ms[1].SQL != "b" || ms[0].Name != "0001_a.sql" || ms[1].Version != 2) {
			t.Errorf("LoadMigrations(%s) = %+v, want a then b", c.name, ms)
		}
	}
}
