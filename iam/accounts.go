package iam

import (
	"context"
	"fmt"
)

// CreateAccount adds an account to the deployment, with its root user and
// one root access key, and returns the key's secret (the only time it is
// available). accountID empty means a random one. Accounts are isolated
// from each other as AWS accounts are: cross-account access needs a role
// trust policy or resource policy naming the other account.
func (s *Service) CreateAccount(ctx context.Context, accountID string) (*BootstrapResult, error) {
	if accountID == "" {
		accountID = NewAccountID()
	} else if !isAccountID(accountID) {
		return nil, fmt.Errorf("account ID %q is not 12 digits", accountID)
	}
	res := &BootstrapResult{Created: true, RootAccessKeyID: NewAccessKeyID(), RootSecret: NewSecretAccessKey()}
	err := s.store.Update(ctx, func(tx Tx) error {
		res.Account = &Account{ID: accountID, CreateDate: s.clock()}
		if err := tx.CreateAccount(res.Account); err != nil {
			if isExists(err) {
				return fmt.Errorf("account %s already exists", accountID)
			}
			return err
		}
		return tx.CreateAccessKey(&AccessKey{
			ID: res.RootAccessKeyID, AccountID: accountID, Status: StatusActive, CreateDate: s.clock(),
			SealedSecret: s.keyring.Seal([]byte(res.RootSecret), []byte(res.RootAccessKeyID)),
		})
	})
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// Accounts lists the deployment's account IDs.
func (s *Service) Accounts() []string {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := make([]string, 0, len(st.accounts))
	for id := range st.accounts {
		out = append(out, id)
	}
	return out
}
