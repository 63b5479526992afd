package iam_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// A node that follows the change feed may meet a secret sealed with a
// master key it has not loaded yet (a rotation begun on another node). The
// rest of the batch must still apply, and the key must start to
// authenticate once the node has the new master key.
func TestFeedChangeSealedWithUnknownMasterKey(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
	_, content, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pathA, pathB} {
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	krA, err := keyring.Load(pathA)
	if err != nil {
		t.Fatal(err)
	}
	krB, err := keyring.Load(pathB)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "iamd.db")
	open := func(kr *keyring.Keyring) *iam.Service {
		db, err := sqlite.Open(ctx, dbPath)
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
	a := open(krA)
	boot, err := a.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	root := a.Authenticate(boot.RootAccessKeyID).Principal
	b := open(krB)

	// Node A rotates: its file gains key 2, which seals from now on.
	if _, err := keyring.AddKey(pathA, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := krA.Reload(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "bob"} {
		if _, err := a.CreateUser(ctx, root, iam.CreateUserInput{UserName: name}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := a.CreateAccessKey(ctx, root, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := keyring.KeyID(k.Key.SealedSecret); id == 1 {
		t.Fatal("node A did not seal with the new master key")
	}

	if err := b.Sync(ctx); err != nil {
		t.Fatalf("node B could not follow the feed: %v", err)
	}
	if b.Authenticate(k.Key.ID) != nil {
		t.Fatal("node B opened a secret sealed with a key it does not have")
	}
	if _, err := b.GetUser(ctx, root, "bob"); err != nil {
		t.Fatalf("the rest of the batch did not apply on node B: %v", err)
	}

	// Node B's file catches up; its next sync opens the pending secret.
	data, err := os.ReadFile(pathA)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pathB, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := krB.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if c := b.Authenticate(k.Key.ID); c == nil || c.Principal.UserName != "ann" {
		t.Fatalf("node B after getting the key: %+v", c)
	}
}
