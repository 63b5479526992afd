package console_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/console"
)

// intentWatcher sees each event Record is given and notes whether the
// event's intent was in the journal at that moment, i.e. whether the
// change's transaction stored it.
type intentWatcher struct {
	console.Auditor
	journal  audit.Journal
	mu       sync.Mutex      // Record runs on the server's goroutines
	recorded map[string]bool // eventName → its intent was journaled
	err      error
}

func (w *intentWatcher) Record(ctx context.Context, e *audit.Event) error {
	ins, err := w.journal.AuditIntents(ctx, time.Now().Add(time.Hour), 1000)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.err = err
	}
	found := false
	for _, in := range ins {
		found = found || in.EventID == e.EventID
	}
	w.recorded[e.EventName] = found
	return w.Auditor.Record(ctx, e)
}

// TestConsoleMutationJournalsItsEvent checks that a console mutation
// journals its event as an API mutation does: the change's transaction
// stores the intent, the final event (one, with the intent's eventID)
// settles it, and a refused change or a read stores none.
func TestConsoleMutationJournalsItsEvent(t *testing.T) {
	t.Parallel()
	var w *intentWatcher
	e := newEnvAudit(t, false, func(a console.Auditor) console.Auditor {
		w = &intentWatcher{Auditor: a, recorded: map[string]bool{}}
		return w
	})
	w.journal = e.db
	e.user("admin", "Corr3ct-horse", false, adminPolicy)
	b := e.browser()
	if r := b.signIn("admin", "Corr3ct-horse", ""); r.status != 303 {
		t.Fatalf("sign-in = %d", r.status)
	}
	tok := b.csrf("/console/users/new")
	for _, tt := range []struct {
		name      string
		user      string
		wantCode  string // the event's errorCode
		journaled bool
	}{
		{"mutation", "bob", "", true},
		// Refused inside its transaction: nothing committed, no intent.
		{"refused mutation", "BOB", "EntityAlreadyExists", false},
	} {
		r := b.post("/console/users/new", url.Values{"name": {tt.user}, "csrf": {tok}})
		if (tt.wantCode == "") != (r.status == 200) {
			t.Fatalf("%s: POST = %d", tt.name, r.status)
		}
		w.mu.Lock()
		got := w.recorded["CreateUser"]
		w.mu.Unlock()
		if got != tt.journaled {
			t.Errorf("%s: intent journaled before the final event = %v, want %v", tt.name, got, tt.journaled)
		}
		var n int
		for _, ev := range e.events("CreateUser") {
			if ev.RequestParameters["userName"] == tt.user {
				n++
				if ev.ErrorCode != tt.wantCode || !strings.HasPrefix(ev.UserAgent, console.UserAgentPrefix) {
					t.Errorf("%s: event errorCode %q userAgent %q, want %q from the console", tt.name, ev.ErrorCode, ev.UserAgent, tt.wantCode)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d CreateUser events for %s, want 1", tt.name, n, tt.user)
		}
		ins, err := e.db.AuditIntents(t.Context(), time.Now().Add(time.Hour), 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 0 {
			t.Errorf("%s: %d intents left over, want 0", tt.name, len(ins))
		}
	}
	// A read carries no intent.
	if r := b.get("/console/users"); r.status != 200 {
		t.Fatalf("GET users = %d", r.status)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		t.Fatal(w.err)
	}
	if _, ok := w.recorded["ListUsers"]; ok {
		t.Error("a read was handed to Record, which waits for durability; want Enqueue")
	}
}
