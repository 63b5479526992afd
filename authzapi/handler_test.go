package authzapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/server"
)

const (
	acct     = "123456789012"
	acctB    = "444455556666"
	rootKey  = "AKIAIOSFODNN7EXAMPLE"
	rootSec  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iamd:Authorize","Resource":"*"}]}`
)

// fixture is a real iamd with the identities the tests decide for.
type fixture struct {
	srv    *server.Server
	svc    *iam.Service
	root   *iam.Principal
	caller *authzclient.Client // the calling service, allowed iamd:Authorize
	keys   map[string][2]string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	srv, err := server.Start(tb.Context(), server.Config{
		Listen: "127.0.0.1:0", DataDir: tb.TempDir(), AccountID: acct, RootAccessKeyID: rootKey, RootSecret: rootSec,
		Logger: slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	f := &fixture{srv: srv, svc: srv.Service, root: srv.Service.Authenticate(rootKey).Principal, keys: map[string][2]string{}}
	f.user(tb, acct, "service", allowAll, "")
	f.user(tb, acct, "noperm", "", "")
	f.user(tb, acct, "alice", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]},
		{"Sid":"NoSecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/secret/*"},
		{"Sid":"Tagged","Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"core","s3:x-amz-acl":"private"}}},
		{"Sid":"Net","Effect":"Allow","Action":"s3:DeleteObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		"arn:aws:iam::aws:policy/AmazonS3FullAccess")
	if err := f.svc.TagUser(tb.Context(), f.root, "alice", []iam.Tag{{Key: "team", Value: "core"}}); err != nil {
		tb.Fatal(err)
	}
	c := f.keys[acct+"/service"]
	f.caller = authzclient.New(srv.Endpoint(), credentials.NewStaticCredentialsProvider(c[0], c[1], ""))
	return f
}

// user creates a user with an optional inline policy and boundary, and an
// access key.
func (f *fixture) user(tb testing.TB, account, name, policy, boundary string) {
	tb.Helper()
	ctx := tb.Context()
	root := f.root
	if account != acct {
		root = f.rootOf(tb, account)
	}
	if _, err := f.svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: name}); err != nil {
		tb.Fatal(err)
	}
	if policy != "" {
		if err := f.svc.PutInlinePolicy(ctx, root, iam.OwnerUser, name, "p", policy); err != nil {
			tb.Fatal(err)
		}
	}
	if boundary != "" {
		if err := f.svc.PutUserPermissionsBoundary(ctx, root, name, boundary); err != nil {
			tb.Fatal(err)
		}
	}
	k, err := f.svc.CreateAccessKey(ctx, root, name)
	if err != nil {
		tb.Fatal(err)
	}
	f.keys[account+"/"+name] = [2]string{k.Key.ID, k.Secret}
}

func (f *fixture) rootOf(tb testing.TB, account string) *iam.Principal {
	tb.Helper()
	if k, ok := f.keys[account+"/root"]; ok {
		return f.svc.Authenticate(k[0]).Principal
	}
	b, err := f.svc.CreateAccount(tb.Context(), account)
	if err != nil {
		tb.Fatal(err)
	}
	f.keys[account+"/root"] = [2]string{b.RootAccessKeyID, b.RootSecret}
	return f.svc.Authenticate(b.RootAccessKeyID).Principal
}

func (f *fixture) client(tb testing.TB, who string) *authzclient.Client {
	k, ok := f.keys[who]
	if !ok {
		tb.Fatalf("no key for %s", who)
	}
	return authzclient.New(f.srv.Endpoint(), credentials.NewStaticCredentialsProvider(k[0], k[1], ""))
}

// signed returns a client request signed by who for service, as a
// service would receive it, forwarded.
func (f *fixture) signed(tb testing.TB, who, token, service, method, target string, body []byte) *authzclient.SignedRequest {
	tb.Helper()
	k := f.keys[who]
	r, err := http.NewRequest(method, "http://svc.example:8080"+target, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(body)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	creds := aws.Credentials{AccessKeyID: k[0], SecretAccessKey: k[1], SessionToken: token}
	// S3 signs the path as sent; every other service escapes it again,
	// as aws-sdk-go-v2's s3 client configures its signer.
	opt := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" }
	if err := v4.NewSigner().SignHTTP(tb.Context(), creds, r, hex.EncodeToString(sum[:]), service, "eu-west-1", time.Now(), opt); err != nil {
		tb.Fatal(err)
	}
	h := map[string][]string{"Host": {r.Host}}
	for name, v := range r.Header {
		h[name] = v
	}
	if len(body) > 0 {
		h["Content-Length"] = []string{itoa(len(body))}
	}
	return &authzclient.SignedRequest{Method: method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: h}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func wantErr(tb testing.TB, err error, code, source string) *authzclient.Error {
	tb.Helper()
	var ae *authzclient.Error
	if !errors.As(err, &ae) {
		tb.Fatalf("err = %v, want %s (%s)", err, code, source)
	}
	if ae.Code != code || ae.Source != source {
		tb.Fatalf("error %s (%s): %s; want %s (%s)", ae.Code, ae.Source, ae.Message, code, source)
	}
	return ae
}

// post sends body to path with a static token (the adapters' way).
func (f *fixture) post(tb testing.TB, path, token, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.Endpoint()+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("%s: body %q is not JSON", path, b)
	}
	return resp.StatusCode, out
}

func (f *fixture) token(who string) string { k := f.keys[who]; return k[0] + ":" + k[1] }

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

func canonical(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
