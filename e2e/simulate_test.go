package e2e

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestPolicySimulator drives the simulator and the context-key operations
// with aws-sdk-go-v2 over a user with inline, attached and group policies.
func TestPolicySimulator(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}))
	putUserPolicy(t, s, "dev", "own", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"},{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("dev"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")}))
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("dev")}))
	must(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("ec2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))
	userARN := "arn:aws:iam::" + testAccount + ":user/dev"

	t.Run("principal", func(t *testing.T) {
		out, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(userARN),
			ActionNames:     []string{"iam:ListUsers", "s3:DeleteObject", "ec2:DescribeInstances", "sqs:SendMessage"},
			ContextEntries: []types.ContextEntry{{
				ContextKeyName: aws.String("aws:MultiFactorAuthPresent"), ContextKeyValues: []string{"true"}, ContextKeyType: types.ContextKeyTypeEnumBoolean,
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]types.EvaluationResult{}
		for _, r := range out.EvaluationResults {
			got[aws.ToString(r.EvalActionName)] = r
		}
		for action, want := range map[string]types.PolicyEvaluationDecisionType{
			"iam:ListUsers":         types.PolicyEvaluationDecisionTypeAllowed,
			"s3:DeleteObject":       types.PolicyEvaluationDecisionTypeExplicitDeny,
			"ec2:DescribeInstances": types.PolicyEvaluationDecisionTypeAllowed,
			"sqs:SendMessage":       types.PolicyEvaluationDecisionTypeImplicitDeny,
		} {
			r := got[action]
			if r.EvalDecision != want || aws.ToString(r.EvalResourceName) != "*" {
				t.Errorf("%s: %s on %s, want %s on *", action, r.EvalDecision, aws.ToString(r.EvalResourceName), want)
			}
			// Only for accounts in an organization (API reference).
			if r.OrganizationsDecisionDetail != nil {
				t.Errorf("%s: OrganizationsDecisionDetail = %+v, want none", action, r.OrganizationsDecisionDetail)
			}
			// aws:username is used by the own policy and not supplied.
			if !reflect.DeepEqual(r.MissingContextValues, []string{"aws:username"}) {
				t.Errorf("%s: MissingContextValues = %q", action, r.MissingContextValues)
			}
		}
		sourceOf := func(action string) []string {
			var ids []string
			for _, m := range got[action].MatchedStatements {
				ids = append(ids, aws.ToString(m.SourcePolicyId)+"/"+string(m.SourcePolicyType))
			}
			return ids
		}
		for action, want := range map[string][]string{
			"iam:ListUsers":         {"IAMReadOnlyAccess/IAM Policy"},
			"s3:DeleteObject":       {"own/IAM Policy"},
			"ec2:DescribeInstances": {"ec2/IAM Policy"},
			"sqs:SendMessage":       nil,
		} {
			if ids := sourceOf(action); !reflect.DeepEqual(ids, want) {
				t.Errorf("%s matched %q, want %q", action, ids, want)
			}
		}
		// The Deny is the second statement of a one-line document: it
		// starts just after the first statement's "}".
		m := got["s3:DeleteObject"].MatchedStatements[0]
		if l, c := m.StartPosition.Line, m.StartPosition.Column; l != 1 || c != 121 {
			t.Errorf("Deny statement starts at %d:%d, want 1:121", l, c)
		}
	})

	t.Run("principal with resources", func(t *testing.T) {
		out, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(userARN),
			ActionNames:     []string{"s3:GetObject"},
			ResourceArns:    []string{"arn:aws:s3:::home/dev/notes", "arn:aws:s3:::home/other/notes"},
			ContextEntries:  []types.ContextEntry{{ContextKeyName: aws.String("aws:username"), ContextKeyValues: []string{"dev"}, ContextKeyType: types.ContextKeyTypeEnumString}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.EvaluationResults) != 1 {
			t.Fatalf("%d results, want one per action", len(out.EvaluationResults))
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(r.ResourceSpecificResults) != 2 {
			t.Fatalf("result = %s with %d resource results", r.EvalDecision, len(r.ResourceSpecificResults))
		}
		for i, want := range []types.PolicyEvaluationDecisionType{types.PolicyEvaluationDecisionTypeAllowed, types.PolicyEvaluationDecisionTypeImplicitDeny} {
			if d := r.ResourceSpecificResults[i].EvalResourceDecision; d != want {
				t.Errorf("resource %d: %s, want %s", i, d, want)
			}
		}
		// MissingContextValues: the group's MFA key was not given.
		if !reflect.DeepEqual(r.MissingContextValues, []string{"aws:MultiFactorAuthPresent"}) {
			t.Errorf("MissingContextValues = %q", r.MissingContextValues)
		}
	})

	t.Run("custom", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`
		out, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{doc},
			ActionNames:     []string{"dynamodb:CreateBackup"},
			ContextEntries:  []types.ContextEntry{{ContextKeyName: aws.String("aws:CurrentTime"), ContextKeyValues: []string{"2019-04-25T11:00:00Z"}, ContextKeyType: types.ContextKeyTypeEnumDate}},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(r.MatchedStatements) != 1 {
			t.Fatalf("result = %+v", r)
		}
		m := r.MatchedStatements[0]
		if aws.ToString(m.SourcePolicyId) != "PolicyInputList.1" || m.StartPosition.Column != 38 || m.EndPosition.Column != 167 {
			t.Errorf("matched = %s %d..%d, want PolicyInputList.1 38..167 (the AWS CLI example)", aws.ToString(m.SourcePolicyId),
				m.StartPosition.Column, m.EndPosition.Column)
		}
		if r.MissingContextValues == nil || len(r.MissingContextValues) != 0 || r.EvalDecisionDetails != nil || r.PermissionsBoundaryDecisionDetail != nil {
			t.Errorf("result = %+v", r)
		}

		// A boundary caps what the policies allow.
		out, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList:                    []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
			ActionNames:                        []string{"s3:ListBucket", "iam:CreateUser"},
			ResourceArns:                       []string{"arn:aws:s3:::b"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false} {
			r := out.EvaluationResults[i]
			if r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != want {
				t.Errorf("%s: boundary detail %+v, want %v", aws.ToString(r.EvalActionName), r.PermissionsBoundaryDecisionDetail, want)
			}
			if r.EvalDecisionDetails == nil || len(r.EvalDecisionDetails) != 0 {
				t.Errorf("%s: EvalDecisionDetails = %v, want present and empty", aws.ToString(r.EvalActionName), r.EvalDecisionDetails)
			}
		}

		// Pagination.
		p := iam.NewSimulateCustomPolicyPaginator(root, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{doc}, ActionNames: []string{"dynamodb:A", "dynamodb:B", "dynamodb:C"}, MaxItems: aws.Int32(2),
		})
		n, pages := 0, 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n, pages = n+len(page.EvaluationResults), pages+1
		}
		if n != 3 || pages != 2 {
			t.Errorf("%d results in %d pages, want 3 in 2", n, pages)
		}
	})

	t.Run("context keys", func(t *testing.T) {
		out, err := root.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{
			PolicySourceArn: aws.String(userARN),
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`},
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"aws:username", "aws:MultiFactorAuthPresent", "aws:SourceIp"}; !reflect.DeepEqual(out.ContextKeyNames, want) {
			t.Errorf("principal keys = %q, want %q", out.ContextKeyNames, want)
		}
		c, err := root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}`,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"aws:username", "aws:CurrentTime"}; !reflect.DeepEqual(c.ContextKeyNames, want) {
			t.Errorf("custom keys = %q, want %q", c.ContextKeyNames, want)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":user/nobody"), ActionNames: []string{"s3:GetObject"},
		})
		e := wantAPIError(t, err, "NoSuchEntity", http.StatusNotFound)
		if e.ErrorMessage() != "The user with name nobody cannot be found." {
			t.Errorf("message = %q", e.ErrorMessage())
		}
		_, err = root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":[}`}, ActionNames: []string{"s3:GetObject"}})
		wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
		_, err = root.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{`nope`}})
		wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
		// The simulated user itself may not simulate without permission.
		dev := s.newActor(t, "sim-nobody")
		_, err = dev.iam.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(userARN), ActionNames: []string{"s3:GetObject"}})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = dev.iam.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, ActionNames: []string{"s3:GetObject"}})
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	})
}
