package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var errBoom = errors.New("storetest: boom")

// writeAll creates one of everything, as account 1, for the rollback
// tests; it returns the first error.
func writeAll(tx iam.Tx) error {
	u := newUser(1, 1, "alice")
	g := newGroup(1, 1, "devs")
	for _, f := range []func() error{
		func() error { return tx.SetMeta("k", "v") },
		func() error { return tx.CreateAccount(newAccount(1)) },
		func() error { return tx.CreateUser(u) },
		func() error { return tx.CreateGroup(g) },
		func() error { return tx.AddGroupMember(g.ID, u.ID) },
		func() error { return tx.CreateAccessKey(newKey(1, 1, u.ID)) },
		func() error { return tx.CreateAccessKey(newKey(1, 2, "")) },
	} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// wantNothing fails the test if anything writeAll writes is in s.
func wantNothing(t *testing.T, s iam.Store) {
	t.Helper()
	view(t, s, func(tx iam.Tx) error {
		if v, err := tx.Meta("k"); !errors.Is(err, iam.ErrNotFound) {
			t.Errorf(`Meta("k") = %q, %v, want %v`, v, err, iam.ErrNotFound)
		}
		if as, err := tx.Accounts(); len(as) != 0 || err != nil {
			t.Errorf("Accounts() = %s, %v, want [], nil", show(norm(as)), err)
		}
		_, err := tx.UserByID(userID(1))
		wantErr(t, "UserByID(alice)", err, iam.ErrNotFound)
		_, err = tx.Group(accountID(1), "devs")
		wantErr(t, `Group("devs")`, err, iam.ErrNotFound)
		if n, err := tx.CountGroupMembers(groupID(1)); n != 0 || err != nil {
			t.Errorf("CountGroupMembers(devs) = %d, %v, want 0, nil", n, err)
		}
		if ks, err := tx.AllAccessKeys(); len(ks) != 0 || err != nil {
			t.Errorf("AllAccessKeys() = %s, %v, want [], nil", show(norm(ks)), err)
		}
		return nil
	})
}

var txTests = []test{
	{"ErrorReturnedUnchanged", func(t *testing.T, s iam.Store) {
		if err := s.Update(ctx(t), func(iam.Tx) error { return errBoom }); err != errBoom {
			t.Errorf("Update(fn returning errBoom) = %v, want errBoom itself", err)
		}
		if err := s.View(ctx(t), func(iam.Tx) error { return errBoom }); err != errBoom {
			t.Errorf("View(fn returning errBoom) = %v, want errBoom itself", err)
		}
	}},
	{"RollbackOnError", func(t *testing.T, s iam.Store) {
		err := s.Update(ctx(t), func(tx iam.Tx) error {
			if err := writeAll(tx); err != nil {
				t.Errorf("writeAll = %v", err)
			}
			return errBoom
		})
		if err != errBoom {
			t.Errorf("Update(writes, then errBoom) = %v, want errBoom", err)
		}
		wantNothing(t, s)
	}},
	{"RollbackAfterFailedCall", func(t *testing.T, s iam.Store) {
		err := s.Update(ctx(t), func(tx iam.Tx) error {
			if err := writeAll(tx); err != nil {
				t.Errorf("writeAll = %v", err)
			}
			err := tx.CreateUser(newUser(1, 5, "ALICE"))
			wantErr(t, "CreateUser(duplicate) in the transaction", err, iam.ErrExists)
			return err
		})
		wantErr(t, "Update", err, iam.ErrExists)
		wantNothing(t, s)
	}},
	{"RollbackOfChanges", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		g := newGroup(1, 1, "devs")
		k := newKey(1, 1, u.ID)
		create(t, s, newAccount(1), u, g, k, membership{g.ID, u.ID})
		err := s.Update(ctx(t), func(tx iam.Tx) error {
			v := *u
			v.Name = "renamed"
			w := *k
			w.Status = iam.StatusInactive
			for _, f := range []func() error{
				func() error { return tx.UpdateUser(&v) },
				func() error { return tx.UpdateAccessKey(&w) },
				func() error { return tx.RemoveGroupMember(g.ID, u.ID) },
				func() error { return tx.DeleteGroup(g.ID) },
				func() error { return tx.DeleteAccessKey(k.ID) },
			} {
				if err := f(); err != nil {
					t.Errorf("write in transaction = %v", err)
				}
			}
			return errBoom
		})
		if err != errBoom {
			t.Errorf("Update = %v, want errBoom", err)
		}
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			wantEqual(t, "UserByID after rolled-back rename", got, u)
			gk, err := tx.AccessKey(k.ID)
			noErr(t, "AccessKey after rolled-back delete", err)
			wantEqual(t, "AccessKey after rolled-back update", gk, k)
			gg, err := tx.Group(g.AccountID, g.Name)
			noErr(t, "Group after rolled-back delete", err)
			wantEqual(t, "Group after rolled-back delete", gg, g)
			if n, err := tx.CountGroupMembers(g.ID); n != 1 || err != nil {
				t.Errorf("CountGroupMembers after rolled-back remove = %d, %v, want 1, nil", n, err)
			}
			return nil
		})
	}},
	{"ContinueAfterFailedCall", func(t *testing.T, s iam.Store) {
		// A failed call (here ErrExists) must not poison the transaction:
		// the domain layer may handle the error and go on.
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "CreateAccount", tx.CreateAccount(newAccount(1)))
			noErr(t, "CreateUser(alice)", tx.CreateUser(newUser(1, 1, "alice")))
			wantErr(t, "CreateUser(Alice)", tx.CreateUser(newUser(1, 2, "Alice")), iam.ErrExists)
			_, err := tx.User(accountID(1), "bob")
			wantErr(t, `User("bob")`, err, iam.ErrNotFound)
			noErr(t, "CreateUser(bob) after failed calls", tx.CreateUser(newUser(1, 3, "bob")))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			us, err := tx.Users(accountID(1), iam.ListQuery{})
			noErr(t, "Users", err)
			wantEqual(t, "Users", us, []*iam.User{newUser(1, 1, "alice"), newUser(1, 3, "bob")})
			return nil
		})
	}},
	{"ReadOwnWrites", func(t *testing.T, s iam.Store) {
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "writeAll", writeAll(tx))
			if n, err := tx.CountUsers(accountID(1)); n != 1 || err != nil {
				t.Errorf("CountUsers in the writing transaction = %d, %v, want 1, nil", n, err)
			}
			if ks, err := tx.AccessKeys(accountID(1), userID(1)); len(ks) != 1 || err != nil {
				t.Errorf("AccessKeys in the writing transaction = %s, %v, want one key", show(norm(ks)), err)
			}
			if v, err := tx.Meta("k"); v != "v" || err != nil {
				t.Errorf(`Meta("k") in the writing transaction = %q, %v, want "v", nil`, v, err)
			}
			return nil
		})
	}},
	{"Panic", func(t *testing.T, s iam.Store) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			s.Update(ctx(t), func(tx iam.Tx) error {
				if err := writeAll(tx); err != nil {
					t.Errorf("writeAll = %v", err)
				}
				panic(errBoom)
			})
		}()
		if recovered != errBoom {
			t.Errorf("Update(fn panicking with errBoom) panicked with %v, want errBoom", recovered)
		}
		wantNothing(t, s)
		// The store is still usable: the panic released what Update held.
		update(t, s, writeAll)
	}},
	{"ViewCannotWrite", func(t *testing.T, s iam.Store) {
		// Each write would succeed in an Update: nothing it touches has
		// dependants or is missing.
		u, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		g, g2 := newGroup(1, 1, "devs"), newGroup(1, 2, "empty")
		k := newKey(1, 1, u.ID)
		create(t, s, newAccount(1), u, bob, g, g2, k, membership{g.ID, u.ID})
		v := *u
		v.Name = "renamed"
		h := *g
		h.Name = "renamed"
		w := *k
		w.Status = iam.StatusInactive
		writes := []struct {
			name string
			f    func(tx iam.Tx) error
		}{
			{"SetMeta", func(tx iam.Tx) error { return tx.SetMeta("k", "v") }},
			{"CreateAccount", func(tx iam.Tx) error { return tx.CreateAccount(newAccount(2)) }},
			{"CreateUser", func(tx iam.Tx) error { return tx.CreateUser(newUser(1, 3, "carol")) }},
			{"UpdateUser", func(tx iam.Tx) error { return tx.UpdateUser(&v) }},
			{"DeleteUser", func(tx iam.Tx) error { return tx.DeleteUser(bob.ID) }},
			{"CreateGroup", func(tx iam.Tx) error { return tx.CreateGroup(newGroup(1, 3, "ops")) }},
			{"UpdateGroup", func(tx iam.Tx) error { return tx.UpdateGroup(&h) }},
			{"DeleteGroup", func(tx iam.Tx) error { return tx.DeleteGroup(g2.ID) }},
			{"AddGroupMember", func(tx iam.Tx) error { return tx.AddGroupMember(g.ID, bob.ID) }},
			{"RemoveGroupMember", func(tx iam.Tx) error { return tx.RemoveGroupMember(g.ID, u.ID) }},
			{"CreateAccessKey", func(tx iam.Tx) error { return tx.CreateAccessKey(newKey(1, 2, "")) }},
			{"UpdateAccessKey", func(tx iam.Tx) error { return tx.UpdateAccessKey(&w) }},
			{"DeleteAccessKey", func(tx iam.Tx) error { return tx.DeleteAccessKey(k.ID) }},
		}
		for _, c := range writes {
			// Each write in its own View, in case a failed write ends the
			// transaction; View may also return the error itself.
			var inner error
			outer := s.View(ctx(t), func(tx iam.Tx) error {
				inner = c.f(tx)
				return nil
			})
			if inner == nil && outer == nil {
				t.Errorf("%s in View = nil, want an error", c.name)
			}
		}
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.Meta("k")
			wantErr(t, `Meta("k") after writes in View`, err, iam.ErrNotFound)
			if as, err := tx.Accounts(); len(as) != 1 || err != nil {
				t.Errorf("Accounts() after writes in View = %s, %v, want one", show(norm(as)), err)
			}
			us, err := tx.Users(accountID(1), iam.ListQuery{})
			noErr(t, "Users", err)
			wantEqual(t, "Users after writes in View", us, []*iam.User{u, bob})
			gs, err := tx.Groups(accountID(1), iam.ListQuery{})
			noErr(t, "Groups", err)
			wantEqual(t, "Groups after writes in View", gs, []*iam.Group{g, g2})
			if n, err := tx.CountGroupMembers(g.ID); n != 1 || err != nil {
				t.Errorf("CountGroupMembers after writes in View = %d, %v, want 1, nil", n, err)
			}
			ks, err := tx.AllAccessKeys()
			noErr(t, "AllAccessKeys", err)
			wantEqual(t, "AllAccessKeys after writes in View", ks, []*iam.AccessKey{k})
			return nil
		})
	}},
	{"NoDirtyReads", func(t *testing.T, s iam.Store) {
		// A View running while an Update has written but not committed
		// must not see the write. It may instead wait for the Update.
		create(t, s, newAccount(1))
		written, release := make(chan struct{}), make(chan struct{})
		updated := make(chan error, 1)
		go func() {
			updated <- s.Update(ctx(t), func(tx iam.Tx) error {
				err := tx.CreateUser(newUser(1, 1, "alice"))
				close(written)
				<-release
				return err
			})
		}()
		<-written
		var sawUncommitted atomic.Bool
		viewed := make(chan error, 1)
		go func() {
			viewed <- s.View(ctx(t), func(tx iam.Tx) error {
				_, err := tx.User(accountID(1), "alice")
				if err == nil {
					select {
					case <-release:
					default:
						sawUncommitted.Store(true)
					}
				}
				return nil
			})
		}()
		select {
		case err := <-viewed:
			noErr(t, "View during Update", err)
			if sawUncommitted.Load() {
				t.Errorf(`User("alice") in a View during an uncommitted Update = found, want %v`, iam.ErrNotFound)
			}
			close(release)
		case <-time.After(200 * time.Millisecond):
			// The View waits for the Update: serialized, which is fine.
			close(release)
			noErr(t, "View after Update", <-viewed)
		}
		noErr(t, "Update", <-updated)
	}},
}

var concurrencyTests = []test{
	{"CountThenCreate", func(t *testing.T, s iam.Store) {
		// The access key quota pattern: count, then create if under the
		// limit. Unless counts hold until commit, more than 2 get in.
		u := newUser(1, 1, "alice")
		create(t, s, newAccount(1), u)
		const n = 16
		var next atomic.Int64
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				err := s.Update(ctx(t), func(tx iam.Tx) error {
					ks, err := tx.AccessKeys(u.AccountID, u.ID)
					if err != nil {
						return err
					}
					if len(ks) >= 2 {
						return nil
					}
					// Let other goroutines run between the count and the
					// write, where a race would show.
					time.Sleep(time.Millisecond)
					return tx.CreateAccessKey(newKey(1, int(next.Add(1)), u.ID))
				})
				if err != nil {
					t.Errorf("Update(count keys, create if < 2) = %v", err)
				}
			})
		}
		wg.Wait()
		view(t, s, func(tx iam.Tx) error {
			ks, err := tx.AccessKeys(u.AccountID, u.ID)
			noErr(t, "AccessKeys", err)
			if len(ks) != 2 {
				t.Errorf("after %d concurrent count-then-create: len(AccessKeys) = %d, want 2", n, len(ks))
			}
			return nil
		})
	}},
	{"CreateSameName", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1))
		const n = 16
		var ok, exists atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				name := "alice"
				if i%2 == 1 {
					name = "Alice"
				}
				err := s.Update(ctx(t), func(tx iam.Tx) error {
					return tx.CreateUser(newUser(1, i+1, name))
				})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, iam.ErrExists):
					exists.Add(1)
				default:
					t.Errorf("CreateUser(%q) = %v, want nil or %v", name, err, iam.ErrExists)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || exists.Load() != n-1 {
			t.Errorf("%d concurrent CreateUser of one name: %d succeeded, %d ErrExists, want 1 and %d",
				n, ok.Load(), exists.Load(), n-1)
		}
		view(t, s, func(tx iam.Tx) error {
			if c, err := tx.CountUsers(accountID(1)); c != 1 || err != nil {
				t.Errorf("CountUsers = %d, %v, want 1, nil", c, err)
			}
			return nil
		})
	}},
	{"DeleteGroupWhileAdding", func(t *testing.T, s iam.Store) {
		const n = 12
		g := newGroup(1, 1, "devs")
		entities := []any{newAccount(1), g}
		var users []string
		for i := range n {
			u := newUser(1, i+1, fmt.Sprintf("user%02d", i))
			entities = append(entities, u)
			users = append(users, u.ID)
		}
		create(t, s, entities...)
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() {
				// Fails once the group is gone; either outcome is fine.
				s.Update(ctx(t), func(tx iam.Tx) error { return tx.AddGroupMember(g.ID, u) })
			})
			if i == n/2 {
				wg.Go(func() {
					// How the domain layer deletes a group.
					err := s.Update(ctx(t), func(tx iam.Tx) error {
						members, err := tx.GroupMembers(g.ID, iam.ListQuery{})
						if err != nil {
							return err
						}
						for _, m := range members {
							if err := tx.RemoveGroupMember(g.ID, m.ID); err != nil {
								return err
							}
						}
						return tx.DeleteGroup(g.ID)
					})
					if err != nil {
						t.Errorf("Update(remove members, DeleteGroup) = %v", err)
					}
				})
			}
		}
		wg.Wait()
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.Group(g.AccountID, g.Name)
			wantErr(t, "Group after DeleteGroup", err, iam.ErrNotFound)
			checkNoOrphans(t, tx, users, []string{g.ID})
			for _, u := range users {
				if c, err := tx.CountGroupsForUser(u); c != 0 || err != nil {
					t.Errorf("CountGroupsForUser(%s) after DeleteGroup = %d, %v, want 0, nil", u, c, err)
				}
			}
			return nil
		})
	}},
	{"DeleteUsersWhileAdding", func(t *testing.T, s iam.Store) {
		const n = 12
		g := newGroup(1, 1, "devs")
		entities := []any{newAccount(1), g}
		var users []string
		for i := range n {
			u := newUser(1, i+1, fmt.Sprintf("user%02d", i))
			entities = append(entities, u)
			users = append(users, u.ID)
		}
		create(t, s, entities...)
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() {
				s.Update(ctx(t), func(tx iam.Tx) error { return tx.AddGroupMember(g.ID, u) })
			})
			if i%2 == 0 {
				wg.Go(func() {
					// How the domain layer deletes a user.
					err := s.Update(ctx(t), func(tx iam.Tx) error {
						gs, err := tx.GroupsForUser(u, iam.ListQuery{})
						if err != nil {
							return err
						}
						for _, g := range gs {
							if err := tx.RemoveGroupMember(g.ID, u); err != nil {
								return err
							}
						}
						return tx.DeleteUser(u)
					})
					if err != nil {
						t.Errorf("Update(leave groups, DeleteUser) = %v", err)
					}
				})
			}
		}
		wg.Wait()
		view(t, s, func(tx iam.Tx) error {
			checkNoOrphans(t, tx, users, []string{g.ID})
			if c, err := tx.CountUsers(accountID(1)); c != n/2 || err != nil {
				t.Errorf("CountUsers = %d, %v, want %d, nil", c, err, n/2)
			}
			return nil
		})
	}},
}
