package iam

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Credential is what the authentication path needs to verify a request
// signed with an access key. It is held in memory so that authentication
// never queries the database.
type Credential struct {
	Principal *Principal
	Secret    []byte // the plaintext secret access key; never log it
}

type nameKey struct{ account, lower string }

type ownerKeyT struct{ account, userID string }

// state is the in-memory image of the store that serves reads and
// authentication without touching the database. It is loaded whole at
// start and then kept current from the store's change feed: after every
// write this node commits (read-your-writes), and periodically, which is how
// a node learns of other nodes' writes.
//
// Entities in the maps are never modified once stored: an update replaces
// the pointer, so readers may keep and use what they got after unlocking.
type state struct {
	mu  sync.RWMutex
	rev int64
	// authzRev counts applied changes that can alter an authorization
	// decision; cached policy sets built at an older authzRev are stale.
	authzRev   int64
	accounts   map[string]*Account
	users      map[string]*User // by ID
	userNames  map[nameKey]*User
	groups     map[string]*Group // by ID
	groupNames map[nameKey]*Group
	userGroups map[string]map[string]bool // user ID -> group IDs
	groupUsers map[string]map[string]bool // group ID -> user IDs
	// unopened holds active access keys whose secrets this node could
	// not open when their change arrived (see installCredential).
	unopened  map[string]bool
	keys      map[string]*AccessKey      // by ID
	ownerKeys map[ownerKeyT][]*AccessKey // ordered by creation date, ID
	creds     map[string]*Credential     // active keys only

	// Sorted listings per account, rebuilt on first use after a change.
	sortedUsers  map[string][]*User
	sortedGroups map[string][]*Group

	rolePolicyState

	custom customCatalog // custom service definitions: catalog.go

	// syncMu serializes syncs: each reads the feed from the last applied
	// revision, and two interleaved syncs could apply an older snapshot
	// over a newer one.
	syncMu sync.Mutex
}

func newState() *state {
	return &state{
		accounts: map[string]*Account{}, users: map[string]*User{}, userNames: map[nameKey]*User{},
		groups: map[string]*Group{}, groupNames: map[nameKey]*Group{},
		userGroups: map[string]map[string]bool{}, groupUsers: map[string]map[string]bool{},
		keys: map[string]*AccessKey{}, ownerKeys: map[ownerKeyT][]*AccessKey{}, creds: map[string]*Credential{}, unopened: map[string]bool{},
		sortedUsers: map[string][]*User{}, sortedGroups: map[string][]*Group{},
		rolePolicyState: newRolePolicyState(),
	}
}

// changeBatch bounds how many feed entries one sync reads at a time.
const changeBatch = 5000

// load replaces the whole state with the store's current content.
func (s *Service) load(ctx context.Context) error {
	s.state.syncMu.Lock()
	defer s.state.syncMu.Unlock()
	return s.loadLocked(ctx)
}

func (s *Service) loadLocked(ctx context.Context) error {
	next := newState()
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if next.rev, err = tx.Revision(); err != nil {
			return err
		}
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range accounts {
			next.accounts[a.ID] = a
			users, err := tx.Users(a.ID, ListQuery{})
			if err != nil {
				return err
			}
			for _, u := range users {
				next.putUser(u)
			}
			groups, err := tx.Groups(a.ID, ListQuery{})
			if err != nil {
				return err
			}
			for _, g := range groups {
				next.putGroup(g)
			}
		}
		members, err := tx.AllGroupMembers()
		if err != nil {
			return err
		}
		for _, m := range members {
			next.addMember(m.GroupID, m.UserID)
		}
		keys, err := tx.AllAccessKeys()
		if err != nil {
			return err
		}
		for _, k := range keys {
			next.keys[k.ID] = k
			ok := ownerKeyT{k.AccountID, k.UserID}
			next.ownerKeys[ok] = append(next.ownerKeys[ok], k)
		}
		if err := s.loadCustomServices(tx); err != nil { // catalog.go
			return err
		}
		return next.loadRolesPolicies(tx, accounts)
	})
	if err != nil {
		return err
	}
	for ok, keys := range next.ownerKeys {
		sortKeys(keys)
		next.ownerKeys[ok] = keys
	}
	for _, k := range next.keys {
		if err := s.setCredential(next, k); err != nil {
			return err
		}
	}
	st := s.state
	st.mu.Lock()
	st.rev, st.accounts, st.users, st.userNames = next.rev, next.accounts, next.users, next.userNames
	st.authzRev++
	st.groups, st.groupNames, st.userGroups, st.groupUsers = next.groups, next.groupNames, next.userGroups, next.groupUsers
	st.keys, st.ownerKeys, st.creds = next.keys, next.ownerKeys, next.creds
	st.sortedUsers, st.sortedGroups = next.sortedUsers, next.sortedGroups
	st.rolePolicyState = next.rolePolicyState
	st.mu.Unlock()
	return nil
}

// sync applies the store's changes since the last applied revision. It
// runs after each write this node commits, so the writer reads its own
// writes, and periodically to follow other nodes. It completes even if the
// triggering request's context is cancelled after its commit.
func (s *Service) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	st := s.state
	st.syncMu.Lock()
	defer st.syncMu.Unlock()
	s.retrySealed()
	for {
		st.mu.RLock()
		rev := st.rev
		st.mu.RUnlock()
		var (
			changes  []Change
			reload   bool
			users    = map[string]*User{}
			groups   = map[string]*Group{}
			accounts = map[string]*Account{}
			keys     = map[string]*AccessKey{}
			members  = map[string][]string{} // user ID -> group IDs
			rp       = newRolePolicyDelta()
		)
		err := s.store.View(ctx, func(tx Tx) error {
			var err error
			if changes, err = tx.Changes(rev, changeBatch); err != nil {
				return err
			}
			if len(changes) == 0 {
				// Nothing to read, but if the store has moved on, what
				// this node missed was pruned before it could read it.
				latest, err := tx.Revision()
				if err != nil {
					return err
				}
				reload = latest > rev
				return nil
			}
			oldest, err := tx.OldestRevision()
			if err != nil {
				return err
			}
			if oldest > rev+1 && changes[0].Revision != rev+1 {
				// The feed was pruned past what this node applied.
				reload = true
				return nil
			}
			// Every entity is read once, at this snapshot: its latest state
			// is all that matters, whatever happened in between.
			for _, c := range changes {
				var err error
				switch c.Kind {
				case ChangeAccount:
					if _, seen := accounts[c.ID]; !seen {
						accounts[c.ID], err = tx.Account(c.ID)
					}
				case ChangeUser:
					if _, seen := users[c.ID]; !seen {
						users[c.ID], err = tx.UserByID(c.ID)
					}
				case ChangeGroup:
					if _, seen := groups[c.ID]; !seen {
						groups[c.ID], err = tx.GroupByID(c.ID)
					}
				case ChangeMembership:
					if _, seen := members[c.ID]; !seen {
						var gs []*Group
						gs, err = tx.GroupsForUser(c.ID, ListQuery{})
						ids := make([]string, 0, len(gs))
						for _, g := range gs {
							ids = append(ids, g.ID)
						}
						members[c.ID] = ids
					}
				case ChangeAccessKey:
					if _, seen := keys[c.ID]; !seen {
						keys[c.ID], err = tx.AccessKey(c.ID)
					}
				case ChangeServiceDefinition:
					err = s.syncCustomService(tx, c) // catalog.go
				default:
					err = rp.read(tx, c)
				}
				if err != nil && !isNotFound(err) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if reload {
			return s.loadLocked(ctx)
		}
		if len(changes) == 0 {
			return nil
		}
		if err := s.apply(changes[len(changes)-1].Revision, accounts, users, groups, members, keys, rp); err != nil {
			return err
		}
		if len(changes) < changeBatch {
			return nil
		}
	}
}

// apply installs reloaded entities; a nil entity was deleted.
func (s *Service) apply(rev int64, accounts map[string]*Account, users map[string]*User, groups map[string]*Group,
	members map[string][]string, keys map[string]*AccessKey, rp *rolePolicyDelta) error {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, a := range accounts {
		if a == nil {
			delete(st.accounts, id)
		} else {
			st.accounts[id] = a
		}
	}
	credOwners := map[string]bool{} // users whose keys' principals must be rebuilt
	for id, u := range users {
		if old := st.users[id]; old != nil {
			delete(st.userNames, nameKey{old.AccountID, strings.ToLower(old.Name)})
			delete(st.sortedUsers, old.AccountID)
			delete(st.users, id)
		}
		if u != nil {
			st.putUser(u)
		} else {
			for gid := range st.userGroups[id] {
				delete(st.groupUsers[gid], id)
			}
			delete(st.userGroups, id)
		}
		credOwners[id] = true
	}
	for id, g := range groups {
		if old := st.groups[id]; old != nil {
			delete(st.groupNames, nameKey{old.AccountID, strings.ToLower(old.Name)})
			delete(st.sortedGroups, old.AccountID)
			delete(st.groups, id)
		}
		if g != nil {
			st.putGroup(g)
		} else {
			for uid := range st.groupUsers[id] {
				delete(st.userGroups[uid], id)
			}
			delete(st.groupUsers, id)
		}
	}
	for uid, gids := range members {
		for gid := range st.userGroups[uid] {
			delete(st.groupUsers[gid], uid)
		}
		delete(st.userGroups, uid)
		for _, gid := range gids {
			st.addMember(gid, uid)
		}
	}
	touchedOwners := map[ownerKeyT]bool{}
	for id, k := range keys {
		if old := st.keys[id]; old != nil {
			touchedOwners[ownerKeyT{old.AccountID, old.UserID}] = true
			delete(st.keys, id)
			delete(st.creds, id)
		}
		if k != nil {
			st.keys[id] = k
			touchedOwners[ownerKeyT{k.AccountID, k.UserID}] = true
			s.installCredential(st, k)
		}
	}
	if len(users) > 0 || len(rp.roles) > 0 {
		st.boundaryUses = nil
	}
	st.applyRolesPolicies(rp)
	for ok := range touchedOwners {
		var list []*AccessKey
		for _, k := range st.keys {
			if k.AccountID == ok.account && k.UserID == ok.userID {
				list = append(list, k)
			}
		}
		if len(list) == 0 {
			delete(st.ownerKeys, ok)
			continue
		}
		sortKeys(list)
		st.ownerKeys[ok] = list
	}
	for uid := range credOwners {
		u := st.users[uid]
		if u == nil {
			continue
		}
		for _, k := range st.ownerKeys[ownerKeyT{u.AccountID, uid}] {
			s.installCredential(st, k)
		}
	}
	st.rev = rev
	// Key use (last-used flushes) is the only change that cannot alter a
	// decision; anything else invalidates the cached policy sets.
	if len(accounts)+len(users)+len(groups)+len(members) > 0 || !rp.empty() {
		st.authzRev++
	}
	return nil
}

func sortKeys(keys []*AccessKey) {
	slices.SortFunc(keys, func(a, b *AccessKey) int {
		if c := a.CreateDate.Compare(b.CreateDate); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func (st *state) putUser(u *User) {
	st.users[u.ID] = u
	st.userNames[nameKey{u.AccountID, strings.ToLower(u.Name)}] = u
	delete(st.sortedUsers, u.AccountID)
}

func (st *state) putGroup(g *Group) {
	st.groups[g.ID] = g
	st.groupNames[nameKey{g.AccountID, strings.ToLower(g.Name)}] = g
	delete(st.sortedGroups, g.AccountID)
}

func (st *state) addMember(groupID, userID string) {
	if st.userGroups[userID] == nil {
		st.userGroups[userID] = map[string]bool{}
	}
	st.userGroups[userID][groupID] = true
	if st.groupUsers[groupID] == nil {
		st.groupUsers[groupID] = map[string]bool{}
	}
	st.groupUsers[groupID][userID] = true
}

// setCredential (re)builds the credential of an active key; an inactive
// key has none. The caller holds st.mu or owns st exclusively.
func (s *Service) setCredential(st *state, k *AccessKey) error {
	if k.Status != StatusActive {
		delete(st.creds, k.ID)
		return nil
	}
	var u *User
	if k.UserID != "" {
		if u = st.users[k.UserID]; u == nil {
			// The owner is gone; the key cannot be valid.
			delete(st.creds, k.ID)
			return nil
		}
	}
	secret, err := s.keyring.Open(k.SealedSecret, []byte(k.ID))
	if err != nil {
		return fmt.Errorf("open secret of access key %s: %w", k.ID, err)
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
	st.creds[k.ID] = &Credential{Principal: p, Secret: secret}
	return nil
}

// Authenticate returns the credential for an active access key, or nil.
func (s *Service) Authenticate(accessKeyID string) *Credential {
	st := s.state
	st.mu.RLock()
	c := st.creds[accessKeyID]
	st.mu.RUnlock()
	return c
}

// revoke drops keys' credentials before the transaction that disables them
// commits, so that no request authenticates with a key once its
// deactivation is acknowledged. restoreCredential repairs a revocation
// whose transaction did not commit.
func (s *Service) revoke(ids ...string) {
	st := s.state
	st.mu.Lock()
	for _, id := range ids {
		delete(st.creds, id)
	}
	st.mu.Unlock()
}

func (s *Service) restoreCredential(id string) error {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if k := st.keys[id]; k != nil {
		return s.setCredential(st, k)
	}
	return nil
}

// Read accessors. They return shared, immutable entities.

func (st *state) user(account, name string) *User {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.userNames[nameKey{account, strings.ToLower(name)}]
}

func (st *state) userByID(id string) *User {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.users[id]
}

func (st *state) group(account, name string) *Group {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.groupNames[nameKey{account, strings.ToLower(name)}]
}

func (st *state) account(id string) *Account {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.accounts[id]
}

// usersSorted returns the account's users ordered by lower-cased name.
func (st *state) usersSorted(account string) []*User {
	st.mu.RLock()
	list, ok := st.sortedUsers[account]
	st.mu.RUnlock()
	if ok {
		return list
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if list, ok := st.sortedUsers[account]; ok {
		return list
	}
	list = []*User{}
	for _, u := range st.users {
		if u.AccountID == account {
			list = append(list, u)
		}
	}
	slices.SortFunc(list, func(a, b *User) int { return cmp.Compare(userKey(a), userKey(b)) })
	st.sortedUsers[account] = list
	return list
}

func (st *state) groupsSorted(account string) []*Group {
	st.mu.RLock()
	list, ok := st.sortedGroups[account]
	st.mu.RUnlock()
	if ok {
		return list
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if list, ok := st.sortedGroups[account]; ok {
		return list
	}
	list = []*Group{}
	for _, g := range st.groups {
		if g.AccountID == account {
			list = append(list, g)
		}
	}
	slices.SortFunc(list, func(a, b *Group) int { return cmp.Compare(groupKey(a), groupKey(b)) })
	st.sortedGroups[account] = list
	return list
}

func (st *state) groupsOfUser(userID string) []*Group {
	st.mu.RLock()
	out := make([]*Group, 0, len(st.userGroups[userID]))
	for gid := range st.userGroups[userID] {
		if g := st.groups[gid]; g != nil {
			out = append(out, g)
		}
	}
	st.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Group) int { return cmp.Compare(groupKey(a), groupKey(b)) })
	return out
}

func (st *state) membersOfGroup(groupID string) []*User {
	st.mu.RLock()
	out := make([]*User, 0, len(st.groupUsers[groupID]))
	for uid := range st.groupUsers[groupID] {
		if u := st.users[uid]; u != nil {
			out = append(out, u)
		}
	}
	st.mu.RUnlock()
	slices.SortFunc(out, func(a, b *User) int { return cmp.Compare(userKey(a), userKey(b)) })
	return out
}

func (st *state) keysOf(account, userID string) []*AccessKey {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.ownerKeys[ownerKeyT{account, userID}]
}

func (st *state) key(id string) *AccessKey {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.keys[id]
}

// pageFrom pages a sorted listing: entries whose key is greater than the
// marker's, filtered by path prefix.
func pageFrom[T any](list []T, in ListInput, key func(T) string, path func(T) string) (Page[T], error) {
	after, err := decodeMarker(listingOf[T](), in.Marker)
	if err != nil {
		return Page[T]{}, err
	}
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(list, after, func(e T, t string) int { return cmp.Compare(key(e), t) })
		for start < len(list) && key(list[start]) <= after {
			start++
		}
	}
	limit := in.limit()
	var items []T
	for i := start; i < len(list); i++ {
		if in.PathPrefix != "" && !strings.HasPrefix(path(list[i]), in.PathPrefix) {
			continue
		}
		if len(items) == limit {
			return Page[T]{Items: items, IsTruncated: true, Marker: encodeMarker(listingOf[T](), key(items[limit-1]))}, nil
		}
		items = append(items, list[i])
	}
	return Page[T]{Items: items}, nil
}

// --- roles, managed policies, inline policies, attachments

// ownerRef names the user, group or role that owns inline policies or
// attachments.
type ownerRef struct {
	kind OwnerKind
	id   string
}

// policyEntry is a customer managed policy with its versions, replaced as a
// whole when either changes.
type policyEntry struct {
	p        *ManagedPolicy
	versions []*PolicyVersion // creation order
}

func (e *policyEntry) version(id string) *PolicyVersion {
	for _, v := range e.versions {
		if v.VersionID == id {
			return v
		}
	}
	return nil
}

// rolePolicyState is the part of state the authorization path reads:
// everything a principal's identity policies, boundary and a role's trust
// policy are made of.
type rolePolicyState struct {
	roles          map[string]*Role // by ID
	roleNames      map[nameKey]*Role
	sortedRoles    map[string][]*Role
	policies       map[string]*policyEntry // by ID
	policyARNs     map[string]*policyEntry
	policyNames    map[nameKey]*policyEntry
	sortedPolicies map[string][]*policyEntry
	inline         map[ownerRef][]*InlinePolicy // ordered by lower-cased name
	attached       map[ownerRef][]string        // policy ARNs, ordered
	attachedTo     map[string]map[ownerRef]bool // policy ARN -> owners
	// boundaryUses counts users and roles per boundary policy ARN per
	// account; nil after any user or role changed, rebuilt on next use.
	boundaryUses map[string]map[string]int

	profiles       map[string]*InstanceProfile // by ID
	profileNames   map[nameKey]*InstanceProfile
	sortedProfiles map[string][]*InstanceProfile
}

func newRolePolicyState() rolePolicyState {
	return rolePolicyState{
		roles: map[string]*Role{}, roleNames: map[nameKey]*Role{}, sortedRoles: map[string][]*Role{},
		policies: map[string]*policyEntry{}, policyARNs: map[string]*policyEntry{},
		policyNames: map[nameKey]*policyEntry{}, sortedPolicies: map[string][]*policyEntry{},
		inline: map[ownerRef][]*InlinePolicy{}, attached: map[ownerRef][]string{},
		attachedTo: map[string]map[ownerRef]bool{},
		profiles:   map[string]*InstanceProfile{}, profileNames: map[nameKey]*InstanceProfile{},
		sortedProfiles: map[string][]*InstanceProfile{},
	}
}

func (st *state) loadRolesPolicies(tx Tx, accounts []*Account) error {
	for _, a := range accounts {
		roles, err := tx.Roles(a.ID, ListQuery{})
		if err != nil {
			return err
		}
		for _, r := range roles {
			st.putRole(r)
		}
		policies, err := tx.Policies(a.ID, ListQuery{})
		if err != nil {
			return err
		}
		for _, p := range policies {
			vs, err := tx.PolicyVersions(p.ID)
			if err != nil {
				return err
			}
			st.putPolicy(&policyEntry{p: p, versions: vs})
		}
		profiles, err := tx.InstanceProfiles(a.ID, ListQuery{})
		if err != nil {
			return err
		}
		for _, ip := range profiles {
			st.putProfile(ip)
		}
	}
	inline, err := tx.AllInlinePolicies()
	if err != nil {
		return err
	}
	for _, ip := range inline {
		o := ownerRef{ip.Kind, ip.OwnerID}
		st.inline[o] = append(st.inline[o], ip)
	}
	atts, err := tx.AllAttachments()
	if err != nil {
		return err
	}
	byOwner := map[ownerRef][]string{}
	for _, a := range atts {
		o := ownerRef{a.Kind, a.OwnerID}
		byOwner[o] = append(byOwner[o], a.PolicyARN)
	}
	for o, arns := range byOwner {
		st.setAttached(o, arns)
	}
	return nil
}

// rolePolicyDelta is what one sync reloaded; nil (or empty) means deleted.
type rolePolicyDelta struct {
	roles    map[string]*Role
	policies map[string]*policyEntry
	inline   map[ownerRef][]*InlinePolicy
	attached map[ownerRef][]string
	profiles map[string]*InstanceProfile
}

func (d *rolePolicyDelta) empty() bool {
	return d == nil || len(d.roles)+len(d.policies)+len(d.inline)+len(d.attached)+len(d.profiles) == 0
}

func newRolePolicyDelta() *rolePolicyDelta {
	return &rolePolicyDelta{
		roles: map[string]*Role{}, policies: map[string]*policyEntry{},
		inline: map[ownerRef][]*InlinePolicy{}, attached: map[ownerRef][]string{},
		profiles: map[string]*InstanceProfile{},
	}
}

var (
	inlineKinds = map[ChangeKind]OwnerKind{
		ChangeUserPolicy: OwnerUser, ChangeGroupPolicy: OwnerGroup, ChangeRolePolicy: OwnerRole,
	}
	attachmentKinds = map[ChangeKind]OwnerKind{
		ChangeUserAttachment: OwnerUser, ChangeGroupAttachment: OwnerGroup, ChangeRoleAttachment: OwnerRole,
	}
)

// read reloads what c names, once per sync. Unknown kinds belong to other
// features and are ignored here.
func (d *rolePolicyDelta) read(tx Tx, c Change) error {
	if k, ok := inlineKinds[c.Kind]; ok {
		o := ownerRef{k, c.ID}
		if _, seen := d.inline[o]; seen {
			return nil
		}
		ps, err := tx.InlinePolicies(k, c.ID)
		if err != nil {
			return err
		}
		if ps == nil {
			ps = []*InlinePolicy{}
		}
		d.inline[o] = ps
		return nil
	}
	if k, ok := attachmentKinds[c.Kind]; ok {
		o := ownerRef{k, c.ID}
		if _, seen := d.attached[o]; seen {
			return nil
		}
		arns, err := tx.AttachedPolicies(k, c.ID)
		if err != nil {
			return err
		}
		if arns == nil {
			arns = []string{}
		}
		d.attached[o] = arns
		return nil
	}
	switch c.Kind {
	case ChangeInstanceProfile:
		if _, seen := d.profiles[c.ID]; seen {
			return nil
		}
		ip, err := tx.InstanceProfileByID(c.ID)
		if err != nil && !isNotFound(err) {
			return err
		}
		d.profiles[c.ID] = ip
	case ChangeRole:
		if _, seen := d.roles[c.ID]; seen {
			return nil
		}
		r, err := tx.RoleByID(c.ID)
		if err != nil && !isNotFound(err) {
			return err
		}
		d.roles[c.ID] = r
	case ChangePolicy:
		if _, seen := d.policies[c.ID]; seen {
			return nil
		}
		p, err := tx.PolicyByID(c.ID)
		if err != nil {
			if isNotFound(err) {
				d.policies[c.ID] = nil
				return nil
			}
			return err
		}
		vs, err := tx.PolicyVersions(c.ID)
		if err != nil {
			return err
		}
		d.policies[c.ID] = &policyEntry{p: p, versions: vs}
	}
	return nil
}

// applyRolesPolicies installs a delta; the caller holds st.mu.
func (st *state) applyRolesPolicies(d *rolePolicyDelta) {
	for id, r := range d.roles {
		if old := st.roles[id]; old != nil {
			delete(st.roleNames, nameKey{old.AccountID, strings.ToLower(old.Name)})
			delete(st.sortedRoles, old.AccountID)
			delete(st.roles, id)
		}
		if r != nil {
			st.putRole(r)
		}
	}
	for id, e := range d.policies {
		if old := st.policies[id]; old != nil {
			delete(st.policyNames, nameKey{old.p.AccountID, strings.ToLower(old.p.Name)})
			delete(st.policyARNs, old.p.ARN())
			delete(st.sortedPolicies, old.p.AccountID)
			delete(st.policies, id)
		}
		if e != nil {
			st.putPolicy(e)
		}
	}
	for o, ps := range d.inline {
		if len(ps) == 0 {
			delete(st.inline, o)
		} else {
			st.inline[o] = ps
		}
	}
	for o, arns := range d.attached {
		st.setAttached(o, arns)
	}
	for id, ip := range d.profiles {
		if old := st.profiles[id]; old != nil {
			delete(st.profileNames, nameKey{old.AccountID, strings.ToLower(old.Name)})
			delete(st.sortedProfiles, old.AccountID)
			delete(st.profiles, id)
		}
		if ip != nil {
			st.putProfile(ip)
		}
	}
}

func (st *state) putProfile(ip *InstanceProfile) {
	st.profiles[ip.ID] = ip
	st.profileNames[nameKey{ip.AccountID, strings.ToLower(ip.Name)}] = ip
	delete(st.sortedProfiles, ip.AccountID)
}

func (st *state) instanceProfile(account, name string) *InstanceProfile {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.profileNames[nameKey{account, strings.ToLower(name)}]
}

func (st *state) instanceProfilesSorted(account string) []*InstanceProfile {
	st.mu.RLock()
	list, ok := st.sortedProfiles[account]
	st.mu.RUnlock()
	if ok {
		return list
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if list, ok := st.sortedProfiles[account]; ok {
		return list
	}
	list = []*InstanceProfile{}
	for _, ip := range st.profiles {
		if ip.AccountID == account {
			list = append(list, ip)
		}
	}
	slices.SortFunc(list, func(a, b *InstanceProfile) int { return cmp.Compare(instanceProfileKey(a), instanceProfileKey(b)) })
	st.sortedProfiles[account] = list
	return list
}

func (st *state) putRole(r *Role) {
	st.roles[r.ID] = r
	st.roleNames[nameKey{r.AccountID, strings.ToLower(r.Name)}] = r
	delete(st.sortedRoles, r.AccountID)
}

func (st *state) putPolicy(e *policyEntry) {
	st.policies[e.p.ID] = e
	st.policyARNs[e.p.ARN()] = e
	st.policyNames[nameKey{e.p.AccountID, strings.ToLower(e.p.Name)}] = e
	delete(st.sortedPolicies, e.p.AccountID)
}

// setAttached replaces an owner's attachments and the reverse index.
func (st *state) setAttached(o ownerRef, arns []string) {
	for _, arn := range st.attached[o] {
		if owners := st.attachedTo[arn]; owners != nil {
			delete(owners, o)
			if len(owners) == 0 {
				delete(st.attachedTo, arn)
			}
		}
	}
	if len(arns) == 0 {
		delete(st.attached, o)
		return
	}
	arns = slices.Clone(arns)
	slices.Sort(arns)
	st.attached[o] = arns
	for _, arn := range arns {
		if st.attachedTo[arn] == nil {
			st.attachedTo[arn] = map[ownerRef]bool{}
		}
		st.attachedTo[arn][o] = true
	}
}

func (st *state) role(account, name string) *Role {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.roleNames[nameKey{account, strings.ToLower(name)}]
}

func (st *state) roleByID(id string) *Role {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.roles[id]
}

func (st *state) rolesSorted(account string) []*Role {
	st.mu.RLock()
	list, ok := st.sortedRoles[account]
	st.mu.RUnlock()
	if ok {
		return list
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if list, ok := st.sortedRoles[account]; ok {
		return list
	}
	list = []*Role{}
	for _, r := range st.roles {
		if r.AccountID == account {
			list = append(list, r)
		}
	}
	slices.SortFunc(list, func(a, b *Role) int { return cmp.Compare(roleKey(a), roleKey(b)) })
	st.sortedRoles[account] = list
	return list
}

// policyByARN returns a customer managed policy by ARN (path included),
// or nil.
func (st *state) policyByARN(arn string) *policyEntry {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.policyARNs[arn]
}

func (st *state) policiesSorted(account string) []*policyEntry {
	st.mu.RLock()
	list, ok := st.sortedPolicies[account]
	st.mu.RUnlock()
	if ok {
		return list
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if list, ok := st.sortedPolicies[account]; ok {
		return list
	}
	list = []*policyEntry{}
	for _, e := range st.policies {
		if e.p.AccountID == account {
			list = append(list, e)
		}
	}
	slices.SortFunc(list, func(a, b *policyEntry) int {
		return cmp.Compare(strings.ToLower(a.p.Name), strings.ToLower(b.p.Name))
	})
	st.sortedPolicies[account] = list
	return list
}

func (st *state) inlinePolicies(kind OwnerKind, ownerID string) []*InlinePolicy {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.inline[ownerRef{kind, ownerID}]
}

func (st *state) attachedPolicies(kind OwnerKind, ownerID string) []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.attached[ownerRef{kind, ownerID}]
}

// policyUse is how one account uses a managed policy.
type policyUse struct {
	attachments int
	boundaries  int
	users       []*User
	groups      []*Group
	roles       []*Role
}

// usesOf counts and lists the account's attachments of a policy and its
// use as a permissions boundary. AWS managed policies are shared by every
// account, so only the account's own entities count.
func (st *state) usesOf(account, arn string, withEntities bool) policyUse {
	st.buildBoundaryUses()
	st.mu.RLock()
	defer st.mu.RUnlock()
	var u policyUse
	for o := range st.attachedTo[arn] {
		switch o.kind {
		case OwnerUser:
			if x := st.users[o.id]; x != nil && x.AccountID == account {
				u.attachments++
				if withEntities {
					u.users = append(u.users, x)
				}
			}
		case OwnerGroup:
			if x := st.groups[o.id]; x != nil && x.AccountID == account {
				u.attachments++
				if withEntities {
					u.groups = append(u.groups, x)
				}
			}
		case OwnerRole:
			if x := st.roles[o.id]; x != nil && x.AccountID == account {
				u.attachments++
				if withEntities {
					u.roles = append(u.roles, x)
				}
			}
		}
	}
	if st.boundaryUses != nil {
		u.boundaries = st.boundaryUses[account][arn]
		return u
	}
	// A write landed since buildBoundaryUses: count directly.
	for _, x := range st.users {
		if x.PermissionsBoundary == arn && x.AccountID == account {
			u.boundaries++
		}
	}
	for _, x := range st.roles {
		if x.PermissionsBoundary == arn && x.AccountID == account {
			u.boundaries++
		}
	}
	return u
}

// buildBoundaryUses makes sure boundaryUses is current; usesOf reads it
// under the read lock.
func (st *state) buildBoundaryUses() {
	st.mu.RLock()
	ok := st.boundaryUses != nil
	st.mu.RUnlock()
	if ok {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.boundaryUses != nil {
		return
	}
	m := map[string]map[string]int{}
	add := func(account, arn string) {
		if arn == "" {
			return
		}
		if m[account] == nil {
			m[account] = map[string]int{}
		}
		m[account][arn]++
	}
	for _, x := range st.users {
		add(x.AccountID, x.PermissionsBoundary)
	}
	for _, x := range st.roles {
		add(x.AccountID, x.PermissionsBoundary)
	}
	st.boundaryUses = m
}

// boundaryEntities lists the account's users and roles whose permissions
// boundary is arn.
func (st *state) boundaryEntities(account, arn string) ([]*User, []*Role) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var users []*User
	var roles []*Role
	for _, u := range st.users {
		if u.PermissionsBoundary == arn && u.AccountID == account {
			users = append(users, u)
		}
	}
	for _, r := range st.roles {
		if r.PermissionsBoundary == arn && r.AccountID == account {
			roles = append(roles, r)
		}
	}
	return users, roles
}

// installCredential is setCredential for changes arriving from the feed. A
// secret sealed with a master key this node has not loaded yet (a rotation
// started elsewhere) leaves the key unable to authenticate here until the
// key file catches up; failing would leave the batch half applied, so the
// key is remembered and retrySealed tries again on every sync.
func (s *Service) installCredential(st *state, k *AccessKey) {
	delete(st.unopened, k.ID)
	if err := s.setCredential(st, k); err != nil {
		s.log.Warn("access key secret cannot be opened yet", "access_key_id", k.ID, "err", err)
		delete(st.creds, k.ID)
		st.unopened[k.ID] = true
	}
}

// retrySealed opens the secrets installCredential could not.
func (s *Service) retrySealed() {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	for id := range st.unopened {
		k := st.keys[id]
		if k == nil {
			delete(st.unopened, id)
			continue
		}
		if err := s.setCredential(st, k); err == nil {
			delete(st.unopened, id)
		}
	}
}
