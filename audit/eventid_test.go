package audit

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

var uuid7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Event IDs must be UUIDs, unique, and ascend in the order they were made
// (also within one millisecond), which is what keeps the store's event ID
// index appending at its end.
func TestNewEventID(t *testing.T) {
	before := time.Now().UnixMilli()
	ids := make([]string, 20000) // more than the 4,096 one millisecond's counter holds
	for i := range ids {
		ids[i] = NewEventID()
	}
	after := time.Now().UnixMilli()
	seen := map[string]bool{}
	for i, id := range ids {
		if !uuid7.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q made twice", id)
		}
		seen[id] = true
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("IDs do not ascend: %q after %q", id, ids[i-1])
		}
	}
	ms, err := strconv.ParseInt(ids[0][0:8]+ids[0][9:13], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	// The counter may borrow a few milliseconds from the future under a
	// burst, never more than one per 4,096 IDs.
	if ms < before || ms > after+int64(len(ids)/4096)+1 {
		t.Errorf("first ID's time %d ms, want within [%d, %d]", ms, before, after)
	}
}
