package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/authzclient"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/server"
	"github.com/iamd/iamd/sqlite"
)

const (
	accountA = "123456789012"
	accountB = "444455556666"
	rootKey  = "AKIAIOSFODNN7EXAMPLE"
	rootSec  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// env is a running iamd, the object store in front of it, and
// identities created through iamd's IAM API.
type env struct {
	iamd  *server.Server
	store string // object store endpoint
	skew  *atomic.Int64
	data  string
}

func startEnv(t *testing.T) *env {
	t.Helper()
	skew := new(atomic.Int64)
	data := t.TempDir()
	srv, err := server.Start(t.Context(), server.Config{
		Listen: "127.0.0.1:0", DataDir: data, AccountID: accountA, RootAccessKeyID: rootKey, RootSecret: rootSec,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Clock:  func() time.Time { return time.Now().Add(time.Duration(skew.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &env{iamd: srv, skew: skew, data: data}
}

func (e *env) iamClient(id, secret string) *awsiam.Client {
	return awsiam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.iamd.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
}

func (e *env) s3(id, secret, token string, rt http.RoundTripper) *s3.Client {
	hc := &http.Client{Transport: rt}
	return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(id, secret, token),
		HTTPClient: hc, RetryMaxAttempts: 1}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.store)
		o.UsePathStyle = true
	})
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// user creates an IAM user with an inline policy and an access key.
func user(t *testing.T, c *awsiam.Client, name, policy string) (string, string) {
	t.Helper()
	ctx := t.Context()
	must[*awsiam.CreateUserOutput](t)(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}))
	if policy != "" {
		must[*awsiam.PutUserPolicyOutput](t)(c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	}
	k := must[*awsiam.CreateAccessKeyOutput](t)(c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("%s: error %s (%s), want %s", what, ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func wantOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// tamper flips a hex digit of the SigV4 signature after the SDK signed.
type tamper struct{}

func (tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	a := r.Header.Get("Authorization")
	if i := strings.LastIndex(a, "Signature="); i >= 0 && len(a) > i+10 {
		c := a[len(a)-1]
		if c == '0' {
			c = '1'
		} else {
			c = '0'
		}
		r.Header.Set("Authorization", a[:len(a)-1]+string(c))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestObjectStoreEndToEnd(t *testing.T) {
	e := startEnv(t)
	ctx := t.Context()
	root := e.iamClient(rootKey, rootSec)

	// The store's own identity, allowed to ask iamd.
	storeID, storeSecret := user(t, root, "objectstore", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iamd:Authorize","Resource":"*"}]}`)
	client := authzclient.New(e.iamd.Endpoint(), credentials.NewStaticCredentialsProvider(storeID, storeSecret, ""))
	ts := httptest.NewServer(NewStore(client, slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))))
	t.Cleanup(ts.Close)
	e.store = ts.URL

	aliceID, aliceSecret := user(t, root, "alice", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:CreateBucket","s3:PutBucketPolicy","s3:ListBucket"],"Resource":"arn:aws:s3:::data"},
		{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::data/*"},
		{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	bobID, bobSecret := user(t, root, "bob", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/secret/*"}]}`)
	noneID, noneSecret := user(t, root, "nobody", "")

	alice := e.s3(aliceID, aliceSecret, "", nil)
	bob := e.s3(bobID, bobSecret, "", nil)
	nobody := e.s3(noneID, noneSecret, "", nil)

	// Allowed: alice creates the bucket and works in it.
	_, err := alice.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("data")})
	wantOK(t, "alice CreateBucket", err)
	for _, k := range []string{"a.txt", "dir/b.txt", "secret/c.txt"} {
		_, err = alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(k), Body: strings.NewReader("hello " + k)})
		wantOK(t, "alice PutObject "+k, err)
	}
	got, err := alice.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantOK(t, "alice GetObject", err)
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "hello dir/b.txt" {
		t.Fatalf("GetObject body = %q", body)
	}
	_, err = alice.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("a.txt")})
	wantOK(t, "alice HeadObject", err)
	list, err := alice.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("data"), Delimiter: aws.String("/")})
	wantOK(t, "alice ListObjectsV2", err)
	if len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "a.txt" || len(list.CommonPrefixes) != 2 {
		t.Fatalf("ListObjectsV2 = %d objects, %d prefixes", len(list.Contents), len(list.CommonPrefixes))
	}

	// Denied by identity policy: no policy at all, and an explicit deny.
	_, err = nobody.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("a.txt")})
	wantCode(t, "nobody GetObject", err, "AccessDenied")
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("a.txt")})
	wantOK(t, "bob GetObject a.txt", err)
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("secret/c.txt")})
	wantCode(t, "bob GetObject secret (identity deny)", err, "AccessDenied")

	// Denied by the bucket policy, although bob's identity policy allows.
	policy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"NoDeletes","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + accountA + `:user/bob"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::data/*"},
		{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountB + `:user/carol"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/dir/*"}]}`
	_, err = alice.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("data"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`)})
	wantCode(t, "PutBucketPolicy malformed", err, "MalformedPolicy")
	_, err = alice.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("data"), Policy: aws.String(policy)})
	wantOK(t, "alice PutBucketPolicy", err)
	_, err = bob.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("a.txt")})
	wantCode(t, "bob DeleteObject (bucket policy deny)", err, "AccessDenied")
	_, err = alice.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("a.txt")})
	wantOK(t, "alice DeleteObject", err)

	// Cross-account: carol in account B needs both her identity policy
	// and the bucket policy.
	b, err := e.iamd.Service.CreateAccount(ctx, accountB)
	wantOK(t, "CreateAccount", err)
	rootB := e.iamClient(b.RootAccessKeyID, b.RootSecret)
	carolID, carolSecret := user(t, rootB, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)
	daveID, daveSecret := user(t, rootB, "dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	carol := e.s3(carolID, carolSecret, "", nil)
	_, err = carol.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantOK(t, "carol cross-account GetObject", err)
	_, err = carol.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("secret/c.txt")})
	wantCode(t, "carol GetObject outside the grant", err, "AccessDenied")
	_, err = e.s3(daveID, daveSecret, "", nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantCode(t, "dave (not in the bucket policy) cross-account", err, "AccessDenied")

	// Tampered signature.
	_, err = e.s3(aliceID, aliceSecret, "", tamper{}).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantCode(t, "tampered signature", err, "SignatureDoesNotMatch")
	// Unknown key.
	_, err = e.s3("AKIAUNKNOWNUNKNOWN00", aliceSecret, "", nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantCode(t, "unknown access key", err, "InvalidAccessKeyId")

	// Role sessions: a live one works; one that expired is refused with
	// ExpiredToken. The expired session is issued by iamd's own STS with
	// iamd's clock an hour back, so it expired 45 minutes ago.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountA + `:user/alice"},"Action":"sts:AssumeRole"}]}`
	must[*awsiam.CreateRoleOutput](t)(root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("reader"), AssumeRolePolicyDocument: aws.String(trust)}))
	must[*awsiam.PutRolePolicyOutput](t)(root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`)}))
	ap := *e.iamd.Service.Authenticate(aliceID).Principal
	assume := func(what string) iam.Credentials {
		t.Helper()
		out, err := e.iamd.Service.AssumeRole(ctx, &ap, iam.AssumeRoleInput{RoleARN: "arn:aws:iam::" + accountA + ":role/reader", RoleSessionName: what, DurationSeconds: 900})
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		return out.Credentials
	}
	live := assume("live")
	_, err = e.s3(live.AccessKeyID, live.SecretAccessKey, live.SessionToken, nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantOK(t, "role session GetObject", err)
	_, err = e.s3(live.AccessKeyID, live.SecretAccessKey, live.SessionToken, nil).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("x"), Body: bytes.NewReader(nil)})
	wantCode(t, "role session PutObject (role allows only reads)", err, "AccessDenied")
	e.skew.Store(int64(-time.Hour))
	old := assume("old")
	e.skew.Store(0)
	_, err = e.s3(old.AccessKeyID, old.SecretAccessKey, old.SessionToken, nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/b.txt")})
	wantCode(t, "expired session", err, "ExpiredToken")

	// Every decision is on the audit trail, attributed to the client.
	checkAudit(t, e)
}

// checkAudit reads the trail back: decisions by authz.iamd, with the
// deciding principal, and no secret anywhere.
func checkAudit(t *testing.T, e *env) {
	t.Helper()
	st, err := auditEvents(t, e)
	if err != nil {
		t.Fatal(err)
	}
	var allow, deny, failed int
	for _, ev := range st {
		if ev.EventName != "Authorize" || ev.UserIdentity.UserName != "objectstore" {
			t.Fatalf("event %s by %+v, want Authorize by the store", ev.EventName, ev.UserIdentity)
		}
		raw, _ := ev.Canonical()
		for _, secret := range []string{rootSec, "Signature=", "X-Amz-Security-Token", "Authorization"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Fatalf("audit event holds %q: %s", secret, raw)
			}
		}
		var body struct {
			RequestParameters struct {
				Decisions []struct {
					Principal *struct{ ARN string }
					Results   []struct{ Decision string }
					ErrorCode string
				}
			}
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		for _, d := range body.RequestParameters.Decisions {
			switch {
			case d.ErrorCode != "" && d.Principal == nil:
				failed++
			case len(d.Results) == 1 && d.Results[0].Decision == "Allow":
				allow++
			case len(d.Results) == 1:
				deny++
			default:
				t.Fatalf("decision entry %+v", d)
			}
		}
	}
	if allow < 10 || deny < 6 || failed < 3 {
		t.Fatalf("audit: %d allowed, %d denied, %d failed decisions; want at least 10, 6, 3", allow, deny, failed)
	}
}

func auditEvents(t *testing.T, e *env) ([]*audit.Event, error) {
	t.Helper()
	ctx := t.Context()
	if err := e.iamd.Shutdown(ctx); err != nil { // flushes the trail
		return nil, err
	}
	return readTrail(t, e)
}

// readTrail reads the decision events from the stopped server's database.
func readTrail(t *testing.T, e *env) ([]*audit.Event, error) {
	db, err := sqlite.Open(t.Context(), filepath.Join(e.data, "iamd.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var out []*audit.Event
	err = db.ScanAudit(t.Context(), audit.Query{EventSource: "authz.iamd"}, func(r *audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		out = append(out, &ev)
		return nil
	})
	return out, err
}
