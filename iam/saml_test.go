package iam_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/iamd/iamd/iam"
)

// samlIdP is a test identity provider: a key, its certificate and the
// metadata naming it.
type samlIdP struct {
	key  *rsa.PrivateKey
	cert []byte
}

func newSAMLIdP(t *testing.T) *samlIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &samlIdP{key: key, cert: der}
}

func (idp *samlIdP) metadata() string {
	return pad(`<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(idp.cert) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`)
}

type samlOpts struct {
	issuer, audience, recipient, subject, sessionName, notOnOrAfter string
	roles                                                           []string
	extraAttrs                                                      string
	signResponse, unsigned                                          bool
	tamper                                                          func(string) string
}

// response builds a base64 SAML Response; the Assertion (or the Response)
// is signed with the IdP's key, or with signer when it is not nil.
func (idp *samlIdP) response(t *testing.T, now time.Time, o samlOpts, signer *samlIdP) string {
	t.Helper()
	if signer == nil {
		signer = idp
	}
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.issuer, "https://idp.example.com/saml")
	def(&o.audience, "https://signin.aws.amazon.com/saml")
	def(&o.recipient, "https://signin.aws.amazon.com/saml")
	def(&o.subject, "alice@example.com")
	def(&o.sessionName, "alice")
	def(&o.notOnOrAfter, now.Add(5*time.Minute).Format(time.RFC3339))
	var roleVals strings.Builder
	for _, r := range o.roles {
		roleVals.WriteString(`<saml:AttributeValue>` + r + `</saml:AttributeValue>`)
	}
	assertion := `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="` + now.Format(time.RFC3339) + `">` +
		`<saml:Issuer>` + o.issuer + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">` + o.subject + `</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + o.notOnOrAfter + `" Recipient="` + o.recipient + `"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="` + now.Add(-time.Minute).Format(time.RFC3339) + `" NotOnOrAfter="` + o.notOnOrAfter + `"><saml:AudienceRestriction><saml:Audience>` + o.audience + `</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + now.Format(time.RFC3339) + `" SessionNotOnOrAfter="` + now.Add(8*time.Hour).Format(time.RFC3339) + `"/>` +
		`<saml:AttributeStatement>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">` + roleVals.String() + `</saml:Attribute>` +
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>` + o.sessionName + `</saml:AttributeValue></saml:Attribute>` +
		o.extraAttrs + `</saml:AttributeStatement></saml:Assertion>`
	resp := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="` + now.Format(time.RFC3339) + `">` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` + assertion + `</samlp:Response>`
	doc := etree.NewDocument()
	if err := doc.ReadFromString(resp); err != nil {
		t.Fatal(err)
	}
	if !o.unsigned {
		ctx, err := dsig.NewSigningContext(signer.key, [][]byte{signer.cert})
		if err != nil {
			t.Fatal(err)
		}
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		target := doc.Root()
		if !o.signResponse {
			target = doc.Root().SelectElement("Assertion")
		}
		signed, err := ctx.SignEnveloped(target)
		if err != nil {
			t.Fatal(err)
		}
		if o.signResponse {
			doc.SetRoot(signed)
		} else {
			doc.Root().RemoveChild(target)
			doc.Root().AddChild(signed)
		}
	}
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	if o.tamper != nil {
		out = o.tamper(out)
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

const samlTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%PROV%"},
 "Action":["sts:AssumeRoleWithSAML","sts:TagSession"],
 "Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"},"StringLike":{"saml:sub":"*@example.com"}}}]}`

func TestAssumeRoleWithSAML(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second) // goxmldsig checks the certificate's validity
	idp := newSAMLIdP(t)
	prov, err := f.svc.CreateSAMLProvider(t.Context(), f.root, iam.CreateSAMLProviderInput{Name: "corp", Metadata: idp.metadata()})
	if err != nil {
		t.Fatal(err)
	}
	role, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: "saml-role",
		AssumeRolePolicyDocument: strings.ReplaceAll(samlTrust, "%PROV%", prov.ARN())})
	if err != nil {
		t.Fatal(err)
	}
	pair := role.ARN() + "," + prov.ARN()
	other := newSAMLIdP(t)
	assume := func(b64 string) (*iam.AssumeRoleWithSAMLOutput, error) {
		return f.svc.AssumeRoleWithSAML(t.Context(), &iam.Principal{Type: iam.PrincipalWebIdentityUser},
			iam.AssumeRoleWithSAMLInput{RoleARN: role.ARN(), PrincipalARN: prov.ARN(), SAMLAssertion: b64})
	}
	now := f.now
	tests := []struct {
		name   string
		o      samlOpts
		signer *samlIdP
		code   iam.Code
	}{
		{"assertion signed", samlOpts{roles: []string{pair}}, nil, ""},
		{"response signed", samlOpts{roles: []string{pair}, signResponse: true}, nil, ""},
		{"provider first in the pair", samlOpts{roles: []string{"arn:aws:iam::" + account + ":role/x," + prov.ARN(), prov.ARN() + "," + role.ARN()}}, nil, ""},
		{"session tags", samlOpts{roles: []string{pair}, extraAttrs: `<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:team"><saml:AttributeValue>blue</saml:AttributeValue></saml:Attribute>`}, nil, ""},
		{"unsigned", samlOpts{roles: []string{pair}, unsigned: true}, nil, iam.CodeInvalidIdentityToken},
		{"signed by another key", samlOpts{roles: []string{pair}}, other, iam.CodeInvalidIdentityToken},
		{"tampered subject", samlOpts{roles: []string{pair}, tamper: func(s string) string {
			return strings.Replace(s, "alice@example.com", "mallory@example.com", 1)
		}}, nil, iam.CodeInvalidIdentityToken},
		{"wrapped: unsigned assertion added", samlOpts{roles: []string{pair}, tamper: func(s string) string {
			i := strings.Index(s, "<saml:Assertion")
			return s[:i] + `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_evil"><saml:Issuer>https://idp.example.com/saml</saml:Issuer></saml:Assertion>` + s[i:]
		}}, nil, iam.CodeInvalidIdentityToken},
		{"role not in the assertion", samlOpts{roles: []string{"arn:aws:iam::" + account + ":role/other," + prov.ARN()}}, nil, iam.CodeAccessDenied},
		{"wrong issuer", samlOpts{roles: []string{pair}, issuer: "https://evil.example.com"}, nil, iam.CodeInvalidIdentityToken},
		{"wrong audience", samlOpts{roles: []string{pair}, audience: "https://sp.example.com"}, nil, iam.CodeInvalidIdentityToken},
		{"expired", samlOpts{roles: []string{pair}, notOnOrAfter: now.Add(-10 * time.Minute).Format(time.RFC3339)}, nil, iam.CodeExpiredTokenException},
		{"trust condition on subject", samlOpts{roles: []string{pair}, subject: "bob@elsewhere.org"}, nil, iam.CodeAccessDenied},
		{"tag key too long", samlOpts{roles: []string{pair}, extraAttrs: `<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:` + strings.Repeat("k", 70000) + `"><saml:AttributeValue>v</saml:AttributeValue></saml:Attribute>`}, nil, iam.CodeIDPRejectedClaim},
		{"bad session name", samlOpts{roles: []string{pair}, sessionName: "a b"}, nil, iam.CodeInvalidIdentityToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := assume(idp.response(t, now, tc.o, tc.signer))
			if tc.code != "" {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			nq := sha1.Sum([]byte("https://idp.example.com/saml" + account + "/corp"))
			if out.Subject != "alice@example.com" || out.SubjectType != "persistent" || out.Issuer != "https://idp.example.com/saml" ||
				out.Audience != "https://signin.aws.amazon.com/saml" || out.NameQualifier != base64.StdEncoding.EncodeToString(nq[:]) ||
				!strings.HasSuffix(out.AssumedRoleARN, ":assumed-role/saml-role/alice") {
				t.Fatalf("output %+v", out)
			}
			cred, err := f.svc.AuthenticateSession(out.Credentials.AccessKeyID, out.Credentials.SessionToken)
			if err != nil || cred.Principal.ARN != out.AssumedRoleARN {
				t.Fatalf("session: %v %v", cred, err)
			}
		})
	}
	// A provider that does not exist.
	_, err = f.svc.AssumeRoleWithSAML(t.Context(), &iam.Principal{}, iam.AssumeRoleWithSAMLInput{RoleARN: role.ARN(),
		PrincipalARN: "arn:aws:iam::" + account + ":saml-provider/nope", SAMLAssertion: idp.response(t, now, samlOpts{roles: []string{pair}}, nil)})
	wantCode(t, err, iam.CodeInvalidIdentityToken)
	// Not base64, not XML, a DTD.
	for _, bad := range []string{"%%%", base64.StdEncoding.EncodeToString([]byte("not xml")),
		base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY e "x">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))} {
		_, err := assume(bad)
		wantCode(t, err, iam.CodeInvalidIdentityToken)
	}
}
