package iam

import (
	"context"
	"time"
)

// Error codes of login profiles and MFA devices, as IAM spells them.
const (
	CodePasswordPolicyViolation       Code = "PasswordPolicyViolation"
	CodeInvalidUserType               Code = "InvalidUserType"
	CodeInvalidAuthenticationCode     Code = "InvalidAuthenticationCode"
	CodeEntityTemporarilyUnmodifiable Code = "EntityTemporarilyUnmodifiable"
)

func noSuchLoginProfile(user string) error {
	return Errorf(CodeNoSuchEntity, "Login Profile for User %s cannot be found.", user)
}

// loginUser resolves the user a login profile operation targets: the named
// one, or the calling IAM user when name is empty. The root user's own
// password is not managed through this API (AWS requires an AssumeRoot
// session to omit the name with root credentials).
func (s *Service) loginUser(tx Tx, p *Principal, action, name string) (*User, error) {
	if name == "" {
		switch p.Type {
		case PrincipalUser:
			name = p.UserName
		case PrincipalRoot:
			return nil, Errorf(CodeValidationError, "Must specify userName when calling with root credentials")
		default:
			return nil, Errorf(CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	return s.userForAction(tx, p, action, name)
}

// LoginProfileResult is a login profile with its user's name.
type LoginProfileResult struct {
	Profile  *LoginProfile
	UserName string
}

// CreateLoginProfile gives a user a console password.
func (s *Service) CreateLoginProfile(ctx context.Context, p *Principal, userName, password string, resetRequired bool) (*LoginProfileResult, error) {
	var out *LoginProfileResult
	err := s.update(ctx, func(tx Tx) error {
		u, err := s.loginUser(tx, p, "iam:CreateLoginProfile", userName)
		if err != nil {
			return err
		}
		if _, err := tx.LoginProfile(u.ID); err == nil {
			return Errorf(CodeEntityAlreadyExists, "Login Profile for user %s already exists.", u.Name)
		} else if !isNotFound(err) {
			return err
		}
		pol, err := passwordPolicyOf(tx, p.AccountID)
		if err != nil {
			return err
		}
		if err := checkNewPassword(pol, u.Name, password, nil); err != nil {
			return err
		}
		now := s.clock()
		lp := &LoginProfile{AccountID: p.AccountID, UserID: u.ID, PasswordHash: hashPassword(password),
			PasswordResetRequired: resetRequired, CreateDate: now, PasswordChanged: now}
		if err := tx.CreateLoginProfile(lp); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "Login Profile for user %s already exists.", u.Name)
			}
			return err
		}
		out = &LoginProfileResult{Profile: lp, UserName: u.Name}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetLoginProfile returns a user's login profile (the caller's when
// userName is empty).
func (s *Service) GetLoginProfile(ctx context.Context, p *Principal, userName string) (*LoginProfileResult, error) {
	var out *LoginProfileResult
	err := s.store.View(ctx, func(tx Tx) error {
		u, err := s.loginUser(tx, p, "iam:GetLoginProfile", userName)
		if err != nil {
			return err
		}
		lp, err := tx.LoginProfile(u.ID)
		if isNotFound(err) {
			return noSuchLoginProfile(u.Name)
		}
		if err != nil {
			return err
		}
		out = &LoginProfileResult{Profile: lp, UserName: u.Name}
		return nil
	})
	return out, internal(err)
}

// UpdateLoginProfile sets a user's password and/or its reset flag (nil:
// unchanged), as an administrator does.
func (s *Service) UpdateLoginProfile(ctx context.Context, p *Principal, userName string, password *string, resetRequired *bool) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:UpdateLoginProfile", userName)
		if err != nil {
			return err
		}
		lp, err := tx.LoginProfile(u.ID)
		if isNotFound(err) {
			return noSuchLoginProfile(u.Name)
		}
		if err != nil {
			return err
		}
		if password != nil {
			pol, err := passwordPolicyOf(tx, p.AccountID)
			if err != nil {
				return err
			}
			if err := checkNewPassword(pol, u.Name, *password, lp); err != nil {
				return err
			}
			s.setPassword(lp, *password)
		}
		if resetRequired != nil {
			lp.PasswordResetRequired = *resetRequired
		}
		return tx.UpdateLoginProfile(lp)
	})
}

// setPassword makes password the profile's current one, keeping the old
// hash in the history.
func (s *Service) setPassword(lp *LoginProfile, password string) {
	lp.History = append([]string{lp.PasswordHash}, lp.History...)
	if len(lp.History) > maxPasswordHistory {
		lp.History = lp.History[:maxPasswordHistory]
	}
	lp.PasswordHash = hashPassword(password)
	lp.PasswordChanged = s.clock()
}

// DeleteLoginProfile removes a user's console password (the caller's when
// userName is empty).
func (s *Service) DeleteLoginProfile(ctx context.Context, p *Principal, userName string) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.loginUser(tx, p, "iam:DeleteLoginProfile", userName)
		if err != nil {
			return err
		}
		err = tx.DeleteLoginProfile(u.ID)
		if isNotFound(err) {
			return noSuchLoginProfile(u.Name)
		}
		return err
	})
}

// ChangePassword changes the calling IAM user's own password. The user
// needs iam:ChangePassword on itself unless the account's password policy
// allows users to change their own password (AllowUsersToChangePassword).
func (s *Service) ChangePassword(ctx context.Context, p *Principal, oldPassword, newPassword string) error {
	if p.Type != PrincipalUser {
		return Errorf(CodeInvalidUserType, "Only IAM users can change their own password.")
	}
	return s.update(ctx, func(tx Tx) error {
		pol, err := passwordPolicyOf(tx, p.AccountID)
		if err != nil {
			return err
		}
		u, err := tx.User(p.AccountID, p.UserName)
		if isNotFound(err) {
			return noSuchUser(p.UserName)
		}
		if err != nil {
			return err
		}
		if pol == nil || !pol.AllowUsersToChangePassword {
			k := withEntity(nil, "iam:ChangePassword", u.Tags, "")
			if err := s.authorizeWith(p, "iam:ChangePassword", u.ARN(), &k); err != nil {
				return err
			}
		}
		lp, err := tx.LoginProfile(u.ID)
		if isNotFound(err) {
			return noSuchLoginProfile(u.Name)
		}
		if err != nil {
			return err
		}
		if !checkPassword(lp.PasswordHash, oldPassword) {
			return Errorf(CodeInvalidUserType, "The old password is incorrect.")
		}
		if st := passwordState(pol, lp, s.clock()); st.Expired && pol.HardExpiry {
			return Errorf(CodeEntityTemporarilyUnmodifiable,
				"The password has expired and must be reset by an administrator.")
		}
		if err := checkNewPassword(pol, u.Name, newPassword, lp); err != nil {
			return err
		}
		s.setPassword(lp, newPassword)
		lp.PasswordResetRequired = false
		return tx.UpdateLoginProfile(lp)
	})
}

// PasswordCheck is the outcome of VerifyPassword.
type PasswordCheck struct {
	// Valid: the user exists, has a login profile and the password is
	// its current one.
	Valid bool
	// ChangeRequired: the user must set a new password before going on,
	// because an administrator asked for it or the password expired.
	ChangeRequired bool
	// Expired: the password is older than the policy's MaxPasswordAge.
	Expired bool
	// HardExpired: expired under a HardExpiry policy; only an
	// administrator can set a new password.
	HardExpired bool
	// ExpiresAt is when the password expires; zero when it never does.
	ExpiresAt time.Time
}

func passwordState(pol *PasswordPolicy, lp *LoginProfile, now time.Time) PasswordCheck {
	var c PasswordCheck
	if pol != nil && pol.MaxPasswordAge > 0 {
		c.ExpiresAt = lp.PasswordChanged.AddDate(0, 0, pol.MaxPasswordAge)
		c.Expired = !now.Before(c.ExpiresAt)
		c.HardExpired = c.Expired && pol.HardExpiry
	}
	c.ChangeRequired = lp.PasswordResetRequired || c.Expired
	return c
}

// VerifyPassword checks an IAM user's console password, for a sign-in
// front end. A wrong password, a missing user or a user without a login
// profile all give Valid false, indistinguishably.
func (s *Service) VerifyPassword(ctx context.Context, accountID, userName, password string) (PasswordCheck, error) {
	var out PasswordCheck
	err := s.store.View(ctx, func(tx Tx) error {
		u, err := tx.User(accountID, userName)
		if isNotFound(err) {
			hashPassword(password) // spend the same time as a real check
			return nil
		}
		if err != nil {
			return err
		}
		lp, err := tx.LoginProfile(u.ID)
		if isNotFound(err) {
			hashPassword(password)
			return nil
		}
		if err != nil {
			return err
		}
		if !checkPassword(lp.PasswordHash, password) {
			return nil
		}
		pol, err := passwordPolicyOf(tx, accountID)
		if err != nil {
			return err
		}
		out = passwordState(pol, lp, s.clock())
		out.Valid = true
		return nil
	})
	return out, internal(err)
}
