package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/iamd/iamd/server"
)

// startServerClock starts a server whose clock the test moves.
func startServerClock(t *testing.T, offset *atomic.Int64) *testServer {
	t.Helper()
	dir := t.TempDir()
	srv, err := server.Start(t.Context(), server.Config{
		Listen: "127.0.0.1:0", DataDir: dir, AccountID: testAccount,
		RootAccessKeyID: rootKeyID, RootSecret: rootSecretKey,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Clock:  func() time.Time { return time.Now().Add(time.Duration(offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &testServer{Server: srv, dataDir: dir}
}

func (s *testServer) sessionClients(c *ststypes.Credentials) (*iam.Client, *sts.Client) {
	cfg := s.awsConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

func TestAssumeRoleScenarios(t *testing.T) {
	var offset atomic.Int64
	s := startServerClock(t, &offset)
	ctx := t.Context()
	root := s.rootIAM()
	alice, bob := s.newActor(t, "alice"), s.newActor(t, "bob")

	trust := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/alice"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cret"}}}]}`
	r, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Reader"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := r.Role.Arn
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Reader"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","iam:ListRoles"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}

	// alice is named in the trust policy: that alone allows her.
	out, err := alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("alice-session")})
	if err != nil {
		t.Fatalf("alice AssumeRole: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || len(aws.ToString(out.Credentials.AccessKeyId)) != 20 {
		t.Errorf("AccessKeyId = %s", aws.ToString(out.Credentials.AccessKeyId))
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/Reader/alice-session"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":alice-session") {
		t.Errorf("AssumedRoleUser = %+v", out.AssumedRoleUser)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expiration in %v, want 1 h (the default)", d)
	}
	sessIAM, sessSTS := s.sessionClients(out.Credentials)
	id, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != wantARN {
		t.Fatalf("session GetCallerIdentity = %v, %v", id, err)
	}
	if _, err := sessIAM.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("session ListUsers (role policy allows): %v", err)
	}
	_, err = sessIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("nope")})
	e := wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if !strings.HasPrefix(e.ErrorMessage(), "User: "+wantARN+" is not authorized to perform: iam:CreateUser") {
		t.Errorf("message = %q", e.ErrorMessage())
	}

	// bob is not named; the account principal requires his identity policy
	// and the ExternalId.
	_, err = bob.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("bob")})
	e = wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if want := "User: arn:aws:iam::" + testAccount + ":user/bob is not authorized to perform: sts:AssumeRole on resource: " + aws.ToString(roleARN); e.ErrorMessage() != want {
		t.Errorf("message = %q\nwant %q", e.ErrorMessage(), want)
	}
	putUserPolicy(t, s, "bob", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+aws.ToString(roleARN)+`"}]}`)
	_, err = bob.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("bob")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden) // still no ExternalId
	_, err = bob.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("bob"), ExternalId: aws.String("wrong")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := bob.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("bob"), ExternalId: aws.String("s3cret")}); err != nil {
		t.Fatalf("bob with identity policy and ExternalId: %v", err)
	}

	// A session policy narrows the role's permissions.
	narrowed, err := alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if narrowed.PackedPolicySize == nil {
		t.Errorf("PackedPolicySize missing with a session policy")
	}
	nIAM, _ := s.sessionClients(narrowed.Credentials)
	if _, err := nIAM.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles within the session policy: %v", err)
	}
	_, err = nIAM.ListUsers(ctx, &iam.ListUsersInput{})
	e = wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if !strings.HasSuffix(e.ErrorMessage(), "because no session policy allows the iam:ListUsers action") {
		t.Errorf("message = %q", e.ErrorMessage())
	}

	// Durations: above the role's maximum, and chaining beyond one hour.
	_, err = alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest)

	// Role sessions may not get session tokens.
	_, err = sessSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	// A tampered token is refused, an expired one too.
	bad := *out.Credentials
	bad.SessionToken = aws.String(aws.ToString(bad.SessionToken)[:40] + "AAAA" + aws.ToString(bad.SessionToken)[44:])
	_, badSTS := s.sessionClients(&bad)
	_, err = badSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", http.StatusForbidden)
	offset.Store(int64(2 * time.Hour))
	_, err = sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", http.StatusForbidden)
	offset.Store(0)

	// Root may not assume roles.
	_, err = s.sts(rootKeyID, rootSecretKey).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("root")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	// An unknown role answers like a refused one.
	_, err = alice.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/Nope"), RoleSessionName: aws.String("probe")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
}

func TestGetSessionAndFederationTokens(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	carol := s.newActor(t, "carol")
	putUserPolicy(t, s, "carol", "all", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","sts:GetFederationToken"],"Resource":"*"}]}`)

	st, err := carol.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(st.Credentials.Expiration)); d < 11*time.Hour {
		t.Errorf("GetSessionToken default duration = %v, want 12 h", d)
	}
	sIAM, sSTS := s.sessionClients(st.Credentials)
	id, err := sSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/carol") {
		t.Fatalf("session caller = %v, %v", id, err)
	}
	// Without MFA, GetSessionToken credentials cannot call IAM.
	_, err = sIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "InvalidClientTokenId", http.StatusForbidden)

	fed, err := carol.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("partner"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(fed.FederatedUser.Arn) != "arn:aws:sts::"+testAccount+":federated-user/partner" {
		t.Errorf("federated user = %+v", fed.FederatedUser)
	}
	_, fSTS := s.sessionClients(fed.Credentials)
	id, err = fSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.UserId) != testAccount+":partner" {
		t.Fatalf("federated caller = %v, %v", id, err)
	}
	info, err := carol.sts.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: fed.Credentials.AccessKeyId})
	if err != nil || aws.ToString(info.Account) != testAccount {
		t.Fatalf("GetAccessKeyInfo(ASIA) = %v, %v", info, err)
	}
}
