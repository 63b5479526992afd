package e2e

import (
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestAccountSummaryAndAuthorizationDetails(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g1"), UserName: aws.String("u1")}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u1"), PolicyName: aws.String("inl"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g1"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p1"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}

	sum, err := root.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]int32{"Users": 1, "Groups": 1, "Roles": 1, "Policies": 1, "UsersQuota": 5000,
		"AccessKeysPerUserQuota": 2, "AccountAccessKeysPresent": 1, "PolicyVersionsInUse": 2, "AccountMFAEnabled": 0} {
		if got := sum.SummaryMap[k]; got != want {
			t.Errorf("SummaryMap[%s] = %d, want %d", k, got, want)
		}
	}

	d, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.UserDetailList) != 1 || len(d.GroupDetailList) != 1 || len(d.RoleDetailList) != 1 {
		t.Fatalf("details: %d users, %d groups, %d roles", len(d.UserDetailList), len(d.GroupDetailList), len(d.RoleDetailList))
	}
	u := d.UserDetailList[0]
	if len(u.GroupList) != 1 || u.GroupList[0] != "g1" || len(u.UserPolicyList) != 1 {
		t.Errorf("user detail = %+v", u)
	}
	if got, _ := url.QueryUnescape(aws.ToString(u.UserPolicyList[0].PolicyDocument)); got != doc {
		t.Errorf("inline document = %q (decoded), want %q", got, doc)
	}
	if g := d.GroupDetailList[0]; len(g.AttachedManagedPolicies) != 1 || aws.ToString(g.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Errorf("group detail = %+v", g)
	}
	// The customer policy and the AWS managed policy in use.
	if len(d.Policies) != 2 {
		t.Errorf("%d policies, want 2 (p1 and ReadOnlyAccess)", len(d.Policies))
	}
	only, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeRole}})
	if err != nil || len(only.RoleDetailList) != 1 || len(only.UserDetailList)+len(only.Policies) != 0 {
		t.Fatalf("Filter=Role: %v, %v", only, err)
	}
	// Pagination across the lists.
	var n int
	p := iam.NewGetAccountAuthorizationDetailsPaginator(root, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.UserDetailList) + len(page.GroupDetailList) + len(page.RoleDetailList) + len(page.Policies)
	}
	if n != 5 {
		t.Errorf("paginated items = %d, want 5", n)
	}
}
