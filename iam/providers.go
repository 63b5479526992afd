package iam

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"time"
)

// quota returns q, or def when the deployment left q unset (zero).
func quota(q, def int) int {
	if q <= 0 {
		return def
	}
	return q
}

func (s *Service) quotaOIDC() int      { return quota(s.quotas.OIDCProvidersPerAccount, 100) }
func (s *Service) quotaClientIDs() int { return quota(s.quotas.ClientIDsPerOIDCProvider, 100) }
func (s *Service) quotaSAML() int      { return quota(s.quotas.SAMLProvidersPerAccount, 100) }

// maxThumbprints is fixed by AWS, not an adjustable quota.
const maxThumbprints = 5

func accountARN(account string) string { return "arn:" + Partition + ":iam::" + account + ":root" }

// providerARNPart parses arn:aws:iam::<account>:<kind>/<rest>.
func providerARNPart(arn, kind string) (account, rest string, ok bool) {
	prefix := "arn:" + Partition + ":iam::"
	if !strings.HasPrefix(arn, prefix) {
		return "", "", false
	}
	account, after, found := strings.Cut(arn[len(prefix):], ":")
	if !found || !isAccountID(account) || !strings.HasPrefix(after, kind+"/") {
		return "", "", false
	}
	rest = after[len(kind)+1:]
	return account, rest, rest != ""
}

// --- OpenID Connect providers

// oidcURL checks a provider URL and returns it without its scheme, the form
// AWS keys, returns and builds ARNs from.
func oidcURL(raw string) (string, error) {
	const scheme = "https://"
	if len(raw) <= len(scheme) || !strings.EqualFold(raw[:len(scheme)], scheme) {
		return "", Errorf(CodeInvalidInput, "Invalid OpenID Connect Provider URL. The URL must begin with https://")
	}
	rest := raw[len(scheme):]
	host, _, _ := strings.Cut(rest, "/")
	if host == "" || strings.ContainsAny(rest, " \t\r\n?#") {
		return "", Errorf(CodeInvalidInput, "Invalid OpenID Connect Provider URL.")
	}
	return rest, nil
}

func checkThumbprints(tps []string) error {
	if len(tps) > maxThumbprints {
		return Errorf(CodeInvalidInput, "Thumbprint list must contain fewer than %d entries.", maxThumbprints+1)
	}
	for _, tp := range tps {
		if _, err := hex.DecodeString(tp); err != nil || len(tp) != 40 {
			return Errorf(CodeInvalidInput, "Thumbprint %s is not a 40-character hexadecimal string.", tp)
		}
	}
	return nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func noSuchOIDC(arn string) error {
	return Errorf(CodeNoSuchEntity, "OpenIDConnect Provider not found for arn %s", arn)
}

// CreateOIDCProviderInput is CreateOpenIDConnectProvider's input.
type CreateOIDCProviderInput struct {
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
}

// CreateOIDCProvider registers an OpenID Connect identity provider. AWS
// made the thumbprint list optional in 2024 (it trusts the IdP's CA
// itself), so an empty list is accepted.
func (s *Service) CreateOIDCProvider(ctx context.Context, p *Principal, in CreateOIDCProviderInput) (*OIDCProvider, error) {
	url, err := oidcURL(in.URL)
	if err != nil {
		return nil, err
	}
	prov := &OIDCProvider{AccountID: p.AccountID, URL: url, CreateDate: s.clock()}
	if err := s.authorizeWith(p, "iam:CreateOpenIDConnectProvider", prov.ARN(), &authzKeys{requestTags: in.Tags}); err != nil {
		return nil, err
	}
	if err := checkThumbprints(in.Thumbprints); err != nil {
		return nil, err
	}
	prov.Thumbprints = in.Thumbprints
	prov.ClientIDs = dedupe(in.ClientIDs)
	if len(prov.ClientIDs) > s.quotaClientIDs() {
		return nil, Errorf(CodeLimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", s.quotaClientIDs())
	}
	if prov.Tags, err = s.mergeTagsExact(nil, in.Tags); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx Tx) error {
		dup := Errorf(CodeEntityAlreadyExists, "Provider with url %s already exists.", in.URL)
		// A duplicate is reported before the quota, as for other entities.
		if _, err := tx.OIDCProvider(p.AccountID, url); err == nil {
			return dup
		} else if !isNotFound(err) {
			return err
		}
		existing, err := tx.OIDCProviders(p.AccountID)
		if err != nil {
			return err
		}
		if len(existing) >= s.quotaOIDC() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d", s.quotaOIDC())
		}
		if err := tx.CreateOIDCProvider(prov); err != nil {
			if isExists(err) {
				return dup
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return prov, nil
}

// oidcForRead authorizes action on the provider named by arn and loads it.
// extra are the request's own condition keys (nil: none); the provider's
// tags are added to them.
func (s *Service) oidcForRead(tx Tx, p *Principal, action, arn string, extra *authzKeys) (*OIDCProvider, error) {
	account, url, ok := providerARNPart(arn, "oidc-provider")
	if !ok {
		return nil, Errorf(CodeInvalidInput, "Invalid ARN: %s", arn)
	}
	prov, err := tx.OIDCProvider(account, url)
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	if err == nil && prov != nil {
		k.resourceTags = prov.Tags
	}
	if err := s.authorizeWith(p, action, arn, &k); err != nil {
		return nil, err
	}
	if isNotFound(err) {
		return nil, noSuchOIDC(arn)
	}
	return prov, err
}

// GetOIDCProvider returns the provider with the ARN.
func (s *Service) GetOIDCProvider(ctx context.Context, p *Principal, arn string) (*OIDCProvider, error) {
	var out *OIDCProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = s.oidcForRead(tx, p, "iam:GetOpenIDConnectProvider", arn, nil)
		return err
	})
	return out, internal(err)
}

// ListOIDCProviders lists the account's OpenID Connect providers (AWS does
// not paginate this listing).
func (s *Service) ListOIDCProviders(ctx context.Context, p *Principal) ([]*OIDCProvider, error) {
	if err := s.authorize(p, "iam:ListOpenIDConnectProviders", accountARN(p.AccountID)); err != nil {
		return nil, err
	}
	var out []*OIDCProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.OIDCProviders(p.AccountID)
		return err
	})
	return out, internal(err)
}

// DeleteOIDCProvider deletes a provider. Deleting one that does not exist
// succeeds (once the caller is allowed to): AWS documents the operation as
// idempotent, although its model lists NoSuchEntity.
func (s *Service) DeleteOIDCProvider(ctx context.Context, p *Principal, arn string) error {
	return s.update(ctx, func(tx Tx) error {
		prov, err := s.oidcForRead(tx, p, "iam:DeleteOpenIDConnectProvider", arn, nil)
		if ErrorCode(err) == CodeNoSuchEntity {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.DeleteOIDCProvider(prov.AccountID, prov.URL)
	})
}

// modifyOIDC runs change on the provider inside a write transaction.
func (s *Service) modifyOIDC(ctx context.Context, p *Principal, action, arn string, extra *authzKeys, change func(*OIDCProvider) error) error {
	return s.update(ctx, func(tx Tx) error {
		prov, err := s.oidcForRead(tx, p, action, arn, extra)
		if err != nil {
			return err
		}
		if err := change(prov); err != nil {
			return err
		}
		return tx.UpdateOIDCProvider(prov)
	})
}

// AddClientIDToOIDCProvider adds an audience; adding one already present
// is not an error, as AWS documents.
func (s *Service) AddClientIDToOIDCProvider(ctx context.Context, p *Principal, arn, clientID string) error {
	return s.modifyOIDC(ctx, p, "iam:AddClientIDToOpenIDConnectProvider", arn, nil, func(prov *OIDCProvider) error {
		if slices.Contains(prov.ClientIDs, clientID) {
			return nil
		}
		if len(prov.ClientIDs) >= s.quotaClientIDs() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", s.quotaClientIDs())
		}
		prov.ClientIDs = append(prov.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientIDFromOIDCProvider removes an audience; removing one that is
// absent is not an error, as AWS documents.
func (s *Service) RemoveClientIDFromOIDCProvider(ctx context.Context, p *Principal, arn, clientID string) error {
	return s.modifyOIDC(ctx, p, "iam:RemoveClientIDFromOpenIDConnectProvider", arn, nil, func(prov *OIDCProvider) error {
		prov.ClientIDs = slices.DeleteFunc(prov.ClientIDs, func(c string) bool { return c == clientID })
		return nil
	})
}

// UpdateOIDCProviderThumbprint replaces the thumbprint list.
func (s *Service) UpdateOIDCProviderThumbprint(ctx context.Context, p *Principal, arn string, tps []string) error {
	if err := checkThumbprints(tps); err != nil {
		return err
	}
	return s.modifyOIDC(ctx, p, "iam:UpdateOpenIDConnectProviderThumbprint", arn, nil, func(prov *OIDCProvider) error {
		prov.Thumbprints = tps
		return nil
	})
}

// TagOIDCProvider adds or overwrites tags.
func (s *Service) TagOIDCProvider(ctx context.Context, p *Principal, arn string, tags []Tag) error {
	return s.modifyOIDC(ctx, p, "iam:TagOpenIDConnectProvider", arn, &authzKeys{requestTags: tags}, func(prov *OIDCProvider) error {
		merged, err := s.mergeTagsExact(prov.Tags, tags)
		prov.Tags = merged
		return err
	})
}

// UntagOIDCProvider removes tags by key.
func (s *Service) UntagOIDCProvider(ctx context.Context, p *Principal, arn string, keys []string) error {
	return s.modifyOIDC(ctx, p, "iam:UntagOpenIDConnectProvider", arn, &authzKeys{tagKeys: keys}, func(prov *OIDCProvider) error {
		prov.Tags = removeTagsExact(prov.Tags, keys)
		return nil
	})
}

// ListOIDCProviderTags lists a provider's tags.
func (s *Service) ListOIDCProviderTags(ctx context.Context, p *Principal, arn string, in ListInput) (Page[Tag], error) {
	prov, err := s.GetOIDCProvider(ctx, p, arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(prov.Tags, in)
}

// --- SAML providers

// samlValidity is how long AWS keeps a provider valid when its metadata
// sets no validUntil (AWS reports dates about a century ahead).
const samlValidity = 100 * 365 * 24 * time.Hour

const (
	nsSAMLMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
)

type samlMetadata struct {
	XMLName    xml.Name
	EntityID   string `xml:"entityID,attr"`
	ValidUntil string `xml:"validUntil,attr"`
	IDPs       []struct {
		XMLName xml.Name
		Keys    []struct {
			XMLName xml.Name
			Use     string   `xml:"use,attr"`
			Certs   []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
	} `xml:"IDPSSODescriptor"`
}

var errSAMLMetadata = Errorf(CodeInvalidInput, "Could not parse metadata")

// parseSAMLMetadata checks that doc is a SAML 2.0 EntityDescriptor for an
// identity provider with at least one signing certificate, which is what
// AWS needs to verify assertions, and returns its validUntil (zero if
// none).
func parseSAMLMetadata(doc string) (time.Time, error) {
	var md samlMetadata
	dec := xml.NewDecoder(strings.NewReader(doc))
	// Metadata never needs DTDs or entities; refusing non-UTF-8 charsets
	// keeps the decoder from guessing.
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") {
			return input, nil
		}
		return nil, errSAMLMetadata
	}
	if err := dec.Decode(&md); err != nil {
		return time.Time{}, errSAMLMetadata
	}
	if md.XMLName.Space != nsSAMLMetadata || md.XMLName.Local != "EntityDescriptor" || md.EntityID == "" {
		return time.Time{}, errSAMLMetadata
	}
	signing := 0
	for _, idp := range md.IDPs {
		if idp.XMLName.Space != nsSAMLMetadata {
			continue
		}
		for _, k := range idp.Keys {
			if k.XMLName.Space != nsSAMLMetadata || (k.Use != "" && k.Use != "signing") {
				continue
			}
			for _, c := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
				if err != nil {
					return time.Time{}, errSAMLMetadata
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return time.Time{}, errSAMLMetadata
				}
				signing++
			}
		}
	}
	if signing == 0 {
		return time.Time{}, errSAMLMetadata
	}
	var vu time.Time
	if md.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, md.ValidUntil)
		if err != nil {
			return time.Time{}, errSAMLMetadata
		}
		vu = t.UTC()
	}
	return vu, nil
}

// newSAMLProviderID returns a SAMLProviderUUID: upper-case letters and
// digits, as the model's privateKeyIdType requires.
func newSAMLProviderID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func noSuchSAML(arn string) error {
	return Errorf(CodeNoSuchEntity, "Manifest not found for arn %s", arn)
}

// CreateSAMLProviderInput is CreateSAMLProvider's input.
type CreateSAMLProviderInput struct {
	Name                    string
	Metadata                string
	Tags                    []Tag
	AssertionEncryptionMode string
	AddPrivateKey           string
}

// CreateSAMLProvider registers a SAML 2.0 identity provider.
func (s *Service) CreateSAMLProvider(ctx context.Context, p *Principal, in CreateSAMLProviderInput) (*SAMLProvider, error) {
	prov := &SAMLProvider{ID: newSAMLProviderID(), AccountID: p.AccountID, Name: in.Name, Metadata: in.Metadata,
		CreateDate: s.clock(), AssertionEncryptionMode: in.AssertionEncryptionMode}
	if err := s.authorizeWith(p, "iam:CreateSAMLProvider", prov.ARN(), &authzKeys{requestTags: in.Tags}); err != nil {
		return nil, err
	}
	if in.AddPrivateKey != "" || in.AssertionEncryptionMode == "Required" {
		return nil, Errorf(CodeNotImplemented, "iamd does not implement SAML assertion encryption yet.")
	}
	vu, err := parseSAMLMetadata(in.Metadata)
	if err != nil {
		return nil, err
	}
	if vu.IsZero() {
		vu = prov.CreateDate.Add(samlValidity)
	}
	prov.ValidUntil = vu
	if prov.Tags, err = s.mergeTagsExact(nil, in.Tags); err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx Tx) error {
		// AWS's wording, as relayed in github.com/org-formation/aws-resource-providers issue 59.
		dup := Errorf(CodeEntityAlreadyExists, "Provider with name %s already exists.", in.Name)
		if _, err := tx.SAMLProvider(p.AccountID, in.Name); err == nil {
			return dup
		} else if !isNotFound(err) {
			return err
		}
		existing, err := tx.SAMLProviders(p.AccountID)
		if err != nil {
			return err
		}
		if len(existing) >= s.quotaSAML() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for SamlProvidersPerAccount: %d", s.quotaSAML())
		}
		if err := tx.CreateSAMLProvider(prov); err != nil {
			if isExists(err) {
				return dup
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return prov, nil
}

// samlForRead authorizes action on the provider named by arn and loads
// it; extra are the request's own condition keys (nil: none), the
// provider's tags are added to them.
func (s *Service) samlForRead(tx Tx, p *Principal, action, arn string, extra *authzKeys) (*SAMLProvider, error) {
	account, name, ok := providerARNPart(arn, "saml-provider")
	if !ok {
		return nil, Errorf(CodeInvalidInput, "Invalid ARN: %s", arn)
	}
	prov, err := tx.SAMLProvider(account, name)
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	if err == nil && prov != nil {
		k.resourceTags = prov.Tags
	}
	if err := s.authorizeWith(p, action, arn, &k); err != nil {
		return nil, err
	}
	if isNotFound(err) {
		return nil, noSuchSAML(arn)
	}
	return prov, err
}

// GetSAMLProvider returns the provider with the ARN.
func (s *Service) GetSAMLProvider(ctx context.Context, p *Principal, arn string) (*SAMLProvider, error) {
	var out *SAMLProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = s.samlForRead(tx, p, "iam:GetSAMLProvider", arn, nil)
		return err
	})
	return out, internal(err)
}

// ListSAMLProviders lists the account's SAML providers (not paginated, as
// in AWS).
func (s *Service) ListSAMLProviders(ctx context.Context, p *Principal) ([]*SAMLProvider, error) {
	if err := s.authorize(p, "iam:ListSAMLProviders", accountARN(p.AccountID)); err != nil {
		return nil, err
	}
	var out []*SAMLProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.SAMLProviders(p.AccountID)
		return err
	})
	return out, internal(err)
}

// UpdateSAMLProviderInput is UpdateSAMLProvider's input; empty fields are
// left unchanged.
type UpdateSAMLProviderInput struct {
	ARN                     string
	Metadata                string
	AssertionEncryptionMode string
	AddPrivateKey           string
	RemovePrivateKey        string
}

// UpdateSAMLProvider replaces a provider's metadata document.
func (s *Service) UpdateSAMLProvider(ctx context.Context, p *Principal, in UpdateSAMLProviderInput) (*SAMLProvider, error) {
	if in.AddPrivateKey != "" || in.RemovePrivateKey != "" || in.AssertionEncryptionMode == "Required" {
		return nil, Errorf(CodeNotImplemented, "iamd does not implement SAML assertion encryption yet.")
	}
	var vu time.Time
	if in.Metadata != "" {
		var err error
		if vu, err = parseSAMLMetadata(in.Metadata); err != nil {
			return nil, err
		}
	}
	var out *SAMLProvider
	err := s.update(ctx, func(tx Tx) error {
		prov, err := s.samlForRead(tx, p, "iam:UpdateSAMLProvider", in.ARN, nil)
		if err != nil {
			return err
		}
		if in.Metadata != "" {
			prov.Metadata = in.Metadata
			if vu.IsZero() {
				vu = s.clock().Add(samlValidity)
			}
			prov.ValidUntil = vu
		}
		if in.AssertionEncryptionMode != "" {
			prov.AssertionEncryptionMode = in.AssertionEncryptionMode
		}
		out = prov
		return tx.UpdateSAMLProvider(prov)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSAMLProvider deletes a provider.
func (s *Service) DeleteSAMLProvider(ctx context.Context, p *Principal, arn string) error {
	return s.update(ctx, func(tx Tx) error {
		prov, err := s.samlForRead(tx, p, "iam:DeleteSAMLProvider", arn, nil)
		if err != nil {
			return err
		}
		return tx.DeleteSAMLProvider(prov.ID)
	})
}

func (s *Service) modifySAML(ctx context.Context, p *Principal, action, arn string, extra *authzKeys, change func(*SAMLProvider) error) error {
	return s.update(ctx, func(tx Tx) error {
		prov, err := s.samlForRead(tx, p, action, arn, extra)
		if err != nil {
			return err
		}
		if err := change(prov); err != nil {
			return err
		}
		return tx.UpdateSAMLProvider(prov)
	})
}

// TagSAMLProvider adds or overwrites tags.
func (s *Service) TagSAMLProvider(ctx context.Context, p *Principal, arn string, tags []Tag) error {
	return s.modifySAML(ctx, p, "iam:TagSAMLProvider", arn, &authzKeys{requestTags: tags}, func(prov *SAMLProvider) error {
		merged, err := s.mergeTagsExact(prov.Tags, tags)
		prov.Tags = merged
		return err
	})
}

// UntagSAMLProvider removes tags by key.
func (s *Service) UntagSAMLProvider(ctx context.Context, p *Principal, arn string, keys []string) error {
	return s.modifySAML(ctx, p, "iam:UntagSAMLProvider", arn, &authzKeys{tagKeys: keys}, func(prov *SAMLProvider) error {
		prov.Tags = removeTagsExact(prov.Tags, keys)
		return nil
	})
}

// ListSAMLProviderTags lists a provider's tags.
func (s *Service) ListSAMLProviderTags(ctx context.Context, p *Principal, arn string, in ListInput) (Page[Tag], error) {
	prov, err := s.GetSAMLProvider(ctx, p, arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(prov.Tags, in)
}
