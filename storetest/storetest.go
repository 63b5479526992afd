// Package storetest is the conformance suite for iam.Store implementations.
//
// A backend's tests call Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) iam.Store {
//			s, err := mybackend.Open(ctx(t), t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run calls open once per subtest, so subtests never see each other's data,
// and a failing backend can be narrowed down with -run
// 'TestConformance/Users/CaseInsensitive'. The suite checks the contract
// documented on iam.Store and iam.Tx, plus what the domain layer relies on
// where the documentation is silent:
//
//   - the error returned by Update's or View's fn comes back unchanged;
//   - a Tx call that fails (ErrExists, ErrNotFound) leaves the transaction
//     usable, and fn may carry on and commit;
//   - Update does not fail under contention: a backend that detects
//     conflicts (serialization failures) retries internally;
//   - a write inside View fails;
//   - times come back in UTC, equal to what was stored at least to the
//     second; the zero time comes back as the zero time;
//   - no membership or access key can outlive its user or group: deleting a
//     referenced row either fails or removes the references;
//   - the change feed (Revision, Changes, OldestRevision, PruneChanges)
//     keeps the promises listed at changeTests, in changes.go: one change
//     per committed write, revisions that only grow and become visible in
//     order, pruning that never lowers Revision.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// Run runs the conformance suite against the stores open returns. open must
// return a new, empty store each time and arrange (with t.Cleanup) for it to
// be closed.
func Run(t *testing.T, open func(t *testing.T) iam.Store) {
	runGroups(t, open, append(coreGroups(), extensionGroups()...))
}

type group struct {
	name  string
	tests []test
}

// extensionGroups test the entity families added after the core: roles and
// policies, providers and credentials. Add a family's group here.
func extensionGroups() []group {
	return []group{
		{"ProvidersCredentials", providerCredentialTests},
		{"RolesPolicies", rolePolicyTests},
		{"PasswordsMFA", passwordMFATests},
		{"Rekey", rekeyTests}, // rekey.go
		{"Activity", activityTests},
		{"Console", consoleTests},
		{"ServiceCatalog", serviceCatalogTests}, // catalog.go
		{"AuditJournal", journalTests},          // journal.go
	}
}

// coreGroups test users, groups, access keys, transactions and the change
// feed.
func coreGroups() []group {
	return []group{
		{"Meta", metaTests},
		{"Accounts", accountTests},
		{"Users", userTests},
		{"Groups", groupTests},
		{"Members", memberTests},
		{"AccessKeys", keyTests},
		{"Values", valueTests},
		{"Transactions", txTests},
		{"Concurrency", concurrencyTests},
		{"ChangeWrites", feedWriteTests()},
		{"Changes", changeTests},
	}
}

func runGroups(t *testing.T, open func(t *testing.T) iam.Store, groups []group) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.fn(t, open(t))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s iam.Store)
}

// --- fixtures

// base is the suite's clock. Its sub-second part is not a whole number of
// milliseconds, so that a backend truncating to any unit is still judged
// only to the second.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

func accountID(n int) string { return fmt.Sprintf("%012d", n) }
func userID(n int) string    { return fmt.Sprintf("AIDA%017d", n) }
func groupID(n int) string   { return fmt.Sprintf("AGPA%017d", n) }
func keyID(n int) string     { return fmt.Sprintf("AKIA%016d", n) }

func newAccount(n int) *iam.Account {
	return &iam.Account{ID: accountID(n), CreateDate: at(time.Duration(n) * time.Hour)}
}

func newUser(acct, n int, name string) *iam.User {
	return &iam.User{
		ID:         userID(n),
		AccountID:  accountID(acct),
		Name:       name,
		Path:       "/",
		CreateDate: at(time.Duration(n) * time.Minute),
	}
}

func newGroup(acct, n int, name string) *iam.Group {
	return &iam.Group{
		ID:         groupID(n),
		AccountID:  accountID(acct),
		Name:       name,
		Path:       "/",
		CreateDate: at(time.Duration(n) * time.Minute),
	}
}

func newKey(acct, n int, userID string) *iam.AccessKey {
	return &iam.AccessKey{
		ID:           keyID(n),
		AccountID:    accountID(acct),
		UserID:       userID,
		Status:       iam.StatusActive,
		CreateDate:   at(time.Duration(n) * time.Second),
		SealedSecret: []byte(fmt.Sprintf("sealed-%d\x00\xff", n)),
	}
}

// --- running transactions

// timeout bounds each transaction of the suite, so that a store that
// deadlocks (say, one that keeps its write lock after a panic) fails the
// test instead of hanging it.
const timeout = 10 * time.Second

// ctx returns t.Context() with the suite's timeout.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return c
}

// update runs fn in s.Update and fails the test if it returns an error.
func update(t *testing.T, s iam.Store, fn func(tx iam.Tx) error) {
	t.Helper()
	if err := s.Update(ctx(t), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test if it returns an error.
func view(t *testing.T, s iam.Store, fn func(tx iam.Tx) error) {
	t.Helper()
	if err := s.View(ctx(t), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// create stores the given entities, in order, in one Update.
func create(t *testing.T, s iam.Store, entities ...any) {
	t.Helper()
	update(t, s, func(tx iam.Tx) error {
		for _, e := range entities {
			var err error
			switch e := e.(type) {
			case *iam.Account:
				err = tx.CreateAccount(e)
			case *iam.User:
				err = tx.CreateUser(e)
			case *iam.Group:
				err = tx.CreateGroup(e)
			case *iam.AccessKey:
				err = tx.CreateAccessKey(e)
			case membership:
				err = tx.AddGroupMember(e.group, e.user)
			default:
				panic(fmt.Sprintf("storetest: cannot create %T", e))
			}
			if err != nil {
				return fmt.Errorf("create %+v: %w", e, err)
			}
		}
		return nil
	})
}

type membership struct{ group, user string }

// --- checks

// wantErr fails the test unless errors.Is(err, want); call describes the
// call that returned err.
func wantErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want %v", call, err, want)
	}
}

// noErr fails the test now if err is not nil.
func noErr(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil error", call, err)
	}
}

// wantEqual compares got and want after normalizing both (see norm).
func wantEqual(t *testing.T, call string, got, want any) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", call, show(g), show(w))
	}
}

// norm copies entities with the differences a backend may introduce
// removed: times truncated to the second in UTC, and empty slices nil.
func norm(v any) any {
	switch v := v.(type) {
	case *iam.Account:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate = normTime(c.CreateDate)
		return &c
	case *iam.User:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate = normTime(c.CreateDate)
		c.PasswordLastUsed = normTime(c.PasswordLastUsed)
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
		return &c
	case *iam.Group:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate = normTime(c.CreateDate)
		return &c
	case *iam.AccessKey:
		if v == nil {
			return v
		}
		c := *v
		c.CreateDate = normTime(c.CreateDate)
		c.LastUsedDate = normTime(c.LastUsedDate)
		if len(c.SealedSecret) == 0 {
			c.SealedSecret = nil
		}
		return &c
	case []*iam.Account:
		return normSlice(v)
	case []*iam.User:
		return normSlice(v)
	case []*iam.Group:
		return normSlice(v)
	case []*iam.AccessKey:
		return normSlice(v)
	}
	return v
}

func normSlice[T any](s []*T) []any {
	if len(s) == 0 {
		return nil
	}
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = norm(e)
	}
	return out
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// show formats normalized values compactly: entity lists as their IDs and
// names, which is what list tests get wrong.
func show(v any) string {
	if s, ok := v.([]any); ok {
		out := "["
		for i, e := range s {
			if i > 0 {
				out += " "
			}
			switch e := e.(type) {
			case *iam.User:
				out += e.Name
			case *iam.Group:
				out += e.Name
			case *iam.Account:
				out += e.ID
			case *iam.AccessKey:
				out += e.ID
			default:
				out += fmt.Sprint(e)
			}
		}
		return out + "]"
	}
	return fmt.Sprintf("%+v", v)
}
