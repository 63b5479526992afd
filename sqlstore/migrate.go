package sqlstore

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file of a backend's schema: the files are named
// NNNN_description.sql and numbered from 1 without gaps, and each backend
// applies them in order and records the last applied number its own way
// (SQLite's user_version, PostgreSQL's schema_migrations table).
type Migration struct {
	Version int
	Name    string // the file name
	SQL     string
}

// LoadMigrations reads and checks the files migrations/*.sql of fsys. A
// numbering mistake is a programming error, caught by the backends' tests
// before it can ship.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name is not NNNN_description.sql", base)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad number %q", base, num)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d (numbers start at 1, without gaps or duplicates)", m.Name, i+1)
		}
	}
	return ms, nil
}

// NewerSchema refuses a database migrated by a newer build: an old binary
// could write rows that break the newer schema's assumptions.
func NewerSchema(cur, latest int) error {
	return fmt.Errorf("database schema version %d is newer than this build's %d; upgrade iamd", cur, latest)
}
