package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var memberTests = []test{
	{"AddListCount", func(t *testing.T, s iam.Store) {
		alice, bob, carol := newUser(1, 1, "alice"), newUser(1, 2, "Bob"), newUser(1, 3, "carol")
		admins, devs, ops := newGroup(1, 1, "Admins"), newGroup(1, 2, "devs"), newGroup(1, 3, "ops")
		ops.Path = "/ops/"
		create(t, s, newAccount(1), alice, bob, carol, admins, devs, ops,
			membership{devs.ID, bob.ID}, membership{devs.ID, alice.ID},
			membership{admins.ID, alice.ID}, membership{ops.ID, alice.ID})
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "AddGroupMember(existing member)", tx.AddGroupMember(devs.ID, alice.ID))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			gs, err := tx.GroupsForUser(alice.ID, iam.ListQuery{})
			noErr(t, "GroupsForUser(alice)", err)
			wantEqual(t, "GroupsForUser(alice)", gs, []*iam.Group{admins, devs, ops})
			gs, err = tx.GroupsForUser(alice.ID, iam.ListQuery{After: "admins", Limit: 1})
			noErr(t, "GroupsForUser(alice, After admins, Limit 1)", err)
			wantEqual(t, "GroupsForUser(alice, After admins, Limit 1)", gs, []*iam.Group{devs})
			gs, err = tx.GroupsForUser(alice.ID, iam.ListQuery{PathPrefix: "/ops/"})
			noErr(t, "GroupsForUser(alice, /ops/)", err)
			wantEqual(t, "GroupsForUser(alice, PathPrefix /ops/)", gs, []*iam.Group{ops})
			gs, err = tx.GroupsForUser(carol.ID, iam.ListQuery{})
			noErr(t, "GroupsForUser(carol)", err)
			wantEqual(t, "GroupsForUser(carol)", gs, []*iam.Group(nil))

			us, err := tx.GroupMembers(devs.ID, iam.ListQuery{})
			noErr(t, "GroupMembers(devs)", err)
			wantEqual(t, "GroupMembers(devs)", us, []*iam.User{alice, bob})
			us, err = tx.GroupMembers(devs.ID, iam.ListQuery{After: "alice"})
			noErr(t, "GroupMembers(devs, After alice)", err)
			wantEqual(t, "GroupMembers(devs, After alice)", us, []*iam.User{bob})
			us, err = tx.GroupMembers(devs.ID, iam.ListQuery{Limit: 1})
			noErr(t, "GroupMembers(devs, Limit 1)", err)
			wantEqual(t, "GroupMembers(devs, Limit 1)", us, []*iam.User{alice})

			for _, c := range []struct {
				name string
				f    func(string) (int, error)
				id   string
				want int
			}{
				{"CountGroupsForUser(alice)", tx.CountGroupsForUser, alice.ID, 3},
				{"CountGroupsForUser(bob)", tx.CountGroupsForUser, bob.ID, 1},
				{"CountGroupsForUser(carol)", tx.CountGroupsForUser, carol.ID, 0},
				{"CountGroupMembers(devs)", tx.CountGroupMembers, devs.ID, 2},
				{"CountGroupMembers(admins)", tx.CountGroupMembers, admins.ID, 1},
				{"CountGroupMembers(missing)", tx.CountGroupMembers, groupID(99), 0},
			} {
				if n, err := c.f(c.id); n != c.want || err != nil {
					t.Errorf("%s = %d, %v, want %d, nil", c.name, n, err, c.want)
				}
			}
			return nil
		})
	}},
	{"Remove", func(t *testing.T, s iam.Store) {
		alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		devs := newGroup(1, 1, "devs")
		create(t, s, newAccount(1), alice, bob, devs, membership{devs.ID, alice.ID}, membership{devs.ID, bob.ID})
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "RemoveGroupMember(devs, alice)", tx.RemoveGroupMember(devs.ID, alice.ID))
			wantErr(t, "RemoveGroupMember(devs, alice) again", tx.RemoveGroupMember(devs.ID, alice.ID), iam.ErrNotFound)
			wantErr(t, "RemoveGroupMember(missing group)", tx.RemoveGroupMember(groupID(9), bob.ID), iam.ErrNotFound)
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			us, err := tx.GroupMembers(devs.ID, iam.ListQuery{})
			noErr(t, "GroupMembers(devs)", err)
			wantEqual(t, "GroupMembers(devs) after remove", us, []*iam.User{bob})
			if n, err := tx.CountGroupsForUser(alice.ID); n != 0 || err != nil {
				t.Errorf("CountGroupsForUser(alice) after remove = %d, %v, want 0, nil", n, err)
			}
			return nil
		})
	}},
	{"ListedAfterRename", func(t *testing.T, s iam.Store) {
		// Member listings show the current names and order, not the names
		// at the time of joining.
		a, b := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		g := newGroup(1, 1, "devs")
		create(t, s, newAccount(1), a, b, g, membership{g.ID, a.ID}, membership{g.ID, b.ID})
		ra := *a
		ra.Name = "zoe"
		update(t, s, func(tx iam.Tx) error { return tx.UpdateUser(&ra) })
		view(t, s, func(tx iam.Tx) error {
			us, err := tx.GroupMembers(g.ID, iam.ListQuery{})
			noErr(t, "GroupMembers", err)
			wantEqual(t, "GroupMembers after rename", us, []*iam.User{b, &ra})
			return nil
		})
	}},
	{"MissingEnds", func(t *testing.T, s iam.Store) {
		// A membership needs both ends; the store must refuse one that
		// would dangle. The error is not specified further.
		alice := newUser(1, 1, "alice")
		devs := newGroup(1, 1, "devs")
		create(t, s, newAccount(1), alice, devs)
		update(t, s, func(tx iam.Tx) error {
			if err := tx.AddGroupMember(groupID(9), alice.ID); err == nil {
				t.Errorf("AddGroupMember(missing group, alice) = nil, want an error")
			}
			if err := tx.AddGroupMember(devs.ID, userID(9)); err == nil {
				t.Errorf("AddGroupMember(devs, missing user) = nil, want an error")
			}
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			checkNoOrphans(t, tx, []string{alice.ID, userID(9)}, []string{devs.ID, groupID(9)})
			return nil
		})
	}},
	{"DeleteReferenced", func(t *testing.T, s iam.Store) {
		// Deleting a user or group that still has memberships (or a user
		// with keys) may fail or may remove them; it must not leave them.
		alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		devs, ops := newGroup(1, 1, "devs"), newGroup(1, 2, "ops")
		create(t, s, newAccount(1), alice, bob, devs, ops,
			membership{devs.ID, alice.ID}, membership{ops.ID, bob.ID}, newKey(1, 1, bob.ID))
		if err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteGroup(devs.ID) }); err == nil {
			t.Logf("DeleteGroup with a member succeeded: the store cascades")
		}
		if err := s.Update(ctx(t), func(tx iam.Tx) error { return tx.DeleteUser(bob.ID) }); err == nil {
			t.Logf("DeleteUser with a membership and a key succeeded: the store cascades")
		}
		view(t, s, func(tx iam.Tx) error {
			checkNoOrphans(t, tx, []string{alice.ID, bob.ID}, []string{devs.ID, ops.ID})
			return nil
		})
	}},
}

// checkNoOrphans fails the test if a membership or access key refers to a
// user or group that does not exist. It sees memberships only through the
// Tx, so it compares the counts, which a backend may compute from the
// membership records alone, with listings that need both ends.
func checkNoOrphans(t *testing.T, tx iam.Tx, users, groups []string) {
	t.Helper()
	userExists := func(id string) bool {
		_, err := tx.UserByID(id)
		return err == nil
	}
	for _, u := range users {
		n, err := tx.CountGroupsForUser(u)
		noErr(t, "CountGroupsForUser", err)
		gs, err := tx.GroupsForUser(u, iam.ListQuery{})
		noErr(t, "GroupsForUser", err)
		if !userExists(u) && (n != 0 || len(gs) != 0) {
			t.Errorf("deleted user %s: CountGroupsForUser = %d, GroupsForUser = %s, want 0, []", u, n, show(norm(gs)))
		}
		if n != len(gs) {
			t.Errorf("CountGroupsForUser(%s) = %d, but GroupsForUser lists %s", u, n, show(norm(gs)))
		}
	}
	for _, g := range groups {
		n, err := tx.CountGroupMembers(g)
		noErr(t, "CountGroupMembers", err)
		us, err := tx.GroupMembers(g, iam.ListQuery{})
		noErr(t, "GroupMembers", err)
		if n != len(us) {
			t.Errorf("CountGroupMembers(%s) = %d, but GroupMembers lists %s", g, n, show(norm(us)))
		}
		for _, u := range us {
			if !userExists(u.ID) {
				t.Errorf("GroupMembers(%s) lists deleted user %s", g, u.ID)
			}
		}
	}
	keys, err := tx.AllAccessKeys()
	noErr(t, "AllAccessKeys", err)
	for _, k := range keys {
		if k.UserID != "" && !userExists(k.UserID) {
			t.Errorf("AllAccessKeys has %s of deleted user %s", k.ID, k.UserID)
		}
	}
}

var keyTests = []test{
	{"CreateGet", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		k := newKey(1, 1, u.ID)
		k.LastUsedDate = at(time.Hour)
		k.LastUsedService = "iam"
		k.LastUsedRegion = "us-east-1"
		create(t, s, newAccount(1), u, k)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.AccessKey(k.ID)
			noErr(t, "AccessKey", err)
			wantEqual(t, "AccessKey("+k.ID+")", got, k)
			return nil
		})
	}},
	{"Missing", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		create(t, s, newAccount(1), u, newKey(1, 1, u.ID))
		update(t, s, func(tx iam.Tx) error {
			_, err := tx.AccessKey(keyID(2))
			wantErr(t, "AccessKey(missing)", err, iam.ErrNotFound)
			wantErr(t, "UpdateAccessKey(missing)", tx.UpdateAccessKey(newKey(1, 2, u.ID)), iam.ErrNotFound)
			wantErr(t, "DeleteAccessKey(missing)", tx.DeleteAccessKey(keyID(2)), iam.ErrNotFound)
			wantErr(t, "CreateAccessKey(taken ID)", tx.CreateAccessKey(newKey(1, 1, "")), iam.ErrExists)
			if err := tx.CreateAccessKey(newKey(1, 3, userID(9))); err == nil {
				t.Errorf("CreateAccessKey(missing user) = nil, want an error")
			}
			ks, err := tx.AccessKeys(accountID(1), userID(9))
			noErr(t, "AccessKeys(missing user)", err)
			wantEqual(t, "AccessKeys(missing user)", ks, []*iam.AccessKey(nil))
			return nil
		})
	}},
	{"Owners", func(t *testing.T, s iam.Store) {
		alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		// Creation times out of ID order, and two keys created in the same
		// instant, which are then ordered by ID.
		k1 := newKey(1, 1, alice.ID)
		k2 := newKey(1, 2, alice.ID)
		k3 := newKey(1, 3, alice.ID)
		k1.CreateDate, k2.CreateDate, k3.CreateDate = at(3*time.Hour), at(time.Hour), at(time.Hour)
		kb := newKey(1, 4, bob.ID)
		r1, r2 := newKey(1, 5, ""), newKey(1, 6, "")
		r1.CreateDate = at(5 * time.Hour)
		other := newKey(2, 7, "")
		create(t, s, newAccount(1), newAccount(2), alice, bob, k1, k3, kb, r1, r2, k2, other)
		view(t, s, func(tx iam.Tx) error {
			for _, c := range []struct {
				acct, user string
				want       []*iam.AccessKey
			}{
				{accountID(1), alice.ID, []*iam.AccessKey{k2, k3, k1}},
				{accountID(1), bob.ID, []*iam.AccessKey{kb}},
				{accountID(1), "", []*iam.AccessKey{r2, r1}},
				{accountID(2), "", []*iam.AccessKey{other}},
				{accountID(3), "", nil},
			} {
				got, err := tx.AccessKeys(c.acct, c.user)
				noErr(t, "AccessKeys", err)
				wantEqual(t, "AccessKeys("+c.acct+", "+quoteID(c.user)+")", got, c.want)
			}
			all, err := tx.AllAccessKeys()
			noErr(t, "AllAccessKeys", err)
			// The order of AllAccessKeys is not specified.
			slices.SortFunc(all, func(a, b *iam.AccessKey) int { return strings.Compare(a.ID, b.ID) })
			wantEqual(t, "AllAccessKeys()", all, []*iam.AccessKey{k1, k2, k3, kb, r1, r2, other})
			return nil
		})
	}},
	{"Update", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		k := newKey(1, 1, u.ID)
		create(t, s, newAccount(1), u, k)
		v := *k
		v.Status = iam.StatusInactive
		v.LastUsedDate = at(2 * time.Hour)
		v.LastUsedService = "sts"
		v.LastUsedRegion = "eu-west-1"
		update(t, s, func(tx iam.Tx) error { return tx.UpdateAccessKey(&v) })
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.AccessKey(k.ID)
			noErr(t, "AccessKey", err)
			wantEqual(t, "AccessKey after UpdateAccessKey", got, &v)
			return nil
		})
	}},
	{"Delete", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		k1, k2 := newKey(1, 1, u.ID), newKey(1, 2, u.ID)
		create(t, s, newAccount(1), u, k1, k2)
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "DeleteAccessKey", tx.DeleteAccessKey(k1.ID))
			_, err := tx.AccessKey(k1.ID)
			wantErr(t, "AccessKey after delete", err, iam.ErrNotFound)
			ks, err := tx.AccessKeys(u.AccountID, u.ID)
			noErr(t, "AccessKeys", err)
			wantEqual(t, "AccessKeys after delete", ks, []*iam.AccessKey{k2})
			return nil
		})
		// With its keys gone, the user can be deleted.
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "DeleteAccessKey", tx.DeleteAccessKey(k2.ID))
			noErr(t, "DeleteUser", tx.DeleteUser(u.ID))
			return nil
		})
	}},
}

func quoteID(id string) string {
	if id == "" {
		return `""`
	}
	return id
}

var valueTests = []test{
	{"TagsInOrder", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		u.Tags = []iam.Tag{
			{Key: "zeta", Value: "last key, first tag"},
			{Key: "Alpha", Value: ""},
			{Key: "unicode ☃", Value: `quotes " and \ backslash, nul-free`},
			{Key: "beta", Value: strings.Repeat("v", 256)},
		}
		create(t, s, newAccount(1), u)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			if !slices.Equal(got.Tags, u.Tags) {
				t.Errorf("UserByID(%s).Tags = %q, want %q", u.ID, got.Tags, u.Tags)
			}
			return nil
		})
	}},
	{"NoTags", func(t *testing.T, s iam.Store) {
		u, v := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		v.Tags = []iam.Tag{}
		create(t, s, newAccount(1), u, v)
		view(t, s, func(tx iam.Tx) error {
			for _, id := range []string{u.ID, v.ID} {
				got, err := tx.UserByID(id)
				noErr(t, "UserByID", err)
				if len(got.Tags) != 0 {
					t.Errorf("UserByID(%s).Tags = %q, want none", id, got.Tags)
				}
			}
			return nil
		})
	}},
	{"Times", func(t *testing.T, s iam.Store) {
		// Stored in another zone, read back in UTC; the zero time stays
		// zero (IsZero).
		zone := time.FixedZone("UTC+5:30", 5*3600+1800)
		created := time.Date(2024, 2, 29, 23, 59, 59, 999_999_999, zone)
		u := newUser(1, 1, "alice")
		u.CreateDate = created
		u.PasswordLastUsed = time.Time{}
		k := newKey(1, 1, u.ID)
		k.CreateDate = created
		k.LastUsedDate = time.Time{}
		a := newAccount(1)
		a.CreateDate = created
		g := newGroup(1, 1, "devs")
		g.CreateDate = created
		create(t, s, a, u, k, g)
		view(t, s, func(tx iam.Tx) error {
			gu, err := tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			gk, err := tx.AccessKey(k.ID)
			noErr(t, "AccessKey", err)
			ga, err := tx.Account(a.ID)
			noErr(t, "Account", err)
			gg, err := tx.Group(g.AccountID, g.Name)
			noErr(t, "Group", err)
			for _, c := range []struct {
				name string
				got  time.Time
			}{
				{"User.CreateDate", gu.CreateDate},
				{"AccessKey.CreateDate", gk.CreateDate},
				{"Account.CreateDate", ga.CreateDate},
				{"Group.CreateDate", gg.CreateDate},
			} {
				wantTime(t, c.name, c.got, created)
			}
			if !gu.PasswordLastUsed.IsZero() {
				t.Errorf("User.PasswordLastUsed = %v, want the zero time", gu.PasswordLastUsed)
			}
			if !gk.LastUsedDate.IsZero() {
				t.Errorf("AccessKey.LastUsedDate = %v, want the zero time", gk.LastUsedDate)
			}
			return nil
		})
	}},
}

// wantTime checks that got is want at least to the second, in UTC.
func wantTime(t *testing.T, name string, got, want time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v, want a time in UTC", name, got)
	}
	if d := want.Sub(got); d < 0 || d >= time.Second {
		t.Errorf("%s = %v, want %v truncated to at most the second (off by %v)", name, got, want.UTC(), d)
	}
}
