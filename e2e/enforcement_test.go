package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// actor is an IAM user with an access key, driven through its own client.
type actor struct {
	name string
	iam  *iam.Client
	sts  *sts.Client
}

func (s *testServer) newActor(t *testing.T, name string) *actor {
	t.Helper()
	ctx := t.Context()
	root := s.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	return &actor{name: name, iam: s.iam(id, secret), sts: s.sts(id, secret)}
}

func putUserPolicy(t *testing.T, s *testServer, user, name, doc string) {
	t.Helper()
	if _, err := s.rootIAM().PutUserPolicy(t.Context(), &iam.PutUserPolicyInput{
		UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc),
	}); err != nil {
		t.Fatal(err)
	}
}

func listUsers(ctx context.Context, a *actor) error {
	_, err := a.iam.ListUsers(ctx, &iam.ListUsersInput{})
	return err
}

// TestEnforcementScenarios drives "alice may, bob may not" scenarios through
// the real HTTP API: every decision comes from the policy engine over the
// callers' policies as stored.
func TestEnforcementScenarios(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	alice, bob := s.newActor(t, "alice"), s.newActor(t, "bob")

	// Nobody may do anything without a policy.
	for _, a := range []*actor{alice, bob} {
		wantAPIError(t, listUsers(ctx, a), "AccessDenied", http.StatusForbidden)
	}

	t.Run("inline allow", func(t *testing.T) {
		putUserPolicy(t, s, "alice", "list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)
		if err := listUsers(ctx, alice); err != nil {
			t.Fatalf("alice ListUsers: %v", err)
		}
		wantAPIError(t, listUsers(ctx, bob), "AccessDenied", http.StatusForbidden)
		// Allowing ListUsers allows nothing else.
		_, err := alice.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
		e := wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		want := "User: arn:aws:iam::" + testAccount + ":user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" + testAccount + ":user/x because no identity-based policy allows the iam:CreateUser action"
		if e.ErrorMessage() != want {
			t.Errorf("message = %q\nwant %q", e.ErrorMessage(), want)
		}
	})

	t.Run("explicit deny wins", func(t *testing.T) {
		putUserPolicy(t, s, "alice", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:List*","Resource":"*"}]}`)
		e := wantAPIError(t, listUsers(ctx, alice), "AccessDenied", http.StatusForbidden)
		if !strings.HasSuffix(e.ErrorMessage(), "with an explicit deny in an identity-based policy") {
			t.Errorf("message = %q", e.ErrorMessage())
		}
		if _, err := root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("deny")}); err != nil {
			t.Fatal(err)
		}
		if err := listUsers(ctx, alice); err != nil {
			t.Fatalf("after removing the deny: %v", err)
		}
	})

	t.Run("group policy", func(t *testing.T) {
		if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("groups"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListGroups","iam:GetGroup"],"Resource":"*"}]}`)}); err != nil {
			t.Fatal(err)
		}
		_, err := bob.iam.ListGroups(ctx, &iam.ListGroupsInput{})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		if _, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		if _, err := bob.iam.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
			t.Fatalf("bob in readers: %v", err)
		}
		if _, err := root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("readers"), UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		_, err = bob.iam.ListGroups(ctx, &iam.ListGroupsInput{})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("AWS managed policy", func(t *testing.T) {
		arn := aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: arn}); err != nil {
			t.Fatal(err)
		}
		if err := listUsers(ctx, bob); err != nil {
			t.Fatalf("bob with IAMReadOnlyAccess: %v", err)
		}
		_, err := bob.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("nope")})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		if _, err := root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: arn}); err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, listUsers(ctx, bob), "AccessDenied", http.StatusForbidden)
	})

	t.Run("self-service with aws:username", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
		out, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SelfService"), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{"alice", "bob"} {
			if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u), PolicyArn: out.Policy.Arn}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := bob.iam.GetUser(ctx, &iam.GetUserInput{})
		if err != nil || aws.ToString(got.User.UserName) != "bob" {
			t.Fatalf("bob GetUser(self) = %v, %v", got, err)
		}
		_, err = bob.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		if _, err := alice.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
			t.Fatalf("alice ListAccessKeys(self): %v", err)
		}
	})

	t.Run("permissions boundary", func(t *testing.T) {
		// alice may create users, but her boundary allows only listing.
		putUserPolicy(t, s, "alice", "create", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"}]}`)
		b, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("OnlyList"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("alice"), PermissionsBoundary: b.Policy.Arn}); err != nil {
			t.Fatal(err)
		}
		_, err = alice.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("made-by-alice")})
		e := wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		if !strings.HasSuffix(e.ErrorMessage(), "because no permissions boundary allows the iam:CreateUser action") {
			t.Errorf("message = %q", e.ErrorMessage())
		}
		if err := listUsers(ctx, alice); err != nil {
			t.Fatalf("listing within the boundary: %v", err)
		}
		if _, err := root.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("made-by-alice")}); err != nil {
			t.Fatalf("after removing the boundary: %v", err)
		}
	})

	t.Run("condition on source IP and tags", func(t *testing.T) {
		if _, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}); err != nil {
			t.Fatal(err)
		}
		putUserPolicy(t, s, "bob", "conditional", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
			{"Effect":"Allow","Action":"iam:ListPolicies","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
		if _, err := bob.iam.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
			t.Fatalf("ListRoles from loopback with team=blue: %v", err)
		}
		_, err := bob.iam.ListPolicies(ctx, &iam.ListPoliciesInput{})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		if _, err := root.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("bob"), TagKeys: []string{"team"}}); err != nil {
			t.Fatal(err)
		}
		_, err = bob.iam.ListRoles(ctx, &iam.ListRolesInput{})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("GetCallerIdentity is never denied", func(t *testing.T) {
		putUserPolicy(t, s, "bob", "denyall", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
		if _, err := bob.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("GetCallerIdentity under deny-all: %v", err)
		}
	})
}
