package postgres

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/iamd/iamd/iam"
)

// errInUse reports a delete refused by an ON DELETE RESTRICT foreign key.
var errInUse = errors.New("still referenced")

// SQLSTATE codes this package classifies (PostgreSQL appendix A).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// classify maps driver errors to the iam sentinels by SQLSTATE, never by
// message text. The driver error stays in the chain for logs.
func classify(err error) error {
	return classifyRef(err, errInUse)
}

// classifyRef is classify with the meaning of a foreign key failure given
// by the caller: on insert the referenced row is missing, on delete the
// row is still referenced.
func classifyRef(err error, fk error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return iam.ErrNotFound
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case codeUniqueViolation:
		return fmt.Errorf("%w (%w)", iam.ErrExists, err)
	case codeForeignKeyViolation:
		return fmt.Errorf("%w (%w)", fk, err)
	}
	return err
}
