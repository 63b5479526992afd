package iam

import "time"

// PasswordMFATx is the part of Tx that stores login profiles, the account
// password policy, password history and MFA devices.
//
// None of these entities is on the request-signing path, so they are read
// from the store directly and not kept in the in-memory state.
type PasswordMFATx interface {
	// CreateLoginProfile inserts lp; ErrExists when the user already has
	// one; ErrNotFound when the user is gone.
	CreateLoginProfile(lp *LoginProfile) error
	// LoginProfile returns the user's login profile; ErrNotFound.
	LoginProfile(userID string) (*LoginProfile, error)
	// UpdateLoginProfile replaces the hash, history, reset flag and
	// change date of the user's profile; ErrNotFound.
	UpdateLoginProfile(lp *LoginProfile) error
	// DeleteLoginProfile removes the user's profile; ErrNotFound.
	DeleteLoginProfile(userID string) error

	// PasswordPolicy returns the account's password policy; ErrNotFound
	// when none is set.
	PasswordPolicy(accountID string) (*PasswordPolicy, error)
	// PutPasswordPolicy creates or replaces the account's policy.
	PutPasswordPolicy(p *PasswordPolicy) error
	// DeletePasswordPolicy removes the account's policy; ErrNotFound.
	DeletePasswordPolicy(accountID string) error

	// CreateMFADevice inserts d; ErrExists when the serial number is taken
	// or the account has a device of that name (any case).
	CreateMFADevice(d *MFADevice) error
	// MFADevice returns the device with the serial number (compared
	// exactly); ErrNotFound.
	MFADevice(serial string) (*MFADevice, error)
	// MFADevices lists the account's devices ordered by serial number.
	MFADevices(accountID string) ([]*MFADevice, error)
	// UserMFADevices lists the devices assigned to a user (userID: a user
	// ID, or the account ID for the root user) ordered by enable date, then
	// serial number.
	UserMFADevices(accountID, userID string) ([]*MFADevice, error)
	// UpdateMFADevice replaces the assignment, enable date, time-step
	// state and tags of the device with the same serial; ErrNotFound.
	UpdateMFADevice(d *MFADevice) error
	// DeleteMFADevice removes the device; ErrNotFound.
	DeleteMFADevice(serial string) error
}

// LoginProfile is a user's console password. Only argon2id hashes are
// kept: of the current password and, newest first, of previous ones for
// the password policy's reuse prevention.
type LoginProfile struct {
	AccountID             string
	UserID                string
	PasswordHash          string
	History               []string // previous hashes, newest first
	PasswordResetRequired bool
	CreateDate            time.Time
	PasswordChanged       time.Time // when the current password was set
}

// PasswordPolicy is an account's password policy. Zero MaxPasswordAge and
// PasswordReusePrevention mean unset.
type PasswordPolicy struct {
	AccountID                  string
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int
	PasswordReusePrevention    int
	HardExpiry                 bool
}

// MFADevice is a virtual MFA device. The TOTP seed is held only sealed
// under the keyring, bound to the serial number. UserID is empty while
// the device is unassigned; for a device assigned to the root user it is
// the account ID.
type MFADevice struct {
	SerialNumber string // arn:aws:iam::ACCOUNT:mfa{path}{name}
	AccountID    string
	Name         string
	Path         string
	SealedSeed   []byte
	CreateDate   time.Time
	UserID       string
	EnableDate   time.Time
	// LastStep is the newest TOTP time step accepted (never accepted
	// again); Drift is the device clock's offset in steps, learned by
	// ResyncMFADevice.
	LastStep int64
	Drift    int64
	Tags     []Tag
}

// Assigned reports whether the device is enabled for a user or root.
func (d *MFADevice) Assigned() bool { return d.UserID != "" }
