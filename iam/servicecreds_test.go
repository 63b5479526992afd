package iam_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var serviceCredIDPattern = regexp.MustCompile(`^ACCA[A-Z2-7]{17}$`)

func TestServiceCredentialLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")
	f.user(t, "bob")
	n, err := f.svc.CreateServiceCredential(ctx, f.root, "alice", "codecommit.amazonaws.com", 0)
	noErr(t, err)
	c := n.Cred
	if !serviceCredIDPattern.MatchString(c.ID) || c.UserName != "alice-at-"+account || len(n.Password) != 44 || n.APIKey ||
		n.UserName != "alice" || c.Status != iam.StatusActive {
		t.Fatalf("created %+v (%+v)", n, c)
	}
	// Only an argon2id hash is stored.
	if !strings.HasPrefix(c.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(c.PasswordHash, n.Password) {
		t.Fatalf("stored hash %q", c.PasswordHash)
	}
	ok, err := f.svc.VerifyServiceCredential(ctx, c.ID, n.Password)
	if !ok || err != nil {
		t.Fatalf("Verify(password) = %v, %v", ok, err)
	}
	second, err := f.svc.CreateServiceCredential(ctx, f.root, "alice", "codecommit.amazonaws.com", 0)
	noErr(t, err)
	if second.Cred.UserName != "alice+1-at-"+account {
		t.Fatalf("second ServiceUserName = %s", second.Cred.UserName)
	}
	_, err = f.svc.CreateServiceCredential(ctx, f.root, "alice", "codecommit.amazonaws.com", 0)
	wantErr(t, err, iam.CodeLimitExceeded, "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
	// The quota is per service.
	_, err = f.svc.CreateServiceCredential(ctx, f.root, "alice", "cassandra.amazonaws.com", 0)
	noErr(t, err)
	key, err := f.svc.CreateServiceCredential(ctx, f.root, "bob", "bedrock.amazonaws.com", 30)
	noErr(t, err)
	if !key.APIKey || !strings.HasPrefix(key.Cred.UserName, "BedrockAPIKey-") || !key.Cred.ExpirationDate.Equal(f.now.AddDate(0, 0, 30)) {
		t.Fatalf("API key = %+v", key.Cred)
	}

	reset, err := f.svc.ResetServiceCredential(ctx, f.root, "alice", c.ID)
	noErr(t, err)
	if reset.Password == n.Password {
		t.Fatalf("reset kept the password")
	}
	if ok, _ := f.svc.VerifyServiceCredential(ctx, c.ID, n.Password); ok {
		t.Fatalf("old password still verifies after reset")
	}
	if ok, _ := f.svc.VerifyServiceCredential(ctx, c.ID, reset.Password); !ok {
		t.Fatalf("new password does not verify")
	}
	noErr(t, f.svc.UpdateServiceCredential(ctx, f.root, "alice", c.ID, iam.StatusInactive))
	if ok, _ := f.svc.VerifyServiceCredential(ctx, c.ID, reset.Password); ok {
		t.Fatalf("inactive credential verifies")
	}

	list, err := f.svc.ListServiceCredentials(ctx, f.root, iam.ListServiceCredentialsInput{UserName: "alice"})
	noErr(t, err)
	if len(list.Items) != 3 {
		t.Fatalf("alice's credentials = %d, want 3", len(list.Items))
	}
	list, err = f.svc.ListServiceCredentials(ctx, f.root, iam.ListServiceCredentialsInput{UserName: "alice", ServiceName: "cassandra.amazonaws.com"})
	noErr(t, err)
	if len(list.Items) != 1 {
		t.Fatalf("alice's Keyspaces credentials = %d, want 1", len(list.Items))
	}
	list, err = f.svc.ListServiceCredentials(ctx, f.root, iam.ListServiceCredentialsInput{AllUsers: true, ListInput: iam.ListInput{MaxItems: 3}})
	noErr(t, err)
	if len(list.Items) != 3 || !list.IsTruncated {
		t.Fatalf("all users, page 1 = %+v", list)
	}
	all := list.Items
	list, err = f.svc.ListServiceCredentials(ctx, f.root, iam.ListServiceCredentialsInput{AllUsers: true, ListInput: iam.ListInput{Marker: list.Marker}})
	noErr(t, err)
	if len(list.Items) != 1 || list.IsTruncated {
		t.Fatalf("all users, page 2 = %+v", list)
	}
	owners := map[string]int{}
	for _, it := range append(all, list.Items...) {
		owners[it.UserName]++
	}
	if owners["alice"] != 3 || owners["bob"] != 1 {
		t.Fatalf("owners across pages = %v", owners)
	}

	// An API key past its age reports Expired.
	f.now = f.now.AddDate(0, 0, 31)
	if got := key.Cred.StatusAt(f.now); got != "Expired" {
		t.Fatalf("status after expiry = %s", got)
	}
	if ok, _ := f.svc.VerifyServiceCredential(ctx, key.Cred.ID, key.Password); ok {
		t.Fatalf("expired API key verifies")
	}

	wantErr(t, f.svc.DeleteUser(ctx, f.root, "bob"), iam.CodeDeleteConflict, "Cannot delete entity, must remove referenced objects first.")
	noErr(t, f.svc.DeleteServiceCredential(ctx, f.root, "bob", key.Cred.ID))
	noErr(t, f.svc.DeleteUser(ctx, f.root, "bob"))
}

func TestServiceCredentialErrors(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")
	f.user(t, "bob")
	n, err := f.svc.CreateServiceCredential(ctx, f.root, "alice", "codecommit.amazonaws.com", 0)
	noErr(t, err)
	const unsupported = "The specified service does not support service-specific credentials."
	for _, tc := range []struct {
		name, user, service string
		age                 int
		code                iam.Code
		msg                 string
	}{
		{"unsupported service", "alice", "s3.amazonaws.com", 0, "NotSupportedService", unsupported},
		{"no such user", "nobody", "codecommit.amazonaws.com", 0, iam.CodeNoSuchEntity, "The user with name nobody cannot be found."},
		{"age on a password credential", "alice", "codecommit.amazonaws.com", 5, iam.CodeInvalidInput, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateServiceCredential(ctx, f.root, tc.user, tc.service, tc.age)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	_, err = f.svc.ListServiceCredentials(ctx, f.root, iam.ListServiceCredentialsInput{UserName: "alice", ServiceName: "s3.amazonaws.com"})
	wantErr(t, err, "NotSupportedService", unsupported)
	missing := "ACCAAAAAAAAAAAAAAAAAA"
	wantErr(t, f.svc.DeleteServiceCredential(ctx, f.root, "alice", missing), iam.CodeNoSuchEntity,
		"The Service Specific Credential with id "+missing+" cannot be found.")
	// Another user's credential is not found through this user.
	wantErr(t, f.svc.UpdateServiceCredential(ctx, f.root, "bob", n.Cred.ID, iam.StatusInactive), iam.CodeNoSuchEntity, "")
	_, err = f.svc.ResetServiceCredential(ctx, f.root, "bob", n.Cred.ID)
	wantErr(t, err, iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.UpdateServiceCredential(ctx, f.root, "alice", n.Cred.ID, "Expired"), iam.CodeValidationError, "")
	_ = time.Second
}
