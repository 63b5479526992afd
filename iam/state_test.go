package iam_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// nodes opens n Services on one database file, as n iamd nodes sharing a
// store would be.
func nodes(t *testing.T, n int) ([]*iam.Service, *iam.Principal, func() *iam.Service) {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "iamd.db")
	kr, _, _ := keyring.Generate()
	open := func() *iam.Service {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	var out []*iam.Service
	var root *iam.Principal
	for i := range n {
		svc := open()
		if i == 0 {
			b, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
			if err != nil {
				t.Fatal(err)
			}
			root = svc.Authenticate(b.RootAccessKeyID).Principal
		}
		out = append(out, svc)
	}
	return out, root, open
}

func TestSecondNodeFollowsChangeFeed(t *testing.T) {
	ctx := t.Context()
	n, root, _ := nodes(t, 2)
	a, b := n[0], n[1]
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Authenticate(root.AccessKeyID) == nil {
		t.Fatal("node B does not know the root key created on node A")
	}
	if _, err := a.CreateUser(ctx, root, iam.CreateUserInput{UserName: "zed"}); err != nil {
		t.Fatal(err)
	}
	k, err := a.CreateAccessKey(ctx, root, "zed")
	if err != nil {
		t.Fatal(err)
	}
	if b.Authenticate(k.Key.ID) != nil {
		t.Fatal("node B knew the key before syncing")
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if c := b.Authenticate(k.Key.ID); c == nil || c.Principal.UserName != "zed" {
		t.Fatalf("node B after sync: %+v", c)
	}
	newName := "zed2"
	if err := a.UpdateUser(ctx, root, iam.UpdateUserInput{UserName: "zed", NewUserName: &newName}); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAccessKey(ctx, root, "zed2", k.Key.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Authenticate(k.Key.ID) != nil {
		t.Error("node B still authenticates a deleted key")
	}
	if _, err := b.GetUser(ctx, root, "zed2"); err != nil {
		t.Errorf("node B does not see the rename: %v", err)
	}
}

// TestStateMatchesFreshLoad applies random operations on one node and
// checks that its incrementally maintained state answers exactly as a node
// that loads everything from scratch.
func TestStateMatchesFreshLoad(t *testing.T) {
	ctx := t.Context()
	n, root, open := nodes(t, 1)
	a := n[0]
	rng := rand.New(rand.NewPCG(1, 2))
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	groups := []string{"g0", "g1", "g2"}
	var keys []string
	for range 400 {
		u, g := users[rng.IntN(len(users))], groups[rng.IntN(len(groups))]
		switch rng.IntN(9) {
		case 0:
			a.CreateUser(ctx, root, iam.CreateUserInput{UserName: u, Path: "/p" + fmt.Sprint(rng.IntN(2)) + "/"})
		case 1:
			a.DeleteUser(ctx, root, u)
		case 2:
			a.CreateGroup(ctx, root, "/", g)
		case 3:
			a.DeleteGroup(ctx, root, g)
		case 4:
			a.AddUserToGroup(ctx, root, g, u)
		case 5:
			a.RemoveUserFromGroup(ctx, root, g, u)
		case 6:
			if k, err := a.CreateAccessKey(ctx, root, u); err == nil {
				keys = append(keys, k.Key.ID)
			}
		case 7:
			if len(keys) > 0 {
				a.DeleteAccessKey(ctx, root, u, keys[rng.IntN(len(keys))])
			}
		case 8:
			if len(keys) > 0 {
				status := iam.StatusActive
				if rng.IntN(2) == 0 {
					status = iam.StatusInactive
				}
				a.UpdateAccessKey(ctx, root, u, keys[rng.IntN(len(keys))], status)
			}
		}
	}
	fresh := open()
	if got := snapshot(t, a, root, users, groups, keys); len(got) < 10 {
		t.Fatalf("the random operations left too little to compare: %v", got)
	}
	if got, want := snapshot(t, a, root, users, groups, keys), snapshot(t, fresh, root, users, groups, keys); !reflect.DeepEqual(got, want) {
		t.Errorf("incremental state differs from a fresh load:\n got %v\nwant %v", got, want)
	}
}

func snapshot(t *testing.T, s *iam.Service, root *iam.Principal, users, groups, keys []string) []string {
	t.Helper()
	ctx := t.Context()
	var out []string
	lu, _ := s.ListUsers(ctx, root, iam.ListInput{MaxItems: 1000})
	for _, u := range lu.Items {
		out = append(out, "user "+u.Name+" "+u.Path+" "+u.ID)
		gs, _ := s.ListGroupsForUser(ctx, root, u.Name, iam.ListInput{})
		for _, g := range gs.Items {
			out = append(out, "  in "+g.Name)
		}
		ks, _ := s.ListAccessKeys(ctx, root, u.Name, iam.ListInput{})
		for _, k := range ks.Page.Items {
			out = append(out, "  key "+k.ID+" "+k.Status)
		}
	}
	lg, _ := s.ListGroups(ctx, root, iam.ListInput{MaxItems: 1000})
	for _, g := range lg.Items {
		_, members, _ := s.GetGroup(ctx, root, g.Name, iam.ListInput{})
		out = append(out, fmt.Sprintf("group %s %d members", g.Name, len(members.Items)))
	}
	for _, k := range keys {
		out = append(out, fmt.Sprintf("auth %s %v", k, s.Authenticate(k) != nil))
	}
	return out
}
