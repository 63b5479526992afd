package iam

import (
	"context"
	"time"
)

// NewAccessKey is a freshly created key with its secret, which is shown
// exactly once.
type NewAccessKey struct {
	Key      *AccessKey
	UserName string // empty for root keys
	Secret   string
}

// keyOwner resolves the user named by an access-key operation: the caller
// when name is empty (root: the root user, returned as nil).
func (s *Service) keyOwner(tx Tx, p *Principal, action, name string) (*User, string, error) {
	if name == "" {
		switch p.Type {
		case PrincipalRoot:
			return nil, p.ARN, s.authorize(p, action, p.ARN)
		case PrincipalUser:
			name = p.UserName
		default:
			return nil, "", Errorf(CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	u, err := s.userForAction(tx, p, action, name)
	if err != nil {
		return nil, "", err
	}
	return u, u.ARN(), nil
}

func ownerID(u *User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func ownerName(u *User) string {
	if u == nil {
		return ""
	}
	return u.Name
}

// readKeyOwner is keyOwner against the in-memory state.
func (s *Service) readKeyOwner(p *Principal, action, name string) (*User, error) {
	if name == "" {
		switch p.Type {
		case PrincipalRoot:
			return nil, s.authorize(p, action, p.ARN)
		case PrincipalUser:
			name = p.UserName
		default:
			return nil, Errorf(CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	return s.userForRead(p, action, name)
}

// CreateAccessKey creates an access key for the named user (the caller when
// empty). A user, and the root user, may have at most two keys.
func (s *Service) CreateAccessKey(ctx context.Context, p *Principal, userName string) (*NewAccessKey, error) {
	var out *NewAccessKey
	err := s.update(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:CreateAccessKey", userName)
		if err != nil {
			return err
		}
		keys, err := tx.AccessKeys(p.AccountID, ownerID(u))
		if err != nil {
			return err
		}
		if len(keys) >= s.quotas.AccessKeysPerUser {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", s.quotas.AccessKeysPerUser)
		}
		id, secret := NewAccessKeyID(), NewSecretAccessKey()
		k := &AccessKey{
			ID: id, AccountID: p.AccountID, UserID: ownerID(u), Status: StatusActive,
			CreateDate: s.clock(), SealedSecret: s.keyring.Seal([]byte(secret), []byte(id)),
		}
		if err := tx.CreateAccessKey(k); err != nil {
			return err
		}
		out = &NewAccessKey{Key: k, UserName: ownerName(u), Secret: secret}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AccessKeyList is ListAccessKeys' result.
type AccessKeyList struct {
	UserName string // empty for root keys
	Page     Page[*AccessKey]
}

// ListAccessKeys lists the keys of the named user (the caller when empty).
func (s *Service) ListAccessKeys(ctx context.Context, p *Principal, userName string, in ListInput) (*AccessKeyList, error) {
	u, err := s.readKeyOwner(p, "iam:ListAccessKeys", userName)
	if err != nil {
		return nil, err
	}
	keys := s.state.keysOf(p.AccountID, ownerID(u))
	start := 0
	if in.Marker != "" {
		after, err := decodeMarker(listingOf[*AccessKey](), in.Marker)
		if err != nil {
			return nil, err
		}
		start = len(keys)
		for i, k := range keys {
			if k.ID == after {
				start = i + 1
			}
		}
	}
	return &AccessKeyList{UserName: ownerName(u), Page: page(keys[start:], in.limit(), func(k *AccessKey) string { return k.ID })}, nil
}

func noSuchKey(id string) error {
	return Errorf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// UpdateAccessKey activates or deactivates a key of the named user (the
// caller when empty). An inactive key stops authenticating before the
// change is acknowledged.
func (s *Service) UpdateAccessKey(ctx context.Context, p *Principal, userName, keyID, status string) error {
	if status != StatusActive && status != StatusInactive {
		return Errorf(CodeValidationError, "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	if status == StatusInactive {
		s.revoke(keyID)
	}
	err := s.update(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:UpdateAccessKey", userName)
		if err != nil {
			return err
		}
		k, err := tx.AccessKey(keyID)
		if err != nil || k.AccountID != p.AccountID || k.UserID != ownerID(u) {
			if err == nil || isNotFound(err) {
				return noSuchKey(keyID)
			}
			return err
		}
		if k.Status == status {
			return nil
		}
		k.Status = status
		return tx.UpdateAccessKey(k)
	})
	if err != nil && status == StatusInactive {
		if rerr := s.restoreCredential(keyID); rerr != nil {
			s.log.Error("restore credential", "access_key_id", keyID, "err", rerr)
		}
	}
	return err
}

// DeleteAccessKey deletes a key of the named user (the caller when empty).
func (s *Service) DeleteAccessKey(ctx context.Context, p *Principal, userName, keyID string) error {
	s.revoke(keyID)
	err := s.update(ctx, func(tx Tx) error {
		u, _, err := s.keyOwner(tx, p, "iam:DeleteAccessKey", userName)
		if err != nil {
			return err
		}
		k, err := tx.AccessKey(keyID)
		if err != nil || k.AccountID != p.AccountID || k.UserID != ownerID(u) {
			if err == nil || isNotFound(err) {
				return noSuchKey(keyID)
			}
			return err
		}
		return tx.DeleteAccessKey(k.ID)
	})
	if err != nil {
		if rerr := s.restoreCredential(keyID); rerr != nil {
			s.log.Error("restore credential", "access_key_id", keyID, "err", rerr)
		}
	}
	return err
}

// KeyLastUsed is GetAccessKeyLastUsed's result.
type KeyLastUsed struct {
	UserName string
	Date     time.Time // zero: never used
	Service  string    // "N/A" when never used, as AWS reports it
	Region   string
}

// GetAccessKeyLastUsed reports when and where a key was last used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, p *Principal, keyID string) (*KeyLastUsed, error) {
	k := s.state.key(keyID)
	if k == nil || k.AccountID != p.AccountID {
		// AWS answers a key it cannot attribute to the caller's account
		// with AccessDenied, never revealing whether it exists elsewhere.
		return nil, Errorf(CodeAccessDenied, "User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", p.ARN, keyID)
	}
	resource := "arn:" + Partition + ":iam::" + p.AccountID + ":root"
	name := "root"
	var keys authzKeys
	if k.UserID != "" {
		u := s.state.userByID(k.UserID)
		if u == nil {
			return nil, Errorf(CodeAccessDenied, "User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", p.ARN, keyID)
		}
		resource, name = u.ARN(), u.Name
		keys.resourceTags, keys.iamResourceTag = u.Tags, true
	}
	if err := s.authorizeWith(p, "iam:GetAccessKeyLastUsed", resource, &keys); err != nil {
		return nil, err
	}
	out := &KeyLastUsed{UserName: name, Date: k.LastUsedDate, Service: k.LastUsedService, Region: k.LastUsedRegion}
	s.lastUsedMu.Lock()
	if use, ok := s.lastUsed[keyID]; ok && use.at.After(out.Date) {
		out.Date, out.Service, out.Region = use.at, use.service, use.region
	}
	s.lastUsedMu.Unlock()
	if out.Date.IsZero() {
		out.Service, out.Region = "N/A", "N/A"
	}
	return out, nil
}

// RecordKeyUse notes that a key authenticated a request. Uses are kept in
// memory and written in batches by FlushKeyUse, so that the request path
// does not write to the database; AWS too reports last use only
// approximately.
func (s *Service) RecordKeyUse(keyID, service, region string) {
	now := s.now().UTC().Truncate(time.Second)
	s.lastUsedMu.Lock()
	if use, ok := s.lastUsed[keyID]; !ok || !use.at.Equal(now) || use.service != service || use.region != region {
		s.lastUsed[keyID] = keyUse{at: now, service: service, region: region}
	}
	s.lastUsedMu.Unlock()
}

// FlushKeyUse writes recorded key uses to the store.
func (s *Service) FlushKeyUse(ctx context.Context) error {
	s.lastUsedMu.Lock()
	pending := s.lastUsed
	s.lastUsed = map[string]keyUse{}
	s.lastUsedMu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for id, use := range pending {
			k, err := tx.AccessKey(id)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if !use.at.After(k.LastUsedDate) {
				continue
			}
			k.LastUsedDate, k.LastUsedService, k.LastUsedRegion = use.at, use.service, use.region
			if err := tx.UpdateAccessKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return s.sync(ctx)
	}
	// Keep the uses for the next flush rather than lose them; a newer use
	// recorded meanwhile wins.
	s.lastUsedMu.Lock()
	for id, use := range pending {
		if cur, ok := s.lastUsed[id]; !ok || use.at.After(cur.at) {
			s.lastUsed[id] = use
		}
	}
	s.lastUsedMu.Unlock()
	return err
}

// Run performs the Service's background work until ctx is done, then
// flushes once more: every flushEvery it writes batched key use and
// access-advisor activity and prunes the change feed; every syncEvery it
// follows writes made elsewhere (other nodes, admin commands) by polling
// the change feed, one indexed query, which bounds propagation when
// notifications are lost.
func (s *Service) Run(ctx context.Context, flushEvery, syncEvery time.Duration) {
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	poll := time.NewTicker(syncEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := s.FlushKeyUse(fctx); err != nil {
				s.log.Error("flush access key use", "err", err)
			}
			s.flushActivityLogged(fctx)
			cancel()
			return
		case <-poll.C:
			if err := s.sync(ctx); err != nil {
				s.log.Error("sync state", "err", err)
			}
		case <-t.C:
			if err := s.FlushKeyUse(ctx); err != nil {
				s.log.Error("flush access key use", "err", err)
			}
			s.flushActivityLogged(ctx)
			if err := s.pruneFeed(ctx); err != nil {
				s.log.Error("prune change feed", "err", err)
			}
		}
	}
}

// feedKeep is how many changes the feed keeps. A node further behind than
// this reloads its whole state instead of following the feed.
const feedKeep = 100_000

// pruneFeed trims the change feed once it holds twice feedKeep entries, so
// that the table stays small without a write on every tick.
func (s *Service) pruneFeed(ctx context.Context) error {
	var oldest, latest int64
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if oldest, err = tx.OldestRevision(); err != nil {
			return err
		}
		latest, err = tx.Revision()
		return err
	})
	if err != nil || oldest == 0 || latest-oldest < 2*feedKeep {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error { return tx.PruneChanges(latest - feedKeep) })
}
