package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/iamd/iamd/iam"
)

// errInUse reports a delete refused by an ON DELETE RESTRICT foreign key:
// the row still has dependants (memberships, access keys) that the domain
// layer should have removed first.
var errInUse = errors.New("still referenced")

// classify maps driver errors to the iam sentinels by the constraint the
// dialect reads from the driver's codes, never by message text. The driver
// error stays in the chain for logs.
func (t *Tx) classify(err error) error {
	return t.classifyRef(err, errInUse)
}

// classifyRef is classify with the meaning of a foreign key failure given
// by the caller: on insert it means the referenced row is missing, on
// delete that the row is still referenced.
func (t *Tx) classifyRef(err error, fk error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return iam.ErrNotFound
	}
	switch t.s.d.Constraint(err) {
	case Unique:
		return fmt.Errorf("%w (%w)", iam.ErrExists, err)
	case ForeignKey:
		return fmt.Errorf("%w (%w)", fk, err)
	}
	return err
}
