package httpapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
)

// keepAuditor keeps the events it is given.
type keepAuditor struct {
	mu     sync.Mutex
	events []*audit.Event
}

func (k *keepAuditor) Record(_ context.Context, e *audit.Event) error { return k.Enqueue(e) }
func (k *keepAuditor) Enqueue(e *audit.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events = append(k.events, e)
	return nil
}

// TestSkipReadEvents checks which requests reach the trail when successful
// reads are left out of it (the request path then builds no event for
// them), and the fields of the events that do.
func TestSkipReadEvents(t *testing.T) {
	base := newBenchHandler(t)
	for _, tc := range []struct {
		name, service, body string
		skip                bool
		status              int
		want                string // event name recorded; "" for none
	}{
		{"read skipped", "iam", "Action=GetUser&UserName=alice&Version=2010-05-08", true, 200, ""},
		{"sts read skipped", "sts", "Action=GetCallerIdentity&Version=2011-06-15", true, 200, ""},
		{"failed read kept", "iam", "Action=GetUser&UserName=nobody&Version=2010-05-08", true, 404, "GetUser"},
		{"bad input kept", "iam", "Action=GetUser&UserName=&Version=2010-05-08", true, 400, "GetUser"},
		{"unknown action kept", "iam", "Action=GetNothing&Version=2010-05-08", true, 400, "GetNothing"},
		{"mutation kept", "iam", "Action=TagUser&UserName=alice&Tags.member.1.Key=k&Tags.member.1.Value=v&Version=2010-05-08", true, 200, "TagUser"},
		{"read kept when not skipping", "iam", "Action=GetUser&UserName=alice&Version=2010-05-08", false, 200, "GetUser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := &keepAuditor{}
			h := NewHandler(Config{Service: base.svc, Audit: k, SkipReadEvents: tc.skip})
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, sign(t, tc.service, tc.body).request())
			if w.status != tc.status {
				t.Fatalf("status %d, want %d", w.status, tc.status)
			}
			if tc.want == "" {
				if len(k.events) != 0 {
					t.Fatalf("%d events recorded, want none", len(k.events))
				}
				return
			}
			if len(k.events) != 1 {
				t.Fatalf("%d events recorded, want 1", len(k.events))
			}
			e := k.events[0]
			if e.EventName != tc.want || e.EventSource != tc.service+".amazonaws.com" || e.RequestID != w.h.Get("X-Amzn-Requestid") ||
				e.SourceIPAddress != "127.0.0.1" || e.AWSRegion != "us-east-1" || e.UserIdentity.AccessKeyID != benchKeyID {
				t.Fatalf("event %+v", e)
			}
			if _, err := time.Parse(time.RFC3339, e.EventTime); err != nil || !strings.HasSuffix(e.EventTime, "Z") {
				t.Fatalf("eventTime %q", e.EventTime)
			}
		})
	}
}

// TestReadBodyLimits checks the body reader at the size limit, with the
// length declared and without (chunked).
func TestReadBodyLimits(t *testing.T) {
	h := NewHandler(Config{Service: newBenchHandler(t).svc, MaxBodyBytes: 64})
	for _, tc := range []struct {
		name     string
		size     int
		declared bool
		tooLarge bool
	}{
		{"empty", 0, true, false},
		{"small", 10, true, false},
		{"at limit", 64, true, false},
		{"over limit", 65, true, true},
		{"chunked at limit", 64, false, false},
		{"chunked over limit", 65, false, true},
		{"chunked far over limit", 5000, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Repeat("a", tc.size)
			r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", io.NopCloser(strings.NewReader(body)))
			r.ContentLength = -1
			if tc.declared {
				r.ContentLength = int64(tc.size)
			}
			q := &request{r: r}
			got, err := h.requestBody(q)
			if tc.tooLarge {
				if err != errTooLarge {
					t.Fatalf("err %v, want %v", err, errTooLarge)
				}
				// What was read stays for the audit event: nothing when the
				// declared length refused it, else one byte over the limit.
				if want := 65; !tc.declared && len(q.body) != want {
					t.Fatalf("kept %d bytes, want %d", len(q.body), want)
				}
				return
			}
			if err != nil || string(got) != body {
				t.Fatalf("got %d bytes, err %v", len(got), err)
			}
			q.release()
		})
	}
}
