package iam

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"time"
)

// PrefixServerCertificate starts server certificate IDs, as AWS issues
// them.
const PrefixServerCertificate = "ASCA"

func (s *Service) quotaSigningCerts() int { return quota(s.quotas.SigningCertificatesPerUser, 2) }
func (s *Service) quotaServerCerts() int  { return quota(s.quotas.ServerCertificatesPerAccount, 20) }

// errMalformedCert is AWS's answer to a body that is not a PEM certificate
// (seen in responses quoted by github.com/vmware-archive/terraforming-aws
// issue 46).
var errMalformedCert = Errorf("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.")

// parseCertificatePEM reads the first PEM CERTIFICATE block of body.
func parseCertificatePEM(body string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(body)))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errMalformedCert
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errMalformedCert
	}
	return cert, nil
}

// checkValidity refuses a certificate outside its validity period, which
// the model documents as MalformedCertificate ("malformed or expired").
func checkValidity(c *x509.Certificate, now time.Time) error {
	if now.After(c.NotAfter) || now.Before(c.NotBefore) {
		return Errorf("MalformedCertificate", "The request was rejected because the certificate was malformed or expired.")
	}
	return nil
}

func certFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// NewSigningCertificateID returns a signing certificate ID: 32 characters
// of AWS's ID alphabet, the length IAM issues.
func NewSigningCertificateID() string { return newID("", 32) }

func noSuchSigningCert(id string) error {
	return Errorf(CodeNoSuchEntity, "The Certificate with id %s cannot be found.", id)
}

// SigningCertResult is a signing certificate with its owner's name (empty
// for the root user).
type SigningCertResult struct {
	Cert     *SigningCertificate
	UserName string
}

// UploadSigningCertificate adds an X.509 signing certificate to the named
// user (the caller when empty).
func (s *Service) UploadSigningCertificate(ctx context.Context, p *Principal, userName, body string) (*SigningCertResult, error) {
	var out *SigningCertResult
	err := s.update(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:UploadSigningCertificate", userName)
		if err != nil {
			return err
		}
		cert, err := parseCertificatePEM(body)
		if err != nil {
			return err
		}
		if err := checkValidity(cert, s.clock()); err != nil {
			return err
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			// Signing certificates verify SOAP-era request signatures,
			// which are RSA only.
			return Errorf("InvalidCertificate", "The request was rejected because the certificate is invalid.")
		}
		certs, err := tx.SigningCertificates(p.AccountID, ownerID(u))
		if err != nil {
			return err
		}
		if len(certs) >= s.quotaSigningCerts() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for SigningCertificatesPerUser: %d", s.quotaSigningCerts())
		}
		c := &SigningCertificate{ID: NewSigningCertificateID(), AccountID: p.AccountID, UserID: ownerID(u), Body: body,
			Fingerprint: certFingerprint(cert), Status: StatusActive, UploadDate: s.clock()}
		if err := tx.CreateSigningCertificate(c); err != nil {
			if isExists(err) {
				return Errorf("DuplicateCertificate",
					"The request was rejected because the same certificate is associated with an IAM user in the account.")
			}
			return err
		}
		out = &SigningCertResult{Cert: c, UserName: ownerName(u)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListSigningCertificates lists the certificates of the named user (the
// caller when empty).
func (s *Service) ListSigningCertificates(ctx context.Context, p *Principal, userName string, in ListInput) (Page[*SigningCertResult], error) {
	var out Page[*SigningCertResult]
	err := s.store.View(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:ListSigningCertificates", userName)
		if err != nil {
			return err
		}
		certs, err := tx.SigningCertificates(p.AccountID, ownerID(u))
		if err != nil {
			return err
		}
		items := make([]*SigningCertResult, len(certs))
		for i, c := range certs {
			items[i] = &SigningCertResult{Cert: c, UserName: ownerName(u)}
		}
		out, err = pageByID(items, in, func(r *SigningCertResult) string { return r.Cert.ID })
		return err
	})
	return out, internal(err)
}

func (s *Service) signingCertOf(tx Tx, p *Principal, action, userName, id string) (*SigningCertificate, error) {
	u, _, err := s.keyOwner(tx, p, action, userName)
	if err != nil {
		return nil, err
	}
	c, err := tx.SigningCertificate(id)
	if err != nil || c.AccountID != p.AccountID || c.UserID != ownerID(u) {
		if err == nil || isNotFound(err) {
			return nil, noSuchSigningCert(id)
		}
		return nil, err
	}
	return c, nil
}

// UpdateSigningCertificate activates or deactivates a certificate.
func (s *Service) UpdateSigningCertificate(ctx context.Context, p *Principal, userName, id, status string) error {
	if err := checkStatus(status); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		c, err := s.signingCertOf(tx, p, "iam:UpdateSigningCertificate", userName, id)
		if err != nil || c.Status == status {
			return err
		}
		c.Status = status
		return tx.UpdateSigningCertificate(c)
	})
}

// DeleteSigningCertificate deletes a certificate.
func (s *Service) DeleteSigningCertificate(ctx context.Context, p *Principal, userName, id string) error {
	return s.update(ctx, func(tx Tx) error {
		c, err := s.signingCertOf(tx, p, "iam:DeleteSigningCertificate", userName, id)
		if err != nil {
			return err
		}
		return tx.DeleteSigningCertificate(c.ID)
	})
}

// --- server certificates

func noSuchServerCert(name string) error {
	return Errorf(CodeNoSuchEntity, "The Server Certificate with name %s cannot be found.", name)
}

func serverCertExists(name string) error {
	return Errorf(CodeEntityAlreadyExists, "The Server Certificate with name %s already exists.", name)
}

// parsePrivateKey reads a PEM private key in PKCS #1, PKCS #8 or SEC 1
// form.
func parsePrivateKey(pemKey string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemKey)))
	if block == nil {
		return nil, Errorf("MalformedCertificate", "Unable to parse private key.")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, Errorf("MalformedCertificate", "Unable to parse private key.")
	}
	if err != nil {
		return nil, Errorf("MalformedCertificate", "Unable to parse private key.")
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, Errorf("MalformedCertificate", "Unable to parse private key.")
	}
	return signer, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *rsa.PublicKey:
		return a.Equal(b)
	case *ecdsa.PublicKey:
		return a.Equal(b)
	case ed25519.PublicKey:
		return a.Equal(b)
	}
	return false
}

// checkChain verifies that each certificate of the chain signed the one
// before it, starting with the body, as AWS requires; the index in its
// message is the position of the offending chain certificate.
func checkChain(leaf *x509.Certificate, chain string) error {
	rest := []byte(strings.TrimSpace(chain))
	prev := leaf
	for i := 0; len(rest) > 0; i++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil || block.Type != "CERTIFICATE" {
			return chainError(i)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil || prev.CheckSignatureFrom(c) != nil {
			return chainError(i)
		}
		prev = c
		rest = []byte(strings.TrimSpace(string(rest)))
	}
	return nil
}

// chainError words a chain failure as AWS does (the message is quoted in
// github.com/aws/aws-cli issue 715 and
// github.com/mprahl/ansible-role-lets-encrypt-route-53 issue 52).
func chainError(index int) error {
	return Errorf("MalformedCertificate", "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d", index)
}

// UploadServerCertificateInput is UploadServerCertificate's input.
type UploadServerCertificateInput struct {
	Path       string
	Name       string
	Body       string
	PrivateKey string
	Chain      string
	Tags       []Tag
}

// UploadServerCertificate stores a TLS certificate with its private key.
// The key is sealed under the keyring, bound to the certificate's ID, and
// never returned.
func (s *Service) UploadServerCertificate(ctx context.Context, p *Principal, in UploadServerCertificateInput) (*ServerCertificate, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	c := &ServerCertificate{ID: newID(PrefixServerCertificate, 17), AccountID: p.AccountID, Name: in.Name, Path: in.Path,
		Body: cleanPEMText(in.Body), Chain: cleanPEMText(in.Chain), UploadDate: s.clock()}
	if err := s.authorizeWith(p, "iam:UploadServerCertificate", c.ARN(), &authzKeys{requestTags: in.Tags}); err != nil {
		return nil, err
	}
	leaf, err := parseCertificatePEM(in.Body)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(in.PrivateKey)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return nil, Errorf("KeyPairMismatch", "The request was rejected because the public key certificate and the private key do not match.")
	}
	if err := checkValidity(leaf, s.clock()); err != nil {
		return nil, err
	}
	if err := checkChain(leaf, in.Chain); err != nil {
		return nil, err
	}
	c.Expiration = leaf.NotAfter.UTC()
	if c.Tags, err = s.mergeTagsExact(nil, in.Tags); err != nil {
		return nil, err
	}
	c.SealedPrivateKey = s.keyring.Seal([]byte(in.PrivateKey), []byte(c.ID))
	err = s.update(ctx, func(tx Tx) error {
		if _, err := tx.ServerCertificate(p.AccountID, in.Name); err == nil {
			return serverCertExists(in.Name)
		} else if !isNotFound(err) {
			return err
		}
		n, err := tx.CountServerCertificates(p.AccountID)
		if err != nil {
			return err
		}
		if n >= s.quotaServerCerts() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for ServerCertificatesPerAccount: %d", s.quotaServerCerts())
		}
		if err := tx.CreateServerCertificate(c); err != nil {
			if isExists(err) {
				return serverCertExists(in.Name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// cleanPEMText is the form AWS stores an uploaded server certificate body
// or chain in: CRLF line breaks become LF and surrounding whitespace goes
// (hashicorp/terraform#3837 describes the dos2unix step; the aws provider
// compares GetServerCertificate's body with the trimmed configuration, so
// a stored trailing newline shows as drift forcing replacement).
func cleanPEMText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// serverCertOf loads the named certificate and authorizes action on it,
// with the path-less ARN when it does not exist (as userForAction does).
// extra are the request's own condition keys (nil: none); the
// certificate's tags are added to them.
func (s *Service) serverCertOf(tx Tx, p *Principal, action, name string, extra *authzKeys) (*ServerCertificate, error) {
	c, err := tx.ServerCertificate(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorizeWith(p, action, entityARN(p.AccountID, "server-certificate", "/", name), extra); err != nil {
				return nil, err
			}
			return nil, noSuchServerCert(name)
		}
		return nil, err
	}
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	k.resourceTags = c.Tags
	if err := s.authorizeWith(p, action, c.ARN(), &k); err != nil {
		return nil, err
	}
	return c, nil
}

// GetServerCertificate returns a certificate (without its private key).
func (s *Service) GetServerCertificate(ctx context.Context, p *Principal, name string) (*ServerCertificate, error) {
	return s.viewServerCert(ctx, p, "iam:GetServerCertificate", name)
}

func (s *Service) viewServerCert(ctx context.Context, p *Principal, action, name string) (*ServerCertificate, error) {
	var out *ServerCertificate
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = s.serverCertOf(tx, p, action, name, nil)
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	out.SealedPrivateKey = nil
	return out, nil
}

// ListServerCertificates lists the account's server certificates whose
// path starts with PathPrefix.
func (s *Service) ListServerCertificates(ctx context.Context, p *Principal, in ListInput) (Page[*ServerCertificate], error) {
	if err := s.authorize(p, "iam:ListServerCertificates", entityARN(p.AccountID, "server-certificate", "/", "")); err != nil {
		return Page[*ServerCertificate]{}, err
	}
	after, err := decodeMarker(listingOf[*ServerCertificate](), in.Marker)
	if err != nil {
		return Page[*ServerCertificate]{}, err
	}
	var items []*ServerCertificate
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		items, err = tx.ServerCertificates(p.AccountID, ListQuery{PathPrefix: in.PathPrefix, After: after, Limit: in.limit() + 1})
		return err
	})
	if err != nil {
		return Page[*ServerCertificate]{}, internal(err)
	}
	for _, c := range items {
		c.SealedPrivateKey = nil
	}
	return page(items, in.limit(), func(c *ServerCertificate) string { return strings.ToLower(c.Name) }), nil
}

// UpdateServerCertificate renames a certificate or changes its path.
func (s *Service) UpdateServerCertificate(ctx context.Context, p *Principal, name string, newPath, newName *string) error {
	return s.update(ctx, func(tx Tx) error {
		c, err := s.serverCertOf(tx, p, "iam:UpdateServerCertificate", name, nil)
		if err != nil {
			return err
		}
		next := *c
		if newPath != nil {
			next.Path = *newPath
		}
		if newName != nil {
			next.Name = *newName
			// Renaming needs permission on the new name as well, as in AWS.
			if err := s.authorizeWith(p, "iam:UpdateServerCertificate", next.ARN(), &authzKeys{resourceTags: c.Tags}); err != nil {
				return err
			}
		}
		if next.Name == c.Name && next.Path == c.Path {
			return nil
		}
		if err := tx.UpdateServerCertificate(&next); err != nil {
			if isExists(err) {
				return serverCertExists(next.Name)
			}
			return err
		}
		return nil
	})
}

// DeleteServerCertificate deletes a certificate.
func (s *Service) DeleteServerCertificate(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		c, err := s.serverCertOf(tx, p, "iam:DeleteServerCertificate", name, nil)
		if err != nil {
			return err
		}
		return tx.DeleteServerCertificate(c.ID)
	})
}

func (s *Service) modifyServerCert(ctx context.Context, p *Principal, action, name string, extra *authzKeys, change func(*ServerCertificate) error) error {
	return s.update(ctx, func(tx Tx) error {
		c, err := s.serverCertOf(tx, p, action, name, extra)
		if err != nil {
			return err
		}
		if err := change(c); err != nil {
			return err
		}
		return tx.UpdateServerCertificate(c)
	})
}

// TagServerCertificate adds or overwrites tags.
func (s *Service) TagServerCertificate(ctx context.Context, p *Principal, name string, tags []Tag) error {
	return s.modifyServerCert(ctx, p, "iam:TagServerCertificate", name, &authzKeys{requestTags: tags}, func(c *ServerCertificate) error {
		merged, err := s.mergeTagsExact(c.Tags, tags)
		c.Tags = merged
		return err
	})
}

// UntagServerCertificate removes tags by key.
func (s *Service) UntagServerCertificate(ctx context.Context, p *Principal, name string, keys []string) error {
	return s.modifyServerCert(ctx, p, "iam:UntagServerCertificate", name, &authzKeys{tagKeys: keys}, func(c *ServerCertificate) error {
		c.Tags = removeTagsExact(c.Tags, keys)
		return nil
	})
}

// ListServerCertificateTags lists a certificate's tags.
func (s *Service) ListServerCertificateTags(ctx context.Context, p *Principal, name string, in ListInput) (Page[Tag], error) {
	c, err := s.viewServerCert(ctx, p, "iam:ListServerCertificateTags", name)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(c.Tags, in)
}
