package iam_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

const account = "111122223333"

type fixture struct {
	svc  *iam.Service
	root *iam.Principal
	now  time.Time
}

func newFixture(t testing.TB, quotas iam.Quotas) *fixture {
	t.Helper()
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
	f := &fixture{now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Quotas: quotas, Clock: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	if !boot.Created || boot.RootSecret == "" {
		t.Fatalf("Bootstrap = %+v, want a created account and root key", boot)
	}
	f.svc = svc
	f.root = svc.Authenticate(boot.RootAccessKeyID).Principal
	return f
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if got := iam.ErrorCode(err); err == nil || got != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func (f *fixture) mustUser(t testing.TB, name string) *iam.User {
	t.Helper()
	u, err := f.svc.CreateUser(t.Context(), f.root, iam.CreateUserInput{UserName: name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestQuotas(t *testing.T) {
	q := iam.DefaultQuotas()
	q.UsersPerAccount, q.GroupsPerAccount, q.GroupsPerUser, q.TagsPerEntity = 2, 2, 1, 2
	f := newFixture(t, q)
	ctx := t.Context()
	f.mustUser(t, "a")
	f.mustUser(t, "b")
	_, err := f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "c"})
	wantCode(t, err, iam.CodeLimitExceeded)

	for _, g := range []string{"g1", "g2"} {
		if _, err := f.svc.CreateGroup(ctx, f.root, "", g); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.svc.CreateGroup(ctx, f.root, "", "g3")
	wantCode(t, err, iam.CodeLimitExceeded)

	if err := f.svc.AddUserToGroup(ctx, f.root, "g1", "a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.AddUserToGroup(ctx, f.root, "g2", "a"), iam.CodeLimitExceeded)
	// Re-adding an existing membership does not count against the quota.
	if err := f.svc.AddUserToGroup(ctx, f.root, "G1", "A"); err != nil {
		t.Fatalf("re-add membership: %v", err)
	}

	tags := []iam.Tag{{Key: "k1"}, {Key: "k2"}}
	if err := f.svc.TagUser(ctx, f.root, "a", tags); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.TagUser(ctx, f.root, "a", []iam.Tag{{Key: "k3"}}), iam.CodeLimitExceeded)
	// Overwriting an existing key (in another case) is not a new tag.
	if err := f.svc.TagUser(ctx, f.root, "a", []iam.Tag{{Key: "K1", Value: "v"}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.TagUser(ctx, f.root, "b", []iam.Tag{{Key: "x"}, {Key: "X"}}), iam.CodeInvalidInput)
}

func TestDeleteConflicts(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "u")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "u")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateGroup(ctx, f.root, "/", "g"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddUserToGroup(ctx, f.root, "g", "u"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
		code iam.Code
	}{
		{"user with keys", f.svc.DeleteUser(ctx, f.root, "u"), iam.CodeDeleteConflict},
		{"group with members", f.svc.DeleteGroup(ctx, f.root, "g"), iam.CodeDeleteConflict},
		{"missing user", f.svc.DeleteUser(ctx, f.root, "nobody"), iam.CodeNoSuchEntity},
		{"missing group", f.svc.DeleteGroup(ctx, f.root, "nogroup"), iam.CodeNoSuchEntity},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err, tc.code) })
	}
	if err := f.svc.DeleteAccessKey(ctx, f.root, "u", k.Key.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.DeleteUser(ctx, f.root, "u"), iam.CodeDeleteConflict) // still in a group
	if err := f.svc.RemoveUserFromGroup(ctx, f.root, "g", "u"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser(ctx, f.root, "u"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteGroup(ctx, f.root, "g"); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialIndexFollowsChanges(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "eve")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "eve")
	if err != nil {
		t.Fatal(err)
	}
	cred := f.svc.Authenticate(k.Key.ID)
	if cred == nil || string(cred.Secret) != k.Secret || cred.Principal.ARN != "arn:aws:iam::"+account+":user/eve" {
		t.Fatalf("Authenticate = %+v", cred)
	}
	newName, newPath := "eve2", "/ops/"
	if err := f.svc.UpdateUser(ctx, f.root, iam.UpdateUserInput{UserName: "eve", NewUserName: &newName, NewPath: &newPath}); err != nil {
		t.Fatal(err)
	}
	if got := f.svc.Authenticate(k.Key.ID).Principal.ARN; got != "arn:aws:iam::"+account+":user/ops/eve2" {
		t.Errorf("principal after rename = %s", got)
	}
	if err := f.svc.UpdateAccessKey(ctx, f.root, "eve2", k.Key.ID, iam.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if f.svc.Authenticate(k.Key.ID) != nil {
		t.Error("inactive key still authenticates")
	}
	// A key of another user cannot be changed through this one.
	f.mustUser(t, "mallory")
	wantCode(t, f.svc.UpdateAccessKey(ctx, f.root, "mallory", k.Key.ID, iam.StatusActive), iam.CodeNoSuchEntity)
	if f.svc.Authenticate(k.Key.ID) != nil {
		t.Error("failed update re-activated the key")
	}
	if err := f.svc.UpdateAccessKey(ctx, f.root, "eve2", k.Key.ID, iam.StatusActive); err != nil {
		t.Fatal(err)
	}
	if f.svc.Authenticate(k.Key.ID) == nil {
		t.Error("re-activated key does not authenticate")
	}
}

func TestNonRootIsDenied(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "bob")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := f.svc.Authenticate(k.Key.ID).Principal
	for name, err := range map[string]error{
		"CreateUser": func() error { _, err := f.svc.CreateUser(ctx, bob, iam.CreateUserInput{UserName: "x"}); return err }(),
		"GetUser":    func() error { _, err := f.svc.GetUser(ctx, bob, ""); return err }(),
		"GetUser missing user": func() error {
			_, err := f.svc.GetUser(ctx, bob, "nobody")
			return err
		}(),
		"ListUsers":       func() error { _, err := f.svc.ListUsers(ctx, bob, iam.ListInput{}); return err }(),
		"CreateAccessKey": func() error { _, err := f.svc.CreateAccessKey(ctx, bob, ""); return err }(),
		"DeleteAccessKey": f.svc.DeleteAccessKey(ctx, bob, "", k.Key.ID),
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, err, iam.CodeAccessDenied) })
	}
	if f.svc.Authenticate(k.Key.ID) == nil {
		t.Error("denied DeleteAccessKey revoked the key")
	}
}

func TestBootstrapIsIdempotentAndPresetsKeys(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	kr, _, _ := keyring.Generate()
	open := func() *iam.Service {
		db, err := sqlite.Open(ctx, filepath.Join(dir, "iamd.db"))
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
	svc := open()
	preset := iam.BootstrapConfig{AccountID: account, RootAccessKeyID: "AKIAPRESET0000000001", RootSecret: "presetsecretpresetsecret"}
	b1, err := svc.Bootstrap(ctx, preset)
	if err != nil || !b1.Created || b1.RootAccessKeyID != preset.RootAccessKeyID {
		t.Fatalf("first Bootstrap = %+v, %v", b1, err)
	}
	b2, err := svc.Bootstrap(ctx, preset)
	if err != nil || b2.Created || b2.RootSecret != "" {
		t.Fatalf("second Bootstrap = %+v, %v; want no change", b2, err)
	}
	// A changed preset secret replaces the stored one.
	preset.RootSecret = "anothersecretanothersecret"
	if _, err := svc.Bootstrap(ctx, preset); err != nil {
		t.Fatal(err)
	}
	svc2 := open()
	if cred := svc2.Authenticate(preset.RootAccessKeyID); cred == nil || string(cred.Secret) != preset.RootSecret {
		t.Fatalf("reopened service does not authenticate the new preset secret")
	}
	if _, err := svc2.Bootstrap(ctx, iam.BootstrapConfig{AccountID: "999999999999"}); err == nil {
		t.Error("Bootstrap with another account ID on an existing data dir succeeded")
	}
	if _, err := svc2.Bootstrap(ctx, iam.BootstrapConfig{RootAccessKeyID: "AKIAONLYID0000000000"}); err == nil {
		t.Error("Bootstrap with a key ID but no secret succeeded")
	}
}

func TestConcurrentAccessKeyQuota(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "busy")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.CreateAccessKey(ctx, f.root, "busy"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if iam.ErrorCode(err) != iam.CodeLimitExceeded {
				t.Errorf("CreateAccessKey: %v", err)
			}
		}()
	}
	wg.Wait()
	l, err := f.svc.ListAccessKeys(ctx, f.root, "busy", iam.ListInput{})
	if err != nil {
		t.Fatal(err)
	}
	if ok != 2 || len(l.Page.Items) != 2 {
		t.Errorf("%d creates succeeded, %d keys stored; want 2 and 2", ok, len(l.Page.Items))
	}
}

func TestKeyUseIsRecordedAndFlushed(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "u")
	k, err := f.svc.CreateAccessKey(ctx, f.root, "u")
	if err != nil {
		t.Fatal(err)
	}
	lu, err := f.svc.GetAccessKeyLastUsed(ctx, f.root, k.Key.ID)
	if err != nil || lu.Service != "N/A" || lu.Region != "N/A" || !lu.Date.IsZero() || lu.UserName != "u" {
		t.Fatalf("never used = %+v, %v", lu, err)
	}
	f.svc.RecordKeyUse(k.Key.ID, "iam", "us-east-1")
	if err := f.svc.FlushKeyUse(ctx); err != nil {
		t.Fatal(err)
	}
	lu, err = f.svc.GetAccessKeyLastUsed(ctx, f.root, k.Key.ID)
	if err != nil || lu.Service != "iam" || lu.Region != "us-east-1" || !lu.Date.Equal(f.now) {
		t.Fatalf("after use = %+v, %v", lu, err)
	}
	_, err = f.svc.GetAccessKeyLastUsed(ctx, f.root, "AKIAUNKNOWN000000000")
	wantCode(t, err, iam.CodeAccessDenied)
}

func TestPagination(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	for i := range 5 {
		f.mustUser(t, fmt.Sprintf("User%d", i))
	}
	var seen []string
	in := iam.ListInput{MaxItems: 2}
	for {
		p, err := f.svc.ListUsers(ctx, f.root, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range p.Items {
			seen = append(seen, u.Name)
		}
		if !p.IsTruncated {
			break
		}
		in.Marker = p.Marker
	}
	if fmt.Sprint(seen) != "[User0 User1 User2 User3 User4]" {
		t.Errorf("pages = %v", seen)
	}
	_, err := f.svc.ListUsers(ctx, f.root, iam.ListInput{Marker: "%%%"})
	wantCode(t, err, iam.CodeValidationError)
	_ = context.Background
}
