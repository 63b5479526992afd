package iam

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamd/iamd/keyring"
)

// Outbound web identity federation (IAM User Guide, "Outbound identity
// federation"): once an account enables it, its principals exchange their
// AWS credentials for short-lived JWTs (STS GetWebIdentityToken) that
// external services verify against the keys iamd publishes under the
// account's issuer URL.
//
// The account's state is one JSON value in the store's key-value meta, so
// that every node sharing the database (PostgreSQL) signs with the same
// keys and answers with the same issuer; the private keys in it are sealed
// with the master keyring, like access-key secrets, and re-encrypted by
// `iamd keys rotate` (rekey.go). A second meta value maps the issuer's
// unique ID back to its account for the unauthenticated discovery
// endpoints.

// Outbound federation error codes, as the IAM and STS API models spell them.
const (
	CodeFeatureEnabled             Code = "FeatureEnabled"
	CodeFeatureDisabled            Code = "FeatureDisabled"
	CodeOutboundFederationDisabled Code = "OutboundWebIdentityFederationDisabledException"
	CodeSessionDurationEscalation  Code = "SessionDurationEscalationException"
	CodeJWTPayloadSizeExceeded     Code = "JWTPayloadSizeExceededException"
	outboundClaimNamespace              = "https://sts.amazonaws.com/"
	outboundDefaultDuration             = 300  // seconds: the STS API reference's default
	outboundMaxDuration                 = 3600 // seconds: the model's maximum
	outboundIssuerPath                  = "/oidc/"
	outboundRSABits                     = 2048
	metaOutboundPrefix                  = "outbound_web_identity/"
	metaOutboundIssuerPrefix            = "outbound_web_identity_issuer/"
	outboundSignerCacheMax              = 1024
)

// SealedOutboundKey names the outbound federation signing keys in
// SealedCounts and rekey reports. They are not among SealedKinds, which
// the stores walk table by table: they live in the meta value
// outbound_web_identity/<account>, and Rekey and CountSealed handle them
// on their own.
const SealedOutboundKey SealedKind = "outbound"

// MaxWebIdentityTokenPayload bounds the JSON claims of a token
// GetWebIdentityToken signs. AWS does not publish its limit
// (JWTPayloadSizeExceededException only says to pass fewer request tags);
// 16 KiB accepts 50 request tags of ordinary size together with the
// principal's tags, and refuses only what the model's own limits (50 tags
// of up to 128 and 256 characters) would barely allow.
const MaxWebIdentityTokenPayload = 16 << 10

// OutboundSigningAlgorithms are the algorithms GetWebIdentityToken signs
// with (STS API reference, SigningAlgorithm: RS256 and ES384).
var OutboundSigningAlgorithms = []string{string(jose.RS256), string(jose.ES384)}

// outboundState is the Service's in-memory part of outbound federation:
// the public base URL issuers live under, and parsed signing keys.
type outboundState struct {
	publicURL atomic.Pointer[string]

	mu      sync.Mutex
	signers map[[32]byte]jose.Signer // by SHA-256 of the sealed key
}

// outboundConfig is an account's outbound federation state, stored as JSON
// under metaOutboundPrefix+account.
type outboundConfig struct {
	Enabled bool `json:"enabled"`
	// IssuerID is the unique part of the issuer URL, fixed when the
	// feature is first enabled: re-enabling keeps it (and the keys), so
	// trust configured at external services stays valid.
	IssuerID string `json:"issuer_id"`
	// DisabledAt (Unix seconds) lets the discovery endpoints keep
	// publishing the keys while tokens issued before a disable can still
	// be valid: disabling "does not affect tokens that were issued before"
	// (IAM API reference, DisableOutboundWebIdentityFederation).
	DisabledAt int64         `json:"disabled_at,omitempty"`
	Keys       []outboundKey `json:"keys"`
}

// outboundKey is one signing key: the private key (PKCS #8) sealed with
// the keyring under outboundKeyAD, the public key (PKIX) in clear for the
// JWKS document.
type outboundKey struct {
	KeyID     string `json:"kid"`
	Algorithm string `json:"alg"`
	Sealed    []byte `json:"sealed"`
	Public    []byte `json:"public"`
}

func metaOutbound(account string) string      { return metaOutboundPrefix + account }
func metaOutboundIssuer(issuer string) string { return metaOutboundIssuerPrefix + issuer }

// outboundKeyAD binds a sealed signing key to its account and key ID, so a
// sealed value copied to another account does not open.
func outboundKeyAD(account, kid string) []byte {
	return []byte("iamd/outbound-key/v1/" + account + "/" + kid)
}

// SetPublicURL sets the base URL under which the server is reachable from
// outside (scheme, host, optional path; no trailing slash needed): issuer
// URLs are <base>/oidc/<unique ID>. Every node of a deployment must be
// given the same one.
func (s *Service) SetPublicURL(base string) {
	base = strings.TrimRight(base, "/")
	s.outbound.publicURL.Store(&base)
}

// defaultPublicURL is the base URL of a Service never given one: iamd's
// default listen address. The server always sets the real one; this keeps
// a Service used on its own (tests, tools) from failing the operations.
const defaultPublicURL = "http://127.0.0.1:9393"

// PublicURL returns the base URL set by SetPublicURL, or iamd's default
// listen address when none was set.
func (s *Service) PublicURL() string {
	if p := s.outbound.publicURL.Load(); p != nil && *p != "" {
		return *p
	}
	return defaultPublicURL
}

// CheckPublicURL reports whether base can serve as the public base URL:
// an absolute http or https URL with a host and no query or fragment.
func CheckPublicURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("public URL %q: %w", base, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
		u.Opaque != "" || strings.ContainsAny(u.Path, "{} \t") {
		return fmt.Errorf("public URL %q: want http(s)://host[:port][/path], without user, query or fragment", base)
	}
	return nil
}

func (s *Service) issuerURL(issuerID string) string {
	return s.PublicURL() + outboundIssuerPath + issuerID
}

// readOutbound returns the account's configuration, or nil when the
// feature was never enabled.
func readOutbound(tx Tx, account string) (*outboundConfig, error) {
	v, err := tx.Meta(metaOutbound(account))
	if isNotFound(err) || err == nil && v == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cfg outboundConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", metaOutbound(account), err)
	}
	return &cfg, nil
}

func writeOutbound(tx Tx, account string, cfg *outboundConfig) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	return tx.SetMeta(metaOutbound(account), string(b))
}

func (s *Service) outboundConfig(ctx context.Context, account string) (*outboundConfig, error) {
	var cfg *outboundConfig
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		cfg, err = readOutbound(tx, account)
		return err
	})
	return cfg, err
}

// EnableOutboundWebIdentityFederation enables the feature for the caller's
// account and returns the account's issuer URL. The first enable generates
// the issuer's unique ID and its signing keys (one RS256, one ES384);
// enabling again after a disable reuses them. FeatureEnabled (409) when
// already enabled.
func (s *Service) EnableOutboundWebIdentityFederation(ctx context.Context, p *Principal) (string, error) {
	if err := s.authorize(p, "iam:EnableOutboundWebIdentityFederation", "*"); err != nil {
		return "", err
	}
	account := p.AccountID
	current, err := s.outboundConfig(ctx, account)
	if err != nil {
		return "", internal(err)
	}
	if current != nil && current.Enabled {
		return "", errFeatureEnabled()
	}
	// Keys are generated outside the transaction (an RSA key takes tens of
	// milliseconds), and only when the account has none yet.
	var fresh *outboundConfig
	if current == nil {
		if fresh, err = newOutboundConfig(s.keyring, account); err != nil {
			return "", internal(err)
		}
	}
	var issuerID string
	err = s.update(ctx, func(tx Tx) error {
		cfg, err := readOutbound(tx, account)
		if err != nil {
			return err
		}
		switch {
		case cfg != nil && cfg.Enabled:
			return errFeatureEnabled()
		case cfg == nil && fresh == nil:
			// The configuration read before the transaction is gone, which
			// only a database restored in between does (configurations are
			// never deleted): the caller retries, and generates keys then.
			return Errorf(CodeConcurrentModification, "Outbound identity federation was changed by another request. Retry the request.")
		case cfg == nil:
			cfg = fresh
			if err := tx.SetMeta(metaOutboundIssuer(cfg.IssuerID), account); err != nil {
				return err
			}
		}
		cfg.Enabled, cfg.DisabledAt = true, 0
		issuerID = cfg.IssuerID
		return writeOutbound(tx, account, cfg)
	})
	if err != nil {
		return "", err
	}
	return s.issuerURL(issuerID), nil
}

// DisableOutboundWebIdentityFederation disables the feature for the
// caller's account: GetWebIdentityToken is refused from then on, while
// tokens already issued stay verifiable until they expire.
// FeatureDisabled (404) when it is not enabled.
func (s *Service) DisableOutboundWebIdentityFederation(ctx context.Context, p *Principal) error {
	if err := s.authorize(p, "iam:DisableOutboundWebIdentityFederation", "*"); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		cfg, err := readOutbound(tx, p.AccountID)
		if err != nil {
			return err
		}
		if cfg == nil || !cfg.Enabled {
			return errFeatureDisabled()
		}
		cfg.Enabled, cfg.DisabledAt = false, s.now().Unix()
		return writeOutbound(tx, p.AccountID, cfg)
	})
}

// OutboundInfo is GetOutboundWebIdentityFederationInfo's result.
type OutboundInfo struct {
	IssuerIdentifier string
	Enabled          bool // JwtVendingEnabled
}

// GetOutboundWebIdentityFederationInfo returns the account's issuer URL
// and whether the feature is enabled. FeatureDisabled (404) when it was
// never enabled, as the account has no issuer then.
func (s *Service) GetOutboundWebIdentityFederationInfo(ctx context.Context, p *Principal) (OutboundInfo, error) {
	if err := s.authorize(p, "iam:GetOutboundWebIdentityFederationInfo", "*"); err != nil {
		return OutboundInfo{}, err
	}
	cfg, err := s.outboundConfig(ctx, p.AccountID)
	if err != nil {
		return OutboundInfo{}, internal(err)
	}
	if cfg == nil {
		return OutboundInfo{}, errFeatureDisabled()
	}
	return OutboundInfo{IssuerIdentifier: s.issuerURL(cfg.IssuerID), Enabled: cfg.Enabled}, nil
}

// The messages are the API models' descriptions of the errors.
func errFeatureEnabled() error {
	return Errorf(CodeFeatureEnabled, "Outbound identity federation is already enabled for your AWS account.")
}

func errFeatureDisabled() error {
	return Errorf(CodeFeatureDisabled, "Outbound identity federation is disabled for your AWS account.")
}

// newOutboundConfig generates an issuer ID and the signing keys.
func newOutboundConfig(kr *keyring.Keyring, account string) (*outboundConfig, error) {
	cfg := &outboundConfig{IssuerID: newUUID()}
	for _, alg := range OutboundSigningAlgorithms {
		k, err := newOutboundKey(kr, account, alg)
		if err != nil {
			return nil, err
		}
		cfg.Keys = append(cfg.Keys, k)
	}
	return cfg, nil
}

func newOutboundKey(kr *keyring.Keyring, account, alg string) (outboundKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case string(jose.RS256):
		priv, err = rsa.GenerateKey(rand.Reader, outboundRSABits)
	case string(jose.ES384):
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		err = fmt.Errorf("unsupported algorithm %s", alg)
	}
	if err != nil {
		return outboundKey{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return outboundKey{}, err
	}
	// The key ID is the RFC 7638 thumbprint of the public key: stable,
	// unique, and checkable by anyone holding the JWKS.
	thumb, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		return outboundKey{}, err
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return outboundKey{}, err
	}
	sealed := kr.Seal(der, outboundKeyAD(account, kid))
	clear(der)
	return outboundKey{KeyID: kid, Algorithm: alg, Sealed: sealed, Public: pub}, nil
}

// GetWebIdentityTokenInput is GetWebIdentityToken's input, validated
// against the STS model (1-10 audiences of 1-1000 characters, duration
// 60-3600, at most 50 tags).
type GetWebIdentityTokenInput struct {
	Audience         []string
	DurationSeconds  int // 0: 300
	SigningAlgorithm string
	Tags             []Tag
}

// WebIdentityToken is GetWebIdentityToken's result.
type WebIdentityToken struct {
	Token      string
	Expiration time.Time
}

// outboundClaims are a token's claims (IAM User Guide, "Understanding token
// claims"): the standard OIDC claims, and AWS's identity claims under the
// https://sts.amazonaws.com/ namespace.
type outboundClaims struct {
	Issuer   string            `json:"iss"`
	Audience jwt.Audience      `json:"aud"` // one audience is written as a string
	Subject  string            `json:"sub"`
	IssuedAt int64             `json:"iat"`
	Expiry   int64             `json:"exp"`
	ID       string            `json:"jti"`
	AWS      outboundAWSClaims `json:"https://sts.amazonaws.com/"`
}

// outboundAWSClaims are the namespaced claims iamd can fill: the account,
// the region the request was signed for, the principal's tags (session
// tags overriding the identity's, as for aws:PrincipalTag) and the request
// tags. Organization and compute-context claims (org_id, ou_path,
// ec2_*, lambda_*) have no counterpart in iamd and are never present, as
// on AWS for principals outside an organization.
type outboundAWSClaims struct {
	Account       string            `json:"aws_account"`
	SourceRegion  string            `json:"source_region,omitempty"`
	PrincipalTags map[string]string `json:"principal_tags,omitempty"`
	RequestTags   map[string]string `json:"request_tags,omitempty"`
}

// GetWebIdentityToken signs a JWT asserting the caller's identity for the
// audiences asked. The caller needs sts:GetWebIdentityToken (and
// sts:TagGetWebIdentityToken when passing tags), with the request's
// sts:IdentityTokenAudience, sts:DurationSeconds, sts:SigningAlgorithm,
// aws:RequestTag/* and aws:TagKeys in the context. Errors:
// OutboundWebIdentityFederationDisabledException (403) when the account
// has not enabled the feature; SessionDurationEscalationException (403)
// when temporary credentials would expire before the token;
// JWTPayloadSizeExceededException (400) beyond MaxWebIdentityTokenPayload.
// Which credentials may call it at all is SessionAllows' business: role
// sessions may, GetSessionToken and federated-user sessions may not.
func (s *Service) GetWebIdentityToken(ctx context.Context, p *Principal, in GetWebIdentityTokenInput) (*WebIdentityToken, error) {
	alg := in.SigningAlgorithm
	if alg != string(jose.RS256) && alg != string(jose.ES384) {
		return nil, Errorf(CodeValidationError, "1 validation error detected: Value '%s' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]", alg)
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = outboundDefaultDuration
	}
	// The protocol layer has applied the model's 60-3600 already; callers
	// of the Service directly get the same answer.
	if duration < 60 {
		return nil, Errorf(CodeValidationError, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60", duration)
	}
	if duration > outboundMaxDuration {
		return nil, Errorf(CodeValidationError, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 3600", duration)
	}
	if err := checkSessionTags(in.Tags, nil); err != nil {
		return nil, err
	}
	keys := authzKeys{requestTags: in.Tags, extra: map[string][]string{
		"sts:IdentityTokenAudience": in.Audience,
		// The effective duration, defaulted or not, so that a policy
		// capping it (NumericLessThanEquals) holds for both.
		"sts:DurationSeconds":  {strconv.Itoa(duration)},
		"sts:SigningAlgorithm": {alg},
	}}
	if err := s.authorizeWith(p, "sts:GetWebIdentityToken", "*", &keys); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		if err := s.authorizeWith(p, "sts:TagGetWebIdentityToken", "*", &keys); err != nil {
			return nil, err
		}
	}

	cfg, err := s.outboundConfig(ctx, p.AccountID)
	if err != nil {
		return nil, internal(err)
	}
	if cfg == nil || !cfg.Enabled {
		return nil, Errorf(CodeOutboundFederationDisabled, "The outbound web identity federation feature is not enabled for this account.")
	}
	now := s.now().UTC().Truncate(time.Second)
	if p.Request != nil && !p.Request.Time.IsZero() {
		now = p.Request.Time.UTC().Truncate(time.Second)
	}
	exp := now.Add(time.Duration(duration) * time.Second)
	if p.Session != nil && exp.After(p.Session.ExpiresAt()) {
		return nil, Errorf(CodeSessionDurationEscalation, "The requested token duration would extend the session beyond its original expiration time.")
	}
	iss := s.issuerURL(cfg.IssuerID)
	claims := outboundClaims{
		Issuer: iss, Audience: jwt.Audience(in.Audience), Subject: outboundSubject(p),
		IssuedAt: now.Unix(), Expiry: exp.Unix(), ID: newUUID(),
		AWS: outboundAWSClaims{Account: p.AccountID, PrincipalTags: s.outboundPrincipalTags(p)},
	}
	if p.Request != nil {
		claims.AWS.SourceRegion = p.Request.Region
	}
	if len(in.Tags) > 0 {
		claims.AWS.RequestTags = make(map[string]string, len(in.Tags))
		for _, t := range in.Tags {
			claims.AWS.RequestTags[t.Key] = t.Value
		}
	}
	payload, err := json.Marshal(&claims)
	if err != nil {
		return nil, internal(err)
	}
	if len(payload) > MaxWebIdentityTokenPayload {
		return nil, Errorf(CodeJWTPayloadSizeExceeded, "The requested token payload size exceeds the maximum allowed size. Reduce the number of request tags included in the GetWebIdentityToken API call.")
	}
	signer, err := s.outboundSigner(p.AccountID, cfg, alg)
	if err != nil {
		return nil, internal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, internal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return nil, internal(err)
	}
	return &WebIdentityToken{Token: token, Expiration: exp}, nil
}

// outboundSubject is the sub claim: the principal's ARN as
// aws:PrincipalArn has it, which for a role session is the role
// (the IAM User Guide's sample token: "sub": "arn:aws:iam::...:role/...").
func outboundSubject(p *Principal) string {
	if p.Session != nil && p.Session.Kind == SessionRole {
		return p.Session.RoleARN
	}
	return p.ARN
}

// outboundPrincipalTags are the principal's tags as aws:PrincipalTag sees
// them (fillContext): the user's or role's, overridden by session tags.
func (s *Service) outboundPrincipalTags(p *Principal) map[string]string {
	var tags []Tag
	sess := p.Session
	switch {
	case p.Type == PrincipalUser:
		if u := s.state.userByID(p.UserID); u != nil {
			tags = u.Tags
		}
	case sess != nil && sess.Kind == SessionRole:
		if r := s.state.roleByID(sess.RoleID); r != nil {
			tags = r.Tags
		}
	}
	if len(tags) == 0 && (sess == nil || len(sess.Tags) == 0) {
		return nil
	}
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[t.Key] = t.Value
	}
	if sess != nil {
		for _, t := range sess.Tags {
			out[t.Key] = t.Value
		}
	}
	return out
}

// outboundSigner returns a signer for the account's key of alg, opening
// and parsing the sealed key once: later calls find it by the sealed
// value's hash, so a re-encrypted or replaced key is opened afresh.
func (s *Service) outboundSigner(account string, cfg *outboundConfig, alg string) (jose.Signer, error) {
	var key *outboundKey
	for i := range cfg.Keys {
		if cfg.Keys[i].Algorithm == alg {
			key = &cfg.Keys[i]
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("account %s has no %s signing key", account, alg)
	}
	h := sha256.Sum256(key.Sealed)
	o := &s.outbound
	o.mu.Lock()
	signer := o.signers[h]
	o.mu.Unlock()
	if signer != nil {
		return signer, nil
	}
	der, err := s.keyring.Open(key.Sealed, outboundKeyAD(account, key.KeyID))
	if err != nil {
		return nil, fmt.Errorf("open %s signing key %s: %w", alg, key.KeyID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	clear(der)
	if err != nil {
		return nil, fmt.Errorf("parse %s signing key %s: %w", alg, key.KeyID, err)
	}
	signer, err = jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: key.KeyID, Algorithm: alg}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	if o.signers == nil || len(o.signers) >= outboundSignerCacheMax {
		o.signers = map[[32]byte]jose.Signer{}
	}
	o.signers[h] = signer
	o.mu.Unlock()
	return signer, nil
}

// OutboundDocuments are the OIDC discovery documents of an issuer.
type OutboundDocuments struct {
	Issuer        string
	Configuration []byte // /.well-known/openid-configuration
	JWKS          []byte // /.well-known/jwks.json
}

// OutboundIssuerDocuments returns the discovery documents of the issuer
// with the unique ID issuerID, for the unauthenticated endpoints under
// <public URL>/oidc/<issuerID>. ErrNotFound when no account has that
// issuer, or its feature is disabled and every token it issued has
// expired.
func (s *Service) OutboundIssuerDocuments(ctx context.Context, issuerID string) (*OutboundDocuments, error) {
	if !isUUID(issuerID) {
		return nil, ErrNotFound
	}
	var cfg *outboundConfig
	err := s.store.View(ctx, func(tx Tx) error {
		account, err := tx.Meta(metaOutboundIssuer(issuerID))
		if err != nil {
			return err
		}
		cfg, err = readOutbound(tx, account)
		return err
	})
	if err != nil {
		return nil, err
	}
	if cfg == nil || cfg.IssuerID != issuerID ||
		!cfg.Enabled && !s.now().Before(time.Unix(cfg.DisabledAt+outboundMaxDuration, 0)) {
		return nil, ErrNotFound
	}
	iss := s.issuerURL(issuerID)
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(cfg.Keys))}
	for _, k := range cfg.Keys {
		pub, err := x509.ParsePKIXPublicKey(k.Public)
		if err != nil {
			return nil, fmt.Errorf("public key %s: %w", k.KeyID, err)
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub, KeyID: k.KeyID, Algorithm: k.Algorithm, Use: "sig"})
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	conf, err := json.Marshal(map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": OutboundSigningAlgorithms,
		"claims_supported":                      []string{"iss", "sub", "aud", "iat", "exp", "jti", outboundClaimNamespace},
	})
	if err != nil {
		return nil, err
	}
	return &OutboundDocuments{Issuer: iss, Configuration: conf, JWKS: jwks}, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// rekeyOutbound re-encrypts the outbound signing keys of every account
// that are not sealed with the keyring's current key, in one transaction
// (an account has two keys; deployments have few accounts). raced is
// always zero: the read and the write share the transaction.
func rekeyOutbound(ctx context.Context, store Store, kr *keyring.Keyring) (resealed, raced int, bad []string, err error) {
	current := kr.Current()
	err = store.Update(ctx, func(tx Tx) error {
		resealed, bad = 0, nil
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range accounts {
			cfg, err := readOutbound(tx, a.ID)
			if err != nil || cfg == nil {
				if err != nil {
					return err
				}
				continue
			}
			changed := false
			for i := range cfg.Keys {
				k := &cfg.Keys[i]
				if id, ok := keyring.KeyID(k.Sealed); ok && id == current {
					continue
				}
				ad := outboundKeyAD(a.ID, k.KeyID)
				plain, err := kr.Open(k.Sealed, ad)
				if err != nil {
					bad = append(bad, string(SealedOutboundKey)+" "+a.ID+"/"+k.KeyID)
					continue
				}
				k.Sealed = kr.Seal(plain, ad)
				clear(plain)
				changed = true
				resealed++
			}
			if changed {
				if err := writeOutbound(tx, a.ID, cfg); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return resealed, 0, bad, err
}

// countOutbound adds the outbound signing keys to counts, by the key that
// sealed them, so that `iamd keys prune` never drops a key they need.
func countOutbound(ctx context.Context, store Store, counts SealedCounts) error {
	return store.View(ctx, func(tx Tx) error {
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range accounts {
			cfg, err := readOutbound(tx, a.ID)
			if err != nil {
				return err
			}
			if cfg == nil {
				continue
			}
			for _, k := range cfg.Keys {
				id, _ := keyring.KeyID(k.Sealed)
				if counts[id] == nil {
					counts[id] = map[SealedKind]int{}
				}
				counts[id][SealedOutboundKey]++
			}
		}
		return nil
	})
}
