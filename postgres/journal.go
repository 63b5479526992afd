package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/iamd/iamd/audit"
)

// --- the audit journal (iam.AuditJournalTx, audit.Journal). Intents are
// deleted by the trigger on audit_events (migration 0010, as on SQLite), inside
// AppendAudit's transaction.

var _ audit.Journal = (*DB)(nil)

var qPutAuditIntent = q(`INSERT INTO audit_journal (event_id, created, payload) VALUES ($1, $2, $3)`)

func (t *tx) PutAuditIntent(eventID string, created time.Time, payload []byte) error {
	c, err := timeToDB(created)
	if err != nil {
		return fmt.Errorf("put audit intent %s: %w", eventID, err)
	}
	if payload == nil {
		payload = []byte{} // NOT NULL: an empty payload is still an intent
	}
	if _, err := t.exec(qPutAuditIntent, eventID, c, payload); err != nil {
		return fmt.Errorf("put audit intent %s: %w", eventID, classify(err))
	}
	return nil
}

// AuditIntents implements audit.Journal.
func (db *DB) AuditIntents(ctx context.Context, before time.Time, limit int) ([]audit.Intent, error) {
	if err := db.checkOpen(); err != nil {
		return nil, err
	}
	b, err := timeToDB(before)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit intents: %w", err)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT event_id, created, payload FROM audit_journal WHERE created < $1
		ORDER BY created, event_id LIMIT $2`, b, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit intents: %w", err)
	}
	defer rows.Close()
	var out []audit.Intent
	for rows.Next() {
		var in audit.Intent
		var c int64
		if err := rows.Scan(&in.EventID, &c, &in.Payload); err != nil {
			return nil, fmt.Errorf("postgres: audit intents: %w", err)
		}
		in.Created = timeFromDB(c)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: audit intents: %w", err)
	}
	return out, nil
}
