package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// The change feed contract, as the suite pins it down (iam.Tx documents
// the methods; these are the guarantees a node that follows the feed to
// keep its in-memory state current relies on):
//
//   - every successful write call of a committed Update records exactly one
//     change naming what it wrote: CreateAccount (account, account ID);
//     CreateUser, UpdateUser, DeleteUser (user, user ID); CreateGroup,
//     UpdateGroup, DeleteGroup (group, group ID); AddGroupMember,
//     RemoveGroupMember (membership, the user's ID); CreateAccessKey,
//     UpdateAccessKey, DeleteAccessKey (accesskey, key ID). SetMeta records
//     nothing. Adding an existing member may record one membership change
//     or none; a real add records one;
//   - a failed call (ErrExists, ErrNotFound, a missing reference) records
//     nothing, even when the transaction goes on and commits; a rolled-back
//     Update (error or panic) records nothing and leaves Revision as it was;
//   - a delete that cascades (see DeleteReferenced) records a change for
//     every membership and access key it removes;
//   - revisions are unique and strictly increasing in commit order: a later
//     Update's changes all have higher revisions than an earlier one's, and
//     a View never sees a change appear below a revision it has already
//     seen (so a follower that remembers the last revision it applied
//     misses nothing). They need not be contiguous, and the order of the
//     changes within one Update is not specified;
//   - Revision is the newest revision ever recorded, and never goes
//     backwards: pruning, even of every change, does not lower it, and new
//     writes get higher revisions than any pruned change. In the writing
//     Update it already counts that Update's own changes;
//   - Changes(after, limit) returns, for limit > 0, the first limit changes
//     above after in revision order (limit <= 0 is not specified);
//   - PruneChanges(upTo) removes exactly the changes at or below upTo;
//     OldestRevision is the lowest revision still kept, 0 when none is; a
//     prune is a write (it fails in View and is undone by a rollback);
//   - a View reads one snapshot: a commit that happens while a View runs
//     is either wholly invisible to it (Revision, Changes and the entities
//     agree) or waits for the View to end.
var changeTests = []test{
	{"Empty", func(t *testing.T, s iam.Store) {
		view(t, s, func(tx iam.Tx) error {
			wantRevision(t, tx, "Revision() of an empty store", 0)
			o, err := tx.OldestRevision()
			if o != 0 || err != nil {
				t.Errorf("OldestRevision() of an empty store = %d, %v, want 0, nil", o, err)
			}
			cs, err := tx.Changes(0, 10)
			noErr(t, "Changes(0, 10)", err)
			if len(cs) != 0 {
				t.Errorf("Changes(0, 10) of an empty store = %s, want []", showChanges(cs))
			}
			return nil
		})
	}},
	{"AddExistingMember", func(t *testing.T, s iam.Store) {
		// Re-adding a member is not an error, and may record a membership
		// change (harmless: the follower reloads an unchanged group set) or
		// none; but it must not record anything else.
		u, g := newUser(1, 1, "alice"), newGroup(1, 1, "devs")
		create(t, s, newAccount(1), u, g)
		before := revision(t, s)
		update(t, s, func(tx iam.Tx) error { return tx.AddGroupMember(g.ID, u.ID) })
		added := changesAfter(t, s, before)
		checkFeed(t, "AddGroupMember(new member)", added, before, []iam.Change{{Kind: iam.ChangeMembership, ID: u.ID}})
		before = revision(t, s)
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "AddGroupMember(existing member)", tx.AddGroupMember(g.ID, u.ID))
			return nil
		})
		switch again := changesAfter(t, s, before); len(again) {
		case 0:
			t.Logf("AddGroupMember(existing member) records no change")
		default:
			checkFeed(t, "AddGroupMember(existing member)", again, before, []iam.Change{{Kind: iam.ChangeMembership, ID: u.ID}})
			t.Logf("AddGroupMember(existing member) records a change")
		}
	}},
	{"ManyWritesInOneUpdate", func(t *testing.T, s iam.Store) {
		u, g, k := newUser(1, 1, "alice"), newGroup(1, 1, "devs"), newKey(1, 1, userID(1))
		var inTx int64
		update(t, s, func(tx iam.Tx) error {
			for _, e := range []error{
				tx.CreateAccount(newAccount(1)), tx.CreateUser(u), tx.CreateGroup(g),
				tx.AddGroupMember(g.ID, u.ID), tx.CreateAccessKey(k),
			} {
				noErr(t, "write", e)
			}
			var err error
			inTx, err = tx.Revision()
			noErr(t, "Revision() in the writing Update", err)
			return nil
		})
		cs := changesAfter(t, s, 0)
		checkFeedAnyOrder(t, "one Update creating account, user, group, membership, key", cs, 0, []iam.Change{
			{Kind: iam.ChangeAccount, ID: accountID(1)}, {Kind: iam.ChangeUser, ID: u.ID},
			{Kind: iam.ChangeGroup, ID: g.ID}, {Kind: iam.ChangeMembership, ID: u.ID},
			{Kind: iam.ChangeAccessKey, ID: k.ID},
		})
		if len(cs) > 0 {
			newest := cs[len(cs)-1].Revision
			if inTx != newest {
				t.Errorf("Revision() in the writing Update after its writes = %d, want %d (its newest change)", inTx, newest)
			}
			if r := revision(t, s); r != newest {
				t.Errorf("Revision() = %d, want %d (the newest change)", r, newest)
			}
		}
		// The next Update's changes come after all of this one's.
		last := revision(t, s)
		create(t, s, newUser(1, 2, "bob"))
		checkFeed(t, "CreateUser(bob) in the next Update", changesAfter(t, s, last), last,
			[]iam.Change{{Kind: iam.ChangeUser, ID: userID(2)}})
		if all := changesAfter(t, s, 0); len(all) != 6 {
			t.Errorf("Changes(0) after 6 writes = %s, want 6 changes", showChanges(all))
		}
	}},
	{"ChangesPaging", func(t *testing.T, s iam.Store) {
		// Six changes in six Updates, then read them back in every way.
		entities := []any{newAccount(1)}
		for i := 1; i <= 5; i++ {
			entities = append(entities, newUser(1, i, fmt.Sprintf("user%d", i)))
		}
		for _, e := range entities {
			create(t, s, e)
		}
		all := changesAfter(t, s, 0)
		want := []iam.Change{{Kind: iam.ChangeAccount, ID: accountID(1)}}
		for i := 1; i <= 5; i++ {
			want = append(want, iam.Change{Kind: iam.ChangeUser, ID: userID(i)})
		}
		checkFeed(t, "Changes(0)", all, 0, want)
		if len(all) != 6 {
			return
		}
		view(t, s, func(tx iam.Tx) error {
			wantRevision(t, tx, "Revision()", all[5].Revision)
			o, err := tx.OldestRevision()
			if o != all[0].Revision || err != nil {
				t.Errorf("OldestRevision() = %d, %v, want %d, nil", o, err, all[0].Revision)
			}
			for _, c := range []struct {
				after int64
				limit int
				want  []iam.Change
			}{
				{0, 1, all[:1]},
				{0, 2, all[:2]},
				{0, 6, all},
				{0, 100, all},
				{all[0].Revision, 2, all[1:3]},
				{all[2].Revision, 100, all[3:]},
				{all[4].Revision, 1, all[5:]},
				{all[5].Revision, 10, nil},
				{all[5].Revision + 1000, 10, nil},
				// After a revision between two changes (none is, when
				// revisions have gaps): still exclusive of after.
				{all[2].Revision - 1, 2, all[2:4]},
			} {
				got, err := tx.Changes(c.after, c.limit)
				call := fmt.Sprintf("Changes(%d, %d)", c.after, c.limit)
				noErr(t, call, err)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s = %s, want %s", call, showChanges(got), showChanges(c.want))
				}
			}
			return nil
		})
	}},
	{"FailedCallsRecordNothing", func(t *testing.T, s iam.Store) {
		alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		g, g2 := newGroup(1, 1, "devs"), newGroup(1, 2, "ops")
		k := newKey(1, 1, alice.ID)
		create(t, s, newAccount(1), alice, bob, g, g2, k, membership{g.ID, alice.ID})
		before := revision(t, s)
		renamed := *bob
		renamed.Name = "ALICE"
		regrouped := *g2
		regrouped.Name = "Devs"
		update(t, s, func(tx iam.Tx) error {
			for _, c := range []struct {
				name string
				err  error
			}{
				{"CreateAccount(taken)", tx.CreateAccount(newAccount(1))},
				{"CreateUser(taken name)", tx.CreateUser(newUser(1, 3, "Alice"))},
				{"UpdateUser(onto another name)", tx.UpdateUser(&renamed)},
				{"UpdateUser(missing)", tx.UpdateUser(newUser(1, 9, "nobody"))},
				{"DeleteUser(missing)", tx.DeleteUser(userID(9))},
				{"CreateGroup(taken name)", tx.CreateGroup(newGroup(1, 3, "DEVS"))},
				{"UpdateGroup(onto another name)", tx.UpdateGroup(&regrouped)},
				{"UpdateGroup(missing)", tx.UpdateGroup(newGroup(1, 9, "nothing"))},
				{"DeleteGroup(missing)", tx.DeleteGroup(groupID(9))},
				{"AddGroupMember(missing group)", tx.AddGroupMember(groupID(9), alice.ID)},
				{"AddGroupMember(missing user)", tx.AddGroupMember(g.ID, userID(9))},
				{"RemoveGroupMember(not a member)", tx.RemoveGroupMember(g.ID, bob.ID)},
				{"CreateAccessKey(taken)", tx.CreateAccessKey(newKey(1, 1, ""))},
				{"CreateAccessKey(missing user)", tx.CreateAccessKey(newKey(1, 2, userID(9)))},
				{"UpdateAccessKey(missing)", tx.UpdateAccessKey(newKey(1, 9, ""))},
				{"DeleteAccessKey(missing)", tx.DeleteAccessKey(keyID(9))},
			} {
				if c.err == nil {
					t.Errorf("%s = nil, want an error", c.name)
				}
			}
			wantRevision(t, tx, "Revision() in the Update after failed calls", before)
			return nil
		})
		if cs := changesAfter(t, s, before); len(cs) != 0 {
			t.Errorf("committed Update of failed calls recorded %s, want nothing", showChanges(cs))
		}
		if r := revision(t, s); r != before {
			t.Errorf("Revision() after failed calls = %d, want %d", r, before)
		}
	}},
	{"RollbackRecordsNothing", func(t *testing.T, s iam.Store) {
		u, g, k := newUser(1, 1, "alice"), newGroup(1, 1, "devs"), newKey(1, 1, userID(1))
		create(t, s, newAccount(1), u, g, k, membership{g.ID, u.ID})
		before := revision(t, s)
		err := s.Update(ctx(t), func(tx iam.Tx) error {
			v := *u
			v.Name = "renamed"
			w := *k
			w.Status = iam.StatusInactive
			for _, e := range []error{
				tx.CreateAccount(newAccount(2)), tx.CreateUser(newUser(1, 2, "bob")), tx.UpdateUser(&v),
				tx.CreateGroup(newGroup(1, 2, "ops")), tx.AddGroupMember(groupID(2), u.ID),
				tx.RemoveGroupMember(g.ID, u.ID), tx.DeleteGroup(g.ID),
				tx.UpdateAccessKey(&w), tx.DeleteAccessKey(k.ID), tx.CreateAccessKey(newKey(1, 2, "")),
			} {
				noErr(t, "write", e)
			}
			if r, err := tx.Revision(); r <= before || err != nil {
				t.Errorf("Revision() in the writing Update = %d, %v, want > %d", r, err, before)
			}
			return errBoom
		})
		if err != errBoom {
			t.Errorf("Update(writes, then errBoom) = %v, want errBoom", err)
		}
		func() {
			defer func() { recover() }()
			s.Update(ctx(t), func(tx iam.Tx) error {
				noErr(t, "CreateUser", tx.CreateUser(newUser(1, 3, "carol")))
				panic(errBoom)
			})
		}()
		view(t, s, func(tx iam.Tx) error {
			wantRevision(t, tx, "Revision() after rolled-back Updates", before)
			cs, err := tx.Changes(before, 100)
			noErr(t, "Changes", err)
			if len(cs) != 0 {
				t.Errorf("Changes(%d) after rolled-back Updates = %s, want []", before, showChanges(cs))
			}
			return nil
		})
		// The next committed write is recorded as usual, above what was
		// seen before.
		create(t, s, newUser(1, 4, "dave"))
		checkFeed(t, "CreateUser after rolled-back Updates", changesAfter(t, s, before), before,
			[]iam.Change{{Kind: iam.ChangeUser, ID: userID(4)}})
	}},
	{"DeleteCascades", func(t *testing.T, s iam.Store) {
		// A store may cascade deletes (see Members/DeleteReferenced); if it
		// does, followers must learn of every membership and key removed.
		alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		devs, ops := newGroup(1, 1, "devs"), newGroup(1, 2, "ops")
		kb := newKey(1, 1, bob.ID)
		create(t, s, newAccount(1), alice, bob, devs, ops,
			membership{devs.ID, alice.ID}, membership{devs.ID, bob.ID}, membership{ops.ID, bob.ID}, kb)
		before := revision(t, s)
		if err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteGroup(devs.ID) }); err == nil {
			wantFeedHas(t, "DeleteGroup(devs) cascading", changesAfter(t, s, before), before, []iam.Change{
				{Kind: iam.ChangeGroup, ID: devs.ID},
				{Kind: iam.ChangeMembership, ID: alice.ID},
				{Kind: iam.ChangeMembership, ID: bob.ID},
			})
		} else {
			t.Logf("DeleteGroup with members fails: %v", err)
			if r := revision(t, s); r != before {
				t.Errorf("Revision() after failed DeleteGroup = %d, want %d", r, before)
			}
		}
		before = revision(t, s)
		if err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteUser(bob.ID) }); err == nil {
			wantFeedHas(t, "DeleteUser(bob) cascading", changesAfter(t, s, before), before, []iam.Change{
				{Kind: iam.ChangeUser, ID: bob.ID},
				{Kind: iam.ChangeMembership, ID: bob.ID},
				{Kind: iam.ChangeAccessKey, ID: kb.ID},
			})
		} else {
			t.Logf("DeleteUser with memberships and a key fails: %v", err)
			if r := revision(t, s); r != before {
				t.Errorf("Revision() after failed DeleteUser = %d, want %d", r, before)
			}
		}
	}},
	{"Snapshot", func(t *testing.T, s iam.Store) {
		// A View that has read must not see a later commit, in part or in
		// whole; it may instead keep the commit waiting.
		alice := newUser(1, 1, "alice")
		k := newKey(1, 1, alice.ID)
		create(t, s, newAccount(1), alice, k)
		before := revision(t, s)
		started, committed := make(chan struct{}), make(chan struct{})
		viewed, updated := make(chan error, 1), make(chan error, 1)
		go func() {
			viewed <- s.View(ctx(t), func(tx iam.Tx) error {
				r, err := tx.Revision()
				if err != nil {
					close(started)
					return err
				}
				if r != before {
					t.Errorf("Revision() in View = %d, want %d", r, before)
				}
				close(started)
				select {
				case <-committed:
				case <-time.After(200 * time.Millisecond):
					// The Update waits for the View: serialized, fine.
				}
				wantRevision(t, tx, "Revision() in a View, after a concurrent commit", before)
				cs, err := tx.Changes(before, 100)
				if len(cs) != 0 || err != nil {
					t.Errorf("Changes(%d) in a View, after a concurrent commit = %s, %v, want [], nil", before, showChanges(cs), err)
				}
				if got, err := tx.UserByID(alice.ID); err != nil || got.Name != "alice" {
					t.Errorf("UserByID(alice) in a View, after a concurrent rename = %+v, %v, want alice", got, err)
				}
				_, err = tx.UserByID(userID(2))
				wantErr(t, "UserByID(bob) in a View, after a concurrent create", err, iam.ErrNotFound)
				if ks, err := tx.AllAccessKeys(); len(ks) != 1 || err != nil {
					t.Errorf("AllAccessKeys() in a View, after a concurrent delete = %s, %v, want one key", show(norm(ks)), err)
				}
				return nil
			})
		}()
		<-started
		go func() {
			updated <- s.Update(ctx(t), func(tx iam.Tx) error {
				v := *alice
				v.Name = "renamed"
				return errors.Join(tx.CreateUser(newUser(1, 2, "bob")), tx.UpdateUser(&v), tx.DeleteAccessKey(k.ID))
			})
			close(committed)
		}()
		noErr(t, "View", <-viewed)
		noErr(t, "Update", <-updated)
		// A View after the commit sees all of it.
		checkFeedAnyOrder(t, "Changes after the commit", changesAfter(t, s, before), before, []iam.Change{
			{Kind: iam.ChangeUser, ID: userID(2)}, {Kind: iam.ChangeUser, ID: alice.ID},
			{Kind: iam.ChangeAccessKey, ID: k.ID},
		})
	}},
	{"Prune", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1))
		for i := 1; i <= 5; i++ {
			create(t, s, newUser(1, i, fmt.Sprintf("user%d", i)))
		}
		all := changesAfter(t, s, 0)
		if len(all) != 6 {
			t.Fatalf("Changes(0) after 6 writes = %s, want 6 changes", showChanges(all))
		}
		newest := all[5].Revision

		// A prune in View fails; one in a rolled-back Update is undone.
		var inner error
		outer := s.View(ctx(t), func(tx iam.Tx) error {
			inner = tx.PruneChanges(newest)
			return nil
		})
		if inner == nil && outer == nil {
			t.Errorf("PruneChanges in View = nil, want an error")
		}
		err := s.Update(ctx(t), func(tx iam.Tx) error {
			noErr(t, "PruneChanges", tx.PruneChanges(newest))
			return errBoom
		})
		if err != errBoom {
			t.Errorf("Update(PruneChanges, errBoom) = %v, want errBoom", err)
		}
		if got := changesAfter(t, s, 0); !slices.Equal(got, all) {
			t.Errorf("Changes(0) after a prune in View and a rolled-back prune = %s, want %s", showChanges(got), showChanges(all))
		}

		// Prune the first two, then one more by a revision between two
		// changes' (there is none when revisions have gaps).
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(all[1].Revision) })
		wantPruned(t, s, all[2:], newest)
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(all[3].Revision - 1) })
		wantPruned(t, s, all[3:], newest)
		// Pruning below what is kept is a no-op.
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(all[0].Revision) })
		wantPruned(t, s, all[3:], newest)

		// Prune everything: the revision stays, and a follower that
		// remembers it misses nothing.
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(newest) })
		wantPruned(t, s, nil, newest)
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(newest + 1000) })
		wantPruned(t, s, nil, newest)
		create(t, s, newUser(1, 6, "user6"))
		next := changesAfter(t, s, newest)
		checkFeed(t, "CreateUser after pruning everything", next, newest, []iam.Change{{Kind: iam.ChangeUser, ID: userID(6)}})
		if len(next) != 1 {
			t.FailNow()
		}
		wantPruned(t, s, next, next[len(next)-1].Revision)
		if got := changesAfter(t, s, 0); !slices.Equal(got, next) {
			t.Errorf("Changes(0) after pruning everything and one write = %s, want %s", showChanges(got), showChanges(next))
		}
	}},
	{"GroupByID", func(t *testing.T, s iam.Store) {
		g := newGroup(1, 1, "Devs")
		g.Path = "/eng/"
		other := newGroup(2, 2, "devs")
		create(t, s, newAccount(1), newAccount(2), g, other)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.GroupByID(g.ID)
			noErr(t, "GroupByID", err)
			wantEqual(t, "GroupByID("+g.ID+")", got, g)
			got, err = tx.GroupByID(other.ID)
			noErr(t, "GroupByID", err)
			wantEqual(t, "GroupByID("+other.ID+")", got, other)
			_, err = tx.GroupByID(groupID(9))
			wantErr(t, "GroupByID(missing)", err, iam.ErrNotFound)
			_, err = tx.GroupByID(strings.ToLower(g.ID))
			wantErr(t, "GroupByID(lower-cased ID)", err, iam.ErrNotFound)
			return nil
		})
		h := *g
		h.Name, h.Path = "Ops", "/ops/"
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "UpdateGroup", tx.UpdateGroup(&h))
			got, err := tx.GroupByID(g.ID)
			noErr(t, "GroupByID in the writing Update", err)
			wantEqual(t, "GroupByID in the writing Update after rename", got, &h)
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.GroupByID(g.ID)
			noErr(t, "GroupByID", err)
			wantEqual(t, "GroupByID after rename", got, &h)
			return nil
		})
		update(t, s, func(tx iam.Tx) error { return tx.DeleteGroup(g.ID) })
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.GroupByID(g.ID)
			wantErr(t, "GroupByID after DeleteGroup", err, iam.ErrNotFound)
			return nil
		})
	}},
	{"AllGroupMembers", func(t *testing.T, s iam.Store) {
		view(t, s, func(tx iam.Tx) error {
			ms, err := tx.AllGroupMembers()
			noErr(t, "AllGroupMembers", err)
			if len(ms) != 0 {
				t.Errorf("AllGroupMembers() of an empty store = %v, want []", ms)
			}
			return nil
		})
		a1, b1, c2 := newUser(1, 1, "alice"), newUser(1, 2, "bob"), newUser(2, 3, "carol")
		g1, h1, g2 := newGroup(1, 1, "devs"), newGroup(1, 2, "ops"), newGroup(2, 3, "devs")
		create(t, s, newAccount(1), newAccount(2), a1, b1, c2, g1, h1, g2,
			membership{g1.ID, a1.ID}, membership{h1.ID, a1.ID}, membership{g1.ID, b1.ID}, membership{g2.ID, c2.ID})
		wantMembers(t, s, []iam.Membership{
			{GroupID: g1.ID, UserID: a1.ID}, {GroupID: h1.ID, UserID: a1.ID},
			{GroupID: g1.ID, UserID: b1.ID}, {GroupID: g2.ID, UserID: c2.ID},
		})
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "RemoveGroupMember", tx.RemoveGroupMember(g1.ID, a1.ID))
			noErr(t, "AddGroupMember(existing)", tx.AddGroupMember(g1.ID, b1.ID))
			noErr(t, "AddGroupMember", tx.AddGroupMember(h1.ID, b1.ID))
			return nil
		})
		wantMembers(t, s, []iam.Membership{
			{GroupID: h1.ID, UserID: a1.ID}, {GroupID: g1.ID, UserID: b1.ID},
			{GroupID: h1.ID, UserID: b1.ID}, {GroupID: g2.ID, UserID: c2.ID},
		})
	}},
	{"ConcurrentWrites", func(t *testing.T, s iam.Store) {
		// Each of n goroutines runs m Updates of one write each, and reads
		// Revision() in its Update: exactly one change per write, with the
		// revision the writer saw, all distinct.
		create(t, s, newAccount(1))
		start := revision(t, s)
		const n, m = 8, 6
		var mu sync.Mutex
		seen := map[int64]string{} // revision -> user ID, as writers saw it
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				for j := range m {
					id := i*m + j + 1
					var r int64
					err := s.Update(ctx(t), func(tx iam.Tx) error {
						if err := tx.CreateUser(newUser(1, id, fmt.Sprintf("user%03d", id))); err != nil {
							return err
						}
						var err error
						r, err = tx.Revision()
						return err
					})
					if err != nil {
						t.Errorf("Update(CreateUser, Revision) = %v", err)
						return
					}
					mu.Lock()
					if prev, dup := seen[r]; dup {
						t.Errorf("writers of %s and %s both saw Revision() = %d", prev, userID(id), r)
					}
					seen[r] = userID(id)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		cs := changesAfter(t, s, start)
		var want []iam.Change
		for id := 1; id <= n*m; id++ {
			want = append(want, iam.Change{Kind: iam.ChangeUser, ID: userID(id)})
		}
		checkFeedAnyOrder(t, fmt.Sprintf("Changes after %d concurrent CreateUser", n*m), cs, start, want)
		for _, c := range cs {
			if id, ok := seen[c.Revision]; ok && id != c.ID {
				t.Errorf("change %d is %s %s, but the writer of %s saw that revision", c.Revision, c.Kind, c.ID, id)
			}
		}
		if len(cs) > 0 {
			if r := revision(t, s); r != cs[len(cs)-1].Revision {
				t.Errorf("Revision() = %d, want %d (the newest change)", r, cs[len(cs)-1].Revision)
			}
		}
	}},
	{"Follow", func(t *testing.T, s iam.Store) {
		// A follower polls Changes after the last revision it applied
		// while writers commit; it must see every change exactly once.
		// This fails if revisions are assigned in write order but become
		// visible in commit order.
		create(t, s, newAccount(1))
		start := revision(t, s)
		const n, m = 6, 8
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				for j := range m {
					id := i*m + j + 1
					err := s.Update(ctx(t), func(tx iam.Tx) error {
						err := tx.CreateUser(newUser(1, id, fmt.Sprintf("user%03d", id)))
						if j%2 == 0 {
							time.Sleep(time.Millisecond) // between write and commit
						}
						return err
					})
					if err != nil {
						t.Errorf("Update(CreateUser) = %v", err)
					}
				}
			})
		}
		var writing atomic.Bool
		writing.Store(true)
		go func() { wg.Wait(); writing.Store(false) }()
		mark, got := start, map[string]int64{}
		deadline := time.Now().Add(timeout)
		for {
			// Read before the View: once every writer has returned, a
			// View sees all their commits, and the follower stops when
			// it has caught up.
			done := !writing.Load()
			var polled int
			view(t, s, func(tx iam.Tx) error {
				cs, err := tx.Changes(mark, 5)
				noErr(t, "Changes", err)
				polled = len(cs)
				for _, c := range cs {
					if c.Revision <= mark {
						t.Errorf("Changes(%d, 5) returned revision %d", mark, c.Revision)
					}
					if r, dup := got[c.ID]; dup {
						t.Errorf("follower saw %s twice, at %d and %d", c.ID, r, c.Revision)
					}
					got[c.ID] = c.Revision
					mark = c.Revision
				}
				if rev, err := tx.Revision(); rev < mark || err != nil {
					t.Errorf("Revision() = %d, %v, below the change %d seen in the same View", rev, err, mark)
				}
				return nil
			})
			if done && polled < 5 || time.Now().After(deadline) || t.Failed() {
				break
			}
		}
		wg.Wait()
		if len(got) != n*m {
			all := changesAfter(t, s, start)
			t.Errorf("follower saw %d changes, want %d; the feed holds %d", len(got), n*m, len(all))
			for _, c := range all {
				if _, ok := got[c.ID]; !ok {
					t.Errorf("follower missed change %d %s %s", c.Revision, c.Kind, c.ID)
				}
			}
		}
	}},
	{"PruneWhileWriting", func(t *testing.T, s iam.Store) {
		// Writers, a pruner that keeps deleting everything, and an observer:
		// the revision never goes backwards and no write reuses a revision.
		create(t, s, newAccount(1))
		const n, m = 4, 8
		var mu sync.Mutex
		seen := map[int64]bool{}
		var newest atomic.Int64
		var writers, others sync.WaitGroup
		stop := make(chan struct{})
		for i := range n {
			writers.Go(func() {
				for j := range m {
					id := i*m + j + 1
					var r int64
					err := s.Update(ctx(t), func(tx iam.Tx) error {
						if err := tx.CreateUser(newUser(1, id, fmt.Sprintf("user%03d", id))); err != nil {
							return err
						}
						var err error
						r, err = tx.Revision()
						return err
					})
					if err != nil {
						t.Errorf("Update(CreateUser, Revision) = %v", err)
						return
					}
					mu.Lock()
					if seen[r] {
						t.Errorf("two writes saw Revision() = %d", r)
					}
					seen[r] = true
					mu.Unlock()
					for cur := newest.Load(); r > cur && !newest.CompareAndSwap(cur, r); cur = newest.Load() {
					}
				}
			})
		}
		others.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.Update(ctx(t), func(tx iam.Tx) error {
					r, err := tx.Revision()
					if err != nil {
						return err
					}
					return tx.PruneChanges(r)
				})
				if err != nil {
					t.Errorf("Update(PruneChanges(Revision())) = %v", err)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
		others.Go(func() {
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				var r, o int64
				err := s.View(ctx(t), func(tx iam.Tx) error {
					var err error
					if r, err = tx.Revision(); err != nil {
						return err
					}
					o, err = tx.OldestRevision()
					return err
				})
				if err != nil {
					t.Errorf("View(Revision, OldestRevision) = %v", err)
					return
				}
				if r < last {
					t.Errorf("Revision() went backwards from %d to %d while pruning", last, r)
				}
				if o > r {
					t.Errorf("OldestRevision() = %d, above Revision() = %d", o, r)
				}
				last = r
				time.Sleep(100 * time.Microsecond)
			}
		})
		writers.Wait()
		close(stop)
		others.Wait()
		update(t, s, func(tx iam.Tx) error { return tx.PruneChanges(newest.Load()) })
		view(t, s, func(tx iam.Tx) error {
			wantRevision(t, tx, "Revision() after pruning everything", newest.Load())
			return nil
		})
	}},
}

// feedWriteTests checks, for each write method in its own Update, the one
// change it records; each is a subtest of its own.
func feedWriteTests() []test {
	alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
	devs, empty := newGroup(1, 1, "devs"), newGroup(1, 2, "empty")
	ka, kr := newKey(1, 1, alice.ID), newKey(1, 2, "")
	fixture := []any{newAccount(1), alice, bob, devs, empty, ka, kr, membership{devs.ID, alice.ID}}
	renamedUser := *alice
	renamedUser.Name, renamedUser.Tags = "Alicia", []iam.Tag{{Key: "k", Value: "v"}}
	renamedGroup := *devs
	renamedGroup.Name, renamedGroup.Path = "developers", "/eng/"
	inactive := *ka
	inactive.Status, inactive.LastUsedDate, inactive.LastUsedService = iam.StatusInactive, at(time.Hour), "iam"
	usedRoot := *kr
	usedRoot.LastUsedDate, usedRoot.LastUsedRegion = at(time.Hour), "eu-west-1"

	type ch = iam.Change
	cases := []struct {
		name  string
		write func(tx iam.Tx) error
		want  []iam.Change
	}{
		{"CreateAccount", func(tx iam.Tx) error { return tx.CreateAccount(newAccount(2)) },
			[]ch{{Kind: iam.ChangeAccount, ID: accountID(2)}}},
		{"CreateUser", func(tx iam.Tx) error { return tx.CreateUser(newUser(1, 3, "carol")) },
			[]ch{{Kind: iam.ChangeUser, ID: userID(3)}}},
		{"UpdateUser", func(tx iam.Tx) error { return tx.UpdateUser(&renamedUser) },
			[]ch{{Kind: iam.ChangeUser, ID: alice.ID}}},
		{"DeleteUser", func(tx iam.Tx) error { return tx.DeleteUser(bob.ID) },
			[]ch{{Kind: iam.ChangeUser, ID: bob.ID}}},
		{"CreateGroup", func(tx iam.Tx) error { return tx.CreateGroup(newGroup(1, 3, "ops")) },
			[]ch{{Kind: iam.ChangeGroup, ID: groupID(3)}}},
		{"UpdateGroup", func(tx iam.Tx) error { return tx.UpdateGroup(&renamedGroup) },
			[]ch{{Kind: iam.ChangeGroup, ID: devs.ID}}},
		{"DeleteGroup", func(tx iam.Tx) error { return tx.DeleteGroup(empty.ID) },
			[]ch{{Kind: iam.ChangeGroup, ID: empty.ID}}},
		// A membership change names the user, not the group.
		{"AddGroupMember", func(tx iam.Tx) error { return tx.AddGroupMember(devs.ID, bob.ID) },
			[]ch{{Kind: iam.ChangeMembership, ID: bob.ID}}},
		{"AddGroupMemberSecondGroup", func(tx iam.Tx) error { return tx.AddGroupMember(empty.ID, alice.ID) },
			[]ch{{Kind: iam.ChangeMembership, ID: alice.ID}}},
		{"RemoveGroupMember", func(tx iam.Tx) error { return tx.RemoveGroupMember(devs.ID, alice.ID) },
			[]ch{{Kind: iam.ChangeMembership, ID: alice.ID}}},
		{"CreateAccessKey", func(tx iam.Tx) error { return tx.CreateAccessKey(newKey(1, 3, bob.ID)) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: keyID(3)}}},
		{"CreateRootAccessKey", func(tx iam.Tx) error { return tx.CreateAccessKey(newKey(1, 4, "")) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: keyID(4)}}},
		{"UpdateAccessKey", func(tx iam.Tx) error { return tx.UpdateAccessKey(&inactive) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: ka.ID}}},
		{"UpdateRootAccessKey", func(tx iam.Tx) error { return tx.UpdateAccessKey(&usedRoot) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: kr.ID}}},
		{"DeleteAccessKey", func(tx iam.Tx) error { return tx.DeleteAccessKey(ka.ID) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: ka.ID}}},
		{"DeleteRootAccessKey", func(tx iam.Tx) error { return tx.DeleteAccessKey(kr.ID) },
			[]ch{{Kind: iam.ChangeAccessKey, ID: kr.ID}}},
		{"SetMeta", func(tx iam.Tx) error { return tx.SetMeta("k", "v") }, nil},
	}
	var out []test
	for _, c := range cases {
		out = append(out, test{c.name, func(t *testing.T, s iam.Store) {
			create(t, s, fixture...)
			before := revision(t, s)
			if before <= 0 {
				t.Errorf("Revision() after creating the fixture = %d, want > 0", before)
			}
			update(t, s, c.write)
			got := changesAfter(t, s, before)
			checkFeed(t, c.name, got, before, c.want)
			want := before
			if len(got) > 0 {
				want = got[len(got)-1].Revision
			}
			view(t, s, func(tx iam.Tx) error {
				wantRevision(t, tx, "Revision() after "+c.name, want)
				return nil
			})
		}})
	}
	return out
}

// --- helpers

// all is a Changes limit larger than any test's feed.
const all = 1 << 20

// revision returns Revision() in a View.
func revision(t *testing.T, s iam.Store) int64 {
	t.Helper()
	var r int64
	view(t, s, func(tx iam.Tx) error {
		var err error
		r, err = tx.Revision()
		return err
	})
	return r
}

// changesAfter returns every change after the revision, in a View.
func changesAfter(t *testing.T, s iam.Store, after int64) []iam.Change {
	t.Helper()
	var cs []iam.Change
	view(t, s, func(tx iam.Tx) error {
		var err error
		cs, err = tx.Changes(after, all)
		return err
	})
	return cs
}

func wantRevision(t *testing.T, tx iam.Tx, call string, want int64) {
	t.Helper()
	if r, err := tx.Revision(); r != want || err != nil {
		t.Errorf("%s = %d, %v, want %d, nil", call, r, err, want)
	}
}

// checkRevisions fails the test unless the revisions of cs are all above
// after and strictly increasing.
func checkRevisions(t *testing.T, what string, cs []iam.Change, after int64) {
	t.Helper()
	prev := after
	for _, c := range cs {
		if c.Revision <= prev {
			t.Errorf("%s: revisions %s are not strictly increasing above %d", what, showChanges(cs), after)
			return
		}
		prev = c.Revision
	}
}

// checkFeed compares the (Kind, ID) of cs, in order, with want's, and
// checks that the revisions are strictly increasing above after.
func checkFeed(t *testing.T, what string, cs []iam.Change, after int64, want []iam.Change) {
	t.Helper()
	checkRevisions(t, what, cs, after)
	if got := kindIDs(cs); !slices.Equal(got, kindIDs(want)) {
		t.Errorf("%s recorded %s, want %s", what, showKinds(got), showKinds(kindIDs(want)))
	}
}

// checkFeedAnyOrder is checkFeed for the changes of one or more Updates
// whose relative order is not specified.
func checkFeedAnyOrder(t *testing.T, what string, cs []iam.Change, after int64, want []iam.Change) {
	t.Helper()
	checkRevisions(t, what, cs, after)
	got, w := kindIDs(cs), kindIDs(want)
	slices.SortFunc(got, compareKindID)
	slices.SortFunc(w, compareKindID)
	if !slices.Equal(got, w) {
		t.Errorf("%s recorded %s, want %s in any order", what, showKinds(got), showKinds(w))
	}
}

// wantFeedHas checks that cs names at least every (Kind, ID) of want.
func wantFeedHas(t *testing.T, what string, cs []iam.Change, after int64, want []iam.Change) {
	t.Helper()
	checkRevisions(t, what, cs, after)
	got := kindIDs(cs)
	for _, w := range kindIDs(want) {
		if !slices.Contains(got, w) {
			t.Errorf("%s recorded %s, want it to include %s %s", what, showKinds(got), w.kind, w.id)
		}
	}
}

// wantPruned checks the feed after a prune: exactly kept is left, the
// oldest revision is kept's first (0 when empty) and the revision is rev.
func wantPruned(t *testing.T, s iam.Store, kept []iam.Change, rev int64) {
	t.Helper()
	view(t, s, func(tx iam.Tx) error {
		cs, err := tx.Changes(0, all)
		noErr(t, "Changes", err)
		if !slices.Equal(cs, kept) {
			t.Errorf("Changes(0) after PruneChanges = %s, want %s", showChanges(cs), showChanges(kept))
		}
		var oldest int64
		if len(kept) > 0 {
			oldest = kept[0].Revision
		}
		if o, err := tx.OldestRevision(); o != oldest || err != nil {
			t.Errorf("OldestRevision() after PruneChanges = %d, %v, want %d, nil", o, err, oldest)
		}
		wantRevision(t, tx, "Revision() after PruneChanges", rev)
		return nil
	})
}

func wantMembers(t *testing.T, s iam.Store, want []iam.Membership) {
	t.Helper()
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.AllGroupMembers()
		noErr(t, "AllGroupMembers", err)
		// The order of AllGroupMembers is not specified.
		byIDs := func(a, b iam.Membership) int {
			return cmp.Or(strings.Compare(a.UserID, b.UserID), strings.Compare(a.GroupID, b.GroupID))
		}
		got, want = slices.Clone(got), slices.Clone(want)
		slices.SortFunc(got, byIDs)
		slices.SortFunc(want, byIDs)
		if !slices.Equal(got, want) {
			t.Errorf("AllGroupMembers() = %v, want %v in any order", got, want)
		}
		return nil
	})
}

type kindID struct {
	kind iam.ChangeKind
	id   string
}

func kindIDs(cs []iam.Change) []kindID {
	out := make([]kindID, len(cs))
	for i, c := range cs {
		out[i] = kindID{c.Kind, c.ID}
	}
	return out
}

func compareKindID(a, b kindID) int {
	return cmp.Or(strings.Compare(string(a.kind), string(b.kind)), strings.Compare(a.id, b.id))
}

func showKinds(ks []kindID) string {
	var b strings.Builder
	b.WriteString("[")
	for i, k := range ks {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%s", k.kind, k.id)
	}
	return b.String() + "]"
}

func showChanges(cs []iam.Change) string {
	var b strings.Builder
	b.WriteString("[")
	for i, c := range cs {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:%s:%s", c.Revision, c.Kind, c.ID)
	}
	return b.String() + "]"
}
