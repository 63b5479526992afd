package iam

import (
	"context"
	"sync"
	"time"
)

// Credential is what the authentication path needs to verify a request
// signed with an access key, held in memory so that authentication never
// queries the database.
type Credential struct {
	Principal *Principal
	Secret    []byte // the plaintext secret access key; never log it
}

// credentialIndex maps active access key IDs to credentials. It is rebuilt
// from the store at start and refreshed after every committed change that
// can affect a key (key created, deactivated, deleted; user renamed).
type credentialIndex struct {
	mu   sync.RWMutex
	byID map[string]*Credential

	// refreshMu serializes refreshes: a refresh reads the store and then
	// writes the map, and two refreshes interleaving could let an older read
	// overwrite a newer one.
	refreshMu sync.Mutex
}

func newCredentialIndex() *credentialIndex {
	return &credentialIndex{byID: make(map[string]*Credential)}
}

func (c *credentialIndex) get(id string) *Credential {
	c.mu.RLock()
	cred := c.byID[id]
	c.mu.RUnlock()
	return cred
}

func (c *credentialIndex) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.byID)
}

// revoke drops a key before the transaction that disables it commits, so
// no request can authenticate with it once the change is acknowledged; a
// failed transaction is repaired by the refresh that always follows.
func (c *credentialIndex) revoke(ids ...string) {
	c.mu.Lock()
	for _, id := range ids {
		delete(c.byID, id)
	}
	c.mu.Unlock()
}

// Authenticate returns the credential for an active access key, or nil.
func (s *Service) Authenticate(accessKeyID string) *Credential {
	return s.creds.get(accessKeyID)
}

// loadCredentials rebuilds the whole index from the store.
func (s *Service) loadCredentials(ctx context.Context) error {
	s.creds.refreshMu.Lock()
	defer s.creds.refreshMu.Unlock()
	byID := make(map[string]*Credential)
	err := s.store.View(ctx, func(tx Tx) error {
		keys, err := tx.AllAccessKeys()
		if err != nil {
			return err
		}
		users := map[string]*User{}
		for _, k := range keys {
			if k.Status != StatusActive {
				continue
			}
			var u *User
			if k.UserID != "" {
				if u = users[k.UserID]; u == nil {
					if u, err = tx.UserByID(k.UserID); err != nil {
						return err
					}
					users[k.UserID] = u
				}
			}
			cred, err := s.credentialFor(k, u)
			if err != nil {
				return err
			}
			byID[k.ID] = cred
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.creds.mu.Lock()
	s.creds.byID = byID
	s.creds.mu.Unlock()
	return nil
}

// refreshCredentials reloads the keys of one owner (userID empty: the
// account's root) after a change committed.
func (s *Service) refreshCredentials(ctx context.Context, accountID, userID string) error {
	s.creds.refreshMu.Lock()
	defer s.creds.refreshMu.Unlock()
	// The refresh must complete even if the request that triggered it was
	// cancelled after its commit.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	fresh := map[string]*Credential{}
	var stale []string
	err := s.store.View(ctx, func(tx Tx) error {
		var u *User
		if userID != "" {
			var err error
			u, err = tx.UserByID(userID)
			if err != nil && !isNotFound(err) {
				return err
			}
		}
		keys, err := tx.AccessKeys(accountID, userID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.Status != StatusActive || (userID != "" && u == nil) {
				continue
			}
			cred, err := s.credentialFor(k, u)
			if err != nil {
				return err
			}
			fresh[k.ID] = cred
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.creds.mu.Lock()
	defer s.creds.mu.Unlock()
	for id, cred := range s.creds.byID {
		if cred.Principal.AccountID == accountID && cred.Principal.UserID == ownerKey(accountID, userID) {
			if _, ok := fresh[id]; !ok {
				stale = append(stale, id)
			}
		}
	}
	for _, id := range stale {
		delete(s.creds.byID, id)
	}
	for id, cred := range fresh {
		s.creds.byID[id] = cred
	}
	return nil
}

// refreshKey brings one key's index entry up to date with the store,
// whoever owns it: used after a change that may or may not have committed.
func (s *Service) refreshKey(ctx context.Context, keyID string) error {
	var k *AccessKey
	err := s.store.View(context.WithoutCancel(ctx), func(tx Tx) error {
		var err error
		k, err = tx.AccessKey(keyID)
		return err
	})
	if isNotFound(err) {
		s.creds.revoke(keyID)
		return nil
	}
	if err != nil {
		return err
	}
	return s.refreshCredentials(ctx, k.AccountID, k.UserID)
}

// ownerKey is the Principal.UserID of a key's owner: the account ID for
// root, as AWS reports it in GetCallerIdentity.
func ownerKey(accountID, userID string) string {
	if userID == "" {
		return accountID
	}
	return userID
}

func (s *Service) credentialFor(k *AccessKey, u *User) (*Credential, error) {
	secret, err := s.keyring.Open(k.SealedSecret, []byte(k.ID))
	if err != nil {
		return nil, &Error{Code: CodeServiceFailure, Message: "An internal error occurred.", Err: err}
	}
	p := &Principal{AccountID: k.AccountID, AccessKeyID: k.ID}
	if u == nil {
		p.Type = PrincipalRoot
		p.ARN = "arn:" + Partition + ":iam::" + k.AccountID + ":root"
		p.UserID = k.AccountID
	} else {
		p.Type = PrincipalUser
		p.ARN = u.ARN()
		p.UserID = u.ID
		p.UserName = u.Name
	}
	return &Credential{Principal: p, Secret: secret}, nil
}
