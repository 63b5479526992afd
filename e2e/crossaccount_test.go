package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestCrossAccountAssumeRole: two accounts in one deployment. A role in
// account B trusts a user of account A; the user needs both B's trust
// policy and an identity policy in A, as on AWS.
func TestCrossAccountAssumeRole(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	const accountB = "444455556666"
	b, err := s.Service.CreateAccount(ctx, accountB)
	if err != nil {
		t.Fatal(err)
	}
	rootB := s.iam(b.RootAccessKeyID, b.RootSecret)
	id, err := s.sts(b.RootAccessKeyID, b.RootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != accountB {
		t.Fatalf("account B root = %v, %v", id, err)
	}
	// Accounts are isolated: B's root sees none of A's users.
	if _, err := s.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dora")}); err != nil {
		t.Fatal(err)
	}
	lu, err := rootB.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(lu.Users) != 0 {
		t.Fatalf("account B ListUsers = %v, %v; want none", lu, err)
	}
	if _, err := rootB.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dora")}); err == nil {
		t.Fatal("account B's root read account A's user")
	}

	erin := s.newActor(t, "erin")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/erin"},"Action":"sts:AssumeRole"}]}`
	r, err := rootB.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Partner"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rootB.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Partner"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}

	// Trusted by B, but A has not allowed erin to assume anything: denied.
	_, err = erin.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("x-acct")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	putUserPolicy(t, s, "erin", "assume-partner", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::`+accountB+`:role/*"}]}`)
	out, err := erin.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("x-acct")})
	if err != nil {
		t.Fatalf("cross-account AssumeRole: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+accountB+":assumed-role/Partner/") {
		t.Errorf("assumed role = %s", aws.ToString(out.AssumedRoleUser.Arn))
	}
	sessIAM, sessSTS := s.sessionClients(out.Credentials)
	who, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != accountB {
		t.Fatalf("session identity = %v, %v", who, err)
	}
	// The session acts in account B with the role's permissions.
	if _, err := rootB.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bee")}); err != nil {
		t.Fatal(err)
	}
	lb, err := sessIAM.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(lb.Users) != 1 || aws.ToString(lb.Users[0].UserName) != "bee" {
		t.Fatalf("session ListUsers in B = %v, %v", lb, err)
	}
	_, err = sessIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	// A trust policy naming another user of A does not let erin in.
	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/dora"},"Action":"sts:AssumeRole"}]}`
	r2, err := rootB.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("DoraOnly"), AssumeRolePolicyDocument: aws.String(other)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = erin.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Role.Arn, RoleSessionName: aws.String("x-acct")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}
