package iam_test

import (
	"crypto/md5"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var sshKeyIDPattern = regexp.MustCompile(`^APKA[A-Z2-7]{17}$`)

func md5Fingerprint(k *rsa.PublicKey) string {
	sum := md5.Sum(sshBlob(k))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

func TestSSHPublicKeyLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")
	pub := &rsaKey2048().PublicKey
	r, err := f.svc.UploadSSHPublicKey(ctx, f.root, "alice", sshRSA(pub))
	noErr(t, err)
	k := r.Key
	if !sshKeyIDPattern.MatchString(k.ID) || r.UserName != "alice" || k.Status != iam.StatusActive || !k.UploadDate.Equal(f.now) {
		t.Fatalf("uploaded %+v", r)
	}
	if want := md5Fingerprint(pub); k.Fingerprint != want {
		t.Fatalf("Fingerprint = %s, want %s", k.Fingerprint, want)
	}

	got, err := f.svc.GetSSHPublicKey(ctx, f.root, "alice", k.ID, iam.EncodingSSH)
	noErr(t, err)
	if want := strings.TrimSuffix(sshRSA(pub), " test@example"); got.Key.Body != want {
		t.Fatalf("SSH body = %q, want %q", got.Key.Body, want)
	}
	got, err = f.svc.GetSSHPublicKey(ctx, f.root, "alice", k.ID, iam.EncodingPEM)
	noErr(t, err)
	if got.Key.Body != pkixPEM(t, pub) {
		t.Fatalf("PEM body = %q", got.Key.Body)
	}

	// A PEM upload of the same key is the same key.
	_, err = f.svc.UploadSSHPublicKey(ctx, f.root, "alice", pkixPEM(t, pub))
	wantErr(t, err, "DuplicateSSHPublicKey", "The request was rejected because the SSH public key is already associated with the specified IAM user.")

	// PKCS #1 PEM is accepted too.
	f.now = f.now.Add(time.Second)
	other := &rsaKeyB().PublicKey
	second, err := f.svc.UploadSSHPublicKey(ctx, f.root, "alice", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1(other)})))
	noErr(t, err)

	list, err := f.svc.ListSSHPublicKeys(ctx, f.root, "alice", iam.ListInput{MaxItems: 1})
	noErr(t, err)
	if len(list.Items) != 1 || !list.IsTruncated || list.Items[0].Key.ID != k.ID {
		t.Fatalf("first page = %+v", list)
	}
	list, err = f.svc.ListSSHPublicKeys(ctx, f.root, "alice", iam.ListInput{Marker: list.Marker})
	noErr(t, err)
	if len(list.Items) != 1 || list.IsTruncated {
		t.Fatalf("second page = %+v", list)
	}
	// The root user has no SSH keys.
	list, err = f.svc.ListSSHPublicKeys(ctx, f.root, "", iam.ListInput{})
	noErr(t, err)
	if len(list.Items) != 0 {
		t.Fatalf("root's keys = %+v", list.Items)
	}

	noErr(t, f.svc.UpdateSSHPublicKey(ctx, f.root, "alice", k.ID, iam.StatusInactive))
	got, _ = f.svc.GetSSHPublicKey(ctx, f.root, "alice", k.ID, iam.EncodingSSH)
	if got.Key.Status != iam.StatusInactive {
		t.Fatalf("status = %s", got.Key.Status)
	}
	wantErr(t, f.svc.DeleteUser(ctx, f.root, "alice"), iam.CodeDeleteConflict, "Cannot delete entity, must remove referenced objects first.")
	for _, it := range []string{k.ID, second.Key.ID} {
		noErr(t, f.svc.DeleteSSHPublicKey(ctx, f.root, "alice", it))
	}
	noErr(t, f.svc.DeleteUser(ctx, f.root, "alice"))
}

func TestSSHPublicKeyErrors(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.SSHPublicKeysPerUser = 1 })
	ctx := t.Context()
	f.user(t, "alice")
	f.user(t, "bob")
	pub := &rsaKey2048().PublicKey
	r, err := f.svc.UploadSSHPublicKey(ctx, f.root, "alice", sshRSA(pub))
	noErr(t, err)
	const unrecognized = "The request was rejected because the public key encoding format is unsupported or unrecognized."
	const invalid = "The request was rejected because the public key is malformed or otherwise invalid."
	for _, tc := range []struct {
		name, user, body string
		code             iam.Code
		msg              string
	}{
		{"no such user", "nobody", sshRSA(pub), iam.CodeNoSuchEntity, "The user with name nobody cannot be found."},
		{"garbage", "bob", "hello world", "UnrecognizedPublicKeyEncoding", unrecognized},
		{"ed25519", "bob", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINZdnibh3sf0FMSip5VC4PHMaI0NE/GJ8Qwg4LSuDRwi x", "UnrecognizedPublicKeyEncoding", unrecognized},
		{"bad base64", "bob", "ssh-rsa !!!not-base64", "InvalidPublicKey", invalid},
		{"truncated blob", "bob", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB", "InvalidPublicKey", invalid},
		{"bad PEM", "bob", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "InvalidPublicKey", invalid},
		{"1024-bit key", "bob", sshRSA(&rsaKey1024().PublicKey), "InvalidPublicKey", invalid},
		{"quota", "alice", sshRSA(&rsaKeyB().PublicKey), iam.CodeLimitExceeded, "Cannot exceed quota for PublicKeysPerUser: 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UploadSSHPublicKey(ctx, f.root, tc.user, tc.body)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// The same key may belong to two users.
	_, err = f.svc.UploadSSHPublicKey(ctx, f.root, "bob", sshRSA(pub))
	noErr(t, err)

	missing := "APKAAAAAAAAAAAAAAAAAA"
	_, err = f.svc.GetSSHPublicKey(ctx, f.root, "alice", missing, iam.EncodingSSH)
	wantErr(t, err, iam.CodeNoSuchEntity, "The Public Key with id "+missing+" cannot be found.")
	// Another user's key is not found through this user.
	_, err = f.svc.GetSSHPublicKey(ctx, f.root, "bob", r.Key.ID, iam.EncodingSSH)
	wantErr(t, err, iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.UpdateSSHPublicKey(ctx, f.root, "alice", r.Key.ID, "Expired"), iam.CodeValidationError, "")
	wantErr(t, f.svc.UpdateSSHPublicKey(ctx, f.root, "alice", missing, iam.StatusActive), iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.DeleteSSHPublicKey(ctx, f.root, "bob", r.Key.ID), iam.CodeNoSuchEntity, "")
	_, err = f.svc.ListSSHPublicKeys(ctx, f.root, "nobody", iam.ListInput{})
	wantErr(t, err, iam.CodeNoSuchEntity, "")
}
