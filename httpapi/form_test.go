package httpapi

import (
	"net/url"
	"reflect"
	"testing"
	"time"
)

var formCases = []string{
	"",
	"Action=GetCallerIdentity&Version=2011-06-15",
	"Action=GetUser&UserName=alice&Version=2010-05-08",
	"a=1&a=2&b=3&a=4",
	"a=1&&b=2&",
	"&",
	"a",
	"a=",
	"=b",
	"=",
	"a=b=c",
	"a=%41%42&b=x+y&c=%2B",
	"Policy=%7B%22Version%22%3A%222012-10-17%22%7D",
	"a=%zz&b=2",
	"a=%4&b=2",
	"%zz=1&b=2",
	"a=1;b=2&c=3",
	"a;=1",
	"a=1&a=%zz&a=3",
	"Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=k2",
	"x=%E2%82%AC&y=%ff",
}

func parseQueryForm(q string) (url.Values, bool) {
	form := url.Values{}
	ok := parseQueryInto(form, q)
	return form, ok
}

// TestParseQueryInto checks the form parser against url.ParseQuery, which
// it replaces on the request path: the same values, the same failures.
func TestParseQueryInto(t *testing.T) {
	for _, q := range formCases {
		checkParseQuery(t, q)
	}
}

func checkParseQuery(t *testing.T, q string) {
	t.Helper()
	want, werr := url.ParseQuery(q)
	got, ok := parseQueryForm(q)
	if ok != (werr == nil) {
		t.Fatalf("%q: ok %v, url.ParseQuery error %v", q, ok, werr)
	}
	if !reflect.DeepEqual(map[string][]string(got), map[string][]string(want)) {
		t.Fatalf("%q:\n got %q\nwant %q", q, got, want)
	}
	// Appending to one key must not change another (shared value slots).
	for k := range got {
		got[k] = append(got[k], "appended")
		for k2, v2 := range want {
			if k2 != k && !reflect.DeepEqual(got[k2], v2) {
				t.Fatalf("%q: appending to %q changed %q to %q", q, k, k2, got[k2])
			}
		}
		got[k] = got[k][:len(got[k])-1]
	}
}

func FuzzParseQueryInto(f *testing.F) {
	for _, q := range formCases {
		f.Add(q)
	}
	f.Fuzz(checkParseQuery)
}

func BenchmarkParseForm(b *testing.B) {
	body := []byte("Action=GetUser&UserName=alice&Version=2010-05-08")
	b.Run("url.ParseQuery", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = url.ParseQuery(string(body))
		}
	})
	b.Run("parseQueryInto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseQueryInto(url.Values{}, string(body))
		}
	})
}

// TestEventTime checks the cached event time against formatting each time,
// across second boundaries and back.
func TestEventTime(t *testing.T) {
	base := time.Date(2026, 3, 15, 12, 0, 59, 0, time.FixedZone("x", 3600))
	for _, d := range []time.Duration{0, 999 * time.Millisecond, time.Second, 1500 * time.Millisecond, -time.Hour, 0, 48 * time.Hour} {
		tm := base.Add(d)
		if got, want := eventTime(tm), tm.UTC().Format(time.RFC3339); got != want {
			t.Errorf("eventTime(%v) = %q, want %q", tm, got, want)
		}
	}
	for _, s := range []string{"iam", "sts", "cloudtrail"} {
		if got := eventSource(s); got != s+".amazonaws.com" {
			t.Errorf("eventSource(%q) = %q", s, got)
		}
	}
}
