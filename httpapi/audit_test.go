package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

// auditFixture is a handler with the audit trail on.
type auditFixture struct {
	h   *Handler
	svc *iam.Service
	db  *sqlite.DB
	w   *audit.Writer
	key ed25519.PrivateKey
	clk func() time.Time
}

func newAuditFixture(tb testing.TB, clk func() time.Time) *auditFixture {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "iamd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	kr, _, _ := keyring.Generate()
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr, Clock: clk})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: goldenAccount, RootAccessKeyID: benchKeyID, RootSecret: benchSecret}); err != nil {
		tb.Fatal(err)
	}
	key, _, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile))
	if err != nil {
		tb.Fatal(err)
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: db, Key: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close(); db.Close() })
	if clk == nil {
		clk = time.Now
	}
	return &auditFixture{h: NewHandler(Config{Service: svc, Clock: clk, Audit: w}), svc: svc, db: db, w: w, key: key, clk: clk}
}

type creds struct{ id, secret, token string }

var rootCreds = creds{benchKeyID, benchSecret, ""}

// do signs and serves one request; it returns the status, body and
// request ID.
func (f *auditFixture) do(tb testing.TB, c creds, service string, form url.Values) (int, string, string) {
	tb.Helper()
	body := form.Encode()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "audit-test/1.0")
	sum := sha256.Sum256([]byte(body))
	ac := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), ac, req, hex.EncodeToString(sum[:]), service, "us-east-1", f.clk()); err != nil {
		tb.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header().Get("X-Amzn-Requestid")
}

func (f *auditFixture) events(tb testing.TB) []*audit.Event {
	tb.Helper()
	var out []*audit.Event
	if err := f.w.Flush(context.Background()); err != nil {
		tb.Fatal(err)
	}
	err := f.db.ScanAudit(context.Background(), audit.Query{}, func(r *audit.Record) error {
		e := &audit.Event{}
		if err := json.Unmarshal(r.Body, e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func elem(body, name string) string {
	m := regexp.MustCompile(`<` + name + `>([^<]*)</` + name + `>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func iamForm(action string, kv ...string) url.Values {
	f := url.Values{"Action": {action}, "Version": {"2010-05-08"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f
}

func stsForm(action string, kv ...string) url.Values {
	f := iamForm(action, kv...)
	f.Set("Version", "2011-06-15")
	return f
}

// TestAuditOneEventPerRequest replays the golden scenario (every IAM
// entity operation, successes and failures) plus STS and authentication
// failures, and checks that each request produced exactly one event with
// the right fields.
func TestAuditOneEventPerRequest(t *testing.T) {
	clk := &goldenClock{}
	clk.set(goldenTime)
	f := newAuditFixture(t, clk.now)
	type sent struct {
		service, action, code, requestID string
		identity                         string
		status                           int
	}
	var reqs []sent
	vars := map[string]string{}
	reVar := regexp.MustCompile(`\{\{(\w+)\}\}`)
	for i, s := range goldenScenario(t) {
		form := iamForm(s.action)
		for j := 0; j+1 < len(s.params); j += 2 {
			form.Add(s.params[j], reVar.ReplaceAllStringFunc(s.params[j+1], func(m string) string { return vars[m[2:len(m)-2]] }))
		}
		clk.set(goldenTime.Add(time.Duration(i) * time.Second))
		status, body, id := f.do(t, rootCreds, "iam", form)
		for _, c := range s.capture {
			el, as, ok := strings.Cut(c, ":")
			if !ok {
				as = el
			}
			vars[as] = elem(body, el)
		}
		reqs = append(reqs, sent{"iam", s.action, elem(body, "Code"), id, "Root", status})
	}
	clk.set(time.Now())
	run := func(c creds, service string, form url.Values, identity string) string {
		status, body, id := f.do(t, c, service, form)
		reqs = append(reqs, sent{service, form.Get("Action"), elem(body, "Code"), id, identity, status})
		return body
	}
	run(rootCreds, "sts", stsForm("GetCallerIdentity"), "Root")
	body := run(rootCreds, "sts", stsForm("GetSessionToken"), "Root")
	sess := creds{elem(body, "AccessKeyId"), elem(body, "SecretAccessKey"), elem(body, "SessionToken")}
	run(sess, "sts", stsForm("GetCallerIdentity"), "Root")
	run(rootCreds, "iam", iamForm("CreateRole", "RoleName", "audit-role", "AssumeRolePolicyDocument", goldenTrust2), "Root")
	run(rootCreds, "iam", iamForm("CreateUser", "UserName", "carol"), "Root")
	run(rootCreds, "iam", iamForm("AttachUserPolicy", "UserName", "carol", "PolicyArn", awsManagedARN), "Root")
	body = run(rootCreds, "iam", iamForm("CreateAccessKey", "UserName", "carol"), "Root")
	carol := creds{elem(body, "AccessKeyId"), elem(body, "SecretAccessKey"), ""}
	run(carol, "iam", iamForm("GetUser"), "IAMUser")
	body = run(carol, "sts", stsForm("AssumeRole", "RoleArn", "arn:aws:iam::"+goldenAccount+":role/audit-role", "RoleSessionName", "s1"), "IAMUser")
	role := creds{elem(body, "AccessKeyId"), elem(body, "SecretAccessKey"), elem(body, "SessionToken")}
	run(role, "iam", iamForm("GetUser", "UserName", "nobody"), "AssumedRole") // AccessDenied
	run(role, "sts", stsForm("GetCallerIdentity"), "AssumedRole")
	run(rootCreds, "sts", stsForm("GetFederationToken", "Name", "fed1"), "Root")
	run(rootCreds, "sts", stsForm("GetAccessKeyInfo", "AccessKeyId", benchKeyID), "Root")
	run(creds{"AKIAIOSFODNN7NOTEXIST", benchSecret, ""}, "iam", iamForm("ListUsers"), "Unknown")
	run(creds{benchKeyID, "wrong-secret", ""}, "iam", iamForm("ListUsers"), "Unknown")
	run(rootCreds, "iam", iamForm("CreateUser"), "Root") // ValidationError: decoded before routing

	events := f.events(t)
	byID := map[string][]*audit.Event{}
	for _, e := range events {
		byID[e.RequestID] = append(byID[e.RequestID], e)
	}
	if len(events) != len(reqs) {
		t.Errorf("%d events for %d requests", len(events), len(reqs))
	}
	for i, r := range reqs {
		es := byID[r.requestID]
		if len(es) != 1 {
			t.Errorf("request %d %s: %d events", i+1, r.action, len(es))
			continue
		}
		e := es[0]
		wantCode := r.code
		if e.EventName != r.action || e.EventSource != r.service+".amazonaws.com" || e.ErrorCode != wantCode ||
			e.EventVersion != audit.EventVersion || e.EventType != "AwsApiCall" || !e.ManagementEvent ||
			e.AWSRegion != "us-east-1" || e.UserAgent != "audit-test/1.0" || e.SourceIPAddress != "192.0.2.1" ||
			e.ReadOnly != audit.IsReadOnly(r.action) || e.EventID == "" || e.UserIdentity.Type != r.identity {
			b, _ := json.Marshal(e)
			t.Errorf("request %d %s (HTTP %d %s): event %s", i+1, r.action, r.status, r.code, b)
			continue
		}
		if r.identity != "Unknown" {
			if e.RecipientAccountID != goldenAccount || e.UserIdentity.AccountID != goldenAccount || e.UserIdentity.ARN == "" {
				t.Errorf("request %d %s: identity %+v, recipient %q", i+1, r.action, e.UserIdentity, e.RecipientAccountID)
			}
			if (e.ErrorCode == "") != (r.status == 200) {
				t.Errorf("request %d %s: status %d but errorCode %q", i+1, r.action, r.status, e.ErrorCode)
			}
		}
		if r.identity == "AssumedRole" {
			sc := e.UserIdentity.SessionContext
			if sc == nil || sc.SessionIssuer == nil || sc.SessionIssuer.Type != "Role" || sc.SessionIssuer.UserName != "audit-role" ||
				sc.Attributes.MFAAuthenticated != "false" || sc.Attributes.CreationDate == "" {
				t.Errorf("request %d %s: sessionContext %+v", i+1, r.action, sc)
			}
		}
		if op := f.h.iam.Operations[r.action]; r.status == 200 && !e.ReadOnly && r.service == "iam" && op.Output != nil && len(op.Output.Members) > 0 && e.ResponseElements == nil {
			t.Errorf("request %d %s: no responseElements", i+1, r.action)
		}
		if r.action == "CreateUser" && r.status == 200 && e.RequestParameters["userName"] == nil {
			t.Errorf("request %d CreateUser: requestParameters %v", i+1, e.RequestParameters)
		}
	}
	rep, err := audit.Verify(context.Background(), f.db, f.key.Public().(ed25519.PublicKey))
	if err != nil || !rep.OK() {
		t.Errorf("verify: %+v %v", rep, err)
	}
}

// TestAuditRecordsNoSecrets creates every kind of secret iamd hands out
// or accepts, then searches every stored column of every event for them.
func TestAuditRecordsNoSecrets(t *testing.T) {
	f := newAuditFixture(t, nil)
	var secrets []string
	must := func(c creds, service string, form url.Values) string {
		t.Helper()
		status, body, _ := f.do(t, c, service, form)
		if status != 200 {
			t.Fatalf("%s: HTTP %d %s", form.Get("Action"), status, body)
		}
		return body
	}
	must(rootCreds, "iam", iamForm("CreateUser", "UserName", "bob"))
	body := must(rootCreds, "iam", iamForm("CreateAccessKey", "UserName", "bob"))
	bob := creds{elem(body, "AccessKeyId"), elem(body, "SecretAccessKey"), ""}
	secrets = append(secrets, bob.secret)
	secrets = append(secrets, "Pa55word!-first-xyz", "Pa55word!-second-xyz", "Pa55word!-third-xyz")
	must(rootCreds, "iam", iamForm("CreateLoginProfile", "UserName", "bob", "Password", secrets[1]))
	must(rootCreds, "iam", iamForm("UpdateLoginProfile", "UserName", "bob", "Password", secrets[2]))
	// Whatever the outcome, the request's passwords must not be recorded.
	f.do(t, bob, "iam", iamForm("ChangePassword", "OldPassword", secrets[2], "NewPassword", secrets[3]))
	body = must(rootCreds, "iam", iamForm("CreateVirtualMFADevice", "VirtualMFADeviceName", "bob-mfa"))
	seed64, qr, serial := elem(body, "Base32StringSeed"), elem(body, "QRCodePNG"), elem(body, "SerialNumber")
	seedBytes, _ := base64.StdEncoding.DecodeString(seed64)
	seed := string(seedBytes)
	secrets = append(secrets, seed64)
	if seed == "" || qr == "" {
		t.Fatalf("no seed or QR code in %s", body)
	}
	secrets = append(secrets, seed, qr[:40])
	step := time.Now().Unix() / 30
	c1, _ := iam.TOTPCode(seed, step-1)
	c2, _ := iam.TOTPCode(seed, step)
	must(rootCreds, "iam", iamForm("EnableMFADevice", "UserName", "bob", "SerialNumber", serial, "AuthenticationCode1", c1, "AuthenticationCode2", c2))
	secrets = append(secrets, `"`+c1+`"`, `"`+c2+`"`)
	body = must(rootCreds, "sts", stsForm("GetSessionToken"))
	secrets = append(secrets, elem(body, "SecretAccessKey"), elem(body, "SessionToken"))
	must(rootCreds, "iam", iamForm("CreateRole", "RoleName", "r", "AssumeRolePolicyDocument", goldenTrust2))
	must(rootCreds, "iam", iamForm("AttachUserPolicy", "UserName", "bob", "PolicyArn", awsManagedARN))
	body = must(bob, "sts", stsForm("AssumeRole", "RoleArn", "arn:aws:iam::"+goldenAccount+":role/r", "RoleSessionName", "session"))
	secrets = append(secrets, elem(body, "SecretAccessKey"), elem(body, "SessionToken"))
	body = must(rootCreds, "sts", stsForm("GetFederationToken", "Name", "fed"))
	secrets = append(secrets, elem(body, "SecretAccessKey"), elem(body, "SessionToken"))
	body = must(rootCreds, "iam", iamForm("CreateServiceSpecificCredential", "UserName", "bob", "ServiceName", "codecommit.amazonaws.com"))
	secrets = append(secrets, elem(body, "ServicePassword"))
	body = must(rootCreds, "iam", iamForm("ResetServiceSpecificCredential", "UserName", "bob", "ServiceSpecificCredentialId", elem(body, "ServiceSpecificCredentialId")))
	secrets = append(secrets, elem(body, "ServicePassword"))
	// MFA-authenticated session: TokenCode in the request.
	c3, _ := iam.TOTPCode(seed, step+1)
	f.do(t, bob, "sts", stsForm("GetSessionToken", "SerialNumber", serial, "TokenCode", c3))
	secrets = append(secrets, `"`+c3+`"`)

	var all strings.Builder
	n := 0
	if err := f.w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := f.db.ScanAudit(context.Background(), audit.Query{}, func(r *audit.Record) error {
		n++
		all.Write(r.Body)
		all.WriteString(r.EventID + r.EventName + r.Username + r.AccessKeyID + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("only %d events", n)
	}
	text := all.String()
	for _, s := range secrets {
		if s == "" || s == `""` {
			t.Fatal("a secret was not captured")
		}
		if strings.Contains(text, s) {
			t.Errorf("secret %q found in the audit events", s)
		}
	}
	for _, name := range []string{`"password":"HIDDEN`, `"newPassword":"HIDDEN`, `"authenticationCode1":"HIDDEN`, `"secretAccessKey":"HIDDEN`, `"sessionToken":"HIDDEN`, `"base32StringSeed":"HIDDEN`} {
		if !strings.Contains(text, name) {
			t.Errorf("no %s…: redaction not visible", name)
		}
	}
}

// failingAuditor fails every write.
type failingAuditor struct{}

func (failingAuditor) Record(context.Context, *audit.Event) error { return context.DeadlineExceeded }
func (failingAuditor) Enqueue(*audit.Event) error                 { return context.DeadlineExceeded }

func TestAuditWriteFailureFailsRequest(t *testing.T) {
	f := newAuditFixture(t, nil)
	f.h.audit = failingAuditor{}
	status, body, _ := f.do(t, rootCreds, "iam", iamForm("ListUsers"))
	if status != 500 || elem(body, "Code") != "ServiceFailure" {
		t.Errorf("HTTP %d %s", status, body)
	}
}

// lookup sends a hand-signed CloudTrail LookupEvents request (JSON 1.1,
// service "cloudtrail"), as the aws CLI and SDKs do.
func (f *auditFixture) lookup(tb testing.TB, c creds, input string) (int, lookupOutput, string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(input))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", lookupEventsTarget)
	sum := sha256.Sum256([]byte(input))
	ac := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), ac, req, hex.EncodeToString(sum[:]), "cloudtrail", "us-east-1", f.clk()); err != nil {
		tb.Fatal(err)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	var out lookupOutput
	if rec.Code == 200 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			tb.Fatalf("%v: %s", err, rec.Body.String())
		}
	}
	return rec.Code, out, rec.Body.String()
}

func TestLookupEvents(t *testing.T) {
	f := newAuditFixture(t, nil)
	for _, name := range []string{"u1", "u2", "u3"} {
		f.do(t, rootCreds, "iam", iamForm("CreateUser", "UserName", name))
	}
	f.do(t, rootCreds, "iam", iamForm("ListUsers"))
	f.do(t, rootCreds, "iam", iamForm("GetUser", "UserName", "nobody"))

	status, out, body := f.lookup(t, rootCreds, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}]}`)
	if status != 200 || len(out.Events) != 3 {
		t.Fatalf("EventName filter: HTTP %d %s", status, body)
	}
	// Newest first, with CloudTrail's fields.
	e := out.Events[0]
	if e.EventName != "CreateUser" || e.Username != "root" || e.EventSource != "iam.amazonaws.com" || e.ReadOnly != "false" ||
		e.AccessKeyId != benchKeyID || len(e.Resources) != 1 || e.Resources[0].ResourceName != "u3" || e.EventTime == 0 ||
		!strings.Contains(e.CloudTrailEvent, `"eventName":"CreateUser"`) {
		t.Errorf("event %+v", e)
	}
	// Pagination.
	_, p1, _ := f.lookup(t, rootCreds, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}],"MaxResults":2}`)
	if len(p1.Events) != 2 || p1.NextToken == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	_, p2, _ := f.lookup(t, rootCreds, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}],"MaxResults":2,"NextToken":"`+p1.NextToken+`"}`)
	if len(p2.Events) != 1 || p2.NextToken != "" || p2.Events[0].Resources[0].ResourceName != "u1" {
		t.Fatalf("page 2: %+v", p2)
	}
	for _, tc := range []struct {
		input string
		want  int
	}{
		{`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"u2"}]}`, 1},
		{`{"LookupAttributes":[{"AttributeKey":"ResourceType","AttributeValue":"AWS::IAM::User"}]}`, 4},
		{`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"true"}]}`, -1},
		{`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"root"}]}`, -1},
		{`{"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"` + benchKeyID + `"}]}`, -1},
		{`{"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"iam.amazonaws.com"}]}`, -1},
		{`{"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":"` + e.EventId + `"}]}`, 1},
		{`{"StartTime":1,"EndTime":2}`, 0},
		{`{"StartTime":` + strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10) + `}`, -1},
	} {
		status, out, body := f.lookup(t, rootCreds, tc.input)
		if status != 200 || (tc.want >= 0 && len(out.Events) != tc.want) || (tc.want < 0 && len(out.Events) == 0) {
			t.Errorf("%s: HTTP %d, %d events: %s", tc.input, status, len(out.Events), body)
		}
	}
	for _, tc := range []struct{ input, code string }{
		{`{"MaxResults":51}`, "InvalidMaxResultsException"},
		{`{"StartTime":5,"EndTime":2}`, "InvalidTimeRangeException"},
		{`{"LookupAttributes":[{"AttributeKey":"Colour","AttributeValue":"x"}]}`, "InvalidLookupAttributesException"},
		{`{"NextToken":"garbage"}`, "InvalidNextTokenException"},
	} {
		status, _, body := f.lookup(t, rootCreds, tc.input)
		if status != 400 || !strings.Contains(body, tc.code) {
			t.Errorf("%s: HTTP %d %s, want %s", tc.input, status, body, tc.code)
		}
	}
	if status, _, body := f.lookup(t, creds{benchKeyID, "wrong", ""}, `{}`); status != 400 || !strings.Contains(body, "InvalidSignatureException") {
		t.Errorf("bad signature: HTTP %d %s", status, body)
	}
	// A user without cloudtrail:LookupEvents is denied; the lookups are
	// themselves recorded.
	f.do(t, rootCreds, "iam", iamForm("CreateUser", "UserName", "dave"))
	_, body, _ = f.do(t, rootCreds, "iam", iamForm("CreateAccessKey", "UserName", "dave"))
	dave := creds{elem(body, "AccessKeyId"), elem(body, "SecretAccessKey"), ""}
	if status, _, body := f.lookup(t, dave, `{}`); status != 400 || !strings.Contains(body, "AccessDeniedException") {
		t.Errorf("dave: HTTP %d %s", status, body)
	}
	f.do(t, rootCreds, "iam", iamForm("PutUserPolicy", "UserName", "dave", "PolicyName", "ct", "PolicyDocument",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`))
	if status, out, body := f.lookup(t, dave, `{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"LookupEvents"}]}`); status != 200 || len(out.Events) < 5 {
		t.Errorf("dave allowed: HTTP %d %s", status, body)
	}
}

// BenchmarkAudit measures a whole request in process with the audit trail
// off and on: a read (GetUser) and a mutation (TagUser, the same tag every
// time), serial and from parallel clients (where group commit shares
// fsyncs). docs/bench/audit.md has the figures.
func BenchmarkAudit(b *testing.B) {
	off := newBenchHandler(b)
	f := newAuditFixture(b, nil)
	f.do(b, rootCreds, "iam", iamForm("CreateUser", "UserName", "alice"))
	for _, tc := range []struct{ name, body string }{
		{"GetUser", "Action=GetUser&UserName=alice&Version=2010-05-08"},
		{"TagUser", "Action=TagUser&UserName=alice&Tags.member.1.Key=k&Tags.member.1.Value=v&Version=2010-05-08"},
	} {
		req := sign(b, "iam", tc.body)
		for _, mode := range []struct {
			name string
			h    *Handler
		}{{"off", off}, {"on", f.h}} {
			b.Run(tc.name+"/audit="+mode.name, func(b *testing.B) {
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					mode.h.ServeHTTP(w, req.request())
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				}
			})
			for _, par := range []int{8, 64} {
				b.Run(tc.name+"Parallel"+strconv.Itoa(par)+"/audit="+mode.name, func(b *testing.B) {
					parallelRequests(b, mode.h, req, par)
				})
			}
		}
	}
}

// parallelRequests serves req from par*GOMAXPROCS concurrent clients.
func parallelRequests(b *testing.B, h *Handler, req signedRequest, par int) {
	b.ReportAllocs()
	b.SetParallelism(par)
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req.request())
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}
