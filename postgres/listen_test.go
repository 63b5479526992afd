package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/postgres/pgtest"
)

// TestFollowChanges: a commit with changes through one store wakes the
// follower of another store on the same database; a transaction that
// changes nothing, or rolls back, does not.
func TestFollowChanges(t *testing.T) {
	dsn := pgtest.DSN(t)
	writer, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	follower, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()

	wakes := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		follower.FollowChanges(ctx, nil, func(context.Context) { wakes <- struct{}{} })
	}()
	defer func() { cancel(); <-done }()

	wait := func(what string) {
		t.Helper()
		select {
		case <-wakes:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no wake within 5 s", what)
		}
	}
	quiet := func(what string) {
		t.Helper()
		select {
		case <-wakes:
			t.Fatalf("%s: woken", what)
		case <-time.After(300 * time.Millisecond):
		}
	}
	wait("initial wake after LISTEN")
	quiet("nothing committed")

	if err := writer.Update(t.Context(), func(tx iam.Tx) error { return tx.SetMeta("k", "v") }); err != nil {
		t.Fatal(err)
	}
	quiet("meta is not on the change feed")

	rollback := context.Canceled
	_ = writer.Update(t.Context(), func(tx iam.Tx) error {
		if err := tx.CreateAccount(&iam.Account{ID: "000000000002", CreateDate: time.Now()}); err != nil {
			return err
		}
		return rollback
	})
	quiet("rolled back")

	if err := writer.Update(t.Context(), func(tx iam.Tx) error {
		return tx.CreateAccount(&iam.Account{ID: "000000000001", CreateDate: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	wait("committed change")
}
