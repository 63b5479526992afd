package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

const (
	tfMirror   = "/opt/tf-plugins"
	tfProvider = "registry.terraform.io/hashicorp/aws"
)

// tfConfig is applied twice: with v2 = false, then with v2 = true, which
// changes a policy document (a new default version), tags, the role's
// max_session_duration and the user's group membership. Certificates, keys
// and SAML metadata come from files written at test time.
const tfConfig = `
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
variable "endpoint" { type = string }
variable "v2" {
  type    = bool
  default = false
}
provider "aws" {
  region                  = "us-east-1"
  access_key              = "` + rootKeyID + `"
  secret_key              = "` + rootSecretKey + `"
  skip_metadata_api_check = true
  skip_region_validation  = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}
data "aws_caller_identity" "me" {}

resource "aws_iam_account_password_policy" "pp" {
  minimum_password_length = 12
  require_symbols         = true
  require_numbers         = true
}
resource "aws_iam_user" "u" {
  name = "tf-alice"
  path = "/eng/"
  tags = var.v2 ? { team = "data", stage = "prod" } : { team = "data" }
}
resource "aws_iam_user" "u2" { name = "tf-bob" }
resource "aws_iam_user_login_profile" "lp" {
  user                    = aws_iam_user.u.name
  password_reset_required = true
  password_length         = 24
  depends_on              = [aws_iam_account_password_policy.pp]
}
resource "aws_iam_group" "g" { name = "tf-devs" }
resource "aws_iam_group" "g2" {
  name = "tf-ops"
  path = "/ops/"
}
resource "aws_iam_user_group_membership" "m" {
  user   = aws_iam_user.u.name
  groups = var.v2 ? [aws_iam_group.g.name, aws_iam_group.g2.name] : [aws_iam_group.g.name]
}
resource "aws_iam_policy" "p" {
  name        = "tf-read"
  path        = "/team/"
  description = "read objects"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{
    Effect   = "Allow",
    Action   = var.v2 ? ["s3:GetObject", "s3:ListBucket"] : ["s3:GetObject"],
    Resource = "*"
  }] })
  tags = { a = "b" }
}
resource "aws_iam_policy" "boundary" {
  name   = "tf-boundary"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["s3:*", "iam:Get*"], Resource = "*" }] })
}
resource "aws_iam_policy" "shared" {
  name   = "tf-shared"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:GetCallerIdentity", Resource = "*" }] })
}
resource "aws_iam_user_policy_attachment" "a" {
  user       = aws_iam_user.u.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_user_policy" "up" {
  name   = "u-inline"
  user   = aws_iam_user.u.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "Self", Effect = "Allow", Action = "iam:ChangePassword", Resource = aws_iam_user.u.arn }] })
}
resource "aws_iam_role" "r" {
  name                 = "tf-role"
  path                 = "/svc/"
  description          = "terraform test role"
  assume_role_policy   = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }, Action = "sts:AssumeRole" }] })
  max_session_duration = var.v2 ? 10800 : 7200
  permissions_boundary = aws_iam_policy.boundary.arn
  tags                 = var.v2 ? { env = "prod", owner = "ops" } : { env = "test" }
}
resource "aws_iam_role_policy" "rp" {
  name   = "inline"
  role   = aws_iam_role.r.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:GetUser", Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "ra" {
  role       = aws_iam_role.r.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_policy_attachment" "exclusive" {
  name       = "tf-shared-attachment"
  policy_arn = aws_iam_policy.shared.arn
  users      = [aws_iam_user.u2.name]
  roles      = [aws_iam_role.r.name]
  groups     = [aws_iam_group.g.name]
}
resource "aws_iam_instance_profile" "ip" {
  name = "tf-ip"
  role = aws_iam_role.r.name
}
resource "aws_iam_access_key" "k" { user = aws_iam_user.u.name }
resource "aws_iam_user_ssh_key" "ssh" {
  username   = aws_iam_user.u.name
  encoding   = "SSH"
  public_key = file("${path.module}/id_rsa.pub")
}
resource "aws_iam_signing_certificate" "sc" {
  user_name        = aws_iam_user.u.name
  certificate_body = file("${path.module}/signing.pem")
}
resource "aws_iam_server_certificate" "srv" {
  name             = "tf-server-cert"
  certificate_body = file("${path.module}/server.pem")
  private_key      = file("${path.module}/server.key")
}
resource "aws_iam_openid_connect_provider" "oidc" {
  url             = "https://token.actions.githubusercontent.com"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}
resource "aws_iam_saml_provider" "saml" {
  name                   = "tf-idp"
  saml_metadata_document = file("${path.module}/saml.xml")
}
resource "aws_iam_virtual_mfa_device" "mfa" {
  virtual_mfa_device_name = "tf-mfa"
}
resource "aws_iam_service_linked_role" "slr" {
  aws_service_name = "autoscaling.amazonaws.com"
  custom_suffix    = "tf"
}
resource "aws_iam_group_policy" "gp" {
  name   = "g-inline"
  group  = aws_iam_group.g.name
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }] })
}
resource "aws_iam_account_alias" "al" { account_alias = "tf-test-alias" }
output "account" { value = data.aws_caller_identity.me.account_id }
output "policy_arn" { value = aws_iam_policy.p.arn }
`

// TestTerraform drives the hashicorp/aws provider through apply, plan,
// update and destroy against a real iamd: any difference between what the
// provider was told and what iamd answers shows up as plan drift.
func TestTerraform(t *testing.T) {
	missing := func(why string) {
		t.Helper()
		if os.Getenv("IAMD_REQUIRE_TERRAFORM") != "" {
			t.Fatal(why + " and IAMD_REQUIRE_TERRAFORM is set")
		}
		t.Skip(why + "; CI's machine image has terraform and the aws provider 5.100.0 mirror at " + tfMirror)
	}
	tfBin, err := exec.LookPath("terraform")
	if err != nil {
		missing("terraform is not installed")
	}
	if _, err := os.Stat(filepath.Join(tfMirror, tfProvider)); err != nil {
		missing("no aws provider mirror at " + tfMirror + " (the test runs without network)")
	}
	s := startServer(t, "")
	ctx := t.Context()
	dir := t.TempDir()

	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", tfConfig)
	write("cli.tfrc", `provider_installation {
  filesystem_mirror {
    path    = "`+tfMirror+`"
    include = ["`+tfProvider+`"]
  }
}
`)
	write("id_rsa.pub", pcSSH(&pcKeyA().PublicKey))
	signing, _ := pcCert(t, "tf-signing", pcKeyA(), nil, nil)
	write("signing.pem", signing)
	srvCert, _ := pcCert(t, "tf.example.com", pcKeyB(), nil, nil)
	write("server.pem", srvCert)
	write("server.key", pcKeyPEM(pcKeyB()))
	write("saml.xml", pcSAMLMetadata(t))

	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+filepath.Join(dir, "cli.tfrc"),
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform"),
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"TF_VAR_endpoint="+s.Endpoint(),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"TF_LOG=",
	)
	// run returns terraform's exit code; any code but those in ok fails
	// the test with terraform's output.
	run := func(ok []int, args ...string) (int, string) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, tfBin, args...)
		cmd.Dir = dir
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		t.Logf("terraform %s: %s", args[0], time.Since(start).Round(time.Millisecond))
		// IAMD_TF_VERBOSE=1 logs terraform's output for a passing run
		// too (per-resource timings, plan summaries).
		if os.Getenv("IAMD_TF_VERBOSE") != "" {
			t.Log(out.String())
		}
		code := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("terraform %s: %v\n%s", args[0], err, out.String())
			}
			code = ee.ExitCode()
		}
		for _, c := range ok {
			if c == code {
				return code, out.String()
			}
		}
		t.Fatalf("terraform %s exited %d:\n%s", strings.Join(args, " "), code, out.String())
		return code, ""
	}
	// noDrift runs plan -detailed-exitcode: 2 means iamd answered something
	// other than what the provider stored, which the test reports in full.
	noDrift := func(vars ...string) {
		t.Helper()
		args := append([]string{"plan", "-no-color", "-input=false", "-detailed-exitcode"}, vars...)
		if code, out := run([]int{0, 2}, args...); code == 2 {
			t.Fatalf("plan after apply is not empty (drift):\n%s", out)
		}
	}

	run([]int{0}, "init", "-no-color", "-input=false", "-backend=false")
	_, out := run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve")
	wantSummary(t, out, "Apply complete! Resources: 27 added, 0 changed, 0 destroyed.")
	noDrift()

	c := s.rootIAM()
	pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/team/tf-read")})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(pol.Policy.DefaultVersionId); v != "v1" {
		t.Fatalf("default version after first apply = %s, want v1", v)
	}
	lp, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("tf-alice")})
	if err != nil || !lp.LoginProfile.PasswordResetRequired {
		t.Fatalf("login profile = %+v, %v; want one with PasswordResetRequired", lp, err)
	}

	// The account password policy terraform set governs the login profile
	// terraform made.
	_, err = c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("tf-alice"), Password: aws.String("short1!")})
	wantAPIError(t, err, "PasswordPolicyViolation", 400)
	// aws_iam_policy_attachment is exclusive: exactly its three entities.
	ents, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{
		PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/tf-shared"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "tf-bob" ||
		len(ents.PolicyRoles) != 1 || len(ents.PolicyGroups) != 1 {
		t.Fatalf("entities for tf-shared = users %+v roles %+v groups %+v", ents.PolicyUsers, ents.PolicyRoles, ents.PolicyGroups)
	}

	// Four resources change in place; a replacement here would mean the
	// provider found an attribute iamd cannot update.
	// The plans refresh; the applies after them need not (it saves a
	// few seconds of provider CPU).
	_, out = run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve", "-refresh=false", "-var=v2=true")
	wantSummary(t, out, "Apply complete! Resources: 0 added, 4 changed, 0 destroyed.")
	noDrift("-var=v2=true")

	pv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{
		PolicyArn: pol.Policy.Arn, VersionId: aws.String("v2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// IAM returns policy documents URL-encoded (RFC 3986).
	doc, err := url.QueryUnescape(aws.ToString(pv.PolicyVersion.Document))
	if err != nil || !pv.PolicyVersion.IsDefaultVersion || !strings.Contains(doc, `"s3:ListBucket"`) {
		t.Fatalf("policy version v2 = default %v, document %s (%v)", pv.PolicyVersion.IsDefaultVersion, doc, err)
	}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("tf-role")})
	if err != nil {
		t.Fatal(err)
	}
	if d := aws.ToInt32(role.Role.MaxSessionDuration); d != 10800 || len(role.Role.Tags) != 2 {
		t.Fatalf("role after update: max session %d, tags %+v", d, role.Role.Tags)
	}
	groups, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("tf-alice")})
	if err != nil || len(groups.Groups) != 2 {
		t.Fatalf("groups for tf-alice = %+v, %v; want 2", groups, err)
	}

	_, out = run([]int{0}, "destroy", "-no-color", "-input=false", "-auto-approve", "-refresh=false", "-var=v2=true")
	wantSummary(t, out, "Destroy complete! Resources: 27 destroyed.")

	// iamd completes a service-linked role's deletion task at once, so
	// nothing terraform made may be left.
	left := map[string]func() (int, error){
		"users": func() (int, error) {
			o, err := c.ListUsers(ctx, &iam.ListUsersInput{})
			if err != nil {
				return 0, err
			}
			return len(o.Users), nil
		},
		"roles": func() (int, error) {
			o, err := c.ListRoles(ctx, &iam.ListRolesInput{})
			if err != nil {
				return 0, err
			}
			return len(o.Roles), nil
		},
		"groups": func() (int, error) {
			o, err := c.ListGroups(ctx, &iam.ListGroupsInput{})
			if err != nil {
				return 0, err
			}
			return len(o.Groups), nil
		},
		"customer managed policies": func() (int, error) {
			o, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
			if err != nil {
				return 0, err
			}
			return len(o.Policies), nil
		},
		"instance profiles": func() (int, error) {
			o, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
			if err != nil {
				return 0, err
			}
			return len(o.InstanceProfiles), nil
		},
		"server certificates": func() (int, error) {
			o, err := c.ListServerCertificates(ctx, &iam.ListServerCertificatesInput{})
			if err != nil {
				return 0, err
			}
			return len(o.ServerCertificateMetadataList), nil
		},
		"virtual MFA devices": func() (int, error) {
			o, err := c.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
			if err != nil {
				return 0, err
			}
			return len(o.VirtualMFADevices), nil
		},
		"SAML providers": func() (int, error) {
			o, err := c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
			if err != nil {
				return 0, err
			}
			return len(o.SAMLProviderList), nil
		},
		"OIDC providers": func() (int, error) {
			o, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
			if err != nil {
				return 0, err
			}
			return len(o.OpenIDConnectProviderList), nil
		},
		"account aliases": func() (int, error) {
			o, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
			if err != nil {
				return 0, err
			}
			return len(o.AccountAliases), nil
		},
	}
	for kind, count := range left {
		if n, err := count(); err != nil {
			t.Errorf("listing %s after destroy: %v", kind, err)
		} else if n != 0 {
			t.Errorf("%d %s left after destroy", n, kind)
		}
	}
	_, err = c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)
}

func wantSummary(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Fatalf("terraform output lacks %q:\n%s", want, out)
	}
}
