package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/iamd/iamd/audit"
)

// --- the audit journal (iam.AuditJournalTx, audit.Journal). Intents are
// deleted by the trigger on audit_events (migration 0010), inside
// AppendAudit's transaction.

var qPutAuditIntent = q(`INSERT INTO audit_journal (event_id, created, payload) VALUES (?, ?, ?)`)

func (t *Tx) PutAuditIntent(eventID string, created time.Time, payload []byte) error {
	c, err := timeToDB(created)
	if err != nil {
		return fmt.Errorf("put audit intent %s: %w", eventID, err)
	}
	if payload == nil {
		payload = []byte{} // NOT NULL: an empty payload is still an intent
	}
	if _, err := t.exec(qPutAuditIntent, eventID, c, payload); err != nil {
		return fmt.Errorf("put audit intent %s: %w", eventID, t.classify(err))
	}
	return nil
}

var qAuditIntents = q(`SELECT event_id, created, payload FROM audit_journal WHERE created < ?
	ORDER BY created, event_id LIMIT ?`)

// AuditIntents implements audit.Journal for a backend, on its pool db
// (SQLite's read pool), outside any Update or View.
func (s *Store) AuditIntents(ctx context.Context, db *sql.DB, before time.Time, limit int) ([]audit.Intent, error) {
	b, err := timeToDB(before)
	if err != nil {
		return nil, fmt.Errorf("%s: audit intents: %w", s.d.Name, err)
	}
	rows, err := db.QueryContext(ctx, s.sql[qAuditIntents], b, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: audit intents: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []audit.Intent
	for rows.Next() {
		var in audit.Intent
		var c int64
		if err := rows.Scan(&in.EventID, &c, &in.Payload); err != nil {
			return nil, fmt.Errorf("%s: audit intents: %w", s.d.Name, err)
		}
		in.Created = timeFromDB(c)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: audit intents: %w", s.d.Name, err)
	}
	return out, nil
}
