package iam

import (
	"context"
	"slices"
	"strings"
	"time"
)

// PrefixInstanceProfile starts instance profile unique IDs.
const PrefixInstanceProfile = "AIPA"

// ChangeInstanceProfile is the change kind of instance profiles and of
// their role memberships (carrying the profile's ID).
const ChangeInstanceProfile ChangeKind = "instanceprofile"

// InstanceProfile is an EC2 instance profile: a container for one role.
type InstanceProfile struct {
	ID         string // AIPA + 17 characters
	AccountID  string
	Name       string
	Path       string
	CreateDate time.Time
	Tags       []Tag
	RoleIDs    []string // at most one, as AWS allows
}

// ARN returns the profile's ARN.
func (p *InstanceProfile) ARN() string {
	return entityARN(p.AccountID, "instance-profile", p.Path, p.Name)
}

func instanceProfileARN(account, path, name string) string {
	return entityARN(account, "instance-profile", path, name)
}

func instanceProfileKey(p *InstanceProfile) string { return strings.ToLower(p.Name) }

func noSuchInstanceProfile(name string) error {
	return Errorf(CodeNoSuchEntity, "Instance Profile %s cannot be found.", name)
}

// InstanceProfileView is a profile with its roles resolved.
type InstanceProfileView struct {
	*InstanceProfile
	Roles []*Role
}

func (s *Service) viewProfile(p *InstanceProfile) *InstanceProfileView {
	v := &InstanceProfileView{InstanceProfile: p}
	for _, id := range p.RoleIDs {
		if r := s.state.roleByID(id); r != nil {
			v.Roles = append(v.Roles, r)
		}
	}
	return v
}

// CreateInstanceProfile creates an empty instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, p *Principal, path, name string, tags []Tag) (*InstanceProfileView, error) {
	if path == "" {
		path = "/"
	}
	if err := s.authorizeWith(p, "iam:CreateInstanceProfile", instanceProfileARN(p.AccountID, path, name), &authzKeys{requestTags: tags}); err != nil {
		return nil, err
	}
	merged, err := s.mergeTagsExact(nil, tags)
	if err != nil {
		return nil, err
	}
	ip := &InstanceProfile{ID: newID(PrefixInstanceProfile, 17), AccountID: p.AccountID, Name: name, Path: path,
		CreateDate: s.clock(), Tags: merged}
	err = s.update(ctx, func(tx Tx) error {
		n, err := tx.CountInstanceProfiles(p.AccountID)
		if err != nil {
			return err
		}
		if q := s.resolvedQuotas().InstanceProfilesPerAccount; n >= q {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for InstanceProfilesPerAccount: %d", q)
		}
		if err := tx.CreateInstanceProfile(ip); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "Instance Profile %s already exists.", name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &InstanceProfileView{InstanceProfile: ip}, nil
}

func (s *Service) profileForRead(p *Principal, action, name string) (*InstanceProfile, error) {
	ip := s.state.instanceProfile(p.AccountID, name)
	if ip == nil {
		if err := s.authorize(p, action, instanceProfileARN(p.AccountID, "/", name)); err != nil {
			return nil, err
		}
		return nil, noSuchInstanceProfile(name)
	}
	if err := s.authorizeWith(p, action, ip.ARN(), &authzKeys{resourceTags: ip.Tags}); err != nil {
		return nil, err
	}
	return ip, nil
}

func (s *Service) profileForAction(tx Tx, p *Principal, action, name string) (*InstanceProfile, error) {
	return s.profileForActionWith(tx, p, action, name, nil)
}

// profileForActionWith is profileForAction with the request's own
// condition keys; the profile's tags are added to them.
func (s *Service) profileForActionWith(tx Tx, p *Principal, action, name string, extra *authzKeys) (*InstanceProfile, error) {
	ip, err := tx.InstanceProfile(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorizeWith(p, action, instanceProfileARN(p.AccountID, "/", name), extra); err != nil {
				return nil, err
			}
			return nil, noSuchInstanceProfile(name)
		}
		return nil, err
	}
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	k.resourceTags = ip.Tags
	if err := s.authorizeWith(p, action, ip.ARN(), &k); err != nil {
		return nil, err
	}
	return ip, nil
}

// GetInstanceProfile returns a profile with its role.
func (s *Service) GetInstanceProfile(ctx context.Context, p *Principal, name string) (*InstanceProfileView, error) {
	ip, err := s.profileForRead(p, "iam:GetInstanceProfile", name)
	if err != nil {
		return nil, err
	}
	return s.viewProfile(ip), nil
}

// ListInstanceProfiles lists the account's profiles under PathPrefix.
func (s *Service) ListInstanceProfiles(ctx context.Context, p *Principal, in ListInput) (Page[*InstanceProfileView], error) {
	if err := s.authorize(p, "iam:ListInstanceProfiles", instanceProfileARN(p.AccountID, "/", "")); err != nil {
		return Page[*InstanceProfileView]{}, err
	}
	pg, err := pageFrom(s.state.instanceProfilesSorted(p.AccountID), in, instanceProfileKey,
		func(ip *InstanceProfile) string { return ip.Path })
	return s.viewPage(pg), err
}

func (s *Service) viewPage(pg Page[*InstanceProfile]) Page[*InstanceProfileView] {
	out := Page[*InstanceProfileView]{IsTruncated: pg.IsTruncated, Marker: pg.Marker}
	for _, ip := range pg.Items {
		out.Items = append(out.Items, s.viewProfile(ip))
	}
	return out
}

// ListInstanceProfilesForRole lists the profiles that hold a role.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, p *Principal, roleName string, in ListInput) (Page[*InstanceProfileView], error) {
	r, err := s.roleForRead(p, "iam:ListInstanceProfilesForRole", roleName)
	if err != nil {
		return Page[*InstanceProfileView]{}, err
	}
	var list []*InstanceProfile
	for _, ip := range s.state.instanceProfilesSorted(p.AccountID) {
		if slices.Contains(ip.RoleIDs, r.ID) {
			list = append(list, ip)
		}
	}
	in.PathPrefix = ""
	pg, err := pageFrom(list, in, instanceProfileKey, func(ip *InstanceProfile) string { return ip.Path })
	return s.viewPage(pg), err
}

// DeleteInstanceProfile deletes a profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		ip, err := s.profileForAction(tx, p, "iam:DeleteInstanceProfile", name)
		if err != nil {
			return err
		}
		if len(ip.RoleIDs) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.DeleteInstanceProfile(ip.ID)
	})
}

// AddRoleToInstanceProfile puts a role in an empty profile; AWS allows
// one role per profile and does not raise that quota.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, p *Principal, profileName, roleName string) error {
	return s.update(ctx, func(tx Tx) error {
		ip, err := s.profileForAction(tx, p, "iam:AddRoleToInstanceProfile", profileName)
		if err != nil {
			return err
		}
		r, err := tx.Role(p.AccountID, roleName)
		if err != nil {
			if isNotFound(err) {
				return noSuchRole(roleName)
			}
			return err
		}
		if len(ip.RoleIDs) > 0 {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		return tx.AddInstanceProfileRole(ip.ID, r.ID)
	})
}

// RemoveRoleFromInstanceProfile takes a role out of a profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, p *Principal, profileName, roleName string) error {
	return s.update(ctx, func(tx Tx) error {
		ip, err := s.profileForAction(tx, p, "iam:RemoveRoleFromInstanceProfile", profileName)
		if err != nil {
			return err
		}
		r, err := tx.Role(p.AccountID, roleName)
		if err != nil {
			if isNotFound(err) {
				return noSuchRole(roleName)
			}
			return err
		}
		if err := tx.RemoveInstanceProfileRole(ip.ID, r.ID); err != nil {
			if isNotFound(err) {
				return noSuchRole(roleName)
			}
			return err
		}
		return nil
	})
}

// TagInstanceProfile adds or overwrites tags on a profile.
func (s *Service) TagInstanceProfile(ctx context.Context, p *Principal, name string, tags []Tag) error {
	return s.update(ctx, func(tx Tx) error {
		ip, err := s.profileForActionWith(tx, p, "iam:TagInstanceProfile", name, &authzKeys{requestTags: tags})
		if err != nil {
			return err
		}
		merged, err := s.mergeTagsExact(ip.Tags, tags)
		if err != nil {
			return err
		}
		ip.Tags = merged
		return tx.UpdateInstanceProfile(ip)
	})
}

// UntagInstanceProfile removes tags by key.
func (s *Service) UntagInstanceProfile(ctx context.Context, p *Principal, name string, keys []string) error {
	return s.update(ctx, func(tx Tx) error {
		ip, err := s.profileForActionWith(tx, p, "iam:UntagInstanceProfile", name, &authzKeys{tagKeys: keys})
		if err != nil {
			return err
		}
		ip.Tags = removeTagsExact(ip.Tags, keys)
		return tx.UpdateInstanceProfile(ip)
	})
}

// ListInstanceProfileTags lists a profile's tags.
func (s *Service) ListInstanceProfileTags(ctx context.Context, p *Principal, name string, in ListInput) (Page[Tag], error) {
	ip, err := s.profileForRead(p, "iam:ListInstanceProfileTags", name)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(ip.Tags, in)
}
