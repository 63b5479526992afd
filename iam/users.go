package iam

import (
	"context"
	"strings"
)

// CreateUserInput is CreateUser's input, already validated against the API
// model's constraints by the protocol layer.
type CreateUserInput struct {
	Path                string
	UserName            string
	PermissionsBoundary string
	Tags                []Tag
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, p *Principal, in CreateUserInput) (*User, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if err := s.authorizeWith(p, "iam:CreateUser", userARN(p.AccountID, in.Path, in.UserName),
		&authzKeys{requestTags: in.Tags, boundary: in.PermissionsBoundary}); err != nil {
		return nil, err
	}
	tags, err := s.mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	u := &User{
		ID:         NewUserID(),
		AccountID:  p.AccountID,
		Name:       in.UserName,
		Path:       in.Path,
		CreateDate: s.clock(),
		Tags:       tags,
	}
	err = s.update(ctx, func(tx Tx) error {
		if in.PermissionsBoundary != "" {
			if err := s.checkBoundary(tx, p, in.PermissionsBoundary); err != nil {
				return err
			}
			u.PermissionsBoundary = in.PermissionsBoundary
		}
		n, err := tx.CountUsers(p.AccountID)
		if err != nil {
			return err
		}
		if n >= s.quotas.UsersPerAccount {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for UsersPerAccount: %d", s.quotas.UsersPerAccount)
		}
		if err := tx.CreateUser(u); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "User with name %s already exists.", in.UserName)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns the named user, or the caller when name is empty. For the
// root user it returns a User with only ID (the account ID), ARN and
// creation date, as AWS does.
func (s *Service) GetUser(ctx context.Context, p *Principal, name string) (*User, error) {
	if name == "" {
		switch p.Type {
		case PrincipalRoot:
			a := s.state.account(p.AccountID)
			if a == nil {
				return nil, Errorf(CodeServiceFailure, "An internal error occurred.")
			}
			return &User{ID: p.AccountID, AccountID: p.AccountID, CreateDate: a.CreateDate}, nil
		case PrincipalUser:
			name = p.UserName
		default:
			return nil, Errorf(CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	return s.userForRead(p, "iam:GetUser", name)
}

// userForRead finds the named user in memory and authorizes action on it.
// The authorization uses the user's real ARN (with its path) when it
// exists, and the path-less ARN when it does not, so that a caller who may
// not act on a user learns nothing about whether it exists.
func (s *Service) userForRead(p *Principal, action, name string) (*User, error) {
	u := s.state.user(p.AccountID, name)
	if u == nil {
		if err := s.authorize(p, action, userARN(p.AccountID, "/", name)); err != nil {
			return nil, err
		}
		return nil, noSuchUser(name)
	}
	k := withEntity(nil, action, u.Tags, u.PermissionsBoundary)
	if err := s.authorizeWith(p, action, u.ARN(), &k); err != nil {
		return nil, err
	}
	return u, nil
}

// userForAction is userForRead inside a write transaction, which is the
// authority for the rules a write checks.
func (s *Service) userForAction(tx Tx, p *Principal, action, name string) (*User, error) {
	return s.userForActionWith(tx, p, action, name, nil)
}

// userForActionWith is userForAction with the request's own condition
// keys; the user's tags (and boundary) are added to them.
func (s *Service) userForActionWith(tx Tx, p *Principal, action, name string, extra *authzKeys) (*User, error) {
	u, err := tx.User(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorizeWith(p, action, userARN(p.AccountID, "/", name), extra); err != nil {
				return nil, err
			}
			return nil, noSuchUser(name)
		}
		return nil, err
	}
	k := withEntity(extra, action, u.Tags, u.PermissionsBoundary)
	if err := s.authorizeWith(p, action, u.ARN(), &k); err != nil {
		return nil, err
	}
	return u, nil
}

func noSuchUser(name string) error {
	return Errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

// ListUsers lists the account's users whose path starts with PathPrefix.
func (s *Service) ListUsers(ctx context.Context, p *Principal, in ListInput) (Page[*User], error) {
	if err := s.authorize(p, "iam:ListUsers", userARN(p.AccountID, "/", "")); err != nil {
		return Page[*User]{}, err
	}
	return pageFrom(s.state.usersSorted(p.AccountID), in, userKey, func(u *User) string { return u.Path })
}

func userKey(u *User) string { return strings.ToLower(u.Name) }

// UpdateUserInput is UpdateUser's input; nil fields are left unchanged.
type UpdateUserInput struct {
	UserName    string
	NewPath     *string
	NewUserName *string
}

// UpdateUser renames a user or changes its path.
func (s *Service) UpdateUser(ctx context.Context, p *Principal, in UpdateUserInput) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:UpdateUser", in.UserName)
		if err != nil {
			return err
		}
		next := *u
		if in.NewPath != nil {
			next.Path = *in.NewPath
		}
		if in.NewUserName != nil {
			next.Name = *in.NewUserName
			// Renaming needs permission on the new name as well, as in AWS.
			k := withEntity(nil, "iam:UpdateUser", u.Tags, u.PermissionsBoundary)
			if err := s.authorizeWith(p, "iam:UpdateUser", userARN(p.AccountID, next.Path, next.Name), &k); err != nil {
				return err
			}
		}
		if next.Name == u.Name && next.Path == u.Path {
			return nil
		}
		if err := tx.UpdateUser(&next); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "User with name %s already exists.", next.Name)
			}
			return err
		}
		return nil
	})
}

// DeleteUser deletes a user that owns nothing any more, as AWS requires.
func (s *Service) DeleteUser(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:DeleteUser", name)
		if err != nil {
			return err
		}
		keys, err := tx.AccessKeys(p.AccountID, u.ID)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		}
		// Wording quoted in github.com/cloud-custodian/cloud-custodian issue
		// 1663 and github.com/rebuy-de/aws-nuke issue 281.
		if _, err := tx.LoginProfile(u.ID); err == nil {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must delete login profile first.")
		} else if !isNotFound(err) {
			return err
		}
		if mfa, err := tx.UserMFADevices(p.AccountID, u.ID); err != nil {
			return err
		} else if len(mfa) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must delete MFA device first.")
		}
		n, err := tx.CountGroupsForUser(u.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		}
		// AWS's wording for signing certificates and SSH keys is quoted in
		// github.com/rebuy-de/aws-nuke issues 671 and 522; service-specific
		// credentials are assumed to share the SSH keys' wording.
		certs, err := tx.SigningCertificates(p.AccountID, u.ID)
		if err != nil {
			return err
		}
		if len(certs) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must delete certificates first.")
		}
		sshKeys, err := tx.SSHPublicKeys(u.ID)
		if err != nil {
			return err
		}
		svcCreds, err := tx.ServiceCredentials(p.AccountID, u.ID)
		if err != nil {
			return err
		}
		if len(sshKeys) > 0 || len(svcCreds) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove referenced objects first.")
		}
		if err := checkNoPolicies(tx, OwnerUser, u.ID); err != nil {
			return err
		}
		return tx.DeleteUser(u.ID)
	})
}

// TagUser adds or overwrites tags on a user.
func (s *Service) TagUser(ctx context.Context, p *Principal, name string, tags []Tag) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForActionWith(tx, p, "iam:TagUser", name, &authzKeys{requestTags: tags})
		if err != nil {
			return err
		}
		merged, err := s.mergeTags(u.Tags, tags)
		if err != nil {
			return err
		}
		u.Tags = merged
		return tx.UpdateUser(u)
	})
}

// UntagUser removes tags by key (case-insensitively); missing keys are
// ignored, as in AWS.
func (s *Service) UntagUser(ctx context.Context, p *Principal, name string, keys []string) error {
	return s.update(ctx, func(tx Tx) error {
		u, err := s.userForActionWith(tx, p, "iam:UntagUser", name, &authzKeys{tagKeys: keys})
		if err != nil {
			return err
		}
		u.Tags = removeTags(u.Tags, keys)
		return tx.UpdateUser(u)
	})
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(ctx context.Context, p *Principal, name string, in ListInput) (Page[Tag], error) {
	u, err := s.userForRead(p, "iam:ListUserTags", name)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(u.Tags, in)
}
