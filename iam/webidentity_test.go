package iam_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/iam"
)

// testIssuer is an OpenID Connect issuer on a local TLS server.
type testIssuer struct {
	srv       *httptest.Server
	keys      []jose.JSONWebKey // public keys served
	signing   map[string]crypto.Signer
	jwksHits  atomic.Int32
	discovery string // overrides the discovery document when set
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	is := &testIssuer{signing: map[string]crypto.Signer{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if is.discovery != "" {
			_, _ = w.Write([]byte(is.discovery))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
	})
	is.srv = httptest.NewUnstartedServer(mux)
	is.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate cases fail handshakes on purpose
	is.srv.StartTLS()
	t.Cleanup(is.srv.Close)
	is.addKey(t, "rsa-1", jose.RS256)
	is.addKey(t, "ec-1", jose.ES256)
	return is
}

func (is *testIssuer) addKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) {
	t.Helper()
	var k crypto.Signer
	var err error
	if strings.HasPrefix(string(alg), "ES") {
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	is.signing[kid] = k
	is.keys = append(is.keys, jose.JSONWebKey{Key: k.Public(), KeyID: kid, Algorithm: string(alg), Use: "sig"})
}

// thumbprint is the SHA-1 of the server's certificate, as AWS computes it.
func (is *testIssuer) thumbprint() string {
	sum := sha1.Sum(is.srv.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}

// sign serializes claims as a compact JWS with the key kid.
func sign(t testing.TB, key crypto.Signer, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (is *testIssuer) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss": is.srv.URL, "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(),
	}
}

// trustPool makes the issuer's certificate trusted for the test.
func trustPool(t testing.TB, is *testIssuer) {
	pool := x509.NewCertPool()
	pool.AddCert(is.srv.Certificate())
	prev := iam.SetOIDCRootCAs(pool)
	t.Cleanup(func() { iam.SetOIDCRootCAs(prev) })
}

const webTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%PROV%"},
 "Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
 "Condition":{"StringEquals":{"%URL%:aud":"sts.amazonaws.com","%URL%:sub":"system:serviceaccount:default:app"}}}]}`

// webSetup registers the issuer as a provider and creates role "web"
// trusting it.
func webSetup(t *testing.T, f *pcFixture, is *testIssuer, thumbprints []string) *iam.Role {
	t.Helper()
	prov, err := f.svc.CreateOIDCProvider(t.Context(), f.root, iam.CreateOIDCProviderInput{
		URL: is.srv.URL, ClientIDs: []string{"sts.amazonaws.com", "other-client"}, Thumbprints: thumbprints})
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.NewReplacer("%PROV%", prov.ARN(), "%URL%", prov.URL).Replace(webTrust)
	role, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: "web", AssumeRolePolicyDocument: doc})
	if err != nil {
		t.Fatal(err)
	}
	return role
}

func assumeWeb(t *testing.T, f *pcFixture, role *iam.Role, token string) (*iam.AssumeRoleWithWebIdentityOutput, error) {
	t.Helper()
	return f.svc.AssumeRoleWithWebIdentity(t.Context(), &iam.Principal{Type: iam.PrincipalWebIdentityUser},
		iam.AssumeRoleWithWebIdentityInput{RoleARN: role.ARN(), RoleSessionName: "pod", WebIdentityToken: token})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestWebIdentityTokenValidation(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second) // the TLS certificate is checked against real time
	is := newTestIssuer(t)
	trustPool(t, is)
	role := webSetup(t, f, is, nil)
	rsaKey, ecKey := is.signing["rsa-1"], is.signing["ec-1"]
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)

	with := func(change func(map[string]any)) map[string]any {
		c := is.claims(f.now)
		change(c)
		return c
	}
	good := is.claims(f.now)
	payload, _ := json.Marshal(good)
	tests := []struct {
		name  string
		token string
		code  iam.Code
		msg   string // substring of the message
	}{
		{"rs256", sign(t, rsaKey, jose.RS256, "rsa-1", good), "", ""},
		{"es256", sign(t, ecKey, jose.ES256, "ec-1", good), "", ""},
		{"rs512 with the same key", sign(t, rsaKey, jose.RS512, "rsa-1", good), "", ""},
		{"no kid tries every key", sign(t, ecKey, jose.ES256, "", good), "", ""},
		{"aud list with a client ID", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["aud"] = []string{"x", "sts.amazonaws.com"} })), "", ""},
		{"expired within skew", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["exp"] = f.now.Add(-4 * time.Minute).Unix() })), "", ""},
		{"bad signature", sign(t, otherKey, jose.RS256, "rsa-1", good), iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"tampered payload", func() string {
			tok := sign(t, rsaKey, jose.RS256, "rsa-1", good)
			parts := strings.Split(tok, ".")
			parts[1] = b64(strings.Replace(string(payload), "default:app", "default:adm", 1))
			return strings.Join(parts, ".")
		}(), iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"wrong aud", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["aud"] = "someone-else" })), iam.CodeInvalidIdentityToken, "Incorrect token audience"},
		{"azp decides over aud", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["azp"] = "not-registered" })), iam.CodeInvalidIdentityToken, "Incorrect token audience"},
		{"wrong iss", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["iss"] = "https://elsewhere.example" })), iam.CodeInvalidIdentityToken,
			"No OpenIDConnect provider found in your account for https://elsewhere.example"},
		{"iss without https", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["iss"] = strings.TrimPrefix(is.srv.URL, "https://") })), iam.CodeInvalidIdentityToken, "No OpenIDConnect provider"},
		{"expired", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["exp"] = f.now.Add(-6 * time.Minute).Unix() })), iam.CodeExpiredTokenException,
			"Token expired: current date/time"},
		{"no exp", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { delete(c, "exp") })), iam.CodeInvalidIdentityToken, ""},
		{"nbf in future", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["nbf"] = f.now.Add(10 * time.Minute).Unix() })), iam.CodeInvalidIdentityToken, "not yet valid"},
		{"iat in future", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { c["iat"] = f.now.Add(10 * time.Minute).Unix() })), iam.CodeInvalidIdentityToken, "future"},
		{"missing sub", sign(t, rsaKey, jose.RS256, "rsa-1", with(func(c map[string]any) { delete(c, "sub") })), iam.CodeInvalidIdentityToken, ""},
		{"unknown kid", sign(t, rsaKey, jose.RS256, "rsa-9", good), iam.CodeInvalidIdentityToken, "Couldn't retrieve verification key"},
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + ".", iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"HS256", func() string {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			jws, _ := s.Sign(payload)
			out, _ := jws.CompactSerialize()
			return out
		}(), iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"HS256 keyed with the public key", func() string {
			// The classic RS/HS confusion: the public key used as an HMAC
			// secret.
			der, _ := x509.MarshalPKIXPublicKey(rsaKey.Public())
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: der}, (&jose.SignerOptions{}).WithHeader("kid", "rsa-1"))
			if err != nil {
				t.Fatal(err)
			}
			jws, _ := s.Sign(payload)
			out, _ := jws.CompactSerialize()
			return out
		}(), iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"garbage", "not-a-token", iam.CodeInvalidIdentityToken, "not a valid JWT"},
		{"JSON serialization", `{"payload":"` + b64(string(payload)) + `","signatures":[]}`, iam.CodeInvalidIdentityToken, "not a valid JWT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := assumeWeb(t, f, role, tc.token)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
				}
				if !strings.HasPrefix(out.Credentials.AccessKeyID, "ASIA") || out.Subject != "system:serviceaccount:default:app" ||
					out.Audience != "sts.amazonaws.com" || out.Provider != is.srv.URL || !strings.HasSuffix(out.AssumedRoleARN, ":assumed-role/web/pod") {
					t.Fatalf("unexpected output %+v", out)
				}
				return
			}
			wantCode(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestWebIdentityTrustPolicy(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second)
	is := newTestIssuer(t)
	trustPool(t, is)
	role := webSetup(t, f, is, nil)
	key := is.signing["rsa-1"]
	c := is.claims(f.now)

	// A subject the trust policy's :sub condition does not name.
	c["sub"] = "system:serviceaccount:default:other"
	_, err := assumeWeb(t, f, role, sign(t, key, jose.RS256, "rsa-1", c))
	wantCode(t, err, iam.CodeAccessDenied)
	if !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
		t.Fatalf("message: %v", err)
	}
	// A registered client ID the :aud condition does not name.
	c = is.claims(f.now)
	c["aud"] = "other-client"
	_, err = assumeWeb(t, f, role, sign(t, key, jose.RS256, "rsa-1", c))
	wantCode(t, err, iam.CodeAccessDenied)

	// Session tags from the token need sts:TagSession, which this trust
	// policy allows; they become the session's principal tags.
	c = is.claims(f.now)
	c["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string][]string{"team": {"blue"}}, "transitive_tag_keys": []string{"team"}}
	out, err := assumeWeb(t, f, role, sign(t, key, jose.RS256, "rsa-1", c))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := f.svc.AuthenticateSession(out.Credentials.AccessKeyID, out.Credentials.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if s := cred.Principal.Session; len(s.Tags) != 1 || s.Tags[0] != (iam.Tag{Key: "team", Value: "blue"}) || len(s.TransitiveKeys) != 1 {
		t.Fatalf("session tags %+v", s)
	}
	if cred.Principal.ARN != out.AssumedRoleARN {
		t.Fatalf("session principal %s, want %s", cred.Principal.ARN, out.AssumedRoleARN)
	}
	// A source identity claim needs sts:SetSourceIdentity, which it lacks.
	c = is.claims(f.now)
	c["https://aws.amazon.com/source_identity"] = "alice"
	_, err = assumeWeb(t, f, role, sign(t, key, jose.RS256, "rsa-1", c))
	wantCode(t, err, iam.CodeAccessDenied)
	// Malformed tags claim.
	c = is.claims(f.now)
	c["https://aws.amazon.com/tags"] = map[string]any{"principal_tags": map[string]any{"team": "blue"}}
	_, err = assumeWeb(t, f, role, sign(t, key, jose.RS256, "rsa-1", c))
	wantCode(t, err, iam.CodeIDPRejectedClaim)
	// DurationSeconds above the role's maximum.
	_, err = f.svc.AssumeRoleWithWebIdentity(t.Context(), &iam.Principal{}, iam.AssumeRoleWithWebIdentityInput{
		RoleARN: role.ARN(), RoleSessionName: "pod", WebIdentityToken: sign(t, key, jose.RS256, "rsa-1", is.claims(f.now)), DurationSeconds: 7200})
	wantCode(t, err, iam.CodeValidationError)
	// A role that does not exist: the token is fine, the answer is AWS's denial.
	_, err = f.svc.AssumeRoleWithWebIdentity(t.Context(), &iam.Principal{}, iam.AssumeRoleWithWebIdentityInput{
		RoleARN: "arn:aws:iam::" + account + ":role/nope", RoleSessionName: "pod", WebIdentityToken: sign(t, key, jose.RS256, "rsa-1", is.claims(f.now))})
	wantCode(t, err, iam.CodeAccessDenied)
}

func TestWebIdentityIssuerTrustAndCache(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second)
	is := newTestIssuer(t)
	// No CA trusts the test certificate: without a thumbprint the keys
	// cannot be fetched.
	prev := iam.SetOIDCRootCAs(x509.NewCertPool())
	t.Cleanup(func() { iam.SetOIDCRootCAs(prev) })
	role := webSetup(t, f, is, nil)
	tok := sign(t, is.signing["rsa-1"], jose.RS256, "rsa-1", is.claims(f.now))
	_, err := assumeWeb(t, f, role, tok)
	wantCode(t, err, iam.CodeInvalidIdentityToken)
	if !strings.Contains(err.Error(), "Couldn't retrieve verification key") {
		t.Fatal(err)
	}
	if is.jwksHits.Load() != 0 {
		t.Fatal("keys were fetched over an untrusted connection")
	}

	// The provider's thumbprint of the certificate makes it trusted.
	provARN := "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(is.srv.URL, "https://")
	if err := f.svc.UpdateOIDCProviderThumbprint(t.Context(), f.root, provARN, []string{strings.ToUpper(is.thumbprint())}); err != nil {
		t.Fatal(err)
	}
	if _, err := assumeWeb(t, f, role, tok); err != nil {
		t.Fatal(err)
	}
	// Cached: a second token costs no fetch.
	if _, err := assumeWeb(t, f, role, tok); err != nil {
		t.Fatal(err)
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// A key the issuer rotated in is found once the refetch interval has
	// passed, and an unknown kid does not refetch within it.
	is.addKey(t, "rsa-2", jose.RS256)
	tok2 := sign(t, is.signing["rsa-2"], jose.RS256, "rsa-2", is.claims(f.now))
	_, err = assumeWeb(t, f, role, tok2)
	wantCode(t, err, iam.CodeInvalidIdentityToken)
	f.now = f.now.Add(2 * time.Minute)
	tok2 = sign(t, is.signing["rsa-2"], jose.RS256, "rsa-2", is.claims(f.now))
	if _, err := assumeWeb(t, f, role, tok2); err != nil {
		t.Fatal(err)
	}
	if n := is.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestWebIdentityBadDiscovery(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second)
	is := newTestIssuer(t)
	trustPool(t, is)
	role := webSetup(t, f, is, nil)
	tok := sign(t, is.signing["rsa-1"], jose.RS256, "rsa-1", is.claims(f.now))
	// A jwks_uri over plain HTTP is refused.
	is.discovery = `{"issuer":"` + is.srv.URL + `","jwks_uri":"http://` + strings.TrimPrefix(is.srv.URL, "https://") + `/keys"}`
	_, err := assumeWeb(t, f, role, tok)
	wantCode(t, err, iam.CodeInvalidIdentityToken)
	if is.jwksHits.Load() != 0 {
		t.Fatal("keys fetched over plain HTTP")
	}
}

func TestWebIdentityIssuerUnreachable(t *testing.T) {
	f := newPCFixture(t, nil)
	f.now = time.Now().UTC().Truncate(time.Second)
	// An issuer whose connections drop before TLS completes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepts atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepts.Add(1)
			_ = c.Close()
		}
	}()
	url := "https://" + ln.Addr().String()
	prov, err := f.svc.CreateOIDCProvider(t.Context(), f.root, iam.CreateOIDCProviderInput{URL: url, ClientIDs: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: "web",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov.ARN() + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok := sign(t, key, jose.RS256, "k", map[string]any{"iss": url, "sub": "s", "aud": "sts.amazonaws.com", "exp": f.now.Add(time.Hour).Unix()})
	_, err = assumeWeb(t, f, role, tok)
	wantCode(t, err, iam.CodeIDPCommunicationError)
	n := accepts.Load()
	if n == 0 {
		t.Fatal("the issuer was never contacted")
	}
	// Within the retry interval the failure is answered from the cache.
	_, err = assumeWeb(t, f, role, tok)
	wantCode(t, err, iam.CodeIDPCommunicationError)
	if accepts.Load() != n {
		t.Fatalf("issuer contacted again within the retry interval (%d connections, then %d)", n, accepts.Load())
	}
	// After it, iamd tries again.
	f.now = f.now.Add(11 * time.Second)
	_, err = assumeWeb(t, f, role, tok)
	wantCode(t, err, iam.CodeIDPCommunicationError)
	if accepts.Load() == n {
		t.Fatal("issuer not retried after the retry interval")
	}
}

// BenchmarkAssumeRoleWithWebIdentity measures the whole operation with the
// issuer's keys cached: JWT parse, RS256 verification, trust policy,
// session sealing.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	f := newFixture(b, iam.DefaultQuotas())
	f.now = time.Now().UTC().Truncate(time.Second)
	is := newTestIssuer(b)
	trustPool(b, is)
	prov, err := f.svc.CreateOIDCProvider(b.Context(), f.root, iam.CreateOIDCProviderInput{URL: is.srv.URL, ClientIDs: []string{"sts.amazonaws.com"}})
	if err != nil {
		b.Fatal(err)
	}
	doc := strings.NewReplacer("%PROV%", prov.ARN(), "%URL%", prov.URL).Replace(webTrust)
	role, err := f.svc.CreateRole(b.Context(), f.root, iam.CreateRoleInput{RoleName: "web", AssumeRolePolicyDocument: doc})
	if err != nil {
		b.Fatal(err)
	}
	in := iam.AssumeRoleWithWebIdentityInput{RoleARN: role.ARN(), RoleSessionName: "pod",
		WebIdentityToken: sign(b, is.signing["rsa-1"], jose.RS256, "rsa-1", is.claims(f.now))}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.AssumeRoleWithWebIdentity(b.Context(), &iam.Principal{}, in); err != nil {
			b.Fatal(err)
		}
	}
}
