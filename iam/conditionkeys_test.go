package iam_test

import (
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
)

// TestOperationConditionKeys checks that each kind of IAM resource and
// operation supplies its request-specific condition keys: aws:RequestTag
// on creation, aws:ResourceTag on existing resources of every taggable
// kind, iam:AWSServiceName and iam:PermissionsBoundary.
func TestOperationConditionKeys(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	svc, root := f.svc, f.root
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	blue, red := []iam.Tag{{Key: "team", Value: "blue"}}, []iam.Tag{{Key: "team", Value: "red"}}
	const bound, otherBound = "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

	// Root creates one blue and one red resource of each taggable kind.
	arns := map[string]string{}
	for _, c := range []struct {
		name string
		tags []iam.Tag
	}{{"blue", blue}, {"red", red}} {
		_, err := svc.CreateInstanceProfile(ctx, root, "/", c.name, c.tags)
		must(err)
		pol, err := svc.CreatePolicy(ctx, root, iam.CreatePolicyInput{PolicyName: c.name, PolicyDocument: doc, Tags: c.tags})
		must(err)
		arns["policy-"+c.name] = pol.ARN
		oidc, err := svc.CreateOIDCProvider(ctx, root, iam.CreateOIDCProviderInput{URL: "https://" + c.name + ".example.com", Tags: c.tags})
		must(err)
		arns["oidc-"+c.name] = oidc.ARN()
		saml, err := svc.CreateSAMLProvider(ctx, root, iam.CreateSAMLProviderInput{Name: c.name, Metadata: samlMetadata(t, ""), Tags: c.tags})
		must(err)
		arns["saml-"+c.name] = saml.ARN()
		key := ecKey()
		body, _ := certPEM(t, c.name, key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
		_, err = svc.UploadServerCertificate(ctx, root, iam.UploadServerCertificateInput{Name: c.name, Body: body, PrivateKey: keyPEM(t, key), Tags: c.tags})
		must(err)
		d, err := svc.CreateVirtualMFADevice(ctx, root, iam.CreateVirtualMFADeviceInput{Name: c.name, Tags: c.tags})
		must(err)
		arns["mfa-"+c.name] = d.Device.SerialNumber
	}
	for name, b := range map[string]string{"bounded": bound, "other": otherBound} {
		_, err := svc.CreateRole(ctx, root, iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust, PermissionsBoundary: b})
		must(err)
	}

	_, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "u"})
	must(err)
	must(svc.PutInlinePolicy(ctx, root, iam.OwnerUser, "u", "keys", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:Get*","iam:List*Tags","iam:Tag*"],"Resource":"*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":["iam:Create*","iam:UploadServerCertificate","iam:Tag*"],"Resource":"*",
		 "Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}},
		{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*",
		 "Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}},
		{"Effect":"Allow","Action":["iam:DeleteRolePermissionsBoundary","iam:PutRolePolicy"],"Resource":"*",
		 "Condition":{"ArnEquals":{"iam:PermissionsBoundary":"`+bound+`"}}}]}`))
	k, err := svc.CreateAccessKey(ctx, root, "u")
	must(err)
	u := svc.Authenticate(k.Key.ID).Principal

	key := ecKey()
	certBody, _ := certPEM(t, "new", key, nil, nil, f.now.Add(-time.Hour), 24*time.Hour)
	for _, tc := range []struct {
		name  string
		call  func() error
		allow bool
	}{
		{"GetInstanceProfile blue", func() error { _, err := svc.GetInstanceProfile(ctx, u, "blue"); return err }, true},
		{"GetInstanceProfile red", func() error { _, err := svc.GetInstanceProfile(ctx, u, "red"); return err }, false},
		{"GetPolicy blue", func() error { _, err := svc.GetPolicy(ctx, u, arns["policy-blue"]); return err }, true},
		{"GetPolicy red", func() error { _, err := svc.GetPolicy(ctx, u, arns["policy-red"]); return err }, false},
		{"GetOIDCProvider blue", func() error { _, err := svc.GetOIDCProvider(ctx, u, arns["oidc-blue"]); return err }, true},
		{"GetOIDCProvider red", func() error { _, err := svc.GetOIDCProvider(ctx, u, arns["oidc-red"]); return err }, false},
		{"GetSAMLProvider blue", func() error { _, err := svc.GetSAMLProvider(ctx, u, arns["saml-blue"]); return err }, true},
		{"GetSAMLProvider red", func() error { _, err := svc.GetSAMLProvider(ctx, u, arns["saml-red"]); return err }, false},
		{"GetServerCertificate blue", func() error { _, err := svc.GetServerCertificate(ctx, u, "blue"); return err }, true},
		{"GetServerCertificate red", func() error { _, err := svc.GetServerCertificate(ctx, u, "red"); return err }, false},
		{"ListMFADeviceTags blue", func() error { _, err := svc.ListMFADeviceTags(ctx, u, arns["mfa-blue"], iam.ListInput{}); return err }, true},
		{"ListMFADeviceTags red", func() error { _, err := svc.ListMFADeviceTags(ctx, u, arns["mfa-red"], iam.ListInput{}); return err }, false},
		// Tag* is allowed on a blue resource, or when the request sets team=blue.
		{"TagMFADevice red with team=blue", func() error { return svc.TagMFADevice(ctx, u, arns["mfa-red"], blue) }, true},
		{"TagServerCertificate red", func() error { return svc.TagServerCertificate(ctx, u, "red", []iam.Tag{{Key: "x", Value: "y"}}) }, false},
		{"TagOIDCProvider blue", func() error { return svc.TagOIDCProvider(ctx, u, arns["oidc-blue"], []iam.Tag{{Key: "x", Value: "y"}}) }, true},
		{"TagPolicy red", func() error { return svc.TagPolicy(ctx, u, arns["policy-red"], []iam.Tag{{Key: "x", Value: "y"}}) }, false},
		{"CreateInstanceProfile team=blue", func() error { _, err := svc.CreateInstanceProfile(ctx, u, "/", "new", blue); return err }, true},
		{"CreateInstanceProfile untagged", func() error { _, err := svc.CreateInstanceProfile(ctx, u, "/", "new2", nil); return err }, false},
		{"CreatePolicy team=red", func() error {
			_, err := svc.CreatePolicy(ctx, u, iam.CreatePolicyInput{PolicyName: "new", PolicyDocument: doc, Tags: red})
			return err
		}, false},
		{"CreateOIDCProvider team=blue", func() error {
			_, err := svc.CreateOIDCProvider(ctx, u, iam.CreateOIDCProviderInput{URL: "https://new.example.com", Tags: blue})
			return err
		}, true},
		{"CreateSAMLProvider untagged", func() error {
			_, err := svc.CreateSAMLProvider(ctx, u, iam.CreateSAMLProviderInput{Name: "new", Metadata: samlMetadata(t, "")})
			return err
		}, false},
		{"UploadServerCertificate team=blue", func() error {
			_, err := svc.UploadServerCertificate(ctx, u, iam.UploadServerCertificateInput{Name: "new", Body: certBody, PrivateKey: keyPEM(t, key), Tags: blue})
			return err
		}, true},
		{"CreateVirtualMFADevice team=blue", func() error {
			_, err := svc.CreateVirtualMFADevice(ctx, u, iam.CreateVirtualMFADeviceInput{Name: "new", Tags: blue})
			return err
		}, true},
		{"CreateVirtualMFADevice untagged", func() error {
			_, err := svc.CreateVirtualMFADevice(ctx, u, iam.CreateVirtualMFADeviceInput{Name: "new2"})
			return err
		}, false},
		{"CreateServiceLinkedRole autoscaling", func() error {
			_, err := svc.CreateServiceLinkedRole(ctx, u, "autoscaling.amazonaws.com", "", "")
			return err
		}, true},
		{"CreateServiceLinkedRole ecs", func() error { _, err := svc.CreateServiceLinkedRole(ctx, u, "ecs.amazonaws.com", "", ""); return err }, false},
		{"PutRolePolicy on the bounded role", func() error { return svc.PutInlinePolicy(ctx, u, iam.OwnerRole, "bounded", "p", doc) }, true},
		{"PutRolePolicy on the other role", func() error { return svc.PutInlinePolicy(ctx, u, iam.OwnerRole, "other", "p", doc) }, false},
		{"DeleteRolePermissionsBoundary bounded", func() error { return svc.DeleteRolePermissionsBoundary(ctx, u, "bounded") }, true},
		{"DeleteRolePermissionsBoundary other", func() error { return svc.DeleteRolePermissionsBoundary(ctx, u, "other") }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.allow && err != nil {
				t.Fatalf("err = %v, want allowed", err)
			}
			if !tc.allow && iam.ErrorCode(err) != iam.CodeAccessDenied {
				t.Fatalf("err = %v, want AccessDenied", err)
			}
		})
	}
}
