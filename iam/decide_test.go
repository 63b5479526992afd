package iam_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
	"github.com/iamd/iamd/sigv4"
)

// TestDecideAgreesWithAuthorize: Decide is the enforcement path, so for
// the same principal and request it must reach Authorize's verdict.
func TestDecideAgreesWithAuthorize(t *testing.T) {
	svc, p, _ := authzFixture(t)
	checks := []iam.Check{
		{Action: "iam:ListUsers", Resource: "arn:aws:iam::111122223333:user/"},
		{Action: "iam:ListRoles", Resource: "arn:aws:iam::111122223333:role/"},
		{Action: "iam:GetUser", Resource: "arn:aws:iam::111122223333:user/eng"},
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::bucket/key"},
		{Action: "ec2:DescribeInstances", Resource: "*"},
		{Action: "iam:ListdevGroups", Resource: "*"},
	}
	res, err := svc.Decide(p, iam.DecideInput{Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		want := svc.Authorize(p, c.Action, c.Resource) == nil
		if got := res[i].Decision == policy.Allow; got != want {
			t.Errorf("Decide(%s, %s) allowed = %v, Authorize allowed = %v", c.Action, c.Resource, got, want)
		}
	}
}

func TestPrincipalFromARN(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	if _, err := f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "eng", Path: "/teams/core/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "ops", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arn      string
		typ      iam.PrincipalType
		code     iam.Code
		userName string
	}{
		{"arn:aws:iam::111122223333:user/teams/core/eng", iam.PrincipalUser, "", "eng"},
		{"arn:aws:iam::111122223333:user/eng", 0, iam.CodeNoSuchEntity, ""}, // the path is part of the ARN
		{"arn:aws:iam::111122223333:user/ghost", 0, iam.CodeNoSuchEntity, ""},
		{"arn:aws:iam::111122223333:root", iam.PrincipalRoot, "", ""},
		{"arn:aws:sts::111122223333:assumed-role/ops/s1", iam.PrincipalAssumedRole, "", ""},
		{"arn:aws:sts::111122223333:assumed-role/ops/", 0, iam.CodeInvalidInput, ""},
		{"arn:aws:sts::111122223333:assumed-role/nope/s1", 0, iam.CodeNoSuchEntity, ""},
		{"arn:aws:iam::999999999999:root", 0, iam.CodeNoSuchEntity, ""},
		{"arn:aws:iam::111122223333:role/ops", 0, iam.CodeInvalidInput, ""},
		{"arn:aws:s3:::bucket", 0, iam.CodeInvalidInput, ""},
		{"alice", 0, iam.CodeInvalidInput, ""},
	} {
		p, err := f.svc.PrincipalFromARN(tc.arn, f.now)
		if tc.code != "" {
			var ie *iam.Error
			if !errors.As(err, &ie) || ie.Code != tc.code {
				t.Errorf("PrincipalFromARN(%q) = %v, %v; want %s", tc.arn, p, err, tc.code)
			}
			continue
		}
		if err != nil || p.Type != tc.typ || p.ARN != tc.arn || p.UserName != tc.userName || p.AccountID != "111122223333" {
			t.Errorf("PrincipalFromARN(%q) = %+v, %v", tc.arn, p, err)
		}
	}
}

func TestReservedContextKey(t *testing.T) {
	for key, want := range map[string]bool{
		"aws:PrincipalArn": true, "AWS:PRINCIPALTAG/team": true, "aws:userid": true, "aws:MultiFactorAuthPresent": true,
		"aws:CurrentTime": true, "aws:SourceIdentity": true,
		"aws:SourceIp": false, "aws:RequestTag/team": false, "s3:prefix": false, "aws:ResourceTag/x": false, "aws:SecureTransport": false,
	} {
		if got := iam.ReservedContextKey(key); got != want {
			t.Errorf("ReservedContextKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestDecideInput(t *testing.T) {
	svc, p, _ := authzFixture(t)
	many := make([]iam.Check, iam.MaxDecideChecks+1)
	for i := range many {
		many[i] = iam.Check{Action: "s3:GetObject", Resource: "*"}
	}
	big := map[string][]string{}
	for i := range 65 {
		big["s3:k"+string(rune('a'+i%26))+string(rune('a'+i/26))] = []string{"v"}
	}
	for name, in := range map[string]iam.DecideInput{
		"no checks":         {},
		"too many checks":   {Checks: many},
		"no action":         {Checks: []iam.Check{{Resource: "*"}}},
		"not an ARN":        {Checks: []iam.Check{{Action: "s3:GetObject", Resource: "bucket/key"}}},
		"reserved key":      {Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*", Context: map[string][]string{"aws:username": {"root"}}}}},
		"too many keys":     {Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*", Context: big}}},
		"bad account":       {Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*", ResourceAccount: "12"}}},
		"malformed policy":  {ResourcePolicy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}`, Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*"}}},
		"identity policy":   {ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*"}}},
		"oversized context": {Checks: []iam.Check{{Action: "s3:GetObject", Resource: "*", Context: map[string][]string{"s3:prefix": {string(make([]byte, 17<<10))}}}}},
	} {
		if _, err := svc.Decide(p, in); err == nil {
			t.Errorf("%s: Decide succeeded", name)
		} else if ie := (*iam.Error)(nil); !errors.As(err, &ie) || (ie.Code != iam.CodeInvalidInput && ie.Code != iam.CodeMalformedPolicy) {
			t.Errorf("%s: err = %v, want InvalidInput or MalformedPolicyDocument", name, err)
		}
	}
}

// signAt signs a request for service with the credentials at t, as a
// client does, and returns it as iamd receives it forwarded.
func signAt(t *testing.T, id, secret, token, service string, at time.Time) *iam.SignedRequest {
	t.Helper()
	body := []byte(`{"k":"v"}`)
	r, _ := http.NewRequest(http.MethodPost, "https://api.example.com/v1/things?b=2&a=1", bytes.NewReader(body))
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token},
		r, hex.EncodeToString(sum[:]), service, "us-west-2", at); err != nil {
		t.Fatal(err)
	}
	h := r.Header.Clone()
	h.Set("Host", r.Host)
	h.Set("Content-Length", strconv.Itoa(len(body))) // net/http keeps it out of Header; the SDK signs it
	return &iam.SignedRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: h, Body: body}
}

func TestAuthenticateRequest(t *testing.T) {
	f := newFixture(t, iam.Quotas{})
	ctx := t.Context()
	if _, err := f.svc.CreateUser(ctx, f.root, iam.CreateUserInput{UserName: "eng"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerUser, "eng", "sts", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	k, err := f.svc.CreateAccessKey(ctx, f.root, "eng")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRole(ctx, f.root, iam.CreateRoleInput{RoleName: "ops", AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	eng := *f.svc.Authenticate(k.Key.ID).Principal
	out, err := f.svc.AssumeRole(ctx, &eng, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::111122223333:role/ops", RoleSessionName: "s", DurationSeconds: 900})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	v := &sigv4.Verifier{}

	p, err := f.svc.AuthenticateRequest(v, signAt(t, k.Key.ID, k.Secret, "", "execute-api", f.now), f.now)
	if err != nil || p.ARN != "arn:aws:iam::111122223333:user/eng" || p.Request == nil || p.Request.Region != "us-west-2" {
		t.Fatalf("access key: %+v, %v", p, err)
	}
	p, err = f.svc.AuthenticateRequest(v, signAt(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, "custom", f.now), f.now)
	if err != nil || p.Type != iam.PrincipalAssumedRole || p.Session == nil {
		t.Fatalf("session: %+v, %v", p, err)
	}

	code := func(err error) string {
		var se *sigv4.Error
		var ie *iam.Error
		switch {
		case errors.As(err, &se):
			return se.Code
		case errors.As(err, &ie):
			return string(ie.Code)
		}
		return "nil"
	}
	tampered := signAt(t, k.Key.ID, k.Secret, "", "s3", f.now)
	tampered.Body = []byte(`{"k":"w"}`)
	wrongQuery := signAt(t, k.Key.ID, k.Secret, "", "s3", f.now)
	wrongQuery.Query = "a=1&b=3"
	noHost := signAt(t, k.Key.ID, k.Secret, "", "s3", f.now)
	noHost.Header.Del("Host")
	badPath := signAt(t, k.Key.ID, k.Secret, "", "s3", f.now)
	badPath.Path = "v1/things"
	for _, tc := range []struct {
		name string
		in   *iam.SignedRequest
		at   time.Time
		want string
	}{
		{"wrong secret", signAt(t, k.Key.ID, "x"+k.Secret, "", "s3", f.now), f.now, "SignatureDoesNotMatch"},
		{"body changed", tampered, f.now, "SignatureDoesNotMatch"},
		{"query changed", wrongQuery, f.now, "SignatureDoesNotMatch"},
		{"unknown key", signAt(t, "AKIAUNKNOWNUNKNOWN00", k.Secret, "", "s3", f.now), f.now, "InvalidClientTokenId"},
		{"too old", signAt(t, k.Key.ID, k.Secret, "", "s3", f.now.Add(-20*time.Minute)), f.now, "SignatureDoesNotMatch"},
		{"session key with another token", signAt(t, c.AccessKeyID, c.SecretAccessKey, "AAAA", "s3", f.now), f.now, "InvalidClientTokenId"},
		{"no host", noHost, f.now, "InvalidInput"},
		{"relative path", badPath, f.now, "InvalidInput"},
	} {
		if _, err := f.svc.AuthenticateRequest(v, tc.in, tc.at); code(err) != tc.want {
			t.Errorf("%s: err = %v, want %s", tc.name, err, tc.want)
		}
	}
	// An hour on, the 15-minute session has expired.
	f.now = f.now.Add(time.Hour)
	if _, err := f.svc.AuthenticateRequest(v, signAt(t, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, "s3", f.now), f.now); code(err) != "ExpiredToken" {
		t.Errorf("expired session: err = %v, want ExpiredToken", err)
	}
}

// FuzzAuthenticateRequest: any forwarded request is refused or accepted
// with an *Error or *sigv4.Error, never a panic.
func FuzzAuthenticateRequest(f *testing.F) {
	fx := newFixture(f, iam.Quotas{})
	v := &sigv4.Verifier{}
	f.Add("GET", "/a/b", "x=1", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260315/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20260315T120000Z", "example.com")
	f.Add("PUT", "/%zz", "a=%", "AWS4-HMAC-SHA256 Credential=A/B/C/D/E", "", "h")
	f.Fuzz(func(t *testing.T, method, path, query, auth, date, host string) {
		h := http.Header{"Authorization": {auth}, "X-Amz-Date": {date}, "Host": {host}}
		_, err := fx.svc.AuthenticateRequest(v, &iam.SignedRequest{Method: method, Path: path, Query: query, Header: h}, fx.now)
		var se *sigv4.Error
		var ie *iam.Error
		if err == nil || !(errors.As(err, &se) || errors.As(err, &ie)) {
			t.Fatalf("AuthenticateRequest = %v", err)
		}
	})
}
