package iam

import (
	"bytes"
	"context"
	"crypto/sha1" // AWS identifies an IdP's CA by the SHA-1 thumbprint of its certificate
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/policy"
)

// Web identity federation (STS AssumeRoleWithWebIdentity) with the OpenID
// Connect providers of the role's account.
//
// JWT parsing and signature checks use go-jose: it is maintained (the
// successor of square/go-jose), refuses "none" and any algorithm the caller
// did not list at parse time, and checks that a key's type matches the
// token's algorithm, which are the classic JWT verification mistakes.

// Web identity error codes, as the STS API reference lists them.
const (
	CodeInvalidIdentityToken  Code = "InvalidIdentityToken"
	CodeExpiredTokenException Code = "ExpiredTokenException"
	CodeIDPCommunicationError Code = "IDPCommunicationError"
	CodeIDPRejectedClaim      Code = "IDPRejectedClaim"
	webIdentityAction              = "sts:AssumeRoleWithWebIdentity"
	webIdentityClockSkew           = 5 * time.Minute // IAM User Guide, OIDC federation: five minutes past exp
	maxOIDCDocumentBytes           = 1 << 20
	oidcFetchTimeout               = 5 * time.Second
	oidcKeysTTL                    = time.Hour
	oidcRefetchInterval            = time.Minute      // after an unknown kid, at most one refresh per interval
	oidcRetryInterval              = 10 * time.Second // after a failed fetch, at most one attempt per interval
	invalidJWTMessage              = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	noVerificationKeyMessage       = "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
	// The STS API reference's description of IDPCommunicationError.
	idpUnreachableMessage = "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached."
)

// PrincipalWebIdentityUser and PrincipalSAMLUser are the callers of
// AssumeRoleWithWebIdentity and AssumeRoleWithSAML, who have no IAM
// identity: CloudTrail's userIdentity types WebIdentityUser and SAMLUser.
// Their values are well apart from principal.go's sequence.
const (
	PrincipalWebIdentityUser PrincipalType = 64
	PrincipalSAMLUser        PrincipalType = 65
)

// webIdentityAlgorithms are the signature algorithms AWS accepts for OIDC
// ID tokens: the STS API reference (AssumeRoleWithWebIdentity,
// WebIdentityToken) names RS256, RS384, RS512, ES256, ES384 and ES512.
// Symmetric (HS*) and unsigned ("none") tokens are refused at parse time.
var webIdentityAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// AssumeRoleWithWebIdentityInput is the operation's input, validated
// against the API model.
type AssumeRoleWithWebIdentityInput struct {
	RoleARN          string
	RoleSessionName  string
	WebIdentityToken string
	// ProviderID names an OAuth 2.0 provider (www.amazon.com,
	// graph.facebook.com) whose opaque access tokens only AWS can check;
	// iamd verifies every token as an OIDC ID token and ignores it.
	ProviderID      string
	DurationSeconds int // 0: 3600
	Policy          string
	PolicyARNs      []string
}

// AssumeRoleWithWebIdentityOutput is the operation's result.
type AssumeRoleWithWebIdentityOutput struct {
	AssumeRoleOutput
	Subject  string // SubjectFromWebIdentityToken
	Audience string
	Provider string // the token's iss
	// ProviderARN and UserName describe the caller for the audit trail.
	ProviderARN string
}

// webClaims are the claims iamd reads from an ID token.
type webClaims struct {
	jwt.Claims
	AZP            string          `json:"azp,omitempty"`
	AMR            json.RawMessage `json:"amr,omitempty"`
	Tags           json.RawMessage `json:"https://aws.amazon.com/tags,omitempty"`
	SourceIdentity string          `json:"https://aws.amazon.com/source_identity,omitempty"`
}

// verifiedToken is a token whose signature and claims were checked.
type verifiedToken struct {
	claims   webClaims
	provider *OIDCProvider
	audience string // the client ID the token is for
	tags     []Tag
	transit  []string
}

// AssumeRoleWithWebIdentity issues role credentials to the holder of an ID
// token from an OpenID Connect provider registered in the role's account,
// when the role's trust policy allows the provider's federated principal.
// p describes the unauthenticated caller; its identity fields are filled in
// once the token is verified, for the audit trail.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, p *Principal, in AssumeRoleWithWebIdentityInput) (*AssumeRoleWithWebIdentityOutput, error) {
	account := arnAccount(in.RoleARN)
	if account == "" || !strings.Contains(in.RoleARN, ":role/") {
		return nil, Errorf(CodeValidationError, "%s is invalid", in.RoleARN)
	}
	tok, err := s.verifyWebIdentityToken(ctx, account, in.WebIdentityToken)
	if err != nil {
		return nil, err
	}
	provARN := tok.provider.ARN()
	if p != nil {
		p.Type, p.AccountID = PrincipalWebIdentityUser, account
		p.UserID = tok.provider.URL + ":" + tok.audience + ":" + tok.claims.Subject
		p.UserName = tok.claims.Subject
		p.ARN = provARN
	}
	denied := Errorf(CodeAccessDenied, "Not authorized to perform %s", webIdentityAction)
	role := s.roleByARN(in.RoleARN)
	if role == nil {
		return nil, denied
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = 3600
	}
	maxDuration := role.MaxSessionDuration
	if maxDuration == 0 {
		maxDuration = 3600
	}
	if duration > maxDuration {
		return nil, Errorf(CodeValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if err := checkSessionTags(tok.tags, tok.transit); err != nil {
		return nil, Errorf(CodeIDPRejectedClaim, "%s", errorMessage(err))
	}
	packed, err := s.checkSessionPolicies(in.Policy, in.PolicyARNs, tok.tags)
	if err != nil {
		return nil, err
	}

	extra := webIdentityKeys(tok, in.RoleSessionName)
	actions := []string{webIdentityAction}
	if len(tok.tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if tok.claims.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		ok, err := s.federatedTrustAllows(p, role, provARN, action, extra)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, Errorf(CodeAccessDenied, "Not authorized to perform %s", action)
		}
	}

	now := s.now().UTC().Truncate(time.Second)
	sess := &Session{
		Kind: SessionRole, Account: role.AccountID, KeyID: newSessionKeyID(role.AccountID), Secret: NewSecretAccessKey(),
		Issued: now.Unix(), Expires: now.Add(time.Duration(duration) * time.Second).Unix(),
		RoleID: role.ID, RoleARN: role.ARN(), SessionName: in.RoleSessionName,
		SourceIdentity: tok.claims.SourceIdentity, Policy: in.Policy, PolicyARNs: in.PolicyARNs,
		Tags: tok.tags, TransitiveKeys: tok.transit,
	}
	token, err := s.sealSession(sess)
	if err != nil {
		return nil, internal(err)
	}
	return &AssumeRoleWithWebIdentityOutput{
		AssumeRoleOutput: AssumeRoleOutput{
			Credentials:      Credentials{AccessKeyID: sess.KeyID, SecretAccessKey: sess.Secret, SessionToken: token, Expiration: sess.ExpiresAt()},
			AssumedRoleID:    role.ID + ":" + in.RoleSessionName,
			AssumedRoleARN:   "arn:" + Partition + ":sts::" + role.AccountID + ":assumed-role/" + role.Name + "/" + in.RoleSessionName,
			PackedPolicySize: packed,
			SourceIdentity:   sess.SourceIdentity,
		},
		Subject:     tok.claims.Subject,
		Audience:    tok.audience,
		Provider:    tok.claims.Issuer,
		ProviderARN: provARN,
	}, nil
}

// webIdentityKeys are the condition keys a trust policy sees for a web
// identity (IAM User Guide, Available keys for AWS OIDC federation): the
// provider-scoped aud, oaud, sub and amr, plus the session's own keys.
func webIdentityKeys(tok *verifiedToken, sessionName string) map[string][]string {
	url := tok.provider.URL
	extra := map[string][]string{
		"sts:RoleSessionName":   {sessionName},
		"aws:FederatedProvider": {tok.provider.ARN()},
		url + ":aud":            {tok.audience},
		url + ":sub":            {tok.claims.Subject},
	}
	if tok.claims.AZP != "" && len(tok.claims.Audience) > 0 {
		// With azp present, :aud is the authorized party and the token's
		// own aud stays available as :oaud.
		extra[url+":oaud"] = []string(tok.claims.Audience)
	}
	if amr := stringOrList(tok.claims.AMR); len(amr) > 0 {
		extra[url+":amr"] = amr
	}
	if si := tok.claims.SourceIdentity; si != "" {
		extra["sts:SourceIdentity"] = []string{si}
		extra["aws:SourceIdentity"] = []string{si}
	}
	if len(tok.tags) > 0 {
		keys := make([]string, 0, len(tok.tags))
		for _, t := range tok.tags {
			extra["aws:RequestTag/"+t.Key] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		extra["aws:TagKeys"] = keys
	}
	if len(tok.transit) > 0 {
		extra["sts:TransitiveTagKeys"] = tok.transit
	}
	return extra
}

// federatedTrustAllows evaluates action by the federated principal provARN
// against role's trust policy alone: a web identity has no identity-based
// policies, so only the trust policy can allow.
func (s *Service) federatedTrustAllows(p *Principal, role *Role, provARN, action string, extra map[string][]string) (bool, error) {
	trust, err := s.compile("trust:"+role.ID, role.ARN(), "", role.AssumeRolePolicy, policy.Trust)
	if err != nil {
		return false, err
	}
	set := policy.Set{Resource: trust, ResourceAccount: role.AccountID, ResourceRequired: true}
	pctx := policy.NewContext(16)
	now := s.now()
	if p != nil && p.Request != nil {
		r := p.Request
		if !r.Time.IsZero() {
			now = r.Time
		}
		if r.SourceIP != "" {
			pctx.Set("aws:SourceIp", r.SourceIP)
		}
		if r.UserAgent != "" {
			pctx.Set("aws:UserAgent", r.UserAgent)
		}
		pctx.Set("aws:SecureTransport", strconv.FormatBool(r.SecureTransport))
		if r.Region != "" {
			pctx.Set("aws:RequestedRegion", r.Region)
		}
	}
	now = now.UTC()
	pctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	pctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	for k, v := range extra {
		pctx.Set(k, v...)
	}
	req := policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalAnonymous, Federated: provARN},
		Action:    action, Resource: role.ARN(), Context: pctx,
	}
	var d policy.Decision
	policy.Evaluate(&set, &req, &d)
	return d.Effect == policy.Allow, nil
}

// errorMessage is the message of an iam error, or of any error.
func errorMessage(err error) string {
	var ie *Error
	if errors.As(err, &ie) {
		return ie.Message
	}
	return err.Error()
}

func invalidIdentityToken(format string, args ...any) error {
	return Errorf(CodeInvalidIdentityToken, format, args...)
}

// parseWebIdentityToken parses a compact JWS with AWS's algorithms and
// returns it with its unverified claims. It reads no keys and makes no
// network call: it is the fuzzed surface.
func parseWebIdentityToken(raw string) (*jwt.JSONWebToken, *webClaims, error) {
	tok, err := jwt.ParseSigned(raw, webIdentityAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, nil, invalidIdentityToken("%s", invalidJWTMessage)
	}
	var c webClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, nil, invalidIdentityToken("%s", invalidJWTMessage)
	}
	return tok, &c, nil
}

// verifyWebIdentityToken checks a token against the OIDC provider of
// account named by its iss: signature by a key the issuer publishes,
// audience in the provider's client IDs, validity window with AWS's five
// minutes of skew, and a subject.
func (s *Service) verifyWebIdentityToken(ctx context.Context, account, raw string) (*verifiedToken, error) {
	tok, unverified, err := parseWebIdentityToken(raw)
	if err != nil {
		return nil, err
	}
	iss := unverified.Issuer
	if strings.HasPrefix(iss, s.PublicURL()+outboundIssuerPath) {
		// AWS: tokens from GetWebIdentityToken "cannot be used for OpenID
		// Connect (OIDC) federation into AWS (via the
		// AssumeRoleWithWebIdentity API)", even where an account has made
		// the issuer an OIDC provider. AWS documents no wording for the
		// refusal.
		return nil, invalidIdentityToken("Tokens issued by GetWebIdentityToken cannot be used with AssumeRoleWithWebIdentity")
	}
	url, ok := strings.CutPrefix(iss, "https://")
	if !ok || url == "" {
		return nil, invalidIdentityToken("No OpenIDConnect provider found in your account for %s", iss)
	}
	var prov *OIDCProvider
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		prov, err = tx.OIDCProvider(account, url)
		return err
	})
	if isNotFound(err) || err == nil && prov == nil {
		return nil, invalidIdentityToken("No OpenIDConnect provider found in your account for %s", iss)
	} else if err != nil {
		return nil, internal(err)
	}

	kid := tok.Headers[0].KeyID
	keys, err := oidcKeys.get(ctx, iss, prov.Thumbprints, kid, s.now())
	if err != nil {
		return nil, err
	}
	var claims webClaims
	verified := false
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if err := tok.Claims(k.Key, &claims); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		if !slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return kid == "" || k.KeyID == kid }) {
			return nil, errNoVerifyKey
		}
		return nil, invalidIdentityToken("%s", invalidJWTMessage)
	}
	now := s.now()
	if claims.Expiry == nil {
		return nil, invalidIdentityToken("%s", invalidJWTMessage)
	}
	if exp := claims.Expiry.Time(); !now.Before(exp.Add(webIdentityClockSkew)) {
		return nil, Errorf(CodeExpiredTokenException, "Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp.Unix())
	}
	if claims.NotBefore != nil && now.Add(webIdentityClockSkew).Before(claims.NotBefore.Time()) {
		return nil, invalidIdentityToken("Token is not yet valid: current date/time %d must be after the not-before date/time %d", now.Unix(), claims.NotBefore.Time().Unix())
	}
	if claims.IssuedAt != nil && now.Add(webIdentityClockSkew).Before(claims.IssuedAt.Time()) {
		return nil, invalidIdentityToken("Token issued in the future: current date/time %d must be after the issued-at date/time %d", now.Unix(), claims.IssuedAt.Time().Unix())
	}
	out := &verifiedToken{claims: claims, provider: prov}
	// AWS matches the authorized party when the token names one, else
	// any of the token's audiences, against the provider's client IDs.
	if claims.AZP != "" {
		if slices.Contains(prov.ClientIDs, claims.AZP) {
			out.audience = claims.AZP
		}
	} else {
		for _, a := range claims.Audience {
			if slices.Contains(prov.ClientIDs, a) {
				out.audience = a
				break
			}
		}
	}
	if out.audience == "" {
		return nil, invalidIdentityToken("Incorrect token audience")
	}
	if claims.Subject == "" {
		return nil, invalidIdentityToken("%s", invalidJWTMessage)
	}
	if out.tags, out.transit, err = tokenSessionTags(claims.Tags); err != nil {
		return nil, err
	}
	return out, nil
}

// tokenSessionTags reads the session tags an IdP passes in the
// https://aws.amazon.com/tags claim (IAM User Guide, Passing session tags
// using AssumeRoleWithWebIdentity): principal_tags maps each key to a
// one-element list, transitive_tag_keys lists keys.
func tokenSessionTags(raw json.RawMessage) ([]Tag, []string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var claim struct {
		PrincipalTags     map[string][]string `json:"principal_tags"`
		TransitiveTagKeys []string            `json:"transitive_tag_keys"`
	}
	if err := json.Unmarshal(raw, &claim); err != nil {
		return nil, nil, Errorf(CodeIDPRejectedClaim, "The session tags claim in the web identity token is invalid.")
	}
	keys := make([]string, 0, len(claim.PrincipalTags))
	for k := range claim.PrincipalTags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tags := make([]Tag, 0, len(keys))
	for _, k := range keys {
		v := claim.PrincipalTags[k]
		if len(v) != 1 {
			return nil, nil, Errorf(CodeIDPRejectedClaim, "The session tags claim in the web identity token is invalid.")
		}
		if len(k) == 0 || len(k) > 128 || len(v[0]) > 256 {
			return nil, nil, Errorf(CodeIDPRejectedClaim, "The session tags claim in the web identity token is invalid.")
		}
		tags = append(tags, Tag{Key: k, Value: v[0]})
	}
	if len(tags) > 50 || len(claim.TransitiveTagKeys) > 50 {
		return nil, nil, Errorf(CodeIDPRejectedClaim, "The session tags claim in the web identity token is invalid.")
	}
	return tags, claim.TransitiveTagKeys, nil
}

// stringOrList reads a claim that is a string or a list of strings.
func stringOrList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

// --- Issuer signing keys

// oidcKeySource fetches and caches issuers' JSON Web Key Sets. Key sets
// are public, so one cache serves every Service of the process.
type oidcKeySource struct {
	mu      sync.Mutex
	entries map[string]*jwksEntry // by issuer and thumbprints
	// roots verifies issuers' TLS certificates; nil: the system pool.
	roots *x509.CertPool
}

type jwksEntry struct {
	mu      sync.Mutex // held while fetching, so one request fetches for all
	keys    []jose.JSONWebKey
	fetched time.Time
	// failed and failure hold the last failed fetch: callers within
	// oidcRetryInterval get its error without a fetch, so tokens naming an
	// unreachable issuer cannot make iamd hammer it.
	failed  time.Time
	failure error
}

var oidcKeys = &oidcKeySource{entries: map[string]*jwksEntry{}}

// SetOIDCRootCAs makes the STS trust pool for OIDC issuers pool (nil: the
// system pool) and clears cached keys; it returns the previous pool. Tests
// use it with httptest's TLS issuers; deployments whose IdP has a private
// CA may instead register the CA's thumbprint on the provider, as on AWS.
func SetOIDCRootCAs(pool *x509.CertPool) *x509.CertPool {
	oidcKeys.mu.Lock()
	defer oidcKeys.mu.Unlock()
	prev := oidcKeys.roots
	oidcKeys.roots = pool
	clear(oidcKeys.entries)
	return prev
}

// get returns the issuer's keys, fetching them when the cache is cold,
// stale, or (at most once per oidcRefetchInterval) lacks kid.
func (o *oidcKeySource) get(ctx context.Context, issuer string, thumbprints []string, kid string, now time.Time) ([]jose.JSONWebKey, error) {
	// Accounts may trust the same issuer through different thumbprints:
	// keys fetched under one account's trust are not served to another.
	cacheKey := issuer + "|" + strings.ToLower(strings.Join(thumbprints, ","))
	o.mu.Lock()
	e := o.entries[cacheKey]
	if e == nil {
		e = &jwksEntry{}
		if len(o.entries) >= 10_000 {
			clear(o.entries) // bounded: issuers are the providers of all accounts
		}
		o.entries[cacheKey] = e
	}
	roots := o.roots
	o.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	age := now.Sub(e.fetched)
	missing := kid != "" && !slices.ContainsFunc(e.keys, func(k jose.JSONWebKey) bool { return k.KeyID == kid })
	if e.fetched.IsZero() || age >= oidcKeysTTL || age < 0 || missing && age >= oidcRefetchInterval {
		var keys []jose.JSONWebKey
		var err error
		if since := now.Sub(e.failed); e.failure != nil && since >= 0 && since < oidcRetryInterval {
			err = e.failure
		} else if keys, err = fetchJWKS(ctx, issuer, roots, thumbprints); err != nil {
			e.failed, e.failure = now, err
		} else {
			e.failure = nil
		}
		if err != nil {
			if e.fetched.IsZero() || age >= oidcKeysTTL || age < 0 {
				return nil, err
			}
			return e.keys, nil // a transient failure keeps the cached keys
		}
		e.keys, e.fetched = keys, now
	}
	return e.keys, nil
}

// An issuer that cannot be reached is IDPCommunicationError, which
// clients retry; one that answers but whose certificate is not trusted or
// whose documents are unusable is AWS's InvalidIdentityToken "Couldn't
// retrieve verification key".
var (
	errIDPUnreachable  = Errorf(CodeIDPCommunicationError, "%s", idpUnreachableMessage)
	errNoVerifyKey     = Errorf(CodeInvalidIdentityToken, "%s", noVerificationKeyMessage)
	errUntrustedIssuer = errors.New("issuer certificate not trusted")
)

// fetchJWKS reads the issuer's discovery document and its jwks_uri, both
// over verified HTTPS, bounded in time and size.
func fetchJWKS(ctx context.Context, issuer string, roots *x509.CertPool, thumbprints []string) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(ctx, oidcFetchTimeout)
	defer cancel()
	client := oidcClient(roots, thumbprints)
	defer client.CloseIdleConnections()
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	body, err := oidcGet(ctx, client, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return nil, err
	}
	if json.Unmarshal(body, &disc) != nil || !strings.HasPrefix(disc.JWKSURI, "https://") {
		return nil, errNoVerifyKey
	}
	body, err = oidcGet(ctx, client, disc.JWKSURI)
	if err != nil {
		return nil, err
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(body, &set) != nil {
		return nil, errNoVerifyKey
	}
	// Keys are read one by one: a key of a type go-jose does not know must
	// not hide the others.
	var keys []jose.JSONWebKey
	for _, rk := range set.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(rk) != nil || !k.Valid() || !k.IsPublic() || k.Use != "" && k.Use != "sig" {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func oidcGet(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errNoVerifyKey
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if errors.Is(err, errUntrustedIssuer) {
		return nil, errNoVerifyKey
	} else if err != nil {
		return nil, errIDPUnreachable
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errNoVerifyKey
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOIDCDocumentBytes+1))
	if err != nil || len(body) > maxOIDCDocumentBytes {
		return nil, errIDPUnreachable
	}
	return bytes.TrimSpace(body), nil
}

// oidcClient verifies the issuer's certificate against roots and, failing
// that, accepts a chain whose top certificate has one of the provider's
// thumbprints (AWS's rule for IdPs whose CA it does not trust), the host
// name being checked either way. It follows no redirect to plain HTTP and
// uses no proxy.
func oidcClient(roots *x509.CertPool, thumbprints []string) *http.Client {
	dialer := &net.Dialer{Timeout: oidcFetchTimeout}
	dialTLS := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn := tls.Client(raw, &tls.Config{
			MinVersion: tls.VersionTLS12,
			ServerName: host,
			// Verification is done in VerifyConnection, which sees the
			// whole chain and can fall back to the thumbprints; it checks
			// the dialled host, which TLS leaves out of SNI for addresses.
			InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				return verifyIssuerChain(cs.PeerCertificates, host, roots, thumbprints)
			},
		})
		if err := conn.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return conn, nil
	}
	return &http.Client{
		Timeout: oidcFetchTimeout,
		Transport: &http.Transport{
			DialTLSContext:         dialTLS,
			ResponseHeaderTimeout:  oidcFetchTimeout,
			MaxResponseHeaderBytes: 64 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) >= 3 {
				return errors.New("redirect refused")
			}
			return nil
		},
	}
}

func verifyIssuerChain(certs []*x509.Certificate, host string, roots *x509.CertPool, thumbprints []string) error {
	if len(certs) == 0 {
		return errUntrustedIssuer
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host}
	if _, err := certs[0].Verify(opts); err == nil {
		return nil
	}
	top := certs[len(certs)-1]
	sum := sha1.Sum(top.Raw)
	tp := hex.EncodeToString(sum[:])
	if !slices.ContainsFunc(thumbprints, func(t string) bool { return strings.EqualFold(t, tp) }) {
		return fmt.Errorf("%s: %w", host, errUntrustedIssuer)
	}
	// The thumbprinted certificate is the trust anchor; the leaf must
	// still chain to it and name the host.
	anchor := x509.NewCertPool()
	anchor.AddCert(top)
	opts.Roots = anchor
	if _, err := certs[0].Verify(opts); err != nil {
		return fmt.Errorf("%s: %w", host, errUntrustedIssuer)
	}
	return nil
}
