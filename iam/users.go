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
	if err := s.authorize(p, "iam:CreateUser", userARN(p.AccountID, in.Path, in.UserName)); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != "" {
		return nil, Errorf(CodeNotImplemented, "iamd does not implement permissions boundaries yet.")
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
	err = s.store.Update(ctx, func(tx Tx) error {
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
		return nil, internal(err)
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
			a, err := s.Account(ctx, p.AccountID)
			if err != nil {
				return nil, internal(err)
			}
			return &User{ID: p.AccountID, AccountID: p.AccountID, CreateDate: a.CreateDate}, nil
		case PrincipalUser:
			name = p.UserName
		default:
			return nil, Errorf(CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
	}
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = s.userForAction(tx, p, "iam:GetUser", name)
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	return u, nil
}

// userForAction loads the named user and authorizes action on it. The
// authorization uses the user's real ARN (with its path) when it exists, and
// the path-less ARN when it does not, so that a caller who may not act on a
// user learns nothing about whether it exists.
func (s *Service) userForAction(tx Tx, p *Principal, action, name string) (*User, error) {
	u, err := tx.User(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorize(p, action, userARN(p.AccountID, "/", name)); err != nil {
				return nil, err
			}
			return nil, noSuchUser(name)
		}
		return nil, err
	}
	if err := s.authorize(p, action, u.ARN()); err != nil {
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
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return Page[*User]{}, err
	}
	var users []*User
	err = s.store.View(ctx, func(tx Tx) error {
		var err error
		users, err = tx.Users(p.AccountID, ListQuery{PathPrefix: in.PathPrefix, After: after, Limit: in.limit() + 1})
		return err
	})
	if err != nil {
		return Page[*User]{}, internal(err)
	}
	return page(users, in.limit(), userKey), nil
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
	var userID string
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:UpdateUser", in.UserName)
		if err != nil {
			return err
		}
		userID = u.ID
		next := *u
		if in.NewPath != nil {
			next.Path = *in.NewPath
		}
		if in.NewUserName != nil {
			next.Name = *in.NewUserName
			// Renaming needs permission on the new name as well, as in AWS.
			if err := s.authorize(p, "iam:UpdateUser", userARN(p.AccountID, next.Path, next.Name)); err != nil {
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
	if err != nil {
		return internal(err)
	}
	// The user's ARN is part of the principal its keys authenticate as.
	return internal(s.refreshCredentials(ctx, p.AccountID, userID))
}

// DeleteUser deletes a user that owns nothing any more, as AWS requires.
func (s *Service) DeleteUser(ctx context.Context, p *Principal, name string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
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
		n, err := tx.CountGroupsForUser(u.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		}
		return tx.DeleteUser(u.ID)
	})
	return internal(err)
}

// TagUser adds or overwrites tags on a user.
func (s *Service) TagUser(ctx context.Context, p *Principal, name string, tags []Tag) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:TagUser", name)
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
	return internal(err)
}

// UntagUser removes tags by key (case-insensitively); missing keys are
// ignored, as in AWS.
func (s *Service) UntagUser(ctx context.Context, p *Principal, name string, keys []string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		u, err := s.userForAction(tx, p, "iam:UntagUser", name)
		if err != nil {
			return err
		}
		u.Tags = removeTags(u.Tags, keys)
		return tx.UpdateUser(u)
	})
	return internal(err)
}

// ListUserTags lists a user's tags.
func (s *Service) ListUserTags(ctx context.Context, p *Principal, name string, in ListInput) (Page[Tag], error) {
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = s.userForAction(tx, p, "iam:ListUserTags", name)
		return err
	})
	if err != nil {
		return Page[Tag]{}, internal(err)
	}
	return pageTags(u.Tags, in)
}
