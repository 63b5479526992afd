package iam

import "time"

// ConsoleTx is the part of Tx that stores web console sessions and the
// per-user sign-in failure counters behind the lockout delay. Both live in
// the database, not in memory, so that every node of a deployment agrees
// on who is signed in and who is being slowed down.
type ConsoleTx interface {
	// CreateConsoleSession inserts cs; ErrExists when the token hash is
	// taken.
	CreateConsoleSession(cs *ConsoleSession) error
	// ConsoleSession returns the session with the token hash; ErrNotFound.
	ConsoleSession(tokenHash string) (*ConsoleSession, error)
	// RevokeConsoleSessions marks every unrevoked session of the user
	// (userID: a user ID, or the account ID for the root user) revoked and
	// returns how many it changed.
	RevokeConsoleSessions(accountID, userID string) (int, error)
	// RevokeConsoleSession marks one session revoked; ErrNotFound.
	RevokeConsoleSession(tokenHash string) error
	// PruneConsoleSessions removes sessions that expired before t.
	PruneConsoleSessions(t time.Time) error

	// SignInFailures returns the failure counter of a sign-in name
	// (userKey: the lower-cased user name, "root" for the root user);
	// ErrNotFound when there is none.
	SignInFailures(accountID, userKey string) (*SignInFailures, error)
	// PutSignInFailures creates or replaces the counter.
	PutSignInFailures(f *SignInFailures) error
	// DeleteSignInFailures removes the counter; ErrNotFound.
	DeleteSignInFailures(accountID, userKey string) error
}

// ConsoleSession is a signed-in web console session. Only a SHA-256 hash
// of its token is stored: the token itself exists in the browser's cookie
// alone, so a database dump does not sign anyone in.
type ConsoleSession struct {
	TokenHash string // hex SHA-256 of the token
	AccountID string
	UserID    string // a user ID, or the account ID for the root user
	UserName  string // empty for the root user
	// PasswordStamp identifies the password the session was opened with
	// (a hash of its stored hash): a password change, or the deletion of
	// the login profile or user, ends the session.
	PasswordStamp      string
	MFA                bool
	MustChangePassword bool
	SourceIP           string
	UserAgent          string
	CreateDate         time.Time
	ExpireDate         time.Time
	Revoked            bool
}

// SignInFailures counts a sign-in name's consecutive failed attempts.
type SignInFailures struct {
	AccountID   string
	UserKey     string
	Failures    int
	LastFailure time.Time
	LockedUntil time.Time // no attempt is checked before it
}
