package iam

import (
	"context"
	"time"
)

// Store is durable storage for the domain. Implementations persist and
// return what they are given; they enforce uniqueness (ErrExists) and report
// missing rows (ErrNotFound) but no business rules: quotas, conflicts and
// validation belong to Service, so every backend behaves the same.
//
// Every mutation happens inside Update, in one transaction: either all of
// fn's writes are committed or none are. Implementations must be safe for
// concurrent use; concurrent Update calls are serialized or isolated so that
// a count read inside a transaction (CountUsers, AccessKeys, ...) stays true
// until it commits.
type Store interface {
	// Update runs fn in a read-write transaction and commits it if fn returns
	// nil. The error of fn is returned unchanged.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store's resources.
	Close() error
}

// ListQuery selects a page of a name-ordered listing.
type ListQuery struct {
	// PathPrefix keeps entities whose path starts with it; empty keeps all.
	PathPrefix string
	// After is exclusive: only entities whose sort key (lower-cased name)
	// is greater are returned. Empty starts at the beginning.
	After string
	// Limit is the maximum number of entities; 0 means no limit.
	Limit int
}

// Tx is one transaction. Names are looked up case-insensitively within an
// account, because AWS names are unique regardless of case. Lists are
// ordered by lower-cased name. A Tx must not be used after its Update or View
// function returns.
type Tx interface {
	// Roles, managed and inline policies, attachments, instance profiles:
	// store_roles_policies.go.
	RolePolicyTx
	// Federation providers, SSH keys, certificates, service-specific
	// credentials, account aliases: store_providers_credentials.go.
	ProviderCredentialTx
	// Login profiles, password policy and history, MFA devices:
	// store_passwords_mfa.go.
	PasswordMFATx
	RekeyTx // sealed values for master-key rotation: store_rekey.go
	// Service last-accessed records and generated reports: store_activity.go.
	ActivityTx
	// Console sessions and sign-in lockout counters: store_console.go.
	ConsoleTx
	ServiceCatalogTx // custom service definitions: store_catalog.go
	AuditJournalTx   // a mutation's audit event, same transaction: store_journal.go

	// Meta reads a deployment-wide setting; ErrNotFound when unset.
	Meta(key string) (string, error)
	// SetMeta writes a deployment-wide setting.
	SetMeta(key, value string) error

	// CreateAccount inserts a; ErrExists when the ID is taken.
	CreateAccount(a *Account) error
	// Account returns the account; ErrNotFound.
	Account(id string) (*Account, error)
	// Accounts lists every account ordered by ID.
	Accounts() ([]*Account, error)

	// CreateUser inserts u; ErrExists when the account has a user of that
	// name (any case) or the ID is taken.
	CreateUser(u *User) error
	// User returns the named user; ErrNotFound.
	User(accountID, name string) (*User, error)
	// UserByID returns the user with the unique ID; ErrNotFound.
	UserByID(id string) (*User, error)
	// Users lists an account's users.
	Users(accountID string, q ListQuery) ([]*User, error)
	// CountUsers counts an account's users.
	CountUsers(accountID string) (int, error)
	// UpdateUser replaces the stored user with the same ID (name, path,
	// boundary, tags, password last used); ErrNotFound, or ErrExists when
	// renamed onto another user's name.
	UpdateUser(u *User) error
	// DeleteUser removes the user; ErrNotFound.
	DeleteUser(id string) error

	// CreateGroup inserts g; ErrExists.
	CreateGroup(g *Group) error
	// Group returns the named group; ErrNotFound.
	Group(accountID, name string) (*Group, error)
	// Groups lists an account's groups.
	Groups(accountID string, q ListQuery) ([]*Group, error)
	// CountGroups counts an account's groups.
	CountGroups(accountID string) (int, error)
	// UpdateGroup replaces the stored group with the same ID; ErrNotFound,
	// or ErrExists when renamed onto another group's name.
	UpdateGroup(g *Group) error
	// DeleteGroup removes the group; ErrNotFound.
	DeleteGroup(id string) error

	// AddGroupMember makes the user a member of the group; adding an
	// existing member is not an error.
	AddGroupMember(groupID, userID string) error
	// RemoveGroupMember ends a membership; ErrNotFound when there is none.
	RemoveGroupMember(groupID, userID string) error
	// GroupsForUser lists the groups a user belongs to.
	GroupsForUser(userID string, q ListQuery) ([]*Group, error)
	// GroupMembers lists a group's users.
	GroupMembers(groupID string, q ListQuery) ([]*User, error)
	// CountGroupsForUser counts the user's memberships.
	CountGroupsForUser(userID string) (int, error)
	// CountGroupMembers counts the group's members.
	CountGroupMembers(groupID string) (int, error)

	// CreateAccessKey inserts k; ErrExists when the ID is taken.
	CreateAccessKey(k *AccessKey) error
	// AccessKey returns the key with the ID; ErrNotFound.
	AccessKey(id string) (*AccessKey, error)
	// AccessKeys lists the keys of a user (userID empty: the account's root)
	// ordered by creation date, then ID.
	AccessKeys(accountID, userID string) ([]*AccessKey, error)
	// AllAccessKeys lists every key of the deployment, for building the
	// in-memory credential index.
	AllAccessKeys() ([]*AccessKey, error)
	// UpdateAccessKey replaces status and last-used fields of the key with
	// the same ID; ErrNotFound.
	UpdateAccessKey(k *AccessKey) error
	// DeleteAccessKey removes the key; ErrNotFound.
	DeleteAccessKey(id string) error

	// GroupByID returns the group with the unique ID; ErrNotFound.
	GroupByID(id string) (*Group, error)
	// AllGroupMembers lists every membership of the deployment, for
	// building the in-memory state.
	AllGroupMembers() ([]Membership, error)

	// Revision returns the newest revision ever recorded (0 when none).
	// Pruning does not lower it.
	Revision() (int64, error)
	// Changes returns up to limit (> 0) changes with a revision greater
	// than after, in revision order.
	Changes(after int64, limit int) ([]Change, error)
	// OldestRevision returns the revision of the oldest change still kept
	// (0 when none); a reader behind it must reload everything.
	OldestRevision() (int64, error)
	// PruneChanges removes changes with a revision at or below upTo.
	PruneChanges(upTo int64) error
}

// Membership is one user's membership of one group.
type Membership struct {
	GroupID string
	UserID  string
}

// ChangeKind names what a change feed entry refers to.
type ChangeKind string

// Change kinds. A membership change carries the user's ID: the user's
// whole group set is to be reloaded.
const (
	ChangeAccount    ChangeKind = "account"
	ChangeUser       ChangeKind = "user"
	ChangeGroup      ChangeKind = "group"
	ChangeMembership ChangeKind = "membership"
	ChangeAccessKey  ChangeKind = "accesskey"
)

// Change is one entry of the change feed: every committed write to an
// entity appends one, in the writing transaction, so that each node can
// bring its in-memory state up to date by reloading what changed. Stores
// record changes themselves; callers never write them.
type Change struct {
	Revision int64
	Kind     ChangeKind
	ID       string
}

// Clock returns the current time; tests replace it.
type Clock func() time.Time
