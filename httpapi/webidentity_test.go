package httpapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestUnsignedWebIdentity checks the narrow exception to SigV4: only the
// federation actions are served unsigned, their refusals are STS's, and
// they count against the caller's address.
func TestUnsignedWebIdentity(t *testing.T) {
	h := newBenchHandler(t)
	h.auth.perKey, h.auth.perAddr, h.auth.window = 1000, 3, time.Minute
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"},
		"RoleArn": {"arn:aws:iam::123456789012:role/r"}, "RoleSessionName": {"pod"}, "WebIdentityToken": {"not-a-jwt"}}
	req := func(f url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = "192.0.2.9:1000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	for i := range 3 {
		rec := req(form)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>InvalidIdentityToken</Code>") ||
			!strings.Contains(rec.Body.String(), "https://sts.amazonaws.com/doc/2011-06-15/") {
			t.Fatalf("attempt %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if rec := req(form); rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>Throttling</Code>") ||
		!strings.Contains(rec.Body.String(), "https://sts.amazonaws.com/doc/2011-06-15/") {
		t.Fatalf("after the failures (want STS's Throttling): %d %s", rec.Code, rec.Body)
	}

	h = newBenchHandler(t)
	// SAML: a provider the account does not have.
	saml := url.Values{"Action": {"AssumeRoleWithSAML"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::123456789012:role/r"},
		"PrincipalArn": {"arn:aws:iam::123456789012:saml-provider/corp"}, "SAMLAssertion": {strings.Repeat("PHg+", 1000)}}
	if rec := req(saml); rec.Code != 400 || !strings.Contains(rec.Body.String(), "<Code>InvalidIdentityToken</Code>") {
		t.Fatalf("SAML: %d %s", rec.Code, rec.Body)
	}
	// Missing required member: validated as for signed calls.
	f := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::123456789012:role/r"}, "RoleSessionName": {"pod"}}
	if rec := req(f); rec.Code != 400 || !strings.Contains(rec.Body.String(), "ValidationError") {
		t.Fatalf("missing token: %d %s", rec.Code, rec.Body)
	}
	// Other actions still need a signature.
	for _, action := range []string{"GetCallerIdentity", "AssumeRole"} {
		f := url.Values{"Action": {action}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::123456789012:role/r"}, "RoleSessionName": {"pod"}}
		if rec := req(f); rec.Code != 403 || !strings.Contains(rec.Body.String(), "MissingAuthenticationToken") {
			t.Fatalf("%s unsigned: %d %s", action, rec.Code, rec.Body)
		}
	}
	f = url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}}
	if rec := req(f); rec.Code != 403 || !strings.Contains(rec.Body.String(), "MissingAuthenticationToken") {
		t.Fatalf("ListUsers unsigned: %d %s", rec.Code, rec.Body)
	}
}
