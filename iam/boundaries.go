package iam

import "context"

// checkBoundary checks, in a write transaction, that arn names a managed
// policy that may serve as a permissions boundary.
func (s *Service) checkBoundary(tx Tx, p *Principal, arn string) error {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return invalidARN(arn)
	}
	m, _, err := s.managedInTx(tx, p.AccountID, arn)
	if err != nil {
		return err
	}
	if !m.found() {
		return policyNotAttachable(arn)
	}
	if !m.attachable() {
		return Errorf(CodePolicyNotAttachable, "Cannot attach a Service Role Policy to a Customer Role.")
	}
	return nil
}

// PutUserPermissionsBoundary sets or replaces a user's boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, p *Principal, name, arn string) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForActionWith(tx, p, "iam:PutUserPermissionsBoundary", name, &authzKeys{boundary: arn})
		if err != nil {
			return err
		}
		if err := s.checkBoundary(tx, p, arn); err != nil {
			return err
		}
		u.PermissionsBoundary = arn
		return tx.UpdateUser(u)
	})
}

// DeleteUserPermissionsBoundary removes a user's boundary; a user without
// one is left as it is.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:DeleteUserPermissionsBoundary", name)
		if err != nil || u.PermissionsBoundary == "" {
			return err
		}
		u.PermissionsBoundary = ""
		return tx.UpdateUser(u)
	})
}

// PutRolePermissionsBoundary sets or replaces a role's boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, p *Principal, name, arn string) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.modifiableRoleWith(tx, p, "iam:PutRolePermissionsBoundary", name, &authzKeys{boundary: arn})
		if err != nil {
			return err
		}
		if err := s.checkBoundary(tx, p, arn); err != nil {
			return err
		}
		r.PermissionsBoundary = arn
		return tx.UpdateRole(r)
	})
}

// DeleteRolePermissionsBoundary removes a role's boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.modifiableRole(tx, p, "iam:DeleteRolePermissionsBoundary", name)
		if err != nil || r.PermissionsBoundary == "" {
			return err
		}
		r.PermissionsBoundary = ""
		return tx.UpdateRole(r)
	})
}
