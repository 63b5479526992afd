package iam

import "time"

// ProviderCredentialTx is the part of Tx that stores OpenID Connect and SAML
// providers, SSH public keys, signing and server certificates,
// service-specific credentials and account aliases.
//
// None of these entities is on the authentication path, so they are read
// from the store directly and not kept in the in-memory state.
type ProviderCredentialTx interface {
	// CreateOIDCProvider inserts p; ErrExists when the account has a
	// provider with the same URL.
	CreateOIDCProvider(p *OIDCProvider) error
	// OIDCProvider returns the account's provider for the URL (without
	// scheme, compared exactly); ErrNotFound.
	OIDCProvider(accountID, url string) (*OIDCProvider, error)
	// OIDCProviders lists the account's providers ordered by URL.
	OIDCProviders(accountID string) ([]*OIDCProvider, error)
	// UpdateOIDCProvider replaces client IDs, thumbprints and tags of the
	// provider with the same account and URL; ErrNotFound.
	UpdateOIDCProvider(p *OIDCProvider) error
	// DeleteOIDCProvider removes the provider; ErrNotFound.
	DeleteOIDCProvider(accountID, url string) error

	// CreateSAMLProvider inserts p; ErrExists when the account has a
	// provider of that name (any case).
	CreateSAMLProvider(p *SAMLProvider) error
	// SAMLProvider returns the named provider; ErrNotFound.
	SAMLProvider(accountID, name string) (*SAMLProvider, error)
	// SAMLProviders lists the account's providers ordered by lower-cased
	// name.
	SAMLProviders(accountID string) ([]*SAMLProvider, error)
	// UpdateSAMLProvider replaces the metadata, validity, encryption mode
	// and tags of the provider with the same ID; ErrNotFound.
	UpdateSAMLProvider(p *SAMLProvider) error
	// DeleteSAMLProvider removes the provider; ErrNotFound.
	DeleteSAMLProvider(id string) error

	// CreateSSHPublicKey inserts k; ErrExists when the ID is taken or the
	// user already has a key with the same fingerprint; ErrNotFound when
	// the user is gone.
	CreateSSHPublicKey(k *SSHPublicKey) error
	// SSHPublicKey returns the key with the ID; ErrNotFound.
	SSHPublicKey(id string) (*SSHPublicKey, error)
	// SSHPublicKeys lists a user's keys ordered by upload date, then ID.
	SSHPublicKeys(userID string) ([]*SSHPublicKey, error)
	// UpdateSSHPublicKey replaces the status of the key with the same ID;
	// ErrNotFound.
	UpdateSSHPublicKey(k *SSHPublicKey) error
	// DeleteSSHPublicKey removes the key; ErrNotFound.
	DeleteSSHPublicKey(id string) error

	// CreateSigningCertificate inserts c; ErrExists when the ID is taken
	// or the account already has a certificate with the same body
	// fingerprint; ErrNotFound when the user is gone.
	CreateSigningCertificate(c *SigningCertificate) error
	// SigningCertificate returns the certificate with the ID; ErrNotFound.
	SigningCertificate(id string) (*SigningCertificate, error)
	// SigningCertificates lists the certificates of a user (userID empty:
	// the account's root) ordered by upload date, then ID.
	SigningCertificates(accountID, userID string) ([]*SigningCertificate, error)
	// UpdateSigningCertificate replaces the status; ErrNotFound.
	UpdateSigningCertificate(c *SigningCertificate) error
	// DeleteSigningCertificate removes the certificate; ErrNotFound.
	DeleteSigningCertificate(id string) error

	// CreateServerCertificate inserts c; ErrExists when the account has a
	// server certificate of that name (any case) or the ID is taken.
	CreateServerCertificate(c *ServerCertificate) error
	// ServerCertificate returns the named certificate; ErrNotFound.
	ServerCertificate(accountID, name string) (*ServerCertificate, error)
	// ServerCertificates lists an account's server certificates.
	ServerCertificates(accountID string, q ListQuery) ([]*ServerCertificate, error)
	// CountServerCertificates counts an account's server certificates.
	CountServerCertificates(accountID string) (int, error)
	// UpdateServerCertificate replaces name, path and tags of the
	// certificate with the same ID; ErrNotFound, or ErrExists when renamed
	// onto another certificate's name.
	UpdateServerCertificate(c *ServerCertificate) error
	// DeleteServerCertificate removes the certificate; ErrNotFound.
	DeleteServerCertificate(id string) error

	// CreateServiceCredential inserts c; ErrExists when the ID is taken;
	// ErrNotFound when the user is gone.
	CreateServiceCredential(c *ServiceCredential) error
	// ServiceCredential returns the credential with the ID; ErrNotFound.
	ServiceCredential(id string) (*ServiceCredential, error)
	// ServiceCredentials lists the credentials of a user, or of every user
	// of the account when userID is empty, ordered by creation date, then
	// ID.
	ServiceCredentials(accountID, userID string) ([]*ServiceCredential, error)
	// UpdateServiceCredential replaces status and password hash;
	// ErrNotFound.
	UpdateServiceCredential(c *ServiceCredential) error
	// DeleteServiceCredential removes the credential; ErrNotFound.
	DeleteServiceCredential(id string) error

	// CreateAccountAlias gives the account the alias; ErrExists when any
	// account of the deployment holds it.
	CreateAccountAlias(accountID, alias string) error
	// AccountAliases lists the account's aliases (AWS allows at most one).
	AccountAliases(accountID string) ([]string, error)
	// DeleteAccountAlias removes the account's alias; ErrNotFound.
	DeleteAccountAlias(accountID, alias string) error
}

// OIDCProvider is an OpenID Connect identity provider. URL is the issuer
// URL without its https:// scheme, as AWS keeps it and builds the ARN
// from it.
type OIDCProvider struct {
	AccountID   string
	URL         string
	ClientIDs   []string
	Thumbprints []string
	CreateDate  time.Time
	Tags        []Tag
}

// ARN returns the provider's ARN.
func (p *OIDCProvider) ARN() string {
	return "arn:" + Partition + ":iam::" + p.AccountID + ":oidc-provider/" + p.URL
}

// SAMLProvider is a SAML 2.0 identity provider.
type SAMLProvider struct {
	ID                      string // the SAMLProviderUUID AWS returns
	AccountID               string
	Name                    string
	Metadata                string
	CreateDate              time.Time
	ValidUntil              time.Time
	AssertionEncryptionMode string // empty when never set
	Tags                    []Tag
}

// ARN returns the provider's ARN.
func (p *SAMLProvider) ARN() string {
	return "arn:" + Partition + ":iam::" + p.AccountID + ":saml-provider/" + p.Name
}

// SSHPublicKey is an SSH public key of an IAM user (for CodeCommit). Body is
// what was uploaded; Fingerprint is AWS's MD5 form.
type SSHPublicKey struct {
	ID          string // APKA + 17 characters
	AccountID   string
	UserID      string
	Body        string
	Fingerprint string
	Status      string
	UploadDate  time.Time
}

// SigningCertificate is an X.509 signing certificate of a user (UserID
// empty: the root user). Fingerprint is the SHA-256 of the DER, which makes
// duplicates detectable whatever the PEM's formatting.
type SigningCertificate struct {
	ID          string
	AccountID   string
	UserID      string
	Body        string
	Fingerprint string
	Status      string
	UploadDate  time.Time
}

// ServerCertificate is a TLS server certificate with its private key, held
// only sealed under the keyring (bound to the certificate ID).
type ServerCertificate struct {
	ID               string // ASCA + 17 characters
	AccountID        string
	Name             string
	Path             string
	Body             string
	Chain            string
	SealedPrivateKey []byte
	UploadDate       time.Time
	Expiration       time.Time
	Tags             []Tag
}

// ARN returns the certificate's ARN, which embeds its path.
func (c *ServerCertificate) ARN() string {
	return entityARN(c.AccountID, "server-certificate", c.Path, c.Name)
}

// ServiceCredential is a service-specific credential (CodeCommit Git
// credentials, Keyspaces passwords, Bedrock and CloudWatch Logs API keys).
// The password is never stored: only its argon2id hash.
type ServiceCredential struct {
	ID             string // ACCA + 17 characters
	AccountID      string
	UserID         string
	ServiceName    string
	UserName       string // ServiceUserName, or ServiceCredentialAlias for API keys
	PasswordHash   string
	Status         string
	CreateDate     time.Time
	ExpirationDate time.Time // zero: never expires
}
