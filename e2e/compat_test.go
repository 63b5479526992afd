package e2e

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Regression tests for the wire-compatibility sweep (bench/compat/sweep.py):
// each case is a difference from AWS that the sweep found.

// TestCompatSessionTagRules: STS refuses session tags whose keys differ only
// in case (AssumeRole API reference, Tags: "you cannot have separate
// Department and department tag keys"), transitive keys that name no tag
// passed, and, in a role chain, tags that would override a transitive tag of
// the calling session; each with InvalidParameterValue (an AWS common error,
// HTTP 400), since STS has no InvalidInput code.
func TestCompatSessionTagRules(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	caller := s.newActor(t, "caller")
	putUserPolicy(t, s, "caller", "sts", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:GetFederationToken"],"Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	for _, name := range []string{"first", "second"} {
		if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("first"), PolicyName: aws.String("chain"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	roleARN := func(name string) *string { return aws.String("arn:aws:iam::" + testAccount + ":role/" + name) }
	tag := func(k, v string) ststypes.Tag { return ststypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

	const (
		dupMsg        = "Duplicate tag keys found. Please note that Tag keys are case insensitive."
		transitiveMsg = "The specified transitive tag key must be included in the requested tags."
		conflictMsg   = "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session."
	)
	cases := []struct {
		name string
		in   sts.AssumeRoleInput
		msg  string // "" for success
	}{
		{"duplicate keys differing in case", sts.AssumeRoleInput{Tags: []ststypes.Tag{tag("Team", "a"), tag("team", "b")}}, dupMsg},
		{"exact duplicate keys", sts.AssumeRoleInput{Tags: []ststypes.Tag{tag("team", "a"), tag("team", "a")}}, dupMsg},
		{"transitive key not passed", sts.AssumeRoleInput{Tags: []ststypes.Tag{tag("team", "a")}, TransitiveTagKeys: []string{"project"}}, transitiveMsg},
		{"transitive key in another case", sts.AssumeRoleInput{Tags: []ststypes.Tag{tag("Team", "a")}, TransitiveTagKeys: []string{"team"}}, ""},
		{"distinct keys", sts.AssumeRoleInput{Tags: []ststypes.Tag{tag("team", "a"), tag("project", "b")}, TransitiveTagKeys: []string{"team"}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.RoleArn, in.RoleSessionName = roleARN("first"), aws.String("s1")
			_, err := caller.sts.AssumeRole(ctx, &in)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("AssumeRole: %v", err)
				}
				return
			}
			e := wantAPIError(t, err, "InvalidParameterValue", http.StatusBadRequest)
			if e.ErrorMessage() != tc.msg {
				t.Errorf("message = %q, want %q", e.ErrorMessage(), tc.msg)
			}
		})
	}

	_, err := caller.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Tags: []ststypes.Tag{tag("a", "1"), tag("A", "2")}})
	if e := wantAPIError(t, err, "InvalidParameterValue", http.StatusBadRequest); e.ErrorMessage() != dupMsg {
		t.Errorf("GetFederationToken duplicate tags: message = %q", e.ErrorMessage())
	}

	// Role chaining: the first session marks "team" transitive; the second
	// call may add other tags but not set "team" again, in any case.
	out, err := caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN("first"), RoleSessionName: aws.String("s1"),
		Tags: []ststypes.Tag{tag("team", "core")}, TransitiveTagKeys: []string{"team"}})
	if err != nil {
		t.Fatal(err)
	}
	_, chained := s.sessionClients(out.Credentials)
	_, err = chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN("second"), RoleSessionName: aws.String("s2"), Tags: []ststypes.Tag{tag("TEAM", "other")}})
	if e := wantAPIError(t, err, "InvalidParameterValue", http.StatusBadRequest); e.ErrorMessage() != conflictMsg {
		t.Errorf("chained override: message = %q, want %q", e.ErrorMessage(), conflictMsg)
	}
	if _, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN("second"), RoleSessionName: aws.String("s2"), Tags: []ststypes.Tag{tag("project", "x")}}); err != nil {
		t.Fatalf("chained AssumeRole with a new tag key: %v", err)
	}
}

// TestCompatSourceIdentityFixed: a source identity set when a role chain
// starts cannot be changed further down the chain (IAM User Guide, "Monitor
// and control actions taken with assumed roles": "The value that is set
// cannot be changed during the role session"); STS answers ValidationError.
func TestCompatSourceIdentityFixed(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	caller := s.newActor(t, "caller")
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"*"}]}`
	putUserPolicy(t, s, "caller", "sts", allow)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`
	for _, name := range []string{"first", "second"} {
		if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("sts"), PolicyDocument: aws.String(allow)}); err != nil {
			t.Fatal(err)
		}
	}
	second := aws.String("arn:aws:iam::" + testAccount + ":role/second")
	out, err := caller.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/first"),
		RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	_, chained := s.sessionClients(out.Credentials)
	_, err = chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second, RoleSessionName: aws.String("s2"), SourceIdentity: aws.String("mallory")})
	if e := wantAPIError(t, err, "ValidationError", http.StatusBadRequest); e.ErrorMessage() != "The source identity is already set for this assume role session" {
		t.Errorf("message = %q", e.ErrorMessage())
	}
	// The inherited source identity still needs sts:SetSourceIdentity in
	// the next role's trust policy.
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("third"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/third"), RoleSessionName: aws.String("s3")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	for _, si := range []*string{nil, aws.String("alice")} {
		out, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second, RoleSessionName: aws.String("s2"), SourceIdentity: si})
		if err != nil {
			t.Fatalf("chained AssumeRole, SourceIdentity %v: %v", aws.ToString(si), err)
		}
		if got := aws.ToString(out.SourceIdentity); got != "alice" {
			t.Errorf("chained SourceIdentity = %q, want alice (inherited)", got)
		}
	}
}

// TestCompatTrustPolicyPrincipalMustExist: IAM resolves the users and roles
// a trust policy names when it saves the policy and refuses one that does
// not exist with MalformedPolicyDocument, `Invalid principal in policy:
// "AWS":"<arn>"` (AWS Knowledge Center, "How do I resolve the IAM trust
// policy error Invalid principal in policy"). Principals of accounts iamd
// does not host cannot be checked and pass.
func TestCompatTrustPolicyPrincipalMustExist(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/")}); err != nil {
		t.Fatal(err)
	}
	trust := func(principal string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"}]}`)
	}
	acct := "arn:aws:iam::" + testAccount + ":"
	cases := []struct {
		principal string
		ok        bool
	}{
		{acct + "user/eng/alice", true},
		{acct + "user/eng/Alice", true}, // names are case-insensitive
		{acct + "root", true},
		{testAccount, true},
		{"arn:aws:iam::210987654321:user/elsewhere", true}, // another account: not checked
		{acct + "user/bob", false},
		{acct + "user/alice", false}, // wrong path
		{acct + "role/missing", false},
	}
	for i, tc := range cases {
		name := "r" + string(rune('a'+i))
		_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: trust(tc.principal)})
		if tc.ok {
			if err != nil {
				t.Errorf("CreateRole trusting %s: %v", tc.principal, err)
			}
			continue
		}
		e := wantAPIError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
		if want := `Invalid principal in policy: "AWS":"` + tc.principal + `"`; e.ErrorMessage() != want {
			t.Errorf("CreateRole trusting %s: message = %q, want %q", tc.principal, e.ErrorMessage(), want)
		}
	}
	// UpdateAssumeRolePolicy checks the same way; the role's own ARN is valid
	// once the role exists.
	_, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ra"), PolicyDocument: trust(acct + "user/bob")})
	wantAPIError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ra"), PolicyDocument: trust(acct + "role/ra")}); err != nil {
		t.Errorf("UpdateAssumeRolePolicy trusting the role itself: %v", err)
	}
}

// TestCompatTagRules: tag keys are case-insensitive on users and roles but
// case-sensitive on the other taggable resources, and no tag key or value
// may begin with "aws:" (IAM User Guide, "Rules for tagging in IAM and AWS
// STS"; session tags follow the same naming rules).
func TestCompatTagRules(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	tag := func(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }
	keys := func(tags []iamtypes.Tag) map[string]string {
		m := map[string]string{}
		for _, t := range tags {
			m[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return m
	}

	// A customer managed policy keeps Costcenter and costcenter apart.
	p, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), Tags: []iamtypes.Tag{tag("Costcenter", "1234")},
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: p.Policy.Arn, Tags: []iamtypes.Tag{tag("costcenter", "5678")}}); err != nil {
		t.Fatal(err)
	}
	lp, err := root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Policy.Arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(lp.Tags); len(got) != 2 || got["Costcenter"] != "1234" || got["costcenter"] != "5678" {
		t.Errorf("policy tags = %v, want Costcenter=1234 and costcenter=5678", got)
	}
	if _, err := root.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: p.Policy.Arn, TagKeys: []string{"COSTCENTER", "costcenter"}}); err != nil {
		t.Fatal(err)
	}
	lp, _ = root.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Policy.Arn})
	if got := keys(lp.Tags); len(got) != 1 || got["Costcenter"] != "1234" {
		t.Errorf("policy tags after untagging costcenter = %v, want only Costcenter", got)
	}

	// A user's Department and department are one tag.
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u"), Tags: []iamtypes.Tag{tag("Department", "finance")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: []iamtypes.Tag{tag("department", "hr")}}); err != nil {
		t.Fatal(err)
	}
	lu, err := root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("u")})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(lu.Tags); len(got) != 1 || got["Department"] != "hr" {
		t.Errorf("user tags = %v, want Department=hr", got)
	}

	// The reserved prefix, in a key or a value, on every kind of call.
	for _, bad := range []iamtypes.Tag{tag("aws:owner", "x"), tag("owner", "aws:x")} {
		_, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: []iamtypes.Tag{bad}})
		wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
		_, err = root.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: p.Policy.Arn, Tags: []iamtypes.Tag{bad}})
		wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
		_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), Tags: []iamtypes.Tag{bad},
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
	}
	// Upper-case AWS: is an ordinary key.
	if _, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("u"), Tags: []iamtypes.Tag{tag("AWS:owner", "x")}}); err != nil {
		t.Errorf("TagUser AWS:owner: %v", err)
	}
	caller := s.newActor(t, "caller")
	putUserPolicy(t, s, "caller", "sts", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","sts:TagSession"],"Resource":"*"}]}`)
	_, err = caller.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("fed"), Tags: []ststypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantAPIError(t, err, "InvalidParameterValue", http.StatusBadRequest)
}
