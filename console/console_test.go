package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/console"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

const account = "111122223333"

// env is a console over a real service, store and audit trail.
type env struct {
	t     testing.TB
	svc   *iam.Service
	root  *iam.Principal
	db    *sqlite.DB
	audit *audit.Writer
	srv   *httptest.Server
}

func newEnv(t testing.TB, tls bool) *env { return newEnvAudit(t, tls, nil) }

// newEnvAudit is newEnv with the console's Auditor wrapped by wrap (when
// not nil), for tests that watch what the console hands to the trail.
func newEnvAudit(t testing.TB, tls bool, wrap func(console.Auditor) console.Auditor) *env {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "iamd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: account})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	w, err := audit.NewWriter(ctx, audit.Config{Store: db, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	var aud console.Auditor = w
	if wrap != nil {
		aud = wrap(w)
	}
	h, err := console.New(console.Config{Service: svc, Audit: aud, Events: db})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(console.Prefix+"/", h)
	e := &env{t: t, svc: svc, root: svc.Authenticate(boot.RootAccessKeyID).Principal, db: db, audit: w}
	if tls {
		e.srv = httptest.NewTLSServer(mux)
	} else {
		e.srv = httptest.NewServer(mux)
	}
	t.Cleanup(e.srv.Close)
	return e
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) user(name, password string, reset bool, policyDoc string) {
	e.t.Helper()
	ctx := e.t.Context()
	_, err := e.svc.CreateUser(ctx, e.root, iam.CreateUserInput{UserName: name})
	noErr(e.t, err)
	_, err = e.svc.CreateLoginProfile(ctx, e.root, name, password, reset)
	noErr(e.t, err)
	if policyDoc != "" {
		noErr(e.t, e.svc.PutInlinePolicy(ctx, e.root, iam.OwnerUser, name, "p", policyDoc))
	}
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see them.
type browser struct {
	t testing.TB
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: each browser has its own cookies
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: e.t, e: e, c: &c}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	r, err := b.c.Do(req)
	noErr(b.t, err)
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header, string(body)}
}

func (b *browser) get(path string) resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf loads a page and returns its form token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	r := b.get(path)
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d): no CSRF token in the page", path, r.status)
	}
	return m[1]
}

func (b *browser) signIn(user, password, mfa string) resp {
	b.t.Helper()
	tok := b.csrf("/console/signin")
	return b.post("/console/signin", url.Values{"csrf": {tok}, "account": {account}, "username": {user},
		"password": {password}, "mfa": {mfa}})
}

func (e *env) events(name string) []audit.Event {
	e.t.Helper()
	noErr(e.t, e.audit.Flush(e.t.Context()))
	var out []audit.Event
	noErr(e.t, e.db.ScanAudit(context.Background(), audit.Query{EventName: name}, func(r *audit.Record) error {
		var ev audit.Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	}))
	return out
}

const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func TestSecurityHeadersAndCookies(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		e := newEnv(t, tls)
		b := e.browser()
		r := b.get("/console/signin")
		if r.status != http.StatusOK {
			t.Fatalf("GET signin = %d", r.status)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": console.CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
			"Cache-Control": "no-store", "Referrer-Policy": "same-origin",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("tls=%v: %s = %q, want %q", tls, k, got, want)
			}
		}
		if !strings.Contains(console.CSP, "default-src 'self'") || !strings.Contains(console.CSP, "frame-ancestors 'none'") {
			t.Errorf("CSP %q is not strict", console.CSP)
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "onclick") {
			t.Error("page has inline script or style, which the CSP forbids")
		}
		e.user("alice", "Corr3ct-horse", false, "")
		r = b.signIn("alice", "Corr3ct-horse", "")
		if r.status != http.StatusSeeOther {
			t.Fatalf("sign-in = %d: %s", r.status, r.body)
		}
		var session *http.Cookie
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == "iamd_console" && c.Value != "" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie")
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" || session.Secure != tls {
			t.Errorf("tls=%v: session cookie %+v", tls, session)
		}
		if tls && r.header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS over TLS")
		}
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("admin", "Corr3ct-horse", false, adminPolicy)
	b := e.browser()
	// Sign-in without the form's token.
	if r := b.post("/console/signin", url.Values{"account": {account}, "username": {"admin"}, "password": {"Corr3ct-horse"}}); r.status != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token = %d, want 403", r.status)
	}
	if r := b.signIn("admin", "Corr3ct-horse", ""); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", r.status)
	}
	tok := b.csrf("/console/users/new")
	for _, tt := range []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"missing token", url.Values{"name": {"x1"}}, ""},
		{"wrong token", url.Values{"name": {"x2"}, "csrf": {tok + "x"}}, ""},
		{"other origin", url.Values{"name": {"x3"}, "csrf": {tok}}, "https://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/users/new", strings.NewReader(tt.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if r := b.do(req); r.status != http.StatusForbidden {
			t.Errorf("%s: POST = %d, want 403", tt.name, r.status)
		}
	}
	if _, err := e.svc.GetUser(t.Context(), e.root, "x1"); err == nil {
		t.Fatal("a refused POST created a user")
	}
	// The JSON endpoint needs the token in its header.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/api/validate", strings.NewReader(`{"document":"{}"}`))
	if r := b.do(req); r.status != http.StatusForbidden {
		t.Errorf("validate without token = %d, want 403", r.status)
	}
	// With the token, the POST works.
	r := b.post("/console/users/new", url.Values{"name": {"x4"}, "csrf": {tok}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "x4") {
		t.Fatalf("POST with token = %d", r.status)
	}
}

func TestSignInAuditAndSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("alice", "Corr3ct-horse", false, adminPolicy)
	b := e.browser()
	r := b.signIn("alice", "wrong-password", "")
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "incorrect") {
		t.Fatalf("bad sign-in = %d", r.status)
	}
	if strings.Contains(r.body, "wrong-password") {
		t.Fatal("the password was echoed back")
	}
	r = b.signIn("alice", "Corr3ct-horse", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/home" {
		t.Fatalf("sign-in = %d -> %s", r.status, r.header.Get("Location"))
	}
	if r := b.get("/console/home"); r.status != http.StatusOK || !strings.Contains(r.body, "Security recommendations") {
		t.Fatalf("home = %d", r.status)
	}
	evs := e.events("ConsoleLogin")
	if len(evs) != 2 {
		t.Fatalf("ConsoleLogin events = %d, want 2", len(evs))
	}
	fail, ok := evs[0], evs[1]
	if fail.EventSource != "signin.amazonaws.com" || fail.EventType != "AwsConsoleSignIn" || fail.ErrorMessage != "Failed authentication" ||
		fail.ResponseElements["ConsoleLogin"] != "Failure" || fail.UserIdentity.UserName != "alice" {
		t.Errorf("failure event = %+v", fail)
	}
	if ok.ResponseElements["ConsoleLogin"] != "Success" || ok.ErrorMessage != "" || ok.UserIdentity.Type != "IAMUser" || ok.RecipientAccountID != account {
		t.Errorf("success event = %+v", ok)
	}
	if ok.AdditionalEventData["MFAUsed"] != "No" || !strings.HasSuffix(fmt.Sprint(ok.AdditionalEventData["LoginTo"]), "/console/") {
		t.Errorf("success event's additionalEventData = %v", ok.AdditionalEventData)
	}
	for _, ev := range evs {
		body, _ := json.Marshal(ev)
		if strings.Contains(string(body), "Corr3ct-horse") || strings.Contains(string(body), "wrong-password") {
			t.Fatal("a password reached the audit trail")
		}
	}
	// Console actions are audited as API calls with the console's agent.
	lu := e.events("ListUsers")
	if len(lu) == 0 || !strings.HasPrefix(lu[len(lu)-1].UserAgent, console.UserAgentPrefix) || lu[len(lu)-1].UserIdentity.UserName != "alice" {
		t.Fatalf("ListUsers events = %+v", lu)
	}

	// Sign-out revokes the session server-side: the old cookie is dead.
	old := b.c.Jar.Cookies(mustURL(e.srv.URL + "/console/"))
	tok := b.csrf("/console/home")
	if r := b.post("/console/signout", url.Values{"csrf": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", r.status)
	}
	b2 := e.browser()
	b2.c.Jar.SetCookies(mustURL(e.srv.URL+"/console/"), old)
	if r := b2.get("/console/home"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/signin" {
		t.Fatalf("home with a signed-out cookie = %d -> %s", r.status, r.header.Get("Location"))
	}
	// An administrator's password reset ends the user's sessions.
	b.signIn("alice", "Corr3ct-horse", "")
	pw := "N3w-Passw0rd!"
	noErr(t, e.svc.UpdateLoginProfile(t.Context(), e.root, "alice", &pw, nil))
	if r := b.get("/console/home"); r.status != http.StatusSeeOther {
		t.Fatalf("home after password reset = %d, want a redirect to sign-in", r.status)
	}
	// Deleting the user ends them too.
	b.signIn("alice", pw, "")
	if r := b.get("/console/home"); r.status != http.StatusOK {
		t.Fatalf("home = %d", r.status)
	}
	noErr(t, e.svc.DeleteLoginProfile(t.Context(), e.root, "alice"))
	if r := b.get("/console/home"); r.status != http.StatusSeeOther {
		t.Fatalf("home after the login profile was deleted = %d", r.status)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestLockoutDelays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("alice", "Corr3ct-horse", false, "")
	b := e.browser()
	for i := 0; i < iam.UserFreeFailures; i++ {
		if r := b.signIn("alice", "nope", ""); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d", i+1, r.status)
		}
	}
	// The next failure starts a delay: even the right password is
	// refused with 429 and Retry-After until it passes.
	if r := b.signIn("alice", "nope", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("failure 4 = %d", r.status)
	}
	r := b.signIn("alice", "Corr3ct-horse", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("locked sign-in = %d (Retry-After %q)", r.status, r.header.Get("Retry-After"))
	}
	noErr(t, e.svc.UnlockSignIn(t.Context(), account, "alice"))
	if r := b.signIn("alice", "Corr3ct-horse", ""); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in after unlock = %d", r.status)
	}
	// Every refused attempt, the locked one too, is on the trail.
	n := 0
	for _, ev := range e.events("ConsoleLogin") {
		if ev.ResponseElements["ConsoleLogin"] == "Failure" {
			n++
		}
	}
	if n != iam.UserFreeFailures+2 {
		t.Fatalf("failed ConsoleLogin events = %d, want %d", n, iam.UserFreeFailures+2)
	}
}

func TestRestrictedUserIsDenied(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("secret-agent", "Corr3ct-horse", false, "")
	e.user("bob", "Corr3ct-horse", false, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccountSummary","Resource":"*"}]}`)
	b := e.browser()
	if r := b.signIn("bob", "Corr3ct-horse", ""); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in = %d", r.status)
	}
	for _, path := range []string{"/console/users", "/console/users/secret-agent", "/console/roles", "/console/events"} {
		r := b.get(path)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Access denied") {
			t.Errorf("GET %s = %d, want 403 with an access-denied message", path, r.status)
		}
		if strings.Contains(r.body, "secret-agent</a>") {
			t.Errorf("GET %s leaked the user list", path)
		}
	}
	if r := b.get("/console/users"); !strings.Contains(r.body, "iam:ListUsers") {
		t.Error("the denial does not name the missing permission")
	}
	// The denials are on the trail as the API calls they were.
	denied := 0
	for _, ev := range e.events("ListUsers") {
		if ev.ErrorCode == "AccessDenied" && ev.UserIdentity.UserName == "bob" {
			denied++
		}
	}
	if denied == 0 {
		t.Error("no AccessDenied ListUsers event for bob")
	}
}

func TestForcedPasswordChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := t.Context()
	noErr(t, e.svc.UpdateAccountPasswordPolicy(ctx, e.root, iam.PasswordPolicyInput{MinimumPasswordLength: intp(12),
		RequireSymbols: true, AllowUsersToChangePassword: true}))
	e.user("carol", "Start-passw0rd!", true, "")
	b := e.browser()
	r := b.signIn("carol", "Start-passw0rd!", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/password" {
		t.Fatalf("sign-in = %d -> %s", r.status, r.header.Get("Location"))
	}
	if r := b.get("/console/users"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/password" {
		t.Fatalf("other page before the change = %d -> %s", r.status, r.header.Get("Location"))
	}
	if r := b.get("/console/password"); !strings.Contains(r.body, "at least 12 characters") {
		t.Fatal("the change-password form does not show the policy's rules")
	}
	tok := b.csrf("/console/password")
	r = b.post("/console/password", url.Values{"csrf": {tok}, "old": {"Start-passw0rd!"}, "new": {"short1!"}, "confirm": {"short1!"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "minimum length of 12") {
		t.Fatalf("weak new password = %d: want the policy's message", r.status)
	}
	r = b.post("/console/password", url.Values{"csrf": {tok}, "old": {"Start-passw0rd!"}, "new": {"Longer-passw0rd!"}, "confirm": {"Longer-passw0rd!"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/console/home") {
		t.Fatalf("change = %d -> %s: %s", r.status, r.header.Get("Location"), r.body)
	}
	if r := b.get("/console/password"); r.status != http.StatusOK || strings.Contains(r.body, "must change your password") {
		t.Fatalf("after the change the session still must change its password (%d)", r.status)
	}
}

func intp(n int) *int { return &n }

func TestValidateEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("admin", "Corr3ct-horse", false, adminPolicy)
	b := e.browser()
	b.signIn("admin", "Corr3ct-horse", "")
	tok := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(b.get("/console/home").body)
	if tok == nil {
		t.Fatal("no csrf-token meta")
	}
	for _, tt := range []struct {
		kind, doc string
		valid     bool
	}{
		{"identity", adminPolicy, true},
		{"identity", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers"}]}`, false},
		{"identity", `{not json`, false},
		{"trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, true},
		{"trust", adminPolicy, false},
	} {
		body, _ := json.Marshal(map[string]string{"kind": tt.kind, "document": tt.doc})
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/console/api/validate", strings.NewReader(string(body)))
		req.Header.Set("X-CSRF-Token", tok[1])
		r := b.do(req)
		var out struct {
			Valid   bool
			Message string
		}
		noErr(t, json.Unmarshal([]byte(r.body), &out))
		if out.Valid != tt.valid || !tt.valid && out.Message == "" {
			t.Errorf("validate(%s, %.40s) = %+v, want valid %v", tt.kind, tt.doc, out, tt.valid)
		}
	}
}

func TestPagesRender(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("admin", "Corr3ct-horse", false, adminPolicy)
	ctx := t.Context()
	_, err := e.svc.CreateGroup(ctx, e.root, "/", "devs")
	noErr(t, err)
	pol, err := e.svc.CreatePolicy(ctx, e.root, iam.CreatePolicyInput{PolicyName: "ops", PolicyDocument: adminPolicy})
	noErr(t, err)
	b := e.browser()
	b.signIn("admin", "Corr3ct-horse", "")
	start := time.Now()
	for _, path := range []string{"/console/home", "/console/users", "/console/users?q=adm", "/console/users/new", "/console/users/admin",
		"/console/groups", "/console/groups/devs", "/console/roles", "/console/roles/new", "/console/policies",
		"/console/policies?scope=AWS&q=read", "/console/policies/new", "/console/policy?arn=" + url.QueryEscape(pol.ARN),
		"/console/account", "/console/simulator", "/console/events", "/console/static/console.css", "/console/static/console.js"} {
		r := b.get(path)
		if r.status != http.StatusOK {
			t.Errorf("GET %s = %d: %.2000s", path, r.status, r.body[min(len(r.body), strings.Index(r.body, "<main")+1):])
		}
	}
	for _, path := range []string{"/console/users/nobody", "/console/nowhere", "/console/static/", "/console/static/missing.js"} {
		if r := b.get(path); r.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, r.status)
		}
	}
	t.Logf("18 pages in %v", time.Since(start))
	// A message in a link from elsewhere is not shown; the console's own
	// are.
	if r := b.get("/console/home?flash=Your+account+is+locked.+Call+555-0100"); strings.Contains(r.body, "555-0100") {
		t.Error("a forged flash message was shown")
	}
	tok := b.csrf("/console/groups")
	r := b.post("/console/groups", url.Values{"csrf": {tok}, "name": {"ops"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create group = %d", r.status)
	}
	if r := b.get(r.header.Get("Location")); !strings.Contains(r.body, "Group created.") {
		t.Error("the console's own message was not shown")
	}
}

func TestReportsAndRootMFA(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := t.Context()
	noErr(t, e.svc.SetRootPassword(ctx, account, "R00t-passw0rd!"))
	e.user("admin", "Corr3ct-horse", false, adminPolicy)
	b := e.browser()
	if r := b.signIn("root", "R00t-passw0rd!", ""); r.status != http.StatusSeeOther {
		t.Fatalf("root sign-in = %d", r.status)
	}
	tok := b.csrf("/console/account")
	r := b.post("/console/credential-report", url.Values{"csrf": {tok}})
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.body, "admin") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("credential report = %d %q: %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := b.post("/console/users/admin/last-accessed", url.Values{"csrf": {tok}}); r.status != http.StatusOK || !strings.Contains(r.body, "Last accessed") {
		t.Fatalf("last accessed = %d", r.status)
	}
	// Root MFA from the account page: the QR image is served only to the
	// session that created it, and two codes enable the device.
	r = b.post("/console/account/root-mfa", url.Values{"csrf": {tok}})
	qr := regexp.MustCompile(`<img src="(/console/qr/[^"]+)"`).FindStringSubmatch(r.body)
	seed := regexp.MustCompile(`<code class="wrap">([A-Z2-7]+)</code>`).FindStringSubmatch(r.body)
	serial := regexp.MustCompile(`name="serial" value="([^"]+)"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || qr == nil || seed == nil || serial == nil {
		t.Fatalf("root MFA page = %d", r.status)
	}
	if img := b.get(qr[1]); img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(img.body, "\x89PNG") {
		t.Fatalf("QR image = %d %s", img.status, img.header.Get("Content-Type"))
	}
	if img := e.browser().get(qr[1]); img.status == http.StatusOK {
		t.Fatal("the QR image is served without the session")
	}
	if r := b.get("/console/home"); r.status != http.StatusOK {
		t.Fatalf("session lost before enabling: %d", r.status)
	}
	now := time.Now()
	c1, _ := iam.TOTPCode(seed[1], now.Unix()/30-1)
	c2, _ := iam.TOTPCode(seed[1], now.Unix()/30)
	r = b.post("/console/account/root-mfa-enable", url.Values{"csrf": {tok}, "serial": {serial[1]}, "code1": {c1}, "code2": {c2}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "root+user") {
		t.Fatalf("enable root MFA = %d -> %s: %.300s", r.status, r.header.Get("Location"), r.body)
	}
	// Now the root user needs a code to sign in.
	b2 := e.browser()
	if r := b2.signIn("root", "R00t-passw0rd!", ""); r.status != http.StatusOK || !strings.Contains(r.body, "MFA code") {
		t.Fatalf("root without code = %d", r.status)
	}
}

// FuzzSignInForm posts arbitrary sign-in forms: whatever the input, the
// answer is a refusal, a throttle or a redirect, never a server error, and
// the password is never echoed.
func FuzzSignInForm(f *testing.F) {
	f.Add(account, "alice", "Corr3ct-horse", "")
	f.Add(account, "root", "x", "123456")
	f.Add("alias-that-does-not-exist", "ALICE", "", "abcdef")
	f.Add("", "", "\x00\xff", "9999999")
	f.Add(strings.Repeat("9", 300), strings.Repeat("u", 300), strings.Repeat("p", 2000), "")
	e := newEnv(f, false)
	e.user("alice", "Corr3ct-horse", false, "")
	f.Fuzz(func(t *testing.T, acct, user, password, mfa string) {
		b := e.browser()
		b.t = t
		tok := b.csrf("/console/signin")
		r := b.post("/console/signin", url.Values{"csrf": {tok}, "account": {acct}, "username": {user},
			"password": {password}, "mfa": {mfa}})
		if r.status >= 500 {
			t.Fatalf("status %d", r.status)
		}
		if len(password) >= 12 && strings.Contains(r.body, password) {
			t.Fatal("password echoed")
		}
	})
}
