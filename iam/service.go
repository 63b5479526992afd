package iam

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/keyring"
)

// Quotas are the per-account and per-entity limits the Service enforces.
// The defaults are AWS's; a deployment may change them.
type Quotas struct {
	UsersPerAccount   int
	GroupsPerAccount  int
	GroupsPerUser     int
	AccessKeysPerUser int
	TagsPerEntity     int

	// Providers and other credentials; zero means AWS's default (see
	// DefaultQuotas), so configurations written before they existed keep
	// working.
	OIDCProvidersPerAccount             int
	ClientIDsPerOIDCProvider            int
	SAMLProvidersPerAccount             int
	ServerCertificatesPerAccount        int
	SSHPublicKeysPerUser                int
	SigningCertificatesPerUser          int
	ServiceCredentialsPerUserPerService int

	// Roles and policies; zero means AWS's default too. Document sizes
	// are in policy.Size units (whitespace not counted); the policy engine
	// applies AWS's defaults on its own, so they can lower a limit but
	// not raise it.
	RolesPerAccount    int
	PoliciesPerAccount int // customer managed policies
	VersionsPerPolicy  int
	PoliciesPerUser    int // attached managed policies
	PoliciesPerGroup   int
	PoliciesPerRole    int
	PolicySize         int // one managed policy version
	UserPolicySize     int // a user's inline policies together
	GroupPolicySize    int
	RolePolicySize     int
	TrustPolicySize    int // ACLSizePerRole

	InstanceProfilesPerAccount int

	// MFA devices in use per user (zero: AWS's 8).
	MFADevicesPerUser int
}

// DefaultQuotas returns AWS's default quotas.
func DefaultQuotas() Quotas {
	return Quotas{
		UsersPerAccount:   5000,
		GroupsPerAccount:  300,
		GroupsPerUser:     10,
		AccessKeysPerUser: 2,
		TagsPerEntity:     50,

		OIDCProvidersPerAccount:             100,
		ClientIDsPerOIDCProvider:            100,
		SAMLProvidersPerAccount:             100,
		ServerCertificatesPerAccount:        20,
		SSHPublicKeysPerUser:                5,
		SigningCertificatesPerUser:          2,
		ServiceCredentialsPerUserPerService: 2,

		RolesPerAccount:    1000,
		PoliciesPerAccount: 1500,
		VersionsPerPolicy:  5,
		PoliciesPerUser:    10,
		PoliciesPerGroup:   10,
		PoliciesPerRole:    10,
		PolicySize:         6144,
		UserPolicySize:     2048,
		GroupPolicySize:    5120,
		RolePolicySize:     10240,
		TrustPolicySize:    2048,

		InstanceProfilesPerAccount: 1000,
	}
}

// Config holds a Service's dependencies.
type Config struct {
	Store   Store
	Keyring *keyring.Keyring
	Logger  *slog.Logger
	Clock   Clock  // nil: time.Now
	Quotas  Quotas // zero: DefaultQuotas
	// Services names the AWS services for the access advisor (advisor.go);
	// nil: iam and sts only.
	Services ServiceCatalog
}

// Service implements IAM's operations and rules over a Store. It is safe for
// concurrent use.
type Service struct {
	store    Store
	keyring  *keyring.Keyring
	log      *slog.Logger
	now      Clock
	quotas   Quotas
	state    *state
	authz    authz
	sessions sessionCache
	// mfaVerifier checks MFA codes presented to STS; nil until MFA devices
	// exist, in which case any code is refused.
	mfaVerifier func(ctx context.Context, p *Principal, serial, code string) error

	lastUsedMu sync.Mutex
	lastUsed   map[string]keyUse // access key ID -> latest use not yet stored

	// Last-used data and reports (activity.go, advisor.go, credreport.go).
	activity *activity
	services ServiceCatalog
	reports  reportState

	// Outbound web identity federation (outbound.go).
	outbound outboundState
}

type keyUse struct {
	at              time.Time
	service, region string
}

// NewService builds a Service and loads the in-memory credential index.
func NewService(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("iam: Store and Keyring are required")
	}
	s := &Service{
		store:    cfg.Store,
		keyring:  cfg.Keyring,
		log:      cfg.Logger,
		now:      cfg.Clock,
		quotas:   cfg.Quotas,
		state:    newState(),
		authz:    authz{compiled: newGenCache[string, compiledDoc](compiledCacheGen), sets: newGenCache[setKey, cachedSet](setCacheGen)},
		sessions: sessionCache{m: map[[32]byte]*Credential{}},
		lastUsed: map[string]keyUse{},
		activity: newActivity(),
		services: cfg.Services,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.quotas == (Quotas{}) {
		s.quotas = DefaultQuotas()
	}
	s.mfaVerifier = s.verifyCallerMFA
	if err := s.load(ctx); err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	return s, nil
}

// clock returns the time stamped on entities. IAM reports dates with
// whole seconds (2013-04-18T17:26:57Z), so iamd stores them that way too.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// BootstrapConfig says how to create the first account.
type BootstrapConfig struct {
	AccountID       string // empty: random
	RootAccessKeyID string // with RootSecret: preset root key pair
	RootSecret      string
}

// BootstrapResult describes the default account after Bootstrap.
type BootstrapResult struct {
	Account *Account
	Created bool // the account was created by this call
	// RootAccessKeyID and RootSecret are set when a root key was created
	// or preset by this call: the only time the secret is available.
	RootAccessKeyID string
	RootSecret      string
}

const metaDefaultAccount = "default_account"

// Bootstrap makes sure the deployment has its default account with a root
// user and a root access key. On first start it creates them; later it
// returns the existing account and, when a root key pair is preset, makes
// sure that key exists with that secret.
func (s *Service) Bootstrap(ctx context.Context, cfg BootstrapConfig) (*BootstrapResult, error) {
	if (cfg.RootAccessKeyID == "") != (cfg.RootSecret == "") {
		return nil, errors.New("root access key ID and secret must be preset together")
	}
	if cfg.RootAccessKeyID != "" {
		if err := checkPresetKey(cfg.RootAccessKeyID, cfg.RootSecret); err != nil {
			return nil, err
		}
	}
	res := &BootstrapResult{}
	err := s.store.Update(ctx, func(tx Tx) error {
		id, err := tx.Meta(metaDefaultAccount)
		switch {
		case err == nil:
			if cfg.AccountID != "" && cfg.AccountID != id {
				return fmt.Errorf("data directory holds account %s, but account %s was requested", id, cfg.AccountID)
			}
			if res.Account, err = tx.Account(id); err != nil {
				return err
			}
		case isNotFound(err):
			id = cfg.AccountID
			if id == "" {
				id = NewAccountID()
			} else if !isAccountID(id) {
				return fmt.Errorf("account ID %q is not 12 digits", id)
			}
			res.Account = &Account{ID: id, CreateDate: s.clock()}
			if err := tx.CreateAccount(res.Account); err != nil {
				return err
			}
			if err := tx.SetMeta(metaDefaultAccount, id); err != nil {
				return err
			}
			res.Created = true
		default:
			return err
		}

		keyID, secret := cfg.RootAccessKeyID, cfg.RootSecret
		if keyID == "" {
			if !res.Created {
				return nil
			}
			keyID, secret = NewAccessKeyID(), NewSecretAccessKey()
		}
		existing, err := tx.AccessKey(keyID)
		switch {
		case err == nil:
			if existing.AccountID != id || existing.UserID != "" {
				return fmt.Errorf("preset root access key %s belongs to another identity", keyID)
			}
			old, err := s.keyring.Open(existing.SealedSecret, []byte(keyID))
			if err == nil && string(old) == secret && existing.Status == StatusActive {
				return nil
			}
			// The store keeps a key's secret immutable, so a changed
			// preset secret replaces the key row.
			if err := tx.DeleteAccessKey(keyID); err != nil {
				return err
			}
			existing.SealedSecret = s.keyring.Seal([]byte(secret), []byte(keyID))
			existing.Status = StatusActive
			if err := tx.CreateAccessKey(existing); err != nil {
				return err
			}
		case isNotFound(err):
			keys, err := tx.AccessKeys(id, "")
			if err != nil {
				return err
			}
			if len(keys) >= s.quotas.AccessKeysPerUser {
				return fmt.Errorf("cannot preset root access key %s: the root user already has %d keys", keyID, len(keys))
			}
			if err := tx.CreateAccessKey(&AccessKey{
				ID: keyID, AccountID: id, Status: StatusActive, CreateDate: s.clock(),
				SealedSecret: s.keyring.Seal([]byte(secret), []byte(keyID)),
			}); err != nil {
				return err
			}
		default:
			return err
		}
		res.RootAccessKeyID, res.RootSecret = keyID, secret
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// Account returns an account by ID, or nil.
func (s *Service) Account(id string) *Account { return s.state.account(id) }

// update runs fn in a store transaction and then brings the in-memory state
// up to date, so the caller reads its own write. A failed sync after a
// committed write is logged, not returned: the write is durable and the
// periodic sync repairs the state.
func (s *Service) update(ctx context.Context, fn func(Tx) error) error {
	fn, journaled, err := s.journaled(ctx, fn) // the request's audit intent: journal.go
	if err != nil {
		return internal(err)
	}
	if err := s.store.Update(ctx, fn); err != nil {
		return internal(err)
	}
	journaled()
	if err := s.sync(ctx); err != nil {
		s.log.Error("sync state after write", "err", err)
	}
	return nil
}

// Sync brings the in-memory state up to date with the store's change feed;
// Run calls it periodically to follow other nodes' writes.
func (s *Service) Sync(ctx context.Context) error { return s.sync(ctx) }

func checkPresetKey(id, secret string) error {
	if len(id) < 16 || len(id) > 128 || !isWordString(id) {
		return fmt.Errorf("preset root access key ID must be 16-128 letters, digits or underscores")
	}
	if len(secret) < 16 {
		return fmt.Errorf("preset root secret access key must be at least 16 characters")
	}
	return nil
}

func isWordString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
func isExists(err error) bool   { return errors.Is(err, ErrExists) }

// ListInput is the common pagination input of List operations.
type ListInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int // 0: 100, AWS's default
}

// Page is a page of a listing: Marker is set when IsTruncated.
type Page[T any] struct {
	Items       []T
	IsTruncated bool
	Marker      string
}

func (in ListInput) limit() int {
	if in.MaxItems <= 0 {
		return 100
	}
	return in.MaxItems
}

// decodeMarker turns a client's opaque marker back into a position in
// listing. A marker names the listing it came from, because AWS refuses a
// Marker from another operation as invalid instead of paging on from some
// unrelated position: a ListUsers marker given to ListRoles, or a corrupted
// one, must not silently answer a page.
func decodeMarker(listing, m string) (string, error) {
	if m == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(m)
	tag, key, ok := strings.Cut(string(b), "\x00")
	if err != nil || !ok || tag != listing || key == "" {
		return "", Errorf(CodeValidationError, "Invalid Marker.")
	}
	return key, nil
}

func encodeMarker(listing, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(listing + "\x00" + key))
}

// listingOf names the listing of a generic pager by its element type, so
// that markers of listings of different things do not mix.
func listingOf[T any]() string { return reflect.TypeFor[T]().String() }

// page fetches limit+1 items to learn whether more follow.
func page[T any](items []T, limit int, key func(T) string) Page[T] {
	if len(items) <= limit {
		return Page[T]{Items: items}
	}
	items = items[:limit]
	return Page[T]{Items: items, IsTruncated: true, Marker: encodeMarker(listingOf[T](), key(items[limit-1]))}
}

// internal wraps an unexpected error as a ServiceFailure, keeping the cause
// for logs but never showing it to the client.
func internal(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: CodeServiceFailure, Message: "An internal error occurred.", Err: err}
}

func userARN(account, path, name string) string  { return entityARN(account, "user", path, name) }
func groupARN(account, path, name string) string { return entityARN(account, "group", path, name) }
