package httpapi

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const sts3GoldenDir = "testdata/golden/sts3"

var (
	reSessionKeyID = regexp.MustCompile(`ASIA[A-Z2-7]{16}\b`)
	reSessionToken = regexp.MustCompile(`<SessionToken>[^<]+</SessionToken>`)
)

// TestSTS3GoldenXML replays STS calls the root user may make, successes
// and AWS's documented refusals (parameter constraints in the model's
// wording, the root user's one-hour cap, root refused AssumeRole, packed
// session tags too large), and compares each response, normalized (request
// IDs, temporary key IDs, secrets and tokens), with
// testdata/golden/sts3/sts3_NN_Operation[_case].xml. -update rewrites them.
func TestSTS3GoldenXML(t *testing.T) {
	clk := &goldenClock{}
	h := newGoldenHandler(t, clk)
	norm := &goldenNormalizer{seen: map[string]string{}, n: map[string]int{}}
	var bigTags []string
	for i := range 50 {
		k := fmt.Sprintf("k%02d", i)
		bigTags = append(bigTags, fmt.Sprintf("Tags.member.%d.Key", i+1), k+strings.Repeat("K", 128-len(k)),
			fmt.Sprintf("Tags.member.%d.Value", i+1), strings.Repeat("V", 256))
	}
	role := "arn:aws:iam::" + goldenAccount + ":role/any"
	steps := []struct {
		action, suffix string
		params         []string
	}{
		{"GetCallerIdentity", "", nil},
		{"GetSessionToken", "", []string{"DurationSeconds", "7200"}}, // the root user's sessions are capped at 1 h
		{"GetSessionToken", "ValidationError_899", []string{"DurationSeconds", "899"}},
		{"GetSessionToken", "ValidationError_129601", []string{"DurationSeconds", "129601"}},
		{"GetSessionToken", "ValidationError_serial", []string{"SerialNumber", "bad serial!", "TokenCode", "123456"}},
		{"GetFederationToken", "", []string{"Name", "bob@example.com", "DurationSeconds", "129600", "Policy", goldenPolicy}},
		{"GetFederationToken", "ValidationError_name", []string{"Name", "a/b"}},
		{"GetFederationToken", "PackedPolicyTooLarge_tags", append([]string{"Name", "fed", "Policy", goldenPolicy}, bigTags...)},
		{"AssumeRole", "AccessDenied_root", []string{"RoleArn", role, "RoleSessionName", "s1"}},
		{"AssumeRole", "ValidationError_session_name", []string{"RoleArn", role, "RoleSessionName", "a"}},
		{"AssumeRole", "ValidationError_tags", []string{"RoleArn", role, "RoleSessionName", "s1", "Tags.member.1.Key", strings.Repeat("k", 129), "Tags.member.1.Value", "v"}},
		{"GetAccessKeyInfo", "", []string{"AccessKeyId", benchKeyID}},
		{"GetAccessKeyInfo", "ValidationError", []string{"AccessKeyId", "AKIA123"}},
		{"DecodeAuthorizationMessage", "InvalidAuthorizationMessageException", []string{"EncodedMessage", "garbage"}},
	}
	if *update {
		resetGoldenDir(t, sts3GoldenDir)
	}
	for i, s := range steps {
		form := url.Values{"Action": {s.action}, "Version": {"2011-06-15"}}
		for j := 0; j+1 < len(s.params); j += 2 {
			form.Add(s.params[j], s.params[j+1])
		}
		at := goldenTime.Add(time.Duration(i) * time.Second)
		clk.set(at)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, signedFor(t, "sts", form.Encode(), at))
		body := reSessionToken.ReplaceAllString(rec.Body.String(), "<SessionToken>TOKEN</SessionToken>")
		body = reSessionKeyID.ReplaceAllStringFunc(body, func(m string) string { return "ASIA" + norm.number("SESSION-KEY", m) })
		got := fmt.Sprintf("HTTP %d\n%s", rec.Code, norm.normalize(body))
		name := fmt.Sprintf("sts3_%02d_%s", i+1, s.action)
		if s.suffix != "" {
			name += "_" + s.suffix
		}
		checkGolden(t, filepath.Join(sts3GoldenDir, name+".xml"), got, "TestSTS3GoldenXML")
	}
}
