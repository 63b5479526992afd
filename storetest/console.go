package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// consoleTests check ConsoleTx: console sessions and sign-in failure
// counters.
var consoleTests = []test{
	{"ConsoleSessions", testConsoleSessions},
	{"SignInFailures", testSignInFailures},
}

func testConsoleSessions(t *testing.T, s iam.Store) {
	create(t, s, newAccount(1))
	a := &iam.ConsoleSession{TokenHash: "aa01", AccountID: accountID(1), UserID: userID(1), UserName: "alice",
		PasswordStamp: "stamp1", MFA: true, MustChangePassword: true, SourceIP: "192.0.2.1", UserAgent: "ua",
		CreateDate: at(0), ExpireDate: at(12 * time.Hour)}
	b := &iam.ConsoleSession{TokenHash: "bb02", AccountID: accountID(1), UserID: userID(1), UserName: "alice",
		PasswordStamp: "stamp1", CreateDate: at(time.Minute), ExpireDate: at(time.Hour)}
	root := &iam.ConsoleSession{TokenHash: "cc03", AccountID: accountID(1), UserID: accountID(1),
		PasswordStamp: "r", CreateDate: at(0), ExpireDate: at(3 * time.Hour)}
	update(t, s, func(tx iam.Tx) error {
		for _, cs := range []*iam.ConsoleSession{a, b, root} {
			noErr(t, "CreateConsoleSession("+cs.TokenHash+")", tx.CreateConsoleSession(cs))
		}
		dup := *a
		wantErr(t, "CreateConsoleSession(duplicate)", tx.CreateConsoleSession(&dup), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.ConsoleSession(a.TokenHash)
		noErr(t, "ConsoleSession(a)", err)
		pcEqual(t, "ConsoleSession(a)", got, a)
		_, err = tx.ConsoleSession("missing")
		wantErr(t, "ConsoleSession(missing)", err, iam.ErrNotFound)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		n, err := tx.RevokeConsoleSessions(accountID(1), userID(1))
		noErr(t, "RevokeConsoleSessions(alice)", err)
		if n != 2 {
			t.Errorf("RevokeConsoleSessions(alice) = %d, want 2", n)
		}
		n, err = tx.RevokeConsoleSessions(accountID(1), userID(1))
		noErr(t, "RevokeConsoleSessions(alice) again", err)
		if n != 0 {
			t.Errorf("RevokeConsoleSessions(alice) again = %d, want 0", n)
		}
		wantErr(t, "RevokeConsoleSession(missing)", tx.RevokeConsoleSession("missing"), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		for _, cs := range []*iam.ConsoleSession{a, b} {
			got, err := tx.ConsoleSession(cs.TokenHash)
			noErr(t, "ConsoleSession after revoke", err)
			if got != nil && !got.Revoked {
				t.Errorf("ConsoleSession(%s).Revoked = false after RevokeConsoleSessions", cs.TokenHash)
			}
		}
		got, err := tx.ConsoleSession(root.TokenHash)
		noErr(t, "ConsoleSession(root)", err)
		if got != nil && got.Revoked {
			t.Errorf("RevokeConsoleSessions(alice) revoked the root user's session")
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "RevokeConsoleSession(root)", tx.RevokeConsoleSession(root.TokenHash))
		noErr(t, "PruneConsoleSessions", tx.PruneConsoleSessions(at(2*time.Hour)))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		_, err := tx.ConsoleSession(b.TokenHash)
		wantErr(t, "ConsoleSession(b) after prune", err, iam.ErrNotFound)
		for _, h := range []string{a.TokenHash, root.TokenHash} {
			got, err := tx.ConsoleSession(h)
			noErr(t, "ConsoleSession("+h+") after prune", err)
			if h == root.TokenHash && got != nil && !got.Revoked {
				t.Errorf("RevokeConsoleSession(root) left it unrevoked")
			}
		}
		return nil
	})
}

func testSignInFailures(t *testing.T, s iam.Store) {
	create(t, s, newAccount(1), newAccount(2))
	f := &iam.SignInFailures{AccountID: accountID(1), UserKey: "alice", Failures: 3, LastFailure: at(0), LockedUntil: at(4 * time.Second)}
	update(t, s, func(tx iam.Tx) error {
		_, err := tx.SignInFailures(accountID(1), "alice")
		wantErr(t, "SignInFailures(none)", err, iam.ErrNotFound)
		noErr(t, "PutSignInFailures", tx.PutSignInFailures(f))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.SignInFailures(accountID(1), "alice")
		noErr(t, "SignInFailures", err)
		pcEqual(t, "SignInFailures", got, f)
		_, err = tx.SignInFailures(accountID(2), "alice")
		wantErr(t, "SignInFailures(other account)", err, iam.ErrNotFound)
		return nil
	})
	f.Failures, f.LastFailure, f.LockedUntil = 4, at(time.Minute), time.Time{}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "PutSignInFailures(replace)", tx.PutSignInFailures(f))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.SignInFailures(accountID(1), "alice")
		noErr(t, "SignInFailures after replace", err)
		pcEqual(t, "SignInFailures after replace", got, f)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeleteSignInFailures", tx.DeleteSignInFailures(accountID(1), "alice"))
		err := tx.DeleteSignInFailures(accountID(1), "alice")
		if !errors.Is(err, iam.ErrNotFound) {
			t.Errorf("DeleteSignInFailures(again) = %v, want ErrNotFound", err)
		}
		return nil
	})
}
