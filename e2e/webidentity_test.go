package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"
	jose "github.com/go-jose/go-jose/v4"
	dsig "github.com/russellhaering/goxmldsig"
)

// TestAssumeRoleWithWebIdentity federates a Kubernetes-style service
// account token from a local TLS issuer, trusted through the provider's
// thumbprint as AWS trusts IdPs outside its CA library, with aws-sdk-go-v2's
// unsigned STS call.
func TestAssumeRoleWithWebIdentity(t *testing.T) {
	ctx := t.Context()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var issuerURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuerURL, "jwks_uri": issuerURL + "/openid/v1/jwks"})
	})
	mux.HandleFunc("/openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	issuer := httptest.NewTLSServer(mux)
	defer issuer.Close()
	issuerURL = issuer.URL
	host := strings.TrimPrefix(issuerURL, "https://")
	sum := sha1.Sum(issuer.Certificate().Raw)

	srv := startServer(t, "")
	root := srv.rootIAM()
	prov, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(issuerURL), ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{hex.EncodeToString(sum[:])}})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + *prov.OpenIDConnectProviderArn + `"},
	  "Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com","` + host + `:sub":"system:serviceaccount:prod:app"}}}]}`
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("irsa"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}

	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	token := func(sub string) string {
		now := time.Now()
		payload, _ := json.Marshal(map[string]any{"iss": issuerURL, "sub": sub, "aud": []string{"sts.amazonaws.com"},
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	cfg := srv.awsConfig("", "", "")
	cfg.Credentials = aws.AnonymousCredentials{}
	anon := sts.NewFromConfig(cfg)

	out, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String("app-pod"), WebIdentityToken: aws.String(token("system:serviceaccount:prod:app")),
		DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/irsa/app-pod"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.SubjectFromWebIdentityToken) != "system:serviceaccount:prod:app" ||
		aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.Provider) != issuerURL ||
		!strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
		t.Fatalf("unexpected result: %+v %+v", out, out.AssumedRoleUser)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Fatalf("expiration in %v, want 15m", d)
	}
	sessSTS := sts.NewFromConfig(srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken))
	id, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != wantARN || aws.ToString(id.Account) != testAccount {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}

	// The :sub condition names another service account.
	_, err = anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String("xx"), WebIdentityToken: aws.String(token("system:serviceaccount:prod:intruder"))})
	apiErr := wantAPIError(t, err, "AccessDenied", 403)
	if apiErr.ErrorMessage() != "Not authorized to perform sts:AssumeRoleWithWebIdentity" {
		t.Fatalf("message %q", apiErr.ErrorMessage())
	}
	// A token that is not a JWT.
	_, err = anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String("xx"), WebIdentityToken: aws.String("opaque-access-token")})
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	// Other STS actions still need a signature.
	_, err = anon.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "MissingAuthenticationToken", 0)
}

// TestAssumeRoleWithSAML federates an IdP-signed SAML assertion with
// aws-sdk-go-v2's unsigned STS call, then uses the role session.
func TestAssumeRoleWithSAML(t *testing.T) {
	ctx := t.Context()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	metadata := `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(certDER) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
	metadata += "<!--" + strings.Repeat(" ", max(0, 1000-len(metadata))) + "-->"

	srv := startServer(t, "")
	root := srv.rootIAM()
	prov, err := root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(metadata)})
	if err != nil {
		t.Fatal(err)
	}
	provARN := aws.ToString(prov.SAMLProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provARN + `"},
	  "Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("sso-admin"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	later := now.Add(5 * time.Minute).Format(time.RFC3339)
	assertion := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="` + now.Format(time.RFC3339) + `">` +
		`<saml:Issuer>https://idp.example.com/saml</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_f00</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + later + `" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotOnOrAfter="` + later + `"><saml:AudienceRestriction><saml:Audience>urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>` + aws.ToString(role.Role.Arn) + "," + provARN + `</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` + assertion + `</samlp:Response>`); err != nil {
		t.Fatal(err)
	}
	sctx, err := dsig.NewSigningContext(key, [][]byte{certDER})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := sctx.SignEnveloped(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	doc.SetRoot(signed)
	xmlText, _ := doc.WriteToString()

	cfg := srv.awsConfig("", "", "")
	cfg.Credentials = aws.AnonymousCredentials{}
	anon := sts.NewFromConfig(cfg)
	out, err := anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: role.Role.Arn, PrincipalArn: prov.SAMLProviderArn,
		SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString([]byte(xmlText)))})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/sso-admin/alice@example.com"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.Subject) != "_f00" || aws.ToString(out.SubjectType) != "transient" ||
		aws.ToString(out.Issuer) != "https://idp.example.com/saml" || aws.ToString(out.Audience) != "https://signin.aws.amazon.com/saml" || aws.ToString(out.NameQualifier) == "" {
		t.Fatalf("unexpected result %+v", out)
	}
	sessSTS := sts.NewFromConfig(srv.awsConfig(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken))
	id, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != wantARN {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}
	// The same assertion with its subject altered no longer verifies.
	forged := strings.Replace(xmlText, "_f00", "_f01", 1)
	_, err = anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: role.Role.Arn, PrincipalArn: prov.SAMLProviderArn,
		SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString([]byte(forged)))})
	wantAPIError(t, err, "InvalidIdentityToken", 400)
}
