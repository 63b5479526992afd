package authzapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/iam"
)

func iamRole(name string) iam.CreateRoleInput {
	return iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`}
}

func authzclientWrongSecret(f *fixture) *authzclient.Client {
	k := f.keys[acct+"/service"]
	return authzclient.New(f.srv.Endpoint(), credentials.NewStaticCredentialsProvider(k[0], "wrong"+k[1], ""))
}

const aliceARN = "arn:aws:iam::" + acct + ":user/alice"

// authorizeTests are decisions for principals named by ARN, each with the
// gate and statements AWS's logic gives.
var authorizeTests = []struct {
	name      string
	principal string
	check     authzclient.Check
	decision  string
	gate      string
	sids      []string // gate:Sid of the matched statements, in order
}{
	{"identity allow", aliceARN, authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}, "Allow", "", []string{"identity:Read", "boundary:"}},
	{"identity explicit deny", aliceARN, authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/x"}, "ExplicitDeny", "identity", []string{"identity:NoSecret"}},
	{"inside the boundary", aliceARN, authzclient.Check{Action: "s3:ListBucket", Resource: "arn:aws:s3:::data"}, "Allow", "", []string{"identity:Read", "boundary:"}},
	{"no statement", aliceARN, authzclient.Check{Action: "ec2:RunInstances", Resource: "*"}, "ImplicitDeny", "identity", nil},
	{"principal tag and request key", aliceARN, authzclient.Check{Action: "s3:PutObject", Resource: "arn:aws:s3:::data/a",
		Context: map[string][]string{"s3:x-amz-acl": {"private"}}}, "Allow", "", []string{"identity:Tagged", "boundary:"}},
	{"request key missing", aliceARN, authzclient.Check{Action: "s3:PutObject", Resource: "arn:aws:s3:::data/a"}, "ImplicitDeny", "identity", nil},
	{"source ip allowed", aliceARN, authzclient.Check{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::data/a",
		Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}}}, "Allow", "", []string{"identity:Net", "boundary:"}},
	{"source ip refused", aliceARN, authzclient.Check{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::data/a",
		Context: map[string][]string{"aws:SourceIp": {"192.0.2.1"}}}, "ImplicitDeny", "identity", nil},
	{"resource policy alone, same account", "arn:aws:iam::" + acct + ":user/noperm", authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::pub/x",
		ResourcePolicy:  `{"Version":"2012-10-17","Statement":[{"Sid":"Pub","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:user/noperm"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`,
		ResourceAccount: acct}, "Allow", "", []string{"resource:Pub"}},
	{"resource policy deny wins", aliceARN, authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a",
		ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"Block","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`}, "ExplicitDeny", "resource", []string{"resource:Block"}},
	{"cross account needs the resource policy", aliceARN, authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a", ResourceAccount: acctB}, "ImplicitDeny", "resource", nil},
	{"cross account with both sides", aliceARN, authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a", ResourceAccount: acctB,
		ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"Share","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"s3:GetObject","Resource":"*"}]}`},
		"Allow", "", []string{"identity:Read", "resource:Share", "boundary:"}},
	{"root of the account", "arn:aws:iam::" + acct + ":root", authzclient.Check{Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::data"}, "Allow", "", nil},
	{"bounded user", "arn:aws:iam::" + acct + ":user/bounded", authzclient.Check{Action: "s3:PutObject", Resource: "arn:aws:s3:::data/a"}, "ImplicitDeny", "boundary", nil},
	{"bounded user inside the boundary", "arn:aws:iam::" + acct + ":user/bounded", authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}, "Allow", "", []string{"identity:All", "boundary:"}},
	{"role session", "arn:aws:sts::" + acct + ":assumed-role/reader/sess-1", authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}, "Allow", "", []string{"identity:RoleRead"}},
	{"role session outside the role", "arn:aws:sts::" + acct + ":assumed-role/reader/sess-1", authzclient.Check{Action: "s3:PutObject", Resource: "arn:aws:s3:::data/a"}, "ImplicitDeny", "identity", nil},
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.user(t, acct, "bounded", `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
	if _, err := f.svc.CreateRole(ctx, f.root, iamRole("reader")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerRole, "reader", "read",
		`{"Version":"2012-10-17","Statement":[{"Sid":"RoleRead","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range authorizeTests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.caller.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: tc.principal}, Check: tc.check})
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if out.Decision != tc.decision || out.Gate != tc.gate || out.Allowed != (tc.decision == "Allow") {
				t.Fatalf("decision = %s/%s (allowed %v), want %s/%s", out.Decision, out.Gate, out.Allowed, tc.decision, tc.gate)
			}
			var sids []string
			for _, m := range out.Matched {
				sids = append(sids, m.Gate+":"+m.Sid)
			}
			if strings.Join(sids, ",") != strings.Join(tc.sids, ",") {
				t.Fatalf("matched statements = %v, want %v (%+v)", sids, tc.sids, out.Matched)
			}
			if out.Principal.ARN != tc.principal || out.RequestID == "" {
				t.Fatalf("principal = %+v, request ID %q", out.Principal, out.RequestID)
			}
			if s := out.Principal.Session; strings.Contains(tc.principal, ":assumed-role/") &&
				(out.Principal.Type != "AssumedRole" || s == nil || s.Kind != "role" || s.RoleARN != "arn:aws:iam::"+acct+":role/reader" || s.Expires != nil) {
				t.Fatalf("session named by ARN: %+v %+v", out.Principal, s)
			}
		})
	}
}

func TestAuthorizeStatementDetails(t *testing.T) {
	f := newFixture(t)
	out, err := f.caller.Authorize(t.Context(), &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
		Check: authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := authzclient.Result{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/a", Decision: "ExplicitDeny", Gate: "identity"}
	if len(out.Matched) != 1 {
		t.Fatalf("matched = %+v", out.Matched)
	}
	m := out.Matched[0]
	if out.Action != want.Action || out.Resource != want.Resource || m.Gate != "identity" || m.PolicyID != "p" || m.Index != 1 || m.Sid != "NoSecret" || m.Effect != "ExplicitDeny" {
		t.Fatalf("result = %+v, statement %+v", out.Result, m)
	}
	p := out.Principal
	if p.Type != "User" || p.AccountID != acct || p.UserName != "alice" || !strings.HasPrefix(p.UserID, "AIDA") ||
		len(p.Tags) != 1 || p.Tags[0].Key != "team" || p.Tags[0].Value != "core" || p.Session != nil {
		t.Fatalf("principal = %+v", p)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ok := authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}
	for _, tc := range []struct {
		name         string
		client       *authzclient.Client
		in           authzclient.AuthorizeRequest
		code, source string
		status       int
	}{
		{"caller without iamd:Authorize", f.client(t, acct+"/noperm"), authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Check: ok},
			"AccessDenied", "caller", http.StatusForbidden},
		{"caller with a wrong secret", authzclientWrongSecret(f), authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Check: ok},
			"SignatureDoesNotMatch", "caller", http.StatusForbidden},
		{"unknown principal", f.caller, authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: "arn:aws:iam::" + acct + ":user/ghost"}, Check: ok},
			"NoSuchEntity", "subject", http.StatusNotFound},
		{"not a principal ARN", f.caller, authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: "arn:aws:s3:::data"}, Check: ok},
			"InvalidInput", "subject", http.StatusBadRequest},
		{"no subject", f.caller, authzclient.AuthorizeRequest{Check: ok}, "InvalidRequest", "request", http.StatusBadRequest},
		{"reserved context key", f.caller, authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
			Check: authzclient.Check{Action: "s3:GetObject", Resource: "*", Context: map[string][]string{"aws:PrincipalTag/team": {"x"}}}},
			"InvalidInput", "request", http.StatusBadRequest},
		{"bad action", f.caller, authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}, Check: authzclient.Check{Action: "GetObject", Resource: "*"}},
			"InvalidInput", "request", http.StatusBadRequest},
		{"malformed resource policy", f.caller, authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
			Check: authzclient.Check{Action: "s3:GetObject", Resource: "*", ResourcePolicy: `{"Statement":[`}}, "MalformedPolicyDocument", "request", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.Authorize(ctx, &tc.in)
			ae := wantErr(t, err, tc.code, tc.source)
			if ae.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d", ae.StatusCode, tc.status)
			}
		})
	}
}

func TestAuthorizeBatch(t *testing.T) {
	f := newFixture(t)
	out, err := f.caller.AuthorizeBatch(t.Context(), &authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN},
		ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Sid":"NoList","Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"*"}]}`,
		Checks: []authzclient.Check{
			{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"},
			{Action: "s3:ListBucket", Resource: "arn:aws:s3:::data"},
			{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/secret/b"},
			{Action: "s3:ListBucket", Resource: "arn:aws:s3:::data", ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"*"}]}`},
		}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Results {
		got = append(got, r.Decision+"/"+r.Gate)
	}
	if want := "Allow/,ExplicitDeny/resource,ExplicitDeny/identity,Allow/"; strings.Join(got, ",") != want {
		t.Fatalf("batch = %v, want %s", got, want)
	}
	_, err = f.caller.AuthorizeBatch(t.Context(), &authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: aliceARN}})
	wantErr(t, err, "InvalidInput", "request")
}

func TestEndpointErrors(t *testing.T) {
	f := newFixture(t)
	tok := f.token(acct + "/service")
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{http.MethodPost, "/iamd/authz/v1/authorize", strings.Repeat(" ", 5<<20), http.StatusRequestEntityTooLarge, "RequestEntityTooLarge"},
		{http.MethodPost, "/iamd/authz/v1/authorize", `{"principalArn":`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodPost, "/iamd/authz/v1/authorize", `{"action":7}`, http.StatusBadRequest, "InvalidRequest"},
		{http.MethodGet, "/iamd/authz/v1/authorize", "", http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodGet, "/access/v1/evaluation", "", http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodPost, "/iamd/authz/v1/nope", "{}", http.StatusNotFound, "NotFound"},
		{http.MethodPost, "/access/v1/search/subject", "{}", http.StatusNotFound, "NotFound"},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.Endpoint()+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Error struct{ Code string } }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || out.Error.Code != tc.code {
			t.Errorf("%s %s: %d %q (%v), want %d %s", tc.method, tc.path, resp.StatusCode, out.Error.Code, err, tc.status, tc.code)
		}
	}
}
