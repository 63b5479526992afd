package iam

import (
	"testing"
	"time"
)

func TestClockTexts(t *testing.T) {
	for _, tc := range []struct {
		now            time.Time
		current, epoch string
	}{
		{time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC), "2026-12-02T07:00:00Z", "1796194800"},
		{time.Date(2026, 12, 2, 7, 0, 0, 999_999_999, time.UTC), "2026-12-02T07:00:00Z", "1796194800"},
		{time.Date(2026, 12, 2, 8, 0, 1, 0, time.FixedZone("CET", 3600)), "2026-12-02T07:00:01Z", "1796194801"},
		{time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), "1999-01-01T00:00:00Z", "915148800"},
	} {
		got := clockTexts(tc.now)
		if got.current != tc.current || got.epoch != tc.epoch {
			t.Errorf("clockTexts(%v) = %s %s, want %s %s", tc.now, got.current, got.epoch, tc.current, tc.epoch)
		}
	}
	now := time.Now()
	if a, b := clockTexts(now), clockTexts(now); a != b {
		t.Error("two calls in one second formatted twice")
	}
}
