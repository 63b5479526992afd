// Package storebench holds the benchmarks of an iam.Store's request paths
// that read or write the database (sign-in, GetUser, ListUsers,
// CreateUser), written once and run by each backend's tests on a store of
// its own, so that the backends' costs per operation can be compared.
// Allocations per operation are the figure to watch: the wall clock
// depends on the machine's load and, on PostgreSQL, on round trips.
package storebench

import (
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// Users is the population of the benchmarks' account.
const Users = 1000

const account = "000000000001"

// Populate creates the benchmarks' account and its Users users in the
// empty store s.
func Populate(b *testing.B, s iam.Store) {
	b.Helper()
	err := s.Update(b.Context(), func(tx iam.Tx) error {
		if err := tx.CreateAccount(&iam.Account{ID: account, CreateDate: time.Now()}); err != nil {
			return err
		}
		for i := range Users {
			err := tx.CreateUser(&iam.User{
				ID: fmt.Sprintf("AIDA%017d", i), AccountID: account,
				Name: fmt.Sprintf("User%04d", i), Path: "/", CreateDate: time.Now(),
				Tags: []iam.Tag{{Key: "team", Value: "eng"}},
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// User is the request hot path: one lookup by name in a View.
func User(b *testing.B, s iam.Store) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		lookUp(b, s, i)
		i++
	}
}

// UserParallel is User from GOMAXPROCS goroutines, which share the
// store's connections.
func UserParallel(b *testing.B, s iam.Store) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			lookUp(b, s, i)
			i++
		}
	})
}

// lookUp reads user number i (modulo Users) by name, in a View.
func lookUp(b *testing.B, s iam.Store, i int) {
	name := fmt.Sprintf("user%04d", i%Users)
	err := s.View(b.Context(), func(tx iam.Tx) error {
		_, err := tx.User(account, name)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// ListUsers reads one 100-user page, as ListUsers does.
func ListUsers(b *testing.B, s iam.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		err := s.View(ctx, func(tx iam.Tx) error {
			us, err := tx.Users(account, iam.ListQuery{After: "user0500", Limit: 100})
			if err == nil && len(us) != 100 {
				err = fmt.Errorf("Users = %d users, want 100", len(us))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// CreateUser is one committed Update creating a user.
func CreateUser(b *testing.B, s iam.Store) {
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		err := s.Update(ctx, func(tx iam.Tx) error {
			return tx.CreateUser(&iam.User{
				ID: fmt.Sprintf("AIDB%017d", i), AccountID: account,
				Name: fmt.Sprintf("new%08d", i), Path: "/", CreateDate: time.Now(),
			})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
