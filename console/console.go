// Package console is iamd's web console: server-rendered pages under
// /console for signing in and managing IAM, following the AWS IAM
// console's flows.
//
// Every page acts through the same iam.Service methods the API uses, with
// the signed-in user's principal (iam.Service.ConsoleAuthenticate), so a
// page shows exactly what the user could read or change with the API: a
// user without iam:ListUsers sees an access-denied message, never the
// list. Every call is audited as the API call it is, with a user agent
// naming the console; every sign-in attempt is audited as CloudTrail's
// ConsoleLogin event.
//
// Browser safety: session and CSRF cookies are HttpOnly, SameSite=Strict,
// Path=/console and Secure when the connection is TLS; every POST carries
// a CSRF token derived from the session; pages are served with a strict
// Content-Security-Policy (no inline script or style, nothing from other
// origins), and all assets are embedded in the binary. No secret ever
// appears in a URL.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
)

// Prefix is where the console is mounted.
const Prefix = "/console"

// UserAgentPrefix starts the userAgent of every audit event the console
// writes for a user's action, so the trail tells console use from API use.
const UserAgentPrefix = "iamd-console/1"

const (
	sessionCookie = "iamd_console"
	preCookie     = "iamd_console_pre" // CSRF secret of the sign-in form
)

// CSP is the Content-Security-Policy of every console response.
const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Auditor receives the console's audit events; *audit.Writer implements
// it (as for httpapi: Record for mutations and sign-ins, Enqueue for
// reads).
type Auditor interface {
	Record(ctx context.Context, e *audit.Event) error
	Enqueue(e *audit.Event) error
}

// Config configures the console.
type Config struct {
	Service *iam.Service
	// Audit receives events; nil writes none.
	Audit Auditor
	// Events is read by the event history page; nil hides it.
	Events audit.Store
	Logger *slog.Logger
	Clock  func() time.Time
}

// Handler serves the console. It is safe for concurrent use.
type Handler struct {
	svc    *iam.Service
	audit  Auditor
	events audit.Store
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static http.Handler

	// qr holds the QR code PNGs of virtual MFA devices being set up, so
	// that the image can be served from a same-origin URL under the
	// strict CSP; each is bound to the session that created it and lives
	// for qrTTL.
	qrMu sync.Mutex
	qr   map[string]qrImage

	// lastPrune is when expired sessions were last deleted (Unix
	// seconds); sign-ins trigger it at most hourly.
	lastPrune atomic.Int64
}

type qrImage struct {
	session string
	png     []byte
	expires time.Time
}

const qrTTL = 10 * time.Minute

// New returns the console handler, to be mounted at Prefix.
func New(cfg Config) (*Handler, error) {
	h := &Handler{svc: cfg.Service, audit: cfg.Audit, events: cfg.Events, log: cfg.Logger, now: cfg.Clock,
		mux: http.NewServeMux(), qr: map[string]qrImage{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	files := http.StripPrefix(Prefix+"/static/", http.FileServer(http.FS(sub)))
	h.static = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
	h.routes()
	return h, nil
}

// ServeHTTP applies the security headers, rejects cross-site POSTs and
// dispatches.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.TLS != nil {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if !strings.HasPrefix(r.URL.Path, Prefix+"/static/") {
		hd.Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodPost && !sameOrigin(r) {
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
		return
	}
	defer func() {
		// A bug in one page must not take the process down or leak a
		// stack trace: answer 500 with a plain message.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("console panic", "path", r.URL.Path, "panic", v)
			http.Error(w, "Internal error.", http.StatusInternalServerError)
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// sameOrigin checks the Origin header when the browser sends one
// (SameSite=Strict cookies already keep cross-site POSTs unauthenticated;
// this also refuses them before any work).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// --- sessions and CSRF

// ctxIdentity is a request's signed-in identity.
type reqState struct {
	token string
	id    *iam.ConsoleIdentity
	p     *iam.Principal // per-request copy with RequestInfo
}

func secure(r *http.Request) bool { return r.TLS != nil }

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// csrfFor derives a form token from a secret the browser holds only in an
// HttpOnly cookie: a page from another origin cannot read the cookie, so
// it cannot compute the token, and nothing extra is stored server-side.
func csrfFor(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("iamd-console-csrf\x00" + purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func csrfOK(secret, purpose, got string) bool {
	if secret == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfFor(secret, purpose)), []byte(got)) == 1
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("console: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns the request's console session, or nil.
func (h *Handler) session(r *http.Request) *reqState {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	id, err := h.svc.ConsoleAuthenticate(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, iam.ErrNoConsoleSession) {
			h.log.Error("console session", "err", err)
		}
		return nil
	}
	p := *id.Principal
	p.Request = &iam.RequestInfo{Time: h.now(), SourceIP: clientIP(r), UserAgent: r.UserAgent(),
		SecureTransport: r.TLS != nil, Region: "us-east-1"}
	return &reqState{token: c.Value, id: id, p: &p}
}

// authed wraps a page that needs a signed-in user: others go to the
// sign-in page; users who must change their password go to that form;
// POSTs need the session's CSRF token.
func (h *Handler) authed(fn func(w http.ResponseWriter, r *http.Request, s *reqState)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
			} else {
				http.Error(w, "Your session has ended. Sign in again.", http.StatusUnauthorized)
			}
			return
		}
		if r.Method == http.MethodPost {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf")
			}
			if !csrfOK(s.token, "session", tok) {
				http.Error(w, "Invalid or missing CSRF token.", http.StatusForbidden)
				return
			}
		}
		if s.id.Session.MustChangePassword && r.URL.Path != Prefix+"/password" && r.URL.Path != Prefix+"/signout" {
			http.Redirect(w, r, Prefix+"/password", http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	}
}

// --- audit

// consoleUA is the userAgent of a console action's audit event.
func consoleUA(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	return UserAgentPrefix + " (" + ua + ")"
}

func (h *Handler) baseEvent(r *http.Request, source, name string) *audit.Event {
	id := randomString(12)
	return &audit.Event{EventVersion: audit.EventVersion, EventTime: h.now().UTC().Format(time.RFC3339),
		EventSource: source, EventName: name, AWSRegion: "us-east-1", SourceIPAddress: clientIP(r),
		UserAgent: consoleUA(r), RequestID: id, EventID: audit.NewEventID(), ManagementEvent: true,
		EventCategory: "Management", EventType: "AwsApiCall", ReadOnly: audit.IsReadOnly(name)}
}

// call runs one service operation for the signed-in user and audits it as
// the API call named op; params must hold no secret. fn must pass ctx to
// the service, which journals a mutation's event through it.
func (h *Handler) call(r *http.Request, s *reqState, op string, params map[string]any, fn func(ctx context.Context) error) error {
	return h.callAt(r, s, "iam.amazonaws.com", op, params, fn)
}

// callAt is call for an operation of another service (source is its
// eventSource). A mutation is journaled as an API mutation is
// (httpapi/audit.go): its event is built when the first read-write
// transaction is about to run and stored by that transaction as the
// request's intent, so a crash or a failed append after the commit loses
// only the error details, never the event; Record appends the final event
// under the same eventID, which settles the intent.
func (h *Handler) callAt(r *http.Request, s *reqState, source, op string, params map[string]any, fn func(ctx context.Context) error) error {
	ctx := r.Context()
	var (
		intent  *iam.AuditIntent
		encoded *audit.Event
	)
	if h.audit != nil && !audit.IsReadOnly(op) {
		intent = &iam.AuditIntent{Encode: func() (string, []byte, error) {
			e := h.callEvent(r, s, source, op, params)
			payload, err := e.Canonical()
			if err == nil {
				encoded = e
			}
			return e.EventID, payload, err
		}}
		ctx = iam.WithAuditIntent(ctx, intent)
	}
	err := fn(ctx)
	if h.audit == nil {
		return err
	}
	intent.Finish()
	e := encoded
	if e == nil {
		e = h.callEvent(r, s, source, op, params)
	}
	if err != nil {
		e.ErrorCode, e.ErrorMessage = string(iam.ErrorCode(err)), errText(err)
	}
	var aerr error
	if e.ReadOnly && err == nil {
		aerr = h.audit.Enqueue(e)
	} else {
		aerr = h.audit.Record(context.WithoutCancel(r.Context()), e)
	}
	if aerr != nil {
		h.log.Error("console audit", "err", aerr)
		if err == nil && !e.ReadOnly {
			// The change happened but is not on the trail: say so rather
			// than pretend all is well.
			return errors.New("The change was made but could not be recorded in the audit trail.")
		}
	}
	return err
}

// callEvent is the event of a console action, before its outcome.
func (h *Handler) callEvent(r *http.Request, s *reqState, source, op string, params map[string]any) *audit.Event {
	e := h.baseEvent(r, source, op)
	e.UserIdentity = audit.IdentityOf(s.p)
	e.RecipientAccountID = s.p.AccountID
	e.RequestParameters = params
	return e
}

// errText is what a page shows for an error: the service's AWS-worded
// message, or a generic one for internal errors.
func errText(err error) string {
	var ie *iam.Error
	if errors.As(err, &ie) {
		if ie.Code == iam.CodeServiceFailure {
			return "An internal error occurred."
		}
		return ie.Message
	}
	return err.Error()
}

// signInEvent is CloudTrail's ConsoleLogin record for an attempt.
func (h *Handler) signInEvent(r *http.Request, res *iam.SignInResult, err error) {
	if h.audit == nil {
		return
	}
	e := h.baseEvent(r, "signin.amazonaws.com", "ConsoleLogin")
	e.EventType, e.ReadOnly = "AwsConsoleSignIn", false
	e.UserAgent = r.UserAgent()
	e.RecipientAccountID = res.AccountID
	switch {
	case res.Root:
		e.UserIdentity = audit.UserIdentity{Type: "Root", PrincipalID: res.AccountID, ARN: res.ARN, AccountID: res.AccountID}
	case res.UserID != "":
		e.UserIdentity = audit.UserIdentity{Type: "IAMUser", PrincipalID: res.UserID, ARN: res.ARN, AccountID: res.AccountID, UserName: res.UserName}
	default:
		// CloudTrail hides names that match no user, since they are often
		// passwords typed into the wrong field.
		e.UserIdentity = audit.UserIdentity{Type: "IAMUser", AccountID: res.AccountID, UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}
	}
	mfa := "No"
	if res.MFAUsed {
		mfa = "Yes"
	}
	e.AdditionalEventData = map[string]any{"LoginTo": h.loginTo(r), "MobileVersion": "No", "MFAUsed": mfa}
	if err != nil {
		e.ResponseElements = map[string]any{"ConsoleLogin": "Failure"}
		e.ErrorMessage = "Failed authentication"
	} else {
		e.ResponseElements = map[string]any{"ConsoleLogin": "Success"}
	}
	if aerr := h.audit.Record(context.WithoutCancel(r.Context()), e); aerr != nil {
		h.log.Error("console sign-in audit", "err", aerr)
	}
}

// loginTo is the console URL a sign-in leads to, as CloudTrail's
// LoginTo records it.
func (h *Handler) loginTo(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/console/"
}

// pruneSessions deletes long-expired console sessions, at most once an
// hour per node, in the background of a successful sign-in.
func (h *Handler) pruneSessions() {
	now := h.now().Unix()
	last := h.lastPrune.Load()
	if now-last < 3600 || !h.lastPrune.CompareAndSwap(last, now) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.svc.PruneConsoleSessions(ctx); err != nil {
			h.log.Error("prune console sessions", "err", err)
		}
	}()
}
