package iam

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

// FuzzParseWebIdentityToken feeds the token parser (reached by any
// unauthenticated caller of AssumeRoleWithWebIdentity) and the session
// tags claim reader arbitrary input: they must answer InvalidIdentityToken
// or IDPRejectedClaim, never panic, and never accept an algorithm AWS does
// not.
func FuzzParseWebIdentityToken(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2kiLCJzdWIiOiJzIn0.c2ln")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzIn0.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.AAAA")
	f.Add(`{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJSUzI1NiJ9","signature":"AA"}]}`)
	f.Add("...")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, claims, err := parseWebIdentityToken(raw)
		if err != nil {
			if ErrorCode(err) != CodeInvalidIdentityToken {
				t.Fatalf("error code %s", ErrorCode(err))
			}
			return
		}
		alg := tok.Headers[0].Algorithm
		ok := false
		for _, a := range webIdentityAlgorithms {
			ok = ok || string(a) == alg
		}
		if !ok {
			t.Fatalf("accepted algorithm %q", alg)
		}
		if tags, _, err := tokenSessionTags(claims.Tags); err == nil {
			if _, err := json.Marshal(tags); err != nil {
				t.Fatal(err)
			}
		} else if ErrorCode(err) != CodeIDPRejectedClaim {
			t.Fatalf("tags error code %s", ErrorCode(err))
		}
		_ = stringOrList(claims.AMR)
	})
}

// FuzzVerifySAMLResponse feeds the SAML path (base64, XML, XML-DSig) with
// arbitrary assertions: they must be refused with STS's errors, never
// panic, and never pass without a signature by the provider's key.
func FuzzVerifySAMLResponse(f *testing.F) {
	// The XML is fuzzed and then encoded, so that mutations reach the XML
	// and signature code rather than die in base64.
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a"/></samlp:Response>`))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:Reference URI="#r"/></ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue></ds:Signature><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a"/></samlp:Response>`))
	f.Add([]byte("<x/>"))
	f.Add([]byte{})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	prov := &SAMLProvider{Metadata: `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp"><md:IDPSSODescriptor><md:KeyDescriptor use="signing"><KeyInfo><X509Data><X509Certificate>` +
		base64.StdEncoding.EncodeToString(der) + `</X509Certificate></X509Data></KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>`}
	if len(samlSigningCerts(prov.Metadata)) != 1 {
		f.Fatal("fixture metadata has no certificate")
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := verifySAMLResponse(base64.StdEncoding.EncodeToString(raw), prov, time.Now())
		if err == nil {
			t.Fatalf("accepted an assertion not signed by the provider: %+v", a)
		}
		if c := ErrorCode(err); c != CodeInvalidIdentityToken && c != CodeExpiredTokenException {
			t.Fatalf("error code %s", c)
		}
	})
}
