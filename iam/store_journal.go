package iam

import "time"

// AuditJournalTx is the part of Tx that makes a mutation's audit event as
// durable as the mutation (journal.go): the event as known before the
// result is stored by the mutation's own transaction, and the audit
// trail's writer deletes it when it appends the final event, or appends it
// itself when the final event never came (crash, failed audit write).
type AuditJournalTx interface {
	// PutAuditIntent stores an intent: payload is opaque to the store (the
	// event's canonical JSON without its result), created is when the
	// transaction wrote it, to the second at least. ErrExists when an
	// intent with that event ID is stored already.
	PutAuditIntent(eventID string, created time.Time, payload []byte) error
}
