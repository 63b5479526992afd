package iam_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

const (
	trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	adminARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	readARN  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

func allow(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// docOfSize returns an identity policy of exactly n policy.Size units.
func docOfSize(t *testing.T, n int) string {
	t.Helper()
	d := `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	d = strings.Replace(d, `"Sid":""`, `"Sid":"`+strings.Repeat("A", n-len(d))+`"`, 1)
	if policy.Size(d) != n {
		t.Fatalf("docOfSize(%d) has size %d", n, policy.Size(d))
	}
	return d
}

func wantError(t *testing.T, err error, code iam.Code, msg string) {
	t.Helper()
	if err == nil || iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	var e *iam.Error
	if msg != "" && (!errors.As(err, &e) || e.Message != msg) {
		t.Fatalf("message = %q, want %q", err, msg)
	}
}

func (f *fixture) mustRole(t *testing.T, name string) *iam.Role {
	t.Helper()
	r, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trustDoc})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) mustGroup(t *testing.T, name string) {
	t.Helper()
	if _, err := f.svc.CreateGroup(t.Context(), f.root, "", name); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) mustPolicy(t *testing.T, name, doc string) *iam.PolicyInfo {
	t.Helper()
	p, err := f.svc.CreatePolicy(t.Context(), f.root, iam.CreatePolicyInput{PolicyName: name, PolicyDocument: doc})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// limitTests each push one quota one step past its limit. The fixture's
// quotas are AWS's defaults unless the case lowers them.
var limitTests = []struct {
	name   string
	quotas func(q *iam.Quotas)
	run    func(t *testing.T, f *fixture) error
	msg    string
}{
	{"RolesPerAccount", func(q *iam.Quotas) { q.RolesPerAccount = 1 }, func(t *testing.T, f *fixture) error {
		f.mustRole(t, "a")
		_, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: "b", AssumeRolePolicyDocument: trustDoc})
		return err
	}, "Cannot exceed quota for RolesPerAccount: 1"},
	{"PoliciesPerAccount", func(q *iam.Quotas) { q.PoliciesPerAccount = 1 }, func(t *testing.T, f *fixture) error {
		f.mustPolicy(t, "a", allow("s3:*"))
		_, err := f.svc.CreatePolicy(t.Context(), f.root, iam.CreatePolicyInput{PolicyName: "b", PolicyDocument: allow("s3:*")})
		return err
	}, "Cannot exceed quota for PoliciesPerAccount: 1"},
	{"VersionsPerPolicy", nil, func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "a", allow("s3:*"))
		for range 4 {
			if _, err := f.svc.CreatePolicyVersion(t.Context(), f.root, p.ARN, allow("s3:*"), false); err != nil {
				t.Fatal(err)
			}
		}
		_, err := f.svc.CreatePolicyVersion(t.Context(), f.root, p.ARN, allow("s3:*"), false)
		return err
	}, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."},
	{"PoliciesPerUser", func(q *iam.Quotas) { q.PoliciesPerUser = 1 }, func(t *testing.T, f *fixture) error {
		f.mustUser(t, "u")
		if err := f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerUser, "u", adminARN); err != nil {
			t.Fatal(err)
		}
		return f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerUser, "u", readARN)
	}, "Cannot exceed quota for PoliciesPerUser: 1"},
	{"PoliciesPerGroup", nil, func(t *testing.T, f *fixture) error {
		f.mustGroup(t, "g")
		for i := range 10 {
			p := f.mustPolicy(t, "p"+string(rune('a'+i)), allow("s3:*"))
			if err := f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerGroup, "g", p.ARN); err != nil {
				t.Fatal(err)
			}
		}
		return f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerGroup, "g", adminARN)
	}, "Cannot exceed quota for PoliciesPerGroup: 10"},
	{"PoliciesPerRole", func(q *iam.Quotas) { q.PoliciesPerRole = 1 }, func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		if err := f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerRole, "r", adminARN); err != nil {
			t.Fatal(err)
		}
		// Attaching the same policy again is no new attachment.
		if err := f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerRole, "r", adminARN); err != nil {
			t.Fatal(err)
		}
		return f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerRole, "r", readARN)
	}, "Cannot exceed quota for PoliciesPerRole: 1"},
	{"PolicySize", nil, func(t *testing.T, f *fixture) error {
		f.mustPolicy(t, "fits", docOfSize(t, 6144))
		_, err := f.svc.CreatePolicy(t.Context(), f.root, iam.CreatePolicyInput{PolicyName: "big", PolicyDocument: docOfSize(t, 6145)})
		return err
	}, "Cannot exceed quota for PolicySize: 6144"},
	{"PolicySizeLowered", func(q *iam.Quotas) { q.PolicySize = 200 }, func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "a", docOfSize(t, 200))
		_, err := f.svc.CreatePolicyVersion(t.Context(), f.root, p.ARN, docOfSize(t, 201), true)
		return err
	}, "Cannot exceed quota for PolicySize: 200"},
	{"TrustPolicySize", func(q *iam.Quotas) { q.TrustPolicySize = len(trustDoc) - 1 }, func(t *testing.T, f *fixture) error {
		_, err := f.svc.CreateRole(t.Context(), f.root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trustDoc})
		return err
	}, "Cannot exceed quota for ACLSizePerRole: " + strconv.Itoa(len(trustDoc)-1)},
	{"UserPolicySize", nil, func(t *testing.T, f *fixture) error {
		f.mustUser(t, "u")
		if err := f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerUser, "u", "a", docOfSize(t, 1000)); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerUser, "u", "b", docOfSize(t, 1048)); err != nil {
			t.Fatal(err)
		}
		return f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerUser, "u", "B", docOfSize(t, 1049))
	}, "Maximum policy size of 2048 bytes exceeded for user u"},
	{"GroupPolicySize", nil, func(t *testing.T, f *fixture) error {
		f.mustGroup(t, "g")
		if err := f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerGroup, "g", "a", docOfSize(t, 5120)); err != nil {
			t.Fatal(err)
		}
		return f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerGroup, "g", "b", allow("s3:*"))
	}, "Maximum policy size of 5120 bytes exceeded for group g"},
	{"RolePolicySize", nil, func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		if err := f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerRole, "r", "a", docOfSize(t, 10000)); err != nil {
			t.Fatal(err)
		}
		return f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerRole, "r", "b", docOfSize(t, 241))
	}, "Maximum policy size of 10240 bytes exceeded for role r"},
	{"InstanceProfilesPerAccount", func(q *iam.Quotas) { q.InstanceProfilesPerAccount = 1 }, func(t *testing.T, f *fixture) error {
		if _, err := f.svc.CreateInstanceProfile(t.Context(), f.root, "", "a", nil); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.CreateInstanceProfile(t.Context(), f.root, "", "b", nil)
		return err
	}, "Cannot exceed quota for InstanceProfilesPerAccount: 1"},
	{"RolesPerInstanceProfile", nil, func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r1")
		f.mustRole(t, "r2")
		if _, err := f.svc.CreateInstanceProfile(t.Context(), f.root, "", "ip", nil); err != nil {
			t.Fatal(err)
		}
		mustOK(t, f.svc.AddRoleToInstanceProfile(t.Context(), f.root, "ip", "r1"))
		return f.svc.AddRoleToInstanceProfile(t.Context(), f.root, "ip", "r2")
	}, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
	{"TagsPerRole", func(q *iam.Quotas) { q.TagsPerEntity = 1 }, func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		if err := f.svc.TagRole(t.Context(), f.root, "r", []iam.Tag{{Key: "a"}}); err != nil {
			t.Fatal(err)
		}
		return f.svc.TagRole(t.Context(), f.root, "r", []iam.Tag{{Key: "b"}})
	}, "The number of tags has reached the maximum limit."},
}

func TestRolePolicyLimits(t *testing.T) {
	for _, tt := range limitTests {
		t.Run(tt.name, func(t *testing.T) {
			q := iam.DefaultQuotas()
			if tt.quotas != nil {
				tt.quotas(&q)
			}
			f := newFixture(t, q)
			wantError(t, tt.run(t, f), iam.CodeLimitExceeded, tt.msg)
		})
	}
}

// conflictTests each build a state that a delete must refuse.
var conflictTests = []struct {
	name string
	run  func(t *testing.T, f *fixture) error
	code iam.Code
	msg  string
}{
	{"UserWithInlinePolicy", func(t *testing.T, f *fixture) error {
		f.mustUser(t, "u")
		mustOK(t, f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerUser, "u", "p", allow("s3:*")))
		return f.svc.DeleteUser(t.Context(), f.root, "u")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must delete policies first."},
	{"UserWithAttachedPolicy", func(t *testing.T, f *fixture) error {
		f.mustUser(t, "u")
		mustOK(t, f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerUser, "u", adminARN))
		return f.svc.DeleteUser(t.Context(), f.root, "u")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first."},
	{"GroupWithInlinePolicy", func(t *testing.T, f *fixture) error {
		f.mustGroup(t, "g")
		mustOK(t, f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerGroup, "g", "p", allow("s3:*")))
		return f.svc.DeleteGroup(t.Context(), f.root, "g")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must delete policies first."},
	{"GroupWithAttachedPolicy", func(t *testing.T, f *fixture) error {
		f.mustGroup(t, "g")
		mustOK(t, f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerGroup, "g", adminARN))
		return f.svc.DeleteGroup(t.Context(), f.root, "g")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first."},
	{"RoleWithInlinePolicy", func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		mustOK(t, f.svc.PutInlinePolicy(t.Context(), f.root, iam.OwnerRole, "r", "p", allow("s3:*")))
		return f.svc.DeleteRole(t.Context(), f.root, "r")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must delete policies first."},
	{"RoleWithAttachedPolicy", func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		mustOK(t, f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerRole, "r", adminARN))
		return f.svc.DeleteRole(t.Context(), f.root, "r")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must detach all policies first."},
	{"PolicyAttached", func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "p", allow("s3:*"))
		f.mustRole(t, "r")
		mustOK(t, f.svc.AttachPolicy(t.Context(), f.root, iam.OwnerRole, "r", p.ARN))
		return f.svc.DeletePolicy(t.Context(), f.root, p.ARN)
	}, iam.CodeDeleteConflict, "Cannot delete a policy attached to entities."},
	{"PolicyUsedAsBoundary", func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "p", allow("s3:*"))
		f.mustUser(t, "u")
		mustOK(t, f.svc.PutUserPermissionsBoundary(t.Context(), f.root, "u", p.ARN))
		return f.svc.DeletePolicy(t.Context(), f.root, p.ARN)
	}, iam.CodeDeleteConflict, "Cannot delete a policy attached to entities."},
	{"PolicyWithVersions", func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "p", allow("s3:*"))
		if _, err := f.svc.CreatePolicyVersion(t.Context(), f.root, p.ARN, allow("s3:Get*"), false); err != nil {
			t.Fatal(err)
		}
		return f.svc.DeletePolicy(t.Context(), f.root, p.ARN)
	}, iam.CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."},
	{"DefaultVersion", func(t *testing.T, f *fixture) error {
		p := f.mustPolicy(t, "p", allow("s3:*"))
		return f.svc.DeletePolicyVersion(t.Context(), f.root, p.ARN, "v1")
	}, iam.CodeDeleteConflict, "Cannot delete the default version of a policy."},
	{"RoleInInstanceProfile", func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		if _, err := f.svc.CreateInstanceProfile(t.Context(), f.root, "", "ip", nil); err != nil {
			t.Fatal(err)
		}
		mustOK(t, f.svc.AddRoleToInstanceProfile(t.Context(), f.root, "ip", "r"))
		return f.svc.DeleteRole(t.Context(), f.root, "r")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first."},
	{"InstanceProfileWithRole", func(t *testing.T, f *fixture) error {
		f.mustRole(t, "r")
		if _, err := f.svc.CreateInstanceProfile(t.Context(), f.root, "", "ip", nil); err != nil {
			t.Fatal(err)
		}
		mustOK(t, f.svc.AddRoleToInstanceProfile(t.Context(), f.root, "ip", "r"))
		return f.svc.DeleteInstanceProfile(t.Context(), f.root, "ip")
	}, iam.CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first."},
	{"AWSManagedPolicy", func(t *testing.T, f *fixture) error {
		return f.svc.DeletePolicy(t.Context(), f.root, adminARN)
	}, iam.CodeAccessDenied, ""},
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRolePolicyDeleteConflicts(t *testing.T) {
	for _, tt := range conflictTests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.run(t, newFixture(t, iam.Quotas{})), tt.code, tt.msg)
		})
	}
}

func TestRolePolicyErrors(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustRole(t, "r")
	f.mustUser(t, "u")
	_, err := f.svc.GetRole(ctx, f.root, "nobody")
	wantError(t, err, iam.CodeNoSuchEntity, "The role with name nobody cannot be found.")
	_, err = f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "R", AssumeRolePolicyDocument: trustDoc})
	wantError(t, err, iam.CodeEntityAlreadyExists, "Role with name R already exists.")
	_, err = f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "x", AssumeRolePolicyDocument: allow("s3:*")})
	wantError(t, err, iam.CodeMalformedPolicy, "")
	_, err = f.svc.GetPolicy(ctx, f.root, "arn:aws:iam::"+account+":policy/none")
	wantError(t, err, iam.CodeNoSuchEntity, "Policy arn:aws:iam::"+account+":policy/none was not found.")
	_, err = f.svc.GetPolicy(ctx, f.root, "arn:aws:s3:::bucket")
	wantError(t, err, iam.CodeInvalidInput, "ARN arn:aws:s3:::bucket is not valid.")
	wantError(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "u", "arn:aws:iam::aws:policy/Nope"),
		iam.CodeNoSuchEntity, "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
	wantError(t, f.svc.AttachPolicy(ctx, f.root, iam.OwnerUser, "u", "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"),
		iam.CodePolicyNotAttachable, "Cannot attach a Service Role Policy to a Customer Role.")
	wantError(t, f.svc.DetachPolicy(ctx, f.root, iam.OwnerUser, "u", adminARN),
		iam.CodeNoSuchEntity, "Policy "+adminARN+" was not found.")
	_, _, err = f.svc.GetInlinePolicy(ctx, f.root, iam.OwnerUser, "u", "none")
	wantError(t, err, iam.CodeNoSuchEntity, "The user policy with name none cannot be found.")
	wantError(t, f.svc.DeleteInlinePolicy(ctx, f.root, iam.OwnerGroup, "nogroup", "p"),
		iam.CodeNoSuchEntity, "The group with name nogroup cannot be found.")
	wantError(t, f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "u", "p", trustDoc),
		iam.CodeMalformedPolicy, "Policy document should not specify a principal.")
	_, err = f.svc.GetPolicyVersion(ctx, f.root, adminARN, "v99")
	wantError(t, err, iam.CodeNoSuchEntity, "Policy "+adminARN+" version v99 does not exist or is not attachable.")
	_, err = f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "b", PermissionsBoundary: "arn:aws:iam::" + account + ":policy/none"})
	wantError(t, err, iam.CodeNoSuchEntity, "Policy arn:aws:iam::"+account+":policy/none does not exist or is not attachable.")
}

// A second node sees roles, policies, inline policies, attachments and
// boundaries through the change feed alone.
func TestRolePolicyStateFollowsFeed(t *testing.T) {
	ctx := t.Context()
	n, root, _ := nodes(t, 2)
	a, b := n[0], n[1]
	if _, err := a.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trustDoc}); err != nil {
		t.Fatal(err)
	}
	p, err := a.CreatePolicy(ctx, root, iam.CreatePolicyInput{PolicyName: "p", PolicyDocument: allow("s3:*")})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, a.AttachPolicy(ctx, root, iam.OwnerRole, "r", p.ARN))
	mustOK(t, a.PutInlinePolicy(ctx, root, iam.OwnerRole, "r", "inline", allow("ec2:*")))
	mustOK(t, a.PutRolePermissionsBoundary(ctx, root, "r", adminARN))
	if _, err := a.CreatePolicyVersion(ctx, root, p.ARN, allow("s3:Get*"), true); err != nil {
		t.Fatal(err)
	}
	mustOK(t, b.Sync(ctx))

	r, err := b.GetRole(ctx, root, "r")
	if err != nil || r.PermissionsBoundary != adminARN {
		t.Fatalf("node B GetRole = %+v, %v", r, err)
	}
	info, err := b.GetPolicy(ctx, root, p.ARN)
	if err != nil || info.AttachmentCount != 1 || info.DefaultVersionID != "v2" {
		t.Fatalf("node B GetPolicy = %+v, %v", info, err)
	}
	admin, err := b.GetPolicy(ctx, root, adminARN)
	if err != nil || admin.BoundaryUsageCount != 1 {
		t.Fatalf("node B AdministratorAccess = %+v, %v", admin, err)
	}
	ip, _, err := b.GetInlinePolicy(ctx, root, iam.OwnerRole, "r", "INLINE")
	if err != nil || ip.Document != allow("ec2:*") {
		t.Fatalf("node B GetInlinePolicy = %+v, %v", ip, err)
	}
	v, err := b.GetPolicyVersion(ctx, root, p.ARN, "v2")
	if err != nil || !v.IsDefault || v.Document != allow("s3:Get*") {
		t.Fatalf("node B GetPolicyVersion = %+v, %v", v, err)
	}

	// Deletions travel too.
	mustOK(t, a.DetachPolicy(ctx, root, iam.OwnerRole, "r", p.ARN))
	mustOK(t, a.DeleteInlinePolicy(ctx, root, iam.OwnerRole, "r", "inline"))
	mustOK(t, a.DeleteRolePermissionsBoundary(ctx, root, "r"))
	mustOK(t, a.DeleteRole(ctx, root, "r"))
	mustOK(t, a.DeletePolicyVersion(ctx, root, p.ARN, "v1"))
	mustOK(t, a.DeletePolicy(ctx, root, p.ARN))
	mustOK(t, b.Sync(ctx))
	if _, err := b.GetRole(ctx, root, "r"); iam.ErrorCode(err) != iam.CodeNoSuchEntity {
		t.Errorf("node B GetRole after delete: %v", err)
	}
	if _, err := b.GetPolicy(ctx, root, p.ARN); iam.ErrorCode(err) != iam.CodeNoSuchEntity {
		t.Errorf("node B GetPolicy after delete: %v", err)
	}
	admin, _ = b.GetPolicy(ctx, root, adminARN)
	if admin.BoundaryUsageCount != 0 {
		t.Errorf("node B boundary count after delete = %d", admin.BoundaryUsageCount)
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	r, err := f.svc.CreateServiceLinkedRole(ctx, f.root, "autoscaling.amazonaws.com", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "AWSServiceRoleForAutoScaling" || r.Path != "/aws-service-role/autoscaling.amazonaws.com/" || !r.IsServiceLinked() {
		t.Errorf("role = %+v", r)
	}
	attached, err := f.svc.ListAttachedPolicies(ctx, f.root, iam.OwnerRole, r.Name, iam.ListInput{})
	if err != nil || len(attached.Items) != 1 || attached.Items[0].Name != "AutoScalingServiceRolePolicy" {
		t.Errorf("attached = %+v, %v", attached.Items, err)
	}
	_, err = f.svc.CreateServiceLinkedRole(ctx, f.root, "autoscaling.amazonaws.com", "", "")
	wantError(t, err, iam.CodeInvalidInput, "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
	if _, err := f.svc.CreateServiceLinkedRole(ctx, f.root, "autoscaling.amazonaws.com", "", "two"); err != nil {
		t.Errorf("custom suffix: %v", err)
	}
	_, err = f.svc.CreateServiceLinkedRole(ctx, f.root, "es.amazonaws.com", "", "x")
	wantError(t, err, iam.CodeInvalidInput, "Custom suffix is not allowed for es.amazonaws.com")

	protected := "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS"
	for name, err := range map[string]error{
		"UpdateAssumeRolePolicy":     f.svc.UpdateAssumeRolePolicy(ctx, f.root, r.Name, trustDoc),
		"DeleteRole":                 f.svc.DeleteRole(ctx, f.root, r.Name),
		"PutRolePolicy":              f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerRole, r.Name, "p", allow("s3:*")),
		"AttachRolePolicy":           f.svc.AttachPolicy(ctx, f.root, iam.OwnerRole, r.Name, adminARN),
		"DetachRolePolicy":           f.svc.DetachPolicy(ctx, f.root, iam.OwnerRole, r.Name, attached.Items[0].ARN),
		"PutRolePermissionsBoundary": f.svc.PutRolePermissionsBoundary(ctx, f.root, r.Name, adminARN),
	} {
		t.Run(name, func(t *testing.T) { wantError(t, err, iam.CodeUnmodifiableEntity, protected) })
	}
	// The description stays editable.
	d := "scales"
	if _, err := f.svc.UpdateRole(ctx, f.root, r.Name, &d, nil); err != nil {
		t.Errorf("UpdateRole description: %v", err)
	}

	f.mustRole(t, "plain")
	_, err = f.svc.DeleteServiceLinkedRole(ctx, f.root, "plain")
	wantError(t, err, iam.CodeInvalidInput, "")
	task, err := f.svc.DeleteServiceLinkedRole(ctx, f.root, r.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(task, "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/") {
		t.Errorf("DeletionTaskId = %s", task)
	}
	status, err := f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.root, task)
	if err != nil || status != "SUCCEEDED" {
		t.Errorf("status = %s, %v", status, err)
	}
	_, err = f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.root, "bogus")
	wantError(t, err, iam.CodeInvalidInput, "")
	// Well formed, but never handed out.
	_, err = f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.root, task[:len(task)-36]+"00000000-0000-4000-8000-000000000000")
	wantError(t, err, iam.CodeNoSuchEntity, "")
	_, err = f.svc.GetRole(ctx, f.root, r.Name)
	wantError(t, err, iam.CodeNoSuchEntity, "")
	admin, err := f.svc.GetPolicy(ctx, f.root, attached.Items[0].ARN)
	// The suffixed role still has it.
	if err != nil || admin.AttachmentCount != 1 || admin.IsAttachable {
		t.Errorf("service role policy after delete = %+v, %v", admin, err)
	}
}

func TestInstanceProfiles(t *testing.T) {
	ctx := t.Context()
	n, root, open := nodes(t, 1)
	a := n[0]
	if _, err := a.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trustDoc}); err != nil {
		t.Fatal(err)
	}
	created, err := a.CreateInstanceProfile(ctx, root, "/ec2/", "web", []iam.Tag{{Key: "k", Value: "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if created.ARN() != "arn:aws:iam::"+account+":instance-profile/ec2/web" || !strings.HasPrefix(created.ID, "AIPA") || len(created.ID) != 21 {
		t.Errorf("created = %+v", created.InstanceProfile)
	}
	_, err = a.CreateInstanceProfile(ctx, root, "", "WEB", nil)
	wantError(t, err, iam.CodeEntityAlreadyExists, "Instance Profile WEB already exists.")
	_, err = a.GetInstanceProfile(ctx, root, "none")
	wantError(t, err, iam.CodeNoSuchEntity, "Instance Profile none cannot be found.")
	mustOK(t, a.AddRoleToInstanceProfile(ctx, root, "web", "r"))

	// A fresh node loads what this one followed.
	for _, s := range []*iam.Service{a, open()} {
		got, err := s.GetInstanceProfile(ctx, root, "Web")
		if err != nil || len(got.Roles) != 1 || got.Roles[0].Name != "r" || len(got.Tags) != 1 {
			t.Fatalf("GetInstanceProfile = %+v, %v", got, err)
		}
		forRole, err := s.ListInstanceProfilesForRole(ctx, root, "r", iam.ListInput{})
		if err != nil || len(forRole.Items) != 1 {
			t.Errorf("ListInstanceProfilesForRole = %+v, %v", forRole.Items, err)
		}
	}
	wantError(t, a.RemoveRoleFromInstanceProfile(ctx, root, "web", "nobody"), iam.CodeNoSuchEntity, "The role with name nobody cannot be found.")
	mustOK(t, a.RemoveRoleFromInstanceProfile(ctx, root, "web", "r"))
	mustOK(t, a.TagInstanceProfile(ctx, root, "web", []iam.Tag{{Key: "x", Value: "y"}}))
	mustOK(t, a.UntagInstanceProfile(ctx, root, "web", []string{"K", "k"})) // keys are case-sensitive here: "K" removes nothing
	tags, err := a.ListInstanceProfileTags(ctx, root, "web", iam.ListInput{})
	if err != nil || len(tags.Items) != 1 || tags.Items[0].Key != "x" {
		t.Errorf("tags = %+v, %v", tags.Items, err)
	}
	mustOK(t, a.DeleteRole(ctx, root, "r"))
	mustOK(t, a.DeleteInstanceProfile(ctx, root, "web"))
	list, err := a.ListInstanceProfiles(ctx, root, iam.ListInput{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("ListInstanceProfiles after delete = %+v, %v", list.Items, err)
	}
}
