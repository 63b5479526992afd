package e2e

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// The scenarios below are the tag-based (ABAC) and governance patterns of
// the IAM User Guide ("Controlling access to IAM resources using tags",
// "Permissions boundaries for IAM entities") driven through the SDK: each
// operation supplies the request-specific condition keys the Service
// Authorization Reference lists for it.

func iamTags(kv ...string) []types.Tag {
	var tags []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return tags
}

func wantDenied(t *testing.T, err error) {
	t.Helper()
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}

func wantOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestABACRequestTags: CreateUser allowed only with aws:RequestTag/team =
// blue, and tagging restricted to some keys with aws:TagKeys.
func TestABACRequestTags(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	a := s.newActor(t, "creator")
	putUserPolicy(t, s, "creator", "abac", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*",
		 "Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
		{"Effect":"Allow","Action":["iam:TagUser","iam:UntagUser"],"Resource":"*",
		 "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost-center"]}}}]}`)

	_, err := a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue1"), Tags: iamTags("team", "blue")})
	wantOK(t, "CreateUser with team=blue", err)
	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("untagged")})
	wantDenied(t, err)
	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("red1"), Tags: iamTags("team", "red")})
	wantDenied(t, err)
	// The key matches case-insensitively; the value does not.
	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue2"), Tags: iamTags("Team", "Blue")})
	wantDenied(t, err)

	_, err = a.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("blue1"), Tags: iamTags("cost-center", "42")})
	wantOK(t, "TagUser with an allowed key", err)
	_, err = a.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("blue1"), Tags: iamTags("cost-center", "7", "owner", "me")})
	wantDenied(t, err) // owner is not an allowed key
	_, err = a.iam.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("blue1"), TagKeys: []string{"cost-center"}})
	wantOK(t, "UntagUser of an allowed key", err)
	_, err = a.iam.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("blue1"), TagKeys: []string{"team", "owner"}})
	wantDenied(t, err)

	// The tags were written as allowed and nothing else.
	out, err := s.rootIAM().ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("blue1")})
	wantOK(t, "ListUserTags", err)
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" {
		t.Errorf("tags = %+v, want only team", out.Tags)
	}
}

// TestABACResourceTags: operations allowed only on users whose
// aws:ResourceTag/team matches the caller's ${aws:PrincipalTag/team}, and
// only on roles whose iam:ResourceTag/team does.
func TestABACResourceTags(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	a := s.newActor(t, "lead")
	_, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("lead"), Tags: iamTags("team", "blue")})
	wantOK(t, "tag lead", err)
	for _, u := range []struct{ name, team string }{{"mate", "blue"}, {"stranger", "red"}, {"loner", ""}} {
		in := &iam.CreateUserInput{UserName: aws.String(u.name)}
		if u.team != "" {
			in.Tags = iamTags("team", u.team)
		}
		_, err := root.CreateUser(ctx, in)
		wantOK(t, "create "+u.name, err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct{ name, team string }{{"blue-app", "blue"}, {"red-app", "red"}} {
		_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(trust), Tags: iamTags("team", r.team)})
		wantOK(t, "create "+r.name, err)
	}
	putUserPolicy(t, s, "lead", "abac", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:GetUser","iam:CreateLoginProfile","iam:TagUser"],"Resource":"*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
		{"Effect":"Allow","Action":["iam:GetRole","iam:UpdateRole"],"Resource":"*",
		 "Condition":{"StringEquals":{"iam:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`)

	_, err = a.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("mate")})
	wantOK(t, "GetUser on a teammate", err)
	_, err = a.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("stranger")})
	wantDenied(t, err)
	_, err = a.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("loner")})
	wantDenied(t, err)
	_, err = a.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("mate"), Password: aws.String("Correct-Horse-9")})
	wantOK(t, "CreateLoginProfile for a teammate", err)
	_, err = a.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("stranger"), Password: aws.String("Correct-Horse-9")})
	wantDenied(t, err)
	// A missing user is not tagged: denied rather than NoSuchEntity.
	_, err = a.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantDenied(t, err)
	// Retagging the red user blue is denied: its current tag decides.
	_, err = a.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("stranger"), Tags: iamTags("team", "blue")})
	wantDenied(t, err)

	_, err = a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("blue-app")})
	wantOK(t, "GetRole on a team role", err)
	_, err = a.iam.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("blue-app"), Description: aws.String("ours")})
	wantOK(t, "UpdateRole on a team role", err)
	_, err = a.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("red-app")})
	wantDenied(t, err)
}

// TestGovernancePolicyARNAndBoundary: AttachUserPolicy allowed for one
// iam:PolicyARN only; CreateUser allowed only with a given
// iam:PermissionsBoundary, and policy changes only on users that have it.
func TestGovernancePolicyARNAndBoundary(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	a := s.newActor(t, "admin")
	boundary := "arn:aws:iam::aws:policy/PowerUserAccess"
	const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	putUserPolicy(t, s, "admin", "governance", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:DetachUserPolicy"],"Resource":"*",
		 "Condition":{"ArnEquals":{"iam:PolicyARN":"`+readOnly+`"}}},
		{"Effect":"Allow","Action":["iam:CreateUser","iam:PutUserPolicy","iam:PutUserPermissionsBoundary"],"Resource":"*",
		 "Condition":{"StringEquals":{"iam:PermissionsBoundary":"`+boundary+`"}}}]}`)
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("target")})
	wantOK(t, "create target", err)

	_, err = a.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("target"), PolicyArn: aws.String(readOnly)})
	wantOK(t, "AttachUserPolicy of the allowed policy", err)
	_, err = a.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("target"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantDenied(t, err)
	_, err = a.iam.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("target"), PolicyArn: aws.String(readOnly)})
	wantOK(t, "DetachUserPolicy of the allowed policy", err)

	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)})
	wantOK(t, "CreateUser with the boundary", err)
	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("free")})
	wantDenied(t, err)
	_, err = a.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other"), PermissionsBoundary: aws.String(readOnly)})
	wantDenied(t, err)

	// Inline policies only on users that carry the boundary.
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	_, err = a.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bounded"), PolicyName: aws.String("p"), PolicyDocument: doc})
	wantOK(t, "PutUserPolicy on a bounded user", err)
	_, err = a.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("target"), PolicyName: aws.String("p"), PolicyDocument: doc})
	wantDenied(t, err)
	// Setting the boundary is judged by the new boundary.
	_, err = a.iam.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("target"), PermissionsBoundary: aws.String(boundary)})
	wantOK(t, "PutUserPermissionsBoundary to the boundary", err)
	_, err = a.iam.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("target"), PermissionsBoundary: aws.String(readOnly)})
	wantDenied(t, err)
	_, err = a.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("target"), PolicyName: aws.String("p"), PolicyDocument: doc})
	wantOK(t, "PutUserPolicy once the boundary is set", err)
}

// TestABACSessionTags: session tags passed to AssumeRole become
// aws:PrincipalTag in the role's permissions, overriding the role's own.
func TestABACSessionTags(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	a := s.newActor(t, "dev")
	roleARN := "arn:aws:iam::" + testAccount + ":role/Worker"
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Worker"), Tags: iamTags("project", "none"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/dev"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)})
	wantOK(t, "CreateRole", err)
	_, err = root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Worker"), PolicyName: aws.String("abac"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*",
			"Condition":{"StringEquals":{"aws:ResourceTag/project":"${aws:PrincipalTag/project}"}}}]}`)})
	wantOK(t, "PutRolePolicy", err)
	for _, u := range []struct{ name, project string }{{"alpha-user", "alpha"}, {"beta-user", "beta"}} {
		_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Tags: iamTags("project", u.project)})
		wantOK(t, "create "+u.name, err)
	}
	putUserPolicy(t, s, "dev", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"`+roleARN+`"}]}`)

	out, err := a.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("alpha"),
		Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("alpha")}}})
	wantOK(t, "AssumeRole with a session tag", err)
	sessIAM, _ := s.sessionClients(out.Credentials)
	_, err = sessIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alpha-user")})
	wantOK(t, "GetUser matching the session tag", err)
	_, err = sessIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("beta-user")})
	wantDenied(t, err)

	// Without a session tag the role's own tag (project=none) applies.
	out, err = a.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("plain")})
	wantOK(t, "AssumeRole", err)
	plainIAM, _ := s.sessionClients(out.Credentials)
	_, err = plainIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alpha-user")})
	wantDenied(t, err)
}

// TestDecodeAuthorizationMessage: iamd encodes no authorization messages,
// so every message is invalid, once sts:DecodeAuthorizationMessage is
// allowed.
func TestDecodeAuthorizationMessage(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	a := s.newActor(t, "reader")
	_, err := a.sts.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("rHU-pVHMSckD0OAc5l3r9")})
	wantDenied(t, err)
	putUserPolicy(t, s, "reader", "decode", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}`)
	_, err = a.sts.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("rHU-pVHMSckD0OAc5l3r9")})
	wantAPIError(t, err, "InvalidAuthorizationMessageException", http.StatusBadRequest)
	var invalid *ststypes.InvalidAuthorizationMessageException
	if !errors.As(err, &invalid) {
		t.Errorf("error %v is not the SDK's InvalidAuthorizationMessageException", err)
	}
}
