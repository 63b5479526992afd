package e2e

import (
	"bytes"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pquerna/otp/totp"
)

func totpCode(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(seed, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVirtualMFADevice drives a virtual MFA device's whole life through
// aws-sdk-go-v2, computing codes from the returned seed as an
// authenticator app does.
func TestVirtualMFADevice(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	carol := s.newActor(t, "carol")

	out, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{
		VirtualMFADeviceName: aws.String("carol-phone"),
		Tags:                 []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	dev := out.VirtualMFADevice
	serial := aws.ToString(dev.SerialNumber)
	if serial != "arn:aws:iam::"+testAccount+":mfa/carol-phone" {
		t.Fatalf("SerialNumber = %s", serial)
	}
	seed := string(dev.Base32StringSeed)
	if len(seed) != 64 || strings.Trim(seed, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("Base32StringSeed = %q", seed)
	}
	if _, err := png.Decode(bytes.NewReader(dev.QRCodePNG)); err != nil {
		t.Fatalf("QRCodePNG is not a PNG: %v", err)
	}
	_, err = root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("carol-phone")})
	wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)

	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	e := wantAPIError(t, err, "InvalidAuthenticationCode", http.StatusForbidden)
	if e.ErrorMessage() != "Authentication code for device is not valid." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	now := time.Now()
	if _, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))),
		AuthenticationCode2: aws.String(totpCode(t, seed, now))}); err != nil {
		t.Fatalf("EnableMFADevice: %v", err)
	}

	list, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.MFADevices) != 1 || aws.ToString(list.MFADevices[0].SerialNumber) != serial ||
		aws.ToString(list.MFADevices[0].UserName) != "carol" || list.MFADevices[0].EnableDate == nil {
		t.Fatalf("ListMFADevices = %+v", list.MFADevices)
	}
	assigned, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(assigned.VirtualMFADevices) != 1 || assigned.VirtualMFADevices[0].User == nil ||
		aws.ToString(assigned.VirtualMFADevices[0].User.UserName) != "carol" || assigned.VirtualMFADevices[0].Base32StringSeed != nil {
		t.Fatalf("ListVirtualMFADevices(Assigned) = %+v", assigned.VirtualMFADevices)
	}
	unassigned, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(unassigned.VirtualMFADevices) != 0 {
		t.Fatalf("ListVirtualMFADevices(Unassigned) = %+v", unassigned.VirtualMFADevices)
	}
	tags, err := root.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(serial)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("ListMFADeviceTags = %+v, %v", tags, err)
	}

	// The device's next code signs carol into an MFA session, once.
	next := totpCode(t, seed, now.Add(30*time.Second))
	if _, err := carol.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(next)}); err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	_, err = carol.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(next)})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)

	if _, err := root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("carol"), SerialNumber: aws.String(serial)}); err != nil {
		t.Fatalf("DeactivateMFADevice: %v", err)
	}
	list, err = root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("carol")})
	if err != nil || len(list.MFADevices) != 0 {
		t.Fatalf("ListMFADevices after deactivation = %+v, %v", list, err)
	}
	if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil {
		t.Fatalf("DeleteVirtualMFADevice: %v", err)
	}
	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	all, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
	if err != nil || len(all.VirtualMFADevices) != 0 {
		t.Fatalf("ListVirtualMFADevices after delete = %+v, %v", all, err)
	}
}

// TestLoginProfileAndPasswordPolicy covers console passwords: the account
// policy, violations, and a user changing its own password.
func TestLoginProfileAndPasswordPolicy(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	dave := s.newActor(t, "dave")

	_, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	e := wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if want := "The Password Policy with domain name " + testAccount + " cannot be found."; e.ErrorMessage() != want {
		t.Errorf("message = %q, want %q", e.ErrorMessage(), want)
	}
	_, err = root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)
	if _, err := root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(10), RequireSymbols: true, RequireNumbers: true,
		AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(5),
	}); err != nil {
		t.Fatal(err)
	}
	pol, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p := pol.PasswordPolicy
	if aws.ToInt32(p.MinimumPasswordLength) != 10 || !p.RequireSymbols || !p.RequireNumbers || p.RequireUppercaseCharacters ||
		!p.AllowUsersToChangePassword || !p.ExpirePasswords || aws.ToInt32(p.MaxPasswordAge) != 90 ||
		aws.ToInt32(p.PasswordReusePrevention) != 5 || aws.ToBool(p.HardExpiry) {
		t.Fatalf("PasswordPolicy = %+v", p)
	}

	for _, tt := range []struct{ password, msg string }{
		{"short1!", "Password should have a minimum length of 10"},
		{"no-digits-here", "Password should have at least one number"},
		{"nosymbols12345", "Password should have at least one symbol"},
		{"x", "Password should have a minimum length of 10; Password should have at least one number; Password should have at least one symbol"},
	} {
		_, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dave"), Password: aws.String(tt.password)})
		e := wantAPIError(t, err, "PasswordPolicyViolation", http.StatusBadRequest)
		if e.ErrorMessage() != tt.msg {
			t.Errorf("%q: message = %q, want %q", tt.password, e.ErrorMessage(), tt.msg)
		}
	}
	created, err := root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dave"),
		Password: aws.String("first-pass-1!"), PasswordResetRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.LoginProfile.UserName) != "dave" || !created.LoginProfile.PasswordResetRequired || created.LoginProfile.CreateDate == nil {
		t.Fatalf("LoginProfile = %+v", created.LoginProfile)
	}
	_, err = root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dave"), Password: aws.String("first-pass-1!")})
	wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)

	// dave changes his own password: the policy allows it.
	_, err = dave.iam.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("first-pass-1!"), NewPassword: aws.String("weak")})
	wantAPIError(t, err, "PasswordPolicyViolation", http.StatusBadRequest)
	_, err = dave.iam.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("first-pass-1!"), NewPassword: aws.String("first-pass-1!")})
	wantAPIError(t, err, "PasswordPolicyViolation", http.StatusBadRequest)
	if _, err := dave.iam.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("first-pass-1!"),
		NewPassword: aws.String("second-pass-2!")}); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	got, err := root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("dave")})
	if err != nil || got.LoginProfile.PasswordResetRequired {
		t.Fatalf("GetLoginProfile after change = %+v, %v", got, err)
	}
	// Without AllowUsersToChangePassword, dave needs iam:ChangePassword.
	if _, err := root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = dave.iam.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("second-pass-2!"), NewPassword: aws.String("third-pass-3!")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = root.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("x"), NewPassword: aws.String("y")})
	wantAPIError(t, err, "InvalidUserType", http.StatusBadRequest)

	if _, err := root.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("dave"), PasswordResetRequired: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dave")})
	e = wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if !strings.Contains(e.ErrorMessage(), "access keys") && e.ErrorMessage() != "Cannot delete entity, must delete login profile first." {
		t.Errorf("DeleteUser message = %q", e.ErrorMessage())
	}
	if _, err := root.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("dave")})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "Login Profile for User dave cannot be found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	if _, err := root.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
}
