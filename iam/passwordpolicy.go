package iam

import (
	"context"
	"fmt"
	"strings"
)

// Password policy rules, per the UpdateAccountPasswordPolicy API reference
// and the IAM User Guide's "Set an account password policy for IAM users".

// passwordSymbols are the non-alphanumeric characters RequireSymbols asks
// for: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// maxPasswordHistory is the largest PasswordReusePrevention.
const maxPasswordHistory = 24

// PasswordPolicyInput is UpdateAccountPasswordPolicy's input: nil fields
// take AWS's defaults (the operation does not support partial updates).
type PasswordPolicyInput struct {
	MinimumPasswordLength      *int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             *int
	PasswordReusePrevention    *int
	HardExpiry                 bool
}

// ExpirePasswords reports whether passwords expire (MaxPasswordAge set),
// the value GetAccountPasswordPolicy derives.
func (p *PasswordPolicy) ExpirePasswords() bool { return p.MaxPasswordAge > 0 }

// policy builds the stored policy, checking the ranges of the API model (MinimumPasswordLength
// 6-128, MaxPasswordAge 1-1095, PasswordReusePrevention 1-24), which the
// protocol layer already enforces for wire requests.
func (in PasswordPolicyInput) policy(account string) (*PasswordPolicy, error) {
	p := &PasswordPolicy{
		AccountID:                  account,
		MinimumPasswordLength:      6,
		RequireSymbols:             in.RequireSymbols,
		RequireNumbers:             in.RequireNumbers,
		RequireUppercaseCharacters: in.RequireUppercaseCharacters,
		RequireLowercaseCharacters: in.RequireLowercaseCharacters,
		AllowUsersToChangePassword: in.AllowUsersToChangePassword,
		HardExpiry:                 in.HardExpiry,
	}
	var errs []string
	check := func(field string, v *int, lo, hi int, dst *int) {
		if v == nil {
			return
		}
		if *v < lo || *v > hi {
			errs = append(errs, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value %s",
				*v, field, bound(*v, lo, hi)))
			return
		}
		*dst = *v
	}
	check("minimumPasswordLength", in.MinimumPasswordLength, 6, 128, &p.MinimumPasswordLength)
	check("maxPasswordAge", in.MaxPasswordAge, 1, 1095, &p.MaxPasswordAge)
	check("passwordReusePrevention", in.PasswordReusePrevention, 1, maxPasswordHistory, &p.PasswordReusePrevention)
	if len(errs) > 0 {
		noun := "error"
		if len(errs) > 1 {
			noun = "errors"
		}
		return nil, Errorf(CodeValidationError, "%d validation %s detected: %s", len(errs), noun, strings.Join(errs, "; "))
	}
	return p, nil
}

func bound(v, lo, hi int) string {
	if v < lo {
		return fmt.Sprintf("greater than or equal to %d", lo)
	}
	return fmt.Sprintf("less than or equal to %d", hi)
}

// UpdateAccountPasswordPolicy sets the account's password policy.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, p *Principal, in PasswordPolicyInput) error {
	if err := s.authorize(p, "iam:UpdateAccountPasswordPolicy", accountARN(p.AccountID)); err != nil {
		return err
	}
	pol, err := in.policy(p.AccountID)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error { return tx.PutPasswordPolicy(pol) })
}

func noSuchPasswordPolicy(account string) error {
	return Errorf(CodeNoSuchEntity, "The Password Policy with domain name %s cannot be found.", account)
}

// GetAccountPasswordPolicy returns the account's password policy;
// NoSuchEntity when none is set (the default policy is "none set").
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, p *Principal) (*PasswordPolicy, error) {
	if err := s.authorize(p, "iam:GetAccountPasswordPolicy", accountARN(p.AccountID)); err != nil {
		return nil, err
	}
	var pol *PasswordPolicy
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		pol, err = tx.PasswordPolicy(p.AccountID)
		if isNotFound(err) {
			return noSuchPasswordPolicy(p.AccountID)
		}
		return err
	})
	return pol, internal(err)
}

// DeleteAccountPasswordPolicy removes the account's password policy; the
// default rules apply again.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, p *Principal) error {
	if err := s.authorize(p, "iam:DeleteAccountPasswordPolicy", accountARN(p.AccountID)); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		err := tx.DeletePasswordPolicy(p.AccountID)
		if isNotFound(err) {
			return noSuchPasswordPolicy(p.AccountID)
		}
		return err
	})
}

// passwordPolicyOf returns the account's policy, or nil when the default
// policy applies.
func passwordPolicyOf(tx Tx, account string) (*PasswordPolicy, error) {
	pol, err := tx.PasswordPolicy(account)
	if isNotFound(err) {
		return nil, nil
	}
	return pol, err
}

type charClasses struct{ upper, lower, digit, symbol bool }

func classesOf(password string) charClasses {
	var c charClasses
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			c.upper = true
		case r >= 'a' && r <= 'z':
			c.lower = true
		case r >= '0' && r <= '9':
			c.digit = true
		case strings.ContainsRune(passwordSymbols, r):
			c.symbol = true
		}
	}
	return c
}

// CheckPasswordPolicy returns the rules password breaks under pol, in
// AWS's wording; nil pol means the default policy, which (IAM User Guide,
// "Default password policy") asks for 8 to 128 characters, at least three
// of uppercase letters, lowercase letters, numbers and symbols, and a
// password not identical to the user's name. An empty result means the
// password conforms.
func CheckPasswordPolicy(pol *PasswordPolicy, userName, password string) []string {
	var failed []string
	c := classesOf(password)
	n := len([]rune(password))
	if pol == nil {
		if n < 8 {
			failed = append(failed, "Password should have a minimum length of 8")
		}
		kinds := 0
		for _, ok := range []bool{c.upper, c.lower, c.digit, c.symbol} {
			if ok {
				kinds++
			}
		}
		if kinds < 3 {
			failed = append(failed, "Password should have at least three of the following: uppercase letters, lowercase letters, numbers, symbols")
		}
		if userName != "" && password == userName {
			failed = append(failed, "Password should not be identical to the user name")
		}
		return failed
	}
	if n < pol.MinimumPasswordLength {
		failed = append(failed, fmt.Sprintf("Password should have a minimum length of %d", pol.MinimumPasswordLength))
	}
	if pol.RequireLowercaseCharacters && !c.lower {
		failed = append(failed, "Password should have at least one lowercase letter")
	}
	if pol.RequireUppercaseCharacters && !c.upper {
		failed = append(failed, "Password should have at least one uppercase letter")
	}
	if pol.RequireNumbers && !c.digit {
		failed = append(failed, "Password should have at least one number")
	}
	if pol.RequireSymbols && !c.symbol {
		failed = append(failed, "Password should have at least one symbol")
	}
	return failed
}

// checkNewPassword applies the account's policy to password and, when lp
// is set and the policy prevents reuse, its history.
func checkNewPassword(pol *PasswordPolicy, userName, password string, lp *LoginProfile) error {
	if failed := CheckPasswordPolicy(pol, userName, password); len(failed) > 0 {
		return Errorf(CodePasswordPolicyViolation, "%s", strings.Join(failed, "; "))
	}
	if pol != nil && pol.PasswordReusePrevention > 0 && lp != nil {
		prev := append([]string{lp.PasswordHash}, lp.History...)
		if len(prev) > pol.PasswordReusePrevention {
			prev = prev[:pol.PasswordReusePrevention]
		}
		for _, h := range prev {
			if checkPassword(h, password) {
				return Errorf(CodePasswordPolicyViolation, "Password should not be one of your %d previous passwords", pol.PasswordReusePrevention)
			}
		}
	}
	return nil
}
