package iam

import (
	"context"
	"errors"
)

func metaRootPassword(accountID string) string { return "root_password:" + accountID }

// SetRootPassword sets the root user's console password (stored only as an
// argon2id hash). It is checked against AWS's password rules: the account
// password policy does not apply to the root user, AWS's own minimum does
// (8 characters or more, three of the four character types).
func (s *Service) SetRootPassword(ctx context.Context, accountID, password string) error {
	if len(password) < 8 || len(password) > 128 {
		return errors.New("root password must be 8 to 128 characters")
	}
	classes := 0
	var upper, lower, digit, other bool
	for _, c := range password {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			other = true
		}
	}
	for _, b := range []bool{upper, lower, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return errors.New("root password must mix at least three of: upper-case letters, lower-case letters, digits, symbols")
	}
	hash := hashPassword(password)
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Account(accountID); err != nil {
			return err
		}
		return tx.SetMeta(metaRootPassword(accountID), hash)
	})
}

// VerifyRootPassword reports whether password is the root user's; false
// when none is set. It spends the same time either way.
func (s *Service) VerifyRootPassword(ctx context.Context, accountID, password string) (bool, error) {
	var hash string
	err := s.store.View(ctx, func(tx Tx) error {
		h, err := tx.Meta(metaRootPassword(accountID))
		if err == nil {
			hash = h
		} else if !isNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return false, internal(err)
	}
	if hash == "" {
		hashPassword(password)
		return false, nil
	}
	return checkPassword(hash, password), nil
}

// rootPasswordPresent reports whether the root user has a password.
func rootPasswordPresent(tx Tx, accountID string) (bool, error) {
	_, err := tx.Meta(metaRootPassword(accountID))
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
