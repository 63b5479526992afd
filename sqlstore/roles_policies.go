package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/iamd/iamd/iam"
)

// --- roles

const roleCols = `r.id, r.account_id, r.name, r.path, r.create_date, r.assume_role_policy, r.description,
	r.max_session_duration, r.permissions_boundary, r.tags, r.last_used_date, r.last_used_region`

var (
	qCreateRole = q(`INSERT INTO roles (id, account_id, name, name_lower, path, create_date, assume_role_policy,
		description, max_session_duration, permissions_boundary, tags, last_used_date, last_used_region)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qRole       = q(`SELECT ` + roleCols + ` FROM roles r WHERE r.account_id = ? AND r.name_lower = ?`)
	qRoleByID   = q(`SELECT ` + roleCols + ` FROM roles r WHERE r.id = ?`)
	qRoles      = listQuery(`SELECT `+roleCols+` FROM roles r WHERE r.account_id = ?4`, "r")
	qCountRoles = q(`SELECT count(*) FROM roles WHERE account_id = ?`)
	qUpdateRole = q(`UPDATE roles SET name = ?, name_lower = ?, path = ?, assume_role_policy = ?, description = ?,
		max_session_duration = ?, permissions_boundary = ?, tags = ?, last_used_date = ?, last_used_region = ?
		WHERE id = ?`)
	qDeleteRole = q(`DELETE FROM roles WHERE id = ?`)
)

func (t *Tx) CreateRole(r *iam.Role) error {
	tags, err := tagsToDB(r.Tags)
	if err != nil {
		return fmt.Errorf("create role %s: %w", r.Name, err)
	}
	cd, err := timeToDB(r.CreateDate)
	if err != nil {
		return fmt.Errorf("create role %s: %w", r.Name, err)
	}
	lu, err := timeToDB(r.LastUsedDate)
	if err != nil {
		return fmt.Errorf("create role %s: %w", r.Name, err)
	}
	if _, err := t.exec(qCreateRole, r.ID, r.AccountID, r.Name, strings.ToLower(r.Name), r.Path, cd,
		r.AssumeRolePolicy, r.Description, r.MaxSessionDuration, r.PermissionsBoundary, tags, lu,
		r.LastUsedRegion); err != nil {
		return fmt.Errorf("create role %s: %w", r.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) Role(accountID, name string) (*iam.Role, error) {
	row, err := t.queryRow(qRole, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, err)
	}
	r, err := scanRole(row)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", name, t.classify(err))
	}
	return r, nil
}

func (t *Tx) RoleByID(id string) (*iam.Role, error) {
	row, err := t.queryRow(qRoleByID, id)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", id, err)
	}
	r, err := scanRole(row)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", id, t.classify(err))
	}
	return r, nil
}

func (t *Tx) Roles(accountID string, lq iam.ListQuery) ([]*iam.Role, error) {
	rows, err := t.query(qRoles, t.listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	rs, err := collect(rows, scanRole)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return rs, nil
}

func (t *Tx) CountRoles(accountID string) (int, error) {
	n, err := t.count(qCountRoles, accountID)
	if err != nil {
		return 0, fmt.Errorf("count roles: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdateRole(r *iam.Role) error {
	tags, err := tagsToDB(r.Tags)
	if err != nil {
		return fmt.Errorf("update role %s: %w", r.ID, err)
	}
	lu, err := timeToDB(r.LastUsedDate)
	if err != nil {
		return fmt.Errorf("update role %s: %w", r.ID, err)
	}
	if err := t.execOne(qUpdateRole, r.Name, strings.ToLower(r.Name), r.Path, r.AssumeRolePolicy, r.Description,
		r.MaxSessionDuration, r.PermissionsBoundary, tags, lu, r.LastUsedRegion, r.ID); err != nil {
		return fmt.Errorf("update role %s: %w", r.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeleteRole(id string) error {
	if err := t.execOne(qDeleteRole, id); err != nil {
		return fmt.Errorf("delete role %s: %w", id, t.classify(err))
	}
	return nil
}

func scanRole(s scanner) (*iam.Role, error) {
	var r iam.Role
	var cd, lu int64
	var tags string
	if err := s.Scan(&r.ID, &r.AccountID, &r.Name, &r.Path, &cd, &r.AssumeRolePolicy, &r.Description,
		&r.MaxSessionDuration, &r.PermissionsBoundary, &tags, &lu, &r.LastUsedRegion); err != nil {
		return nil, err
	}
	var err error
	if r.Tags, err = tagsFromDB(tags); err != nil {
		return nil, fmt.Errorf("role %s: %w", r.ID, err)
	}
	r.CreateDate = timeFromDB(cd)
	r.LastUsedDate = timeFromDB(lu)
	return &r, nil
}

// --- managed policies

const policyCols = `p.id, p.account_id, p.name, p.path, p.description, p.create_date, p.update_date,
	p.default_version_id, p.next_version, p.tags`

var (
	qCreatePolicy = q(`INSERT INTO policies (id, account_id, name, name_lower, path, description, create_date,
		update_date, default_version_id, next_version, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qPolicy        = q(`SELECT ` + policyCols + ` FROM policies p WHERE p.account_id = ? AND p.name_lower = ?`)
	qPolicyByID    = q(`SELECT ` + policyCols + ` FROM policies p WHERE p.id = ?`)
	qPolicies      = listQuery(`SELECT `+policyCols+` FROM policies p WHERE p.account_id = ?4`, "p")
	qCountPolicies = q(`SELECT count(*) FROM policies WHERE account_id = ?`)
	qUpdatePolicy  = q(`UPDATE policies SET description = ?, update_date = ?, default_version_id = ?, next_version = ?,
		tags = ? WHERE id = ?`)
	qDeletePolicy = q(`DELETE FROM policies WHERE id = ?`)

	qCreateVersion = q(`INSERT INTO policy_versions (policy_id, version_id, version_num, document, create_date)
		VALUES (?, ?, ?, ?, ?)`)
	qVersion = q(`SELECT policy_id, version_id, document, create_date FROM policy_versions
		WHERE policy_id = ? AND version_id = ?`)
	qVersions = q(`SELECT policy_id, version_id, document, create_date FROM policy_versions
		WHERE policy_id = ? ORDER BY create_date, version_num`)
	qDeleteVersion = q(`DELETE FROM policy_versions WHERE policy_id = ? AND version_id = ?`)
)

func (t *Tx) CreatePolicy(p *iam.ManagedPolicy) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("create policy %s: %w", p.Name, err)
	}
	cd, err := timeToDB(p.CreateDate)
	if err != nil {
		return fmt.Errorf("create policy %s: %w", p.Name, err)
	}
	ud, err := timeToDB(p.UpdateDate)
	if err != nil {
		return fmt.Errorf("create policy %s: %w", p.Name, err)
	}
	if _, err := t.exec(qCreatePolicy, p.ID, p.AccountID, p.Name, strings.ToLower(p.Name), p.Path, p.Description,
		cd, ud, p.DefaultVersionID, p.NextVersion, tags); err != nil {
		return fmt.Errorf("create policy %s: %w", p.Name, t.classify(err))
	}
	return nil
}

func (t *Tx) Policy(accountID, name string) (*iam.ManagedPolicy, error) {
	row, err := t.queryRow(qPolicy, accountID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, err)
	}
	p, err := scanPolicy(row)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", name, t.classify(err))
	}
	return p, nil
}

func (t *Tx) PolicyByID(id string) (*iam.ManagedPolicy, error) {
	row, err := t.queryRow(qPolicyByID, id)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", id, err)
	}
	p, err := scanPolicy(row)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", id, t.classify(err))
	}
	return p, nil
}

func (t *Tx) Policies(accountID string, lq iam.ListQuery) ([]*iam.ManagedPolicy, error) {
	rows, err := t.query(qPolicies, t.listArgs(lq, accountID)...)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	ps, err := collect(rows, scanPolicy)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return ps, nil
}

func (t *Tx) CountPolicies(accountID string) (int, error) {
	n, err := t.count(qCountPolicies, accountID)
	if err != nil {
		return 0, fmt.Errorf("count policies: %w", err)
	}
	return n, nil
}

func (t *Tx) UpdatePolicy(p *iam.ManagedPolicy) error {
	tags, err := tagsToDB(p.Tags)
	if err != nil {
		return fmt.Errorf("update policy %s: %w", p.ID, err)
	}
	ud, err := timeToDB(p.UpdateDate)
	if err != nil {
		return fmt.Errorf("update policy %s: %w", p.ID, err)
	}
	if err := t.execOne(qUpdatePolicy, p.Description, ud, p.DefaultVersionID, p.NextVersion, tags, p.ID); err != nil {
		return fmt.Errorf("update policy %s: %w", p.ID, t.classify(err))
	}
	return nil
}

func (t *Tx) DeletePolicy(id string) error {
	if err := t.execOne(qDeletePolicy, id); err != nil {
		return fmt.Errorf("delete policy %s: %w", id, t.classify(err))
	}
	return nil
}

func scanPolicy(s scanner) (*iam.ManagedPolicy, error) {
	var p iam.ManagedPolicy
	var cd, ud int64
	var tags string
	if err := s.Scan(&p.ID, &p.AccountID, &p.Name, &p.Path, &p.Description, &cd, &ud, &p.DefaultVersionID,
		&p.NextVersion, &tags); err != nil {
		return nil, err
	}
	var err error
	if p.Tags, err = tagsFromDB(tags); err != nil {
		return nil, fmt.Errorf("policy %s: %w", p.ID, err)
	}
	p.CreateDate = timeFromDB(cd)
	p.UpdateDate = timeFromDB(ud)
	return &p, nil
}

// versionNum is the number in "v12"; anything else sorts first.
func versionNum(id string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "v"), 10, 64)
	return n
}

func (t *Tx) CreatePolicyVersion(v *iam.PolicyVersion) error {
	cd, err := timeToDB(v.CreateDate)
	if err != nil {
		return fmt.Errorf("create version %s of policy %s: %w", v.VersionID, v.PolicyID, err)
	}
	if _, err := t.exec(qCreateVersion, v.PolicyID, v.VersionID, versionNum(v.VersionID), v.Document, cd); err != nil {
		return fmt.Errorf("create version %s of policy %s: %w", v.VersionID, v.PolicyID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) PolicyVersion(policyID, versionID string) (*iam.PolicyVersion, error) {
	row, err := t.queryRow(qVersion, policyID, versionID)
	if err != nil {
		return nil, fmt.Errorf("version %s of policy %s: %w", versionID, policyID, err)
	}
	v, err := scanVersion(row)
	if err != nil {
		return nil, fmt.Errorf("version %s of policy %s: %w", versionID, policyID, t.classify(err))
	}
	return v, nil
}

func (t *Tx) PolicyVersions(policyID string) ([]*iam.PolicyVersion, error) {
	rows, err := t.query(qVersions, policyID)
	if err != nil {
		return nil, fmt.Errorf("versions of policy %s: %w", policyID, err)
	}
	vs, err := collect(rows, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("versions of policy %s: %w", policyID, err)
	}
	return vs, nil
}

func (t *Tx) DeletePolicyVersion(policyID, versionID string) error {
	if err := t.execOne(qDeleteVersion, policyID, versionID); err != nil {
		return fmt.Errorf("delete version %s of policy %s: %w", versionID, policyID, t.classify(err))
	}
	return nil
}

func scanVersion(s scanner) (*iam.PolicyVersion, error) {
	var v iam.PolicyVersion
	var cd int64
	if err := s.Scan(&v.PolicyID, &v.VersionID, &v.Document, &cd); err != nil {
		return nil, err
	}
	v.CreateDate = timeFromDB(cd)
	return &v, nil
}

// --- inline policies and attachments
//
// Each owner kind has its own tables (for real foreign keys), so the
// statements are built per kind.

type kindQueries struct {
	put, get, list, del, all           query
	attach, detach, attached, byPolicy query
	allAttachments                     query
}

var kindQ = map[iam.OwnerKind]*kindQueries{}

func init() {
	for _, k := range []iam.OwnerKind{iam.OwnerUser, iam.OwnerGroup, iam.OwnerRole} {
		pt, at := string(k)+"_policies", string(k)+"_attachments"
		kindQ[k] = &kindQueries{
			put: q(`INSERT INTO ` + pt + ` (owner_id, name, name_lower, document) VALUES (?, ?, ?, ?)
				ON CONFLICT (owner_id, name_lower) DO UPDATE SET document = excluded.document`),
			get:            q(`SELECT owner_id, name, document FROM ` + pt + ` WHERE owner_id = ? AND name_lower = ?`),
			list:           q(`SELECT owner_id, name, document FROM ` + pt + ` WHERE owner_id = ? ORDER BY name_lower`),
			del:            q(`DELETE FROM ` + pt + ` WHERE owner_id = ? AND name_lower = ?`),
			all:            q(`SELECT owner_id, name, document FROM ` + pt + ` ORDER BY owner_id, name_lower`),
			attach:         q(`INSERT INTO ` + at + ` (owner_id, policy_arn) VALUES (?, ?) ON CONFLICT DO NOTHING`),
			detach:         q(`DELETE FROM ` + at + ` WHERE owner_id = ? AND policy_arn = ?`),
			attached:       q(`SELECT policy_arn FROM ` + at + ` WHERE owner_id = ? ORDER BY policy_arn`),
			byPolicy:       q(`SELECT owner_id FROM ` + at + ` WHERE policy_arn = ? ORDER BY owner_id`),
			allAttachments: q(`SELECT owner_id, policy_arn FROM ` + at + ` ORDER BY owner_id, policy_arn`),
		}
	}
}

var ownerKinds = []iam.OwnerKind{iam.OwnerUser, iam.OwnerGroup, iam.OwnerRole}

func (t *Tx) queriesFor(k iam.OwnerKind) (*kindQueries, error) {
	kq := kindQ[k]
	if kq == nil {
		return nil, fmt.Errorf("%s: unknown owner kind %q", t.s.d.Name, k)
	}
	return kq, nil
}

func (t *Tx) PutInlinePolicy(p *iam.InlinePolicy) error {
	kq, err := t.queriesFor(p.Kind)
	if err != nil {
		return err
	}
	if _, err := t.exec(kq.put, p.OwnerID, p.Name, strings.ToLower(p.Name), p.Document); err != nil {
		return fmt.Errorf("put %s policy %s of %s: %w", p.Kind, p.Name, p.OwnerID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) InlinePolicy(kind iam.OwnerKind, ownerID, name string) (*iam.InlinePolicy, error) {
	kq, err := t.queriesFor(kind)
	if err != nil {
		return nil, err
	}
	row, err := t.queryRow(kq.get, ownerID, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("%s policy %s of %s: %w", kind, name, ownerID, err)
	}
	p, err := scanInline(kind)(row)
	if err != nil {
		return nil, fmt.Errorf("%s policy %s of %s: %w", kind, name, ownerID, t.classify(err))
	}
	return p, nil
}

func (t *Tx) InlinePolicies(kind iam.OwnerKind, ownerID string) ([]*iam.InlinePolicy, error) {
	kq, err := t.queriesFor(kind)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(kq.list, ownerID)
	if err != nil {
		return nil, fmt.Errorf("%s policies of %s: %w", kind, ownerID, err)
	}
	ps, err := collect(rows, scanInline(kind))
	if err != nil {
		return nil, fmt.Errorf("%s policies of %s: %w", kind, ownerID, err)
	}
	return ps, nil
}

func (t *Tx) DeleteInlinePolicy(kind iam.OwnerKind, ownerID, name string) error {
	kq, err := t.queriesFor(kind)
	if err != nil {
		return err
	}
	if err := t.execOne(kq.del, ownerID, strings.ToLower(name)); err != nil {
		return fmt.Errorf("delete %s policy %s of %s: %w", kind, name, ownerID, t.classify(err))
	}
	return nil
}

func (t *Tx) AllInlinePolicies() ([]*iam.InlinePolicy, error) {
	var out []*iam.InlinePolicy
	for _, k := range ownerKinds {
		rows, err := t.query(kindQ[k].all)
		if err != nil {
			return nil, fmt.Errorf("all %s policies: %w", k, err)
		}
		ps, err := collect(rows, scanInline(k))
		if err != nil {
			return nil, fmt.Errorf("all %s policies: %w", k, err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

func scanInline(kind iam.OwnerKind) func(scanner) (*iam.InlinePolicy, error) {
	return func(s scanner) (*iam.InlinePolicy, error) {
		p := iam.InlinePolicy{Kind: kind}
		if err := s.Scan(&p.OwnerID, &p.Name, &p.Document); err != nil {
			return nil, err
		}
		return &p, nil
	}
}

func (t *Tx) AttachPolicy(a iam.Attachment) error {
	kq, err := t.queriesFor(a.Kind)
	if err != nil {
		return err
	}
	if _, err := t.exec(kq.attach, a.OwnerID, a.PolicyARN); err != nil {
		return fmt.Errorf("attach %s to %s %s: %w", a.PolicyARN, a.Kind, a.OwnerID, t.classifyRef(err, iam.ErrNotFound))
	}
	return nil
}

func (t *Tx) DetachPolicy(a iam.Attachment) error {
	kq, err := t.queriesFor(a.Kind)
	if err != nil {
		return err
	}
	if err := t.execOne(kq.detach, a.OwnerID, a.PolicyARN); err != nil {
		return fmt.Errorf("detach %s from %s %s: %w", a.PolicyARN, a.Kind, a.OwnerID, t.classify(err))
	}
	return nil
}

func (t *Tx) AttachedPolicies(kind iam.OwnerKind, ownerID string) ([]string, error) {
	kq, err := t.queriesFor(kind)
	if err != nil {
		return nil, err
	}
	out, err := t.strings(kq.attached, ownerID)
	if err != nil {
		return nil, fmt.Errorf("policies attached to %s %s: %w", kind, ownerID, err)
	}
	return out, nil
}

func (t *Tx) PolicyAttachments(policyARN string) ([]iam.Attachment, error) {
	var out []iam.Attachment
	for _, k := range ownerKinds {
		ids, err := t.strings(kindQ[k].byPolicy, policyARN)
		if err != nil {
			return nil, fmt.Errorf("attachments of %s: %w", policyARN, err)
		}
		for _, id := range ids {
			out = append(out, iam.Attachment{Kind: k, OwnerID: id, PolicyARN: policyARN})
		}
	}
	return out, nil
}

func (t *Tx) AllAttachments() ([]iam.Attachment, error) {
	var out []iam.Attachment
	for _, k := range ownerKinds {
		rows, err := t.query(kindQ[k].allAttachments)
		if err != nil {
			return nil, fmt.Errorf("all %s attachments: %w", k, err)
		}
		for rows.Next() {
			a := iam.Attachment{Kind: k}
			if err := rows.Scan(&a.OwnerID, &a.PolicyARN); err != nil {
				rows.Close()
				return nil, fmt.Errorf("all %s attachments: %w", k, err)
			}
			out = append(out, a)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("all %s attachments: %w", k, err)
		}
	}
	return out, nil
}

var qCountBoundaryUses = q(`SELECT (SELECT count(*) FROM users WHERE permissions_boundary = ?1)
	+ (SELECT count(*) FROM roles WHERE permissions_boundary = ?1)`)

func (t *Tx) CountBoundaryUses(policyARN string) (int, error) {
	n, err := t.count(qCountBoundaryUses, policyARN)
	if err != nil {
		return 0, fmt.Errorf("count boundary uses of %s: %w", policyARN, err)
	}
	return n, nil
}

func (t *Tx) strings(q query, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
