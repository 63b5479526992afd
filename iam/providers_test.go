package iam_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// pcFixture is a Service whose store and keyring the tests can inspect.
type pcFixture struct {
	svc  *iam.Service
	db   *sqlite.DB
	kr   *keyring.Keyring
	root *iam.Principal
	now  time.Time
}

// newPCFixture starts a Service with AWS's default quotas, changed by
// adjust when it is not nil.
func newPCFixture(t *testing.T, adjust func(*iam.Quotas)) *pcFixture {
	t.Helper()
	quotas := iam.DefaultQuotas()
	if adjust != nil {
		adjust(&quotas)
	}
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
	f := &pcFixture{db: db, kr: kr, now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	f.svc, err = iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Quotas: quotas, Clock: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := f.svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	f.root = f.svc.Authenticate(boot.RootAccessKeyID).Principal
	return f
}

func (f *pcFixture) user(t *testing.T, name string) *iam.User {
	t.Helper()
	u, err := f.svc.CreateUser(t.Context(), f.root, iam.CreateUserInput{UserName: name})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// otherRoot returns the root principal of a second account of the same
// deployment.
func (f *pcFixture) otherRoot(t *testing.T, id string) *iam.Principal {
	t.Helper()
	err := f.db.Update(t.Context(), func(tx iam.Tx) error {
		return tx.CreateAccount(&iam.Account{ID: id, CreateDate: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &iam.Principal{Type: iam.PrincipalRoot, AccountID: id, ARN: "arn:aws:iam::" + id + ":root", UserID: id}
}

// wantErr fails unless err has the code and, when msg is not empty, the
// message.
func wantErr(t *testing.T, err error, code iam.Code, msg string) {
	t.Helper()
	wantCode(t, err, code)
	var e *iam.Error
	if msg != "" && (!asError(err, &e) || e.Message != msg) {
		t.Fatalf("message = %q, want %q", err, msg)
	}
}

func asError(err error, target **iam.Error) bool {
	e, ok := err.(*iam.Error)
	if ok {
		*target = e
	}
	return ok
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// --- test material

var (
	rsaKey2048 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	rsaKeyB    = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	rsaKey1024 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(1024) })
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func ecKey() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// certPEM issues a certificate for key, signed by parent (self-signed when
// nil), valid from notBefore for validFor.
func certPEM(t *testing.T, cn string, key any, parent *x509.Certificate, parentKey any, notBefore time.Time, validFor time.Duration) (string, *x509.Certificate) {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validFor),
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	var pk any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pk = &k.PublicKey
	case *ecdsa.PrivateKey:
		pk = &k.PublicKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pk, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), c
}

func keyPEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// sshRSA formats an RSA public key as an OpenSSH authorized_keys line.
func sshRSA(k *rsa.PublicKey) string {
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(sshBlob(k)) + " test@example"
}

func sshBlob(k *rsa.PublicKey) []byte {
	str := func(b []byte, s []byte) []byte { return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...) }
	mp := func(x *big.Int) []byte {
		b := x.Bytes()
		if len(b) > 0 && b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	var b []byte
	b = str(b, []byte("ssh-rsa"))
	b = str(b, mp(big.NewInt(int64(k.E))))
	return str(b, mp(k.N))
}

func pkixPEM(t *testing.T, k *rsa.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// samlMetadata is an IdP metadata document with a signing certificate.
func samlMetadata(t *testing.T, validUntil string) string {
	t.Helper()
	cert, _ := certPEM(t, "idp", ecKey(), nil, nil, time.Now().Add(-time.Hour), 365*24*time.Hour)
	block, _ := pem.Decode([]byte(cert))
	attr := ""
	if validUntil != "" {
		attr = ` validUntil="` + validUntil + `"`
	}
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml"` + attr + `>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(block.Bytes) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
	return pad(doc)
}

// pad lengthens a document to the model's 1,000-character minimum with an
// XML comment.
func pad(doc string) string {
	if len(doc) >= 1000 {
		return doc
	}
	return doc + "\n<!--" + strings.Repeat(" ", 1000-len(doc)) + "-->"
}

// --- OpenID Connect

const thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

func TestOIDCProviderLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	p, err := f.svc.CreateOIDCProvider(ctx, f.root, iam.CreateOIDCProviderInput{
		URL: "https://token.actions.example.com/org", ClientIDs: []string{"sts.amazonaws.com", "sts.amazonaws.com"},
		Thumbprints: []string{thumb}, Tags: []iam.Tag{{Key: "team", Value: "ci"}},
	})
	noErr(t, err)
	arn := "arn:aws:iam::" + account + ":oidc-provider/token.actions.example.com/org"
	if p.ARN() != arn {
		t.Fatalf("ARN = %s, want %s", p.ARN(), arn)
	}
	got, err := f.svc.GetOIDCProvider(ctx, f.root, arn)
	noErr(t, err)
	if got.URL != "token.actions.example.com/org" || len(got.ClientIDs) != 1 || got.Thumbprints[0] != thumb || !got.CreateDate.Equal(f.now) {
		t.Fatalf("GetOIDCProvider = %+v", got)
	}
	// Thumbprints are optional since AWS trusts the IdP's CA itself.
	_, err = f.svc.CreateOIDCProvider(ctx, f.root, iam.CreateOIDCProviderInput{URL: "https://accounts.example.com"})
	noErr(t, err)
	list, err := f.svc.ListOIDCProviders(ctx, f.root)
	noErr(t, err)
	if len(list) != 2 || list[0].URL != "accounts.example.com" {
		t.Fatalf("ListOIDCProviders = %+v", list)
	}

	noErr(t, f.svc.AddClientIDToOIDCProvider(ctx, f.root, arn, "web"))
	noErr(t, f.svc.AddClientIDToOIDCProvider(ctx, f.root, arn, "web")) // idempotent
	noErr(t, f.svc.RemoveClientIDFromOIDCProvider(ctx, f.root, arn, "sts.amazonaws.com"))
	noErr(t, f.svc.RemoveClientIDFromOIDCProvider(ctx, f.root, arn, "absent")) // idempotent
	noErr(t, f.svc.UpdateOIDCProviderThumbprint(ctx, f.root, arn, []string{thumb, strings.ToUpper(thumb)}))
	got, _ = f.svc.GetOIDCProvider(ctx, f.root, arn)
	if strings.Join(got.ClientIDs, ",") != "web" || len(got.Thumbprints) != 2 {
		t.Fatalf("after updates = %+v", got)
	}

	noErr(t, f.svc.TagOIDCProvider(ctx, f.root, arn, []iam.Tag{{Key: "TEAM", Value: "platform"}, {Key: "env", Value: "prod"}}))
	// OIDC provider tag keys are case-sensitive (IAM User Guide, Rules for
	// tagging): TEAM is a second tag beside team, and "Env" removes nothing.
	noErr(t, f.svc.UntagOIDCProvider(ctx, f.root, arn, []string{"Env", "team"}))
	tags, err := f.svc.ListOIDCProviderTags(ctx, f.root, arn, iam.ListInput{})
	noErr(t, err)
	if len(tags.Items) != 2 || tags.Items[0] != (iam.Tag{Key: "TEAM", Value: "platform"}) || tags.Items[1] != (iam.Tag{Key: "env", Value: "prod"}) {
		t.Fatalf("tags = %+v", tags.Items)
	}

	noErr(t, f.svc.DeleteOIDCProvider(ctx, f.root, arn))
	_, err = f.svc.GetOIDCProvider(ctx, f.root, arn)
	wantErr(t, err, iam.CodeNoSuchEntity, "OpenIDConnect Provider not found for arn "+arn)
	// AWS documents DeleteOpenIDConnectProvider as idempotent: deleting a
	// provider that does not exist is no error.
	noErr(t, f.svc.DeleteOIDCProvider(ctx, f.root, arn))
	// The caller must still be allowed to delete it.
	f.user(t, "oidc-deleter")
	alice := f.userPrincipal(t, "oidc-deleter")
	wantErr(t, f.svc.DeleteOIDCProvider(ctx, alice, arn), iam.CodeAccessDenied, "")
}

func TestOIDCProviderErrors(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.OIDCProvidersPerAccount, q.ClientIDsPerOIDCProvider = 1, 2 })
	ctx := t.Context()
	_, err := f.svc.CreateOIDCProvider(ctx, f.root, iam.CreateOIDCProviderInput{URL: "https://idp.example.com"})
	noErr(t, err)
	arn := "arn:aws:iam::" + account + ":oidc-provider/idp.example.com"
	six := []string{thumb, thumb, thumb, thumb, thumb, thumb}
	for _, tc := range []struct {
		name string
		in   iam.CreateOIDCProviderInput
		code iam.Code
		msg  string
	}{
		{"duplicate URL", iam.CreateOIDCProviderInput{URL: "https://idp.example.com"}, iam.CodeEntityAlreadyExists,
			"Provider with url https://idp.example.com already exists."},
		{"http URL", iam.CreateOIDCProviderInput{URL: "http://idp.example.com"}, iam.CodeInvalidInput, ""},
		{"no host", iam.CreateOIDCProviderInput{URL: "https:///path"}, iam.CodeInvalidInput, ""},
		{"thumbprint not hex", iam.CreateOIDCProviderInput{URL: "https://b.example.com", Thumbprints: []string{strings.Repeat("z", 40)}}, iam.CodeInvalidInput, ""},
		{"six thumbprints", iam.CreateOIDCProviderInput{URL: "https://b.example.com", Thumbprints: six}, iam.CodeInvalidInput, ""},
		{"too many client IDs", iam.CreateOIDCProviderInput{URL: "https://b.example.com", ClientIDs: []string{"a", "b", "c"}}, iam.CodeLimitExceeded, ""},
		{"providers quota", iam.CreateOIDCProviderInput{URL: "https://b.example.com"}, iam.CodeLimitExceeded,
			"Cannot exceed quota for OpenIdConnectProvidersPerAccount: 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateOIDCProvider(ctx, f.root, tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}

	noErr(t, f.svc.AddClientIDToOIDCProvider(ctx, f.root, arn, "a"))
	noErr(t, f.svc.AddClientIDToOIDCProvider(ctx, f.root, arn, "b"))
	wantErr(t, f.svc.AddClientIDToOIDCProvider(ctx, f.root, arn, "c"), iam.CodeLimitExceeded, "")
	wantErr(t, f.svc.UpdateOIDCProviderThumbprint(ctx, f.root, arn, six), iam.CodeInvalidInput, "")

	_, err = f.svc.GetOIDCProvider(ctx, f.root, "arn:aws:iam::"+account+":role/x")
	wantErr(t, err, iam.CodeInvalidInput, "")
	_, err = f.svc.GetOIDCProvider(ctx, f.root, "arn:aws:iam::999988887777:oidc-provider/idp.example.com")
	wantErr(t, err, iam.CodeAccessDenied, "")
	wantErr(t, f.svc.TagOIDCProvider(ctx, f.root, arn+"x", []iam.Tag{{Key: "k"}}), iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.TagOIDCProvider(ctx, f.root, arn, []iam.Tag{{Key: "k"}, {Key: "k"}}), iam.CodeInvalidInput, "")
}

// --- SAML

func TestSAMLProviderLifecycle(t *testing.T) {
	f := newPCFixture(t, nil)
	ctx := t.Context()
	doc := samlMetadata(t, "")
	p, err := f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "Okta", Metadata: doc, Tags: []iam.Tag{{Key: "k", Value: "v"}}})
	noErr(t, err)
	arn := "arn:aws:iam::" + account + ":saml-provider/Okta"
	if p.ARN() != arn || len(p.ID) < 22 {
		t.Fatalf("created %+v", p)
	}
	got, err := f.svc.GetSAMLProvider(ctx, f.root, arn)
	noErr(t, err)
	if got.Metadata != doc || !got.CreateDate.Equal(f.now) || !got.ValidUntil.After(f.now.AddDate(90, 0, 0)) {
		t.Fatalf("GetSAMLProvider = %+v", got)
	}

	doc2 := samlMetadata(t, "2030-01-02T03:04:05Z")
	_, err = f.svc.UpdateSAMLProvider(ctx, f.root, iam.UpdateSAMLProviderInput{ARN: arn, Metadata: doc2})
	noErr(t, err)
	got, _ = f.svc.GetSAMLProvider(ctx, f.root, arn)
	if got.Metadata != doc2 || !got.ValidUntil.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("after update = %+v", got)
	}
	list, err := f.svc.ListSAMLProviders(ctx, f.root)
	noErr(t, err)
	if len(list) != 1 || list[0].ARN() != arn {
		t.Fatalf("ListSAMLProviders = %+v", list)
	}
	noErr(t, f.svc.TagSAMLProvider(ctx, f.root, arn, []iam.Tag{{Key: "x", Value: "1"}}))
	noErr(t, f.svc.UntagSAMLProvider(ctx, f.root, arn, []string{"K", "k"})) // keys are case-sensitive here: "K" removes nothing
	tags, err := f.svc.ListSAMLProviderTags(ctx, f.root, arn, iam.ListInput{})
	noErr(t, err)
	if len(tags.Items) != 1 || tags.Items[0].Key != "x" {
		t.Fatalf("tags = %+v", tags.Items)
	}
	noErr(t, f.svc.DeleteSAMLProvider(ctx, f.root, arn))
	_, err = f.svc.GetSAMLProvider(ctx, f.root, arn)
	wantErr(t, err, iam.CodeNoSuchEntity, "Manifest not found for arn "+arn)
}

func TestSAMLProviderErrors(t *testing.T) {
	f := newPCFixture(t, func(q *iam.Quotas) { q.SAMLProvidersPerAccount = 1 })
	ctx := t.Context()
	good := samlMetadata(t, "")
	_, err := f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "idp", Metadata: good})
	noErr(t, err)
	noCert := strings.Replace(good, "use=\"signing\"", "use=\"encryption\"", 1)
	badCert := strings.Replace(good, "<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1)
	spOnly := strings.ReplaceAll(good, "IDPSSODescriptor", "SPSSODescriptor")
	wrongNS := strings.Replace(good, "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example", 1)
	for _, tc := range []struct {
		name, doc string
	}{
		{"not XML", pad("this is not xml")},
		{"wrong namespace", wrongNS},
		{"no IdP descriptor", spOnly},
		{"no signing certificate", noCert},
		{"corrupt certificate", badCert},
		{"bad validUntil", samlMetadata(t, "tomorrow")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "other", Metadata: tc.doc})
			wantErr(t, err, iam.CodeInvalidInput, "Could not parse metadata")
		})
	}
	_, err = f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "IDP", Metadata: good})
	wantErr(t, err, iam.CodeEntityAlreadyExists, "")
	_, err = f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "second", Metadata: good})
	wantErr(t, err, iam.CodeLimitExceeded, "")
	_, err = f.svc.CreateSAMLProvider(ctx, f.root, iam.CreateSAMLProviderInput{Name: "enc", Metadata: good, AddPrivateKey: "key"})
	wantErr(t, err, iam.CodeNotImplemented, "")
	arn := "arn:aws:iam::" + account + ":saml-provider/idp"
	_, err = f.svc.UpdateSAMLProvider(ctx, f.root, iam.UpdateSAMLProviderInput{ARN: arn, Metadata: spOnly})
	wantErr(t, err, iam.CodeInvalidInput, "Could not parse metadata")
	_, err = f.svc.UpdateSAMLProvider(ctx, f.root, iam.UpdateSAMLProviderInput{ARN: arn + "2", Metadata: good})
	wantErr(t, err, iam.CodeNoSuchEntity, "")
	wantErr(t, f.svc.DeleteSAMLProvider(ctx, f.root, "not-an-arn-at-all-really"), iam.CodeInvalidInput, "")
}

func pkcs1(k *rsa.PublicKey) []byte { return x509.MarshalPKCS1PublicKey(k) }
