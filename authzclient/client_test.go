package authzclient_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

const acct = "123456789012"

// start runs iamd with a calling service and a user, returning a client
// signed as the service and the user's key.
func start(t *testing.T) (*server.Server, *authzclient.Client, *iam.NewAccessKey) {
	t.Helper()
	srv, err := server.Start(t.Context(), server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AccountID: acct,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	ctx := t.Context()
	root := srv.Service.Authenticate(srv.Bootstrap.RootAccessKeyID).Principal
	mk := func(name, doc string) *iam.NewAccessKey {
		if _, err := srv.Service.CreateUser(ctx, root, iam.CreateUserInput{UserName: name}); err != nil {
			t.Fatal(err)
		}
		if err := srv.Service.PutInlinePolicy(ctx, root, iam.OwnerUser, name, "p", doc); err != nil {
			t.Fatal(err)
		}
		k, err := srv.Service.CreateAccessKey(ctx, root, name)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	svcKey := mk("svc", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iamd:Authorize","Resource":"*"}]}`)
	user := mk("u", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"orders:Get*","Resource":"arn:aws:orders:eu-west-1:`+acct+`:order/*"}]}`)
	c := authzclient.New(srv.Endpoint(), credentials.NewStaticCredentialsProvider(svcKey.Key.ID, svcKey.Secret, ""), authzclient.WithRegion("eu-west-1"))
	return srv, c, user
}

// TestForwardRequest: a service built on net/http receives a client's
// signed request and forwards it; iamd resolves the client.
func TestForwardRequest(t *testing.T) {
	_, c, user := start(t)
	type answer struct {
		allowed bool
		arn     string
		err     error
	}
	answers := make(chan answer, 1)
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := c.Authorize(r.Context(), &authzclient.AuthorizeRequest{
			Subject: authzclient.Subject{SignedRequest: authzclient.ForwardRequest(r)},
			Check:   authzclient.Check{Action: "orders:GetOrder", Resource: "arn:aws:orders:eu-west-1:" + acct + ":order/" + strings.TrimPrefix(r.URL.Path, "/orders/")},
		})
		if err != nil {
			answers <- answer{err: err}
		} else {
			answers <- answer{allowed: out.Allowed, arn: out.Principal.ARN}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer svc.Close()
	send := func(path string, body string, secret string) answer {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, svc.URL+path+"?verbose=true&a=%2Fb", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: user.Key.ID, SecretAccessKey: secret}, req,
			"UNSIGNED-PAYLOAD", "orders", "eu-west-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-answers
	}
	if a := send("/orders/42", `{"x":1}`, user.Secret); a.err != nil || !a.allowed || a.arn != "arn:aws:iam::"+acct+":user/u" {
		t.Fatalf("forwarded request: %+v", a)
	}
	a := send("/orders/%C3%A9t%C3%A9", "", user.Secret)
	if a.err != nil || !a.allowed {
		t.Fatalf("escaped path: %+v", a)
	}
	a = send("/orders/1", "", "wrong")
	var ae *authzclient.Error
	if !errors.As(a.err, &ae) || ae.Code != "SignatureDoesNotMatch" || ae.Source != "subject" || ae.StatusCode != http.StatusForbidden || ae.RequestID == "" {
		t.Fatalf("wrong secret: %+v (%v)", a, a.err)
	}
}

func TestClientErrors(t *testing.T) {
	srv, c, user := start(t)
	ctx := t.Context()
	out, err := c.AuthorizeBatch(ctx, &authzclient.BatchRequest{Subject: authzclient.Subject{PrincipalARN: "arn:aws:iam::" + acct + ":user/u"},
		Checks: []authzclient.Check{{Action: "orders:GetOrder", Resource: "arn:aws:orders:eu-west-1:" + acct + ":order/1"}, {Action: "orders:DeleteOrder", Resource: "*"}}})
	if err != nil || len(out.Results) != 2 || !out.Results[0].Allowed || out.Results[1].Allowed || out.Results[1].Gate != "identity" {
		t.Fatalf("batch = %+v, %v", out, err)
	}
	// The user is not allowed iamd:Authorize.
	uc := authzclient.New(srv.Endpoint(), credentials.NewStaticCredentialsProvider(user.Key.ID, user.Secret, ""))
	_, err = uc.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: "arn:aws:iam::" + acct + ":root"}, Check: authzclient.Check{Action: "s3:GetObject", Resource: "*"}})
	var ae *authzclient.Error
	if !errors.As(err, &ae) || ae.Code != "AccessDenied" || ae.Source != "caller" || ae.StatusCode != http.StatusForbidden {
		t.Fatalf("unpermitted caller: %v", err)
	}
	// A clock 20 minutes off makes iamd refuse the caller's own signature.
	skewed := authzclient.New(srv.Endpoint(), credentials.NewStaticCredentialsProvider(user.Key.ID, user.Secret, ""),
		authzclient.WithClock(func() time.Time { return time.Now().Add(-20 * time.Minute) }))
	_, err = skewed.Authorize(ctx, &authzclient.AuthorizeRequest{Subject: authzclient.Subject{PrincipalARN: "arn:aws:iam::" + acct + ":root"}, Check: authzclient.Check{Action: "s3:GetObject", Resource: "*"}})
	if !errors.As(err, &ae) || ae.Code != "SignatureDoesNotMatch" || ae.Source != "caller" {
		t.Fatalf("skewed caller: %v", err)
	}
	// Not an iamd: the error still says what happened.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusBadGateway) }))
	defer other.Close()
	_, err = authzclient.New(other.URL, credentials.NewStaticCredentialsProvider("a", "b", "")).Authorize(ctx, &authzclient.AuthorizeRequest{})
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadGateway || ae.Code != "HTTP502" {
		t.Fatalf("non-iamd answer: %v", err)
	}
}
