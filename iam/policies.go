package iam

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/awsmanaged"
	"github.com/iamd/iamd/policy"
)

// ManagedPolicy is a customer managed policy. Its documents are its
// PolicyVersions.
type ManagedPolicy struct {
	ID               string // ANPA + 17 characters
	AccountID        string
	Name             string
	Path             string
	Description      string
	CreateDate       time.Time
	UpdateDate       time.Time
	DefaultVersionID string
	NextVersion      int // the number the next version gets (v1 is 1)
	Tags             []Tag
}

// ARN returns the policy's ARN.
func (p *ManagedPolicy) ARN() string { return entityARN(p.AccountID, "policy", p.Path, p.Name) }

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	PolicyID   string
	VersionID  string // "v1", "v2", ...
	Document   string // as submitted
	CreateDate time.Time
}

// NewPolicyID returns a managed policy unique ID (21 characters).
func NewPolicyID() string { return newID(PrefixPolicy, 17) }

func policyARN(account, path, name string) string { return entityARN(account, "policy", path, name) }

// PolicyInfo is a managed policy as GetPolicy and ListPolicies show it:
// a customer managed policy of the caller's account or an AWS managed one.
type PolicyInfo struct {
	ARN              string
	ID               string
	Name             string
	Path             string
	Description      string
	DefaultVersionID string
	// Counts are the caller's account's uses, also for AWS managed
	// policies, which every account shares.
	AttachmentCount    int
	BoundaryUsageCount int
	IsAttachable       bool
	AWSManaged         bool
	CreateDate         time.Time
	UpdateDate         time.Time
	Tags               []Tag
}

// managedRef is a managed policy found by ARN: AWS's or the account's own.
type managedRef struct {
	aws   *awsmanaged.Policy
	local *policyEntry
}

func (m managedRef) found() bool { return m.aws != nil || m.local != nil }

func (m managedRef) name() string {
	if m.aws != nil {
		return m.aws.Name
	}
	return m.local.p.Name
}

func (m managedRef) path() string {
	if m.aws != nil {
		return m.aws.Path
	}
	return m.local.p.Path
}

func (m managedRef) arn() string {
	if m.aws != nil {
		return m.aws.ARN
	}
	return m.local.p.ARN()
}

// attachable: AWS keeps the policies of service-linked roles (under
// /aws-service-role/) for those roles alone.
func (m managedRef) attachable() bool {
	return m.local != nil || !strings.HasPrefix(m.aws.Path, serviceRolePath)
}

// parsePolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func parsePolicyARN(arn string) (account, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:"+Partition+":iam::")
	if !ok {
		return "", "", "", false
	}
	account, rest, ok = strings.Cut(rest, ":")
	if !ok || (account != "aws" && !isAccountID(account)) {
		return "", "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "policy/")
	if !ok {
		return "", "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	path, name = "/"+rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}

func invalidARN(arn string) error { return Errorf(CodeInvalidInput, "ARN %s is not valid.", arn) }

func policyNotFound(arn string) error {
	return Errorf(CodeNoSuchEntity, "Policy %s was not found.", arn)
}

func policyNotAttachable(arn string) error {
	return Errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

func versionNotFound(arn, version string) error {
	return Errorf(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, version)
}

// managed finds a managed policy in memory. Customer managed policies of
// other accounts are never found.
func (s *Service) managed(account, arn string) managedRef {
	if awsmanaged.IsAWSManaged(arn) {
		return managedRef{aws: awsmanaged.Lookup(arn)}
	}
	if e := s.state.policyByARN(arn); e != nil && e.p.AccountID == account {
		return managedRef{local: e}
	}
	return managedRef{}
}

// managedInTx is managed inside a write transaction, which is the
// authority for a customer managed policy's existence.
func (s *Service) managedInTx(tx Tx, account, arn string) (managedRef, *ManagedPolicy, error) {
	if awsmanaged.IsAWSManaged(arn) {
		return managedRef{aws: awsmanaged.Lookup(arn)}, nil, nil
	}
	acct, _, name, ok := parsePolicyARN(arn)
	if !ok || acct != account {
		return managedRef{}, nil, nil
	}
	p, err := tx.Policy(account, name)
	if err != nil {
		if isNotFound(err) {
			return managedRef{}, nil, nil
		}
		return managedRef{}, nil, err
	}
	if p.ARN() != arn {
		return managedRef{}, nil, nil
	}
	return managedRef{local: &policyEntry{p: p}}, p, nil
}

// authorizePolicyRead authorizes reading a managed policy. AWS managed
// policies belong to no account but every account may read them.
func (s *Service) authorizePolicyRead(p *Principal, action, arn string) error {
	if awsmanaged.IsAWSManaged(arn) && p.IsRoot() {
		return nil
	}
	k := authzKeys{readableByAll: awsmanaged.IsAWSManaged(arn)}
	if e := s.state.policyByARN(arn); e != nil && e.p.AccountID == p.AccountID {
		k.resourceTags = e.p.Tags
	}
	return s.authorizeWith(p, action, arn, &k)
}

// customerPolicyForAction finds a customer managed policy in a write
// transaction and authorizes action on it. Acting on an AWS managed policy
// fails authorization, as acting on another account's resource does.
func (s *Service) customerPolicyForAction(tx Tx, p *Principal, action, arn string) (*ManagedPolicy, error) {
	return s.customerPolicyForActionWith(tx, p, action, arn, nil)
}

// customerPolicyForActionWith is customerPolicyForAction with the
// request's own condition keys; the policy's tags are added to them.
func (s *Service) customerPolicyForActionWith(tx Tx, p *Principal, action, arn string, extra *authzKeys) (*ManagedPolicy, error) {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return nil, invalidARN(arn)
	}
	_, pol, err := s.managedInTx(tx, p.AccountID, arn)
	var k authzKeys
	if extra != nil {
		k = *extra
	}
	if pol != nil {
		k.resourceTags = pol.Tags
	}
	if aerr := s.authorizeWith(p, action, arn, &k); aerr != nil {
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	if pol == nil {
		return nil, policyNotFound(arn)
	}
	return pol, nil
}

// checkManagedDocument validates a new managed policy version.
func (s *Service) checkManagedDocument(doc string) error {
	if q := s.resolvedQuotas().PolicySize; policy.Size(doc) > q {
		return Errorf(CodeLimitExceeded, "Cannot exceed quota for PolicySize: %d", q)
	}
	_, err := policy.ParseStrict(doc, policy.Identity)
	return policyError(err)
}

// CreatePolicyInput is CreatePolicy's input, validated against the model.
type CreatePolicyInput struct {
	PolicyName     string
	Path           string
	PolicyDocument string
	Description    string
	Tags           []Tag
}

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, p *Principal, in CreatePolicyInput) (*PolicyInfo, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if err := s.authorizeWith(p, "iam:CreatePolicy", policyARN(p.AccountID, in.Path, in.PolicyName), &authzKeys{requestTags: in.Tags}); err != nil {
		return nil, err
	}
	if err := s.checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	tags, err := s.mergeTagsExact(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	pol := &ManagedPolicy{
		ID: NewPolicyID(), AccountID: p.AccountID, Name: in.PolicyName, Path: in.Path,
		Description: in.Description, CreateDate: now, UpdateDate: now, DefaultVersionID: "v1",
		NextVersion: 2, Tags: tags,
	}
	err = s.update(ctx, func(tx Tx) error {
		n, err := tx.CountPolicies(p.AccountID)
		if err != nil {
			return err
		}
		if q := s.resolvedQuotas().PoliciesPerAccount; n >= q {
			return Errorf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerAccount: %d", q)
		}
		if err := tx.CreatePolicy(pol); err != nil {
			if isExists(err) {
				return Errorf(CodeEntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
			}
			return err
		}
		return tx.CreatePolicyVersion(&PolicyVersion{PolicyID: pol.ID, VersionID: "v1", Document: in.PolicyDocument, CreateDate: now})
	})
	if err != nil {
		return nil, err
	}
	return s.policyInfo(p.AccountID, managedRef{local: &policyEntry{p: pol}}), nil
}

func (s *Service) policyInfo(account string, m managedRef) *PolicyInfo {
	use := s.state.usesOf(account, m.arn(), false)
	info := &PolicyInfo{AttachmentCount: use.attachments, BoundaryUsageCount: use.boundaries, IsAttachable: m.attachable()}
	if a := m.aws; a != nil {
		info.ARN, info.ID, info.Name, info.Path = a.ARN, a.ID, a.Name, a.Path
		info.DefaultVersionID, info.CreateDate, info.UpdateDate = a.DefaultVersionID, a.CreateDate, a.UpdateDate
		info.AWSManaged = true
		return info
	}
	l := m.local.p
	info.ARN, info.ID, info.Name, info.Path, info.Description = l.ARN(), l.ID, l.Name, l.Path, l.Description
	info.DefaultVersionID, info.CreateDate, info.UpdateDate, info.Tags = l.DefaultVersionID, l.CreateDate, l.UpdateDate, l.Tags
	return info
}

// readPolicy finds a managed policy for a read operation.
func (s *Service) readPolicy(p *Principal, action, arn string) (managedRef, error) {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return managedRef{}, invalidARN(arn)
	}
	if err := s.authorizePolicyRead(p, action, arn); err != nil {
		return managedRef{}, err
	}
	m := s.managed(p.AccountID, arn)
	if !m.found() {
		return managedRef{}, policyNotFound(arn)
	}
	return m, nil
}

// GetPolicy returns a managed policy.
func (s *Service) GetPolicy(ctx context.Context, p *Principal, arn string) (*PolicyInfo, error) {
	m, err := s.readPolicy(p, "iam:GetPolicy", arn)
	if err != nil {
		return nil, err
	}
	return s.policyInfo(p.AccountID, m), nil
}

// Policy scopes and usage filters of ListPolicies and
// ListEntitiesForPolicy.
const (
	ScopeAll          = "All"
	ScopeAWS          = "AWS"
	ScopeLocal        = "Local"
	UsagePermissions  = "PermissionsPolicy"
	UsageBoundary     = "PermissionsBoundary"
	FilterUser        = "User"
	FilterRole        = "Role"
	FilterGroup       = "Group"
	FilterLocalPolicy = "LocalManagedPolicy"
	FilterAWSPolicy   = "AWSManagedPolicy"
)

// ListPoliciesInput is ListPolicies' input.
type ListPoliciesInput struct {
	ListInput
	Scope        string // "": All
	OnlyAttached bool
	// UsageFilter keeps only the policies used as permissions policies
	// (attached to a user, group or role) or as permissions boundaries
	// (some user's or role's boundary); "" keeps all. It applies with or
	// without OnlyAttached.
	UsageFilter string
}

// ListPolicies lists AWS managed and the account's customer managed
// policies, ordered by lower-cased name (then ARN, as an AWS and a
// customer policy may share a name).
func (s *Service) ListPolicies(ctx context.Context, p *Principal, in ListPoliciesInput) (Page[*PolicyInfo], error) {
	if err := s.authorize(p, "iam:ListPolicies", policyARN(p.AccountID, "/", "")); err != nil {
		return Page[*PolicyInfo]{}, err
	}
	after, err := decodeMarker("ListPolicies", in.Marker)
	if err != nil {
		return Page[*PolicyInfo]{}, err
	}
	var awsList []*awsmanaged.Policy
	var local []*policyEntry
	if in.Scope != ScopeLocal {
		awsList = awsmanaged.All()
	}
	if in.Scope != ScopeAWS {
		local = s.state.policiesSorted(p.AccountID)
	}
	keep := func(m managedRef) bool {
		if in.PathPrefix != "" && !strings.HasPrefix(m.path(), in.PathPrefix) {
			return false
		}
		if !in.OnlyAttached && in.UsageFilter == "" {
			return true
		}
		// PolicyUsageFilter is documented on its own, not as a refinement
		// of OnlyAttached: "To list only the policies used to set
		// permissions boundaries, set the value to PermissionsBoundary"
		// (API reference, ListPolicies). A policy used neither way has no
		// usage to match, so either filter leaves it out.
		use := s.state.usesOf(p.AccountID, m.arn(), false)
		switch in.UsageFilter {
		case UsagePermissions:
			return use.attachments > 0
		case UsageBoundary:
			return use.boundaries > 0
		}
		return use.attachments > 0 || use.boundaries > 0
	}
	limit := in.limit()
	var items []*PolicyInfo
	i, j := 0, 0
	for i < len(awsList) || j < len(local) {
		var m managedRef
		switch {
		case j == len(local):
			m = managedRef{aws: awsList[i]}
			i++
		case i == len(awsList):
			m = managedRef{local: local[j]}
			j++
		case managedKey(managedRef{aws: awsList[i]}) <= managedKey(managedRef{local: local[j]}):
			m = managedRef{aws: awsList[i]}
			i++
		default:
			m = managedRef{local: local[j]}
			j++
		}
		if after != "" && policyOrderKey(m.name(), m.arn()) <= after {
			continue
		}
		if !keep(m) {
			continue
		}
		if len(items) == limit {
			last := items[limit-1]
			return Page[*PolicyInfo]{Items: items, IsTruncated: true,
				Marker: encodeMarker("ListPolicies", policyOrderKey(last.Name, last.ARN))}, nil
		}
		items = append(items, s.policyInfo(p.AccountID, m))
	}
	return Page[*PolicyInfo]{Items: items}, nil
}

func managedKey(m managedRef) string { return strings.ToLower(m.name()) + "\x00" + m.arn() }

// policyOrderKey is a managed policy's position in listings, short enough
// for a Marker: AWS caps Marker at 320 characters, and a key holding the
// whole ARN (a 512-character path, a 128-character name) made markers that
// the next request's validation refused. The name and the ARN up to
// "policy/" order policies as managedKey does, since names are unique
// (ignoring case) among an account's policies and among AWS's.
func policyOrderKey(name, arn string) string {
	if i := strings.Index(arn, ":policy/"); i >= 0 {
		arn = arn[:i+len(":policy/")]
	}
	return strings.ToLower(name) + "\x00" + arn
}

// DeletePolicy deletes a customer managed policy that is attached to
// nothing, is no boundary, and has only its default version left.
func (s *Service) DeletePolicy(ctx context.Context, p *Principal, arn string) error {
	return s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForAction(tx, p, "iam:DeletePolicy", arn)
		if err != nil {
			return err
		}
		atts, err := tx.PolicyAttachments(arn)
		if err != nil {
			return err
		}
		bounds, err := tx.CountBoundaryUses(arn)
		if err != nil {
			return err
		}
		if len(atts) > 0 || bounds > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		versions, err := tx.PolicyVersions(pol.ID)
		if err != nil {
			return err
		}
		if len(versions) > 1 {
			return Errorf(CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		for _, v := range versions {
			if err := tx.DeletePolicyVersion(pol.ID, v.VersionID); err != nil {
				return err
			}
		}
		return tx.DeletePolicy(pol.ID)
	})
}

// PolicyVersionInfo is a version with whether it is the default.
type PolicyVersionInfo struct {
	*PolicyVersion
	IsDefault bool
}

// CreatePolicyVersion adds a version to a customer managed policy,
// optionally making it the default.
func (s *Service) CreatePolicyVersion(ctx context.Context, p *Principal, arn, doc string, setAsDefault bool) (*PolicyVersionInfo, error) {
	var out *PolicyVersionInfo
	err := s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForAction(tx, p, "iam:CreatePolicyVersion", arn)
		if err != nil {
			return err
		}
		if err := s.checkManagedDocument(doc); err != nil {
			return err
		}
		versions, err := tx.PolicyVersions(pol.ID)
		if err != nil {
			return err
		}
		if q := s.resolvedQuotas().VersionsPerPolicy; len(versions) >= q {
			return Errorf(CodeLimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", q)
		}
		now := s.clock()
		v := &PolicyVersion{PolicyID: pol.ID, VersionID: "v" + strconv.Itoa(pol.NextVersion), Document: doc, CreateDate: now}
		pol.NextVersion++
		// AWS's UpdateDate is when the newest version was created.
		pol.UpdateDate = now
		if setAsDefault {
			pol.DefaultVersionID = v.VersionID
		}
		if err := tx.CreatePolicyVersion(v); err != nil {
			return err
		}
		if err := tx.UpdatePolicy(pol); err != nil {
			return err
		}
		out = &PolicyVersionInfo{PolicyVersion: v, IsDefault: setAsDefault}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetPolicyVersion returns one version of a managed policy. Of an AWS
// managed policy only the default version is known.
func (s *Service) GetPolicyVersion(ctx context.Context, p *Principal, arn, versionID string) (*PolicyVersionInfo, error) {
	m, err := s.readPolicy(p, "iam:GetPolicyVersion", arn)
	if err != nil {
		return nil, err
	}
	for _, v := range policyVersions(m) {
		if v.VersionID == versionID {
			return v, nil
		}
	}
	return nil, versionNotFound(arn, versionID)
}

// policyVersions lists a policy's versions, newest first.
func policyVersions(m managedRef) []*PolicyVersionInfo {
	if a := m.aws; a != nil {
		return []*PolicyVersionInfo{{
			PolicyVersion: &PolicyVersion{VersionID: a.DefaultVersionID, Document: a.Document, CreateDate: a.UpdateDate},
			IsDefault:     true,
		}}
	}
	out := make([]*PolicyVersionInfo, 0, len(m.local.versions))
	for i := len(m.local.versions) - 1; i >= 0; i-- {
		v := m.local.versions[i]
		out = append(out, &PolicyVersionInfo{PolicyVersion: v, IsDefault: v.VersionID == m.local.p.DefaultVersionID})
	}
	return out
}

// ListPolicyVersions lists a managed policy's versions, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, p *Principal, arn string, in ListInput) (Page[*PolicyVersionInfo], error) {
	m, err := s.readPolicy(p, "iam:ListPolicyVersions", arn)
	if err != nil {
		return Page[*PolicyVersionInfo]{}, err
	}
	return pageIndex(policyVersions(m), in)
}

// DeletePolicyVersion deletes a version that is not the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, p *Principal, arn, versionID string) error {
	return s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForAction(tx, p, "iam:DeletePolicyVersion", arn)
		if err != nil {
			return err
		}
		if versionID == pol.DefaultVersionID {
			return Errorf(CodeDeleteConflict, "Cannot delete the default version of a policy.")
		}
		if err := tx.DeletePolicyVersion(pol.ID, versionID); err != nil {
			if isNotFound(err) {
				return versionNotFound(arn, versionID)
			}
			return err
		}
		return nil
	})
}

// SetDefaultPolicyVersion makes an existing version the default.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, p *Principal, arn, versionID string) error {
	return s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForAction(tx, p, "iam:SetDefaultPolicyVersion", arn)
		if err != nil {
			return err
		}
		if _, err := tx.PolicyVersion(pol.ID, versionID); err != nil {
			if isNotFound(err) {
				return versionNotFound(arn, versionID)
			}
			return err
		}
		if pol.DefaultVersionID == versionID {
			return nil
		}
		pol.DefaultVersionID = versionID
		return tx.UpdatePolicy(pol)
	})
}

// TagPolicy adds or overwrites tags on a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, p *Principal, arn string, tags []Tag) error {
	return s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForActionWith(tx, p, "iam:TagPolicy", arn, &authzKeys{requestTags: tags})
		if err != nil {
			return err
		}
		merged, err := s.mergeTagsExact(pol.Tags, tags)
		if err != nil {
			return err
		}
		pol.Tags = merged
		return tx.UpdatePolicy(pol)
	})
}

// UntagPolicy removes tags by key.
func (s *Service) UntagPolicy(ctx context.Context, p *Principal, arn string, keys []string) error {
	return s.update(ctx, func(tx Tx) error {
		pol, err := s.customerPolicyForActionWith(tx, p, "iam:UntagPolicy", arn, &authzKeys{tagKeys: keys})
		if err != nil {
			return err
		}
		pol.Tags = removeTagsExact(pol.Tags, keys)
		return tx.UpdatePolicy(pol)
	})
}

// ListPolicyTags lists a managed policy's tags (AWS managed policies have
// none).
func (s *Service) ListPolicyTags(ctx context.Context, p *Principal, arn string, in ListInput) (Page[Tag], error) {
	m, err := s.readPolicy(p, "iam:ListPolicyTags", arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	if m.local == nil {
		return Page[Tag]{}, nil
	}
	return pageTags(m.local.p.Tags, in)
}

// pageIndex pages a short in-memory list; the marker is the index of the
// next item.
func pageIndex[T any](list []T, in ListInput) (Page[T], error) {
	start := 0
	if in.Marker != "" {
		m, err := decodeMarker(listingOf[T](), in.Marker)
		if err != nil {
			return Page[T]{}, err
		}
		start, err = strconv.Atoi(m)
		if err != nil || start < 0 || start > len(list) {
			return Page[T]{}, Errorf(CodeValidationError, "Invalid Marker.")
		}
	}
	rest := list[start:]
	if len(rest) <= in.limit() {
		return Page[T]{Items: rest}, nil
	}
	return Page[T]{Items: rest[:in.limit()], IsTruncated: true, Marker: encodeMarker(listingOf[T](), strconv.Itoa(start+in.limit()))}, nil
}
