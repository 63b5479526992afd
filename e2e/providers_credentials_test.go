package e2e

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Test material for providers and credentials, generated per run: RSA keys
// are slow to make, so two are shared by the tests.
var (
	pcKeyA = sync.OnceValue(func() *rsa.PrivateKey { return pcRSA(2048) })
	pcKeyB = sync.OnceValue(func() *rsa.PrivateKey { return pcRSA(2048) })
)

func pcRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// pcCert issues a certificate for key, signed by parent/parentKey or
// self-signed when parent is nil.
func pcCert(t *testing.T, cn string, key *rsa.PrivateKey, parent *x509.Certificate, parentKey *rsa.PrivateKey) (string, *x509.Certificate) {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), c
}

func pcKeyPEM(key *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// pcSSHBlob is the key in SSH wire format (RFC 4253), formatted by hand
// because golang.org/x/crypto/ssh is not a dependency.
func pcSSHBlob(k *rsa.PublicKey) []byte {
	str := func(b, s []byte) []byte { return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...) }
	mp := func(x *big.Int) []byte {
		b := x.Bytes()
		if len(b) > 0 && b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	b := str(nil, []byte("ssh-rsa"))
	b = str(b, mp(big.NewInt(int64(k.E))))
	return str(b, mp(k.N))
}

func pcSSH(k *rsa.PublicKey) string {
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(pcSSHBlob(k)) + " dev@example"
}

func pcSAMLMetadata(t *testing.T) string {
	t.Helper()
	cert, _ := pcCert(t, "idp", pcKeyB(), nil, nil)
	block, _ := pem.Decode([]byte(cert))
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/metadata">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
		base64.StdEncoding.EncodeToString(block.Bytes) + `</X509Certificate></X509Data></KeyInfo>
    </KeyDescriptor>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </IDPSSODescriptor>
</EntityDescriptor>`
	if len(doc) < 1000 {
		doc += "<!--" + strings.Repeat(" ", 1000-len(doc)) + "-->"
	}
	return doc
}

func wantMessage(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	apiErr := wantAPIError(t, err, code, status)
	if apiErr.ErrorMessage() != msg {
		t.Fatalf("%s message = %q, want %q", code, apiErr.ErrorMessage(), msg)
	}
}

func TestOpenIDConnectProviders(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	const thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	created, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{thumb}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ci")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::" + testAccount + ":oidc-provider/token.actions.githubusercontent.com"
	if aws.ToString(created.OpenIDConnectProviderArn) != arn || len(created.Tags) != 1 {
		t.Fatalf("created = %s %+v", aws.ToString(created.OpenIDConnectProviderArn), created.Tags)
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com")})
	wantMessage(t, err, "EntityAlreadyExists", http.StatusConflict, "Provider with url https://token.actions.githubusercontent.com already exists.")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://insecure.example.com")})
	wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)

	if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumb, strings.Repeat("a", 40)}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Url) != "token.actions.githubusercontent.com" || strings.Join(got.ClientIDList, ",") != "sts.amazonaws.com,web" ||
		len(got.ThumbprintList) != 2 || time.Since(aws.ToTime(got.CreateDate)) > time.Minute || len(got.Tags) != 1 {
		t.Fatalf("GetOpenIDConnectProvider = %+v", got)
	}
	list, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Fatalf("list = %+v", list.OpenIDConnectProviderList)
	}
	if _, err := c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" || tags.IsTruncated {
		t.Fatalf("tags = %+v", tags.Tags)
	}
	if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantMessage(t, err, "NoSuchEntity", http.StatusNotFound, "OpenIDConnect Provider not found for arn "+arn)
}

func TestSAMLProviders(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	doc := pcSAMLMetadata(t)
	created, err := c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Corp-IdP"), SAMLMetadataDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.SAMLProviderArn)
	if arn != "arn:aws:iam::"+testAccount+":saml-provider/Corp-IdP" {
		t.Fatalf("ARN = %s", arn)
	}
	got, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc || got.ValidUntil == nil || got.CreateDate == nil || aws.ToString(got.SAMLProviderUUID) == "" {
		t.Fatalf("GetSAMLProvider = %+v", got)
	}
	if _, err := c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.SAMLProviderList) != 1 || aws.ToString(list.SAMLProviderList[0].Arn) != arn {
		t.Fatalf("list = %+v", list.SAMLProviderList)
	}
	if _, err := c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	if _, err := c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: aws.String(arn), TagKeys: []string{"k"}}); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(doc, "IDPSSODescriptor", "SPSSODescriptor", 2)
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("bad"), SAMLMetadataDocument: aws.String(bad)})
	wantMessage(t, err, "InvalidInput", http.StatusBadRequest, "Could not parse metadata")
	if _, err := c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestSSHPublicKeys(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	pub := &pcKeyA().PublicKey
	up, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(pcSSH(pub))})
	if err != nil {
		t.Fatal(err)
	}
	k := up.SSHPublicKey
	sum := md5.Sum(pcSSHBlob(pub))
	var fp []string
	for _, b := range sum {
		fp = append(fp, fmt.Sprintf("%02x", b))
	}
	if !regexp.MustCompile(`^APKA[A-Z2-7]{17}$`).MatchString(aws.ToString(k.SSHPublicKeyId)) ||
		aws.ToString(k.Fingerprint) != strings.Join(fp, ":") || k.Status != types.StatusTypeActive || aws.ToString(k.UserName) != "dev" {
		t.Fatalf("uploaded %+v", k)
	}
	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(pcSSH(pub))})
	wantAPIError(t, err, "DuplicateSSHPublicKey", http.StatusBadRequest)
	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String("not a key")})
	wantAPIError(t, err, "UnrecognizedPublicKeyEncoding", http.StatusBadRequest)
	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(pcSSH(&pcRSA(1024).PublicKey))})
	wantAPIError(t, err, "InvalidPublicKey", http.StatusBadRequest)

	got, err := c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypePem})
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode([]byte(aws.ToString(got.SSHPublicKey.SSHPublicKeyBody))); block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("PEM body = %q", aws.ToString(got.SSHPublicKey.SSHPublicKeyBody))
	}
	if _, err := c.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.SSHPublicKeys) != 1 || list.SSHPublicKeys[0].Status != types.StatusTypeInactive || list.IsTruncated {
		t.Fatalf("list = %+v", list.SSHPublicKeys)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dev")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if _, err := c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
}

func TestSigningCertificates(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("signer")}); err != nil {
		t.Fatal(err)
	}
	body, _ := pcCert(t, "signer", pcKeyA(), nil, nil)
	up, err := c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	id := up.Certificate.CertificateId
	if len(aws.ToString(id)) != 32 || aws.ToString(up.Certificate.CertificateBody) != body || up.Certificate.Status != types.StatusTypeActive {
		t.Fatalf("uploaded %+v", up.Certificate)
	}
	_, err = c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String(body)})
	wantAPIError(t, err, "DuplicateCertificate", http.StatusConflict)
	_, err = c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String("signer"), CertificateBody: aws.String("garbage")})
	wantMessage(t, err, "MalformedCertificate", http.StatusBadRequest, "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	if _, err := c.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: aws.String("signer"), CertificateId: id, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: aws.String("signer")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Certificates) != 1 || list.Certificates[0].Status != types.StatusTypeInactive {
		t.Fatalf("list = %+v", list.Certificates)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("signer")})
	wantMessage(t, err, "DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete certificates first.")
	if _, err := c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String("signer"), CertificateId: id}); err != nil {
		t.Fatal(err)
	}
}

func TestServerCertificates(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	caPEM, ca := pcCert(t, "Example CA", pcKeyB(), nil, nil)
	leafPEM, leaf := pcCert(t, "www.example.com", pcKeyA(), ca, pcKeyB())
	up, err := c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("www"), Path: aws.String("/cloudfront/"), CertificateBody: aws.String(leafPEM),
		PrivateKey: aws.String(pcKeyPEM(pcKeyA())), CertificateChain: aws.String(caPEM),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	md := up.ServerCertificateMetadata
	if !regexp.MustCompile(`^ASCA[A-Z2-7]{17}$`).MatchString(aws.ToString(md.ServerCertificateId)) ||
		aws.ToString(md.Arn) != "arn:aws:iam::"+testAccount+":server-certificate/cloudfront/www" ||
		!aws.ToTime(md.Expiration).Equal(leaf.NotAfter) || len(up.Tags) != 1 {
		t.Fatalf("uploaded %+v", md)
	}
	_, err = c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("mismatch"), CertificateBody: aws.String(leafPEM), PrivateKey: aws.String(pcKeyPEM(pcKeyB())),
	})
	wantAPIError(t, err, "KeyPairMismatch", http.StatusBadRequest)
	_, err = c.UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String("www"), CertificateBody: aws.String(leafPEM), PrivateKey: aws.String(pcKeyPEM(pcKeyA())),
	})
	wantMessage(t, err, "EntityAlreadyExists", http.StatusConflict, "The Server Certificate with name www already exists.")

	got, err := c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www")})
	if err != nil {
		t.Fatal(err)
	}
	// AWS keeps the PEM text without its trailing newline.
	if aws.ToString(got.ServerCertificate.CertificateBody) != strings.TrimSpace(leafPEM) ||
		aws.ToString(got.ServerCertificate.CertificateChain) != strings.TrimSpace(caPEM) {
		t.Fatalf("GetServerCertificate = %+v", got.ServerCertificate)
	}
	if _, err := c.UpdateServerCertificate(ctx, &iam.UpdateServerCertificateInput{ServerCertificateName: aws.String("www"),
		NewServerCertificateName: aws.String("www-2026"), NewPath: aws.String("/")}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ServerCertificateMetadataList) != 1 || aws.ToString(list.ServerCertificateMetadataList[0].ServerCertificateName) != "www-2026" {
		t.Fatalf("list = %+v", list.ServerCertificateMetadataList)
	}
	if _, err := c.TagServerCertificate(ctx, &iam.TagServerCertificateInput{ServerCertificateName: aws.String("www-2026"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagServerCertificate(ctx, &iam.UntagServerCertificateInput{ServerCertificateName: aws.String("www-2026"), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListServerCertificateTags(ctx, &iam.ListServerCertificateTagsInput{ServerCertificateName: aws.String("www-2026")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	if _, err := c.DeleteServerCertificate(ctx, &iam.DeleteServerCertificateInput{ServerCertificateName: aws.String("www-2026")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetServerCertificate(ctx, &iam.GetServerCertificateInput{ServerCertificateName: aws.String("www-2026")})
	wantMessage(t, err, "NoSuchEntity", http.StatusNotFound, "The Server Certificate with name www-2026 cannot be found.")
}

func TestServiceSpecificCredentials(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("git")}); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("git"), ServiceName: aws.String("codecommit.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	cred := created.ServiceSpecificCredential
	if aws.ToString(cred.ServiceUserName) != "git-at-"+testAccount || len(aws.ToString(cred.ServicePassword)) != 44 ||
		!regexp.MustCompile(`^ACCA[A-Z2-7]{17}$`).MatchString(aws.ToString(cred.ServiceSpecificCredentialId)) || cred.Status != types.StatusTypeActive {
		t.Fatalf("created %+v", cred)
	}
	_, err = c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("git"), ServiceName: aws.String("s3.amazonaws.com")})
	wantMessage(t, err, "NotSupportedService", http.StatusNotFound, "The specified service does not support service-specific credentials.")

	reset, err := c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{
		UserName: aws.String("git"), ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(reset.ServiceSpecificCredential.ServicePassword); p == "" || p == aws.ToString(cred.ServicePassword) {
		t.Fatalf("reset password = %q", p)
	}
	if _, err := c.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{
		UserName: aws.String("git"), ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String("git")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.ServiceSpecificCredentials) != 1 || list.ServiceSpecificCredentials[0].Status != types.StatusTypeInactive ||
		aws.ToString(list.ServiceSpecificCredentials[0].ServiceUserName) != "git-at-"+testAccount {
		t.Fatalf("list = %+v", list.ServiceSpecificCredentials)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("git")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if _, err := c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{
		UserName: aws.String("git"), ServiceSpecificCredentialId: cred.ServiceSpecificCredentialId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("git")}); err != nil {
		t.Fatal(err)
	}
}

func TestAccountAliasAndSTSPreferences(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	list, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil || len(list.AccountAliases) != 0 {
		t.Fatalf("initial aliases = %+v, %v", list, err)
	}
	if _, err := c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("iamd-test")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("iamd-test")})
	wantMessage(t, err, "EntityAlreadyExists", http.StatusConflict, "The account alias iamd-test already exists.")
	_, err = c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("Bad--Alias")})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)
	if _, err := c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("iamd-prod")}); err != nil {
		t.Fatal(err)
	}
	list, err = c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil || strings.Join(list.AccountAliases, ",") != "iamd-prod" {
		t.Fatalf("aliases = %+v, %v", list, err)
	}
	_, err = c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("iamd-test")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if _, err := c.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("iamd-prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{
		GlobalEndpointTokenVersion: types.GlobalEndpointTokenVersionV2Token}); err != nil {
		t.Fatal(err)
	}
}
