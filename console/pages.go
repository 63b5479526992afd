package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

func (h *Handler) routes() {
	m := h.mux
	m.Handle("GET "+Prefix+"/static/", h.static)
	m.HandleFunc("GET "+Prefix+"/{$}", h.index)
	m.HandleFunc("GET "+Prefix, h.index)
	m.HandleFunc("GET "+Prefix+"/signin", h.signInForm)
	m.HandleFunc("POST "+Prefix+"/signin", h.signIn)
	m.HandleFunc("POST "+Prefix+"/signout", h.authed(h.signOut))
	m.HandleFunc("GET "+Prefix+"/password", h.authed(h.passwordForm))
	m.HandleFunc("POST "+Prefix+"/password", h.authed(h.changePassword))
	m.HandleFunc("GET "+Prefix+"/home", h.authed(h.home))
	m.HandleFunc("GET "+Prefix+"/users", h.authed(h.users))
	m.HandleFunc("GET "+Prefix+"/users/new", h.authed(h.userNewForm))
	m.HandleFunc("POST "+Prefix+"/users/new", h.authed(h.userCreate))
	m.HandleFunc("GET "+Prefix+"/users/{name}", h.authed(h.user))
	m.HandleFunc("POST "+Prefix+"/users/{name}/{action}", h.authed(h.userAction))
	m.HandleFunc("GET "+Prefix+"/qr/{id}", h.authed(h.qrImage))
	m.HandleFunc("GET "+Prefix+"/groups", h.authed(h.groups))
	m.HandleFunc("POST "+Prefix+"/groups", h.authed(h.groupCreate))
	m.HandleFunc("GET "+Prefix+"/groups/{name}", h.authed(h.group))
	m.HandleFunc("POST "+Prefix+"/groups/{name}/{action}", h.authed(h.groupAction))
	m.HandleFunc("GET "+Prefix+"/roles", h.authed(h.roles))
	m.HandleFunc("GET "+Prefix+"/roles/new", h.authed(h.roleNewForm))
	m.HandleFunc("POST "+Prefix+"/roles/new", h.authed(h.roleCreate))
	m.HandleFunc("GET "+Prefix+"/roles/{name}", h.authed(h.role))
	m.HandleFunc("POST "+Prefix+"/roles/{name}/{action}", h.authed(h.roleAction))
	m.HandleFunc("GET "+Prefix+"/policies", h.authed(h.policies))
	m.HandleFunc("GET "+Prefix+"/policies/new", h.authed(h.policyNewForm))
	m.HandleFunc("POST "+Prefix+"/policies/new", h.authed(h.policyCreate))
	m.HandleFunc("GET "+Prefix+"/policy", h.authed(h.policy))
	m.HandleFunc("POST "+Prefix+"/policy", h.authed(h.policyAction))
	m.HandleFunc("POST "+Prefix+"/api/validate", h.authed(h.validate))
	m.HandleFunc("GET "+Prefix+"/account", h.authed(h.account))
	m.HandleFunc("POST "+Prefix+"/account/{action}", h.authed(h.accountAction))
	m.HandleFunc("GET "+Prefix+"/simulator", h.authed(h.simulator))
	m.HandleFunc("POST "+Prefix+"/simulator", h.authed(h.simulator))
	m.HandleFunc("GET "+Prefix+"/events", h.authed(h.eventHistory))
	m.HandleFunc("POST "+Prefix+"/credential-report", h.authed(h.credentialReport))
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, Prefix+"/home", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

// redirect sends the browser back to a page after a POST, with a message
// (never a secret) in the query. The message carries a MAC under the
// session, so a link from elsewhere cannot put words in the console's
// mouth.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, s *reqState, path, flash string) {
	if flash != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "flash=" + url.QueryEscape(flash) + "&fm=" + csrfFor(s.token, "flash:"+flash)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

func (h *Handler) withFlash(r *http.Request, s *reqState, pg *page) *page {
	q := r.URL.Query()
	if f := q.Get("flash"); f != "" && len(f) < 500 && csrfOK(s.token, "flash:"+f, q.Get("fm")) {
		pg.Flash = f
	}
	return pg
}

// --- sign-in, sign-out, password

type signInData struct {
	Account, UserName string
	NeedMFA           bool
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request, status int, d signInData, msg string) {
	pre := ""
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 20 {
		pre = c.Value
	} else {
		pre = randomString(24)
		setCookie(w, r, preCookie, pre, 3600)
	}
	pg := &page{Title: "Sign in", CSRF: csrfFor(pre, "signin"), Error: msg, Data: d}
	h.render(w, status, "signin", pg)
}

func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, Prefix+"/home", http.StatusSeeOther)
		return
	}
	h.signInPage(w, r, http.StatusOK, signInData{Account: r.URL.Query().Get("account")}, "")
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(preCookie)
	if err != nil || !csrfOK(c.Value, "signin", r.PostFormValue("csrf")) {
		http.Error(w, "Invalid or missing CSRF token. Reload the sign-in page.", http.StatusForbidden)
		return
	}
	d := signInData{Account: strings.TrimSpace(r.PostFormValue("account")), UserName: strings.TrimSpace(r.PostFormValue("username"))}
	res, err := h.svc.SignIn(r.Context(), iam.SignInInput{Account: d.Account, UserName: d.UserName,
		Password: r.PostFormValue("password"), MFACode: strings.TrimSpace(r.PostFormValue("mfa")),
		SourceIP: clientIP(r), UserAgent: r.UserAgent()})
	var se *iam.SignInError
	if err != nil && !errors.As(err, &se) {
		h.log.Error("console sign-in", "err", err)
		h.signInPage(w, r, http.StatusInternalServerError, d, "An internal error occurred.")
		return
	}
	if se != nil && se.Reason == iam.SignInMFARequired {
		// Not an attempt yet: the password step passed and the MFA step
		// follows, as in AWS's sign-in.
		d.NeedMFA = true
		h.signInPage(w, r, http.StatusOK, d, se.Error())
		return
	}
	h.signInEvent(r, res, err)
	if se != nil {
		status := http.StatusUnauthorized
		if se.Reason == iam.SignInThrottled {
			w.Header().Set("Retry-After", strconv.Itoa(int(se.RetryAfter.Seconds())+1))
			status = http.StatusTooManyRequests
		}
		d.NeedMFA = r.PostFormValue("mfa") != ""
		h.signInPage(w, r, status, d, se.Error())
		return
	}
	setCookie(w, r, sessionCookie, res.Token, int(iam.ConsoleSessionDuration.Seconds()))
	setCookie(w, r, preCookie, "", -1)
	h.pruneSessions()
	if res.MustChangePassword {
		http.Redirect(w, r, Prefix+"/password", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"/home", http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, s *reqState) {
	if err := h.svc.SignOut(r.Context(), s.token); err != nil {
		h.log.Error("console sign-out", "err", err)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

type passwordData struct {
	Forced bool
	Rules  []string
}

func (h *Handler) passwordRules(r *http.Request, s *reqState) []string {
	if s.p.IsRoot() {
		return []string{"8 to 128 characters", "at least three of: upper-case letters, lower-case letters, numbers, symbols"}
	}
	pol, err := h.svc.ConsolePasswordPolicy(r.Context(), s.id)
	if err != nil {
		return nil
	}
	if pol == nil {
		return []string{"at least 8 characters", "at least three of: upper-case letters, lower-case letters, numbers, symbols",
			"not the same as your user name"}
	}
	rules := []string{"at least " + strconv.Itoa(pol.MinimumPasswordLength) + " characters"}
	if pol.RequireUppercaseCharacters {
		rules = append(rules, "an upper-case letter")
	}
	if pol.RequireLowercaseCharacters {
		rules = append(rules, "a lower-case letter")
	}
	if pol.RequireNumbers {
		rules = append(rules, "a number")
	}
	if pol.RequireSymbols {
		rules = append(rules, "a symbol")
	}
	if pol.PasswordReusePrevention > 0 {
		rules = append(rules, "not one of your last "+strconv.Itoa(pol.PasswordReusePrevention)+" passwords")
	}
	return rules
}

func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Change password", "")
	pg.Data = passwordData{Forced: s.id.Session.MustChangePassword, Rules: h.passwordRules(r, s)}
	h.render(w, http.StatusOK, "password", pg)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Change password", "")
	pg.Data = passwordData{Forced: s.id.Session.MustChangePassword, Rules: h.passwordRules(r, s)}
	oldPw, newPw := r.PostFormValue("old"), r.PostFormValue("new")
	if newPw != r.PostFormValue("confirm") {
		pg.Error = "The new passwords do not match."
		h.render(w, http.StatusBadRequest, "password", pg)
		return
	}
	var tok string
	err := h.call(r, s, "ChangePassword", map[string]any{}, func(ctx context.Context) error {
		var err error
		tok, _, err = h.svc.ChangeConsolePassword(ctx, s.id, oldPw, newPw)
		return err
	})
	if err != nil {
		pg.setErr(err)
		if pg.Denied != "" {
			pg.Error, pg.Denied = pg.Denied, ""
		}
		h.render(w, http.StatusBadRequest, "password", pg)
		return
	}
	setCookie(w, r, sessionCookie, tok, int(iam.ConsoleSessionDuration.Seconds()))
	h.redirect(w, r, s, Prefix+"/home", "Your password has been changed.")
}

// --- dashboard

type recommendation struct {
	OK     bool
	Text   string
	Link   string
	Detail string
}

type homeData struct {
	Counts  [][2]string
	Recs    []recommendation
	Checked int // users examined for the per-user checks
	Alias   string
}

// dashboardUserLimit bounds the per-user checks of one dashboard view.
const dashboardUserLimit = 100

func (h *Handler) home(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "IAM dashboard", "home"))
	d := &homeData{}
	pg.Data = d
	var sum map[string]int64
	err := h.call(r, s, "GetAccountSummary", map[string]any{}, func(ctx context.Context) (err error) {
		sum, err = h.svc.GetAccountSummary(ctx, s.p)
		return err
	})
	if err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "home", pg)
		return
	}
	for _, k := range []string{"Users", "Groups", "Roles", "Policies", "MFADevicesInUse", "Providers"} {
		if v, ok := sum[k]; ok {
			d.Counts = append(d.Counts, [2]string{k, strconv.FormatInt(v, 10)})
		}
	}
	var aliases iam.Page[string]
	if h.call(r, s, "ListAccountAliases", map[string]any{}, func(ctx context.Context) (err error) {
		aliases, err = h.svc.ListAccountAliases(ctx, s.p, iam.ListInput{})
		return err
	}) == nil && len(aliases.Items) > 0 {
		d.Alias = aliases.Items[0]
	}
	d.Recs = append(d.Recs,
		recommendation{OK: sum["AccountMFAEnabled"] == 1, Text: "Add MFA for the root user", Link: Prefix + "/account"},
		recommendation{OK: sum["AccountAccessKeysPresent"] == 0, Text: "Remove the root user's access keys", Link: Prefix + "/account"})
	err = h.call(r, s, "GetAccountPasswordPolicy", map[string]any{}, func(ctx context.Context) error {
		_, err := h.svc.GetAccountPasswordPolicy(ctx, s.p)
		return err
	})
	d.Recs = append(d.Recs, recommendation{OK: err == nil, Text: "Set an account password policy", Link: Prefix + "/account"})

	var users iam.Page[*iam.User]
	if err := h.call(r, s, "ListUsers", map[string]any{"maxItems": dashboardUserLimit}, func(ctx context.Context) (err error) {
		users, err = h.svc.ListUsers(ctx, s.p, iam.ListInput{MaxItems: dashboardUserLimit})
		return err
	}); err != nil {
		d.Recs = append(d.Recs, recommendation{Text: "Per-user checks unavailable", Detail: errText(err)})
		h.render(w, http.StatusOK, "home", pg)
		return
	}
	d.Checked = len(users.Items)
	var noMFA, stale []string
	cutoff := h.now().Add(-90 * 24 * time.Hour)
	for _, u := range users.Items {
		params := map[string]any{"userName": u.Name}
		if h.call(r, s, "GetLoginProfile", params, func(ctx context.Context) error {
			_, err := h.svc.GetLoginProfile(ctx, s.p, u.Name)
			return err
		}) == nil {
			var devs iam.Page[*iam.MFADeviceResult]
			if h.call(r, s, "ListMFADevices", params, func(ctx context.Context) (err error) {
				devs, err = h.svc.ListMFADevices(ctx, s.p, u.Name, iam.ListInput{})
				return err
			}) == nil && len(devs.Items) == 0 {
				noMFA = append(noMFA, u.Name)
			}
		}
		var keys *iam.AccessKeyList
		if h.call(r, s, "ListAccessKeys", params, func(ctx context.Context) (err error) {
			keys, err = h.svc.ListAccessKeys(ctx, s.p, u.Name, iam.ListInput{})
			return err
		}) != nil {
			continue
		}
		for _, k := range keys.Page.Items {
			if k.Status != iam.StatusActive {
				continue
			}
			var last *iam.KeyLastUsed
			err := h.call(r, s, "GetAccessKeyLastUsed", map[string]any{"accessKeyId": k.ID}, func(ctx context.Context) (err error) {
				last, err = h.svc.GetAccessKeyLastUsed(ctx, s.p, k.ID)
				return err
			})
			unused := err == nil && (last.Date.IsZero() && k.CreateDate.Before(cutoff) || !last.Date.IsZero() && last.Date.Before(cutoff))
			if k.CreateDate.Before(cutoff) || unused {
				stale = append(stale, u.Name+" ("+k.ID+")")
			}
		}
	}
	d.Recs = append(d.Recs,
		recommendation{OK: len(noMFA) == 0, Text: "Users with console access but no MFA", Detail: strings.Join(noMFA, ", "), Link: Prefix + "/users"},
		recommendation{OK: len(stale) == 0, Text: "Active access keys unused or not rotated for 90 days", Detail: strings.Join(stale, ", "), Link: Prefix + "/users"})
	h.render(w, http.StatusOK, "home", pg)
}

// --- users

type usersData struct {
	Query     string
	Users     []*iam.User
	Prev      string
	Next      string
	Total     int
	From, To  int
	CanCreate bool
}

const pageSize = 20

func (h *Handler) allUsers(r *http.Request, s *reqState) ([]*iam.User, error) {
	var all []*iam.User
	err := h.call(r, s, "ListUsers", map[string]any{}, func(ctx context.Context) error {
		in := iam.ListInput{MaxItems: 1000}
		for {
			pg, err := h.svc.ListUsers(ctx, s.p, in)
			if err != nil {
				return err
			}
			all = append(all, pg.Items...)
			if !pg.IsTruncated {
				return nil
			}
			in.Marker = pg.Marker
		}
	})
	return all, err
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "Users", "users"))
	d := &usersData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	pg.Data = d
	all, err := h.allUsers(r, s)
	if err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "users", pg)
		return
	}
	q := strings.ToLower(d.Query)
	var match []*iam.User
	for _, u := range all {
		if q == "" || strings.Contains(strings.ToLower(u.Name), q) {
			match = append(match, u)
		}
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	off = max(0, min(off, len(match)))
	end := min(off+pageSize, len(match))
	d.Users, d.Total, d.From, d.To = match[off:end], len(match), off+1, end
	v := url.Values{"q": {d.Query}}
	if off > 0 {
		v.Set("offset", strconv.Itoa(max(0, off-pageSize)))
		d.Prev = "?" + v.Encode()
	}
	if end < len(match) {
		v.Set("offset", strconv.Itoa(end))
		d.Next = "?" + v.Encode()
	}
	h.render(w, http.StatusOK, "users", pg)
}

type userNewData struct {
	Groups   []*iam.Group
	Name     string
	Selected map[string]bool
}

func (h *Handler) groupList(r *http.Request, s *reqState) ([]*iam.Group, error) {
	var out iam.Page[*iam.Group]
	err := h.call(r, s, "ListGroups", map[string]any{}, func(ctx context.Context) (err error) {
		out, err = h.svc.ListGroups(ctx, s.p, iam.ListInput{MaxItems: 1000})
		return err
	})
	return out.Items, err
}

func (h *Handler) userNewForm(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Create user", "users")
	groups, _ := h.groupList(r, s)
	pg.Data = &userNewData{Groups: groups}
	h.render(w, http.StatusOK, "user_new", pg)
}

type secretData struct {
	UserName    string
	AccessKeyID string
	Secret      string
	SignInURL   string
	Password    bool
	Notes       []string
}

func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request, s *reqState) {
	_ = r.ParseForm()
	name := strings.TrimSpace(r.PostFormValue("name"))
	pg := h.newPage(s, "Create user", "users")
	groups, _ := h.groupList(r, s)
	d := &userNewData{Groups: groups, Name: name, Selected: map[string]bool{}}
	for _, g := range r.PostForm["group"] {
		d.Selected[g] = true
	}
	pg.Data = d
	var u *iam.User
	err := h.call(r, s, "CreateUser", map[string]any{"userName": name}, func(ctx context.Context) (err error) {
		u, err = h.svc.CreateUser(ctx, s.p, iam.CreateUserInput{UserName: name, Path: "/"})
		return err
	})
	if err != nil {
		pg.setErr(err)
		if pg.Denied != "" {
			pg.Error, pg.Denied = pg.Denied, ""
		}
		h.render(w, http.StatusBadRequest, "user_new", pg)
		return
	}
	out := &secretData{UserName: u.Name, SignInURL: Prefix + "/signin?account=" + u.AccountID}
	// What follows the user's creation is best effort, as in the AWS
	// console: each failure is listed and the user still exists.
	if pw := r.PostFormValue("password"); pw != "" {
		reset := r.PostFormValue("reset") != ""
		if err := h.call(r, s, "CreateLoginProfile", map[string]any{"userName": u.Name, "passwordResetRequired": reset}, func(ctx context.Context) error {
			_, err := h.svc.CreateLoginProfile(ctx, s.p, u.Name, pw, reset)
			return err
		}); err != nil {
			out.Notes = append(out.Notes, "Console password not set: "+errText(err))
		} else {
			out.Password = true
		}
	}
	for _, g := range r.PostForm["group"] {
		if err := h.call(r, s, "AddUserToGroup", map[string]any{"userName": u.Name, "groupName": g}, func(ctx context.Context) error {
			return h.svc.AddUserToGroup(ctx, s.p, g, u.Name)
		}); err != nil {
			out.Notes = append(out.Notes, "Not added to group "+g+": "+errText(err))
		}
	}
	if arn := strings.TrimSpace(r.PostFormValue("policy")); arn != "" {
		if err := h.call(r, s, "AttachUserPolicy", map[string]any{"userName": u.Name, "policyArn": arn}, func(ctx context.Context) error {
			return h.svc.AttachPolicy(ctx, s.p, iam.OwnerUser, u.Name, arn)
		}); err != nil {
			out.Notes = append(out.Notes, "Policy not attached: "+errText(err))
		}
	}
	if r.PostFormValue("accesskey") != "" {
		var k *iam.NewAccessKey
		if err := h.call(r, s, "CreateAccessKey", map[string]any{"userName": u.Name}, func(ctx context.Context) (err error) {
			k, err = h.svc.CreateAccessKey(ctx, s.p, u.Name)
			return err
		}); err != nil {
			out.Notes = append(out.Notes, "Access key not created: "+errText(err))
		} else {
			out.AccessKeyID, out.Secret = k.Key.ID, k.Secret
		}
	}
	pg = h.newPage(s, "User created", "users")
	pg.Data = out
	h.render(w, http.StatusOK, "secret", pg)
}

type keyView struct {
	*iam.AccessKey
	LastUsed time.Time
	Service  string
}

type userData struct {
	User       *iam.User
	Groups     []*iam.Group
	AllGroups  []*iam.Group
	Attached   []iam.AttachedPolicy
	Inline     []string
	Tags       []iam.Tag
	Keys       []keyView
	MFA        []*iam.MFADeviceResult
	Login      *iam.LoginProfile
	Errors     []string
	Self       bool
	ReportLink bool
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	pg := h.withFlash(r, s, h.newPage(s, "User "+name, "users"))
	d := &userData{Self: !s.p.IsRoot() && strings.EqualFold(s.p.UserName, name)}
	pg.Data = d
	params := map[string]any{"userName": name}
	err := h.call(r, s, "GetUser", params, func(ctx context.Context) (err error) {
		d.User, err = h.svc.GetUser(ctx, s.p, name)
		return err
	})
	if err != nil {
		pg.setErr(err)
		status := http.StatusOK
		if iam.ErrorCode(err) == iam.CodeNoSuchEntity {
			status = http.StatusNotFound
		}
		h.render(w, status, "user", pg)
		return
	}
	note := func(err error) {
		if err != nil {
			d.Errors = append(d.Errors, errText(err))
		}
	}
	note(h.call(r, s, "ListGroupsForUser", params, func(ctx context.Context) error {
		p, err := h.svc.ListGroupsForUser(ctx, s.p, name, iam.ListInput{MaxItems: 1000})
		d.Groups = p.Items
		return err
	}))
	d.AllGroups, _ = h.groupList(r, s)
	note(h.call(r, s, "ListAttachedUserPolicies", params, func(ctx context.Context) error {
		p, err := h.svc.ListAttachedPolicies(ctx, s.p, iam.OwnerUser, name, iam.ListInput{MaxItems: 1000})
		d.Attached = p.Items
		return err
	}))
	note(h.call(r, s, "ListUserPolicies", params, func(ctx context.Context) error {
		p, err := h.svc.ListInlinePolicies(ctx, s.p, iam.OwnerUser, name, iam.ListInput{MaxItems: 1000})
		d.Inline = p.Items
		return err
	}))
	note(h.call(r, s, "ListUserTags", params, func(ctx context.Context) error {
		p, err := h.svc.ListUserTags(ctx, s.p, name, iam.ListInput{MaxItems: 1000})
		d.Tags = p.Items
		return err
	}))
	note(h.call(r, s, "ListAccessKeys", params, func(ctx context.Context) error {
		l, err := h.svc.ListAccessKeys(ctx, s.p, name, iam.ListInput{})
		if err != nil {
			return err
		}
		for _, k := range l.Page.Items {
			kv := keyView{AccessKey: k}
			var lu *iam.KeyLastUsed
			if h.call(r, s, "GetAccessKeyLastUsed", map[string]any{"accessKeyId": k.ID}, func(ctx context.Context) (err error) {
				lu, err = h.svc.GetAccessKeyLastUsed(ctx, s.p, k.ID)
				return err
			}) == nil {
				kv.LastUsed, kv.Service = lu.Date, lu.Service
			}
			d.Keys = append(d.Keys, kv)
		}
		return nil
	}))
	note(h.call(r, s, "ListMFADevices", params, func(ctx context.Context) error {
		p, err := h.svc.ListMFADevices(ctx, s.p, name, iam.ListInput{})
		d.MFA = p.Items
		return err
	}))
	err = h.call(r, s, "GetLoginProfile", params, func(ctx context.Context) error {
		lp, err := h.svc.GetLoginProfile(ctx, s.p, name)
		if err == nil {
			d.Login = lp.Profile
		}
		return err
	})
	if err != nil && iam.ErrorCode(err) != iam.CodeNoSuchEntity {
		note(err)
	}
	h.render(w, http.StatusOK, "user", pg)
}

type mfaData struct {
	EnableURL string
	UserName  string
	Serial    string
	QR        string
	Seed      string
	Error     string
}

func (h *Handler) userAction(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	back := Prefix + "/users/" + url.PathEscape(name)
	params := map[string]any{"userName": name}
	var err error
	flash := ""
	switch r.PathValue("action") {
	case "keys":
		var k *iam.NewAccessKey
		err = h.call(r, s, "CreateAccessKey", params, func(ctx context.Context) (err error) {
			k, err = h.svc.CreateAccessKey(ctx, s.p, name)
			return err
		})
		if err == nil {
			pg := h.newPage(s, "Access key created", "users")
			pg.Data = &secretData{UserName: name, AccessKeyID: k.Key.ID, Secret: k.Secret}
			h.render(w, http.StatusOK, "secret", pg)
			return
		}
	case "key-status":
		id, status := r.PostFormValue("key"), r.PostFormValue("status")
		params["accessKeyId"], params["status"] = id, status
		err = h.call(r, s, "UpdateAccessKey", params, func(ctx context.Context) error { return h.svc.UpdateAccessKey(ctx, s.p, name, id, status) })
		flash = "Access key " + id + " is now " + status + "."
	case "key-delete":
		id := r.PostFormValue("key")
		params["accessKeyId"] = id
		err = h.call(r, s, "DeleteAccessKey", params, func(ctx context.Context) error { return h.svc.DeleteAccessKey(ctx, s.p, name, id) })
		flash = "Access key " + id + " deleted."
	case "attach", "detach":
		flash, err = h.attachment(r, s, iam.OwnerUser, name, params)
	case "group-add":
		g := r.PostFormValue("group")
		params["groupName"] = g
		err = h.call(r, s, "AddUserToGroup", params, func(ctx context.Context) error { return h.svc.AddUserToGroup(ctx, s.p, g, name) })
		flash = "Added to group " + g + "."
	case "group-remove":
		g := r.PostFormValue("group")
		params["groupName"] = g
		err = h.call(r, s, "RemoveUserFromGroup", params, func(ctx context.Context) error { return h.svc.RemoveUserFromGroup(ctx, s.p, g, name) })
		flash = "Removed from group " + g + "."
	case "tag":
		k, v := strings.TrimSpace(r.PostFormValue("key")), r.PostFormValue("value")
		params["tags"] = []any{map[string]any{"key": k, "value": v}}
		err = h.call(r, s, "TagUser", params, func(ctx context.Context) error { return h.svc.TagUser(ctx, s.p, name, []iam.Tag{{Key: k, Value: v}}) })
		flash = "Tag saved."
	case "untag":
		k := r.PostFormValue("key")
		params["tagKeys"] = []any{k}
		err = h.call(r, s, "UntagUser", params, func(ctx context.Context) error { return h.svc.UntagUser(ctx, s.p, name, []string{k}) })
		flash = "Tag removed."
	case "password":
		pw, reset := r.PostFormValue("password"), r.PostFormValue("reset") != ""
		params["passwordResetRequired"] = reset
		lpErr := h.call(r, s, "GetLoginProfile", map[string]any{"userName": name}, func(ctx context.Context) error {
			_, err := h.svc.GetLoginProfile(ctx, s.p, name)
			return err
		})
		if iam.ErrorCode(lpErr) == iam.CodeNoSuchEntity {
			err = h.call(r, s, "CreateLoginProfile", params, func(ctx context.Context) error {
				_, err := h.svc.CreateLoginProfile(ctx, s.p, name, pw, reset)
				return err
			})
		} else {
			err = h.call(r, s, "UpdateLoginProfile", params, func(ctx context.Context) error { return h.svc.UpdateLoginProfile(ctx, s.p, name, &pw, &reset) })
		}
		flash = "Console password set."
	case "password-delete":
		err = h.call(r, s, "DeleteLoginProfile", params, func(ctx context.Context) error { return h.svc.DeleteLoginProfile(ctx, s.p, name) })
		flash = "Console access removed."
	case "mfa":
		h.mfaCreate(w, r, s, name)
		return
	case "last-accessed":
		var u *iam.User
		if err = h.call(r, s, "GetUser", params, func(ctx context.Context) (err error) {
			u, err = h.svc.GetUser(ctx, s.p, name)
			return err
		}); err == nil {
			h.lastAccessed(w, r, s, "user", name, u.ARN())
			return
		}
	case "mfa-enable":
		h.mfaEnable(w, r, s, name)
		return
	case "mfa-deactivate":
		serial := r.PostFormValue("serial")
		params["serialNumber"] = serial
		err = h.call(r, s, "DeactivateMFADevice", params, func(ctx context.Context) error { return h.svc.DeactivateMFADevice(ctx, s.p, name, serial) })
		if err == nil {
			_ = h.call(r, s, "DeleteVirtualMFADevice", map[string]any{"serialNumber": serial}, func(ctx context.Context) error {
				return h.svc.DeleteVirtualMFADevice(ctx, s.p, serial)
			})
		}
		flash = "MFA device removed."
	case "delete":
		err = h.call(r, s, "DeleteUser", params, func(ctx context.Context) error { return h.svc.DeleteUser(ctx, s.p, name) })
		if err == nil {
			h.redirect(w, r, s, Prefix+"/users", "User "+name+" deleted.")
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.redirect(w, r, s, back, "Error: "+errText(err))
		return
	}
	h.redirect(w, r, s, back, flash)
}

func (h *Handler) mfaCreate(w http.ResponseWriter, r *http.Request, s *reqState, name string) {
	devName := strings.TrimSpace(r.PostFormValue("device"))
	if devName == "" {
		devName = name
	}
	if devName == "" {
		devName = "root-account-mfa-device"
	}
	var dev *iam.NewVirtualMFADevice
	err := h.call(r, s, "CreateVirtualMFADevice", map[string]any{"virtualMFADeviceName": devName}, func(ctx context.Context) (err error) {
		dev, err = h.svc.CreateVirtualMFADevice(ctx, s.p, iam.CreateVirtualMFADeviceInput{Name: devName})
		return err
	})
	if err != nil {
		back := Prefix + "/users/" + url.PathEscape(name)
		if name == "" {
			back = Prefix + "/account"
		}
		h.redirect(w, r, s, back, "Error: "+errText(err))
		return
	}
	id := randomString(18)
	h.qrMu.Lock()
	now := h.now()
	for k, v := range h.qr {
		if now.After(v.expires) {
			delete(h.qr, k)
		}
	}
	h.qr[id] = qrImage{session: s.token, png: dev.QRCodePNG, expires: now.Add(qrTTL)}
	h.qrMu.Unlock()
	pg := h.newPage(s, "Assign MFA device", "users")
	pg.Data = &mfaData{EnableURL: mfaEnableURL(name), UserName: name, Serial: dev.Device.SerialNumber, QR: Prefix + "/qr/" + id, Seed: dev.Base32StringSeed}
	h.render(w, http.StatusOK, "mfa", pg)
}

func (h *Handler) mfaEnable(w http.ResponseWriter, r *http.Request, s *reqState, name string) {
	serial := r.PostFormValue("serial")
	err := h.call(r, s, "EnableMFADevice", map[string]any{"userName": name, "serialNumber": serial}, func(ctx context.Context) error {
		return h.svc.EnableMFADevice(ctx, s.p, name, serial, strings.TrimSpace(r.PostFormValue("code1")), strings.TrimSpace(r.PostFormValue("code2")))
	})
	if err != nil {
		pg := h.newPage(s, "Assign MFA device", "users")
		// The seed is not shown again: the QR image, still held for this
		// session, is enough to retry.
		pg.Data = &mfaData{EnableURL: mfaEnableURL(name), UserName: name, Serial: serial, QR: r.PostFormValue("qr"), Error: errText(err)}
		if !strings.HasPrefix(r.PostFormValue("qr"), Prefix+"/qr/") {
			pg.Data.(*mfaData).QR = ""
		}
		h.render(w, http.StatusBadRequest, "mfa", pg)
		return
	}
	if name == "" {
		h.redirect(w, r, s, Prefix+"/account", "MFA device assigned to the root user.")
		return
	}
	h.redirect(w, r, s, Prefix+"/users/"+url.PathEscape(name), "MFA device assigned.")
}

// mfaEnableURL is where the MFA form posts: a user's page, or the account
// page for the root user (name empty).
func mfaEnableURL(name string) string {
	if name == "" {
		return Prefix + "/account/root-mfa-enable"
	}
	return Prefix + "/users/" + url.PathEscape(name) + "/mfa-enable"
}

func (h *Handler) qrImage(w http.ResponseWriter, r *http.Request, s *reqState) {
	h.qrMu.Lock()
	img, ok := h.qr[r.PathValue("id")]
	h.qrMu.Unlock()
	if !ok || img.session != s.token || h.now().After(img.expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(img.png)
}

// --- groups

type groupsData struct {
	Groups []*iam.Group
}

func (h *Handler) groups(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "User groups", "groups"))
	groups, err := h.groupList(r, s)
	pg.setErr(err)
	pg.Data = &groupsData{Groups: groups}
	h.render(w, http.StatusOK, "groups", pg)
}

func (h *Handler) groupCreate(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	err := h.call(r, s, "CreateGroup", map[string]any{"groupName": name}, func(ctx context.Context) error {
		_, err := h.svc.CreateGroup(ctx, s.p, "/", name)
		return err
	})
	if err != nil {
		h.redirect(w, r, s, Prefix+"/groups", "Error: "+errText(err))
		return
	}
	h.redirect(w, r, s, Prefix+"/groups/"+url.PathEscape(name), "Group created.")
}

type groupData struct {
	Group    *iam.Group
	Members  []*iam.User
	Attached []iam.AttachedPolicy
	Errors   []string
}

func (h *Handler) group(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	pg := h.withFlash(r, s, h.newPage(s, "Group "+name, "groups"))
	d := &groupData{}
	pg.Data = d
	params := map[string]any{"groupName": name}
	err := h.call(r, s, "GetGroup", params, func(ctx context.Context) error {
		g, members, err := h.svc.GetGroup(ctx, s.p, name, iam.ListInput{MaxItems: 1000})
		d.Group, d.Members = g, members.Items
		return err
	})
	if err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "group", pg)
		return
	}
	if err := h.call(r, s, "ListAttachedGroupPolicies", params, func(ctx context.Context) error {
		p, err := h.svc.ListAttachedPolicies(ctx, s.p, iam.OwnerGroup, name, iam.ListInput{MaxItems: 1000})
		d.Attached = p.Items
		return err
	}); err != nil {
		d.Errors = append(d.Errors, errText(err))
	}
	h.render(w, http.StatusOK, "group", pg)
}

func (h *Handler) groupAction(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	back := Prefix + "/groups/" + url.PathEscape(name)
	params := map[string]any{"groupName": name}
	var err error
	flash := ""
	switch r.PathValue("action") {
	case "attach", "detach":
		flash, err = h.attachment(r, s, iam.OwnerGroup, name, params)
	case "add":
		u := strings.TrimSpace(r.PostFormValue("user"))
		params["userName"] = u
		err = h.call(r, s, "AddUserToGroup", params, func(ctx context.Context) error { return h.svc.AddUserToGroup(ctx, s.p, name, u) })
		flash = "User added."
	case "remove":
		u := r.PostFormValue("user")
		params["userName"] = u
		err = h.call(r, s, "RemoveUserFromGroup", params, func(ctx context.Context) error { return h.svc.RemoveUserFromGroup(ctx, s.p, name, u) })
		flash = "User removed."
	case "delete":
		err = h.call(r, s, "DeleteGroup", params, func(ctx context.Context) error { return h.svc.DeleteGroup(ctx, s.p, name) })
		if err == nil {
			h.redirect(w, r, s, Prefix+"/groups", "Group deleted.")
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		flash = "Error: " + errText(err)
	}
	h.redirect(w, r, s, back, flash)
}

// attachment applies the attach or detach form of a user's, group's or
// role's page, as the Attach/Detach{User,Group,Role}Policy operations.
func (h *Handler) attachment(r *http.Request, s *reqState, owner iam.OwnerKind, name string, params map[string]any) (string, error) {
	kind := map[iam.OwnerKind]string{iam.OwnerUser: "User", iam.OwnerGroup: "Group", iam.OwnerRole: "Role"}[owner]
	if r.PathValue("action") == "attach" {
		arn := strings.TrimSpace(r.PostFormValue("policy"))
		params["policyArn"] = arn
		return "Policy attached.", h.call(r, s, "Attach"+kind+"Policy", params, func(ctx context.Context) error {
			return h.svc.AttachPolicy(ctx, s.p, owner, name, arn)
		})
	}
	arn := r.PostFormValue("policy")
	params["policyArn"] = arn
	return "Policy detached.", h.call(r, s, "Detach"+kind+"Policy", params, func(ctx context.Context) error {
		return h.svc.DetachPolicy(ctx, s.p, owner, name, arn)
	})
}

// --- roles

func (h *Handler) roles(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "Roles", "roles"))
	var roles iam.Page[*iam.Role]
	pg.setErr(h.call(r, s, "ListRoles", map[string]any{}, func(ctx context.Context) (err error) {
		roles, err = h.svc.ListRoles(ctx, s.p, iam.ListInput{MaxItems: 1000})
		return err
	}))
	pg.Data = roles.Items
	h.render(w, http.StatusOK, "roles", pg)
}

const defaultTrust = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}`

type roleNewData struct {
	Name, Description, Trust string
}

func (h *Handler) roleNewForm(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Create role", "roles")
	pg.Data = &roleNewData{Trust: strings.Replace(defaultTrust, "ACCOUNT", s.p.AccountID, 1)}
	h.render(w, http.StatusOK, "role_new", pg)
}

func (h *Handler) roleCreate(w http.ResponseWriter, r *http.Request, s *reqState) {
	d := &roleNewData{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"), Trust: r.PostFormValue("trust")}
	err := h.call(r, s, "CreateRole", map[string]any{"roleName": d.Name, "assumeRolePolicyDocument": d.Trust}, func(ctx context.Context) error {
		_, err := h.svc.CreateRole(ctx, s.p, iam.CreateRoleInput{RoleName: d.Name, Description: d.Description, AssumeRolePolicyDocument: d.Trust})
		return err
	})
	if err != nil {
		pg := h.newPage(s, "Create role", "roles")
		pg.Data = d
		pg.Error = errText(err)
		h.render(w, http.StatusBadRequest, "role_new", pg)
		return
	}
	h.redirect(w, r, s, Prefix+"/roles/"+url.PathEscape(d.Name), "Role created.")
}

type roleData struct {
	Role     *iam.Role
	Trust    string
	Attached []iam.AttachedPolicy
	Errors   []string
}

func (h *Handler) role(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	pg := h.withFlash(r, s, h.newPage(s, "Role "+name, "roles"))
	d := &roleData{}
	pg.Data = d
	params := map[string]any{"roleName": name}
	if err := h.call(r, s, "GetRole", params, func(ctx context.Context) (err error) {
		d.Role, err = h.svc.GetRole(ctx, s.p, name)
		return err
	}); err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "role", pg)
		return
	}
	d.Trust = prettyJSON(d.Role.AssumeRolePolicy)
	if err := h.call(r, s, "ListAttachedRolePolicies", params, func(ctx context.Context) error {
		p, err := h.svc.ListAttachedPolicies(ctx, s.p, iam.OwnerRole, name, iam.ListInput{MaxItems: 1000})
		d.Attached = p.Items
		return err
	}); err != nil {
		d.Errors = append(d.Errors, errText(err))
	}
	h.render(w, http.StatusOK, "role", pg)
}

func prettyJSON(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return doc
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return doc
	}
	return string(b)
}

func (h *Handler) roleAction(w http.ResponseWriter, r *http.Request, s *reqState) {
	name := r.PathValue("name")
	back := Prefix + "/roles/" + url.PathEscape(name)
	params := map[string]any{"roleName": name}
	var err error
	flash := ""
	switch r.PathValue("action") {
	case "last-accessed":
		var ro *iam.Role
		if err = h.call(r, s, "GetRole", params, func(ctx context.Context) (err error) {
			ro, err = h.svc.GetRole(ctx, s.p, name)
			return err
		}); err == nil {
			h.lastAccessed(w, r, s, "role", name, ro.ARN())
			return
		}
	case "trust":
		doc := r.PostFormValue("trust")
		params["policyDocument"] = doc
		err = h.call(r, s, "UpdateAssumeRolePolicy", params, func(ctx context.Context) error { return h.svc.UpdateAssumeRolePolicy(ctx, s.p, name, doc) })
		flash = "Trust policy updated."
	case "attach", "detach":
		flash, err = h.attachment(r, s, iam.OwnerRole, name, params)
	case "delete":
		err = h.call(r, s, "DeleteRole", params, func(ctx context.Context) error { return h.svc.DeleteRole(ctx, s.p, name) })
		if err == nil {
			h.redirect(w, r, s, Prefix+"/roles", "Role deleted.")
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		flash = "Error: " + errText(err)
	}
	h.redirect(w, r, s, back, flash)
}

// --- policies

type policiesData struct {
	Query, Scope string
	Attached     bool
	Policies     []*iam.PolicyInfo
	Prev, Next   string
	Total        int
}

func (h *Handler) policies(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "Policies", "policies"))
	q := r.URL.Query()
	d := &policiesData{Query: strings.TrimSpace(q.Get("q")), Scope: q.Get("scope"), Attached: q.Get("attached") != ""}
	if d.Scope != "AWS" && d.Scope != "Local" {
		d.Scope = "All"
	}
	pg.Data = d
	var all []*iam.PolicyInfo
	err := h.call(r, s, "ListPolicies", map[string]any{"scope": d.Scope, "onlyAttached": d.Attached}, func(ctx context.Context) error {
		in := iam.ListPoliciesInput{ListInput: iam.ListInput{MaxItems: 1000}, Scope: d.Scope, OnlyAttached: d.Attached}
		for {
			p, err := h.svc.ListPolicies(ctx, s.p, in)
			if err != nil {
				return err
			}
			all = append(all, p.Items...)
			if !p.IsTruncated {
				return nil
			}
			in.Marker = p.Marker
		}
	})
	if err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "policies", pg)
		return
	}
	lq := strings.ToLower(d.Query)
	var match []*iam.PolicyInfo
	for _, p := range all {
		if lq == "" || strings.Contains(strings.ToLower(p.Name), lq) {
			match = append(match, p)
		}
	}
	off, _ := strconv.Atoi(q.Get("offset"))
	off = max(0, min(off, len(match)))
	end := min(off+pageSize, len(match))
	d.Policies, d.Total = match[off:end], len(match)
	v := url.Values{"q": {d.Query}, "scope": {d.Scope}}
	if d.Attached {
		v.Set("attached", "1")
	}
	if off > 0 {
		v.Set("offset", strconv.Itoa(max(0, off-pageSize)))
		d.Prev = "?" + v.Encode()
	}
	if end < len(match) {
		v.Set("offset", strconv.Itoa(end))
		d.Next = "?" + v.Encode()
	}
	h.render(w, http.StatusOK, "policies", pg)
}

const defaultPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "iam:ListUsers",
      "Resource": "*"
    }
  ]
}`

type policyNewData struct {
	Name, Description, Document string
}

func (h *Handler) policyNewForm(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Create policy", "policies")
	pg.Data = &policyNewData{Document: defaultPolicy}
	h.render(w, http.StatusOK, "policy_new", pg)
}

func (h *Handler) policyCreate(w http.ResponseWriter, r *http.Request, s *reqState) {
	d := &policyNewData{Name: strings.TrimSpace(r.PostFormValue("name")), Description: r.PostFormValue("description"), Document: r.PostFormValue("document")}
	var info *iam.PolicyInfo
	err := h.call(r, s, "CreatePolicy", map[string]any{"policyName": d.Name, "policyDocument": d.Document}, func(ctx context.Context) (err error) {
		info, err = h.svc.CreatePolicy(ctx, s.p, iam.CreatePolicyInput{PolicyName: d.Name, Description: d.Description, PolicyDocument: d.Document})
		return err
	})
	if err != nil {
		pg := h.newPage(s, "Create policy", "policies")
		pg.Data = d
		pg.Error = errText(err)
		h.render(w, http.StatusBadRequest, "policy_new", pg)
		return
	}
	h.redirect(w, r, s, Prefix+"/policy?arn="+url.QueryEscape(info.ARN), "Policy created.")
}

type policyData struct {
	Info     *iam.PolicyInfo
	Versions []*iam.PolicyVersionInfo
	Document string
	Entities []iam.PolicyEntity
	Errors   []string
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request, s *reqState) {
	arn := r.URL.Query().Get("arn")
	pg := h.withFlash(r, s, h.newPage(s, "Policy", "policies"))
	d := &policyData{}
	pg.Data = d
	params := map[string]any{"policyArn": arn}
	if err := h.call(r, s, "GetPolicy", params, func(ctx context.Context) (err error) {
		d.Info, err = h.svc.GetPolicy(ctx, s.p, arn)
		return err
	}); err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "policy", pg)
		return
	}
	pg.Title = "Policy " + d.Info.Name
	note := func(err error) {
		if err != nil {
			d.Errors = append(d.Errors, errText(err))
		}
	}
	note(h.call(r, s, "ListPolicyVersions", params, func(ctx context.Context) error {
		p, err := h.svc.ListPolicyVersions(ctx, s.p, arn, iam.ListInput{})
		d.Versions = p.Items
		return err
	}))
	note(h.call(r, s, "GetPolicyVersion", map[string]any{"policyArn": arn, "versionId": d.Info.DefaultVersionID}, func(ctx context.Context) error {
		v, err := h.svc.GetPolicyVersion(ctx, s.p, arn, d.Info.DefaultVersionID)
		if err == nil {
			d.Document = prettyJSON(v.Document)
		}
		return err
	}))
	note(h.call(r, s, "ListEntitiesForPolicy", params, func(ctx context.Context) error {
		p, err := h.svc.ListEntitiesForPolicy(ctx, s.p, arn, iam.ListEntitiesInput{ListInput: iam.ListInput{MaxItems: 1000}})
		d.Entities = p.Items
		return err
	}))
	h.render(w, http.StatusOK, "policy", pg)
}

func (h *Handler) policyAction(w http.ResponseWriter, r *http.Request, s *reqState) {
	arn := r.PostFormValue("arn")
	back := Prefix + "/policy?arn=" + url.QueryEscape(arn)
	var err error
	flash := ""
	switch r.PostFormValue("action") {
	case "version":
		doc, def := r.PostFormValue("document"), r.PostFormValue("default") != ""
		err = h.call(r, s, "CreatePolicyVersion", map[string]any{"policyArn": arn, "policyDocument": doc, "setAsDefault": def}, func(ctx context.Context) error {
			_, err := h.svc.CreatePolicyVersion(ctx, s.p, arn, doc, def)
			return err
		})
		flash = "Version created."
	case "default":
		v := r.PostFormValue("version")
		err = h.call(r, s, "SetDefaultPolicyVersion", map[string]any{"policyArn": arn, "versionId": v}, func(ctx context.Context) error {
			return h.svc.SetDefaultPolicyVersion(ctx, s.p, arn, v)
		})
		flash = "Default version set."
	case "delete-version":
		v := r.PostFormValue("version")
		err = h.call(r, s, "DeletePolicyVersion", map[string]any{"policyArn": arn, "versionId": v}, func(ctx context.Context) error {
			return h.svc.DeletePolicyVersion(ctx, s.p, arn, v)
		})
		flash = "Version deleted."
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		flash = "Error: " + errText(err)
	}
	h.redirect(w, r, s, back, flash)
}

// validateResponse is the JSON editor's live check.
type validateResponse struct {
	Valid   bool   `json:"valid"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// validate checks a policy document with the policy engine, as CreatePolicy
// (kind "identity") or CreateRole (kind "trust") will. It reads nothing
// and changes nothing, so it is not audited.
func (h *Handler) validate(w http.ResponseWriter, r *http.Request, s *reqState) {
	var in struct {
		Kind     string `json:"kind"`
		Document string `json:"document"`
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&in); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(validateResponse{Code: "BadRequest", Message: "The request is not valid JSON."})
		return
	}
	t := policy.Identity
	if in.Kind == "trust" {
		t = policy.Trust
	}
	out := validateResponse{Valid: true}
	if _, err := policy.ParseStrict(in.Document, t); err != nil {
		out.Valid = false
		var pe *policy.Error
		if errors.As(err, &pe) {
			out.Code, out.Message = pe.Code, pe.Message
		} else {
			out.Message = err.Error()
		}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// --- account settings

type accountData struct {
	Root       bool
	RootMFA    []*iam.MFADeviceResult
	Policy     *iam.PasswordPolicy
	NoPolicy   bool
	PolicyErr  string
	Alias      string
	AliasErr   string
	CanReadPol bool
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.withFlash(r, s, h.newPage(s, "Account settings", "account"))
	d := &accountData{Root: s.p.IsRoot()}
	if d.Root {
		_ = h.call(r, s, "ListMFADevices", map[string]any{}, func(ctx context.Context) error {
			p, err := h.svc.ListMFADevices(ctx, s.p, "", iam.ListInput{})
			d.RootMFA = p.Items
			return err
		})
	}
	pg.Data = d
	err := h.call(r, s, "GetAccountPasswordPolicy", map[string]any{}, func(ctx context.Context) (err error) {
		d.Policy, err = h.svc.GetAccountPasswordPolicy(ctx, s.p)
		return err
	})
	switch {
	case err == nil:
	case iam.ErrorCode(err) == iam.CodeNoSuchEntity:
		d.NoPolicy = true
		d.Policy = &iam.PasswordPolicy{MinimumPasswordLength: 8}
	default:
		d.PolicyErr = errText(err)
	}
	var aliases iam.Page[string]
	if err := h.call(r, s, "ListAccountAliases", map[string]any{}, func(ctx context.Context) (err error) {
		aliases, err = h.svc.ListAccountAliases(ctx, s.p, iam.ListInput{})
		return err
	}); err != nil {
		d.AliasErr = errText(err)
	} else if len(aliases.Items) > 0 {
		d.Alias = aliases.Items[0]
	}
	h.render(w, http.StatusOK, "account", pg)
}

func optInt(s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &n
}

func (h *Handler) accountAction(w http.ResponseWriter, r *http.Request, s *reqState) {
	var err error
	flash := ""
	switch r.PathValue("action") {
	case "password-policy":
		f := func(k string) bool { return r.PostFormValue(k) != "" }
		in := iam.PasswordPolicyInput{MinimumPasswordLength: optInt(r.PostFormValue("min")), RequireSymbols: f("symbols"),
			RequireNumbers: f("numbers"), RequireUppercaseCharacters: f("upper"), RequireLowercaseCharacters: f("lower"),
			AllowUsersToChangePassword: f("allowchange"), MaxPasswordAge: optInt(r.PostFormValue("maxage")),
			PasswordReusePrevention: optInt(r.PostFormValue("reuse")), HardExpiry: f("hardexpiry")}
		params := map[string]any{"minimumPasswordLength": r.PostFormValue("min"), "requireSymbols": in.RequireSymbols,
			"requireNumbers": in.RequireNumbers, "requireUppercaseCharacters": in.RequireUppercaseCharacters,
			"requireLowercaseCharacters": in.RequireLowercaseCharacters, "allowUsersToChangePassword": in.AllowUsersToChangePassword,
			"hardExpiry": in.HardExpiry}
		err = h.call(r, s, "UpdateAccountPasswordPolicy", params, func(ctx context.Context) error { return h.svc.UpdateAccountPasswordPolicy(ctx, s.p, in) })
		flash = "Password policy saved."
	case "password-policy-delete":
		err = h.call(r, s, "DeleteAccountPasswordPolicy", map[string]any{}, func(ctx context.Context) error { return h.svc.DeleteAccountPasswordPolicy(ctx, s.p) })
		flash = "Password policy deleted."
	case "alias":
		a := strings.TrimSpace(r.PostFormValue("alias"))
		err = h.call(r, s, "CreateAccountAlias", map[string]any{"accountAlias": a}, func(ctx context.Context) error { return h.svc.CreateAccountAlias(ctx, s.p, a) })
		flash = "Alias set."
	case "root-mfa":
		h.mfaCreate(w, r, s, "")
		return
	case "root-mfa-enable":
		h.mfaEnable(w, r, s, "")
		return
	case "alias-delete":
		a := r.PostFormValue("alias")
		err = h.call(r, s, "DeleteAccountAlias", map[string]any{"accountAlias": a}, func(ctx context.Context) error { return h.svc.DeleteAccountAlias(ctx, s.p, a) })
		flash = "Alias deleted."
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		flash = "Error: " + errText(err)
	}
	h.redirect(w, r, s, Prefix+"/account", flash)
}

// --- simulator

type simData struct {
	Principal string
	Actions   string
	Resources string
	Results   []iam.EvaluationResult
	Ran       bool
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' }) {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (h *Handler) simulator(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Policy simulator", "simulator")
	d := &simData{Principal: r.FormValue("principal"), Actions: r.FormValue("actions"), Resources: r.FormValue("resources")}
	if d.Principal == "" {
		d.Principal = s.p.ARN
	}
	pg.Data = d
	if r.Method == http.MethodPost {
		d.Ran = true
		in := iam.SimulateInput{PolicySourceARN: strings.TrimSpace(d.Principal), ActionNames: splitList(d.Actions), ResourceARNs: splitList(d.Resources)}
		var out *iam.SimulateOutput
		err := h.call(r, s, "SimulatePrincipalPolicy", map[string]any{"policySourceArn": in.PolicySourceARN, "actionNames": in.ActionNames}, func(ctx context.Context) (err error) {
			out, err = h.svc.SimulatePrincipalPolicy(ctx, s.p, in)
			return err
		})
		if err != nil {
			pg.setErr(err)
		} else {
			d.Results = out.Results
		}
	}
	h.render(w, http.StatusOK, "simulator", pg)
}

// --- event history

type eventRow struct {
	Time, Name, Source, User, Error, IP string
	ReadOnly                            bool
	Body                                string
}

type eventsData struct {
	Name, User, Source, ReadOnly string
	Events                       []eventRow
	Next                         string
	Unavailable                  bool
}

const eventsPerPage = 50

func (h *Handler) eventHistory(w http.ResponseWriter, r *http.Request, s *reqState) {
	pg := h.newPage(s, "Event history", "events")
	q := r.URL.Query()
	d := &eventsData{Name: strings.TrimSpace(q.Get("name")), User: strings.TrimSpace(q.Get("user")),
		Source: strings.TrimSpace(q.Get("source")), ReadOnly: q.Get("readonly")}
	pg.Data = d
	if h.events == nil {
		d.Unavailable = true
		h.render(w, http.StatusOK, "events", pg)
		return
	}
	// The same check as CloudTrail's LookupEvents in httpapi, audited as
	// that call.
	if err := h.callAt(r, s, "cloudtrail.amazonaws.com", "LookupEvents", map[string]any{}, func(ctx context.Context) error {
		if s.p.IsRoot() {
			return nil
		}
		return h.svc.Authorize(s.p, "cloudtrail:LookupEvents", "*")
	}); err != nil {
		pg.setErr(err)
		h.render(w, http.StatusOK, "events", pg)
		return
	}
	aq := audit.Query{AccountID: s.p.AccountID, EventName: d.Name, Username: d.User, EventSource: d.Source,
		Descending: true, Limit: eventsPerPage + 1}
	if d.ReadOnly == "true" || d.ReadOnly == "false" {
		b := d.ReadOnly == "true"
		aq.ReadOnly = &b
	}
	if before, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && before > 0 {
		aq.BeforeSeq = before
	}
	var last int64
	err := h.events.ScanAudit(r.Context(), aq, func(rec *audit.Record) error {
		if len(d.Events) == eventsPerPage {
			v := url.Values{"name": {d.Name}, "user": {d.User}, "source": {d.Source}, "readonly": {d.ReadOnly},
				"before": {strconv.FormatInt(last, 10)}}
			d.Next = "?" + v.Encode()
			return errStop
		}
		var e audit.Event
		_ = json.Unmarshal(rec.Body, &e)
		d.Events = append(d.Events, eventRow{Time: rec.Time.UTC().Format(time.RFC3339), Name: rec.EventName,
			Source: rec.EventSource, User: rec.Username, Error: e.ErrorCode + errSep(e) + e.ErrorMessage, IP: e.SourceIPAddress,
			ReadOnly: rec.ReadOnly, Body: prettyJSON(string(rec.Body))})
		last = rec.Seq
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		h.log.Error("console event history", "err", err)
		pg.Error = "The event history could not be read."
	}
	h.render(w, http.StatusOK, "events", pg)
}

func errSep(e audit.Event) string {
	if e.ErrorCode != "" && e.ErrorMessage != "" {
		return ": "
	}
	return ""
}

var errStop = errors.New("stop")
