package authzapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/iam"
)

// TestSignedRequest: the subject is a client's SigV4 request for some
// other service, forwarded as received.
func TestSignedRequest(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	ck := authzclient.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"}
	ask := func(sr *authzclient.SignedRequest) (*authzclient.AuthorizeResponse, error) {
		return f.caller.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{SignedRequest: sr}, Check: ck})
	}

	for _, svc := range []string{"s3", "execute-api", "myservice"} {
		sr := f.signed(t, acct+"/alice", "", svc, http.MethodPut, "/data/a%20b.txt?x-id=PutObject&tagging", []byte("payload"))
		out, err := ask(sr)
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		if !out.Allowed || out.Principal.ARN != aliceARN || out.Principal.AccessKeyID != f.keys[acct+"/alice"][0] {
			t.Fatalf("%s: %+v", svc, out)
		}
	}

	tampered := f.signed(t, acct+"/alice", "", "s3", http.MethodGet, "/data/a", nil)
	tampered.Path = "/data/b"
	_, err := ask(tampered)
	wantErr(t, err, "SignatureDoesNotMatch", "subject")

	unknown := f.signed(t, acct+"/alice", "", "s3", http.MethodGet, "/data/a", nil)
	unknown.Header["Authorization"][0] = replaceKey(unknown.Header["Authorization"][0], f.keys[acct+"/alice"][0], "AKIAUNKNOWNUNKNOWN00")
	_, err = ask(unknown)
	wantErr(t, err, "InvalidClientTokenId", "subject")

	// A presigned URL, as S3 clients share them.
	k := f.keys[acct+"/alice"]
	pr, _ := http.NewRequest(http.MethodGet, "http://svc.example:8080/data/a?X-Amz-Expires=300", nil)
	url, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: k[0], SecretAccessKey: k[1]}, pr, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now(),
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		t.Fatal(err)
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(url, "http://svc.example:8080"), "?")
	out, err := ask(&authzclient.SignedRequest{Method: http.MethodGet, Path: path, Query: query, Header: map[string][]string{"Host": {"svc.example:8080"}}})
	if err != nil || !out.Allowed || out.Principal.ARN != aliceARN {
		t.Fatalf("presigned: %+v, %v", out, err)
	}
	_, err = ask(&authzclient.SignedRequest{Method: http.MethodPut, Path: path, Query: query, Header: map[string][]string{"Host": {"svc.example:8080"}}})
	wantErr(t, err, "SignatureDoesNotMatch", "subject")

	unsigned := f.signed(t, acct+"/alice", "", "s3", http.MethodGet, "/data/a", nil)
	delete(unsigned.Header, "Authorization")
	_, err = ask(unsigned)
	wantErr(t, err, "MissingAuthenticationToken", "subject")

	// Role session credentials, live and expired.
	if _, err := f.svc.CreateRole(ctx, f.root, iamRole("reader")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, iam.OwnerRole, "reader", "read",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.TagRole(ctx, f.root, "reader", []iam.Tag{{Key: "tier", Value: "gold"}}); err != nil {
		t.Fatal(err)
	}
	f.user(t, acct, "assumer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Resource":"*"}]}`, "")
	assumer := *f.svc.Authenticate(f.keys[acct+"/assumer"][0]).Principal
	sess, err := f.svc.AssumeRole(ctx, &assumer, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + acct + ":role/reader", RoleSessionName: "s1",
		DurationSeconds: 900, SourceIdentity: "alice@example.com", Tags: []iam.Tag{{Key: "project", Value: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := sess.Credentials
	f.keys["session"] = [2]string{c.AccessKeyID, c.SecretAccessKey}
	out, err = ask(f.signed(t, "session", c.SessionToken, "s3", http.MethodGet, "/data/a", nil))
	if err != nil {
		t.Fatal(err)
	}
	p := out.Principal
	if !out.Allowed || p.Type != "AssumedRole" || p.ARN != "arn:aws:sts::"+acct+":assumed-role/reader/s1" || p.Session == nil ||
		p.Session.Kind != "role" || p.Session.SourceIdentity != "alice@example.com" || p.Session.MFA ||
		p.Session.Expires == nil || !p.Session.Expires.After(time.Now()) || p.Session.Expires.Sub(*p.Session.Issued) != 900*time.Second || len(p.Tags) != 2 {
		t.Fatalf("session decision = %+v, principal %+v, session %+v", out.Result, p, p.Session)
	}
	bad := f.signed(t, "session", c.SessionToken[:len(c.SessionToken)-4]+"AAAA", "s3", http.MethodGet, "/data/a", nil)
	_, err = ask(bad)
	wantErr(t, err, "InvalidClientTokenId", "subject")
}

func replaceKey(auth, old, new string) string {
	for i := 0; i+len(old) <= len(auth); i++ {
		if auth[i:i+len(old)] == old {
			return auth[:i] + new + auth[i+len(old):]
		}
	}
	return auth
}
