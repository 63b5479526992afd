package iam_test

import (
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

// userPrincipal returns the principal of a new access key of the user.
func (f *pcFixture) userPrincipal(t *testing.T, name string) *iam.Principal {
	t.Helper()
	k, err := f.svc.CreateAccessKey(t.Context(), f.root, name)
	noErr(t, err)
	return f.svc.Authenticate(k.Key.ID).Principal
}

func TestCheckPasswordPolicy(t *testing.T) {
	all := &iam.PasswordPolicy{MinimumPasswordLength: 10, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}
	for _, tt := range []struct {
		name     string
		pol      *iam.PasswordPolicy
		user     string
		password string
		want     []string
	}{
		{"default ok, three kinds", nil, "alice", "Abcdefg1", nil},
		{"default ok, symbols count", nil, "alice", "abcdef1!", nil},
		{"default too short", nil, "alice", "Abcde1!", []string{"Password should have a minimum length of 8"}},
		{"default two kinds", nil, "alice", "abcdefgh1", []string{"Password should have at least three of the following: uppercase letters, lowercase letters, numbers, symbols"}},
		{"default same as user name", nil, "Alice123", "Alice123", []string{"Password should not be identical to the user name"}},
		{"policy ok", all, "bob", "Abcdefgh1!", nil},
		{"policy length", all, "bob", "Abcdef1!", []string{"Password should have a minimum length of 10"}},
		{"policy lowercase", all, "bob", "ABCDEFGH1!", []string{"Password should have at least one lowercase letter"}},
		{"policy uppercase", all, "bob", "abcdefgh1!", []string{"Password should have at least one uppercase letter"}},
		{"policy number", all, "bob", "Abcdefghi!", []string{"Password should have at least one number"}},
		{"policy symbol", all, "bob", "Abcdefghi1", []string{"Password should have at least one symbol"}},
		{"policy symbol outside AWS's set", all, "bob", "Abcdefghi1~", []string{"Password should have at least one symbol"}},
		{"policy symbol quote", all, "bob", "Abcdefghi1'", nil},
		{"policy everything", all, "bob", "x", []string{
			"Password should have a minimum length of 10", "Password should have at least one uppercase letter",
			"Password should have at least one number", "Password should have at least one symbol"}},
		{"policy minimal", &iam.PasswordPolicy{MinimumPasswordLength: 6}, "bob", "aaaaaa", nil},
		{"policy counts characters not bytes", &iam.PasswordPolicy{MinimumPasswordLength: 6}, "bob", "ééééé", []string{"Password should have a minimum length of 6"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := iam.CheckPasswordPolicy(tt.pol, tt.user, tt.password)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("CheckPasswordPolicy = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpdateAccountPasswordPolicyRanges(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	for _, tt := range []struct {
		name string
		in   iam.PasswordPolicyInput
		msg  string // "" when valid
	}{
		{"defaults", iam.PasswordPolicyInput{}, ""},
		{"min length 6", iam.PasswordPolicyInput{MinimumPasswordLength: intp(6)}, ""},
		{"min length 128", iam.PasswordPolicyInput{MinimumPasswordLength: intp(128)}, ""},
		{"min length 5", iam.PasswordPolicyInput{MinimumPasswordLength: intp(5)},
			"1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"},
		{"min length 129", iam.PasswordPolicyInput{MinimumPasswordLength: intp(129)},
			"1 validation error detected: Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128"},
		{"max age 1", iam.PasswordPolicyInput{MaxPasswordAge: intp(1)}, ""},
		{"max age 1095", iam.PasswordPolicyInput{MaxPasswordAge: intp(1095)}, ""},
		{"max age 0", iam.PasswordPolicyInput{MaxPasswordAge: intp(0)},
			"1 validation error detected: Value '0' at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"max age 1096", iam.PasswordPolicyInput{MaxPasswordAge: intp(1096)},
			"1 validation error detected: Value '1096' at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095"},
		{"reuse 1", iam.PasswordPolicyInput{PasswordReusePrevention: intp(1)}, ""},
		{"reuse 24", iam.PasswordPolicyInput{PasswordReusePrevention: intp(24)}, ""},
		{"reuse 0", iam.PasswordPolicyInput{PasswordReusePrevention: intp(0)},
			"1 validation error detected: Value '0' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"reuse 25", iam.PasswordPolicyInput{PasswordReusePrevention: intp(25)},
			"1 validation error detected: Value '25' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"},
		{"two errors", iam.PasswordPolicyInput{MinimumPasswordLength: intp(1), PasswordReusePrevention: intp(99)},
			"2 validation errors detected: Value '1' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6; " +
				"Value '99' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := f.svc.UpdateAccountPasswordPolicy(ctx, f.root, tt.in)
			if tt.msg != "" {
				wantErr(t, err, iam.CodeValidationError, tt.msg)
				return
			}
			noErr(t, err)
		})
	}
}

func TestAccountPasswordPolicyLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	_, err := f.svc.GetAccountPasswordPolicy(ctx, f.root)
	wantErr(t, err, iam.CodeNoSuchEntity, "The Password Policy with domain name "+account+" cannot be found.")
	wantErr(t, f.svc.DeleteAccountPasswordPolicy(ctx, f.root), iam.CodeNoSuchEntity, "")

	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{
		MinimumPasswordLength: intp(12), RequireSymbols: true, AllowUsersToChangePassword: true,
		MaxPasswordAge: intp(90), PasswordReusePrevention: intp(3), HardExpiry: true}))
	p, err := f.svc.GetAccountPasswordPolicy(ctx, f.root)
	noErr(t, err)
	want := iam.PasswordPolicy{AccountID: account, MinimumPasswordLength: 12, RequireSymbols: true,
		AllowUsersToChangePassword: true, MaxPasswordAge: 90, PasswordReusePrevention: 3, HardExpiry: true}
	if *p != want || !p.ExpirePasswords() {
		t.Fatalf("policy = %+v, want %+v", *p, want)
	}
	// No partial updates: what is left out reverts to its default.
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{RequireNumbers: true}))
	p, err = f.svc.GetAccountPasswordPolicy(ctx, f.root)
	noErr(t, err)
	if want := (iam.PasswordPolicy{AccountID: account, MinimumPasswordLength: 6, RequireNumbers: true}); *p != want || p.ExpirePasswords() {
		t.Fatalf("policy = %+v, want %+v", *p, want)
	}
	noErr(t, f.svc.DeleteAccountPasswordPolicy(ctx, f.root))
	_, err = f.svc.GetAccountPasswordPolicy(ctx, f.root)
	wantCode(t, err, iam.CodeNoSuchEntity)

	// A user without permission is refused.
	f.user(t, "eve")
	eve := f.userPrincipal(t, "eve")
	wantCode(t, f.svc.UpdateAccountPasswordPolicy(ctx, eve, iam.PasswordPolicyInput{}), iam.CodeAccessDenied)
}

func TestLoginProfileLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")

	_, err := f.svc.GetLoginProfile(ctx, f.root, "alice")
	wantErr(t, err, iam.CodeNoSuchEntity, "Login Profile for User alice cannot be found.")
	_, err = f.svc.CreateLoginProfile(ctx, f.root, "nobody", "Passw0rd!", false)
	wantErr(t, err, iam.CodeNoSuchEntity, "The user with name nobody cannot be found.")

	// The default policy applies while none is set.
	_, err = f.svc.CreateLoginProfile(ctx, f.root, "alice", "short", false)
	wantErr(t, err, iam.CodePasswordPolicyViolation, "Password should have a minimum length of 8; "+
		"Password should have at least three of the following: uppercase letters, lowercase letters, numbers, symbols")

	lp, err := f.svc.CreateLoginProfile(ctx, f.root, "alice", "Passw0rd!", true)
	noErr(t, err)
	if lp.UserName != "alice" || !lp.Profile.PasswordResetRequired || !lp.Profile.CreateDate.Equal(f.now) {
		t.Fatalf("created %+v", lp.Profile)
	}
	if strings.Contains(lp.Profile.PasswordHash, "Passw0rd") || !strings.HasPrefix(lp.Profile.PasswordHash, "$argon2id$") {
		t.Fatalf("hash = %q", lp.Profile.PasswordHash)
	}
	_, err = f.svc.CreateLoginProfile(ctx, f.root, "alice", "Passw0rd!", false)
	wantErr(t, err, iam.CodeEntityAlreadyExists, "Login Profile for user alice already exists.")

	got, err := f.svc.GetLoginProfile(ctx, f.root, "alice")
	noErr(t, err)
	if got.UserName != "alice" || !got.Profile.PasswordResetRequired {
		t.Fatalf("got %+v", got.Profile)
	}

	check, err := f.svc.VerifyPassword(ctx, account, "alice", "Passw0rd!")
	noErr(t, err)
	if !check.Valid || !check.ChangeRequired {
		t.Fatalf("VerifyPassword = %+v", check)
	}
	for _, bad := range [][2]string{{"alice", "passw0rd!"}, {"nobody", "Passw0rd!"}} {
		check, err = f.svc.VerifyPassword(ctx, account, bad[0], bad[1])
		noErr(t, err)
		if check.Valid {
			t.Fatalf("VerifyPassword(%s) valid", bad)
		}
	}

	// The account policy, once set, replaces the default one.
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{
		MinimumPasswordLength: intp(9), RequireUppercaseCharacters: true, PasswordReusePrevention: intp(2)}))
	wantErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("lowercase-only"), nil), iam.CodePasswordPolicyViolation,
		"Password should have at least one uppercase letter")
	// Reuse prevention covers the current password.
	wantErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("Passw0rd!"), nil), iam.CodePasswordPolicyViolation,
		"Password should not be one of your 2 previous passwords")
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("Second-password"), boolp(false)))
	wantCode(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("Passw0rd!"), nil), iam.CodePasswordPolicyViolation)
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("Third-password"), nil))
	// Two back is outside a reuse prevention of 2.
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "alice", strp("Passw0rd!XY"), nil))
	check, err = f.svc.VerifyPassword(ctx, account, "alice", "Passw0rd!XY")
	noErr(t, err)
	if !check.Valid || check.ChangeRequired {
		t.Fatalf("VerifyPassword = %+v", check)
	}

	// DeleteUser refuses while the profile exists.
	k, err := f.svc.CreateAccessKey(ctx, f.root, "alice")
	noErr(t, err)
	noErr(t, f.svc.DeleteAccessKey(ctx, f.root, "alice", k.Key.ID))
	wantErr(t, f.svc.DeleteUser(ctx, f.root, "alice"), iam.CodeDeleteConflict, "Cannot delete entity, must delete login profile first.")
	noErr(t, f.svc.DeleteLoginProfile(ctx, f.root, "alice"))
	wantErr(t, f.svc.DeleteLoginProfile(ctx, f.root, "alice"), iam.CodeNoSuchEntity, "Login Profile for User alice cannot be found.")
	noErr(t, f.svc.DeleteUser(ctx, f.root, "alice"))
}

func TestChangePassword(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "bob")
	bob := f.userPrincipal(t, "bob")
	_, err := f.svc.CreateLoginProfile(ctx, f.root, "bob", "Original-1", true)
	noErr(t, err)

	wantCode(t, f.svc.ChangePassword(ctx, f.root, "x", "y"), iam.CodeInvalidUserType)
	// Without a policy allowing it, the user needs iam:ChangePassword.
	wantCode(t, f.svc.ChangePassword(ctx, bob, "Original-1", "Changed-22"), iam.CodeAccessDenied)
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{
		AllowUsersToChangePassword: true, RequireNumbers: true, PasswordReusePrevention: intp(1), MaxPasswordAge: intp(30), HardExpiry: true}))
	wantCode(t, f.svc.ChangePassword(ctx, bob, "wrong", "Changed-22"), iam.CodeInvalidUserType)
	wantErr(t, f.svc.ChangePassword(ctx, bob, "Original-1", "NoDigits"), iam.CodePasswordPolicyViolation,
		"Password should have at least one number")
	wantCode(t, f.svc.ChangePassword(ctx, bob, "Original-1", "Original-1"), iam.CodePasswordPolicyViolation)
	noErr(t, f.svc.ChangePassword(ctx, bob, "Original-1", "Changed-22"))
	check, err := f.svc.VerifyPassword(ctx, account, "bob", "Changed-22")
	noErr(t, err)
	want := iam.PasswordCheck{Valid: true, ExpiresAt: f.now.AddDate(0, 0, 30)}
	if check != want {
		t.Fatalf("VerifyPassword = %+v, want %+v", check, want)
	}

	// Expiry: past MaxPasswordAge a change is required; with HardExpiry
	// the user cannot change it any more.
	f.now = f.now.AddDate(0, 0, 31)
	check, err = f.svc.VerifyPassword(ctx, account, "bob", "Changed-22")
	noErr(t, err)
	if !check.Valid || !check.Expired || !check.HardExpired || !check.ChangeRequired {
		t.Fatalf("VerifyPassword after expiry = %+v", check)
	}
	wantCode(t, f.svc.ChangePassword(ctx, bob, "Changed-22", "Changed-333"), iam.CodeEntityTemporarilyUnmodifiable)
	noErr(t, f.svc.UpdateLoginProfile(ctx, f.root, "bob", strp("Reset-by-admin-4"), nil))
	f.now = f.now.Add(time.Hour)
	noErr(t, f.svc.ChangePassword(ctx, bob, "Reset-by-admin-4", "Changed-333"))

	// With iam:ChangePassword explicitly allowed, the flag is not needed.
	noErr(t, f.svc.UpdateAccountPasswordPolicy(ctx, f.root, iam.PasswordPolicyInput{}))
	noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "bob", "self", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`))
	noErr(t, f.svc.ChangePassword(ctx, bob, "Changed-333", "Changed-4444"))
}
