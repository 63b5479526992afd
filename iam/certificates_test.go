package iam_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

var serverCertIDPattern = regexp.MustCompile(`^ASCA[A-Z2-7]{17}$`)

const malformed = "Unable to parse certificate. Please ensure the certificate is in PEM format."

func TestSigningCertificates(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	f.user(t, "alice")
	key := rsaKey2048()
	body, _ := certPEM(t, "alice", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	r, err := f.svc.UploadSigningCertificate(ctx, f.root, "alice", body)
	noErr(t, err)
	if len(r.Cert.ID) != 32 || r.UserName != "alice" || r.Cert.Status != iam.StatusActive || r.Cert.Body != body {
		t.Fatalf("uploaded %+v", r.Cert)
	}
	// The root user may hold signing certificates too.
	rootBody, _ := certPEM(t, "root", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	rr, err := f.svc.UploadSigningCertificate(ctx, f.root, "", rootBody)
	noErr(t, err)
	if rr.UserName != "" {
		t.Fatalf("root certificate owner = %q", rr.UserName)
	}

	const dup = "The request was rejected because the same certificate is associated with an IAM user in the account."
	_, err = f.svc.UploadSigningCertificate(ctx, f.root, "", "\n"+body+"\n")
	wantErr(t, err, "DuplicateCertificate", dup)

	list, err := f.svc.ListSigningCertificates(ctx, f.root, "alice", iam.ListInput{})
	noErr(t, err)
	if len(list.Items) != 1 || list.Items[0].Cert.ID != r.Cert.ID {
		t.Fatalf("alice's certificates = %+v", list.Items)
	}
	noErr(t, f.svc.UpdateSigningCertificate(ctx, f.root, "alice", r.Cert.ID, iam.StatusInactive))
	list, _ = f.svc.ListSigningCertificates(ctx, f.root, "alice", iam.ListInput{})
	if list.Items[0].Cert.Status != iam.StatusInactive {
		t.Fatalf("status = %s", list.Items[0].Cert.Status)
	}
	wantErr(t, f.svc.DeleteUser(ctx, f.root, "alice"), iam.CodeDeleteConflict, "Cannot delete entity, must delete certificates first.")
	// A root certificate is not found through a user.
	wantErr(t, f.svc.DeleteSigningCertificate(ctx, f.root, "alice", rr.Cert.ID), iam.CodeNoSuchEntity,
		"The Certificate with id "+rr.Cert.ID+" cannot be found.")
	noErr(t, f.svc.DeleteSigningCertificate(ctx, f.root, "alice", r.Cert.ID))
	noErr(t, f.svc.DeleteUser(ctx, f.root, "alice"))
	noErr(t, f.svc.DeleteSigningCertificate(ctx, f.root, "", rr.Cert.ID))
}

func TestSigningCertificateErrors(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.SigningCertificatesPerUser = 1 })
	ctx := t.Context()
	f.user(t, "alice")
	f.user(t, "bob")
	key := rsaKey2048()
	first, _ := certPEM(t, "a", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	second, _ := certPEM(t, "b", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	expired, _ := certPEM(t, "c", key, nil, nil, f.now.Add(-48*time.Hour), 24*time.Hour)
	ec, _ := certPEM(t, "d", ecKey(), nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	_, err := f.svc.UploadSigningCertificate(ctx, f.root, "alice", first)
	noErr(t, err)
	for _, tc := range []struct {
		name, user, body string
		code             iam.Code
		msg              string
	}{
		{"not PEM", "bob", "hello", "MalformedCertificate", malformed},
		{"PEM of something else", "bob", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "MalformedCertificate", malformed},
		{"corrupt DER", "bob", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "MalformedCertificate", malformed},
		{"expired", "bob", expired, "MalformedCertificate", ""},
		{"not RSA", "bob", ec, "InvalidCertificate", ""},
		{"quota", "alice", second, iam.CodeLimitExceeded, "Cannot exceed quota for SigningCertificatesPerUser: 1"},
		{"duplicate in another user", "bob", first, "DuplicateCertificate", ""},
		{"no such user", "nobody", second, iam.CodeNoSuchEntity, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UploadSigningCertificate(ctx, f.root, tc.user, tc.body)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	wantErr(t, f.svc.UpdateSigningCertificate(ctx, f.root, "alice", strings.Repeat("A", 32), iam.StatusActive), iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.UpdateSigningCertificate(ctx, f.root, "alice", strings.Repeat("A", 32), "Expired"), iam.CodeValidationError, "")
}

func TestServerCertificateLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	caKey, leafKey := rsaKeyB(), rsaKey2048()
	caPEM, ca := certPEM(t, "ca", caKey, nil, nil, f.now.Add(-time.Hour), 48*time.Hour)
	leafPEM, leaf := certPEM(t, "www.example.com", leafKey, ca, caKey, f.now.Add(-time.Hour), 24*time.Hour)
	privPEM := keyPEM(t, leafKey)
	c, err := f.svc.UploadServerCertificate(ctx, f.root, iam.UploadServerCertificateInput{
		Path: "/cloudfront/", Name: "www", Body: leafPEM, PrivateKey: privPEM, Chain: caPEM, Tags: []iam.Tag{{Key: "k", Value: "v"}},
	})
	noErr(t, err)
	if !serverCertIDPattern.MatchString(c.ID) || c.ARN() != "arn:aws:iam::"+account+":server-certificate/cloudfront/www" ||
		!c.Expiration.Equal(leaf.NotAfter.UTC()) || !c.UploadDate.Equal(f.now) {
		t.Fatalf("uploaded %+v", c)
	}

	// The private key is stored only sealed, bound to the certificate ID.
	err = f.db.View(ctx, func(tx iam.Tx) error {
		stored, err := tx.ServerCertificate(account, "www")
		if err != nil {
			return err
		}
		if bytes.Contains(stored.SealedPrivateKey, []byte("PRIVATE KEY")) {
			t.Errorf("private key stored in clear")
		}
		plain, err := f.kr.Open(stored.SealedPrivateKey, []byte(stored.ID))
		if err != nil || string(plain) != privPEM {
			t.Errorf("sealed key does not open to the uploaded key: %v", err)
		}
		if _, err := f.kr.Open(stored.SealedPrivateKey, []byte("ASCAOTHER")); err == nil {
			t.Errorf("sealed key opens for another ID")
		}
		return nil
	})
	noErr(t, err)

	got, err := f.svc.GetServerCertificate(ctx, f.root, "WWW")
	noErr(t, err)
	if got.Body != strings.TrimSpace(leafPEM) || got.Chain != strings.TrimSpace(caPEM) || got.SealedPrivateKey != nil || len(got.Tags) != 1 {
		t.Fatalf("GetServerCertificate = %+v", got)
	}

	selfPEM, _ := certPEM(t, "api", leafKey, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	_, err = f.svc.UploadServerCertificate(ctx, f.root, iam.UploadServerCertificateInput{Name: "api", Body: selfPEM, PrivateKey: privPEM})
	noErr(t, err)
	page, err := f.svc.ListServerCertificates(ctx, f.root, iam.ListInput{MaxItems: 1})
	noErr(t, err)
	if len(page.Items) != 1 || page.Items[0].Name != "api" || !page.IsTruncated {
		t.Fatalf("first page = %+v", page)
	}
	page, err = f.svc.ListServerCertificates(ctx, f.root, iam.ListInput{Marker: page.Marker})
	noErr(t, err)
	if len(page.Items) != 1 || page.Items[0].Name != "www" || page.IsTruncated {
		t.Fatalf("second page = %+v", page)
	}
	page, _ = f.svc.ListServerCertificates(ctx, f.root, iam.ListInput{PathPrefix: "/cloudfront/"})
	if len(page.Items) != 1 || page.Items[0].Name != "www" {
		t.Fatalf("by path = %+v", page.Items)
	}

	newName, newPath := "www2", "/"
	noErr(t, f.svc.UpdateServerCertificate(ctx, f.root, "www", &newPath, &newName))
	_, err = f.svc.GetServerCertificate(ctx, f.root, "www")
	wantErr(t, err, iam.CodeNoSuchEntity, "The Server Certificate with name www cannot be found.")
	api := "API"
	wantErr(t, f.svc.UpdateServerCertificate(ctx, f.root, "www2", nil, &api), iam.CodeEntityAlreadyExists,
		"The Server Certificate with name API already exists.")

	noErr(t, f.svc.TagServerCertificate(ctx, f.root, "www2", []iam.Tag{{Key: "x", Value: "y"}}))
	noErr(t, f.svc.UntagServerCertificate(ctx, f.root, "www2", []string{"K", "k"})) // keys are case-sensitive here: "K" removes nothing
	tags, err := f.svc.ListServerCertificateTags(ctx, f.root, "www2", iam.ListInput{})
	noErr(t, err)
	if len(tags.Items) != 1 || tags.Items[0].Key != "x" {
		t.Fatalf("tags = %+v", tags.Items)
	}
	noErr(t, f.svc.DeleteServerCertificate(ctx, f.root, "www2"))
	wantErr(t, f.svc.DeleteServerCertificate(ctx, f.root, "www2"), iam.CodeNoSuchEntity, "")
}

// TestServerCertificateBodyCleaned checks the body and chain are stored as
// AWS keeps them: LF line breaks, no surrounding whitespace, whatever the
// upload looked like. Terraform's aws provider relies on it for an empty
// plan after uploading file("cert.pem").
func TestServerCertificateBodyCleaned(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	caKey, leafKey := rsaKeyB(), rsaKey2048()
	caPEM, ca := certPEM(t, "ca", caKey, nil, nil, f.now.Add(-time.Hour), 48*time.Hour)
	leafPEM, _ := certPEM(t, "www.example.com", leafKey, ca, caKey, f.now.Add(-time.Hour), 24*time.Hour)
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	for i, tc := range []struct{ name, body, chain string }{
		{"trailing newline", leafPEM, caPEM},
		{"CRLF", crlf(leafPEM), crlf(caPEM)},
		{"surrounding blanks", "\n\n  " + leafPEM + "\n\t", " " + caPEM + "\n\n"},
		{"already clean", strings.TrimSpace(leafPEM), strings.TrimSpace(caPEM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "c" + string(rune('0'+i))
			_, err := f.svc.UploadServerCertificate(ctx, f.root, iam.UploadServerCertificateInput{
				Name: name, Body: tc.body, Chain: tc.chain, PrivateKey: keyPEM(t, leafKey),
			})
			noErr(t, err)
			got, err := f.svc.GetServerCertificate(ctx, f.root, name)
			noErr(t, err)
			if got.Body != strings.TrimSpace(leafPEM) || got.Chain != strings.TrimSpace(caPEM) {
				t.Fatalf("stored body %q\nchain %q", got.Body, got.Chain)
			}
		})
	}
}

func TestServerCertificateErrors(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.ServerCertificatesPerAccount = 1 })
	ctx := t.Context()
	key, other := rsaKey2048(), rsaKeyB()
	body, cert := certPEM(t, "a", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	expired, _ := certPEM(t, "e", key, nil, nil, f.now.Add(-48*time.Hour), 24*time.Hour)
	unrelated, _ := certPEM(t, "x", other, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	priv := keyPEM(t, key)
	_, err := f.svc.UploadServerCertificate(ctx, f.root, iam.UploadServerCertificateInput{Name: "one", Body: body, PrivateKey: priv})
	noErr(t, err)
	_ = cert
	for _, tc := range []struct {
		name string
		in   iam.UploadServerCertificateInput
		code iam.Code
		msg  string
	}{
		{"duplicate name", iam.UploadServerCertificateInput{Name: "ONE", Body: body, PrivateKey: priv}, iam.CodeEntityAlreadyExists,
			"The Server Certificate with name ONE already exists."},
		{"malformed body", iam.UploadServerCertificateInput{Name: "two", Body: "nope", PrivateKey: priv}, "MalformedCertificate", malformed},
		{"malformed key", iam.UploadServerCertificateInput{Name: "two", Body: body, PrivateKey: "nope"}, "MalformedCertificate", ""},
		{"key mismatch", iam.UploadServerCertificateInput{Name: "two", Body: body, PrivateKey: keyPEM(t, other)}, "KeyPairMismatch",
			"The request was rejected because the public key certificate and the private key do not match."},
		{"expired", iam.UploadServerCertificateInput{Name: "two", Body: expired, PrivateKey: priv}, "MalformedCertificate", ""},
		{"chain not signing the body", iam.UploadServerCertificateInput{Name: "two", Body: body, PrivateKey: priv, Chain: unrelated},
			"MalformedCertificate", "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: 0"},
		{"quota", iam.UploadServerCertificateInput{Name: "two", Body: body, PrivateKey: priv}, iam.CodeLimitExceeded,
			"Cannot exceed quota for ServerCertificatesPerAccount: 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UploadServerCertificate(ctx, f.root, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	_, err = f.svc.GetServerCertificate(ctx, f.root, "nope")
	wantErr(t, err, iam.CodeNoSuchEntity, "The Server Certificate with name nope cannot be found.")
	// Another account's root cannot see it.
	other2 := f.otherRoot(t, "444455556666")
	_, err = f.svc.GetServerCertificate(ctx, other2, "one")
	wantErr(t, err, iam.CodeNoSuchEntity, "")
}
