package postgres

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/iamd/iamd/iam"
)

const profileCols = `ip.id, ip.account_id, ip.name, ip.path, ip.create_date, ip.tags,
	coalesce((SELECT json_agg(role_id ORDER BY role_id)::text FROM instance_profile_roles
		WHERE profile_id = ip.id), '[]')`

var (
	qCreateProfile = q(`INSERT INTO instance_profiles (id, account_id, name, name_lower, path, create_date, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	qProfile           = q(`SELECT ` + profileCols + ` FROM instance_profiles ip WHERE ip.account_id = $1 AND ip.name_lower = $2`)
	qProfileByID       = q(`SELECT ` + profileCols + ` FROM instance_profiles ip WHERE ip.id = $1`)
	qProfiles          = q(`SELECT ` + profileCols + ` FROM instance_profiles ip WHERE ip.account_id = $4` + fmt.Sprintf(listFilter, "ip"))
	qCountProfiles     = q(`SELECT count(*) FROM instance_profiles WHERE account_id = $1`)
	qUpdateProfile     = q(`UPDATE instance_profiles SET tags = $1 WHERE id = $2`)
	qDeleteProfile     = q(`DELETE FROM instance_profiles WHERE id = $1`)
	qAddProfileRole    = q(`INSERT INTO instance_profile_roles (profile_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`)
	qRemoveProfileRole = q(`DELETE FROM instance_profile_roles WHERE profile_id = $1 AND role_id = $2`)
	qProfilesForRole   = q(`SELECT ` + profileCols + ` FROM instance_profile_roles r JOIN instance_profiles ip ON ip.id = r.profile_id
		WHERE r.role_id = $1 ORDER BY ip.name_lower`)
)

func (t *tx) CreateInstanceProfile(p *iam.InstanceProfile) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, err)
	}
	cd, err := timeToDB(p.CreateDate)
	if err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, err)
	}
	if _, err := t.exec(qCreateProfile, p.ID, p.AccountID, p.Name, strings.ToLower(p.Name), p.Path, cd, tags); err != nil {
		return fmt.Errorf("create instance profile %s: %w", p.Name, classify(err))
	}
	return nil
}

func (t *tx) InstanceProfile(accountID, name string) (*iam.InstanceProfile, error) {
	return t.oneProfile(qProfile, name, accountID, strings.ToLower(name))
}

func (t *tx) InstanceProfileByID(id string) (*iam.InstanceProfile, error) {
	return t.oneProfile(qProfileByID, id, id)
}

func (t *tx) oneProfile(query, what string, args ...any) (*iam.InstanceProfile, error) {
	row, err := t.queryRow(query, args...)
	if err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", what, err)
	}
	p, err := scanProfile(row)
	if err != nil {
		return nil, fmt.Errorf("instance profile %s: %w", what, classify(err))
	}
	return p, nil
}

func (t *tx) InstanceProfiles(accountID string, lq iam.ListQuery) ([]*iam.InstanceProfile, error) {
	return t.profiles("list instance profiles", qProfiles, listArgs(lq, accountID)...)
}

func (t *tx) InstanceProfilesForRole(roleID string) ([]*iam.InstanceProfile, error) {
	return t.profiles("instance profiles of role "+roleID, qProfilesForRole, roleID)
}

func (t *tx) profiles(what, query string, args ...any) ([]*iam.InstanceProfile, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ps, err := collect(rows, scanProfile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ps, nil
}

func (t *tx) CountInstanceProfiles(accountID string) (int, error) {
	n, err := t.count(qCountProfiles, accountID)
	if err != nil {
		return 0, fmt.Errorf("count instance profiles: %w", err)
	}
	return n, nil
}

func (t *tx) UpdateInstanceProfile(p *iam.InstanceProfile) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("update instance profile %s: %w", p.ID, err)
	}
	if err := t.execOne(qUpdateProfile, tags, p.ID); err != nil {
		return fmt.Errorf("update instance profile %s: %w", p.ID, classify(err))
	}
	return nil
}

func (t *tx) DeleteInstanceProfile(id string) error {
	if err := t.execOne(qDeleteProfile, id); err != nil {
		return fmt.Errorf("delete instance profile %s: %w", id, classify(err))
	}
	return nil
}

func (t *tx) AddInstanceProfileRole(profileID, roleID string) error {
	if _, err := t.exec(qAddProfileRole, profileID, roleID); err != nil {
		return fmt.Errorf("add role %s to instance profile %s: %w", roleID, profileID, classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *tx) RemoveInstanceProfileRole(profileID, roleID string) error {
	if err := t.execOne(qRemoveProfileRole, profileID, roleID); err != nil {
		return fmt.Errorf("remove role %s from instance profile %s: %w", roleID, profileID, classify(err))
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

// roleIDsFromDB decodes the JSON array json_agg builds.
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
