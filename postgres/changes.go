package postgres

import (
	"fmt"

	"github.com/iamd/iamd/iam"
)

var (
	qGroupByID  = q(`SELECT ` + groupCols + ` FROM groups g WHERE g.id = $1`)
	qAllMembers = q(`SELECT group_id, user_id FROM group_members ORDER BY user_id, group_id`)
	// The newest revision ever handed out, not max(revision): that would
	// drop back (to 0) once the newest changes are pruned, and a follower
	// would take itself to be ahead of the store. change_revision is the
	// transactional high-water mark (migration 0002).
	qRevision     = q(`SELECT revision FROM change_revision WHERE id = 1`)
	qOldest       = q(`SELECT coalesce(min(revision), 0) FROM changes`)
	qChanges      = q(`SELECT revision, kind, entity_id FROM changes WHERE revision > $1 ORDER BY revision LIMIT $2`)
	qPruneChanges = q(`DELETE FROM changes WHERE revision <= $1`)
)

func (t *tx) GroupByID(id string) (*iam.Group, error) {
	row, err := t.queryRow(qGroupByID, id)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	g, err := scanGroup(row)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, classify(err))
	}
	return g, nil
}

func (t *tx) AllGroupMembers() ([]iam.Membership, error) {
	rows, err := t.query(qAllMembers)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	defer rows.Close()
	var out []iam.Membership
	for rows.Next() {
		var m iam.Membership
		if err := rows.Scan(&m.GroupID, &m.UserID); err != nil {
			return nil, fmt.Errorf("list memberships: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	return out, nil
}

func (t *tx) scalar(query string, args ...any) (int64, error) {
	row, err := t.queryRow(query, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := row.Scan(&n); err != nil {
		return 0, classify(err)
	}
	return n, nil
}

func (t *tx) Revision() (int64, error) {
	n, err := t.scalar(qRevision)
	if err != nil {
		return 0, fmt.Errorf("revision: %w", err)
	}
	return n, nil
}

func (t *tx) OldestRevision() (int64, error) {
	n, err := t.scalar(qOldest)
	if err != nil {
		return 0, fmt.Errorf("oldest revision: %w", err)
	}
	return n, nil
}

func (t *tx) Changes(after int64, limit int) ([]iam.Change, error) {
	rows, err := t.query(qChanges, after, limit)
	if err != nil {
		return nil, fmt.Errorf("changes after %d: %w", after, err)
	}
	defer rows.Close()
	var out []iam.Change
	for rows.Next() {
		var c iam.Change
		var kind string
		if err := rows.Scan(&c.Revision, &kind, &c.ID); err != nil {
			return nil, fmt.Errorf("changes after %d: %w", after, err)
		}
		c.Kind = iam.ChangeKind(kind)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("changes after %d: %w", after, err)
	}
	return out, nil
}

func (t *tx) PruneChanges(upTo int64) error {
	if _, err := t.exec(qPruneChanges, upTo); err != nil {
		return fmt.Errorf("prune changes: %w", classify(err))
	}
	return nil
}
