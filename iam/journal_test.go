package iam_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// TestAuditIntentJournaled checks which requests store their audit intent:
// those that commit a change, once, in the change's transaction; never a
// read, a refused change, or a request without an intent.
func TestAuditIntentJournaled(t *testing.T) {
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
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "existing"}); err != nil {
		t.Fatal(err)
	}

	errEncode := errors.New("encode failed")
	for _, tc := range []struct {
		name      string
		encodeErr error
		serve     func(ctx context.Context) error
		wantErr   bool
		wantStore bool // an intent stored
		encodes   int
	}{
		{name: "mutation", wantStore: true, encodes: 1, serve: func(ctx context.Context) error {
			_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "alice"})
			return err
		}},
		{name: "two transactions", wantStore: true, encodes: 1, serve: func(ctx context.Context) error {
			if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "bob"}); err != nil {
				return err
			}
			return svc.TagUser(ctx, root, "bob", []iam.Tag{{Key: "k", Value: "v"}})
		}},
		// Refused inside the transaction: encoded, never stored.
		{name: "refused change", wantErr: true, encodes: 1, serve: func(ctx context.Context) error {
			_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "EXISTING"})
			return err
		}},
		{name: "read", serve: func(ctx context.Context) error {
			_, err := svc.GetUser(ctx, root, "existing")
			return err
		}},
		{name: "encode fails", encodeErr: errEncode, wantErr: true, encodes: 1, serve: func(ctx context.Context) error {
			_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "carol"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "ev-" + tc.name
			encodes := 0
			in := &iam.AuditIntent{Encode: func() (string, []byte, error) {
				encodes++
				return id, []byte(`{"eventID":"` + id + `"}`), tc.encodeErr
			}}
			err := tc.serve(iam.WithAuditIntent(ctx, in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if encodes != tc.encodes {
				t.Errorf("Encode called %d times, want %d", encodes, tc.encodes)
			}
			if in.Written() != tc.wantStore {
				t.Errorf("Written() = %v, want %v", in.Written(), tc.wantStore)
			}
			ins, err := db.AuditIntents(ctx, now.Add(time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, got := range ins {
				if got.EventID == id {
					n++
					if string(got.Payload) != `{"eventID":"`+id+`"}` || !got.Created.Equal(now) {
						t.Errorf("intent = %s %v, want the encoded payload at %v", got.Payload, got.Created, now)
					}
				}
			}
			if want := map[bool]int{true: 1}[tc.wantStore]; n != want {
				t.Errorf("%d intents stored, want %d", n, want)
			}
		})
	}
	// The failed encoding refused the change itself.
	if _, err := svc.GetUser(ctx, root, "carol"); iam.ErrorCode(err) != iam.CodeNoSuchEntity {
		t.Errorf("GetUser(carol) after a failed intent = %v, want NoSuchEntity", err)
	}
	// A request without an intent journals nothing, nor does one whose
	// final event was handed over already (it would never be settled).
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "dave"}); err != nil {
		t.Fatal(err)
	}
	late := &iam.AuditIntent{Encode: func() (string, []byte, error) { return "ev-late", []byte("{}"), nil }}
	late.Finish()
	if _, err := svc.CreateUser(iam.WithAuditIntent(ctx, late), root, iam.CreateUserInput{UserName: "erin"}); err != nil {
		t.Fatal(err)
	}
	if ins, _ := db.AuditIntents(ctx, now.Add(time.Hour), 10); len(ins) != 2 {
		t.Errorf("%d intents stored in all, want 2 (mutation, two transactions)", len(ins))
	}
}

// BenchmarkAuditIntent is a mutation (TagUser) through the Service on
// SQLite, without and with its request's intent: the journal's cost on the
// mutation's side (encoding excluded: the payload is ready). The other
// side, the intent's deletion, rides on the audit writer's group commit.
var benchIntents int

func BenchmarkAuditIntent(b *testing.B) {
	f := newFixture(b, iam.Quotas{})
	f.mustUser(b, "alice")
	payload := make([]byte, 700) // a TagUser event's canonical JSON is about this size
	for i := range payload {
		payload[i] = 'x'
	}
	for _, journal := range []bool{false, true} {
		name := "intent=off"
		if journal {
			name = "intent=on"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				ctx := b.Context()
				if journal {
					benchIntents++
					id := fmt.Sprintf("ev-%d", benchIntents)
					ctx = iam.WithAuditIntent(ctx, &iam.AuditIntent{Encode: func() (string, []byte, error) { return id, payload, nil }})
				}
				if err := f.svc.TagUser(ctx, f.root, "alice", []iam.Tag{{Key: "k", Value: "v"}}); err != nil {
					b.Fatal(err)
				}
			}
			// CPU (user+system, all threads): the wall time is mostly
			// fsync, whose latency varies too much on a shared machine.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
