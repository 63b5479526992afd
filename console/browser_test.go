package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iamd/iamd/iam"
)

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// unless IAMD_REQUIRE_BROWSER=1 (CI sets it), where its absence fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("IAMD_REQUIRE_BROWSER") == "1" {
		t.Fatal("IAMD_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; set IAMD_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// newBrowser starts headless chromium with a fresh profile and no network
// activity of its own.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true), chromedp.Flag("disable-extensions", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser with a context that has no deadline (see
	// chromedp.Run), then bound the whole test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(tcancel)
	return tctx
}

// shots is where screenshots go: IAMD_CONSOLE_SCREENSHOTS (docs/console
// when refreshing the documentation's pictures), else a temporary
// directory.
func shots(t *testing.T) string {
	if d := os.Getenv("IAMD_CONSOLE_SCREENSHOTS"); d != "" {
		noErr(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

type driver struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// step bounds one interaction, so a missing element fails the test in
// seconds instead of waiting for it until the test's deadline.
func (d *driver) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(d.ctx, 15*time.Second)
}

func (d *driver) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := d.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		d.t.Fatal(err)
	}
}

// submit clicks a button that submits a form and waits for the next page.
func (d *driver) submit(sel string) {
	d.t.Helper()
	ctx, cancel := d.step()
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		d.t.Fatalf("submit %s: %v", sel, err)
	}
}

func (d *driver) open(path string) {
	d.t.Helper()
	d.do(chromedp.Navigate(d.base + path))
}

func (d *driver) text(sel string) string {
	d.t.Helper()
	ctx, cancel := d.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (d *driver) location() string {
	d.t.Helper()
	s, err := chromedp.Run(d.ctx, chromedp.Location())
	if err != nil {
		d.t.Fatal(err)
	}
	return strings.TrimPrefix(s, d.base)
}

func (d *driver) fill(sel, value string) {
	d.t.Helper()
	d.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

func (d *driver) shot(name string) {
	d.t.Helper()
	png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		d.t.Fatal(err)
	}
	noErr(d.t, os.WriteFile(filepath.Join(d.dir, name+".png"), png, 0o644))
}

func (d *driver) signIn(user, password, mfa string) {
	d.t.Helper()
	d.open("/console/signin")
	d.fill("#account", account)
	d.fill("#username", user)
	d.fill("#password", password)
	if mfa != "" {
		d.fill("#mfa", mfa)
	}
	d.submit("form button.primary")
}

func (d *driver) signOut() {
	d.t.Helper()
	d.submit(".who form button")
}

func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, false)
	d := &driver{t: t, ctx: ctx, base: e.srv.URL, dir: shots(t)}
	bg := t.Context()

	// An administrator with a virtual MFA device.
	e.user("admin", "Admin-passw0rd!", false, adminPolicy)
	dev, err := e.svc.CreateVirtualMFADevice(bg, e.root, iam.CreateVirtualMFADeviceInput{Name: "admin"})
	noErr(t, err)
	now := time.Now()
	code := func(at time.Time) string {
		c, err := iam.TOTPCode(dev.Base32StringSeed, at.Unix()/30)
		noErr(t, err)
		return c
	}
	noErr(t, e.svc.EnableMFADevice(bg, e.root, "admin", dev.Device.SerialNumber, code(now.Add(-30*time.Second)), code(now)))
	// A second administrator, without MFA, for the last subtest: the
	// first one's next code is not due yet (each is accepted once).
	e.user("ops", "Ops-passw0rd!", false, adminPolicy)

	t.Run("sign in with MFA", func(t *testing.T) {
		d.t = t
		d.open("/console/signin")
		d.shot("signin")
		d.signIn("admin", "Admin-passw0rd!", "")
		if msg := d.text("p.error"); !strings.Contains(msg, "MFA code") {
			t.Fatalf("without a code: %q, want a request for the MFA code", msg)
		}
		d.fill("#password", "Admin-passw0rd!")
		d.fill("#mfa", code(time.Now().Add(30*time.Second)))
		d.submit("form button.primary")
		if loc := d.location(); loc != "/console/home" {
			t.Fatalf("after sign-in at %s: %s", loc, d.text("main"))
		}
		if badge := d.text(".who .badge"); badge != "MFA" {
			t.Fatalf("MFA badge = %q", badge)
		}
		d.shot("dashboard")
	})

	var secret, keyID string
	t.Run("create a user with keys, secret shown once", func(t *testing.T) {
		d.t = t
		d.open("/console/users/new")
		d.fill("#name", "dev1")
		d.do(chromedp.Click(chromedp.CSS(`input[name="accesskey"]`)))
		d.shot("user-create")
		d.submit("form.card button.primary")
		keyID, secret = d.text("#akid"), d.text("#secret")
		if len(secret) != 40 || !strings.HasPrefix(keyID, "AKIA") {
			t.Fatalf("secret page: key %q secret of %d characters", keyID, len(secret))
		}
		cred := e.svc.Authenticate(keyID)
		if cred == nil || string(cred.Secret) != secret {
			t.Fatal("the secret shown is not the key's")
		}
		d.shot("user-secret")
		d.open("/console/users/dev1")
		html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		noErr(t, err)
		if strings.Contains(html, secret) || !strings.Contains(html, keyID) {
			t.Fatal("the user page shows the secret again, or not the key")
		}
		d.shot("user-detail")
		d.open("/console/users")
		d.shot("users")
	})

	t.Run("assign a virtual MFA device with its QR code", func(t *testing.T) {
		d.t = t
		d.open("/console/users/dev1")
		d.submit(`form[action$="/mfa"] button`)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var i=document.querySelector(".qr img");return !!i&&i.complete&&i.naturalWidth>0;})()`))
		if err != nil || !ok {
			t.Fatalf("the QR code image did not load (%v)", err)
		}
		d.shot("mfa-assign")
		seed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("code.wrap").textContent`))
		noErr(t, err)
		step := time.Now().Unix() / 30
		c1, err := iam.TOTPCode(seed, step-1)
		noErr(t, err)
		c2, err := iam.TOTPCode(seed, step)
		noErr(t, err)
		d.fill("#code1", c1)
		d.fill("#code2", c2)
		d.submit("form.card button.primary")
		if f := d.text("p.flash"); f != "MFA device assigned." {
			t.Fatalf("enable: %q", f)
		}
	})

	t.Run("attach a policy and the simulator's answer changes", func(t *testing.T) {
		d.t = t
		simulate := func() string {
			d.open("/console/simulator")
			d.fill("#principal", "arn:aws:iam::"+account+":user/dev1")
			d.fill("#actions", "iam:ListUsers")
			d.submit("form.card button.primary")
			return d.text("#results td.decision")
		}
		if got := simulate(); got != "implicitDeny" {
			t.Fatalf("before: %q, want implicitDeny", got)
		}
		pol, err := e.svc.CreatePolicy(bg, e.root, iam.CreatePolicyInput{PolicyName: "list-users",
			PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`})
		noErr(t, err)
		d.open("/console/users/dev1")
		d.fill("#attach", pol.ARN)
		d.submit(`form[action$="/attach"] button`)
		if f := d.text("p.flash"); f != "Policy attached." {
			t.Fatalf("attach: %q", f)
		}
		if got := simulate(); got != "allowed" {
			t.Fatalf("after: %q, want allowed", got)
		}
		d.shot("simulator")
	})

	t.Run("policy editor validates live", func(t *testing.T) {
		d.t = t
		d.open("/console/policies/new")
		d.do(chromedp.SetValue(chromedp.CSS("#document"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers"}]}`),
			chromedp.SendKeys(chromedp.CSS("#document"), " "))
		got, err := chromedp.Run(ctx, chromedp.Poll[string](`(function(){var s=document.getElementById("document-status");return s.className.indexOf("bad")>=0?s.textContent:"";})()`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil || got == "" {
			t.Fatalf("no validation message (%v)", err)
		}
		d.shot("policy-editor")
		d.open("/console/policies?scope=AWS&q=IAM")
		d.shot("policies")
		d.open("/console/events")
		d.shot("events")
	})

	t.Run("password policy set and enforced in the change-password form", func(t *testing.T) {
		d.t = t
		d.open("/console/account")
		d.fill("#min", "14")
		d.do(chromedp.Click(chromedp.CSS(`input[name="symbols"]`)), chromedp.Click(chromedp.CSS(`input[name="allowchange"]`)))
		d.submit("form.card button.primary")
		if f := d.text("p.flash"); f != "Password policy saved." {
			t.Fatalf("save policy: %q", f)
		}
		d.shot("account")
		d.signOut()
		_, err := e.svc.CreateUser(bg, e.root, iam.CreateUserInput{UserName: "newbie"})
		noErr(t, err)
		_, err = e.svc.CreateLoginProfile(bg, e.root, "newbie", "First-passw0rd!", true)
		noErr(t, err)
		d.signIn("newbie", "First-passw0rd!", "")
		if loc := d.location(); loc != "/console/password" {
			t.Fatalf("forced change: at %s", loc)
		}
		if rules := d.text("#rules"); !strings.Contains(rules, "at least 14 characters") || !strings.Contains(rules, "a symbol") {
			t.Fatalf("the form does not show the policy: %q", rules)
		}
		d.fill("#old", "First-passw0rd!")
		d.fill("#new", "Short-1!")
		d.fill("#confirm", "Short-1!")
		d.submit("form.card button.primary")
		if msg := d.text("p.error"); !strings.Contains(msg, "minimum length of 14") {
			t.Fatalf("weak password: %q", msg)
		}
		d.shot("password-change")
		d.fill("#old", "First-passw0rd!")
		d.fill("#new", "Much-longer-passw0rd!")
		d.fill("#confirm", "Much-longer-passw0rd!")
		d.submit("form.card button.primary")
		if loc := d.location(); !strings.HasPrefix(loc, "/console/home") {
			t.Fatalf("after the change: at %s (%s)", loc, d.text("main"))
		}
	})

	t.Run("a restricted user is denied", func(t *testing.T) {
		d.t = t
		d.open("/console/users")
		if h := d.text("main .denied h2"); h != "Access denied" {
			t.Fatalf("denied heading = %q", h)
		}
		if body := d.text("main"); strings.Contains(body, "dev1") || !strings.Contains(body, "iam:ListUsers") {
			t.Fatalf("denied page: %q", body)
		}
		d.shot("denied")
		d.signOut()
	})

	t.Run("phone width", func(t *testing.T) {
		d.t = t
		d.signIn("ops", "Ops-passw0rd!", "")
		if loc := d.location(); loc != "/console/home" {
			t.Fatalf("sign-in: at %s", loc)
		}
		d.do(chromedp.EmulateViewport(390, 844))
		d.open("/console/users/dev1")
		d.shot("phone-user")
	})
}
