package iam_test

import (
	"errors"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

func signInReason(t *testing.T, err error) iam.SignInReason {
	t.Helper()
	var se *iam.SignInError
	if !errors.As(err, &se) {
		t.Fatalf("SignIn error = %v, want a *SignInError", err)
	}
	return se.Reason
}

func (f *pcFixture) consoleUser(t *testing.T, name, password string, reset bool) {
	t.Helper()
	f.user(t, name)
	_, err := f.svc.CreateLoginProfile(t.Context(), f.root, name, password, reset)
	noErr(t, err)
}

func TestSignInPasswordAndSession(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.consoleUser(t, "alice", "Corr3ct-horse", false)
	noErr(t, f.svc.CreateAccountAlias(ctx, f.root, "example-corp"))
	for _, tt := range []struct {
		name    string
		in      iam.SignInInput
		wantErr iam.SignInReason // 0: success
	}{
		{"wrong password", iam.SignInInput{Account: account, UserName: "alice", Password: "nope"}, iam.SignInFailed},
		{"unknown user", iam.SignInInput{Account: account, UserName: "mallory", Password: "Corr3ct-horse"}, iam.SignInFailed},
		{"unknown account", iam.SignInInput{Account: "999999999999", UserName: "alice", Password: "Corr3ct-horse"}, iam.SignInFailed},
		{"by account ID", iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"}, 0},
		{"by alias, name in other case", iam.SignInInput{Account: "Example-Corp", UserName: "ALICE", Password: "Corr3ct-horse"}, 0},
		{"root without password", iam.SignInInput{Account: account, UserName: "root", Password: "Corr3ct-horse"}, iam.SignInFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.svc.SignIn(ctx, tt.in)
			if tt.wantErr != 0 {
				if got := signInReason(t, err); got != tt.wantErr {
					t.Fatalf("reason = %v, want %v", got, tt.wantErr)
				}
				if res.Token != "" {
					t.Fatal("a failed sign-in returned a token")
				}
				return
			}
			noErr(t, err)
			if res.Token == "" || res.Session.TokenHash != iam.TokenHash(res.Token) || res.MustChangePassword || res.UserName != "alice" {
				t.Fatalf("SignIn = %+v", res)
			}
			id, err := f.svc.ConsoleAuthenticate(ctx, res.Token)
			noErr(t, err)
			if id.Principal.Type != iam.PrincipalUser || id.Principal.UserName != "alice" || id.Principal.Session.MFA {
				t.Fatalf("principal = %+v", id.Principal)
			}
		})
	}
	u, err := f.svc.GetUser(ctx, f.root, "alice")
	noErr(t, err)
	if !u.PasswordLastUsed.Equal(f.now) {
		t.Fatalf("PasswordLastUsed = %v, want %v", u.PasswordLastUsed, f.now)
	}
}

func TestSignInRevocation(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.consoleUser(t, "alice", "Corr3ct-horse", false)
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{AllowUsersToChangePassword: true}))
	in := iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"}
	signIn := func() string {
		res, err := f.svc.SignIn(ctx, in)
		noErr(t, err)
		return res.Token
	}
	valid := func(tok string) bool {
		_, err := f.svc.ConsoleAuthenticate(ctx, tok)
		if err != nil && !errors.Is(err, iam.ErrNoConsoleSession) {
			t.Fatal(err)
		}
		return err == nil
	}
	a := signIn()
	noErr(t, f.svc.SignOut(ctx, a))
	if valid(a) {
		t.Fatal("session valid after sign-out")
	}
	noErr(t, f.svc.SignOut(ctx, a)) // twice is harmless

	b := signIn()
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("N3w-password!"), nil))
	if valid(b) {
		t.Fatal("session valid after an administrator reset the password")
	}
	in.Password = "N3w-password!"

	c := signIn()
	f.now = f.now.Add(iam.ConsoleSessionDuration)
	if valid(c) {
		t.Fatal("session valid after it expired")
	}

	d := signIn()
	id, err := f.svc.ConsoleAuthenticate(ctx, d)
	noErr(t, err)
	e := signIn()
	tok, _, err := f.svc.ChangeConsolePassword(ctx, id, "N3w-password!", "Ch4nged-again!")
	noErr(t, err)
	if valid(d) || valid(e) || !valid(tok) {
		t.Fatalf("after ChangeConsolePassword: old %v, other %v, new %v; want false false true", valid(d), valid(e), valid(tok))
	}

	noErr(t, f.svc.DeleteLoginProfile(ctx, f.root, "alice"))
	if valid(tok) {
		t.Fatal("session valid after its login profile was deleted")
	}
	if valid("") || valid("garbage") {
		t.Fatal("made-up token accepted")
	}
}

func TestSignInMustChangePassword(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.consoleUser(t, "alice", "Corr3ct-horse", true)
	res, err := f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"})
	noErr(t, err)
	if !res.MustChangePassword || !res.Session.MustChangePassword {
		t.Fatalf("reset-required sign-in: %+v", res)
	}
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", nil, boolp(false)))
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{MaxPasswordAge: intp(30)}))
	f.now = f.now.AddDate(0, 0, 31)
	res, err = f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"})
	noErr(t, err)
	if !res.MustChangePassword {
		t.Fatal("expired password signed in without having to change it")
	}
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{MaxPasswordAge: intp(30), HardExpiry: true}))
	_, err = f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"})
	if got := signInReason(t, err); got != iam.SignInPasswordExpired {
		t.Fatalf("hard-expired sign-in: reason %v", got)
	}
}

func TestSignInMFA(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.consoleUser(t, "alice", "Corr3ct-horse", false)
	d, err := f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: "alice"})
	noErr(t, err)
	seed := d.Base32StringSeed
	noErr(t, f.svc.EnableMFADevice(ctx, f.root, "alice", d.Device.SerialNumber, code(t, seed, f.now.Add(-60*time.Second)), code(t, seed, f.now.Add(-30*time.Second))))
	in := iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"}
	_, err = f.svc.SignIn(ctx, in)
	if got := signInReason(t, err); got != iam.SignInMFARequired {
		t.Fatalf("no code: reason %v", got)
	}
	in.MFACode = "000000"
	_, err = f.svc.SignIn(ctx, in)
	if got := signInReason(t, err); got != iam.SignInFailed {
		t.Fatalf("wrong code: reason %v", got)
	}
	in.MFACode = code(t, seed, f.now)
	res, err := f.svc.SignIn(ctx, in)
	noErr(t, err)
	if !res.MFAUsed {
		t.Fatal("MFAUsed false")
	}
	id, err := f.svc.ConsoleAuthenticate(ctx, res.Token)
	noErr(t, err)
	if !id.Principal.Session.MFA {
		t.Fatal("console principal without MFA")
	}
	// The code was spent: replaying it fails.
	_, err = f.svc.SignIn(ctx, in)
	if got := signInReason(t, err); got != iam.SignInFailed {
		t.Fatalf("replayed code: reason %v", got)
	}
	// A wrong password with a right code is still a failure.
	in.Password, in.MFACode = "wrong", code(t, seed, f.now.Add(30*time.Second))
	_, err = f.svc.SignIn(ctx, in)
	if got := signInReason(t, err); got != iam.SignInFailed {
		t.Fatalf("wrong password: reason %v", got)
	}
}

func TestSignInDelay(t *testing.T) {
	for _, tt := range []struct {
		failures, free int
		want           time.Duration
	}{
		{0, 3, 0}, {3, 3, 0}, {4, 3, time.Second}, {5, 3, 2 * time.Second}, {8, 3, 16 * time.Second},
		{13, 3, 512 * time.Second}, {14, 3, iam.MaxSignInDelay}, {1000, 3, iam.MaxSignInDelay}, {11, 10, time.Second},
	} {
		if got := iam.SignInDelay(tt.failures, tt.free); got != tt.want {
			t.Errorf("SignInDelay(%d, %d) = %v, want %v", tt.failures, tt.free, got, tt.want)
		}
	}
}

func TestSignInLockout(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.consoleUser(t, "alice", "Corr3ct-horse", false)
	bad := iam.SignInInput{Account: account, UserName: "alice", Password: "wrong", SourceIP: "192.0.2.1"}
	good := iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse", SourceIP: "192.0.2.2"}
	for i := 0; i < iam.UserFreeFailures; i++ {
		_, err := f.svc.SignIn(ctx, bad)
		if got := signInReason(t, err); got != iam.SignInFailed {
			t.Fatalf("failure %d: reason %v", i+1, got)
		}
	}
	// Free failures cost nothing: the right password still works.
	_, err := f.svc.SignIn(ctx, good)
	noErr(t, err)
	for i := 0; i < iam.UserFreeFailures+2; i++ {
		if i > 0 {
			f.now = f.now.Add(3 * time.Second) // outwait the first delays
		}
		_, err := f.svc.SignIn(ctx, bad)
		if got := signInReason(t, err); got != iam.SignInFailed {
			t.Fatalf("failure %d after the reset: reason %v", i+1, got)
		}
	}
	// Locked: even the right password from another address is refused
	// without being checked.
	_, err = f.svc.SignIn(ctx, good)
	var se *iam.SignInError
	if !errors.As(err, &se) || se.Reason != iam.SignInThrottled || se.RetryAfter != 2*time.Second {
		t.Fatalf("locked sign-in: %v (%+v)", err, se)
	}
	lock, err := f.svc.SignInLockout(ctx, account, "ALICE")
	noErr(t, err)
	if lock == nil || lock.Failures != iam.UserFreeFailures+2 {
		t.Fatalf("SignInLockout = %+v", lock)
	}
	noErr(t, f.svc.UnlockSignIn(ctx, account, "alice"))
	if err := f.svc.UnlockSignIn(ctx, account, "alice"); !errors.Is(err, iam.ErrNoLockout) {
		t.Fatalf("UnlockSignIn(again) = %v, want ErrNoLockout", err)
	}
	_, err = f.svc.SignIn(ctx, good)
	noErr(t, err)

	// Per address: a guesser spraying names from one address is slowed
	// after AddressFreeFailures, whatever names it tries.
	spray := iam.SignInInput{Account: account, Password: "x", SourceIP: "198.51.100.7"}
	for i := 0; i < iam.AddressFreeFailures+1; i++ {
		spray.UserName = "u" + string(rune('a'+i))
		_, _ = f.svc.SignIn(ctx, spray)
	}
	_, err = f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse", SourceIP: "198.51.100.7"})
	if got := signInReason(t, err); got != iam.SignInThrottled {
		t.Fatalf("sprayed address: reason %v, want throttled", got)
	}
	f.now = f.now.Add(2 * time.Second)
	_, err = f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse", SourceIP: "198.51.100.7"})
	noErr(t, err)
}

func TestSignInRoot(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	noErr(t, f.svc.SetRootPassword(ctx, account, "R00t-password"))
	res, err := f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "root", Password: "R00t-password"})
	noErr(t, err)
	id, err := f.svc.ConsoleAuthenticate(ctx, res.Token)
	noErr(t, err)
	if !id.Principal.IsRoot() || id.Principal.ARN != "arn:aws:iam::"+account+":root" {
		t.Fatalf("root principal = %+v", id.Principal)
	}
	// Root can do what the API lets root do.
	if _, err := f.svc.ListUsers(ctx, id.Principal, iam.ListInput{}); err != nil {
		t.Fatal(err)
	}
	noErr(t, f.svc.SetRootPassword(ctx, account, "R00t-password2"))
	if _, err := f.svc.ConsoleAuthenticate(ctx, res.Token); err == nil {
		t.Fatal("root session survived a root password change")
	}
}

// BenchmarkConsoleAuthenticate measures the per-request cost of a console
// session: one read transaction (session row and login profile).
func BenchmarkConsoleAuthenticate(b *testing.B) {
	f := newFixture(b, iam.DefaultQuotas())
	ctx := b.Context()
	if _, err := f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "alice"}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.svc.CreateLoginProfile(ctx, f.root, "alice", "Corr3ct-horse", false); err != nil {
		b.Fatal(err)
	}
	res, err := f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.svc.ConsoleAuthenticate(ctx, res.Token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignIn measures a successful sign-in: one argon2id check (the
// deliberate cost) plus the session write.
func BenchmarkSignIn(b *testing.B) {
	f := newFixture(b, iam.DefaultQuotas())
	ctx := b.Context()
	if _, err := f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "alice"}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.svc.CreateLoginProfile(ctx, f.root, "alice", "Corr3ct-horse", false); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.svc.SignIn(ctx, iam.SignInInput{Account: account, UserName: "alice", Password: "Corr3ct-horse"}); err != nil {
			b.Fatal(err)
		}
	}
}
