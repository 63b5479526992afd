package sqlite

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/sqlstore/storebench"
)

// BenchmarkAuditEnqueueRead measures the audit writer's cost per read
// event (encoding, chaining, the SQLite append and its share of the
// commit) on the SQLite store, the figure that decides audited read
// throughput on a 2-core machine: cpu-µs/event is the process's CPU time
// over b.N. The trail is pre-filled (prefill events), since the cost of
// index maintenance grows with the trail; "parallel64" has 64 goroutines
// record concurrently, so that batches are the size the HTTP load runs see,
// "enqueue" hands over every event at once (batches of maxBatch),
// "batch64" enqueues 64 events (as read requests do) then flushes, so that
// every commit holds 64 events without 64 goroutines waiting on it.
// eventIDs "v4" are random (as newRequestID made them), "v7" time-ordered
// (audit.NewEventID). IAMD_BENCH_AUDIT_DDL runs statements (";"-separated)
// on the writer connection first, for experiments such as dropping an index
// or setting a pragma (docs/bench/audit.md).
func BenchmarkAuditEnqueueRead(b *testing.B) {
	for _, prefill := range []int{0, 100000} {
		for _, ids := range []string{"v4", "v7"} {
			for _, mode := range []string{"enqueue", "batch64", "parallel64"} {
				b.Run(fmt.Sprintf("prefill=%d/ids=%s/%s", prefill, ids, mode), func(b *testing.B) {
					benchAuditReads(b, prefill, ids, mode)
				})
			}
		}
	}
}

func benchAuditReads(b *testing.B, prefill int, ids, mode string) {
	ctx := context.Background()
	db := openTemp(b)
	for _, stmt := range strings.Split(os.Getenv("IAMD_BENCH_AUDIT_DDL"), ";") {
		if stmt != "" {
			if _, err := db.w.ExecContext(ctx, stmt); err != nil {
				b.Fatal(err)
			}
		}
	}
	w := newBenchWriter(b, db)
	defer w.Close()
	newID := func() string { return uuid4() }
	if ids == "v7" {
		newID = audit.NewEventID
	}
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC).Format(time.RFC3339)
	event := func(i int) *audit.Event {
		return &audit.Event{EventVersion: audit.EventVersion, EventTime: now, EventSource: "sts.amazonaws.com",
			EventName: "GetCallerIdentity", AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26",
			UserIdentity: audit.UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLEUSERID0001", ARN: "arn:aws:iam::123456789012:user/alice",
				AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLEKEY000001", UserName: "alice"},
			RequestParameters: map[string]any{}, RequestID: uuid4(), EventID: newID(),
			ReadOnly: true, EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management"}
	}
	for i := range prefill {
		if err := w.Enqueue(event(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	events := make([]*audit.Event, b.N)
	for i := range events {
		events[i] = event(i)
	}
	countPacks := func() int {
		var n int
		if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM audit_packs").Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	packs0 := countPacks()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := storebench.ProcessCPU()
	switch mode {
	case "enqueue", "batch64":
		for i, e := range events {
			if err := w.Enqueue(e); err != nil {
				b.Fatal(err)
			}
			if mode == "batch64" && i%64 == 63 {
				if err := w.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	default:
		var wg sync.WaitGroup
		for g := range 64 {
			wg.Go(func() {
				for i := g; i < len(events); i += 64 {
					if err := w.Record(ctx, events[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64((storebench.ProcessCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
	// Each group commit of read events is one pack.
	if packs := countPacks() - packs0; packs > 0 {
		b.ReportMetric(float64(b.N)/float64(packs), "events/commit")
	}
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// BenchmarkAuditScan measures LookupEvents-like reads of a trail of 20,000
// read events stored as packs: the newest page of an account, one event by
// ID (the packs' event ID ranges keep it to about one pack), and a name
// that matches nothing (every pack decoded).
func BenchmarkAuditScan(b *testing.B) {
	ctx := context.Background()
	db := openTemp(b)
	w := newBenchWriter(b, db)
	const n = 20000
	var mid string
	for i := range n {
		e := packEvent(int64(i), true)
		e.EventID = audit.NewEventID()
		if i == n/2 {
			mid = e.EventID
		}
		if err := w.Enqueue(e); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 { // batches of about 64, as under HTTP load
			if err := w.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	storebench.AuditScan(b, db, []storebench.AuditScanCase{
		{Name: "newest51", Q: audit.Query{AccountID: "123456789012", Descending: true, Limit: 51}, Want: 51},
		{Name: "eventID", Q: audit.Query{AccountID: "123456789012", EventID: mid, Descending: true, Limit: 51}, Want: 1},
		{Name: "noMatch", Q: audit.Query{AccountID: "123456789012", EventName: "CreateUser", Descending: true, Limit: 51}, Want: 0},
	})
}

// BenchmarkAuditAppend is storebench's: AppendAudit per event in batches of
// 64, read events (packs) and mutations (rows), the same bodies as on
// postgres.
func BenchmarkAuditAppend(b *testing.B) {
	storebench.AuditAppends(b, func(b *testing.B) audit.Store { return openTemp(b) })
}

// BenchmarkAuditScanRows is storebench's scan of a trail of rows.
func BenchmarkAuditScanRows(b *testing.B) { storebench.AuditScanRows(b, openTemp(b)) }

// newBenchWriter is an audit writer on db with a new signing key.
func newBenchWriter(b *testing.B, db *DB) *audit.Writer {
	key, _, err := audit.LoadOrCreateKey(filepath.Join(b.TempDir(), audit.KeyFile))
	if err != nil {
		b.Fatal(err)
	}
	w, err := audit.NewWriter(b.Context(), audit.Config{Store: db, Key: key})
	if err != nil {
		b.Fatal(err)
	}
	return w
}
