package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var metaTests = []test{
	{"Unset", func(t *testing.T, s iam.Store) {
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.Meta("no-such-key")
			wantErr(t, `Meta("no-such-key")`, err, iam.ErrNotFound)
			return nil
		})
	}},
	{"SetAndOverwrite", func(t *testing.T, s iam.Store) {
		update(t, s, func(tx iam.Tx) error {
			noErr(t, `SetMeta("k", "v1")`, tx.SetMeta("k", "v1"))
			noErr(t, `SetMeta("other", "x")`, tx.SetMeta("other", "x"))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			if got, err := tx.Meta("k"); got != "v1" || err != nil {
				t.Errorf(`Meta("k") = %q, %v, want "v1", nil`, got, err)
			}
			return nil
		})
		update(t, s, func(tx iam.Tx) error {
			noErr(t, `SetMeta("k", "")`, tx.SetMeta("k", ""))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			if got, err := tx.Meta("k"); got != "" || err != nil {
				t.Errorf(`Meta("k") after SetMeta("k", "") = %q, %v, want "", nil`, got, err)
			}
			if got, err := tx.Meta("other"); got != "x" || err != nil {
				t.Errorf(`Meta("other") = %q, %v, want "x", nil`, got, err)
			}
			return nil
		})
	}},
}

var accountTests = []test{
	{"CreateGet", func(t *testing.T, s iam.Store) {
		a := newAccount(1)
		create(t, s, a)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.Account(a.ID)
			noErr(t, "Account("+a.ID+")", err)
			wantEqual(t, "Account("+a.ID+")", got, a)
			return nil
		})
	}},
	{"Missing", func(t *testing.T, s iam.Store) {
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.Account(accountID(9))
			wantErr(t, "Account("+accountID(9)+")", err, iam.ErrNotFound)
			got, err := tx.Accounts()
			noErr(t, "Accounts()", err)
			if len(got) != 0 {
				t.Errorf("Accounts() = %s, want []", show(norm(got)))
			}
			return nil
		})
	}},
	{"Duplicate", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1))
		update(t, s, func(tx iam.Tx) error {
			err := tx.CreateAccount(newAccount(1))
			wantErr(t, "CreateAccount(existing ID)", err, iam.ErrExists)
			return nil
		})
	}},
	{"ListOrderedByID", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(30), newAccount(2), newAccount(111))
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.Accounts()
			noErr(t, "Accounts()", err)
			wantEqual(t, "Accounts()", got, []*iam.Account{newAccount(2), newAccount(30), newAccount(111)})
			return nil
		})
	}},
}

var userTests = []test{
	{"CreateGet", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "Alice")
		u.Path = "/eng/"
		u.PermissionsBoundary = "arn:aws:iam::000000000001:policy/Boundary"
		u.Tags = []iam.Tag{{Key: "team", Value: "eng"}}
		u.PasswordLastUsed = at(time.Hour)
		create(t, s, newAccount(1), u)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.User(u.AccountID, "Alice")
			noErr(t, `User("Alice")`, err)
			wantEqual(t, `User("Alice")`, got, u)
			got, err = tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			wantEqual(t, "UserByID("+u.ID+")", got, u)
			n, err := tx.CountUsers(u.AccountID)
			if n != 1 || err != nil {
				t.Errorf("CountUsers = %d, %v, want 1, nil", n, err)
			}
			return nil
		})
	}},
	{"CaseInsensitiveLookup", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "Alice")
		create(t, s, newAccount(1), u)
		view(t, s, func(tx iam.Tx) error {
			for _, name := range []string{"alice", "ALICE", "aLiCe"} {
				got, err := tx.User(u.AccountID, name)
				noErr(t, "User("+name+")", err)
				if got.Name != "Alice" {
					t.Errorf("User(%q).Name = %q, want the stored case %q", name, got.Name, "Alice")
				}
			}
			return nil
		})
	}},
	{"CaseInsensitiveUnique", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1), newAccount(2), newUser(1, 1, "alice"))
		update(t, s, func(tx iam.Tx) error {
			err := tx.CreateUser(newUser(1, 2, "Alice"))
			wantErr(t, `CreateUser("Alice") with "alice" present`, err, iam.ErrExists)
			err = tx.CreateUser(newUser(1, 3, "ALICE"))
			wantErr(t, `CreateUser("ALICE") with "alice" present`, err, iam.ErrExists)
			// Names are unique per account only.
			noErr(t, `CreateUser("Alice") in another account`, tx.CreateUser(newUser(2, 4, "Alice")))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			n, err := tx.CountUsers(accountID(1))
			if n != 1 || err != nil {
				t.Errorf("CountUsers(account 1) = %d, %v, want 1, nil", n, err)
			}
			return nil
		})
	}},
	{"DuplicateID", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1), newUser(1, 1, "alice"))
		update(t, s, func(tx iam.Tx) error {
			err := tx.CreateUser(newUser(1, 1, "bob"))
			wantErr(t, "CreateUser(taken ID)", err, iam.ErrExists)
			return nil
		})
	}},
	{"Missing", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1), newAccount(2), newUser(1, 1, "alice"))
		update(t, s, func(tx iam.Tx) error {
			_, err := tx.User(accountID(1), "bob")
			wantErr(t, `User("bob")`, err, iam.ErrNotFound)
			_, err = tx.User(accountID(2), "alice")
			wantErr(t, `User(other account, "alice")`, err, iam.ErrNotFound)
			_, err = tx.UserByID(userID(2))
			wantErr(t, "UserByID(missing)", err, iam.ErrNotFound)
			wantErr(t, "UpdateUser(missing)", tx.UpdateUser(newUser(1, 2, "bob")), iam.ErrNotFound)
			wantErr(t, "DeleteUser(missing)", tx.DeleteUser(userID(2)), iam.ErrNotFound)
			n, err := tx.CountUsers(accountID(2))
			if n != 0 || err != nil {
				t.Errorf("CountUsers(empty account) = %d, %v, want 0, nil", n, err)
			}
			return nil
		})
	}},
	{"Update", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		create(t, s, newAccount(1), u)
		v := *u
		v.Name = "Alice2"
		v.Path = "/ops/"
		v.PermissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess"
		v.Tags = []iam.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}
		v.PasswordLastUsed = at(48 * time.Hour)
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "UpdateUser", tx.UpdateUser(&v))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			wantEqual(t, "UserByID after UpdateUser", got, &v)
			_, err = tx.User(u.AccountID, "alice")
			wantErr(t, `User("alice") after rename`, err, iam.ErrNotFound)
			got, err = tx.User(u.AccountID, "alice2")
			noErr(t, `User("alice2") after rename`, err)
			wantEqual(t, `User("alice2")`, got, &v)
			return nil
		})
		// Clearing fields must clear them, not keep the old values.
		w := v
		w.PermissionsBoundary = ""
		w.Tags = nil
		w.PasswordLastUsed = time.Time{}
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "UpdateUser(cleared)", tx.UpdateUser(&w))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.UserByID(u.ID)
			noErr(t, "UserByID", err)
			wantEqual(t, "UserByID after clearing UpdateUser", got, &w)
			return nil
		})
	}},
	{"RenameCase", func(t *testing.T, s iam.Store) {
		u := newUser(1, 1, "alice")
		create(t, s, newAccount(1), u)
		v := *u
		v.Name = "ALICE"
		update(t, s, func(tx iam.Tx) error {
			noErr(t, `UpdateUser("alice" -> "ALICE")`, tx.UpdateUser(&v))
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.User(u.AccountID, "alice")
			noErr(t, `User("alice")`, err)
			if got.Name != "ALICE" {
				t.Errorf(`User("alice").Name = %q, want "ALICE"`, got.Name)
			}
			return nil
		})
	}},
	{"RenameOntoExisting", func(t *testing.T, s iam.Store) {
		a, b := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		create(t, s, newAccount(1), a, b)
		v := *b
		v.Name = "Alice"
		update(t, s, func(tx iam.Tx) error {
			wantErr(t, `UpdateUser("bob" -> "Alice") with "alice" present`, tx.UpdateUser(&v), iam.ErrExists)
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.UserByID(b.ID)
			noErr(t, "UserByID(bob)", err)
			wantEqual(t, "UserByID(bob) after failed rename", got, b)
			return nil
		})
	}},
	{"Delete", func(t *testing.T, s iam.Store) {
		a, b := newUser(1, 1, "alice"), newUser(1, 2, "bob")
		create(t, s, newAccount(1), a, b)
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "DeleteUser(alice)", tx.DeleteUser(a.ID))
			wantErr(t, "DeleteUser(alice) again", tx.DeleteUser(a.ID), iam.ErrNotFound)
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			_, err := tx.User(a.AccountID, "alice")
			wantErr(t, `User("alice") after delete`, err, iam.ErrNotFound)
			_, err = tx.UserByID(a.ID)
			wantErr(t, "UserByID(alice) after delete", err, iam.ErrNotFound)
			got, err := tx.Users(a.AccountID, iam.ListQuery{})
			noErr(t, "Users", err)
			wantEqual(t, "Users after delete", got, []*iam.User{b})
			return nil
		})
		// The name is free again.
		create(t, s, newUser(1, 3, "Alice"))
	}},
	{"List", func(t *testing.T, s iam.Store) {
		listTest(t, s, func(acct, n int, name, path string) any {
			u := newUser(acct, n, name)
			u.Path = path
			return u
		}, func(tx iam.Tx, acct string, q iam.ListQuery) (any, error) {
			return tx.Users(acct, q)
		})
	}},
}

var groupTests = []test{
	{"CreateGet", func(t *testing.T, s iam.Store) {
		g := newGroup(1, 1, "Admins")
		g.Path = "/ops/"
		create(t, s, newAccount(1), g)
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.Group(g.AccountID, "Admins")
			noErr(t, `Group("Admins")`, err)
			wantEqual(t, `Group("Admins")`, got, g)
			n, err := tx.CountGroups(g.AccountID)
			if n != 1 || err != nil {
				t.Errorf("CountGroups = %d, %v, want 1, nil", n, err)
			}
			return nil
		})
	}},
	{"CaseInsensitive", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1), newAccount(2), newGroup(1, 1, "Admins"))
		update(t, s, func(tx iam.Tx) error {
			got, err := tx.Group(accountID(1), "ADMINS")
			noErr(t, `Group("ADMINS")`, err)
			if got.Name != "Admins" {
				t.Errorf(`Group("ADMINS").Name = %q, want the stored case "Admins"`, got.Name)
			}
			wantErr(t, `CreateGroup("admins") with "Admins" present`,
				tx.CreateGroup(newGroup(1, 2, "admins")), iam.ErrExists)
			wantErr(t, "CreateGroup(taken ID)", tx.CreateGroup(newGroup(1, 1, "other")), iam.ErrExists)
			noErr(t, `CreateGroup("admins") in another account`, tx.CreateGroup(newGroup(2, 3, "admins")))
			return nil
		})
	}},
	{"Missing", func(t *testing.T, s iam.Store) {
		create(t, s, newAccount(1))
		update(t, s, func(tx iam.Tx) error {
			_, err := tx.Group(accountID(1), "nope")
			wantErr(t, `Group("nope")`, err, iam.ErrNotFound)
			wantErr(t, "UpdateGroup(missing)", tx.UpdateGroup(newGroup(1, 1, "nope")), iam.ErrNotFound)
			wantErr(t, "DeleteGroup(missing)", tx.DeleteGroup(groupID(1)), iam.ErrNotFound)
			return nil
		})
	}},
	{"Update", func(t *testing.T, s iam.Store) {
		g, h := newGroup(1, 1, "admins"), newGroup(1, 2, "devs")
		create(t, s, newAccount(1), g, h)
		v := *g
		v.Name = "Operators"
		v.Path = "/ops/"
		w := *h
		w.Name = "OPERATORS"
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "UpdateGroup(rename)", tx.UpdateGroup(&v))
			wantErr(t, `UpdateGroup("devs" -> "OPERATORS") with "Operators" present`, tx.UpdateGroup(&w), iam.ErrExists)
			return nil
		})
		view(t, s, func(tx iam.Tx) error {
			got, err := tx.Group(g.AccountID, "operators")
			noErr(t, `Group("operators")`, err)
			wantEqual(t, `Group("operators")`, got, &v)
			_, err = tx.Group(g.AccountID, "admins")
			wantErr(t, `Group("admins") after rename`, err, iam.ErrNotFound)
			got, err = tx.Group(g.AccountID, "devs")
			noErr(t, `Group("devs")`, err)
			wantEqual(t, `Group("devs") after failed rename`, got, h)
			return nil
		})
	}},
	{"Delete", func(t *testing.T, s iam.Store) {
		g := newGroup(1, 1, "admins")
		create(t, s, newAccount(1), g)
		update(t, s, func(tx iam.Tx) error {
			noErr(t, "DeleteGroup", tx.DeleteGroup(g.ID))
			wantErr(t, "DeleteGroup again", tx.DeleteGroup(g.ID), iam.ErrNotFound)
			_, err := tx.Group(g.AccountID, g.Name)
			wantErr(t, "Group after delete", err, iam.ErrNotFound)
			n, err := tx.CountGroups(g.AccountID)
			if n != 0 || err != nil {
				t.Errorf("CountGroups after delete = %d, %v, want 0, nil", n, err)
			}
			return nil
		})
	}},
	{"List", func(t *testing.T, s iam.Store) {
		listTest(t, s, func(acct, n int, name, path string) any {
			g := newGroup(acct, n, name)
			g.Path = path
			return g
		}, func(tx iam.Tx, acct string, q iam.ListQuery) (any, error) {
			return tx.Groups(acct, q)
		})
	}},
}

// listFixture is the population of the List tests: mixed case, so that
// byte order ("Zed" < "alice") differs from the required lower-cased
// order, and nested paths.
var listFixture = []struct {
	name, path string
}{
	{"Zed", "/"},
	{"alice", "/eng/"},
	{"Bob", "/eng/backend/"},
	{"carol", "/sales/"},
	{"dave_", "/eng/"},
	{"Dave", "/"},
	{"erin", "/engineering/"},
}

// listTest checks ListQuery on an account listing. mk makes entity n of
// an account; list runs the listing.
func listTest(t *testing.T, s iam.Store,
	mk func(acct, n int, name, path string) any,
	list func(tx iam.Tx, acct string, q iam.ListQuery) (any, error)) {
	t.Helper()
	byName := map[string]any{}
	var all []any
	all = append(all, newAccount(1), newAccount(2))
	for i, f := range listFixture {
		e := mk(1, i+1, f.name, f.path)
		byName[f.name] = e
		all = append(all, e)
	}
	// Same names in another account, which no listing of account 1 shows.
	for i, f := range listFixture {
		all = append(all, mk(2, 100+i, f.name, f.path))
	}
	create(t, s, all...)

	cases := []struct {
		q    iam.ListQuery
		want []string
	}{
		{iam.ListQuery{}, []string{"alice", "Bob", "carol", "Dave", "dave_", "erin", "Zed"}},
		{iam.ListQuery{PathPrefix: "/"}, []string{"alice", "Bob", "carol", "Dave", "dave_", "erin", "Zed"}},
		{iam.ListQuery{PathPrefix: "/eng/"}, []string{"alice", "Bob", "dave_"}},
		// A prefix is a string prefix, not a path component.
		{iam.ListQuery{PathPrefix: "/eng"}, []string{"alice", "Bob", "dave_", "erin"}},
		{iam.ListQuery{PathPrefix: "/ENG/"}, nil},
		{iam.ListQuery{PathPrefix: "/nope/"}, nil},
		{iam.ListQuery{After: "bob"}, []string{"carol", "Dave", "dave_", "erin", "Zed"}},
		{iam.ListQuery{After: "b"}, []string{"Bob", "carol", "Dave", "dave_", "erin", "Zed"}},
		{iam.ListQuery{After: "dave"}, []string{"dave_", "erin", "Zed"}},
		{iam.ListQuery{After: "zed"}, nil},
		{iam.ListQuery{Limit: 2}, []string{"alice", "Bob"}},
		{iam.ListQuery{Limit: 100}, []string{"alice", "Bob", "carol", "Dave", "dave_", "erin", "Zed"}},
		{iam.ListQuery{After: "alice", Limit: 2}, []string{"Bob", "carol"}},
		{iam.ListQuery{PathPrefix: "/eng/", After: "alice", Limit: 1}, []string{"Bob"}},
	}
	view(t, s, func(tx iam.Tx) error {
		for _, c := range cases {
			got, err := list(tx, accountID(1), c.q)
			noErr(t, "list", err)
			want := namedSlice(got, byName, c.want)
			wantEqual(t, listCall(c.q), got, want)
		}
		// Paging with Limit 1 and After the last name walks the whole list.
		var names []string
		q := iam.ListQuery{Limit: 1}
		for i := 0; i <= len(listFixture); i++ {
			page, err := list(tx, accountID(1), q)
			noErr(t, "list", err)
			n := entityNames(page)
			if len(n) == 0 {
				break
			}
			names = append(names, n...)
			q.After = strings.ToLower(n[len(n)-1])
		}
		want := []string{"alice", "Bob", "carol", "Dave", "dave_", "erin", "Zed"}
		if !slices.Equal(names, want) {
			t.Errorf("paging with Limit 1 = %v, want %v", names, want)
		}
		got, err := list(tx, accountID(9), iam.ListQuery{})
		noErr(t, "list", err)
		if n := entityNames(got); len(n) != 0 {
			t.Errorf("listing an empty account = %v, want []", n)
		}
		return nil
	})
}

func listCall(q iam.ListQuery) string {
	return fmt.Sprintf("list(PathPrefix: %q, After: %q, Limit: %d)", q.PathPrefix, q.After, q.Limit)
}

// namedSlice returns the entities of byName with the given names, as a
// slice of the same type as like.
func namedSlice(like any, byName map[string]any, names []string) any {
	switch like.(type) {
	case []*iam.User:
		var out []*iam.User
		for _, n := range names {
			out = append(out, byName[n].(*iam.User))
		}
		return out
	case []*iam.Group:
		var out []*iam.Group
		for _, n := range names {
			out = append(out, byName[n].(*iam.Group))
		}
		return out
	}
	panic(fmt.Sprintf("storetest: namedSlice of %T", like))
}

func entityNames(v any) []string {
	var out []string
	switch v := v.(type) {
	case []*iam.User:
		for _, e := range v {
			out = append(out, e.Name)
		}
	case []*iam.Group:
		for _, e := range v {
			out = append(out, e.Name)
		}
	default:
		panic(fmt.Sprintf("storetest: entityNames of %T", v))
	}
	return out
}
