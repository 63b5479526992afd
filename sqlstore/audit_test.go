package sqlstore

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// TestAuditRowQuery pins the SQL of a few filters in both forms: the
// SQLite text is the one the backend ran before the audit store was
// shared, so its query plans stay as they were.
func TestAuditRowQuery(t *testing.T) {
	sqlite := testDialect
	sqlite.Numbered, sqlite.Contains, sqlite.AuditScanNewest = false, `instr(%[1]s, ?) > 0`, true
	lite, err := New(sqlite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := New(testDialect)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	start := time.Unix(1700000000, 900_000_000)
	const sel = "SELECT " + AuditColumns + " FROM audit_events"
	for _, tc := range []struct {
		name     string
		q        audit.Query
		lite, pg string
		args     []any
	}{
		{"everything", audit.Query{}, sel + " ORDER BY seq", sel + " ORDER BY seq", nil},
		{"newest page of an account", audit.Query{AccountID: "123456789012", Descending: true, Limit: 51},
			sel + " WHERE account_id = ? ORDER BY seq DESC LIMIT 51",
			sel + " WHERE account_id = $1 ORDER BY seq DESC LIMIT 51",
			[]any{"123456789012"}},
		{"every filter", audit.Query{AccountID: "a", Start: start, End: start.Add(time.Hour), EventID: "e", EventName: "n",
			EventSource: "s", Username: "u", AccessKeyID: "k", ReadOnly: &yes, ResType: "T", ResName: "N", BeforeSeq: 9},
			sel + " WHERE account_id = ? AND event_time >= ? AND event_time <= ? AND event_id = ? AND event_name = ?" +
				" AND event_source = ? AND username = ? AND access_key = ? AND read_only = ?" +
				" AND instr(resources, ?) > 0 AND instr(resources, ?) > 0 AND seq < ? ORDER BY seq",
			sel + " WHERE account_id = $1 AND event_time >= $2 AND event_time <= $3 AND event_id = $4 AND event_name = $5" +
				" AND event_source = $6 AND username = $7 AND access_key = $8 AND read_only = $9" +
				" AND strpos(resources, $10) > 0 AND strpos(resources, $11) > 0 AND seq < $12 ORDER BY seq",
			[]any{"a", int64(1700000000), int64(1700003600), "e", "n", "s", "u", "k", true, "\nT\t", "\tN\n", int64(9)}},
		{"newest page since a start time", audit.Query{AccountID: "a", Start: start, Descending: true, Limit: 51},
			sel + " WHERE account_id = ? AND +event_time >= ? ORDER BY seq DESC LIMIT 51",
			sel + " WHERE account_id = $1 AND event_time >= $2 ORDER BY seq DESC LIMIT 51",
			[]any{"a", int64(1700000000)}},
		{"newest page of a closed range", audit.Query{AccountID: "a", Start: start, End: start.Add(time.Hour), Descending: true, Limit: 51},
			sel + " WHERE account_id = ? AND event_time >= ? AND event_time <= ? ORDER BY seq DESC LIMIT 51",
			sel + " WHERE account_id = $1 AND event_time >= $2 AND event_time <= $3 ORDER BY seq DESC LIMIT 51",
			[]any{"a", int64(1700000000), int64(1700003600)}},
		{"a quote in a value stays a parameter", audit.Query{Username: "o'brien?"},
			sel + " WHERE username = ? ORDER BY seq", sel + " WHERE username = $1 ORDER BY seq", []any{"o'brien?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				s    *Store
				want string
			}{{lite, tc.lite}, {pg, tc.pg}} {
				got, args, err := c.s.auditRowQuery(&tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("query\n got %s\nwant %s", got, c.want)
				}
				if !reflect.DeepEqual(args, tc.args) {
					t.Errorf("args = %#v, want %#v", args, tc.args)
				}
			}
		})
	}
}

func TestAppendAuditRowMatchesColumns(t *testing.T) {
	r := &audit.Record{Seq: 7, PrevHash: []byte{1}, Hash: []byte{2}, Body: []byte("{}"), Time: time.Unix(1700000000, 5).UTC(),
		AccountID: "a", EventID: "e", EventName: "n", EventSource: "s", Username: "u", AccessKeyID: "k", ReadOnly: true,
		Resources: []audit.Resource{{Type: "T", Name: "N"}}}
	args := AppendAuditRow([]any{"kept"}, r)
	want := []any{"kept", int64(7), []byte{1}, []byte{2}, "{}", int64(1700000000), "a", "e", "n", "s", "u", "k", true, "\nT\tN\n"}
	if !reflect.DeepEqual(args, want) {
		t.Errorf("AppendAuditRow = %#v, want %#v", args, want)
	}
	if n := len(strings.Split(AuditColumns, ",")); n != AuditColumnCount || len(args)-1 != n {
		t.Errorf("%d columns, AuditColumnCount %d, %d values", n, AuditColumnCount, len(args)-1)
	}
}

func TestAuditResources(t *testing.T) {
	for _, tc := range []struct {
		rs  []audit.Resource
		col string
	}{
		{nil, "\n"},
		{[]audit.Resource{{Type: "AWS::IAM::User", Name: "alice"}}, "\nAWS::IAM::User\talice\n"},
		{[]audit.Resource{{Type: "A", Name: ""}, {Type: "B", Name: "x y"}}, "\nA\t\nB\tx y\n"},
	} {
		col := EncodeAuditResources(tc.rs)
		if col != tc.col {
			t.Errorf("EncodeAuditResources(%v) = %q, want %q", tc.rs, col, tc.col)
		}
		if got := DecodeAuditResources(col); !slices.Equal(got, tc.rs) {
			t.Errorf("DecodeAuditResources(%q) = %v, want %v", col, got, tc.rs)
		}
	}
}

// FuzzDecodeAuditResources: a column read back from the database, damaged
// or not, decodes without panicking, and what decodes encodes to a column
// that decodes to the same resources.
func FuzzDecodeAuditResources(f *testing.F) {
	for _, s := range []string{"", "\n", "\nT\tN\n", "\nT\tN\nU\tM\n", "no tab", "\t\t\n\n", "\nA\tB\tC\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs := DecodeAuditResources(s)
		for _, r := range rs {
			if strings.ContainsAny(r.Type, "\n\t") || strings.Contains(r.Name, "\n") {
				t.Fatalf("DecodeAuditResources(%q) = %q: a field holds a delimiter", s, rs)
			}
		}
		if again := DecodeAuditResources(EncodeAuditResources(rs)); !slices.Equal(again, rs) {
			t.Fatalf("round trip of %q: %q, then %q", s, rs, again)
		}
	})
}
