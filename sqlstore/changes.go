package sqlstore

import (
	"fmt"

	"github.com/iamd/iamd/iam"
)

var (
	qGroupByID  = q(`SELECT ` + groupCols + ` FROM groups g WHERE g.id = ?`)
	qAllMembers = q(`SELECT group_id, user_id FROM group_members ORDER BY user_id, group_id`)
	// The newest revision ever handed out, not max(revision): that would
	// drop back (to 0) once the newest changes are pruned, and a follower
	// would take itself to be ahead of the store (Dialect.Revision).
	qRevision     = qd(func(d *Dialect) string { return d.Revision })
	qOldest       = q(`SELECT coalesce(min(revision), 0) FROM changes`)
	qChanges      = q(`SELECT revision, kind, entity_id FROM changes WHERE revision > ? ORDER BY revision LIMIT ?`)
	qPruneChanges = q(`DELETE FROM changes WHERE revision <= ?`)
)

func (t *Tx) GroupByID(id string) (*iam.Group, error) {
	row, err := t.queryRow(qGroupByID, id)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, err)
	}
	g, err := scanGroup(row)
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", id, t.classify(err))
	}
	return g, nil
}

func (t *Tx) AllGroupMembers() ([]iam.Membership, error) {
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

func (t *Tx) scalar(q query, args ...any) (int64, error) {
	row, err := t.queryRow(q, args...)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := row.Scan(&n); err != nil {
		return 0, t.classify(err)
	}
	return n, nil
}

func (t *Tx) Revision() (int64, error) {
	n, err := t.scalar(qRevision)
	if err != nil {
		return 0, fmt.Errorf("revision: %w", err)
	}
	return n, nil
}

func (t *Tx) OldestRevision() (int64, error) {
	n, err := t.scalar(qOldest)
	if err != nil {
		return 0, fmt.Errorf("oldest revision: %w", err)
	}
	return n, nil
}

func (t *Tx) Changes(after int64, limit int) ([]iam.Change, error) {
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

func (t *Tx) PruneChanges(upTo int64) error {
	if _, err := t.exec(qPruneChanges, upTo); err != nil {
		return fmt.Errorf("prune changes: %w", t.classify(err))
	}
	return nil
}
