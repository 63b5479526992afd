package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// TestMemStore runs the suite against memStore, a deliberately naive store
// that shares no code with the SQL backends, so that the suite is known to
// test the documented contract rather than one implementation's habits.
//
// It covers the core groups only: the extension families (roles, policies,
// providers, ...) are checked against the real backends, and memTx leaves
// their methods unimplemented.
func TestMemStore(t *testing.T) {
	runGroups(t, func(t *testing.T) iam.Store { return &memStore{st: newMemState()} }, coreGroups())
}

// memStore serializes Update with a mutex and gets atomicity by running fn
// on a copy of the whole state, swapped in on success.
type memStore struct {
	mu sync.RWMutex
	st *memState
}

type memState struct {
	meta     map[string]string
	accounts map[string]iam.Account
	users    map[string]iam.User
	groups   map[string]iam.Group
	members  map[membership]bool
	keys     map[string]iam.AccessKey
	// changes is the feed, oldest first; rev is the newest revision ever
	// recorded, which pruning leaves alone.
	changes []iam.Change
	rev     int64
}

func newMemState() *memState {
	return &memState{
		meta: map[string]string{}, accounts: map[string]iam.Account{}, users: map[string]iam.User{},
		groups: map[string]iam.Group{}, members: map[membership]bool{}, keys: map[string]iam.AccessKey{},
	}
}

// clone copies the maps; entity values are copied on the way in and out,
// so they can be shared.
func (s *memState) clone() *memState {
	return &memState{
		meta: maps.Clone(s.meta), accounts: maps.Clone(s.accounts), users: maps.Clone(s.users),
		groups: maps.Clone(s.groups), members: maps.Clone(s.members), keys: maps.Clone(s.keys),
		changes: slices.Clone(s.changes), rev: s.rev,
	}
}

func (m *memStore) Update(ctx context.Context, fn func(iam.Tx) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	next := m.st.clone()
	if err := fn(&memTx{st: next, write: true}); err != nil {
		return err
	}
	m.st = next
	return nil
}

func (m *memStore) View(ctx context.Context, fn func(iam.Tx) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(&memTx{st: m.st})
}

func (m *memStore) Close() error { return nil }

type memTx struct {
	// Nil: the extension families are not part of this double, and
	// TestMemStore does not run their groups.
	iam.RolePolicyTx
	iam.ProviderCredentialTx
	iam.PasswordMFATx
	iam.ActivityTx
	iam.RekeyTx
	iam.ConsoleTx
	iam.ServiceCatalogTx
	iam.AuditJournalTx

	st    *memState
	write bool
}

var errMemReadOnly = errors.New("memstore: write in View")

func (t *memTx) w() error {
	if !t.write {
		return errMemReadOnly
	}
	return nil
}

// record appends a change; the transaction's copy of the state is thrown
// away on rollback, and the change with it.
func (t *memTx) record(kind iam.ChangeKind, id string) {
	t.st.rev++
	t.st.changes = append(t.st.changes, iam.Change{Revision: t.st.rev, Kind: kind, ID: id})
}

func (t *memTx) Meta(key string) (string, error) {
	v, ok := t.st.meta[key]
	if !ok {
		return "", iam.ErrNotFound
	}
	return v, nil
}

func (t *memTx) SetMeta(key, value string) error {
	if err := t.w(); err != nil {
		return err
	}
	t.st.meta[key] = value
	return nil
}

func (t *memTx) CreateAccount(a *iam.Account) error {
	if err := t.w(); err != nil {
		return err
	}
	if _, ok := t.st.accounts[a.ID]; ok {
		return iam.ErrExists
	}
	c := *a
	c.CreateDate = utc(c.CreateDate)
	t.st.accounts[a.ID] = c
	t.record(iam.ChangeAccount, a.ID)
	return nil
}

func (t *memTx) Account(id string) (*iam.Account, error) {
	a, ok := t.st.accounts[id]
	if !ok {
		return nil, iam.ErrNotFound
	}
	return &a, nil
}

func (t *memTx) Accounts() ([]*iam.Account, error) {
	var out []*iam.Account
	for _, id := range slices.Sorted(maps.Keys(t.st.accounts)) {
		a := t.st.accounts[id]
		out = append(out, &a)
	}
	return out, nil
}

// utc is what a store does to times: the suite wants them back in UTC, and
// the zero time stays the zero time.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func copyUser(u iam.User) *iam.User {
	u.Tags = slices.Clone(u.Tags)
	return &u
}

func (t *memTx) userByName(accountID, name string) (iam.User, bool) {
	for _, u := range t.st.users {
		if u.AccountID == accountID && strings.EqualFold(u.Name, name) {
			return u, true
		}
	}
	return iam.User{}, false
}

func (t *memTx) CreateUser(u *iam.User) error {
	if err := t.w(); err != nil {
		return err
	}
	_, taken := t.st.users[u.ID]
	if _, dup := t.userByName(u.AccountID, u.Name); dup || taken {
		return fmt.Errorf("create user %s: %w", u.Name, iam.ErrExists)
	}
	c := copyUser(*u)
	c.CreateDate, c.PasswordLastUsed = utc(c.CreateDate), utc(c.PasswordLastUsed)
	t.st.users[u.ID] = *c
	t.record(iam.ChangeUser, u.ID)
	return nil
}

func (t *memTx) User(accountID, name string) (*iam.User, error) {
	u, ok := t.userByName(accountID, name)
	if !ok {
		return nil, iam.ErrNotFound
	}
	return copyUser(u), nil
}

func (t *memTx) UserByID(id string) (*iam.User, error) {
	u, ok := t.st.users[id]
	if !ok {
		return nil, iam.ErrNotFound
	}
	return copyUser(u), nil
}

// page applies a ListQuery to entities of any kind.
func page[T any](all []T, name, path func(T) string, q iam.ListQuery) []T {
	var out []T
	for _, e := range all {
		if strings.HasPrefix(path(e), q.PathPrefix) && strings.ToLower(name(e)) > strings.ToLower(q.After) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(strings.ToLower(name(a)), strings.ToLower(name(b))) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

func userName(u *iam.User) string   { return u.Name }
func userPath(u *iam.User) string   { return u.Path }
func groupName(g *iam.Group) string { return g.Name }
func groupPath(g *iam.Group) string { return g.Path }

func (t *memTx) Users(accountID string, q iam.ListQuery) ([]*iam.User, error) {
	var all []*iam.User
	for _, u := range t.st.users {
		if u.AccountID == accountID {
			all = append(all, copyUser(u))
		}
	}
	return page(all, userName, userPath, q), nil
}

func (t *memTx) CountUsers(accountID string) (int, error) {
	us, _ := t.Users(accountID, iam.ListQuery{})
	return len(us), nil
}

func (t *memTx) UpdateUser(u *iam.User) error {
	if err := t.w(); err != nil {
		return err
	}
	old, ok := t.st.users[u.ID]
	if !ok {
		return iam.ErrNotFound
	}
	if other, dup := t.userByName(old.AccountID, u.Name); dup && other.ID != u.ID {
		return iam.ErrExists
	}
	old.Name, old.Path, old.PermissionsBoundary = u.Name, u.Path, u.PermissionsBoundary
	old.Tags, old.PasswordLastUsed = slices.Clone(u.Tags), utc(u.PasswordLastUsed)
	t.st.users[u.ID] = old
	t.record(iam.ChangeUser, u.ID)
	return nil
}

func (t *memTx) DeleteUser(id string) error {
	if err := t.w(); err != nil {
		return err
	}
	if _, ok := t.st.users[id]; !ok {
		return iam.ErrNotFound
	}
	if n, _ := t.CountGroupsForUser(id); n > 0 {
		return errors.New("memstore: user has memberships")
	}
	for _, k := range t.st.keys {
		if k.UserID == id {
			return errors.New("memstore: user has access keys")
		}
	}
	delete(t.st.users, id)
	t.record(iam.ChangeUser, id)
	return nil
}

func (t *memTx) groupByName(accountID, name string) (iam.Group, bool) {
	for _, g := range t.st.groups {
		if g.AccountID == accountID && strings.EqualFold(g.Name, name) {
			return g, true
		}
	}
	return iam.Group{}, false
}

func (t *memTx) CreateGroup(g *iam.Group) error {
	if err := t.w(); err != nil {
		return err
	}
	_, taken := t.st.groups[g.ID]
	if _, dup := t.groupByName(g.AccountID, g.Name); dup || taken {
		return iam.ErrExists
	}
	c := *g
	c.CreateDate = utc(c.CreateDate)
	t.st.groups[g.ID] = c
	t.record(iam.ChangeGroup, g.ID)
	return nil
}

func (t *memTx) Group(accountID, name string) (*iam.Group, error) {
	g, ok := t.groupByName(accountID, name)
	if !ok {
		return nil, iam.ErrNotFound
	}
	return &g, nil
}

func (t *memTx) Groups(accountID string, q iam.ListQuery) ([]*iam.Group, error) {
	var all []*iam.Group
	for _, g := range t.st.groups {
		if g.AccountID == accountID {
			all = append(all, &g)
		}
	}
	return page(all, groupName, groupPath, q), nil
}

func (t *memTx) CountGroups(accountID string) (int, error) {
	gs, _ := t.Groups(accountID, iam.ListQuery{})
	return len(gs), nil
}

func (t *memTx) UpdateGroup(g *iam.Group) error {
	if err := t.w(); err != nil {
		return err
	}
	old, ok := t.st.groups[g.ID]
	if !ok {
		return iam.ErrNotFound
	}
	if other, dup := t.groupByName(old.AccountID, g.Name); dup && other.ID != g.ID {
		return iam.ErrExists
	}
	old.Name, old.Path = g.Name, g.Path
	t.st.groups[g.ID] = old
	t.record(iam.ChangeGroup, g.ID)
	return nil
}

func (t *memTx) DeleteGroup(id string) error {
	if err := t.w(); err != nil {
		return err
	}
	if _, ok := t.st.groups[id]; !ok {
		return iam.ErrNotFound
	}
	// Unlike DeleteUser (and the SQL stores), this cascades, so that the
	// suite's cascade checks run against something.
	for _, m := range slices.SortedFunc(maps.Keys(t.st.members), compareMembership) {
		if m.group == id {
			delete(t.st.members, m)
			t.record(iam.ChangeMembership, m.user)
		}
	}
	delete(t.st.groups, id)
	t.record(iam.ChangeGroup, id)
	return nil
}

func (t *memTx) AddGroupMember(groupID, userID string) error {
	if err := t.w(); err != nil {
		return err
	}
	_, g := t.st.groups[groupID]
	_, u := t.st.users[userID]
	if !g || !u {
		return iam.ErrNotFound
	}
	// Re-adding a member records a change too, which the contract
	// allows (the SQLite store records none).
	t.st.members[membership{groupID, userID}] = true
	t.record(iam.ChangeMembership, userID)
	return nil
}

func (t *memTx) RemoveGroupMember(groupID, userID string) error {
	if err := t.w(); err != nil {
		return err
	}
	m := membership{groupID, userID}
	if !t.st.members[m] {
		return iam.ErrNotFound
	}
	delete(t.st.members, m)
	t.record(iam.ChangeMembership, userID)
	return nil
}

func (t *memTx) GroupsForUser(userID string, q iam.ListQuery) ([]*iam.Group, error) {
	var all []*iam.Group
	for m := range t.st.members {
		if m.user == userID {
			g := t.st.groups[m.group]
			all = append(all, &g)
		}
	}
	return page(all, groupName, groupPath, q), nil
}

func (t *memTx) GroupMembers(groupID string, q iam.ListQuery) ([]*iam.User, error) {
	var all []*iam.User
	for m := range t.st.members {
		if m.group == groupID {
			all = append(all, copyUser(t.st.users[m.user]))
		}
	}
	return page(all, userName, userPath, q), nil
}

func (t *memTx) CountGroupsForUser(userID string) (int, error) {
	n := 0
	for m := range t.st.members {
		if m.user == userID {
			n++
		}
	}
	return n, nil
}

func (t *memTx) CountGroupMembers(groupID string) (int, error) {
	n := 0
	for m := range t.st.members {
		if m.group == groupID {
			n++
		}
	}
	return n, nil
}

func copyKey(k iam.AccessKey) *iam.AccessKey {
	k.SealedSecret = slices.Clone(k.SealedSecret)
	return &k
}

func (t *memTx) CreateAccessKey(k *iam.AccessKey) error {
	if err := t.w(); err != nil {
		return err
	}
	if _, ok := t.st.keys[k.ID]; ok {
		return iam.ErrExists
	}
	if _, ok := t.st.users[k.UserID]; k.UserID != "" && !ok {
		return iam.ErrNotFound
	}
	c := copyKey(*k)
	c.CreateDate, c.LastUsedDate = utc(c.CreateDate), utc(c.LastUsedDate)
	t.st.keys[k.ID] = *c
	t.record(iam.ChangeAccessKey, k.ID)
	return nil
}

func (t *memTx) AccessKey(id string) (*iam.AccessKey, error) {
	k, ok := t.st.keys[id]
	if !ok {
		return nil, iam.ErrNotFound
	}
	return copyKey(k), nil
}

func (t *memTx) AccessKeys(accountID, userID string) ([]*iam.AccessKey, error) {
	var out []*iam.AccessKey
	for _, k := range t.st.keys {
		if k.AccountID == accountID && k.UserID == userID {
			out = append(out, copyKey(k))
		}
	}
	slices.SortFunc(out, func(a, b *iam.AccessKey) int {
		return cmp.Or(a.CreateDate.Compare(b.CreateDate), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (t *memTx) AllAccessKeys() ([]*iam.AccessKey, error) {
	var out []*iam.AccessKey
	for _, k := range t.st.keys {
		out = append(out, copyKey(k))
	}
	return out, nil
}

func (t *memTx) UpdateAccessKey(k *iam.AccessKey) error {
	if err := t.w(); err != nil {
		return err
	}
	old, ok := t.st.keys[k.ID]
	if !ok {
		return iam.ErrNotFound
	}
	old.Status, old.LastUsedDate, old.LastUsedService, old.LastUsedRegion = k.Status, utc(k.LastUsedDate), k.LastUsedService, k.LastUsedRegion
	t.st.keys[k.ID] = old
	t.record(iam.ChangeAccessKey, k.ID)
	return nil
}

func (t *memTx) DeleteAccessKey(id string) error {
	if err := t.w(); err != nil {
		return err
	}
	if _, ok := t.st.keys[id]; !ok {
		return iam.ErrNotFound
	}
	delete(t.st.keys, id)
	t.record(iam.ChangeAccessKey, id)
	return nil
}

func compareMembership(a, b membership) int {
	return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.group, b.group))
}

func (t *memTx) GroupByID(id string) (*iam.Group, error) {
	g, ok := t.st.groups[id]
	if !ok {
		return nil, iam.ErrNotFound
	}
	return &g, nil
}

func (t *memTx) AllGroupMembers() ([]iam.Membership, error) {
	var out []iam.Membership
	for m := range t.st.members {
		out = append(out, iam.Membership{GroupID: m.group, UserID: m.user})
	}
	return out, nil
}

func (t *memTx) Revision() (int64, error) { return t.st.rev, nil }

func (t *memTx) Changes(after int64, limit int) ([]iam.Change, error) {
	var out []iam.Change
	for _, c := range t.st.changes {
		if c.Revision > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (t *memTx) OldestRevision() (int64, error) {
	if len(t.st.changes) == 0 {
		return 0, nil
	}
	return t.st.changes[0].Revision, nil
}

func (t *memTx) PruneChanges(upTo int64) error {
	if err := t.w(); err != nil {
		return err
	}
	t.st.changes = slices.DeleteFunc(t.st.changes, func(c iam.Change) bool { return c.Revision <= upTo })
	return nil
}
