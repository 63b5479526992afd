package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/iamd/iamd/audit"
)

// --- the audit journal (iam.AuditJournalTx, audit.Journal). Intents are
// deleted by the trigger on audit_events (migration 0010), inside
// AppendAudit's transaction.

var _ audit.Journal = (*DB)(nil)

var qPutAuditIntent = q(`INSERT INTO audit_journal (event_id, created, payload) VALUES (?, ?, ?)`)

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
		return nil, fmt.Errorf("sqlite: audit intents: %w", err)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT event_id, created, payload FROM audit_journal WHERE created < ?
		ORDER BY created, event_id LIMIT ?`, b, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit intents: %w", err)
	}
	defer rows.Close()
	var out []audit.Intent
	for rows.Next() {
		var in audit.Intent
		var c int64
		if err := rows.Scan(&in.EventID, &c, &in.Payload); err != nil {
			return nil, fmt.Errorf("sqlite: audit intents: %w", err)
		}
		in.Created = timeFromDB(c)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit intents: %w", err)
	}
	return out, nil
}
