package iam

import (
	"strings"
	"time"
)

// Partition is the ARN partition iamd issues ARNs in. Clients and policies
// written for AWS expect "aws".
const Partition = "aws"

// Account is an AWS-style account: a 12-digit ID that owns a root user and
// every IAM entity created in it.
type Account struct {
	ID         string
	CreateDate time.Time
}

// RootARN is the ARN of the account's root user.
func (a *Account) RootARN() string { return "arn:" + Partition + ":iam::" + a.ID + ":root" }

// Tag is a key/value pair attached to an entity. Keys are unique per entity
// case-insensitively, as in AWS.
type Tag struct {
	Key   string
	Value string
}

// User is an IAM user.
type User struct {
	ID                  string // unique ID, AIDA + 17 characters
	AccountID           string
	Name                string
	Path                string
	CreateDate          time.Time
	PermissionsBoundary string // policy ARN, empty when none
	Tags                []Tag
	PasswordLastUsed    time.Time // zero when never
}

// ARN returns the user's ARN, which embeds its path.
func (u *User) ARN() string { return entityARN(u.AccountID, "user", u.Path, u.Name) }

// Group is an IAM group.
type Group struct {
	ID         string // unique ID, AGPA + 17 characters
	AccountID  string
	Name       string
	Path       string
	CreateDate time.Time
}

// ARN returns the group's ARN.
func (g *Group) ARN() string { return entityARN(g.AccountID, "group", g.Path, g.Name) }

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term credential. UserID is empty for the account's
// root user. The secret is held only in sealed (encrypted) form.
type AccessKey struct {
	ID           string // AKIA + 16 characters
	AccountID    string
	UserID       string
	Status       string
	CreateDate   time.Time
	SealedSecret []byte

	LastUsedDate    time.Time // zero when never used
	LastUsedService string
	LastUsedRegion  string
}

func entityARN(account, kind, path, name string) string {
	var b strings.Builder
	b.Grow(len("arn:aws:iam:::") + len(account) + len(kind) + len(path) + len(name) + 1)
	b.WriteString("arn:")
	b.WriteString(Partition)
	b.WriteString(":iam::")
	b.WriteString(account)
	b.WriteByte(':')
	b.WriteString(kind)
	b.WriteString(path)
	b.WriteString(name)
	return b.String()
}
