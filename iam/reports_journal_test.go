package iam_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// TestReportsJournalTheirIntent checks that the report and job writes of
// GenerateCredentialReport and GenerateServiceLastAccessedDetails, which
// CloudTrail records as writes, store their request's audit intent in
// their own transaction, and that a call writing nothing (a report still
// fresh) stores none.
func TestReportsJournalTheirIntent(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	root := svc.Authenticate(boot.RootAccessKeyID).Principal
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "alice"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		call      func(*iam.AuditIntent) error
		wantStore bool
	}{
		{"GenerateCredentialReport", func(in *iam.AuditIntent) error {
			_, err := svc.GenerateCredentialReport(iam.WithAuditIntent(ctx, in), root)
			return err
		}, true},
		// The report generated just now is fresh: COMPLETE, nothing written.
		{"GenerateCredentialReport again", func(in *iam.AuditIntent) error {
			res, err := svc.GenerateCredentialReport(iam.WithAuditIntent(ctx, in), root)
			if err == nil && res.State != iam.ReportComplete {
				t.Errorf("State = %s, want %s", res.State, iam.ReportComplete)
			}
			return err
		}, false},
		{"GenerateServiceLastAccessedDetails", func(in *iam.AuditIntent) error {
			_, err := svc.GenerateServiceLastAccessedDetails(iam.WithAuditIntent(ctx, in), root,
				"arn:aws:iam::"+account+":user/alice", iam.GranularityService)
			return err
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "ev-" + tc.name
			in := &iam.AuditIntent{Encode: func() (string, []byte, error) { return id, []byte(`{}`), nil }}
			if err := tc.call(in); err != nil {
				t.Fatal(err)
			}
			if in.Written() != tc.wantStore {
				t.Errorf("Written() = %v, want %v", in.Written(), tc.wantStore)
			}
			ins, err := db.AuditIntents(ctx, now.Add(time.Hour), 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, got := range ins {
				if got.EventID == id {
					n++
				}
			}
			if want := map[bool]int{true: 1}[tc.wantStore]; n != want {
				t.Errorf("%d intents stored, want %d", n, want)
			}
		})
	}
}
