package iam

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/policy"
)

// activity collects last-used data in memory: roles whose session
// credentials were used, console passwords used to sign in, and the
// services and actions each user and role was allowed. FlushActivity
// writes it in batches, so that no request waits for the database; AWS too
// reports this data only approximately (hours late for the access advisor).
type activity struct {
	mu        sync.Mutex
	roles     map[string]regionUse // role ID
	passwords map[passwordKey]time.Time
	access    map[accessKey]accessUse
	lastPrune time.Time
	allowed   atomic.Uint64 // evaluated decisions that allowed
}

type regionUse struct {
	at     time.Time
	region string
}

// passwordKey names a user; userID is empty for the account's root user.
type passwordKey struct{ account, userID string }

// accessKey is one principal's use of one action. kind is OwnerUser or
// OwnerRole; id the user's or role's unique ID: ARNs are resolved at flush
// time so that the request path builds no strings.
type accessKey struct {
	kind       OwnerKind
	id, action string
}

// maxGranting bounds the policies remembered per access: the first few
// allowing identity policies are what the group and policy reports need.
const maxGranting = 4

type accessUse struct {
	at       time.Time
	region   string
	granting [maxGranting]string // Compiled.ID of allowing identity policies
}

func newActivity() *activity {
	return &activity{roles: map[string]regionUse{}, passwords: map[passwordKey]time.Time{}, access: map[accessKey]accessUse{}}
}

// noteAccess records that p was allowed action, for the access advisor.
// It runs on every allowed request, so it takes no allocation once the
// principal's action is known, and only a map update otherwise.
func (s *Service) noteAccess(p *Principal, action string, d *policy.Decision) {
	s.activity.allowed.Add(1)
	var k accessKey
	switch {
	case p.Session == nil && p.Type == PrincipalUser:
		k = accessKey{kind: OwnerUser, id: p.UserID, action: action}
	case p.Session != nil && p.Session.Kind == SessionRole:
		k = accessKey{kind: OwnerRole, id: p.Session.RoleID, action: action}
	case p.Session != nil && p.Session.SourceUserID != "":
		k = accessKey{kind: OwnerUser, id: p.Session.SourceUserID, action: action}
	default:
		return // root and federated users are not IAM entities the advisor reports on
	}
	u := accessUse{at: s.now().UTC().Truncate(time.Second)}
	if p.Request != nil {
		u.region = p.Request.Region
	}
	n := 0
	for _, m := range d.Matched {
		if m.Gate == policy.GateIdentity && n < maxGranting {
			u.granting[n] = m.Policy
			n++
		}
	}
	a := s.activity
	a.mu.Lock()
	if cur, ok := a.access[k]; !ok || cur != u {
		a.access[k] = u
	}
	a.mu.Unlock()
}

// RecordSessionUse notes that temporary credentials authenticated a
// request: for a role session, the role's RoleLastUsed (date and region).
// Like RecordKeyUse it only touches memory; FlushActivity stores it.
func (s *Service) RecordSessionUse(p *Principal, region string) {
	if p == nil || p.Session == nil || p.Session.Kind != SessionRole {
		return
	}
	u := regionUse{at: s.now().UTC().Truncate(time.Second), region: region}
	a := s.activity
	a.mu.Lock()
	if cur, ok := a.roles[p.Session.RoleID]; !ok || cur != u {
		a.roles[p.Session.RoleID] = u
	}
	a.mu.Unlock()
}

// RecordPasswordUse notes a successful console sign-in with a password:
// the user's PasswordLastUsed (GetUser, ListUsers, the credential report).
// userID is empty for the account's root user. It only touches memory;
// FlushActivity stores it within seconds (Run calls it periodically).
func (s *Service) RecordPasswordUse(accountID, userID string) {
	now := s.now().UTC().Truncate(time.Second)
	a := s.activity
	a.mu.Lock()
	a.passwords[passwordKey{accountID, userID}] = now
	a.mu.Unlock()
}

func metaRootPasswordUsed(accountID string) string { return "root_password_last_used:" + accountID }

// RootPasswordLastUsed returns when the account's root user last signed in
// with its password (zero when never), as RecordPasswordUse stored it: for
// GetUser's PasswordLastUsed on the root user.
func (s *Service) RootPasswordLastUsed(ctx context.Context, accountID string) (time.Time, error) {
	var t time.Time
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = rootPasswordLastUsed(tx, accountID)
		return err
	})
	return t, err
}

// rootPasswordLastUsed returns when the root user's password was last used
// (zero when never or unknown).
func rootPasswordLastUsed(tx Tx, accountID string) (time.Time, error) {
	v, err := tx.Meta(metaRootPasswordUsed(accountID))
	if isNotFound(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, nil // unreadable: reported as no information
	}
	return t.UTC(), nil
}

// Writing a user or role invalidates every cached policy set (state.go),
// so last-used dates are not rewritten for every use:
//   - a password used more than once in five minutes keeps the first use,
//     as AWS documents for PasswordLastUsed;
//   - a role's date moves on only once a minute (or when the region
//     changes), well within AWS's own approximation.
const (
	passwordUseSpan    = 5 * time.Minute
	roleUseGranularity = time.Minute
)

// reportRetention is how long generated reports are kept.
const reportRetention = 7 * 24 * time.Hour

// FlushActivity writes the recorded role, password and service uses to the
// store in one transaction. On failure they are kept for the next flush.
func (s *Service) FlushActivity(ctx context.Context) error {
	a := s.activity
	a.mu.Lock()
	roles, passwords, access := a.roles, a.passwords, a.access
	prune := s.now().Sub(a.lastPrune) > time.Hour
	if len(roles) > 0 {
		a.roles = map[string]regionUse{}
	}
	if len(passwords) > 0 {
		a.passwords = map[passwordKey]time.Time{}
	}
	if len(access) > 0 {
		a.access = map[accessKey]accessUse{}
	}
	a.mu.Unlock()
	if len(roles) == 0 && len(passwords) == 0 && len(access) == 0 && !prune {
		return nil
	}
	recs := s.accessRecords(access)
	entities := false
	err := s.store.Update(ctx, func(tx Tx) error {
		for id, use := range roles {
			r, err := tx.RoleByID(id)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if use.at.Sub(r.LastUsedDate) < roleUseGranularity && use.region == r.LastUsedRegion {
				continue
			}
			if !use.at.After(r.LastUsedDate) {
				continue
			}
			r.LastUsedDate, r.LastUsedRegion = use.at, use.region
			if err := tx.UpdateRole(r); err != nil {
				return err
			}
			entities = true
		}
		for k, at := range passwords {
			if k.userID == "" {
				prev, err := rootPasswordLastUsed(tx, k.account)
				if err != nil {
					return err
				}
				if at.After(prev) {
					if err := tx.SetMeta(metaRootPasswordUsed(k.account), at.Format(time.RFC3339)); err != nil {
						return err
					}
				}
				continue
			}
			u, err := tx.UserByID(k.userID)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if at.Sub(u.PasswordLastUsed) < passwordUseSpan {
				continue
			}
			u.PasswordLastUsed = at
			if err := tx.UpdateUser(u); err != nil {
				return err
			}
			entities = true
		}
		if len(recs) > 0 {
			if err := tx.PutServiceAccess(recs); err != nil {
				return err
			}
		}
		if prune {
			return tx.DeleteReportsBefore(s.now().Add(-reportRetention))
		}
		return nil
	})
	if err != nil {
		a.mu.Lock()
		for id, use := range roles {
			if cur, ok := a.roles[id]; !ok || use.at.After(cur.at) {
				a.roles[id] = use
			}
		}
		for k, at := range passwords {
			if cur, ok := a.passwords[k]; !ok || at.After(cur) {
				a.passwords[k] = at
			}
		}
		for k, use := range access {
			if cur, ok := a.access[k]; !ok || use.at.After(cur.at) {
				a.access[k] = use
			}
		}
		a.mu.Unlock()
		return err
	}
	if prune {
		a.mu.Lock()
		a.lastPrune = s.now()
		a.mu.Unlock()
	}
	if entities {
		return s.sync(ctx)
	}
	return nil
}

// accessRecords turns recorded uses into store rows: one for the principal
// and one for each group and managed policy whose statements allowed it.
func (s *Service) accessRecords(access map[accessKey]accessUse) []ServiceAccess {
	if len(access) == 0 {
		return nil
	}
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := make([]ServiceAccess, 0, len(access))
	for k, use := range access {
		var account, principal string
		var groups []*Group
		switch k.kind {
		case OwnerUser:
			u := st.users[k.id]
			if u == nil {
				continue
			}
			account, principal = u.AccountID, u.ARN()
			for gid := range st.userGroups[u.ID] {
				if g := st.groups[gid]; g != nil {
					groups = append(groups, g)
				}
			}
		case OwnerRole:
			r := st.roles[k.id]
			if r == nil {
				continue
			}
			account, principal = r.AccountID, r.ARN()
		}
		rec := ServiceAccess{AccountID: account, PrincipalARN: principal, Action: k.action, Time: use.at, Region: use.region}
		rec.EntityARN = principal
		out = append(out, rec)
		seen := map[string]bool{}
		add := func(entity string) {
			if !seen[entity] {
				seen[entity] = true
				r := rec
				r.EntityARN = entity
				out = append(out, r)
			}
		}
		for _, id := range use.granting {
			if id == "" {
				continue
			}
			if strings.HasPrefix(id, "arn:") {
				add(id) // a managed policy
			}
			for _, g := range groups {
				if groupHasPolicy(st, g.ID, id) {
					add(g.ARN())
				}
			}
		}
	}
	return out
}

// groupHasPolicy reports whether the group has the managed policy (by ARN)
// attached or an inline policy of that name. Called with st.mu held.
func groupHasPolicy(st *state, groupID, id string) bool {
	o := ownerRef{OwnerGroup, groupID}
	for _, arn := range st.attached[o] {
		if arn == id {
			return true
		}
	}
	for _, ip := range st.inline[o] {
		if ip.Name == id {
			return true
		}
	}
	return false
}

func (s *Service) flushActivityLogged(ctx context.Context) {
	if err := s.FlushActivity(ctx); err != nil {
		s.log.Error("flush last-used data", "err", err)
	}
}

// AllowedDecisions counts the authorization decisions the policy engine
// evaluated to Allow since start (the root user's own-account requests
// need no evaluation and are not counted). For metrics.
func (s *Service) AllowedDecisions() uint64 { return s.activity.allowed.Load() }

// StateSizes are the sizes of the in-memory state, for metrics.
type StateSizes struct {
	Accounts         int
	Users            int
	Groups           int
	Roles            int
	ManagedPolicies  int // customer managed
	AccessKeys       int
	PolicySets       int // cached assembled policy sets
	CompiledPolicies int // cached compiled documents
	Sessions         int // cached opened session tokens
}

// StateSizes counts what the Service holds in memory. It takes each lock
// briefly; scrapes call it, requests never do.
func (s *Service) StateSizes() StateSizes {
	var z StateSizes
	st := s.state
	st.mu.RLock()
	z.Accounts, z.Users, z.Groups, z.Roles = len(st.accounts), len(st.users), len(st.groups), len(st.roles)
	z.ManagedPolicies, z.AccessKeys = len(st.policies), len(st.keys)
	st.mu.RUnlock()
	s.authz.mu.Lock()
	z.PolicySets, z.CompiledPolicies = s.authz.sets.len(), s.authz.compiled.len()
	s.authz.mu.Unlock()
	s.sessions.mu.Lock()
	z.Sessions = len(s.sessions.m)
	s.sessions.mu.Unlock()
	return z
}
