package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/iamd/iamd/awsmanaged"
	"github.com/iamd/iamd/policy"
)

// Role is an IAM role.
type Role struct {
	ID                  string // AROA + 17 characters
	AccountID           string
	Name                string
	Path                string
	CreateDate          time.Time
	AssumeRolePolicy    string // trust policy, as submitted
	Description         string
	MaxSessionDuration  int // seconds
	PermissionsBoundary string
	Tags                []Tag
	LastUsedDate        time.Time // zero when never
	LastUsedRegion      string
}

// ARN returns the role's ARN.
func (r *Role) ARN() string { return entityARN(r.AccountID, "role", r.Path, r.Name) }

func roleARN(account, path, name string) string { return entityARN(account, "role", path, name) }

// Codes of role and policy errors that the foundation did not need.
const (
	CodeUnmodifiableEntity  Code = "UnmodifiableEntity"
	CodePolicyNotAttachable Code = "PolicyNotAttachable"
)

// NewRoleID returns a role unique ID (21 characters).
func NewRoleID() string { return newID(PrefixRole, 17) }

// DefaultMaxSessionDuration is a role's MaxSessionDuration (seconds) when
// CreateRole names none; the model bounds explicit values to 3600-43200.
const DefaultMaxSessionDuration = 3600

// serviceRolePath starts the path of every service-linked role; AWS
// reserves it, and roles under it are modifiable only by their service.
const serviceRolePath = "/aws-service-role/"

// IsServiceLinked reports whether r is a service-linked role.
func (r *Role) IsServiceLinked() bool { return strings.HasPrefix(r.Path, serviceRolePath) }

func roleKey(r *Role) string { return strings.ToLower(r.Name) }

func noSuchRole(name string) error {
	return Errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
}

func protectedRole(r *Role) error {
	return Errorf(CodeUnmodifiableEntity,
		"Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
}

// resolvedQuotas fills the role and policy quotas a configuration left at
// zero with AWS's defaults.
func (s *Service) resolvedQuotas() Quotas {
	q, d := s.quotas, DefaultQuotas()
	for _, f := range []struct{ v, def *int }{
		{&q.RolesPerAccount, &d.RolesPerAccount}, {&q.PoliciesPerAccount, &d.PoliciesPerAccount},
		{&q.VersionsPerPolicy, &d.VersionsPerPolicy}, {&q.PoliciesPerUser, &d.PoliciesPerUser},
		{&q.PoliciesPerGroup, &d.PoliciesPerGroup}, {&q.PoliciesPerRole, &d.PoliciesPerRole},
		{&q.PolicySize, &d.PolicySize}, {&q.UserPolicySize, &d.UserPolicySize},
		{&q.GroupPolicySize, &d.GroupPolicySize}, {&q.RolePolicySize, &d.RolePolicySize},
		{&q.TrustPolicySize, &d.TrustPolicySize}, {&q.InstanceProfilesPerAccount, &d.InstanceProfilesPerAccount},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return q
}

// CreateRoleInput is CreateRole's input, validated against the model.
type CreateRoleInput struct {
	Path                     string
	RoleName                 string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int // 0: 3600
	PermissionsBoundary      string
	Tags                     []Tag
}

// CreateRole creates a role with a trust policy.
func (s *Service) CreateRole(ctx context.Context, p *Principal, in CreateRoleInput) (*Role, error) {
	if in.Path == "" {
		in.Path = "/"
	}
	if err := s.authorizeWith(p, "iam:CreateRole", roleARN(p.AccountID, in.Path, in.RoleName),
		&authzKeys{requestTags: in.Tags, boundary: in.PermissionsBoundary}); err != nil {
		return nil, err
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = DefaultMaxSessionDuration
	}
	if err := s.checkTrustPolicy(in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	tags, err := s.mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	r := &Role{
		ID: NewRoleID(), AccountID: p.AccountID, Name: in.RoleName, Path: in.Path, CreateDate: s.clock(),
		AssumeRolePolicy: in.AssumeRolePolicyDocument, Description: in.Description,
		MaxSessionDuration: in.MaxSessionDuration, Tags: tags,
	}
	err = s.update(ctx, func(tx Tx) error {
		if in.PermissionsBoundary != "" {
			if err := s.checkBoundary(tx, p, in.PermissionsBoundary); err != nil {
				return err
			}
			r.PermissionsBoundary = in.PermissionsBoundary
		}
		return s.insertRole(tx, p.AccountID, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) insertRole(tx Tx, account string, r *Role) error {
	n, err := tx.CountRoles(account)
	if err != nil {
		return err
	}
	if q := s.resolvedQuotas().RolesPerAccount; n >= q {
		return Errorf(CodeLimitExceeded, "Cannot exceed quota for RolesPerAccount: %d", q)
	}
	if err := tx.CreateRole(r); err != nil {
		if isExists(err) {
			return Errorf(CodeEntityAlreadyExists, "Role with name %s already exists.", r.Name)
		}
		return err
	}
	return nil
}

// checkTrustPolicy validates a new trust policy as IAM does.
func (s *Service) checkTrustPolicy(doc string) error {
	if q := s.resolvedQuotas().TrustPolicySize; policy.Size(doc) > q {
		return Errorf(CodeLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", q)
	}
	pol, err := policy.ParseStrict(doc, policy.Trust)
	if err != nil {
		return policyError(err)
	}
	return s.checkTrustPrincipals(pol)
}

// checkTrustPrincipals refuses a trust policy naming an IAM user or role
// that does not exist, as IAM does when it saves the policy (it stores the
// principal's unique ID): MalformedPolicyDocument, "Invalid principal in
// policy" (AWS Knowledge Center, iam-trust-policy-error). Only accounts of
// this deployment can be checked; principals of other accounts pass.
func (s *Service) checkTrustPrincipals(pol *policy.Policy) error {
	for _, st := range pol.Statements {
		if st.Principal == nil {
			continue
		}
		for _, arn := range st.Principal.AWS {
			acct := arnAccount(arn)
			if acct == "" || !strings.HasPrefix(arn, "arn:"+Partition+":iam::"+acct+":") || s.state.account(acct) == nil {
				continue
			}
			res := arn[len("arn:"+Partition+":iam::"+acct+":"):]
			name := res[strings.LastIndexByte(res, '/')+1:]
			var found string
			switch {
			case strings.HasPrefix(res, "user/"):
				if u := s.state.user(acct, name); u != nil {
					found = u.ARN()
				}
			case strings.HasPrefix(res, "role/"):
				if r := s.state.role(acct, name); r != nil {
					found = r.ARN()
				}
			default:
				continue
			}
			if !strings.EqualFold(found, arn) {
				return Errorf(CodeMalformedPolicy, "Invalid principal in policy: \"AWS\":\"%s\"", arn)
			}
		}
	}
	return nil
}

// policyError turns the policy engine's error into the IAM error carrying
// its (AWS-worded) code and message.
func policyError(err error) error {
	if err == nil {
		return nil
	}
	var pe *policy.Error
	if errors.As(err, &pe) {
		return Errorf(Code(pe.Code), "%s", pe.Message)
	}
	return Errorf(CodeMalformedPolicy, "%s", err.Error())
}

// roleForRead finds the named role in memory and authorizes action on it.
func (s *Service) roleForRead(p *Principal, action, name string) (*Role, error) {
	r := s.state.role(p.AccountID, name)
	if r == nil {
		if err := s.authorize(p, action, roleARN(p.AccountID, "/", name)); err != nil {
			return nil, err
		}
		return nil, noSuchRole(name)
	}
	k := withEntity(nil, action, r.Tags, r.PermissionsBoundary)
	if err := s.authorizeWith(p, action, r.ARN(), &k); err != nil {
		return nil, err
	}
	return r, nil
}

// roleForAction is roleForRead inside a write transaction.
func (s *Service) roleForAction(tx Tx, p *Principal, action, name string) (*Role, error) {
	return s.roleForActionWith(tx, p, action, name, nil)
}

// roleForActionWith is roleForAction with the request's own condition
// keys; the role's tags (and boundary) are added to them.
func (s *Service) roleForActionWith(tx Tx, p *Principal, action, name string, extra *authzKeys) (*Role, error) {
	r, err := tx.Role(p.AccountID, name)
	if err != nil {
		if isNotFound(err) {
			if err := s.authorizeWith(p, action, roleARN(p.AccountID, "/", name), extra); err != nil {
				return nil, err
			}
			return nil, noSuchRole(name)
		}
		return nil, err
	}
	k := withEntity(extra, action, r.Tags, r.PermissionsBoundary)
	if err := s.authorizeWith(p, action, r.ARN(), &k); err != nil {
		return nil, err
	}
	return r, nil
}

// modifiableRole is roleForAction for the operations AWS refuses on
// service-linked roles.
func (s *Service) modifiableRole(tx Tx, p *Principal, action, name string) (*Role, error) {
	return s.modifiableRoleWith(tx, p, action, name, nil)
}

// modifiableRoleWith is modifiableRole with the request's own condition
// keys.
func (s *Service) modifiableRoleWith(tx Tx, p *Principal, action, name string, extra *authzKeys) (*Role, error) {
	r, err := s.roleForActionWith(tx, p, action, name, extra)
	if err != nil {
		return nil, err
	}
	if r.IsServiceLinked() {
		return nil, protectedRole(r)
	}
	return r, nil
}

// GetRole returns the named role.
func (s *Service) GetRole(ctx context.Context, p *Principal, name string) (*Role, error) {
	return s.roleForRead(p, "iam:GetRole", name)
}

// ListRoles lists the account's roles whose path starts with PathPrefix.
func (s *Service) ListRoles(ctx context.Context, p *Principal, in ListInput) (Page[*Role], error) {
	if err := s.authorize(p, "iam:ListRoles", roleARN(p.AccountID, "/", "")); err != nil {
		return Page[*Role]{}, err
	}
	return pageFrom(s.state.rolesSorted(p.AccountID), in, roleKey, func(r *Role) string { return r.Path })
}

// UpdateRole changes a role's description and maximum session duration;
// nil leaves a field unchanged.
func (s *Service) UpdateRole(ctx context.Context, p *Principal, name string, description *string, maxSession *int) (*Role, error) {
	var out *Role
	err := s.update(ctx, func(tx Tx) error {
		r, err := s.roleForAction(tx, p, "iam:UpdateRole", name)
		if err != nil {
			return err
		}
		if maxSession != nil && r.IsServiceLinked() {
			return protectedRole(r)
		}
		next := *r
		if description != nil {
			next.Description = *description
		}
		if maxSession != nil {
			next.MaxSessionDuration = *maxSession
		}
		out = &next
		if next.Description == r.Description && next.MaxSessionDuration == r.MaxSessionDuration {
			return nil
		}
		return tx.UpdateRole(&next)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, p *Principal, name, doc string) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.modifiableRole(tx, p, "iam:UpdateAssumeRolePolicy", name)
		if err != nil {
			return err
		}
		if err := s.checkTrustPolicy(doc); err != nil {
			return err
		}
		r.AssumeRolePolicy = doc
		return tx.UpdateRole(r)
	})
}

// DeleteRole deletes a role that has no policies any more, as AWS
// requires; service-linked roles are deleted only through
// DeleteServiceLinkedRole.
func (s *Service) DeleteRole(ctx context.Context, p *Principal, name string) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.modifiableRole(tx, p, "iam:DeleteRole", name)
		if err != nil {
			return err
		}
		profiles, err := tx.InstanceProfilesForRole(r.ID)
		if err != nil {
			return err
		}
		if len(profiles) > 0 {
			return Errorf(CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := checkNoPolicies(tx, OwnerRole, r.ID); err != nil {
			return err
		}
		return tx.DeleteRole(r.ID)
	})
}

// checkNoPolicies is the DeleteConflict rule shared by DeleteUser,
// DeleteGroup and DeleteRole.
func checkNoPolicies(tx Tx, kind OwnerKind, id string) error {
	attached, err := tx.AttachedPolicies(kind, id)
	if err != nil {
		return err
	}
	if len(attached) > 0 {
		return Errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
	}
	inline, err := tx.InlinePolicies(kind, id)
	if err != nil {
		return err
	}
	if len(inline) > 0 {
		return Errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	return nil
}

// TagRole adds or overwrites tags on a role.
func (s *Service) TagRole(ctx context.Context, p *Principal, name string, tags []Tag) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.roleForActionWith(tx, p, "iam:TagRole", name, &authzKeys{requestTags: tags})
		if err != nil {
			return err
		}
		merged, err := s.mergeTags(r.Tags, tags)
		if err != nil {
			return err
		}
		r.Tags = merged
		return tx.UpdateRole(r)
	})
}

// UntagRole removes tags by key.
func (s *Service) UntagRole(ctx context.Context, p *Principal, name string, keys []string) error {
	return s.update(ctx, func(tx Tx) error {
		r, err := s.roleForActionWith(tx, p, "iam:UntagRole", name, &authzKeys{tagKeys: keys})
		if err != nil {
			return err
		}
		r.Tags = removeTags(r.Tags, keys)
		return tx.UpdateRole(r)
	})
}

// ListRoleTags lists a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, p *Principal, name string, in ListInput) (Page[Tag], error) {
	r, err := s.roleForRead(p, "iam:ListRoleTags", name)
	if err != nil {
		return Page[Tag]{}, err
	}
	return pageTags(r.Tags, in)
}

// Service-linked roles. AWS names each service's role and picks its
// permissions policy; the table holds the services whose names and
// policies are documented, and other services get a name built from the
// first label of their principal. Some services refuse a custom suffix.
var linkedServices = map[string]struct {
	suffix   string // after AWSServiceRoleFor
	policy   string // under arn:aws:iam::aws:policy/aws-service-role/
	noSuffix bool
}{
	"autoscaling.amazonaws.com":          {"AutoScaling", "AutoScalingServiceRolePolicy", false},
	"ecs.amazonaws.com":                  {"ECS", "AmazonECSServiceRolePolicy", true},
	"es.amazonaws.com":                   {"AmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy", true},
	"eks.amazonaws.com":                  {"AmazonEKS", "AmazonEKSServiceRolePolicy", true},
	"elasticloadbalancing.amazonaws.com": {"ElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", true},
	"rds.amazonaws.com":                  {"RDS", "AmazonRDSServiceRolePolicy", true},
	"spot.amazonaws.com":                 {"EC2Spot", "AWSEC2SpotServiceRolePolicy", true},
	"spotfleet.amazonaws.com":            {"EC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy", true},
	"organizations.amazonaws.com":        {"Organizations", "AWSOrganizationsServiceTrustPolicy", true},
	"support.amazonaws.com":              {"Support", "AWSSupportServiceRolePolicy", true},
	"trustedadvisor.amazonaws.com":       {"TrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", true},
	"guardduty.amazonaws.com":            {"AmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy", true},
	"ssm.amazonaws.com":                  {"AmazonSSM", "AmazonSSMServiceRolePolicy", true},
	"config.amazonaws.com":               {"Config", "AWSConfigServiceRolePolicy", true},
	"elasticbeanstalk.amazonaws.com":     {"ElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy", false},
}

// CreateServiceLinkedRole creates the role a service uses on the account's
// behalf: path /aws-service-role/SERVICE/, a trust policy for the service
// principal, and the service's AWS managed policy attached when the
// catalog has it.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, p *Principal, service, description, customSuffix string) (*Role, error) {
	info, known := linkedServices[service]
	if !known {
		label, _, _ := strings.Cut(service, ".")
		if label == "" {
			return nil, Errorf(CodeInvalidInput, "Invalid service name: %s", service)
		}
		info.suffix = strings.ToUpper(label[:1]) + label[1:]
	}
	name := "AWSServiceRoleFor" + info.suffix
	if customSuffix != "" {
		if info.noSuffix {
			return nil, Errorf(CodeInvalidInput, "Custom suffix is not allowed for %s", service)
		}
		name += "_" + customSuffix
	}
	path := serviceRolePath + service + "/"
	if err := s.authorizeWith(p, "iam:CreateServiceLinkedRole", roleARN(p.AccountID, path, name), &authzKeys{serviceName: service}); err != nil {
		return nil, err
	}
	r := &Role{
		ID: NewRoleID(), AccountID: p.AccountID, Name: name, Path: path, CreateDate: s.clock(),
		AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["` +
			service + `"]},"Action":["sts:AssumeRole"]}]}`,
		Description: description, MaxSessionDuration: DefaultMaxSessionDuration,
	}
	err := s.update(ctx, func(tx Tx) error {
		if err := s.insertRole(tx, p.AccountID, r); err != nil {
			if ErrorCode(err) == CodeEntityAlreadyExists {
				return Errorf(CodeInvalidInput, "Service role name %s has been taken in this account, please try a different suffix.", name)
			}
			return err
		}
		if info.policy == "" {
			return nil
		}
		arn := awsmanaged.ARNPrefix + serviceRolePath + info.policy
		if awsmanaged.Lookup(arn) == nil {
			return nil
		}
		return tx.AttachPolicy(Attachment{Kind: OwnerRole, OwnerID: r.ID, PolicyARN: arn})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

const deletionTaskPrefix = "task" + serviceRolePath

// DeleteServiceLinkedRole deletes a service-linked role with its policies.
// AWS deletes asynchronously, after checking the service no longer uses
// the role; iamd has no service to ask, so the task completes at once.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, p *Principal, name string) (string, error) {
	var task string
	err := s.update(ctx, func(tx Tx) error {
		r, err := s.roleForAction(tx, p, "iam:DeleteServiceLinkedRole", name)
		if err != nil {
			return err
		}
		if !r.IsServiceLinked() {
			return Errorf(CodeInvalidInput, "Role %s is not a service-linked role.", r.Name)
		}
		arns, err := tx.AttachedPolicies(OwnerRole, r.ID)
		if err != nil {
			return err
		}
		for _, arn := range arns {
			if err := tx.DetachPolicy(Attachment{Kind: OwnerRole, OwnerID: r.ID, PolicyARN: arn}); err != nil {
				return err
			}
		}
		inline, err := tx.InlinePolicies(OwnerRole, r.ID)
		if err != nil {
			return err
		}
		for _, ip := range inline {
			if err := tx.DeleteInlinePolicy(OwnerRole, r.ID, ip.Name); err != nil {
				return err
			}
		}
		service := strings.TrimSuffix(strings.TrimPrefix(r.Path, serviceRolePath), "/")
		task = deletionTaskPrefix + service + "/" + r.Name + "/" + newUUID()
		if err := tx.SetMeta(metaDeletionTask(p.AccountID, task), "SUCCEEDED"); err != nil {
			return err
		}
		return tx.DeleteRole(r.ID)
	})
	if err != nil {
		return "", err
	}
	return task, nil
}

// metaDeletionTask keys the status of a service-linked role's deletion
// task, kept so that a task ID iamd never handed out is not reported as
// done.
func metaDeletionTask(account, task string) string {
	return "slr_deletion_task/" + account + "/" + task
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task's status;
// every task iamd hands out has already succeeded, and one it did not
// hand out to the account does not exist.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, p *Principal, taskID string) (string, error) {
	rest, ok := strings.CutPrefix(taskID, deletionTaskPrefix)
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || parts[0] == "" || parts[1] == "" || len(parts[2]) != 36 {
		return "", Errorf(CodeInvalidInput, "Invalid deletion task id: %s", taskID)
	}
	if err := s.authorize(p, "iam:GetServiceLinkedRoleDeletionStatus", roleARN(p.AccountID, serviceRolePath+parts[0]+"/", parts[1])); err != nil {
		return "", err
	}
	var status string
	err := s.store.View(ctx, func(tx Tx) error {
		v, err := tx.Meta(metaDeletionTask(p.AccountID, taskID))
		status = v
		return err
	})
	switch {
	case isNotFound(err) || err == nil && status == "":
		// AWS documents NoSuchEntity for this operation but not its
		// wording.
		return "", Errorf(CodeNoSuchEntity, "Deletion task %s not found.", taskID)
	case err != nil:
		return "", internal(err)
	}
	return status, nil
}

func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
