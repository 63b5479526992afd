package iam_test

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// RFC 6238 appendix B, SHA1 rows: the seed is the ASCII of
// "12345678901234567890"; IAM's six-digit codes are the last six digits of
// the RFC's eight.
func TestTOTPCodeRFC6238(t *testing.T) {
	seed := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	for _, tt := range []struct {
		unix int64
		want string // eight digits
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		got, err := iam.TOTPCode(seed, tt.unix/30)
		noErr(t, err)
		if got != tt.want[2:] {
			t.Errorf("TOTPCode(T=%d) = %s, want %s", tt.unix, got, tt.want[2:])
		}
	}
}

func code(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	c, err := iam.TOTPCode(seed, at.Unix()/30)
	noErr(t, err)
	return c
}

var serialPattern = regexp.MustCompile(`^arn:aws:iam::111122223333:mfa/team/phone$`)

func TestVirtualMFADeviceLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")

	d, err := f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: "phone", Path: "/team/", Tags: []iam.Tag{{Key: "k", Value: "v"}}})
	noErr(t, err)
	serial := d.Device.SerialNumber
	if !serialPattern.MatchString(serial) || len(d.Base32StringSeed) != 64 {
		t.Fatalf("created %s seed %q", serial, d.Base32StringSeed)
	}
	if _, err := png.Decode(bytes.NewReader(d.QRCodePNG)); err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	if bytes.Contains(d.Device.SealedSeed, []byte(d.Base32StringSeed)) {
		t.Fatal("seed stored in the clear")
	}
	_, err = f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: "PHONE"})
	wantErr(t, err, iam.CodeEntityAlreadyExists, "MFADevice entity at the same path and name already exists.")

	seed := d.Base32StringSeed
	now := f.now
	// Wrong codes, and codes out of order, are refused.
	wantErr(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial, "000000", "000000"), iam.CodeInvalidAuthenticationCode,
		"Authentication code for device is not valid.")
	wantCode(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial, code(t, seed, now), code(t, seed, now.Add(-30*time.Second))),
		iam.CodeInvalidAuthenticationCode)
	// Codes too old are refused.
	wantCode(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial, code(t, seed, now.Add(-5*time.Minute)), code(t, seed, now.Add(-270*time.Second))),
		iam.CodeInvalidAuthenticationCode)
	wantCode(t, f.svc.EnableMFADevice(ctx, f.root, "nobody", serial, "000000", "000000"), iam.CodeNoSuchEntity)
	wantCode(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial+"x", "000000", "000000"), iam.CodeNoSuchEntity)

	// Two consecutive codes: the previous step's and the current one's.
	noErr(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial, code(t, seed, now.Add(-30*time.Second)), code(t, seed, now)))
	wantErr(t, f.svc.EnableMFADevice(ctx, f.root, "alice", serial, "000000", "000000"), iam.CodeEntityAlreadyExists, "MFA Device is already in use.")

	list, err := f.svc.ListMFADevices(ctx, f.root, "alice", iam.ListInput{})
	noErr(t, err)
	if len(list.Items) != 1 || list.Items[0].Device.SerialNumber != serial || list.Items[0].UserName != "alice" || !list.Items[0].Device.EnableDate.Equal(now) {
		t.Fatalf("ListMFADevices = %+v", list.Items)
	}
	alice := f.userPrincipal(t, "alice")
	_, err = f.svc.ListMFADevices(ctx, alice, "", iam.ListInput{})
	wantCode(t, err, iam.CodeAccessDenied)
	noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "alice", "self",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListMFADevices","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`))
	list, err = f.svc.ListMFADevices(ctx, alice, "", iam.ListInput{}) // the caller's own
	noErr(t, err)
	if len(list.Items) != 1 {
		t.Fatalf("ListMFADevices(caller) = %+v", list.Items)
	}
	got, err := f.svc.GetMFADevice(ctx, f.root, "alice", serial)
	noErr(t, err)
	if got.UserName != "alice" {
		t.Fatalf("GetMFADevice = %+v", got)
	}

	// VerifyMFA: the current step's code was spent by EnableMFADevice; the
	// next one works once, and never again.
	v, err := f.svc.VerifyMFA(ctx, serial, code(t, seed, now))
	noErr(t, err)
	if v.Valid {
		t.Fatal("code spent by EnableMFADevice accepted again")
	}
	next := code(t, seed, now.Add(30*time.Second))
	v, err = f.svc.VerifyMFA(ctx, serial, next)
	noErr(t, err)
	if !v.Valid || v.AccountID != account || v.UserID == "" {
		t.Fatalf("VerifyMFA = %+v", v)
	}
	v, err = f.svc.VerifyMFA(ctx, serial, next)
	noErr(t, err)
	if v.Valid {
		t.Fatal("replayed code accepted")
	}
	// Out of the window.
	f.now = now.Add(10 * time.Minute)
	v, err = f.svc.VerifyMFA(ctx, serial, code(t, seed, now.Add(2*time.Minute)))
	noErr(t, err)
	if v.Valid {
		t.Fatal("stale code accepted")
	}

	// Resync to a device clock two minutes behind.
	lag := f.now.Add(-2 * time.Minute)
	noErr(t, f.svc.ResyncMFADevice(ctx, f.root, "alice", serial, code(t, seed, lag.Add(-30*time.Second)), code(t, seed, lag)))
	v, err = f.svc.VerifyMFA(ctx, serial, code(t, seed, lag.Add(30*time.Second)))
	noErr(t, err)
	if !v.Valid {
		t.Fatal("code of the resynced device refused")
	}

	// DeleteUser refuses while a device is assigned.
	wantErr(t, f.svc.DeleteVirtualMFADevice(ctx, f.root, serial), iam.CodeDeleteConflict, "")
	ak, err := f.svc.ListAccessKeys(ctx, f.root, "alice", iam.ListInput{})
	noErr(t, err)
	for _, k := range ak.Page.Items {
		noErr(t, f.svc.DeleteAccessKey(ctx, f.root, "alice", k.ID))
	}
	wantErr(t, f.svc.DeleteUser(ctx, f.root, "alice"), iam.CodeDeleteConflict, "Cannot delete entity, must delete MFA device first.")
	noErr(t, f.svc.DeleteInlinePolicy(ctx, f.root, iam.OwnerUser, "alice", "self"))

	// Tags.
	noErr(t, f.svc.TagMFADevice(ctx, f.root, serial, []iam.Tag{{Key: "b", Value: "2"}}))
	noErr(t, f.svc.UntagMFADevice(ctx, f.root, serial, []string{"K", "k"})) // keys are case-sensitive here: "K" removes nothing
	tags, err := f.svc.ListMFADeviceTags(ctx, f.root, serial, iam.ListInput{})
	noErr(t, err)
	if len(tags.Items) != 1 || tags.Items[0] != (iam.Tag{Key: "b", Value: "2"}) {
		t.Fatalf("tags = %+v", tags.Items)
	}

	// Assignment filters.
	_, err = f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: "spare"})
	noErr(t, err)
	for status, want := range map[string]string{"": serial + "," + "arn:aws:iam::" + account + ":mfa/spare",
		iam.AssignmentAny:      serial + "," + "arn:aws:iam::" + account + ":mfa/spare",
		iam.AssignmentAssigned: serial, iam.AssignmentUnassigned: "arn:aws:iam::" + account + ":mfa/spare"} {
		p, err := f.svc.ListVirtualMFADevices(ctx, f.root, status, iam.ListInput{})
		noErr(t, err)
		var got []string
		for _, r := range p.Items {
			got = append(got, r.Device.SerialNumber)
			if r.Device.Assigned() != (r.User != nil) {
				t.Fatalf("%s: User = %v for %+v", status, r.User, r.Device)
			}
		}
		// ARNs sort "mfa/spare" before "mfa/team/phone".
		if g := strings.Join(got, ","); len(got) == 2 && g != "arn:aws:iam::"+account+":mfa/spare,"+serial || len(got) < 2 && g != want {
			t.Fatalf("ListVirtualMFADevices(%q) = %s, want %s", status, g, want)
		}
	}

	// Deactivate, then delete.
	wantCode(t, f.svc.DeactivateMFADevice(ctx, f.root, "alice", "arn:aws:iam::"+account+":mfa/spare"), iam.CodeNoSuchEntity)
	noErr(t, f.svc.DeactivateMFADevice(ctx, f.root, "alice", serial))
	v, err = f.svc.VerifyMFA(ctx, serial, code(t, seed, f.now))
	noErr(t, err)
	if v.Valid {
		t.Fatal("deactivated device accepted")
	}
	noErr(t, f.svc.DeleteVirtualMFADevice(ctx, f.root, serial))
	wantErr(t, f.svc.DeleteVirtualMFADevice(ctx, f.root, serial), iam.CodeNoSuchEntity, "VirtualMFADevice with serial number "+serial+" doesn't exist.")
	noErr(t, f.svc.DeleteUser(ctx, f.root, "alice"))
}

func TestMFAQuotaAndRoot(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.MFADevicesPerUser = 2 })
	ctx := t.Context()
	f.user(t, "bob")
	enable := func(user, name string) error {
		d, err := f.svc.CreateVirtualMFADevice(ctx, f.root, iam.CreateVirtualMFADeviceInput{Name: name})
		noErr(t, err)
		f.now = f.now.Add(time.Minute) // fresh steps for each device
		return f.svc.EnableMFADevice(ctx, f.root, user, d.Device.SerialNumber,
			code(t, d.Base32StringSeed, f.now.Add(-30*time.Second)), code(t, d.Base32StringSeed, f.now))
	}
	noErr(t, enable("bob", "b1"))
	noErr(t, enable("bob", "b2"))
	wantErr(t, enable("bob", "b3"), iam.CodeLimitExceeded, "Cannot exceed quota for MFADevicesInUsePerUser: 2")

	// The root user's own device.
	noErr(t, enable("", "root-device"))
	list, err := f.svc.ListMFADevices(ctx, f.root, "", iam.ListInput{})
	noErr(t, err)
	if len(list.Items) != 1 || list.Items[0].UserName != account || !list.Items[0].Root {
		t.Fatalf("root's devices = %+v", list.Items)
	}
	all, err := f.svc.ListVirtualMFADevices(ctx, f.root, iam.AssignmentAssigned, iam.ListInput{})
	noErr(t, err)
	roots := 0
	for _, r := range all.Items {
		if r.Root {
			roots++
		}
	}
	if len(all.Items) != 3 || roots != 1 {
		t.Fatalf("assigned = %d, root's = %d", len(all.Items), roots)
	}
}
