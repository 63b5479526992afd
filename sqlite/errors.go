package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/iam"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// errInUse reports a delete refused by an ON DELETE RESTRICT foreign key:
// the row still has dependants (memberships, access keys) that the domain
// layer should have removed first.
var errInUse = errors.New("still referenced")

// classify maps driver errors to the iam sentinels by SQLite extended result
// code, never by message text, which SQLite does not promise to keep. The
// driver error stays in the chain for logs.
func classify(err error) error {
	return classifyRef(err, errInUse)
}

// classifyRef is classify with the meaning of a foreign key failure given
// by the caller: on insert it means the referenced row is missing, on
// delete that the row is still referenced.
func classifyRef(err error, fk error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return iam.ErrNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w (%w)", iam.ErrExists, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w (%w)", fk, err)
	}
	return err
}
