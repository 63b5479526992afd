package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestOutboundWebIdentityFederation drives outbound federation with
// aws-sdk-go-v2 and then acts as the external service AWS designed it
// for: it discovers the issuer's keys over HTTP from the issuer URL alone
// and verifies the token with a JOSE library, as an OIDC relying party
// does.
func TestOutboundWebIdentityFederation(t *testing.T) {
	s := startServer(t, "")
	ctx := t.Context()
	root := s.rootIAM()

	_, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantAPIError(t, err, "FeatureDisabled", 404)
	_, err = s.sts(rootKeyID, rootSecretKey).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
		Audience: []string{"x"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "OutboundWebIdentityFederationDisabledException", 403)

	en, err := root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	iss := aws.ToString(en.IssuerIdentifier)
	if !strings.HasPrefix(iss, s.Endpoint()+"/oidc/") {
		t.Fatalf("IssuerIdentifier = %q, want under %s/oidc/ (the default public URL)", iss, s.Endpoint())
	}
	_, err = root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	wantAPIError(t, err, "FeatureEnabled", 409)
	info, err := root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || aws.ToString(info.IssuerIdentifier) != iss || !info.JwtVendingEnabled {
		t.Fatalf("info = %+v, %v", info, err)
	}

	// A user allowed tokens for one audience only.
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("worker")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("worker"), PolicyName: aws.String("jwt"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetWebIdentityToken","sts:TagGetWebIdentityToken"],"Resource":"*",
			"Condition":{"ForAllValues:StringEquals":{"sts:IdentityTokenAudience":"https://api.example.com"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("worker")})
	if err != nil {
		t.Fatal(err)
	}
	worker := s.sts(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	_, err = worker.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"https://other.example.com"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "AccessDenied", 403)

	for _, alg := range []string{"RS256", "ES384"} {
		t.Run(alg, func(t *testing.T) {
			out, err := worker.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
				Audience: []string{"https://api.example.com"}, SigningAlgorithm: aws.String(alg), DurationSeconds: aws.Int32(600),
				Tags: []ststypes.Tag{{Key: aws.String("job-id"), Value: aws.String("42")}}})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Until(aws.ToTime(out.Expiration)); d < 590*time.Second || d > 610*time.Second {
				t.Errorf("Expiration %v is %v away, want 600s", out.Expiration, d)
			}
			claims := verifyAsRelyingParty(t, iss, aws.ToString(out.WebIdentityToken), alg, "https://api.example.com")
			if claims.Subject != "arn:aws:iam::"+testAccount+":user/worker" || len(claims.Audience) != 1 || claims.Audience[0] != "https://api.example.com" {
				t.Errorf("claims = %+v", claims.Claims)
			}
			if claims.AWS.Account != testAccount || claims.AWS.Region != "us-east-1" || claims.AWS.RequestTags["job-id"] != "42" {
				t.Errorf("AWS claims = %+v", claims.AWS)
			}
		})
	}

	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{})
	wantAPIError(t, err, "FeatureDisabled", 404)
	_, err = worker.GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"https://api.example.com"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "OutboundWebIdentityFederationDisabledException", 403)
	info, err = root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || aws.ToString(info.IssuerIdentifier) != iss || info.JwtVendingEnabled {
		t.Fatalf("info after disable = %+v, %v", info, err)
	}
	// Tokens issued before the disable stay verifiable: the keys are still
	// published. Unknown issuers are not found.
	if code := httpStatus(t, iss+"/.well-known/jwks.json"); code != 200 {
		t.Errorf("JWKS after disable: HTTP %d, want 200", code)
	}
	for _, u := range []string{s.Endpoint() + "/oidc/00000000-0000-4000-8000-000000000000/.well-known/jwks.json",
		iss + "/.well-known/other.json", s.Endpoint() + "/oidc/x/.well-known/openid-configuration"} {
		if code := httpStatus(t, u); code != 404 {
			t.Errorf("GET %s: HTTP %d, want 404", u, code)
		}
	}
}

type relyingPartyClaims struct {
	jwt.Claims
	AWS struct {
		Account     string            `json:"aws_account"`
		Region      string            `json:"source_region"`
		RequestTags map[string]string `json:"request_tags"`
	} `json:"https://sts.amazonaws.com/"`
}

// verifyAsRelyingParty verifies token knowing only the issuer URL:
// openid-configuration, then its jwks_uri, then signature and claims.
func verifyAsRelyingParty(t *testing.T, iss, token, alg, aud string) relyingPartyClaims {
	t.Helper()
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, iss+"/.well-known/openid-configuration", &conf)
	if conf.Issuer != iss {
		t.Fatalf("discovery issuer = %q, want %q", conf.Issuer, iss)
	}
	var set jose.JSONWebKeySet
	getJSON(t, conf.JWKSURI, &set)
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", tok.Headers[0].KeyID, len(keys))
	}
	var c relyingPartyClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := c.Validate(jwt.Expected{Issuer: iss, AnyAudience: jwt.Audience{aud}, Time: time.Now()}); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return c
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("GET %s: %s %q %q\n%s", url, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOutboundAWSCLI runs the outbound federation commands with every aws
// CLI that knows them (pip's v1 does; older v2 builds do not, and are
// skipped), checking the CLI parses iamd's answers.
func TestOutboundAWSCLI(t *testing.T) {
	clis := awsCLIs()
	if len(clis) == 0 {
		if os.Getenv("IAMD_REQUIRE_AWS_CLI") != "" {
			t.Fatal("no aws CLI found and IAMD_REQUIRE_AWS_CLI is set")
		}
		t.Skip("no aws CLI installed; CI installs one")
	}
	ran := 0
	for _, cli := range clis {
		if exec.Command(cli, "sts", "get-web-identity-token", "help").Run() != nil {
			t.Logf("%s does not know get-web-identity-token", cli)
			continue
		}
		ran++
		t.Run(cli, func(t *testing.T) {
			s := startServer(t, "")
			aws := func(args ...string) string {
				t.Helper()
				cmd := exec.CommandContext(t.Context(), cli, append([]string{"--endpoint-url", s.Endpoint(), "--region", "us-east-1", "--output", "json"}, args...)...)
				cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+rootKeyID, "AWS_SECRET_ACCESS_KEY="+rootSecretKey,
					"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return string(out)
			}
			var en struct{ IssuerIdentifier string }
			if err := json.Unmarshal([]byte(aws("iam", "enable-outbound-web-identity-federation")), &en); err != nil || en.IssuerIdentifier == "" {
				t.Fatalf("enable: %+v, %v", en, err)
			}
			var info struct {
				IssuerIdentifier  string
				JwtVendingEnabled bool
			}
			if err := json.Unmarshal([]byte(aws("iam", "get-outbound-web-identity-federation-info")), &info); err != nil ||
				info.IssuerIdentifier != en.IssuerIdentifier || !info.JwtVendingEnabled {
				t.Fatalf("info: %+v, %v", info, err)
			}
			var tok struct {
				WebIdentityToken string
				Expiration       string
			}
			if err := json.Unmarshal([]byte( // Not a URL: aws CLI v1 would fetch it as the parameter's value.
				aws("sts", "get-web-identity-token", "--audience", "my-service",
					"--signing-algorithm", "ES384")), &tok); err != nil || tok.Expiration == "" {
				t.Fatalf("token: %+v, %v", tok, err)
			}
			c := verifyAsRelyingParty(t, en.IssuerIdentifier, tok.WebIdentityToken, "ES384", "my-service")
			if c.Subject != "arn:aws:iam::"+testAccount+":root" {
				t.Errorf("sub = %q", c.Subject)
			}
			aws("iam", "disable-outbound-web-identity-federation")
		})
	}
	if ran == 0 {
		t.Skip("no aws CLI on this machine knows the outbound federation commands")
	}
}

// TestMultiNodeOutboundFederation: nodes sharing PostgreSQL (and, as
// operators must configure them, one public URL) are one issuer: a token
// one node signs verifies against the keys another publishes, and a
// disable on one node stops the others at once.
func TestMultiNodeOutboundFederation(t *testing.T) {
	c := newCluster(t)
	a, b := c.start("", ""), c.start("", "")
	for _, n := range []*testServer{a, b} {
		n.Service.SetPublicURL(a.Endpoint())
	}
	ctx := t.Context()
	en, err := a.rootIAM().EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	iss := aws.ToString(en.IssuerIdentifier)
	info, err := b.rootIAM().GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	if err != nil || aws.ToString(info.IssuerIdentifier) != iss {
		t.Fatalf("info on B = %+v, %v; want issuer %s", info, err, iss)
	}
	for _, alg := range []string{"RS256", "ES384"} {
		out, err := b.sts(rootKeyID, rootSecretKey).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
			Audience: []string{"https://api.example.com"}, SigningAlgorithm: aws.String(alg)})
		if err != nil {
			t.Fatal(err)
		}
		verifyAsRelyingParty(t, iss, aws.ToString(out.WebIdentityToken), alg, "https://api.example.com")
	}
	if _, err := b.rootIAM().DisableOutboundWebIdentityFederation(ctx, &iam.DisableOutboundWebIdentityFederationInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = a.sts(rootKeyID, rootSecretKey).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{
		Audience: []string{"x"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "OutboundWebIdentityFederationDisabledException", 403)
}
