package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestMFARequiredRole: a role whose trust policy requires MFA can be
// assumed only with a valid, fresh code from the caller's own device, and
// the session then carries aws:MultiFactorAuthPresent.
func TestMFARequiredRole(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()
	mia := s.newActor(t, "mia")
	putUserPolicy(t, s, "mia", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)

	dev, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("mia-phone")})
	if err != nil {
		t.Fatal(err)
	}
	serial, seed := aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	now := time.Now()
	if _, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("mia"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(t, seed, now.Add(-30*time.Second))),
		AuthenticationCode2: aws.String(totpCode(t, seed, now))}); err != nil {
		t.Fatal(err)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},
		"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	r, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Admin"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	// The role may list users, but only in sessions less than an hour
	// after MFA.
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Admin"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
			"Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}]}`)}); err != nil {
		t.Fatal(err)
	}

	_, err = mia.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("no-mfa")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	// A wrong code, and a code already spent by EnableMFADevice, are refused.
	_, err = mia.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("bad"),
		SerialNumber: aws.String(serial), TokenCode: aws.String("000000")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = mia.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("replay"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(totpCode(t, seed, now))})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	code := totpCode(t, seed, now.Add(30*time.Second))
	out, err := mia.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("with-mfa"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	if err != nil {
		t.Fatalf("AssumeRole with MFA: %v", err)
	}
	sessIAM, _ := s.sessionClients(out.Credentials)
	if _, err := sessIAM.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("MFA session ListUsers (aws:MultiFactorAuthAge < 3600): %v", err)
	}
	// The same code cannot be used twice.
	_, err = mia.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("again"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(code)})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}
