package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Record is a stored event: its canonical JSON (Body), its place in the
// chain and the columns LookupEvents and export filter on, all derived
// from Body.
type Record struct {
	Seq      int64
	PrevHash []byte // Hash of Seq-1; 32 zero bytes for the first event ever
	Hash     []byte // SHA-256(PrevHash || Body)
	Body     []byte

	Time        time.Time
	AccountID   string
	EventID     string
	EventName   string
	EventSource string
	Username    string
	AccessKeyID string
	ReadOnly    bool
	Resources   []Resource
}

// Digest is a signed statement "the chain's event Seq has hash Hash".
type Digest struct {
	Seq       int64
	Hash      []byte
	Time      time.Time
	Signature []byte // Ed25519 over SignedBytes
}

// SignedBytes is what a digest's signature covers.
func (d *Digest) SignedBytes() []byte {
	return []byte("iamd-audit-digest-v1\n" + strconv.FormatInt(d.Seq, 10) + "\n" + hex.EncodeToString(d.Hash) +
		"\n" + d.Time.UTC().Format(time.RFC3339Nano) + "\n")
}

// Query selects stored events. Zero fields do not filter.
type Query struct {
	AccountID   string
	Start, End  time.Time // End inclusive
	EventID     string
	EventName   string
	EventSource string
	Username    string
	AccessKeyID string
	ReadOnly    *bool
	ResType     string
	ResName     string
	BeforeSeq   int64 // newest first, below this sequence (LookupEvents' NextToken)
	Descending  bool
	Limit       int
}

// Store keeps the audit trail durably.
type Store interface {
	// AuditHead returns the last event's sequence and hash (0, nil when
	// the trail is empty) and the last digest's sequence.
	AuditHead(ctx context.Context) (seq int64, hash []byte, digestSeq int64, err error)
	// AppendAudit appends records (consecutive, following the head) and,
	// when non-nil, a digest, in one durable transaction. A store that
	// implements Journal also deletes, in that transaction, the intent of
	// each record that is not ReadOnly (same EventID), if there is one.
	AppendAudit(ctx context.Context, recs []*Record, d *Digest) error
	// ScanAudit calls fn for the matching records; ascending sequence
	// unless q.Descending.
	ScanAudit(ctx context.Context, q Query, fn func(*Record) error) error
	// AuditDigests returns every digest, ascending.
	AuditDigests(ctx context.Context) ([]Digest, error)
	// PruneAudit deletes the events with a sequence up to through.
	PruneAudit(ctx context.Context, through int64) error
}

// ZeroHash is the previous hash of the first event.
var ZeroHash = make([]byte, sha256.Size)

// ChainHash is SHA-256(prev || body).
func ChainHash(prev, body []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(body)
	return h.Sum(nil)
}

// NewRecord builds the record of e at seq after prev.
func NewRecord(e *Event, seq int64, prev []byte) (*Record, error) {
	body, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	r := recordColumns(e)
	r.Seq, r.PrevHash, r.Body, r.Hash = seq, prev, body, ChainHash(prev, body)
	return r, nil
}

func recordColumns(e *Event) *Record {
	return &Record{
		Time: e.Time(), AccountID: e.RecipientAccountID, EventID: e.EventID, EventName: e.EventName,
		EventSource: e.EventSource, Username: e.Username(), AccessKeyID: e.UserIdentity.AccessKeyID,
		ReadOnly: e.ReadOnly, Resources: e.Resources,
	}
}

// KeyFile is the signing key's file name in the data directory.
const KeyFile = "audit-signing.key"

// LoadOrCreateKey reads the Ed25519 signing key (its 32-byte seed, hex) at
// path, creating it (0600) when missing.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		seed, err := hex.DecodeString(string(trimSpace(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, false, fmt.Errorf("audit signing key %s: not a hex Ed25519 seed", path)
		}
		return ed25519.NewKeyFromSeed(seed), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(hex.EncodeToString(seed) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	return ed25519.NewKeyFromSeed(seed), true, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
