package storebench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// The audit store's benchmarks call audit.Store directly with records
// chained before the timer starts, so that what is measured is the store
// (building the statement, binding, the driver, the commit), not the
// writer's JSON encoding and hashing, which are the same on every backend.

// AuditBatch is the records per AppendAudit, about what a group commit
// holds under HTTP load (docs/bench/audit.md).
const AuditBatch = 64

// auditRecords returns n records chained after (seq, prev): read events
// (SQLite packs them) or mutations with a resource (one row each).
func auditRecords(b *testing.B, seq int64, prev []byte, n int, readOnly bool) []*audit.Record {
	b.Helper()
	if prev == nil {
		prev = audit.ZeroHash
	}
	base := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	recs := make([]*audit.Record, n)
	for i := range recs {
		e := &audit.Event{EventVersion: audit.EventVersion, EventTime: base.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339),
			EventSource: "iam.amazonaws.com", EventName: "GetUser", AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1",
			UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26",
			UserIdentity: audit.UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLEUSERID0001", ARN: "arn:aws:iam::123456789012:user/alice",
				AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLEKEY000001", UserName: "alice"},
			RequestParameters: map[string]any{"userName": fmt.Sprintf("user%04d", i%Users)}, RequestID: fmt.Sprintf("req-%d-%d", seq, i),
			EventID: fmt.Sprintf("ev-%012d", seq+int64(i)+1), ReadOnly: readOnly, EventType: "AwsApiCall", ManagementEvent: true,
			RecipientAccountID: "123456789012", EventCategory: "Management"}
		if !readOnly {
			e.EventName = "TagUser"
			e.Resources = []audit.Resource{{Type: "AWS::IAM::User", Name: fmt.Sprintf("user%04d", i%Users)}}
		}
		r, err := audit.NewRecord(e, seq+int64(i)+1, prev)
		if err != nil {
			b.Fatal(err)
		}
		recs[i], prev = r, r.Hash
	}
	return recs
}

// AuditAppends runs AuditAppend on a new store from open for read events
// (SQLite packs them) and for mutations (rows).
func AuditAppends(b *testing.B, open func(*testing.B) audit.Store) {
	for _, tc := range []struct {
		name     string
		readOnly bool
	}{{"reads", true}, {"writes", false}} {
		b.Run(tc.name, func(b *testing.B) { AuditAppend(b, open(b), tc.readOnly) })
	}
}

// AuditAppend measures AppendAudit per event, in batches of AuditBatch,
// on the empty trail of st. cpu-µs/event is this process's CPU time (on
// PostgreSQL the server's is not included), the figure that depends least
// on the machine's other load.
func AuditAppend(b *testing.B, st audit.Store, readOnly bool) {
	ctx := b.Context()
	seq, prev, _, err := st.AuditHead(ctx)
	if err != nil {
		b.Fatal(err)
	}
	recs := auditRecords(b, seq, prev, b.N, readOnly)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := ProcessCPU()
	for i := 0; i < len(recs); i += AuditBatch {
		if err := st.AppendAudit(ctx, recs[i:min(i+AuditBatch, len(recs))], nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((ProcessCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
}

// AuditScanRows measures LookupEvents-like reads of a trail of 500
// mutation events, which both backends store as rows: the newest page of an
// account, one event by ID, a resource name, and a name matching nothing.
func AuditScanRows(b *testing.B, st audit.Store) {
	ctx := b.Context()
	const n = 500 // small: SQLite sorts every row of the account for newest51
	recs := auditRecords(b, 0, nil, n, false)
	for i := 0; i < n; i += AuditBatch {
		if err := st.AppendAudit(ctx, recs[i:min(i+AuditBatch, n)], nil); err != nil {
			b.Fatal(err)
		}
	}
	AuditScan(b, st, []AuditScanCase{
		{"newest51", audit.Query{AccountID: "123456789012", Descending: true, Limit: 51}, 51},
		{"eventID", audit.Query{AccountID: "123456789012", EventID: recs[n/2].EventID, Descending: true, Limit: 51}, 1},
		{"resource", audit.Query{ResType: "AWS::IAM::User", ResName: "user0007", Limit: 51}, 1},
		{"noMatch", audit.Query{AccountID: "123456789012", EventName: "CreateUser", Descending: true, Limit: 51}, 0},
	})
}

// AuditScanCase is a query of AuditScan and how many events it returns.
type AuditScanCase struct {
	Name string
	Q    audit.Query
	Want int
}

// AuditScan measures ScanAudit on st's trail, a sub-benchmark per case.
func AuditScan(b *testing.B, st audit.Store, cases []AuditScanCase) {
	// Not b.Context(): database/sql watches a cancelable context with a
	// goroutine per transaction, allocations that the figures taken
	// before this benchmark was shared (docs/bench/audit.md) do not count.
	ctx := context.Background()
	for _, tc := range cases {
		b.Run(tc.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got := 0
				if err := st.ScanAudit(ctx, tc.Q, func(*audit.Record) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
				if got != tc.Want {
					b.Fatalf("%d events, want %d", got, tc.Want)
				}
			}
		})
	}
}
