package iam

import (
	"context"
	"sync"
	"sync/atomic"
)

// AuditIntent is the audit event of one API request that may change the
// store, as the caller knows it before the request is served. update
// stores it in the first transaction of the request that commits, so no
// change is ever committed without its event being durable too: either the
// final event (appended by the audit writer, which deletes the intent in
// the same transaction) or, after a crash or a failed audit write, the
// intent itself, which the writer recovers as the event (audit/journal.go).
type AuditIntent struct {
	// Encode returns the event's ID and payload (opaque here: the audit
	// package's event, redacted). It is called at most once, and only by
	// a request that reaches a read-write transaction, outside it: requests
	// that never do (most STS calls, changes refused by validation) never
	// pay for it.
	Encode func() (eventID string, payload []byte, err error)

	once    sync.Once
	id      string
	payload []byte
	err     error
	// written is set once a transaction carrying the intent committed:
	// operations running several transactions journal it once.
	written atomic.Bool
	// finished is set when the final event is handed to the audit trail:
	// an intent stored after that would never be settled, and would be
	// recovered as a second event.
	finished atomic.Bool
}

type auditIntentKey struct{}

// WithAuditIntent returns ctx carrying the request's intent, for the
// Service's mutations to journal.
func WithAuditIntent(ctx context.Context, in *AuditIntent) context.Context {
	return context.WithValue(ctx, auditIntentKey{}, in)
}

// AuditIntentFrom returns the intent ctx carries, or nil.
func AuditIntentFrom(ctx context.Context) *AuditIntent {
	in, _ := ctx.Value(auditIntentKey{}).(*AuditIntent)
	return in
}

// Written reports whether a committed transaction stored the intent.
func (in *AuditIntent) Written() bool { return in != nil && in.written.Load() }

// Finish is called when the request's final event is handed to the audit
// trail: transactions started after it (none is expected) no longer store
// the intent.
func (in *AuditIntent) Finish() {
	if in != nil {
		in.finished.Store(true)
	}
}

// journaled wraps a mutation so that, when ctx carries an intent not yet
// stored, fn's transaction also stores it (only if fn succeeds: a refused
// change commits nothing and needs no journal). done is to be called once
// the transaction committed. An intent that cannot be encoded fails the
// mutation before anything is written: a change is never made without its
// event.
func (s *Service) journaled(ctx context.Context, fn func(Tx) error) (wrapped func(Tx) error, done func(), err error) {
	in := AuditIntentFrom(ctx)
	if in == nil || in.Encode == nil || in.written.Load() || in.finished.Load() {
		return fn, func() {}, nil
	}
	in.once.Do(func() { in.id, in.payload, in.err = in.Encode() })
	if in.err != nil {
		return nil, nil, in.err
	}
	return func(tx Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return tx.PutAuditIntent(in.id, s.now().UTC(), in.payload)
		}, func() {
			in.written.Store(true)
		}, nil
}
