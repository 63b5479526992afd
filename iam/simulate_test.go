package iam_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/iamd/iamd/iam"
)

// TestSimulatePrincipalAgreesWithAuthorize: the simulator and enforcement
// decide a principal's requests from the same compiled policy set, so they
// agree on every request (no context keys are involved here).
func TestSimulatePrincipalAgreesWithAuthorize(t *testing.T) {
	svc, p, root := authzFixture(t)
	arn := "arn:aws:iam::" + account + ":user/eng"
	for _, tc := range []struct{ action, resource string }{
		{"iam:ListUsers", "arn:aws:iam::" + account + ":user/"},
		{"iam:ListRoles", "arn:aws:iam::" + account + ":role/"},
		{"s3:GetObject", "arn:aws:s3:::bucket/key"},
		{"s3:PutObject", "arn:aws:s3:::bucket/key"},
		{"ec2:DescribeInstances", "*"},
		{"organizations:ListAccounts", "*"},
		{"organizations:DescribeOrganization", "*"},
	} {
		out, err := svc.SimulatePrincipalPolicy(t.Context(), root, iam.SimulateInput{
			PolicySourceARN: arn, ActionNames: []string{tc.action}, ResourceARNs: []string{tc.resource},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := out.Results[0]
		allowed := svc.Authorize(p, tc.action, tc.resource) == nil
		if (r.Decision == "allowed") != allowed {
			t.Errorf("%s on %s: simulated %s, Authorize allowed=%v", tc.action, tc.resource, r.Decision, allowed)
		}
		if r.AllowedByBoundary == nil {
			t.Errorf("%s: no PermissionsBoundaryDecisionDetail for a user with a boundary", tc.action)
		}
		if len(r.Resources) != 1 || r.Resources[0].Resource != tc.resource || r.Resources[0].Decision != r.Decision {
			t.Errorf("%s: ResourceSpecificResults = %+v", tc.action, r.Resources)
		}
	}
	// The own-user policy uses ${aws:username}: AWS's simulator lists it
	// as missing unless the caller supplies it.
	keys, err := svc.GetContextKeysForPrincipalPolicy(t.Context(), root, arn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 || keys[0] != "aws:username" {
		t.Errorf("GetContextKeysForPrincipalPolicy = %q, want aws:username first", keys)
	}
}

const awsCLIExample = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`

func TestSimulateCustomPolicy(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ms := func(id, typ string, l1, c1, l2, c2 int) iam.MatchedStatement {
		return iam.MatchedStatement{SourcePolicyID: id, SourcePolicyType: typ, Start: iam.Position{Line: l1, Column: c1}, End: iam.Position{Line: l2, Column: c2}}
	}
	date := func(v string) []iam.ContextEntry {
		return []iam.ContextEntry{{Key: "aws:CurrentTime", Values: []string{v}, Type: "date"}}
	}
	for _, tc := range []struct {
		name      string
		in        iam.SimulateInput
		decision  string
		matched   []iam.MatchedStatement
		missing   []string
		boundary  *bool
		resources int
	}{{
		// The AWS CLI's documented example: a single statement object;
		// AWS reports Line 1, Column 38 to Line 1, Column 167.
		name:     "cli example allowed",
		in:       iam.SimulateInput{PolicyInputList: []string{awsCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}, ContextEntries: date("2019-04-25T11:00:00Z")},
		decision: "allowed",
		matched:  []iam.MatchedStatement{ms("PolicyInputList.1", "IAM Policy", 1, 38, 1, 167)},
		missing:  []string{},
	}, {
		name:     "cli example too early",
		in:       iam.SimulateInput{PolicyInputList: []string{awsCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}, ContextEntries: date("2014-04-25T11:00:00Z")},
		decision: "implicitDeny",
		matched:  []iam.MatchedStatement{},
		missing:  []string{},
	}, {
		name:     "missing context value",
		in:       iam.SimulateInput{PolicyInputList: []string{awsCLIExample}, ActionNames: []string{"dynamodb:CreateBackup"}},
		decision: "implicitDeny",
		matched:  []iam.MatchedStatement{},
		missing:  []string{"aws:CurrentTime"},
	}, {
		// AdministratorAccess as AWS stores it: AWS reports Line 3,
		// Column 17 to Line 8, Column 6.
		name:     "multi-line document",
		in:       iam.SimulateInput{PolicyInputList: []string{"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"}, ActionNames: []string{"s3:GetObject"}},
		decision: "allowed",
		matched:  []iam.MatchedStatement{ms("PolicyInputList.1", "IAM Policy", 3, 17, 8, 6)},
		missing:  []string{},
	}, {
		// CRLF ends a line once; columns count characters, not bytes;
		// Statement need not come first.
		name:     "crlf and latin-1",
		in:       iam.SimulateInput{PolicyInputList: []string{"{\r\n\"Statement\": [\r\n  {\"Sid\":\"é\",\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}\r\n],\r\n\"Version\":\"2012-10-17\"}"}, ActionNames: []string{"s3:GetObject"}},
		decision: "allowed",
		matched:  []iam.MatchedStatement{ms("PolicyInputList.1", "IAM Policy", 2, 15, 3, 62)},
		missing:  []string{},
	}, {
		// The second statement of an array starts just after the first
		// one's closing brace.
		name: "explicit deny in second statement",
		in: iam.SimulateInput{PolicyInputList: []string{
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`,
		}, ActionNames: []string{"s3:DeleteBucket"}},
		decision: "explicitDeny",
		matched:  []iam.MatchedStatement{ms("PolicyInputList.1", "IAM Policy", 1, 87, 1, 147)},
		missing:  []string{},
	}, {
		name: "boundary caps",
		in: iam.SimulateInput{
			PolicyInputList:   []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			BoundaryInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
			ActionNames:       []string{"iam:CreateUser"},
		},
		decision: "implicitDeny",
		matched:  []iam.MatchedStatement{},
		missing:  []string{},
		boundary: new(false),
	}, {
		name: "boundary allows",
		in: iam.SimulateInput{
			PolicyInputList:   []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			BoundaryInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
			ActionNames:       []string{"s3:GetObject"},
		},
		decision: "allowed",
		matched: []iam.MatchedStatement{
			ms("PolicyInputList.1", "IAM Policy", 1, 38, 1, 84),
			ms("PermissionsBoundaryPolicyInputList.1", "Permissions Boundary Policy", 1, 38, 1, 87),
		},
		missing:  []string{},
		boundary: new(true),
	}, {
		// boto3 issue #3111: every key the policies use is reported,
		// also those of statements about other actions.
		name: "missing keys of other statements",
		in: iam.SimulateInput{PolicyInputList: []string{
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example-bucket","Condition":{"StringLike":{"aws:PrincipalTag/allowed_service":"s3"}}},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::example-bucket/${aws:username}"}]}`,
		}, ActionNames: []string{"s3:ListBucket"}, ResourceARNs: []string{"arn:aws:s3:::example-bucket"}},
		decision:  "implicitDeny",
		matched:   []iam.MatchedStatement{},
		missing:   []string{"aws:PrincipalTag/allowed_service", "aws:username"},
		resources: 1,
	}, {
		// Keys a real request derives from its caller stay absent even
		// with a CallerArn.
		name: "caller keys absent",
		in: iam.SimulateInput{PolicyInputList: []string{
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"aws:PrincipalArn":"true","aws:username":"true"}}}]}`,
		}, ActionNames: []string{"s3:GetObject"}, CallerARN: "arn:aws:iam::" + account + ":user/alice"},
		decision: "allowed",
		missing:  []string{"aws:PrincipalArn", "aws:username"},
	}, {
		// Caller-derived keys are not filled in: ${aws:username} has no
		// value unless given.
		name: "variable supplied",
		in: iam.SimulateInput{PolicyInputList: []string{
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`,
		}, ActionNames: []string{"s3:GetObject"}, ResourceARNs: []string{"arn:aws:s3:::b/alice/k", "arn:aws:s3:::b/bob/k"},
			CallerARN: "arn:aws:iam::" + account + ":user/alice", ContextEntries: []iam.ContextEntry{{Key: "aws:username", Values: []string{"alice"}}}},
		decision:  "implicitDeny", // the most restrictive of allowed (alice) and implicitDeny (bob)
		matched:   nil,
		missing:   []string{},
		resources: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Results) != 1 || out.IsTruncated {
				t.Fatalf("results = %+v", out)
			}
			r := out.Results[0]
			if r.Decision != tc.decision {
				t.Errorf("decision = %s, want %s", r.Decision, tc.decision)
			}
			if tc.matched != nil && !reflect.DeepEqual(r.Matched, tc.matched) {
				t.Errorf("matched = %+v\nwant %+v", r.Matched, tc.matched)
			}
			if !reflect.DeepEqual(r.Missing, tc.missing) {
				t.Errorf("missing = %q, want %q", r.Missing, tc.missing)
			}
			if !reflect.DeepEqual(r.AllowedByBoundary, tc.boundary) {
				t.Errorf("AllowedByBoundary = %v, want %v", r.AllowedByBoundary, tc.boundary)
			}
			if len(r.Resources) != tc.resources {
				t.Errorf("%d resource results, want %d", len(r.Resources), tc.resources)
			}
			if tc.resources == 0 && (r.Resource != "*" || r.Details != nil) {
				t.Errorf("resource %q details %v, want * and none", r.Resource, r.Details)
			}
		})
	}
}

func TestSimulateCustomPolicyResources(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`
	out, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, iam.SimulateInput{
		PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ResourceARNs:   []string{"arn:aws:s3:::b/alice/k", "arn:aws:s3:::b/bob/k"},
		ContextEntries: []iam.ContextEntry{{Key: "aws:username", Values: []string{"alice"}, Type: "string"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0]
	if r.Resource != "arn:aws:s3:::b/alice/k" {
		t.Errorf("EvalResourceName = %s", r.Resource)
	}
	got := []string{r.Resources[0].Decision, r.Resources[1].Decision}
	if !reflect.DeepEqual(got, []string{"allowed", "implicitDeny"}) {
		t.Errorf("per-resource decisions = %q", got)
	}
	if len(r.Resources[0].Matched) != 1 || r.Resources[0].Details == nil || len(r.Resources[0].Details) != 0 {
		t.Errorf("alice's result = %+v, want one match and empty details", r.Resources[0])
	}
}

func TestSimulateCustomPolicyCrossAccount(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	identity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	bucket := func(effect string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Principal":{"AWS":"arn:aws:iam::` + account + `:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	}
	for _, tc := range []struct {
		effect, decision, resource string
	}{
		{"Allow", "allowed", "allowed"},
		{"Deny", "explicitDeny", "explicitDeny"},
	} {
		out, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, iam.SimulateInput{
			PolicyInputList: []string{identity}, ActionNames: []string{"s3:GetObject"},
			ResourceARNs: []string{"arn:aws:s3:::b/k"}, ResourcePolicy: bucket(tc.effect), ResourceOwner: "999999999999",
			CallerARN: "arn:aws:iam::" + account + ":user/alice",
		})
		if err != nil {
			t.Fatal(err)
		}
		r := out.Results[0]
		want := map[string]string{"IAM Policy": "allowed", "Resource Policy": tc.resource}
		if r.Decision != tc.decision || !reflect.DeepEqual(r.Details, want) {
			t.Errorf("%s: decision %s details %v, want %s %v", tc.effect, r.Decision, r.Details, tc.decision, want)
		}
	}
	// A resource policy needs a caller.
	_, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, iam.SimulateInput{
		PolicyInputList: []string{identity}, ActionNames: []string{"s3:GetObject"}, ResourcePolicy: bucket("Allow"),
	})
	wantCode(t, err, iam.CodeInvalidInput)
}

func TestSimulatePagination(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	in := iam.SimulateInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject", "ec2:RunInstances"},
		MaxItems:        2,
	}
	var got []string
	for {
		out, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Results {
			got = append(got, r.Action+"="+r.Decision)
		}
		if !out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	want := []string{"s3:GetObject=allowed", "s3:PutObject=allowed", "ec2:RunInstances=implicitDeny"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pages = %q, want %q", got, want)
	}
	in.Marker = "!!"
	_, err := f.svc.SimulateCustomPolicy(t.Context(), f.root, in)
	wantCode(t, err, iam.CodeValidationError)
}

func TestSimulateErrors(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	_, err := f.svc.SimulateCustomPolicy(ctx, f.root, iam.SimulateInput{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, iam.CodeInvalidInput)
	_, err = f.svc.GetContextKeysForCustomPolicy(ctx, f.root, []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`})
	wantCode(t, err, iam.CodeInvalidInput)
	for _, arn := range []string{
		"arn:aws:iam::" + account + ":user/nobody",
		"arn:aws:iam::999999999999:user/eng",
		"arn:aws:iam::" + account + ":role/nobody",
		"arn:aws:iam::" + account + ":group/nobody",
	} {
		_, err = f.svc.SimulatePrincipalPolicy(ctx, f.root, iam.SimulateInput{PolicySourceARN: arn, ActionNames: []string{"s3:GetObject"}})
		wantCode(t, err, iam.CodeNoSuchEntity)
		if !strings.Contains(err.Error(), "nobody") && !strings.Contains(err.Error(), "eng") {
			t.Errorf("message %q does not name the entity", err)
		}
	}
	_, err = f.svc.SimulatePrincipalPolicy(ctx, f.root, iam.SimulateInput{PolicySourceARN: "arn:aws:s3:::bucket", ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, iam.CodeInvalidInput)
	// A user without policies may not simulate.
	u := f.mustUser(t, "plain")
	k, err := f.svc.CreateAccessKey(ctx, f.root, u.Name)
	if err != nil {
		t.Fatal(err)
	}
	p := f.svc.Authenticate(k.Key.ID).Principal
	_, err = f.svc.SimulateCustomPolicy(ctx, p, iam.SimulateInput{PolicyInputList: []string{awsCLIExample}, ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, iam.CodeAccessDenied)
	_, err = f.svc.SimulatePrincipalPolicy(ctx, p, iam.SimulateInput{PolicySourceARN: u.ARN(), ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, iam.CodeAccessDenied)
}

func TestGetContextKeys(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	// The AWS CLI's documented example.
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}`
	keys, err := f.svc.GetContextKeysForCustomPolicy(ctx, f.root, []string{doc, awsCLIExample})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws:username", "aws:CurrentTime"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	// Groups and roles are policy sources too.
	if _, err := f.svc.CreateGroup(ctx, f.root, "/", "devs"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerGroup, "devs", "tags", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`); err != nil {
		t.Fatal(err)
	}
	keys, err = f.svc.GetContextKeysForPrincipalPolicy(ctx, f.root, "arn:aws:iam::"+account+":group/devs", []string{doc})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws:ResourceTag/team", "aws:PrincipalTag/team", "aws:MultiFactorAuthPresent", "aws:username", "aws:CurrentTime"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("group keys = %q, want %q", keys, want)
	}
	if _, err := f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	keys, err = f.svc.GetContextKeysForPrincipalPolicy(ctx, f.root, "arn:aws:iam::"+account+":role/r", nil)
	if err != nil || len(keys) != 0 {
		t.Errorf("role keys = %q, %v; want none", keys, err)
	}
	out, err := f.svc.SimulatePrincipalPolicy(ctx, f.root, iam.SimulateInput{
		PolicySourceARN: "arn:aws:iam::" + account + ":group/devs", ActionNames: []string{"ec2:RunInstances"},
		ContextEntries: []iam.ContextEntry{
			{Key: "aws:ResourceTag/team", Values: []string{"core"}}, {Key: "aws:PrincipalTag/team", Values: []string{"core"}},
			{Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}, Type: "boolean"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0]
	if r.Decision != "allowed" || len(r.Matched) != 1 || r.Matched[0].SourcePolicyID != "tags" || len(r.Missing) != 0 {
		t.Errorf("group simulation = %+v", r)
	}
}

// contextTypeCases are context values per ContextKeyType, with the policy
// condition operator that compares that type: the valid ones must be read
// by the evaluator as given (a condition comparing the same value matches),
// the others are refused with InvalidInput.
var contextTypeCases = []struct {
	typ    string
	op     string
	values []string
	valid  bool
}{
	{"numeric", "NumericEquals", []string{"42"}, true},
	{"numeric", "NumericEquals", []string{"-1.5"}, true},
	{"numeric", "NumericEquals", []string{"1e3"}, true},
	{"numeric", "NumericEquals", []string{"abc"}, false},
	{"numeric", "NumericEquals", []string{""}, false},
	{"numeric", "NumericEquals", []string{"NaN"}, false},
	{"numeric", "NumericEquals", []string{"Inf"}, false},
	{"numericList", "NumericEquals", []string{"1", "x"}, false},
	{"boolean", "Bool", []string{"true"}, true},
	{"boolean", "Bool", []string{"FALSE"}, true},
	{"boolean", "Bool", []string{"maybe"}, false},
	{"boolean", "Bool", []string{"1"}, false},
	{"booleanList", "Bool", []string{"true", "yes"}, false},
	{"date", "DateEquals", []string{"2019-04-25T11:00:00Z"}, true},
	{"date", "DateEquals", []string{"2019-04-25T11:00:00.123+02:00"}, true},
	{"date", "DateEquals", []string{"2019-04-25"}, true},
	{"date", "DateEquals", []string{"2019-04-25T11:00"}, true},
	{"date", "DateEquals", []string{"1556190000"}, true},
	{"date", "DateEquals", []string{"yesterday"}, false},
	{"date", "DateEquals", []string{"2019-13-01"}, false},
	{"date", "DateEquals", []string{""}, false},
	{"dateList", "DateEquals", []string{"2019-04-25", "soon"}, false},
	{"ip", "IpAddress", []string{"10.0.0.1"}, true},
	{"ip", "IpAddress", []string{"2001:db8::1"}, true},
	{"ip", "IpAddress", []string{"300.1.1.1"}, false},
	{"ip", "IpAddress", []string{"10.0.0.0/8"}, false},
	{"ip", "IpAddress", []string{"host.example"}, false},
	{"ipList", "IpAddress", []string{"10.0.0.1", "10.0.0.256"}, false},
	{"binary", "BinaryEquals", []string{"SGVsbG8="}, true},
	{"binary", "BinaryEquals", []string{"not base64!"}, false},
	{"binary", "BinaryEquals", []string{"SGVsbG9="}, false}, // non-canonical: would never match
	{"ip", "IpAddress", []string{"fe80::1%eth0"}, false},
	{"binaryList", "BinaryEquals", []string{"SGVsbG8=", "%%"}, false},
	{"string", "StringEquals", []string{"anything at all"}, true},
	{"stringList", "StringEquals", []string{"a", ""}, true},
	{"", "StringEquals", []string{"untyped"}, true},
}

// TestSimulateContextEntryTypes: context values that do not fit their
// ContextKeyType are refused (InvalidInput, the error AWS's model lists for
// the simulator's inputs), and every value accepted is one the evaluator
// reads, so that the checks cannot drift from the conditions they feed.
func TestSimulateContextEntryTypes(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	f.mustUser(t, "ctx")
	for _, tc := range contextTypeCases {
		t.Run(tc.typ+"/"+strings.Join(tc.values, ","), func(t *testing.T) {
			// A value that does not fit would not parse in the policy
			// either: the refused ones meet a policy without a condition.
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}}`
			if tc.valid {
				cond, err := json.Marshal(map[string]map[string]string{tc.op: {"ec2:Attribute": tc.values[0]}})
				mustOK(t, err)
				doc = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*","Condition":` + string(cond) + `}}`
			}
			in := iam.SimulateInput{PolicyInputList: []string{doc}, ActionNames: []string{"ec2:DescribeInstances"},
				ContextEntries: []iam.ContextEntry{{Key: "ec2:Attribute", Values: tc.values, Type: tc.typ}}}
			custom, err := f.svc.SimulateCustomPolicy(ctx, f.root, in)
			if !tc.valid {
				wantCode(t, err, iam.CodeInvalidInput)
				if !strings.Contains(err.Error(), "ec2:Attribute") {
					t.Errorf("message %q does not name the key", err)
				}
				// SimulatePrincipalPolicy reads ContextEntries the same way.
				in.PolicySourceARN, in.PolicyInputList = "arn:aws:iam::"+account+":user/ctx", nil
				_, err = f.svc.SimulatePrincipalPolicy(ctx, f.root, in)
				wantCode(t, err, iam.CodeInvalidInput)
				return
			}
			mustOK(t, err)
			if d := custom.Results[0].Decision; d != "allowed" {
				t.Errorf("decision %s, want allowed: the evaluator does not read %q as %s", d, tc.values[0], tc.typ)
			}
		})
	}
}

// FuzzSimulateContextEntry: whatever the type and value, a simulation
// answers or refuses with InvalidInput (no panic, no internal error), and a
// value accepted for a typed key matches a condition of that type comparing
// the same value, so that the check never lets through a value the
// evaluator would silently fail to read.
func FuzzSimulateContextEntry(f *testing.F) {
	fx := newFixture(f, iam.Quotas{})
	for _, tc := range contextTypeCases {
		f.Add(tc.typ, tc.values[0])
	}
	ops := map[string]string{"numeric": "NumericEquals", "boolean": "Bool", "date": "DateEquals", "ip": "IpAddress", "binary": "BinaryEquals"}
	f.Fuzz(func(t *testing.T, typ, value string) {
		ctx := t.Context()
		entry := []iam.ContextEntry{{Key: "ec2:Attribute", Values: []string{value}, Type: typ}}
		_, err := fx.svc.SimulateCustomPolicy(ctx, fx.root, iam.SimulateInput{ActionNames: []string{"ec2:DescribeInstances"},
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}}`},
			ContextEntries:  entry})
		if err != nil {
			if iam.ErrorCode(err) != iam.CodeInvalidInput {
				t.Fatalf("type %q value %q: %v, want success or InvalidInput", typ, value, err)
			}
			return
		}
		op, typed := ops[typ]
		if !typed {
			return
		}
		cond, err := json.Marshal(map[string]map[string]string{op: {"ec2:Attribute": value}})
		if err != nil {
			return
		}
		out, err := fx.svc.SimulateCustomPolicy(ctx, fx.root, iam.SimulateInput{ActionNames: []string{"ec2:DescribeInstances"},
			PolicyInputList: []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*","Condition":` + string(cond) + `}}`},
			ContextEntries:  entry})
		if err != nil {
			return // the policy grammar refuses the value as a condition value
		}
		if d := out.Results[0].Decision; d != "allowed" {
			t.Errorf("type %q value %q accepted but %s does not match it: %s", typ, value, op, d)
		}
	})
}
