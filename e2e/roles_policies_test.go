package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

var (
	roleIDPattern   = regexp.MustCompile(`^AROA[A-Z2-7]{17}$`)
	policyIDPattern = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
)

const trustEC2 = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}`

func allowDoc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// sizedDoc returns an identity policy of exactly n policy.Size units.
func sizedDoc(t *testing.T, n int) string {
	t.Helper()
	base := `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	pad := n - len(base)
	if pad < 0 {
		t.Fatalf("sizedDoc(%d) is below the minimum %d", n, len(base))
	}
	return strings.Replace(base, `"Sid":""`, `"Sid":"`+strings.Repeat("A", pad)+`"`, 1)
}

// listingIAM is a root client that retries, for large listings: big
// answers from a fast local server expose an aws-sdk-go-v2 race that closes
// the connection under a good response (aws/aws-sdk-go-v2#2737), which the
// SDK's default retryer absorbs and the harness's one-attempt clients do
// not. Errors are still checked with the one-attempt clients.
func listingIAM(s *testServer) *iam.Client {
	return iam.NewFromConfig(s.awsConfig(rootKeyID, rootSecretKey, ""), func(o *iam.Options) { o.RetryMaxAttempts = 3 })
}

func decoded(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", aws.ToString(s), err)
	}
	return d
}

func TestRoleLifecycle(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()

	created, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("app"),
		Path:                     aws.String("/svc/"),
		AssumeRolePolicyDocument: aws.String(trustEC2),
		Description:              aws.String("the app"),
		Tags:                     []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := created.Role
	if !roleIDPattern.MatchString(aws.ToString(r.RoleId)) {
		t.Errorf("RoleId = %s", aws.ToString(r.RoleId))
	}
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::"+testAccount+":role/svc/app"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if aws.ToInt32(r.MaxSessionDuration) != 3600 {
		t.Errorf("MaxSessionDuration = %d, want 3600", aws.ToInt32(r.MaxSessionDuration))
	}
	// The SDK hands the document over as AWS sends it: URL-encoded.
	if raw := aws.ToString(r.AssumeRolePolicyDocument); !strings.HasPrefix(raw, "%7B%0A%20%20%22Version%22") {
		t.Errorf("AssumeRolePolicyDocument = %.40s..., want RFC 3986 encoding", raw)
	}
	if decoded(t, r.AssumeRolePolicyDocument) != trustEC2 {
		t.Errorf("decoded trust policy differs from the one submitted")
	}

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("APP")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Role.RoleLastUsed == nil || got.Role.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("RoleLastUsed = %+v, want present and empty", got.Role.RoleLastUsed)
	}
	if aws.ToString(got.Role.Description) != "the app" || len(got.Role.Tags) != 1 {
		t.Errorf("GetRole = %+v", got.Role)
	}

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("App"), AssumeRolePolicyDocument: aws.String(trustEC2)})
	e := wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)
	if e.ErrorMessage() != "Role with name App already exists." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(allowDoc("s3:*"))})
	wantAPIError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("long"), AssumeRolePolicyDocument: aws.String(trustEC2), MaxSessionDuration: aws.Int32(43201)})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)

	if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	ud, err := c.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("app"), Description: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ud.Role.Description) != "new" || aws.ToInt32(ud.Role.MaxSessionDuration) != 7200 {
		t.Errorf("after updates: %+v", ud.Role)
	}
	trust2 := strings.ReplaceAll(trustEC2, "ec2", "lambda")
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"), PolicyDocument: aws.String(trust2)}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/svc/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Roles) != 1 || decoded(t, list.Roles[0].AssumeRolePolicyDocument) != trust2 {
		t.Fatalf("ListRoles = %+v", list.Roles)
	}
	if list.Roles[0].Tags != nil || list.Roles[0].RoleLastUsed != nil {
		t.Errorf("ListRoles returned tags or RoleLastUsed, which AWS leaves out")
	}

	if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("app"), TagKeys: []string{"TEAM"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags = %+v", tags.Tags)
	}

	// DeleteRole refuses while policies remain.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("s3:*"))}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	e = wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if e.ErrorMessage() != "Cannot delete entity, must delete policies first." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("P")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	e = wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if e.ErrorMessage() != "Cannot delete entity, must detach all policies first." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "The role with name app cannot be found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
}

func TestManagedPolicyVersions(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()

	doc := allowDoc("s3:GetObject")
	created, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("reader"), Path: aws.String("/team/"), PolicyDocument: aws.String(doc),
		Description: aws.String("reads"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := created.Policy
	arn := "arn:aws:iam::" + testAccount + ":policy/team/reader"
	if aws.ToString(p.Arn) != arn || !policyIDPattern.MatchString(aws.ToString(p.PolicyId)) ||
		aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable || aws.ToInt32(p.AttachmentCount) != 0 {
		t.Errorf("CreatePolicy = %+v", p)
	}
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("READER"), PolicyDocument: aws.String(doc)})
	e := wantAPIError(t, err, "EntityAlreadyExists", http.StatusConflict)
	if e.ErrorMessage() != "A policy called READER already exists. Duplicate names are not allowed." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(sizedDoc(t, 6145))})
	e = wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Cannot exceed quota for PolicySize: 6144" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("max"), PolicyDocument: aws.String(sizedDoc(t, 6144))}); err != nil {
		t.Errorf("a 6144-character policy: %v", err)
	}

	for i := 2; i <= 5; i++ {
		v, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(allowDoc(fmt.Sprintf("s3:Get%d", i))), SetAsDefault: i == 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(v.PolicyVersion.VersionId); got != fmt.Sprintf("v%d", i) {
			t.Errorf("version %d: VersionId %s", i, got)
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc)})
	e = wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gp.Policy.DefaultVersionId) != "v3" || aws.ToString(gp.Policy.Description) != "reads" || len(gp.Policy.Tags) != 1 {
		t.Errorf("GetPolicy = %+v", gp.Policy)
	}
	gv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if decoded(t, gv.PolicyVersion.Document) != doc || gv.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion v1 = %+v", gv.PolicyVersion)
	}
	lv, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	if strings.Join(ids, ",") != "v5,v4,v3,v2,v1" {
		t.Errorf("ListPolicyVersions = %v", ids)
	}

	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	e = wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if e.ErrorMessage() != "Cannot delete the default version of a policy." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	for _, v := range []string{"v1", "v2", "v4"} {
		if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	// Version numbers are never reused.
	v, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v.PolicyVersion.VersionId) != "v6" {
		t.Errorf("next version = %s, want v6", aws.ToString(v.PolicyVersion.VersionId))
	}
	if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v6")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "Policy "+arn+" was not found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
}

func TestAttachmentsAndCounts(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(allowDoc("s3:*"))})
	if err != nil {
		t.Fatal(err)
	}
	mine := cp.Policy.Arn
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: mine}); err != nil {
		t.Fatal(err)
	}
	// Attaching again is not an error and does not count twice.
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: mine}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: mine}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: mine}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: mine})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(gp.Policy.AttachmentCount) != 3 {
		t.Errorf("AttachmentCount = %d, want 3", aws.ToInt32(gp.Policy.AttachmentCount))
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: mine})
	if err != nil {
		t.Fatal(err)
	}
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyGroups) != 1 || len(ents.PolicyRoles) != 1 ||
		aws.ToString(ents.PolicyRoles[0].RoleName) != "app" {
		t.Errorf("ListEntitiesForPolicy = %+v", ents)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: mine})
	e := wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if e.ErrorMessage() != "Cannot delete a policy attached to entities." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)

	// The per-user quota of 10: nine AWS policies join the one attached.
	awsList, err := listingIAM(s).ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, PathPrefix: aws.String("/"), MaxItems: aws.Int32(40)})
	if err != nil {
		t.Fatal(err)
	}
	n := 1
	var extra *string
	for _, p := range awsList.Policies {
		if !p.IsAttachable {
			continue
		}
		if n == 10 {
			extra = p.Arn
			break
		}
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: p.Arn}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: extra})
	e = wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Cannot exceed quota for PoliciesPerUser: 10" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	attached, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice"), MaxItems: aws.Int32(4)})
	if err != nil {
		t.Fatal(err)
	}
	if len(attached.AttachedPolicies) != 4 || !attached.IsTruncated {
		t.Errorf("ListAttachedUserPolicies page = %d items, truncated %v", len(attached.AttachedPolicies), attached.IsTruncated)
	}
	only, err := listingIAM(s).ListPolicies(ctx, &iam.ListPoliciesInput{OnlyAttached: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(only.Policies) != 10 {
		t.Errorf("ListPolicies OnlyAttached = %d policies, want 10", len(only.Policies))
	}

	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: extra})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "Policy "+aws.ToString(extra)+" was not found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("not-an-arn-at-all-here")})
	wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
}

func TestInlinePolicySizes(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	// Whitespace does not count: 2048 units fit a user with room to spare in bytes.
	doc := sizedDoc(t, 1024)
	spaced := strings.ReplaceAll(doc, ",", ",\n    ")
	for _, name := range []string{"one", "two"} {
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(name), PolicyDocument: aws.String(spaced)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("three"), PolicyDocument: aws.String(allowDoc("s3:*"))})
	e := wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Maximum policy size of 2048 bytes exceeded for user alice" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	// Replacing a policy counts its new size, not both.
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("TWO"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	if decoded(t, got.PolicyDocument) != spaced || aws.ToString(got.UserName) != "alice" {
		t.Errorf("GetUserPolicy = %+v", got)
	}
	names, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names.PolicyNames, ",") != "one,two" {
		t.Errorf("ListUserPolicies = %v", names.PolicyNames)
	}

	// A role's inline policy may exceed the managed policy size.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("big"), PolicyDocument: aws.String(sizedDoc(t, 10240))}); err != nil {
		t.Fatalf("10240-unit role policy: %v", err)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("more"), PolicyDocument: aws.String(allowDoc("s3:*"))})
	e = wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Maximum policy size of 10240 bytes exceeded for role app" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("nope")})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "The role policy with name nope cannot be found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(trustEC2)})
	wantAPIError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
}

func TestAWSManagedPolicies(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(admin)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(gp.Policy.PolicyName) != "AdministratorAccess" || !policyIDPattern.MatchString(aws.ToString(gp.Policy.PolicyId)) {
		t.Errorf("GetPolicy = %+v", gp.Policy)
	}
	gv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(admin), VersionId: gp.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(decoded(t, gv.PolicyVersion.Document), `"Action":"*"`) || !gv.PolicyVersion.IsDefaultVersion {
		t.Errorf("AdministratorAccess document = %s", decoded(t, gv.PolicyVersion.Document))
	}

	// Every AWS policy is listed, in pages.
	p := iam.NewListPoliciesPaginator(listingIAM(s), &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(500)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Policies)
	}
	if n != 1594 {
		t.Errorf("AWS managed policies listed: %d, want 1594", n)
	}

	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	gp, _ = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(admin)})
	if aws.ToInt32(gp.Policy.AttachmentCount) != 1 {
		t.Errorf("AttachmentCount = %d, want this account's 1", aws.ToInt32(gp.Policy.AttachmentCount))
	}
	// AWS managed policies cannot be changed: the account does not own them.
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(admin), PolicyDocument: aws.String(allowDoc("s3:*"))})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(admin)})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}

func TestPermissionsBoundaries(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("fence"), PolicyDocument: aws.String(allowDoc("s3:*"))})
	if err != nil {
		t.Fatal(err)
	}
	fence := cp.Policy.Arn
	u, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), PermissionsBoundary: fence})
	if err != nil {
		t.Fatal(err)
	}
	if u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(fence) {
		t.Errorf("CreateUser boundary = %+v", u.User.PermissionsBoundary)
	}
	r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Role.PermissionsBoundary == nil || r.Role.PermissionsBoundary.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("CreateRole boundary = %+v", r.Role.PermissionsBoundary)
	}
	if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: fence}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: fence})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount) != 2 || aws.ToInt32(gp.Policy.AttachmentCount) != 0 {
		t.Errorf("counts = %d attachments, %d boundaries; want 0, 2", aws.ToInt32(gp.Policy.AttachmentCount), aws.ToInt32(gp.Policy.PermissionsBoundaryUsageCount))
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: fence})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol"), PermissionsBoundary: aws.String("arn:aws:iam::" + testAccount + ":policy/none")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)

	if _, err := c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if gr.Role.PermissionsBoundary != nil {
		t.Errorf("boundary after delete = %+v", gr.Role.PermissionsBoundary)
	}
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: fence}); err != nil {
		t.Fatal(err)
	}
}

func TestServiceLinkedRole(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	out, err := c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Arn) != "arn:aws:iam::"+testAccount+":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS" {
		t.Errorf("Arn = %s", aws.ToString(out.Role.Arn))
	}
	_, err = c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	e := wantAPIError(t, err, "UnmodifiableEntity", http.StatusBadRequest)
	if e.ErrorMessage() != "Cannot perform the operation on the protected role 'AWSServiceRoleForECS' - this role is only modifiable by AWS" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	del, err := c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Errorf("Status = %s", st.Status)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForECS")})
	wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestInstanceProfiles(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	c := s.rootIAM()
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web"), Path: aws.String("/ec2/")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.InstanceProfile.Arn) != "arn:aws:iam::"+testAccount+":instance-profile/ec2/web" || len(created.InstanceProfile.Roles) != 0 {
		t.Errorf("CreateInstanceProfile = %+v", created.InstanceProfile)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")})
	e := wantAPIError(t, err, "LimitExceeded", http.StatusConflict)
	if e.ErrorMessage() != "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	got, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.InstanceProfile.Roles) != 1 || aws.ToString(got.InstanceProfile.Roles[0].RoleName) != "app" ||
		decoded(t, got.InstanceProfile.Roles[0].AssumeRolePolicyDocument) != trustEC2 {
		t.Errorf("GetInstanceProfile roles = %+v", got.InstanceProfile.Roles)
	}
	forRole, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if len(forRole.InstanceProfiles) != 1 {
		t.Errorf("ListInstanceProfilesForRole = %d profiles", len(forRole.InstanceProfiles))
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	e = wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if e.ErrorMessage() != "Cannot delete entity, must remove roles from instance profile first." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	wantAPIError(t, err, "DeleteConflict", http.StatusConflict)
	if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})
	if err != nil || len(tags.Tags) != 1 {
		t.Errorf("ListInstanceProfileTags = %+v, %v", tags, err)
	}
	if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	e = wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
	if e.ErrorMessage() != "Instance Profile web cannot be found." {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	list, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	if err != nil || len(list.InstanceProfiles) != 0 {
		t.Errorf("ListInstanceProfiles = %+v, %v", list, err)
	}
}
