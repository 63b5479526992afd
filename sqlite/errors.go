package sqlite

import (
	"errors"

	"github.com/iamd/iamd/sqlstore"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// constraint reads the constraint a failed statement violated from SQLite's
// extended result code, never from the message text, which SQLite does not
// promise to keep.
func constraint(err error) sqlstore.Constraint {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return sqlstore.NoConstraint
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqlstore.Unique
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return sqlstore.ForeignKey
	}
	return sqlstore.NoConstraint
}
