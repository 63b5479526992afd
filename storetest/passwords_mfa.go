package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// passwordMFATests check PasswordMFATx: login profiles with their password
// history, account password policies and MFA devices.
var passwordMFATests = []test{
	{"LoginProfiles", testLoginProfiles},
	{"PasswordPolicies", testPasswordPolicies},
	{"MFADevices", testMFADevices},
}

func testLoginProfiles(t *testing.T, s iam.Store) {
	alice, bob := newUser(1, 1, "alice"), newUser(1, 2, "bob")
	create(t, s, newAccount(1), alice, bob)
	lp := &iam.LoginProfile{AccountID: accountID(1), UserID: alice.ID, PasswordHash: "$argon2id$h1",
		PasswordResetRequired: true, CreateDate: at(0), PasswordChanged: at(0)}
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "CreateLoginProfile(alice)", tx.CreateLoginProfile(lp))
		dup := *lp
		wantErr(t, "CreateLoginProfile(alice again)", tx.CreateLoginProfile(&dup), iam.ErrExists)
		if err := tx.CreateLoginProfile(&iam.LoginProfile{AccountID: accountID(1), UserID: userID(9), PasswordHash: "x",
			CreateDate: at(0), PasswordChanged: at(0)}); err == nil {
			t.Errorf("CreateLoginProfile(missing user) = nil, want an error")
		}
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.LoginProfile(alice.ID)
		noErr(t, "LoginProfile(alice)", err)
		pcEqual(t, "LoginProfile(alice)", got, lp)
		_, err = tx.LoginProfile(bob.ID)
		wantErr(t, "LoginProfile(bob)", err, iam.ErrNotFound)
		return nil
	})
	lp.History = []string{lp.PasswordHash, "$argon2id$h0"}
	lp.PasswordHash, lp.PasswordResetRequired, lp.PasswordChanged = "$argon2id$h2", false, at(time.Hour)
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "UpdateLoginProfile(alice)", tx.UpdateLoginProfile(lp))
		wantErr(t, "UpdateLoginProfile(bob)", tx.UpdateLoginProfile(&iam.LoginProfile{UserID: bob.ID}), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.LoginProfile(alice.ID)
		noErr(t, "LoginProfile(alice) after update", err)
		pcEqual(t, "LoginProfile(alice) after update", got, lp)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		// A user with a login profile cannot disappear under it.
		if err := tx.DeleteUser(alice.ID); err == nil {
			if _, err := tx.LoginProfile(alice.ID); err == nil {
				t.Errorf("DeleteUser(alice) left her login profile behind")
			}
			return nil
		}
		noErr(t, "DeleteLoginProfile(alice)", tx.DeleteLoginProfile(alice.ID))
		wantErr(t, "DeleteLoginProfile(alice again)", tx.DeleteLoginProfile(alice.ID), iam.ErrNotFound)
		noErr(t, "DeleteUser(alice) without profile", tx.DeleteUser(alice.ID))
		return nil
	})
}

func testPasswordPolicies(t *testing.T, s iam.Store) {
	p := &iam.PasswordPolicy{AccountID: accountID(1), MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true,
		MaxPasswordAge: 90, PasswordReusePrevention: 24, HardExpiry: true}
	update(t, s, func(tx iam.Tx) error {
		_, err := tx.PasswordPolicy(p.AccountID)
		wantErr(t, "PasswordPolicy(unset)", err, iam.ErrNotFound)
		wantErr(t, "DeletePasswordPolicy(unset)", tx.DeletePasswordPolicy(p.AccountID), iam.ErrNotFound)
		noErr(t, "PutPasswordPolicy", tx.PutPasswordPolicy(p))
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.PasswordPolicy(p.AccountID)
		noErr(t, "PasswordPolicy", err)
		pcEqual(t, "PasswordPolicy", got, p)
		_, err = tx.PasswordPolicy(accountID(2))
		wantErr(t, "PasswordPolicy(other account)", err, iam.ErrNotFound)
		return nil
	})
	// Put replaces the whole policy.
	p2 := &iam.PasswordPolicy{AccountID: p.AccountID, MinimumPasswordLength: 6}
	update(t, s, func(tx iam.Tx) error { return tx.PutPasswordPolicy(p2) })
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.PasswordPolicy(p.AccountID)
		noErr(t, "PasswordPolicy after replace", err)
		pcEqual(t, "PasswordPolicy after replace", got, p2)
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeletePasswordPolicy", tx.DeletePasswordPolicy(p.AccountID))
		_, err := tx.PasswordPolicy(p.AccountID)
		wantErr(t, "PasswordPolicy(deleted)", err, iam.ErrNotFound)
		return nil
	})
}

func testMFADevices(t *testing.T, s iam.Store) {
	alice := newUser(1, 1, "alice")
	create(t, s, newAccount(1), alice)
	dev := func(acct int, path, name string, d time.Duration) *iam.MFADevice {
		a := accountID(acct)
		return &iam.MFADevice{SerialNumber: "arn:aws:iam::" + a + ":mfa" + path + name, AccountID: a, Name: name, Path: path,
			SealedSeed: []byte(fmt.Sprintf("sealed-%s\x00\xff", name)), CreateDate: at(d)}
	}
	a, b, c := dev(1, "/", "phone", 0), dev(1, "/team/", "key", time.Minute), dev(1, "/", "root", 2*time.Minute)
	other := dev(2, "/", "phone", 0)
	update(t, s, func(tx iam.Tx) error {
		for _, d := range []*iam.MFADevice{a, b, c, other} {
			noErr(t, "CreateMFADevice("+d.SerialNumber+")", tx.CreateMFADevice(d))
		}
		wantErr(t, "CreateMFADevice(same serial)", tx.CreateMFADevice(dev(1, "/", "phone", 0)), iam.ErrExists)
		wantErr(t, "CreateMFADevice(same name, other case and path)", tx.CreateMFADevice(dev(1, "/x/", "PHONE", 0)), iam.ErrExists)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		got, err := tx.MFADevice(a.SerialNumber)
		noErr(t, "MFADevice(a)", err)
		pcEqual(t, "MFADevice(a)", got, a)
		_, err = tx.MFADevice("arn:aws:iam::" + accountID(1) + ":mfa/missing")
		wantErr(t, "MFADevice(missing)", err, iam.ErrNotFound)
		list, err := tx.MFADevices(accountID(1))
		noErr(t, "MFADevices", err)
		pcEqual(t, "MFADevices", list, []*iam.MFADevice{a, c, b}) // by serial: mfa/phone, mfa/root, mfa/team/key
		mine, err := tx.UserMFADevices(accountID(1), alice.ID)
		noErr(t, "UserMFADevices(none)", err)
		if len(mine) != 0 {
			t.Errorf("UserMFADevices before enabling = %d devices", len(mine))
		}
		return nil
	})
	// Assign b then a to alice, c to the root user.
	b.UserID, b.EnableDate, b.LastStep, b.Drift, b.Tags = alice.ID, at(time.Hour), 1000, -2, []iam.Tag{{Key: "k", Value: "v"}}
	a.UserID, a.EnableDate, a.LastStep = alice.ID, at(2*time.Hour), 2000
	c.UserID, c.EnableDate = accountID(1), at(time.Hour)
	update(t, s, func(tx iam.Tx) error {
		for _, d := range []*iam.MFADevice{a, b, c} {
			noErr(t, "UpdateMFADevice("+d.Name+")", tx.UpdateMFADevice(d))
		}
		wantErr(t, "UpdateMFADevice(missing)", tx.UpdateMFADevice(dev(3, "/", "x", 0)), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		mine, err := tx.UserMFADevices(accountID(1), alice.ID)
		noErr(t, "UserMFADevices(alice)", err)
		pcEqual(t, "UserMFADevices(alice)", mine, []*iam.MFADevice{b, a}) // by enable date
		root, err := tx.UserMFADevices(accountID(1), accountID(1))
		noErr(t, "UserMFADevices(root)", err)
		pcEqual(t, "UserMFADevices(root)", root, []*iam.MFADevice{c})
		none, err := tx.UserMFADevices(accountID(1), "")
		noErr(t, "UserMFADevices(\"\")", err)
		if len(none) != 0 {
			t.Errorf("UserMFADevices(\"\") = %d devices, want none", len(none))
		}
		return nil
	})
	update(t, s, func(tx iam.Tx) error {
		noErr(t, "DeleteMFADevice(a)", tx.DeleteMFADevice(a.SerialNumber))
		wantErr(t, "DeleteMFADevice(a again)", tx.DeleteMFADevice(a.SerialNumber), iam.ErrNotFound)
		return nil
	})
	view(t, s, func(tx iam.Tx) error {
		list, err := tx.MFADevices(accountID(1))
		noErr(t, "MFADevices after delete", err)
		pcEqual(t, "MFADevices after delete", list, []*iam.MFADevice{c, b})
		list, err = tx.MFADevices(accountID(2))
		noErr(t, "MFADevices(other account)", err)
		pcEqual(t, "MFADevices(other account)", list, []*iam.MFADevice{other})
		return nil
	})
}
