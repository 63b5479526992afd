package iam_test

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

const outboundBase = "https://iam.example.test"

func newOutboundFixture(t *testing.T) *pcFixture {
	t.Helper()
	f := newPCFixture(t, nil)
	f.svc.SetPublicURL(outboundBase + "/")
	return f
}

func TestOutboundFederationLifecycle(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := t.Context()
	tokenIn := iam.GetWebIdentityTokenInput{Audience: []string{"https://api.example.com"}, SigningAlgorithm: "RS256"}

	_, err := f.svc.GetOutboundWebIdentityFederationInfo(ctx, f.root)
	wantErr(t, err, iam.CodeFeatureDisabled, "")
	wantErr(t, f.svc.DisableOutboundWebIdentityFederation(ctx, f.root), iam.CodeFeatureDisabled, "")
	_, err = f.svc.GetWebIdentityToken(ctx, f.root, tokenIn)
	wantErr(t, err, iam.CodeOutboundFederationDisabled, "")

	// Only principals allowed the action may switch the feature.
	f.user(t, "alice")
	alice := f.userPrincipal(t, "alice")
	_, err = f.svc.EnableOutboundWebIdentityFederation(ctx, alice)
	wantErr(t, err, iam.CodeAccessDenied, "")

	iss, err := f.svc.EnableOutboundWebIdentityFederation(ctx, f.root)
	noErr(t, err)
	id, ok := strings.CutPrefix(iss, outboundBase+"/oidc/")
	if !ok || len(id) != 36 {
		t.Fatalf("issuer = %q, want %s/oidc/<uuid>", iss, outboundBase)
	}
	_, err = f.svc.EnableOutboundWebIdentityFederation(ctx, f.root)
	wantErr(t, err, iam.CodeFeatureEnabled, "")
	info, err := f.svc.GetOutboundWebIdentityFederationInfo(ctx, f.root)
	if err != nil || info != (iam.OutboundInfo{IssuerIdentifier: iss, Enabled: true}) {
		t.Fatalf("info = %+v, %v", info, err)
	}
	if _, err := f.svc.GetWebIdentityToken(ctx, f.root, tokenIn); err != nil {
		t.Fatalf("root token: %v", err)
	}
	// Another account has its own issuer and keys.
	other := f.otherRoot(t, "444455556666")
	iss2, err := f.svc.EnableOutboundWebIdentityFederation(ctx, other)
	if err != nil || iss2 == iss {
		t.Fatalf("second account issuer = %q, %v", iss2, err)
	}

	noErr(t, f.svc.DisableOutboundWebIdentityFederation(ctx, f.root))
	wantErr(t, f.svc.DisableOutboundWebIdentityFederation(ctx, f.root), iam.CodeFeatureDisabled, "")
	info, err = f.svc.GetOutboundWebIdentityFederationInfo(ctx, f.root)
	if err != nil || info != (iam.OutboundInfo{IssuerIdentifier: iss, Enabled: false}) {
		t.Fatalf("info after disable = %+v, %v", info, err)
	}
	_, err = f.svc.GetWebIdentityToken(ctx, f.root, tokenIn)
	wantErr(t, err, iam.CodeOutboundFederationDisabled, "")

	// Tokens issued before the disable stay verifiable until they expire:
	// the keys are published for the longest token lifetime, then not.
	if _, err := f.svc.OutboundIssuerDocuments(ctx, id); err != nil {
		t.Fatalf("documents right after disable: %v", err)
	}
	f.now = f.now.Add(time.Hour)
	if _, err := f.svc.OutboundIssuerDocuments(ctx, id); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("documents an hour after disable: %v, want ErrNotFound", err)
	}
	// Enabling again keeps the issuer, so trust set up elsewhere holds.
	again, err := f.svc.EnableOutboundWebIdentityFederation(ctx, f.root)
	if err != nil || again != iss {
		t.Fatalf("re-enable = %q, %v; want %q", again, err, iss)
	}
	for _, bad := range []string{"", "nope", strings.ToUpper(id), "00000000-0000-4000-8000-000000000000"} {
		if _, err := f.svc.OutboundIssuerDocuments(ctx, bad); !errors.Is(err, iam.ErrNotFound) {
			t.Errorf("documents of %q: %v, want ErrNotFound", bad, err)
		}
	}
}

func TestGetWebIdentityTokenValidation(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := t.Context()
	_, err := f.svc.EnableOutboundWebIdentityFederation(ctx, f.root)
	noErr(t, err)
	policies := map[string]string{
		"any": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}`,
		"tagging": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetWebIdentityToken","sts:TagGetWebIdentityToken"],"Resource":"*",
			"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["job","k"]}}}]}`,
		"restricted": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*","Condition":{
			"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":["https://ok.example"]},
			"NumericLessThanEquals":{"sts:DurationSeconds":"300"},
			"StringEquals":{"sts:SigningAlgorithm":"ES384"}}}]}`,
	}
	users := map[string]*iam.Principal{}
	for name, doc := range policies {
		f.user(t, name)
		noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, name, "p", doc))
		users[name] = f.userPrincipal(t, name)
	}
	f.user(t, "none")
	users["none"] = f.userPrincipal(t, "none")
	// A role session with 15 minutes left.
	_, err = f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "worker",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":"sts:AssumeRole"}]}`})
	noErr(t, err)
	noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerRole, "worker", "p", policies["any"]))
	noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "any", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	out, err := f.svc.AssumeRole(ctx, users["any"], iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + account + ":role/worker", RoleSessionName: "s", DurationSeconds: 900})
	noErr(t, err)
	cred, err := f.svc.AuthenticateSession(out.Credentials.AccessKeyID, out.Credentials.SessionToken)
	noErr(t, err)
	users["session"] = cred.Principal

	big := make([]iam.Tag, 50)
	for i := range big {
		big[i] = iam.Tag{Key: strings.Repeat(string(rune('a'+i%26)), 100) + string(rune('A'+i/26)), Value: strings.Repeat("v", 256)}
	}
	aud := []string{"https://ok.example"}
	for _, tt := range []struct {
		name string
		who  string
		in   iam.GetWebIdentityTokenInput
		want iam.Code // "" = success
	}{
		{"allowed", "any", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256"}, ""},
		{"ES384", "any", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "ES384", DurationSeconds: 3600}, ""},
		{"unknown algorithm", "any", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "HS256"}, iam.CodeValidationError},
		{"duration too short", "any", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256", DurationSeconds: 59}, iam.CodeValidationError},
		{"no permission", "none", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256"}, iam.CodeAccessDenied},
		{"tags need TagGetWebIdentityToken", "any", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256",
			Tags: []iam.Tag{{Key: "job", Value: "1"}}}, iam.CodeAccessDenied},
		{"tags allowed", "tagging", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256",
			Tags: []iam.Tag{{Key: "job", Value: "1"}}}, ""},
		{"tag key the policy refuses", "tagging", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256",
			Tags: []iam.Tag{{Key: "other", Value: "1"}}}, iam.CodeAccessDenied},
		{"reserved tag prefix", "tagging", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256",
			Tags: []iam.Tag{{Key: "aws:job", Value: "1"}}}, "InvalidParameterValue"},
		{"duplicate tag keys", "tagging", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256",
			Tags: []iam.Tag{{Key: "job", Value: "1"}, {Key: "JOB", Value: "2"}}}, "InvalidParameterValue"},
		{"restricted: all conditions met", "restricted", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "ES384"}, ""},
		{"restricted: other audience", "restricted", iam.GetWebIdentityTokenInput{Audience: []string{"https://ok.example", "https://evil.example"}, SigningAlgorithm: "ES384"}, iam.CodeAccessDenied},
		{"restricted: longer duration", "restricted", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "ES384", DurationSeconds: 301}, iam.CodeAccessDenied},
		{"restricted: other algorithm", "restricted", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256"}, iam.CodeAccessDenied},
		// A role session's subject is the role (aws:PrincipalArn), not the session.
		{"session: within its lifetime", "session", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256", DurationSeconds: 900}, ""},
		{"session: beyond its lifetime", "session", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256", DurationSeconds: 901}, iam.CodeSessionDurationEscalation},
		{"payload too large", "root", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256", Tags: big}, iam.CodeJWTPayloadSizeExceeded},
		{"root", "root", iam.GetWebIdentityTokenInput{Audience: aud, SigningAlgorithm: "RS256", Tags: big[:10]}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := users[tt.who]
			if tt.who == "root" {
				p = f.root
			}
			tok, err := f.svc.GetWebIdentityToken(ctx, p, tt.in)
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("GetWebIdentityToken: %v", err)
			}
			d := tt.in.DurationSeconds
			if d == 0 {
				d = 300
			}
			if want := f.now.Add(time.Duration(d) * time.Second); !tok.Expiration.Equal(want) {
				t.Errorf("Expiration = %v, want %v", tok.Expiration, want)
			}
			jws, err := jose.ParseSigned(tok.Token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tt.in.SigningAlgorithm)})
			noErr(t, err)
			var claims struct{ Sub string }
			noErr(t, json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims))
			wantSub := p.ARN
			if tt.who == "session" {
				// A role session's subject is the role (aws:PrincipalArn),
				// not the session.
				wantSub = "arn:aws:iam::" + account + ":role/worker"
			}
			if claims.Sub != wantSub {
				t.Errorf("sub = %q, want %q", claims.Sub, wantSub)
			}
		})
	}
}

// TestWebIdentityTokenVerifies checks a token the way an external service
// does: against the keys of the issuer's JWKS document, and its claims.
func TestWebIdentityTokenVerifies(t *testing.T) {
	f := newOutboundFixture(t)
	ctx := t.Context()
	iss, err := f.svc.EnableOutboundWebIdentityFederation(ctx, f.root)
	noErr(t, err)
	docs, err := f.svc.OutboundIssuerDocuments(ctx, strings.TrimPrefix(iss, outboundBase+"/oidc/"))
	noErr(t, err)
	var conf struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	noErr(t, json.Unmarshal(docs.Configuration, &conf))
	if conf.Issuer != iss || conf.JWKSURI != iss+"/.well-known/jwks.json" || strings.Join(conf.Algs, ",") != "RS256,ES384" {
		t.Fatalf("openid-configuration = %s", docs.Configuration)
	}
	var set jose.JSONWebKeySet
	noErr(t, json.Unmarshal(docs.JWKS, &set))
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS = %s", docs.JWKS)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.KeyID == "" {
			t.Fatalf("JWKS key %+v is not a public signing key with an ID", k)
		}
	}

	_, err = f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "alice", Tags: []iam.Tag{{Key: "team", Value: "data"}}})
	noErr(t, err)
	noErr(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "alice", "p",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetWebIdentityToken","sts:TagGetWebIdentityToken"],"Resource":"*"}]}`))
	alice := *f.userPrincipal(t, "alice")
	alice.Request = &iam.RequestInfo{Time: f.now, Region: "eu-west-1"}

	for _, tt := range []struct {
		alg     string
		aud     []string
		wantAud string // JSON of the aud claim
	}{
		{"RS256", []string{"https://api.example.com"}, `"https://api.example.com"`},
		{"ES384", []string{"a", "b"}, `["a","b"]`},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			tok, err := f.svc.GetWebIdentityToken(ctx, &alice, iam.GetWebIdentityTokenInput{Audience: tt.aud, SigningAlgorithm: tt.alg,
				Tags: []iam.Tag{{Key: "job-id", Value: "42"}}})
			noErr(t, err)
			jws, err := jose.ParseSigned(tok.Token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(tt.alg)})
			noErr(t, err)
			h := jws.Signatures[0].Header
			if h.Algorithm != tt.alg || h.ExtraHeaders["typ"] != "JWT" {
				t.Fatalf("header = %+v", h)
			}
			keys := set.Key(h.KeyID)
			if len(keys) != 1 || keys[0].Algorithm != tt.alg {
				t.Fatalf("kid %q names %d keys of the JWKS", h.KeyID, len(keys))
			}
			payload, err := jws.Verify(keys[0].Key)
			noErr(t, err)
			// The other key must not verify it: the kid is the only key.
			for _, k := range set.Keys {
				if k.KeyID != h.KeyID {
					if _, err := jws.Verify(k.Key); err == nil {
						t.Fatal("token verifies with the other algorithm's key")
					}
				}
			}
			var claims map[string]json.RawMessage
			noErr(t, json.Unmarshal(payload, &claims))
			want := map[string]string{
				"iss": `"` + iss + `"`,
				"sub": `"arn:aws:iam::` + account + `:user/alice"`,
				"aud": tt.wantAud,
				"iat": jsonInt(f.now.Unix()),
				"exp": jsonInt(f.now.Unix() + 300),
				"https://sts.amazonaws.com/": `{"aws_account":"` + account + `","source_region":"eu-west-1",` +
					`"principal_tags":{"team":"data"},"request_tags":{"job-id":"42"}}`,
			}
			for k, v := range want {
				if string(claims[k]) != v {
					t.Errorf("claim %s = %s, want %s", k, claims[k], v)
				}
			}
			if len(claims["jti"]) < 10 || len(claims) != len(want)+1 {
				t.Errorf("claims = %s", payload)
			}
			// Not a way into iamd itself, as on AWS.
			_, err = f.svc.AssumeRoleWithWebIdentity(ctx, &iam.Principal{}, iam.AssumeRoleWithWebIdentityInput{
				RoleARN: "arn:aws:iam::" + account + ":role/any", RoleSessionName: "s", WebIdentityToken: tok.Token})
			if iam.ErrorCode(err) != iam.CodeInvalidIdentityToken || !strings.Contains(err.Error(), "cannot be used with AssumeRoleWithWebIdentity") {
				t.Errorf("AssumeRoleWithWebIdentity with an outbound token: %v", err)
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestOutboundKeysRekey checks that master key rotation re-encrypts the
// signing keys and counts them, so pruning the old master key keeps the
// issuer working.
func TestOutboundKeysRekey(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	k1, k2 := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(k1)
	_, _ = rand.Read(k2)
	kr1, err := keyring.New(map[uint32][]byte{1: k1}, 1)
	noErr(t, err)
	newSvc := func(kr *keyring.Keyring) (*iam.Service, *iam.Principal) {
		svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
		noErr(t, err)
		svc.SetPublicURL(outboundBase)
		_, err = svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account, RootAccessKeyID: "AKIAREKEYOUTBOUND001", RootSecret: "0123456789abcdefghij"})
		noErr(t, err)
		return svc, svc.Authenticate("AKIAREKEYOUTBOUND001").Principal
	}
	svc, root := newSvc(kr1)
	_, err = svc.EnableOutboundWebIdentityFederation(ctx, root)
	noErr(t, err)
	counts, err := iam.CountSealed(ctx, db, 0)
	noErr(t, err)
	if counts[1][iam.SealedOutboundKey] != 2 {
		t.Fatalf("counts before rotation = %v", counts)
	}

	kr2, err := keyring.New(map[uint32][]byte{1: k1, 2: k2}, 2)
	noErr(t, err)
	res, err := iam.Rekey(ctx, db, kr2, iam.RekeyOptions{})
	noErr(t, err)
	if res.Resealed != 3 || len(res.Unopenable) != 0 { // the root key's secret and two signing keys
		t.Fatalf("Rekey = %+v", res)
	}
	counts, err = iam.CountSealed(ctx, db, 0)
	noErr(t, err)
	if counts.Total(1) != 0 || counts[2][iam.SealedOutboundKey] != 2 {
		t.Fatalf("counts after rotation = %v", counts)
	}
	// With the old master key gone, a server still signs.
	kr3, err := keyring.New(map[uint32][]byte{2: k2}, 2)
	noErr(t, err)
	svc3, root3 := newSvc(kr3)
	for _, alg := range iam.OutboundSigningAlgorithms {
		if _, err := svc3.GetWebIdentityToken(ctx, root3, iam.GetWebIdentityTokenInput{Audience: []string{"x"}, SigningAlgorithm: alg}); err != nil {
			t.Fatalf("%s after rotation: %v", alg, err)
		}
	}
}

// BenchmarkGetWebIdentityToken measures one token: authorization, the
// store read of the account's configuration, claims and the signature
// (RSA 2048 or P-384), with the signing key already opened.
func BenchmarkGetWebIdentityToken(b *testing.B) {
	for _, alg := range iam.OutboundSigningAlgorithms {
		b.Run(alg, func(b *testing.B) {
			f := newPCFixtureTB(b)
			f.svc.SetPublicURL(outboundBase)
			ctx := b.Context()
			if _, err := f.svc.EnableOutboundWebIdentityFederation(ctx, f.root); err != nil {
				b.Fatal(err)
			}
			in := iam.GetWebIdentityTokenInput{Audience: []string{"https://api.example.com"}, SigningAlgorithm: alg,
				Tags: []iam.Tag{{Key: "job", Value: "42"}}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.svc.GetWebIdentityToken(ctx, f.root, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// newPCFixtureTB is the part of newPCFixture a benchmark needs.
func newPCFixtureTB(b *testing.B) *pcFixture {
	b.Helper()
	ctx := b.Context()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "iamd.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		b.Fatal(err)
	}
	f := &pcFixture{db: db, kr: kr, now: time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)}
	if f.svc, err = iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Clock: func() time.Time { return f.now }}); err != nil {
		b.Fatal(err)
	}
	boot, err := f.svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		b.Fatal(err)
	}
	f.root = f.svc.Authenticate(boot.RootAccessKeyID).Principal
	return f
}
