package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// PrefixServiceCredential starts service-specific credential IDs.
const PrefixServiceCredential = "ACCA"

// Services that issue service-specific credentials, per the
// CreateServiceSpecificCredential API reference: CodeCommit (Git
// credentials) and Amazon Keyspaces take a user name and password; Bedrock
// and CloudWatch Logs take an API key (alias and secret) that may expire.
var serviceCredentialKinds = map[string]bool{ // service -> is an API key
	"codecommit.amazonaws.com": false,
	"cassandra.amazonaws.com":  false,
	"bedrock.amazonaws.com":    true,
	"logs.amazonaws.com":       true,
}

func (s *Service) quotaServiceCreds() int {
	return quota(s.quotas.ServiceCredentialsPerUserPerService, 2)
}

var errNotSupportedService = Errorf("NotSupportedService", "The specified service does not support service-specific credentials.")

// argon2id parameters for stored credential passwords: OWASP's
// recommended minimum (19 MiB, 2 passes, 1 lane). The passwords are 256
// random bits, so the hash guards against a stolen database rather than
// weak secrets, and a modest cost keeps creation fast.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns the PHC string of password's argon2id hash.
func hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	sum := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// checkPassword reports whether password matches a PHC string written by
// hashPassword, with the parameters the string records.
func checkPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func newServicePassword() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// NewServiceCredential is a created or reset credential with its password
// (or API key secret), shown exactly once.
type NewServiceCredential struct {
	Cred     *ServiceCredential
	UserName string
	Password string
	APIKey   bool // Password is a ServiceCredentialSecret, UserName an alias
}

// ServiceCredentialResult is a credential with its owner's name.
type ServiceCredentialResult struct {
	Cred     *ServiceCredential
	UserName string
	APIKey   bool
}

// IsAPIKey reports whether the credential is an API key (alias and
// secret) rather than a user name and password.
func (c *ServiceCredential) IsAPIKey() bool { return serviceCredentialKinds[c.ServiceName] }

// StatusAt is the status AWS reports: an API key past its expiration date
// is Expired whatever was set.
func (c *ServiceCredential) StatusAt(now time.Time) string {
	if !c.ExpirationDate.IsZero() && !now.Before(c.ExpirationDate) {
		return "Expired"
	}
	return c.Status
}

func noSuchServiceCred(id string) error {
	return Errorf(CodeNoSuchEntity, "The Service Specific Credential with id %s cannot be found.", id)
}

// CreateServiceCredential creates a credential for userName on service;
// ageDays (0: never) sets an API key's expiry.
func (s *Service) CreateServiceCredential(ctx context.Context, p *Principal, userName, service string, ageDays int) (*NewServiceCredential, error) {
	var out *NewServiceCredential
	err := s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:CreateServiceSpecificCredential", userName)
		if err != nil {
			return err
		}
		apiKey, ok := serviceCredentialKinds[service]
		if !ok {
			return errNotSupportedService
		}
		if ageDays != 0 && !apiKey {
			return Errorf(CodeInvalidInput, "CredentialAgeDays is only valid for Bedrock and CloudWatch Logs API keys.")
		}
		creds, err := tx.ServiceCredentials(p.AccountID, u.ID)
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		n := 0
		for _, c := range creds {
			if c.ServiceName == service {
				n++
				taken[c.UserName] = true
			}
		}
		if n >= s.quotaServiceCreds() {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", s.quotaServiceCreds())
		}
		now := s.clock()
		c := &ServiceCredential{ID: newID(PrefixServiceCredential, 17), AccountID: p.AccountID, UserID: u.ID,
			ServiceName: service, Status: StatusActive, CreateDate: now}
		if ageDays > 0 {
			c.ExpirationDate = now.AddDate(0, 0, ageDays)
		}
		c.UserName = serviceUserName(u.Name, p.AccountID, service, taken)
		password := newServicePassword()
		c.PasswordHash = hashPassword(password)
		if err := tx.CreateServiceCredential(c); err != nil {
			return err
		}
		out = &NewServiceCredential{Cred: c, UserName: u.Name, Password: password, APIKey: apiKey}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// serviceUserName is AWS's "<user>-at-<account>" form; a user's second
// credential for the same service gets "+1" after the name so that both
// stay usable. API keys get a random alias of the same shape.
func serviceUserName(user, account, service string, taken map[string]bool) string {
	if serviceCredentialKinds[service] {
		prefix := "BedrockAPIKey"
		if service == "logs.amazonaws.com" {
			prefix = "CloudWatchLogsAPIKey"
		}
		return prefix + "-" + strings.ToLower(newID("", 4)) + "-at-" + account
	}
	name := user + "-at-" + account
	for i := 1; taken[name]; i++ {
		name = fmt.Sprintf("%s+%d-at-%s", user, i, account)
	}
	return name
}

// serviceCredOf finds a credential of the named user (the caller when
// empty).
func (s *Service) serviceCredOf(tx Tx, p *Principal, action, userName, id string) (*User, *ServiceCredential, error) {
	u, _, err := s.keyOwner(tx, p, action, userName)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.ServiceCredential(id)
	if err != nil || u == nil || c.AccountID != p.AccountID || c.UserID != u.ID {
		if err == nil || isNotFound(err) {
			return nil, nil, noSuchServiceCred(id)
		}
		return nil, nil, err
	}
	return u, c, nil
}

// ListServiceCredentialsInput is ListServiceSpecificCredentials' input.
type ListServiceCredentialsInput struct {
	UserName    string
	ServiceName string
	AllUsers    bool
	ListInput
}

// ListServiceCredentials lists credentials of one user (the caller when
// empty) or, with AllUsers, of every user of the account.
func (s *Service) ListServiceCredentials(ctx context.Context, p *Principal, in ListServiceCredentialsInput) (Page[*ServiceCredentialResult], error) {
	if in.ServiceName != "" {
		if _, ok := serviceCredentialKinds[in.ServiceName]; !ok {
			return Page[*ServiceCredentialResult]{}, errNotSupportedService
		}
	}
	var out Page[*ServiceCredentialResult]
	err := s.store.View(ctx, func(tx Tx) error {
		var creds []*ServiceCredential
		names := map[string]string{}
		if in.AllUsers && in.UserName == "" {
			if err := s.authorize(p, "iam:ListServiceSpecificCredentials", userARN(p.AccountID, "/", "*")); err != nil {
				return err
			}
			var err error
			if creds, err = tx.ServiceCredentials(p.AccountID, ""); err != nil {
				return err
			}
		} else {
			u, _, err := s.keyOwner(tx, p, "iam:ListServiceSpecificCredentials", in.UserName)
			if err != nil || u == nil {
				return err
			}
			if creds, err = tx.ServiceCredentials(p.AccountID, u.ID); err != nil {
				return err
			}
			names[u.ID] = u.Name
		}
		items := make([]*ServiceCredentialResult, 0, len(creds))
		for _, c := range creds {
			if in.ServiceName != "" && c.ServiceName != in.ServiceName {
				continue
			}
			name, ok := names[c.UserID]
			if !ok {
				u, err := tx.UserByID(c.UserID)
				if err != nil {
					return err
				}
				name = u.Name
				names[c.UserID] = name
			}
			items = append(items, &ServiceCredentialResult{Cred: c, UserName: name, APIKey: c.IsAPIKey()})
		}
		var err error
		out, err = pageByID(items, in.ListInput, func(r *ServiceCredentialResult) string { return r.Cred.ID })
		return err
	})
	return out, internal(err)
}

// ResetServiceCredential issues a new password for a credential; the old
// one stops working.
func (s *Service) ResetServiceCredential(ctx context.Context, p *Principal, userName, id string) (*NewServiceCredential, error) {
	var out *NewServiceCredential
	err := s.update(ctx, func(tx Tx) error {
		u, c, err := s.serviceCredOf(tx, p, "iam:ResetServiceSpecificCredential", userName, id)
		if err != nil {
			return err
		}
		password := newServicePassword()
		c.PasswordHash = hashPassword(password)
		if err := tx.UpdateServiceCredential(c); err != nil {
			return err
		}
		out = &NewServiceCredential{Cred: c, UserName: u.Name, Password: password, APIKey: c.IsAPIKey()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateServiceCredential activates or deactivates a credential.
func (s *Service) UpdateServiceCredential(ctx context.Context, p *Principal, userName, id, status string) error {
	if err := checkStatus(status); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		_, c, err := s.serviceCredOf(tx, p, "iam:UpdateServiceSpecificCredential", userName, id)
		if err != nil || c.Status == status {
			return err
		}
		c.Status = status
		return tx.UpdateServiceCredential(c)
	})
}

// DeleteServiceCredential deletes a credential.
func (s *Service) DeleteServiceCredential(ctx context.Context, p *Principal, userName, id string) error {
	return s.update(ctx, func(tx Tx) error {
		_, c, err := s.serviceCredOf(tx, p, "iam:DeleteServiceSpecificCredential", userName, id)
		if err != nil {
			return err
		}
		return tx.DeleteServiceCredential(c.ID)
	})
}

// VerifyServiceCredential reports whether password is the current secret
// of an active, unexpired credential: what a CodeCommit- or
// Keyspaces-style front end would call.
func (s *Service) VerifyServiceCredential(ctx context.Context, id, password string) (bool, error) {
	var ok bool
	err := s.store.View(ctx, func(tx Tx) error {
		c, err := tx.ServiceCredential(id)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = c.StatusAt(s.clock()) == StatusActive && checkPassword(c.PasswordHash, password)
		return nil
	})
	return ok, internal(err)
}
