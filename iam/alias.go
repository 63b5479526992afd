package iam

import (
	"context"
	"slices"
)

// CreateAccountAlias sets the account's alias. An account has at most one:
// AWS replaces an existing alias rather than refusing (observed on live
// AWS, github.com/floci-io/floci pull 2103), and refuses an alias any
// account already holds, the caller's included, with the message quoted in
// github.com/awslabs/aws-deployment-framework pull 465.
func (s *Service) CreateAccountAlias(ctx context.Context, p *Principal, alias string) error {
	if err := s.authorize(p, "iam:CreateAccountAlias", accountARN(p.AccountID)); err != nil {
		return err
	}
	exists := Errorf(CodeEntityAlreadyExists, "The account alias %s already exists.", alias)
	return s.update(ctx, func(tx Tx) error {
		current, err := tx.AccountAliases(p.AccountID)
		if err != nil {
			return err
		}
		if slices.Contains(current, alias) {
			return exists
		}
		for _, a := range current {
			if err := tx.DeleteAccountAlias(p.AccountID, a); err != nil {
				return err
			}
		}
		if err := tx.CreateAccountAlias(p.AccountID, alias); err != nil {
			if isExists(err) {
				return exists
			}
			return err
		}
		return nil
	})
}

// DeleteAccountAlias removes the account's alias, which must be named.
func (s *Service) DeleteAccountAlias(ctx context.Context, p *Principal, alias string) error {
	if err := s.authorize(p, "iam:DeleteAccountAlias", accountARN(p.AccountID)); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		err := tx.DeleteAccountAlias(p.AccountID, alias)
		if isNotFound(err) {
			return Errorf(CodeNoSuchEntity, "The account alias %s cannot be found.", alias)
		}
		return err
	})
}

// ListAccountAliases lists the account's alias (zero or one).
func (s *Service) ListAccountAliases(ctx context.Context, p *Principal, in ListInput) (Page[string], error) {
	if err := s.authorize(p, "iam:ListAccountAliases", accountARN(p.AccountID)); err != nil {
		return Page[string]{}, err
	}
	var aliases []string
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		aliases, err = tx.AccountAliases(p.AccountID)
		return err
	})
	if err != nil {
		return Page[string]{}, internal(err)
	}
	return pageByID(aliases, in, func(a string) string { return a })
}

// Global endpoint token versions of SetSecurityTokenServicePreferences.
const (
	TokenVersion1 = "v1Token"
	TokenVersion2 = "v2Token"
)

func metaSTSPreference(account string) string { return "sts_global_endpoint_token_version/" + account }

// SetSTSPreferences records which session token version the global STS
// endpoint issues for the account.
func (s *Service) SetSTSPreferences(ctx context.Context, p *Principal, version string) error {
	if err := s.authorize(p, "iam:SetSecurityTokenServicePreferences", accountARN(p.AccountID)); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error { return tx.SetMeta(metaSTSPreference(p.AccountID), version) })
}

// STSPreferences returns the account's global endpoint token version;
// v1Token, AWS's default, when never set.
func (s *Service) STSPreferences(ctx context.Context, accountID string) (string, error) {
	v := TokenVersion1
	err := s.store.View(ctx, func(tx Tx) error {
		got, err := tx.Meta(metaSTSPreference(accountID))
		if err == nil {
			v = got
		} else if !isNotFound(err) {
			return err
		}
		return nil
	})
	return v, internal(err)
}
