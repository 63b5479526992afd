// Package audittest checks an audit.Store's ScanAudit against the
// semantics its filters are documented with, computed here in memory:
// each backend's tests run it, so the shared query of sqlstore is checked
// in both dialects (and, on SQLite, merged with its packs).
package audittest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// Filters appends a mixed trail to the empty store st (read events, which
// SQLite packs, and mutations, which are rows, in runs; two accounts;
// resources; times a few seconds apart) and checks that ScanAudit returns
// exactly the matching records, in order, for a table of queries.
func Filters(t *testing.T, st audit.Store) {
	t.Helper()
	ctx := t.Context()
	recs := trail(t)
	for i := 0; i < len(recs); i += 7 { // batches cut across the runs of reads
		if err := st.AppendAudit(ctx, recs[i:min(i+7, len(recs))], nil); err != nil {
			t.Fatalf("AppendAudit = %v", err)
		}
	}
	yes, no := true, false
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name string
		q    audit.Query
	}{
		{"everything", audit.Query{}},
		{"descending", audit.Query{Descending: true}},
		{"first 5", audit.Query{Limit: 5}},
		{"last 5", audit.Query{Descending: true, Limit: 5}},
		{"account", audit.Query{AccountID: "111111111111"}},
		{"other account, last 3", audit.Query{AccountID: "222222222222", Descending: true, Limit: 3}},
		{"no such account", audit.Query{AccountID: "333333333333"}},
		{"time range", audit.Query{Start: at(10), End: at(20)}},
		{"start within a second", audit.Query{Start: at(10).Add(500 * time.Millisecond)}}, // whole seconds, as the column
		{"end", audit.Query{End: at(5)}},
		{"event ID", audit.Query{EventID: "ev-17"}},
		{"event ID prefix", audit.Query{EventID: "ev-"}},
		{"event name", audit.Query{EventName: "GetUser"}},
		{"event name in other case", audit.Query{EventName: "getuser"}}, // case-sensitive
		{"event source", audit.Query{EventSource: "sts.amazonaws.com"}},
		{"user name", audit.Query{Username: "bob"}},
		{"access key", audit.Query{AccessKeyID: "AKIAEXAMPLE000000002"}},
		{"read only", audit.Query{ReadOnly: &yes}},
		{"mutations, descending", audit.Query{ReadOnly: &no, Descending: true}},
		{"resource type", audit.Query{ResType: "AWS::IAM::User"}},
		{"resource type prefix", audit.Query{ResType: "AWS::IAM::"}}, // a prefix is not a type
		{"resource name", audit.Query{ResName: "alice"}},
		{"resource name prefix", audit.Query{ResName: "ali"}},
		{"type and name of different resources", audit.Query{ResType: "AWS::IAM::Role", ResName: "alice"}}, // on different resources of one event
		{"wildcard resource name", audit.Query{ResName: "%"}},
		{"resource name with a percent sign", audit.Query{ResName: "ops%"}},
		{"page before 20", audit.Query{BeforeSeq: 20, Descending: true, Limit: 4}},
		{"before the first", audit.Query{BeforeSeq: 1}},
		{"combined", audit.Query{AccountID: "111111111111", ReadOnly: &yes, Start: at(3), BeforeSeq: 30, Descending: true, Limit: 6}},
	} {
		q := tc.q
		want := match(recs, q)
		var got []int64
		err := st.ScanAudit(ctx, q, func(r *audit.Record) error {
			got = append(got, r.Seq)
			if w := recs[r.Seq-1]; !sameRecord(r, w) {
				return fmt.Errorf("seq %d read back as %+v, want %+v", r.Seq, r, w)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%s: ScanAudit = %v", tc.name, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: ScanAudit = %v, want %v", tc.name, got, want)
		}
	}
}

var base = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// trail is 40 chained records: runs of read events between mutations.
func trail(t *testing.T) []*audit.Record {
	t.Helper()
	var recs []*audit.Record
	prev := audit.ZeroHash
	for i := range 40 {
		readOnly := i%6 < 4
		user, key := "alice", "AKIAEXAMPLE000000001"
		if i%3 == 1 {
			user, key = "bob", "AKIAEXAMPLE000000002"
		}
		account := "111111111111"
		if i%5 == 2 {
			account = "222222222222"
		}
		e := &audit.Event{EventVersion: audit.EventVersion, EventTime: base.Add(time.Duration(i/2) * time.Second).Format(time.RFC3339),
			EventSource: "iam.amazonaws.com", EventName: "GetUser", EventID: fmt.Sprintf("ev-%d", i+1),
			UserIdentity:       audit.UserIdentity{Type: "IAMUser", AccountID: account, AccessKeyID: key, UserName: user},
			RecipientAccountID: account, ReadOnly: readOnly, EventType: "AwsApiCall", ManagementEvent: true}
		switch {
		case i%7 == 3:
			e.EventSource, e.EventName = "sts.amazonaws.com", "GetCallerIdentity"
		case !readOnly:
			e.EventName = "TagUser"
		}
		if i%4 != 0 {
			e.Resources = []audit.Resource{{Type: "AWS::IAM::User", Name: user}}
		}
		if i%8 == 5 {
			e.Resources = append(e.Resources, audit.Resource{Type: "AWS::IAM::Role", Name: "ops%"})
		}
		r, err := audit.NewRecord(e, int64(i+1), prev)
		if err != nil {
			t.Fatal(err)
		}
		recs, prev = append(recs, r), r.Hash
	}
	return recs
}

// match is ScanAudit's documented semantics over recs, ascending by
// sequence: the sequences it must return.
func match(recs []*audit.Record, q audit.Query) []int64 {
	var out []int64
	for _, r := range recs {
		t := r.Time.Unix()
		if q.AccountID != "" && r.AccountID != q.AccountID ||
			!q.Start.IsZero() && t < q.Start.Unix() ||
			!q.End.IsZero() && t > q.End.Unix() ||
			q.EventID != "" && r.EventID != q.EventID ||
			q.EventName != "" && r.EventName != q.EventName ||
			q.EventSource != "" && r.EventSource != q.EventSource ||
			q.Username != "" && r.Username != q.Username ||
			q.AccessKeyID != "" && r.AccessKeyID != q.AccessKeyID ||
			q.ReadOnly != nil && r.ReadOnly != *q.ReadOnly ||
			q.ResType != "" && !slices.ContainsFunc(r.Resources, func(x audit.Resource) bool { return x.Type == q.ResType }) ||
			q.ResName != "" && !slices.ContainsFunc(r.Resources, func(x audit.Resource) bool { return x.Name == q.ResName }) ||
			q.BeforeSeq > 0 && r.Seq >= q.BeforeSeq {
			continue
		}
		out = append(out, r.Seq)
	}
	if q.Descending {
		slices.Reverse(out)
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

// sameRecord compares every stored field; a record without resources
// reads back with none, whatever the empty slice's form.
func sameRecord(a, b *audit.Record) bool {
	return a.Seq == b.Seq && string(a.PrevHash) == string(b.PrevHash) && string(a.Hash) == string(b.Hash) &&
		string(a.Body) == string(b.Body) && a.Time.Equal(b.Time) && a.AccountID == b.AccountID &&
		a.EventID == b.EventID && a.EventName == b.EventName && a.EventSource == b.EventSource &&
		a.Username == b.Username && a.AccessKeyID == b.AccessKeyID && a.ReadOnly == b.ReadOnly &&
		slices.Equal(a.Resources, b.Resources)
}
