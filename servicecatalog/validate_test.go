package servicecatalog

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/iamd/iamd/policy"
)

// want is a finding in short form: "TYPE CODE at PATH".
func short(fs []Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		loc := ""
		if len(f.Locations) > 0 {
			loc = f.Locations[0].String()
		}
		out = append(out, fmt.Sprintf("%s %s at %s", f.FindingType, f.IssueCode, loc))
	}
	return out
}

func stmt(body string) string {
	return `{"Version":"2012-10-17","Statement":[` + body + `]}`
}

var validateTests = []struct {
	name string
	typ  policy.PolicyType
	doc  string
	want []string
}{
	{"valid", policy.Identity, stmt(`{"Effect":"Allow","Action":["s3:GetObject","iam:GetUser"],"Resource":["arn:aws:s3:::b/*","arn:aws:iam::123456789012:user/alice"]}`), nil},
	{"star everything", policy.Identity, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE at Statement[0].Resource[0]"}},
	{"unknown service", policy.Identity, stmt(`{"Effect":"Allow","Action":["s3:GetObject","nosuch:GetThing"],"Resource":"*"}`),
		[]string{"ERROR INVALID_SERVICE_IN_ACTION at Statement[0].Action[1]"}},
	{"unknown action", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:GetUsers","Resource":"*"}`),
		[]string{"ERROR INVALID_ACTION at Statement[0].Action[0]"}},
	{"action case-insensitive", policy.Identity, stmt(`{"Effect":"Allow","Action":"IAM:getuser","Resource":"*"}`), nil},
	{"pattern matching nothing", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:Gett*","Resource":"*"}`),
		[]string{"ERROR INVALID_ACTION at Statement[0].Action[0]"}},
	{"service pattern matching nothing", policy.Identity, stmt(`{"Effect":"Allow","Action":"zzz*:Get*","Resource":"*"}`),
		[]string{"ERROR INVALID_SERVICE_IN_ACTION at Statement[0].Action[0]"}},
	{"NotAction checked too", policy.Identity, stmt(`{"Effect":"Deny","NotAction":"iam:NoSuch","Resource":"*"}`),
		[]string{"ERROR INVALID_ACTION at Statement[0].NotAction[0]"}},
	{"global condition keys", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"aws:PrincipalTag/team":"x","AWS:userid":"y"}}}`), nil},
	{"unknown global key", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIpp":"x"}}}`),
		[]string{`ERROR INVALID_GLOBAL_CONDITION_KEY at Statement[0].Condition.StringEquals["aws:SourceIpp"]`}},
	{"unknown service key", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/r","Condition":{"StringEquals":{"iam:PassedToServices":"x"}}}`),
		[]string{`ERROR INVALID_SERVICE_CONDITION_KEY at Statement[0].Condition.StringEquals["iam:PassedToServices"]`}},
	{"key of unknown service", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"nosuch:Key":"x"}}}`),
		[]string{`ERROR INVALID_SERVICE_CONDITION_KEY at Statement[0].Condition.StringEquals["nosuch:Key"]`}},
	{"key supported by action", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/r","Condition":{"StringEquals":{"iam:passedtoservice":"ec2.amazonaws.com"}}}`), nil},
	{"key not supported by actions", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`),
		[]string{`WARNING CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Condition.StringEquals["iam:PassedToService"]`}},
	{"key supported via wildcard action", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:Pass*","Resource":"arn:aws:iam::123456789012:role/r","Condition":{"StringEquals":{"iam:PassedToService":"x"}}}`), nil},
	{"pattern key supported", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k","Condition":{"StringEquals":{"s3:ExistingObjectTag/team":"x"}}}`), nil},
	{"resource type mismatch", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}`),
		[]string{"WARNING RESOURCE_TYPE_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Resource[0]"}},
	{"resource of other service", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:s3:::bucket/key"}`),
		[]string{"WARNING RESOURCE_TYPE_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Resource[0]"}},
	{"action without resource types", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"arn:aws:iam::123456789012:user/x"}`),
		[]string{"WARNING RESOURCE_TYPE_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Resource[0]"}},
	{"union of actions' resource types", policy.Identity, stmt(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), nil},
	{"ARN service unknown", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:nosuch:::x"}`),
		[]string{"ERROR INVALID_SERVICE at Statement[0].Resource[0]"}},
	{"pass role star", policy.Identity, stmt(`{"Effect":"Allow","Action":["iam:PassRole"],"Resource":"*"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE at Statement[0].Resource[0]"}},
	{"pass role via iam:*", policy.Identity, stmt(`{"Effect":"Allow","Action":["iam:*"],"Resource":"arn:aws:iam::123456789012:role/*"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE at Statement[0].Resource[0]"}},
	{"pass role named and wildcard", policy.Identity, stmt(`{"Effect":"Allow","Action":["iam:Get*","iam:PassRole"],"Resource":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/app-*"]}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE at Statement[0].Resource[1]"}},
	{"pass role one role", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/a"}`), nil},
	{"pass role wildcard action NotResource", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:role/admin"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE at Statement[0].NotResource"}},
	{"pass role NotAction NotResource", policy.Identity, stmt(`{"Effect":"Allow","NotAction":"s3:*","NotResource":"arn:aws:iam::123456789012:role/admin"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE at Statement[0].NotResource"}},
	{"pass role NotAction one role", policy.Identity, stmt(`{"Effect":"Allow","NotAction":"s3:*","Resource":"arn:aws:iam::123456789012:role/a"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_NOT_ACTION at Statement[0].NotAction"}},
	{"NotAction excluding pass role", policy.Identity, stmt(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), nil},
	{"pass role with condition", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`), nil},
	{"pass role denied", policy.Identity, stmt(`{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}`), nil},
	{"pass role NotResource", policy.Identity, stmt(`{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::123456789012:role/admin"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_NOT_RESOURCE at Statement[0].NotResource"}},
	{"pass role via NotAction", policy.Identity, stmt(`{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}`),
		[]string{"SECURITY_WARNING PASS_ROLE_WITH_NOT_ACTION_AND_STAR_IN_RESOURCE at Statement[0].Resource[0]"}},
	{"allow with NotPrincipal", policy.Resource, stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
		[]string{"SECURITY_WARNING ALLOW_WITH_NOT_PRINCIPAL at Statement[0].NotPrincipal"}},
	{"redundant actions", policy.Identity, stmt(`{"Effect":"Allow","Action":["s3:GetObject","s3:Get*","s3:getobject"],"Resource":"*"}`),
		[]string{"SUGGESTION REDUNDANT_ACTION at Statement[0].Action[0]", "SUGGESTION REDUNDANT_ACTION at Statement[0].Action[2]"}},
	{"second statement located", policy.Identity, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}`),
		[]string{"ERROR INVALID_ACTION at Statement[1].Action[0]"}},
	{"custom service action", policy.Identity, stmt(`{"Effect":"Allow","Action":["orders:GetOrder","orders:List*"],"Resource":"*","Condition":{"StringEquals":{"orders:Channel":"web"}}}`), nil},
	{"custom service unknown action", policy.Identity, stmt(`{"Effect":"Allow","Action":"orders:DeleteOrder","Resource":"*"}`),
		[]string{"ERROR INVALID_ACTION at Statement[0].Action[0]"}},
	{"custom resource and keys", policy.Identity, stmt(`{"Effect":"Allow","Action":"orders:CancelOrder","Resource":"arn:aws:orders:eu-west-1:123456789012:order/*","Condition":{"StringEquals":{"orders:Reason":"x","orders:Status":"open","aws:ResourceTag/team":"a"}}}`), nil},
	{"custom key not supported", policy.Identity, stmt(`{"Effect":"Allow","Action":"orders:ListOrders","Resource":"*","Condition":{"StringEquals":{"orders:Reason":"x"}}}`),
		[]string{`WARNING CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Condition.StringEquals["orders:Reason"]`}},
	{"custom resource mismatch", policy.Identity, stmt(`{"Effect":"Allow","Action":"orders:GetOrder","Resource":"arn:aws:orders:eu-west-1:123456789012:invoice/1"}`),
		[]string{"WARNING RESOURCE_TYPE_NOT_SUPPORTED_BY_ACTIONS at Statement[0].Resource[0]"}},
	{"malformed", policy.Identity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject"}}`,
		[]string{"ERROR MALFORMED_POLICY_DOCUMENT at "}},
}

func TestValidate(t *testing.T) {
	c := AWS().WithCustom([]*Service{mustParse(t, exampleDefinition)})
	for _, tt := range validateTests {
		t.Run(tt.name, func(t *testing.T) {
			fs := ValidateDocument(tt.doc, tt.typ, c)
			got := short(fs)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("ValidateDocument(%s)\n\tgot  %q\n\twant %q", tt.doc, got, want)
			}
			for _, f := range fs {
				if f.FindingDetails == "" || f.Locations == nil {
					t.Errorf("finding %+v lacks details or locations", f)
				}
				if !strings.HasPrefix(f.IssueCode, "MALFORMED") && len(f.Locations[0].Path) == 0 {
					t.Errorf("finding %+v has an empty location", f)
				}
			}
		})
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	doc := stmt(`{"Effect":"Allow","Action":["iam:PassRole","iam:Get*"],"Resource":"*"}`)
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	before := string(p.Marshal())
	Validate(p, AWS())
	if after := string(p.Marshal()); after != before {
		t.Errorf("Validate modified the policy:\n%s\n%s", before, after)
	}
}

func BenchmarkValidate(b *testing.B) {
	c := AWS()
	doc := stmt(`{"Effect":"Allow","Action":["s3:Get*","s3:List*","iam:PassRole"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"s3:prefix":"x","aws:PrincipalTag/t":"v"}}}`)
	p, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		b.Fatal(err)
	}
	Validate(p, c)
	b.ReportAllocs()
	for b.Loop() {
		Validate(p, c)
	}
}

// FuzzValidate: whatever parses as a policy validates without panicking,
// and every finding is located and explained.
func FuzzValidate(f *testing.F) {
	for _, tt := range validateTests {
		f.Add(tt.doc)
	}
	c := AWS().WithCustom([]*Service{mustParse(f, exampleDefinition)})
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			return
		}
		for _, fd := range Validate(p, c) {
			if fd.IssueCode == "" || fd.FindingDetails == "" || len(fd.Locations) != 1 || len(fd.Locations[0].Path) == 0 {
				t.Fatalf("finding %+v is incomplete", fd)
			}
		}
	})
}
