package iam

import (
	"context"
	"strings"
)

// CreateGroup creates an IAM group.
func (s *Service) CreateGroup(ctx context.Context, p *Principal, path, name string) (*Group, error) {
	if path == "" {
		path = "/"
	}
	if err := s.authorize(p, "iam:CreateGroup", groupARN(p.AccountID, path, name)); err != nil {
		return nil, err
	}
	g := &Group{ID: NewGroupID(), AccountID: p.AccountID, Name: name, Path: path, CreateDate: s.clock()}
	err := s.update(ctx, func(tx Tx) error {
		n, err := tx.CountGroups(p.AccountID)
		if err != nil {
			return err
		}
		if n >= s.quotas.GroupsPerAccount {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for GroupsPerAccount: %d", s.quotas.GroupsPerAccount)
		}
		if err := tx.CreateGroup(g); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "Group with name %s already exists.", name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func noSuchGroup(name string) error {
	return Errorf(CodeNoSuchEntity, "The group with name %s cannot be found.", name)
}

func (s *Service) groupForAction(tx Tx, p *Principal, action, name string) (*Group, error) {
	return s.groupForActionWith(tx, p, action, name, nil)
}

// groupForActionWith is groupForAction with the request's own condition
// keys (groups carry no tags).
func (s *Service) groupForActionWith(tx Tx, p *Principal, action, name string, extra *authzKeys) (*Group, error) {
	g, err := tx.Group(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorizeWith(p, action, groupARN(p.AccountID, "/", name), extra); err != nil {
				return nil, err
			}
			return nil, noSuchGroup(name)
		}
		return nil, err
	}
	if err := s.authorizeWith(p, action, g.ARN(), extra); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *Service) groupForRead(p *Principal, action, name string) (*Group, error) {
	g := s.state.group(p.AccountID, name)
	if g == nil {
		if err := s.authorize(p, action, groupARN(p.AccountID, "/", name)); err != nil {
			return nil, err
		}
		return nil, noSuchGroup(name)
	}
	if err := s.authorize(p, action, g.ARN()); err != nil {
		return nil, err
	}
	return g, nil
}

// GetGroup returns a group and a page of its users.
func (s *Service) GetGroup(ctx context.Context, p *Principal, name string, in ListInput) (*Group, Page[*User], error) {
	g, err := s.groupForRead(p, "iam:GetGroup", name)
	if err != nil {
		return nil, Page[*User]{}, err
	}
	in.PathPrefix = ""
	users, err := pageFrom(s.state.membersOfGroup(g.ID), in, userKey, func(u *User) string { return u.Path })
	if err != nil {
		return nil, Page[*User]{}, err
	}
	return g, users, nil
}

// ListGroups lists the account's groups whose path starts with PathPrefix.
func (s *Service) ListGroups(ctx context.Context, p *Principal, in ListInput) (Page[*Group], error) {
	if err := s.authorize(p, "iam:ListGroups", groupARN(p.AccountID, "/", "")); err != nil {
		return Page[*Group]{}, err
	}
	return pageFrom(s.state.groupsSorted(p.AccountID), in, groupKey, groupPath)
}

func groupKey(g *Group) string  { return strings.ToLower(g.Name) }
func groupPath(g *Group) string { return g.Path }

// UpdateGroup renames a group or changes its path.
func (s *Service) UpdateGroup(ctx context.Context, p *Principal, name string, newPath, newName *string) error {
	return s.update(ctx, func(tx Tx) error {
		g, err := s.groupForAction(tx, p, "iam:UpdateGroup", name)
		if err != nil {
			return err
		}
		next := *g
		if newPath != nil {
			next.Path = *newPath
		}
		if newName != nil {
			next.Name = *newName
			if err := s.authorize(p, "iam:UpdateGroup", next.ARN()); err != nil {
				return err
			}
		}
		if next.Name == g.Name && next.Path == g.Path {
			return nil
		}
		if err := tx.UpdateGroup(&next); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "Group with name %s already exists.", next.Name)
			}
			return err
		}
		return nil
	})
}

// DeleteGroup deletes a group that has no members any more.
func (s *Service) DeleteGroup(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		g, err := s.groupForAction(tx, p, "iam:DeleteGroup", name)
		if err != nil {
			return err
		}
		n, err := tx.CountGroupMembers(g.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		}
		if err := checkNoPolicies(tx, OwnerGroup, g.ID); err != nil {
			return err
		}
		return tx.DeleteGroup(g.ID)
	})
}

// AddUserToGroup adds a user to a group; adding a member again succeeds.
func (s *Service) AddUserToGroup(ctx context.Context, p *Principal, groupName, userName string) error {
	return s.update(ctx, func(tx Tx) error {
		g, err := s.groupForAction(tx, p, "iam:AddUserToGroup", groupName)
		if err != nil {
			return err
		}
		u, err := tx.User(p.AccountID, userName)
		if err != nil {
			if isNotFound(err) {
				return noSuchUser(userName)
			}
			return err
		}
		groups, err := tx.GroupsForUser(u.ID, ListQuery{})
		if err != nil {
			return err
		}
		for _, have := range groups {
			if have.ID == g.ID {
				return nil
			}
		}
		if len(groups) >= s.quotas.GroupsPerUser {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for GroupsPerUser: %d", s.quotas.GroupsPerUser)
		}
		return tx.AddGroupMember(g.ID, u.ID)
	})
}

// RemoveUserFromGroup ends a membership.
func (s *Service) RemoveUserFromGroup(ctx context.Context, p *Principal, groupName, userName string) error {
	return s.update(ctx, func(tx Tx) error {
		g, err := s.groupForAction(tx, p, "iam:RemoveUserFromGroup", groupName)
		if err != nil {
			return err
		}
		u, err := tx.User(p.AccountID, userName)
		if err != nil {
			if isNotFound(err) {
				return noSuchUser(userName)
			}
			return err
		}
		if err := tx.RemoveGroupMember(g.ID, u.ID); err != nil {
			if isNotFound(err) {
				return Errorf(CodeNoSuchEntity, "The user with name %s cannot be found in group %s.", userName, g.Name)
			}
			return err
		}
		return nil
	})
}

// ListGroupsForUser lists the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, p *Principal, userName string, in ListInput) (Page[*Group], error) {
	u, err := s.userForRead(p, "iam:ListGroupsForUser", userName)
	if err != nil {
		return Page[*Group]{}, err
	}
	in.PathPrefix = ""
	return pageFrom(s.state.groupsOfUser(u.ID), in, groupKey, groupPath)
}
