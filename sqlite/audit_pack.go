package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore"
)

// A pack is one audit_packs row holding a run of consecutive read-only
// records (migration 0011). The body is the records one after the other,
// each as length-prefixed fields, so that a pack decodes without JSON and
// every stored field of a row has its counterpart:
//
//	prev_hash, hash, body, account_id, event_id, event_name,
//	event_source, username, access_key, resources (as the column)
//
// each a uvarint length and the bytes, then event_time as a varint (Unix
// seconds). read_only is true for every packed record. Both hashes are
// stored, not implied by the neighbours, so that verification reports an
// event removed, inserted or moved inside a pack as a broken link exactly
// where it happened, as it does for rows.

// Pack body formats (audit_packs.format).
const (
	packRaw = 1 // the records as above
	// The records compressed as one S2 block (github.com/klauspost/compress/s2).
	// Events of a batch repeat each other's field names, identities and user
	// agents: a pack shrinks about 6x for 0.3 µs of CPU per event, which
	// saves more than that in WAL frames written and checkpointed
	// (docs/bench/audit.md).
	packS2 = 2
)

// maxPackDecoded bounds what a damaged pack body can make decodePack
// allocate: a batch is at most 512 events, each far below 1 MiB.
const maxPackDecoded = 512 << 20

// packSummary is the columns of a pack row other than the body.
type packSummary struct {
	firstSeq, lastSeq  int64
	lastHash           []byte
	minTime, maxTime   int64
	minEvent, maxEvent string
	accounts           string
}

// encodePack appends the records' encoding to dst and summarizes them.
// recs is non-empty, consecutive and read-only.
func encodePack(dst []byte, recs []*audit.Record) ([]byte, packSummary) {
	first, last := recs[0], recs[len(recs)-1]
	s := packSummary{firstSeq: first.Seq, lastSeq: last.Seq, lastHash: last.Hash,
		minTime: first.Time.Unix(), maxTime: first.Time.Unix(), minEvent: first.EventID, maxEvent: first.EventID}
	var accounts strings.Builder
	accounts.WriteByte('\n')
	seen := make(map[string]bool, 1)
	for _, r := range recs {
		t := r.Time.Unix()
		s.minTime, s.maxTime = min(s.minTime, t), max(s.maxTime, t)
		s.minEvent, s.maxEvent = min(s.minEvent, r.EventID), max(s.maxEvent, r.EventID)
		if !seen[r.AccountID] {
			seen[r.AccountID] = true
			accounts.WriteString(r.AccountID + "\n")
		}
		dst = appendField(dst, r.PrevHash)
		dst = appendField(dst, r.Hash)
		dst = appendField(dst, r.Body)
		for _, f := range [...]string{r.AccountID, r.EventID, r.EventName, r.EventSource, r.Username, r.AccessKeyID} {
			dst = binary.AppendUvarint(dst, uint64(len(f)))
			dst = append(dst, f...)
		}
		dst = appendResources(dst, r.Resources)
		dst = binary.AppendVarint(dst, t)
	}
	s.accounts = accounts.String()
	return dst, s
}

func appendField(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// appendResources appends sqlstore.EncodeAuditResources(rs) as a field
// without building the string.
func appendResources(dst []byte, rs []audit.Resource) []byte {
	n := 1
	for _, r := range rs {
		n += 2 + len(r.Type) + len(r.Name)
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, r := range rs {
		dst = append(dst, '\n')
		dst = append(dst, r.Type...)
		dst = append(dst, '\t')
		dst = append(dst, r.Name...)
	}
	return append(dst, '\n')
}

// packedRecord is a record of a decoded pack, its fields still views into
// the pack's decoded body: filters compare them without allocating, and
// only a match is copied out (record). A scan that matches little (a rare
// event name over a long trail) then costs the decoding only.
type packedRecord struct {
	seq int64
	t   int64 // event_time
	// prev_hash, hash, body, account_id, event_id, event_name,
	// event_source, username, access_key, resources
	f [10][]byte
}

const (
	fPrev = iota
	fHash
	fBody
	fAccount
	fEventID
	fName
	fSource
	fUser
	fKey
	fResources
)

// record copies p out of the pack body.
func (p *packedRecord) record() *audit.Record {
	return &audit.Record{Seq: p.seq, ReadOnly: true, Time: time.Unix(p.t, 0).UTC(),
		PrevHash: bytes.Clone(p.f[fPrev]), Hash: bytes.Clone(p.f[fHash]), Body: bytes.Clone(p.f[fBody]),
		AccountID: string(p.f[fAccount]), EventID: string(p.f[fEventID]), EventName: string(p.f[fName]),
		EventSource: string(p.f[fSource]), Username: string(p.f[fUser]), AccessKeyID: string(p.f[fKey]),
		Resources: sqlstore.DecodeAuditResources(string(p.f[fResources]))}
}

var errPackTruncated = errors.New("truncated")

// decodePack decodes a pack row. A compressed body is decoded into buf when
// it is large enough, and the buffer used is returned for the next pack:
// the records point into it until then. Any
// inconsistency between the body and the row's columns is an error: the
// columns drive AuditHead and scans.
func decodePack(format int64, s packSummary, body, buf []byte) (_ []packedRecord, decoded []byte, _ error) {
	switch format {
	case packRaw:
	case packS2:
		n, err := s2.DecodedLen(body)
		if err != nil || n > maxPackDecoded {
			return nil, buf, fmt.Errorf("compressed body: %v", cmp.Or(err, errPackTruncated))
		}
		if body, err = s2.Decode(buf, body); err != nil {
			return nil, buf, fmt.Errorf("compressed body: %w", err)
		}
		buf = body
	default:
		return nil, buf, fmt.Errorf("unknown pack format %d", format)
	}
	// Sequences start at 1, so last-first cannot overflow; a record takes
	// more than one byte, so a range longer than the body is a lie.
	if s.firstSeq < 1 || s.lastSeq < s.firstSeq || s.lastSeq-s.firstSeq >= int64(len(body)) {
		return nil, buf, fmt.Errorf("sequence range %d-%d", s.firstSeq, s.lastSeq)
	}
	out := make([]packedRecord, 0, s.lastSeq-s.firstSeq+1)
	b := body
	for seq := s.firstSeq; len(b) > 0; seq++ {
		p := packedRecord{seq: seq}
		for i := range p.f {
			n, k := binary.Uvarint(b)
			if k <= 0 || n > uint64(len(b)-k) {
				return nil, buf, fmt.Errorf("record %d: %w", seq, errPackTruncated)
			}
			p.f[i], b = b[k:k+int(n):k+int(n)], b[k+int(n):]
		}
		t, k := binary.Varint(b)
		if k <= 0 {
			return nil, buf, fmt.Errorf("record %d: %w", seq, errPackTruncated)
		}
		p.t, b = t, b[k:]
		out = append(out, p)
	}
	if int64(len(out)) != s.lastSeq-s.firstSeq+1 {
		return nil, buf, fmt.Errorf("holds %d records for the sequence range %d-%d", len(out), s.firstSeq, s.lastSeq)
	}
	if !bytes.Equal(out[len(out)-1].f[fHash], s.lastHash) {
		return nil, buf, errors.New("its last hash column does not match its last record")
	}
	return out, buf, nil
}

// packFilter applies a query's filters to packed records with the
// semantics of the SQL conditions ScanAudit puts on rows (exact,
// case-sensitive equality; times in whole seconds; resources by substring
// of the column). BeforeSeq is applied by the caller.
type packFilter struct {
	q                *audit.Query
	resType, resName []byte
}

func newPackFilter(q *audit.Query) *packFilter {
	f := &packFilter{q: q}
	if q.ResType != "" {
		f.resType = []byte("\n" + q.ResType + "\t")
	}
	if q.ResName != "" {
		f.resName = []byte("\t" + q.ResName + "\n")
	}
	return f
}

func (f *packFilter) match(p *packedRecord) bool {
	q := f.q
	switch {
	case q.AccountID != "" && string(p.f[fAccount]) != q.AccountID,
		!q.Start.IsZero() && p.t < q.Start.Unix(),
		!q.End.IsZero() && p.t > q.End.Unix(),
		q.EventID != "" && string(p.f[fEventID]) != q.EventID,
		q.EventName != "" && string(p.f[fName]) != q.EventName,
		q.EventSource != "" && string(p.f[fSource]) != q.EventSource,
		q.Username != "" && string(p.f[fUser]) != q.Username,
		q.AccessKeyID != "" && string(p.f[fKey]) != q.AccessKeyID,
		q.ReadOnly != nil && !*q.ReadOnly,
		f.resType != nil && !bytes.Contains(p.f[fResources], f.resType),
		f.resName != nil && !bytes.Contains(p.f[fResources], f.resName):
		return false
	}
	return true
}

// Querier is what ScanAuditPacks reads through: a *sql.DB or *sql.Tx on a
// SQLite file.
type Querier = sqlstore.Querier

// ScanAuditPacks calls fn for every record stored in packs, ascending,
// reading through q. `iamd db copy`, which copies tables with plain SQL,
// uses it to turn packs into one audit_events row per record on the
// destination (PostgreSQL has no packs), so that the trail is copied
// faithfully: same sequences, hashes, bodies and columns.
func ScanAuditPacks(ctx context.Context, q Querier, fn func(*audit.Record) error) error {
	rows, err := q.QueryContext(ctx, "SELECT first_seq, last_seq, last_hash, format, body FROM audit_packs ORDER BY first_seq")
	if err != nil {
		return fmt.Errorf("sqlite: audit packs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s packSummary
		var format int64
		var body []byte
		if err := rows.Scan(&s.firstSeq, &s.lastSeq, &s.lastHash, &format, &body); err != nil {
			return fmt.Errorf("sqlite: audit packs: %w", err)
		}
		pack, _, err := decodePack(format, s, body, nil)
		if err != nil {
			return packDamaged(s, err)
		}
		for i := range pack {
			if err := fn(pack[i].record()); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// EncodeAuditResources is the resources column of audit_events for rs
// (sqlstore.EncodeAuditResources), for `iamd db copy`.
func EncodeAuditResources(rs []audit.Resource) string { return sqlstore.EncodeAuditResources(rs) }

func packDamaged(s packSummary, err error) error {
	return &audit.DamagedError{Seq: s.firstSeq,
		Message: fmt.Sprintf("the stored pack of events %d to %d cannot be read back (%v): it was modified", s.firstSeq, s.lastSeq, err)}
}
