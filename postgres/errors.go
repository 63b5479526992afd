package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/iamd/iamd/sqlstore"
)

// SQLSTATE codes this package classifies (PostgreSQL appendix A).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// constraint reads the constraint a failed statement violated from its
// SQLSTATE, never from the message text.
func constraint(err error) sqlstore.Constraint {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return sqlstore.NoConstraint
	}
	switch pe.Code {
	case codeUniqueViolation:
		return sqlstore.Unique
	case codeForeignKeyViolation:
		return sqlstore.ForeignKey
	}
	return sqlstore.NoConstraint
}
