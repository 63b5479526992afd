package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Problem is one verification failure, located by sequence and event ID.
type Problem struct {
	Seq     int64
	EventID string
	Message string
}

func (p Problem) String() string {
	if p.EventID != "" {
		return fmt.Sprintf("seq %d (event %s): %s", p.Seq, p.EventID, p.Message)
	}
	return fmt.Sprintf("seq %d: %s", p.Seq, p.Message)
}

// Report is the result of Verify.
type Report struct {
	Events   int64
	First    int64
	Last     int64
	Digests  int
	Problems []Problem
}

// OK reports whether the trail verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

const maxProblems = 100

// Verify checks the whole stored trail: every event's hash covers its
// predecessor's hash and its own canonical JSON, sequences are
// consecutive, the indexed columns agree with the event, and every digest
// is signed by pub and matches the chain. A modified event fails its hash;
// a deleted one leaves a gap (or, if the sequences were renumbered, a
// previous-hash mismatch); an inserted or reordered one breaks the links;
// a chain rewritten from some point on contradicts the signed digests
// after it. Events after the last digest are protected by the chain only.
func Verify(ctx context.Context, st Store, pub ed25519.PublicKey) (*Report, error) {
	rep := &Report{}
	add := func(p Problem) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, p)
		}
	}
	digests, err := st.AuditDigests(ctx)
	if err != nil {
		return nil, err
	}
	rep.Digests = len(digests)
	bySeq := map[int64]*Digest{}
	for i := range digests {
		d := &digests[i]
		if !ed25519.Verify(pub, d.SignedBytes(), d.Signature) {
			add(Problem{Seq: d.Seq, Message: "digest signature is invalid (digest modified or signed with another key)"})
			continue
		}
		bySeq[d.Seq] = d
	}
	var prevSeq int64
	var prevHash []byte
	err = st.ScanAudit(ctx, Query{}, func(r *Record) error {
		rep.Events++
		if rep.First == 0 {
			rep.First = r.Seq
			switch {
			case r.Seq == 1:
				prevHash = ZeroHash
			case bySeq[r.Seq-1] != nil:
				// The trail was pruned up to a digest: the digest anchors it.
				prevHash = bySeq[r.Seq-1].Hash
			default:
				add(Problem{Seq: r.Seq, EventID: r.EventID, Message: fmt.Sprintf("trail starts at seq %d with no signed digest of seq %d: events before it were deleted", r.Seq, r.Seq-1)})
				prevHash = r.PrevHash
			}
			prevSeq = r.Seq - 1
		}
		if r.Seq != prevSeq+1 {
			if r.Seq > prevSeq+1 {
				add(Problem{Seq: r.Seq, EventID: r.EventID, Message: fmt.Sprintf("events %d to %d are missing (deleted)", prevSeq+1, r.Seq-1)})
			} else {
				add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "sequence out of order"})
			}
		}
		if !bytes.Equal(r.PrevHash, prevHash) {
			add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "previous-hash link does not match the preceding event: an event was inserted, deleted or reordered here"})
		}
		want := ChainHash(r.PrevHash, r.Body)
		if !bytes.Equal(want, r.Hash) {
			add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "event content does not match its hash: the event was modified"})
		}
		var e Event
		if err := json.Unmarshal(r.Body, &e); err != nil {
			add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "event is not valid JSON"})
		} else if c := recordColumns(&e); c.EventID != r.EventID || c.EventName != r.EventName || c.Username != r.Username ||
			c.AccessKeyID != r.AccessKeyID || c.AccountID != r.AccountID || c.EventSource != r.EventSource || c.ReadOnly != r.ReadOnly ||
			!c.Time.Equal(r.Time) || !slices.Equal(c.Resources, r.Resources) {
			add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "indexed columns do not match the event: the row was modified"})
		}
		if d := bySeq[r.Seq]; d != nil && !bytes.Equal(d.Hash, want) {
			add(Problem{Seq: r.Seq, EventID: r.EventID, Message: "chain does not match the signed digest of this event: events up to here were rewritten"})
		}
		prevSeq, prevHash = r.Seq, r.Hash
		rep.Last = r.Seq
		return ctx.Err()
	})
	if de := (*DamagedError)(nil); errors.As(err, &de) {
		// The scan cannot go past the damage: report it where it starts.
		add(Problem{Seq: de.Seq, Message: de.Message})
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	if len(digests) > 0 {
		if last := digests[len(digests)-1].Seq; last > rep.Last {
			add(Problem{Seq: last, Message: fmt.Sprintf("a signed digest covers seq %d but the trail ends at seq %d: events were deleted from the end", last, rep.Last)})
		}
	}
	return rep, nil
}

// DamagedError is returned by Store.ScanAudit when stored events cannot
// be read back at all (a store that keeps several events in one record,
// and that record was altered): Verify reports it as a problem at Seq,
// where the damage starts, instead of failing without saying where.
type DamagedError struct {
	Seq     int64
	Message string
}

func (e *DamagedError) Error() string { return fmt.Sprintf("audit: seq %d: %s", e.Seq, e.Message) }
