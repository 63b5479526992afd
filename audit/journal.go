package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// The journal makes a mutation's event as durable as the mutation. httpapi
// hands the request's event, as known before the result, to iam
// (iam.WithAuditIntent); the mutation's own transaction stores it as an
// intent (iam.AuditJournalTx). When the Writer appends the final event,
// Store.AppendAudit deletes the intent in the same transaction. An intent
// still stored after JournalGrace means its final event never came: the
// process died between the two commits, or the final append failed (and
// the request got a 500). The Writer then appends the intent itself, so a
// committed change always has exactly one event.

// Intent is a stored intent: Payload is the event's canonical JSON without
// its result (responseElements null).
type Intent struct {
	EventID string
	Created time.Time
	Payload []byte
}

// Journal is implemented by the stores whose iam transactions store
// intents. The Writer uses it when Config.Store implements it.
type Journal interface {
	// AuditIntents returns up to limit (> 0) intents created before
	// before, oldest first.
	AuditIntents(ctx context.Context, before time.Time, limit int) ([]Intent, error)
}

// Journal defaults: an intent younger than the grace period may belong to
// a request still in flight (its final event not yet appended).
const (
	DefaultJournalGrace    = time.Minute
	DefaultJournalInterval = 10 * time.Second
)

// recoveredMarker is the additionalEventData of an event appended from its
// intent: it has no responseElements, and its request may have been
// answered with a 500 ServiceFailure although the change was committed.
var recoveredMarker = map[string]any{"recoveredFromJournal": true}

// recoveredRecord is NewRecord for an intent's event, which carries
// additionalEventData (a CloudTrail field no other iamd event uses, so
// Event has no member for it).
func recoveredRecord(e *Event, seq int64, prev []byte) (*Record, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		*Event
		AdditionalEventData map[string]any `json:"additionalEventData"`
	}{e, recoveredMarker}); err != nil {
		return nil, err
	}
	body := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	r := recordColumns(e)
	r.Seq, r.PrevHash, r.Body, r.Hash = seq, prev, body, ChainHash(prev, body)
	return r, nil
}

// intentEvent decodes an intent's payload. A payload that is not an event
// of that ID (written by a future version, or damaged) still yields an
// event: the change it stood for was committed and must be on the trail.
func intentEvent(in Intent) *Event {
	e := &Event{}
	if err := json.Unmarshal(in.Payload, e); err == nil && e.EventID == in.EventID {
		// Only a committed change stores an intent, so the event records
		// one; and Store.AppendAudit settles intents of non-read-only
		// events only, so a read-only one would be recovered forever.
		e.ResponseElements, e.ReadOnly = nil, false
		return e
	}
	return &Event{
		EventVersion: EventVersion, EventTime: in.Created.UTC().Format(time.RFC3339), EventSource: "iam.amazonaws.com",
		EventName: "Unknown", UserIdentity: UserIdentity{Type: "Unknown"}, EventID: in.EventID,
		EventType: "AwsApiCall", ManagementEvent: true, EventCategory: "Management", AWSRegion: "us-east-1",
	}
}

// recoverJournal appends the intents older than the grace period as events.
// It runs on the loop goroutine, between batches, so an event's final
// append and its recovery never race within one process.
func (w *Writer) recoverJournal() {
	if w.journal == nil {
		return
	}
	ctx := context.Background()
	now := w.cfg.Clock()
	for id, at := range w.recovered {
		// A final event for an intent recovered this long ago would come
		// from a request stuck for far longer than any client waits.
		if now.Sub(at) > 10*w.cfg.JournalGrace {
			delete(w.recovered, id)
		}
	}
	for {
		ins, err := w.journal.AuditIntents(ctx, now.Add(-w.cfg.JournalGrace), maxBatch)
		if err != nil {
			w.log.Error("audit: read journal", "err", err)
			return
		}
		if len(ins) == 0 {
			return
		}
		batch := make([]*pending, 0, len(ins))
		for _, in := range ins {
			batch = append(batch, &pending{e: intentEvent(in), err: make(chan error, 1), recovered: true})
		}
		w.commit(batch, false)
		for _, p := range batch {
			if err := <-p.err; err != nil {
				return // logged by commit; retried at the next tick
			}
			w.recovered[p.e.EventID] = now
		}
		w.log.Warn("audit: appended events recovered from the journal (their final events never came)", "events", len(batch))
		if len(ins) < maxBatch {
			return
		}
	}
}
