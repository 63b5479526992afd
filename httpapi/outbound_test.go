package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const outboundGoldenDir = "testdata/golden/outbound"

// reJWT matches a compact JWS in a response: three base64url segments.
var reJWT = regexp.MustCompile(`<WebIdentityToken>[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+</WebIdentityToken>`)

// TestOutboundGoldenXML replays outbound web identity federation over the
// wire, IAM's switch and STS's GetWebIdentityToken, and compares each
// response (normalized: request IDs, the issuer's UUID, the token) with
// testdata/golden/outbound/NN_Operation[_case].xml. -update rewrites them.
func TestOutboundGoldenXML(t *testing.T) {
	clk := &goldenClock{}
	h := newGoldenHandler(t, clk)
	h.svc.SetPublicURL("https://iam.example.com")
	norm := &goldenNormalizer{seen: map[string]string{}, n: map[string]int{}}
	type step struct {
		service, action, suffix string
		params                  []string
	}
	token := func(suffix string, params ...string) step {
		return step{"sts", "GetWebIdentityToken", suffix, append([]string{"Audience.member.1", "https://api.example.com"}, params...)}
	}
	steps := []step{
		{"iam", "GetOutboundWebIdentityFederationInfo", "FeatureDisabled", nil},
		{"iam", "DisableOutboundWebIdentityFederation", "FeatureDisabled", nil},
		token("OutboundWebIdentityFederationDisabledException", "SigningAlgorithm", "RS256"),
		{"iam", "EnableOutboundWebIdentityFederation", "", nil},
		{"iam", "EnableOutboundWebIdentityFederation", "FeatureEnabled", nil},
		{"iam", "GetOutboundWebIdentityFederationInfo", "", nil},
		token("", "SigningAlgorithm", "RS256", "DurationSeconds", "600", "Tags.member.1.Key", "job", "Tags.member.1.Value", "42"),
		token("ES384", "SigningAlgorithm", "ES384", "Audience.member.2", "second"),
		token("ValidationError_duration", "SigningAlgorithm", "RS256", "DurationSeconds", "30"),
		token("ValidationError_algorithm", "SigningAlgorithm", "HS256"),
		{"sts", "GetWebIdentityToken", "ValidationError_audience", []string{"SigningAlgorithm", "RS256"}},
		token("InvalidParameterValue", "SigningAlgorithm", "RS256", "Tags.member.1.Key", "aws:job", "Tags.member.1.Value", "1"),
		{"iam", "DisableOutboundWebIdentityFederation", "", nil},
		{"iam", "GetOutboundWebIdentityFederationInfo", "disabled", nil},
	}
	if *update {
		resetGoldenDir(t, outboundGoldenDir)
	}
	for i, s := range steps {
		version := "2010-05-08"
		if s.service == "sts" {
			version = "2011-06-15"
		}
		form := url.Values{"Action": {s.action}, "Version": {version}}
		for j := 0; j+1 < len(s.params); j += 2 {
			form.Add(s.params[j], s.params[j+1])
		}
		at := goldenTime.Add(time.Duration(i) * time.Second)
		clk.set(at)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedFor(t, s.service, form.Encode(), at))
		body := rec.Body.String()
		if s.suffix == "" || s.suffix == "ES384" {
			if !reJWT.MatchString(body) && s.service == "sts" {
				t.Fatalf("step %d %s: no compact JWS in\n%s", i+1, s.action, body)
			}
		}
		body = reJWT.ReplaceAllString(body, "<WebIdentityToken>JWT</WebIdentityToken>")
		got := fmt.Sprintf("HTTP %d\n%s", rec.Code, norm.normalize(body))
		name := fmt.Sprintf("%02d_%s", i+1, s.action)
		if s.suffix != "" {
			name += "_" + s.suffix
		}
		checkGolden(t, filepath.Join(outboundGoldenDir, name+".xml"), got, "TestOutboundGoldenXML")
	}
}

// signedFor signs a form POST as the root user for service (iam or sts)
// at time at.
func signedFor(t *testing.T, service, body string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestOutboundAudit: Enable and Disable are journaled mutations with one
// event each, and GetWebIdentityToken's event never holds the token.
func TestOutboundAudit(t *testing.T) {
	f := newAuditFixture(t, nil)
	var tokens []string
	for _, form := range []url.Values{
		iamForm("EnableOutboundWebIdentityFederation"),
		stsForm("GetWebIdentityToken", "Audience.member.1", "aud", "SigningAlgorithm", "ES384", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v"),
		iamForm("DisableOutboundWebIdentityFederation"),
		iamForm("DisableOutboundWebIdentityFederation"),
	} {
		service := "iam"
		if form.Get("Version") == "2011-06-15" {
			service = "sts"
		}
		code, body, _ := f.do(t, rootCreds, service, form)
		if tok := elem(body, "WebIdentityToken"); tok != "" {
			tokens = append(tokens, tok)
		}
		if form.Get("Action") != "DisableOutboundWebIdentityFederation" && code != 200 {
			t.Fatalf("%s: %d %s", form.Get("Action"), code, body)
		}
	}
	if len(tokens) != 1 {
		t.Fatalf("tokens = %d", len(tokens))
	}
	events := f.events(t)
	var names []string
	for _, e := range events {
		names = append(names, e.EventName+"/"+e.ErrorCode)
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		sig := tokens[0][strings.LastIndexByte(tokens[0], '.')+1:]
		if strings.Contains(string(raw), sig) {
			t.Errorf("event %s holds the token: %s", e.EventName, raw)
		}
	}
	want := "EnableOutboundWebIdentityFederation/ GetWebIdentityToken/ DisableOutboundWebIdentityFederation/ DisableOutboundWebIdentityFederation/FeatureDisabled"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("events = %s\nwant     %s", got, want)
	}
}
