package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/iamd/iamd/iam"
)

// profileCols are an instance profile's columns and, as a JSON array, its
// role IDs: one query per profile rather than one plus one per profile.
func profileCols(d *Dialect) string {
	return `ip.id, ip.account_id, ip.name, ip.path, ip.create_date, ip.tags, ` + d.RoleIDs
}

var (
	qCreateProfile = q(`INSERT INTO instance_profiles (id, account_id, name, name_lower, path, create_date, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qProfile = qd(func(d *Dialect) string {
		return `SELECT ` + profileCols(d) + ` FROM instance_profiles ip WHERE ip.account_id = ? AND ip.name_lower = ?`
	})
	qProfileByID = qd(func(d *Dialect) string {
		return `SELECT ` + profileCols(d) + ` FROM instance_profiles ip WHERE ip.id = ?`
	})
	qProfiles = qd(func(d *Dialect) string {
		return `SELECT ` + profileCols(d) + ` FROM instance_profiles ip WHERE ip.account_id = ?4` + d.listFilter("ip")
	})
	qCountProfiles     = q(`SELECT count(*) FROM instance_profiles WHERE account_id = ?`)
	qUpdateProfile     = q(`UPDATE instance_profiles SET tags = ? WHERE id = ?`)
	qDeleteProfile     = q(`DELETE FROM instance_profiles WHERE id = ?`)
	qAddProfileRole    = q(`INSERT INTO instance_profile_roles (profile_id, role_id) VALUES (?, ?) ON CONFLICT DO NOTHING`)
	qRemoveProfileRole = q(`DELETE FROM instance_profile_roles WHERE profile_id = ? AND role_id = ?`)
	qProfilesForRole   = qd(func(d *Dialect) string {
		return `SELECT ` + profileCols(d) + ` FROM instance_profile_roles r JOIN instance_profiles ip ON ip.id = r.profile_id
		WHERE r.role_id = ? ORDER BY ip.name_lower`
	})
)

func (t *Tx) CreateInstanceProfile(p *iam.InstanceProfile) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, err)
	}
	cd, err := timeToDB(p.CreateDate)
	if err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, err)
	}
	if _, err := t.exec(qCreateProfile, p.ID, p.AccountID, p.Name, strings.ToLower(p.Name), p.Path, cd, tags); err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) InstanceProfile(accountID, name string) (*iam.InstanceProfile, error) {
	return t.oneProfile(qProfile, name, accountID, strings.ToLower(name))
}

func (t *Tx) InstanceProfileByID(id string) (*iam.InstanceProfile, error) {
	return t.oneProfile(qProfileByID, id, id)
}

func (t *Tx) oneProfile(q query, what string, args ...any) (*iam.InstanceProfile, error) {
	row, err := t.queryRow(q, args...)
	if err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", what, err)
	}
	p, err := scanProfile(row)
	if err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", what, t.classify(err))
	}
	return p, nil
}

func (t *Tx) InstanceProfiles(accountID string, lq iam.ListQuery) ([]*iam.InstanceProfile, error) {
	return t.profiles("list instance profiles", qProfiles, t.listArgs(lq, accountID)...)
}

func (t *Tx) InstanceProfilesForRole(roleID string) ([]*iam.InstanceProfile, error) {
	return t.profiles("instance profiles of role "+roleID, qProfilesForRole, roleID)
}

func (t *Tx) profiles(what string, q query, args ...any) ([]*iam.InstanceProfile, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ps, err := collect(rows, scanProfile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ps, nil
}

func (t *Tx) CountInstanceProfiles(accountID string) (int, error) {
	n, err := t.count(qCountProfiles, accountID)
	if err != nil {
		return 0, fmt.Errorf("count instance profiles: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdateInstanceProfile(p *iam.InstanceProfile) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("update instance profile %s: %w", p.ID, err)
	}
	if err := t.execOne(qUpdateProfile, tags, p.ID); err != nil {
		return fmt.Errorf("update instance profile %s: %w", p.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteInstanceProfile(id string) error {
	if err := t.execOne(qDeleteProfile, id); err != nil {
		return fmt.Errorf("delete instance profile %s: %w", id, t.classify(err))
	}
	return nil
}

func (t *Tx) AddInstanceProfileRole(profileID, roleID string) error {
	if _, err := t.exec(qAddProfileRole, profileID, roleID); err != nil {
		return fmt.Errorf("add role %s to instance profile %s: %w", roleID, profileID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) RemoveInstanceProfileRole(profileID, roleID string) error {
	if err := t.execOne(qRemoveProfileRole, profileID, roleID); err != nil {
		return fmt.Errorf("remove role %s from instance profile %s: %w", roleID, profileID, t.classify(err))
	}
	return nil
}

func scanProfile(s scanner) (*iam.InstanceProfile, error) {
	var p iam.InstanceProfile
	var cd int64
	var tags, roles string
	if err := s.Scan(&p.ID, &p.AccountID, &p.Name, &p.Path, &cd, &tags, &roles); err != nil {
		return nil, err
	}
	var err error
	if p.Tags, err = tagsFromDB(tags); err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", p.ID, err)
	}
	if p.RoleIDs, err = roleIDsFromDB(roles); err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", p.ID, err)
	}
	p.CreateDate = timeFromDB(cd)
	return &p, nil
}

// roleIDsFromDB decodes the JSON array of Dialect.RoleIDs.
func roleIDsFromDB(s string) ([]string, error) {
	if s == "[]" || s == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode role IDs: %w", err)
	}
	return out, nil
}
