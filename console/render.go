package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/iamd/iamd/iam"
)

// pageNames are the templates under templates/, each rendered inside
// layout.html (signin and password use it without the navigation).
var pageNames = []string{"signin", "password", "home", "users", "user_new", "user", "secret", "mfa", "groups", "group",
	"roles", "role_new", "role", "policies", "policy_new", "policy", "account", "simulator", "events", "error", "lastaccessed"}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join": strings.Join,
}

func (h *Handler) parseTemplates() error {
	h.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("console template %s: %w", name, err)
		}
		h.pages[name] = t
	}
	return nil
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     string // active navigation entry
	User    string // signed-in display name; empty on the sign-in page
	Account string
	MFA     bool
	CSRF    string
	Flash   string
	Error   string
	Denied  string // access-denied message shown instead of the data
	Data    any
}

func (h *Handler) newPage(s *reqState, title, nav string) *page {
	pg := &page{Title: title, Nav: nav}
	if s != nil {
		pg.CSRF = csrfFor(s.token, "session")
		pg.Account = s.p.AccountID
		pg.MFA = s.id.Session.MFA
		if s.p.IsRoot() {
			pg.User = "root"
		} else {
			pg.User = s.p.UserName
		}
	}
	return pg
}

// setErr puts err on the page: an access denial replaces the data, any
// other error is shown above it.
func (pg *page) setErr(err error) {
	if err == nil {
		return
	}
	if iam.ErrorCode(err) == iam.CodeAccessDenied {
		pg.Denied = errText(err)
		return
	}
	pg.Error = errText(err)
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, pg *page) {
	var b bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&b, "layout", pg); err != nil {
		h.log.Error("console render", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if pg.Denied != "" && status == http.StatusOK {
		status = http.StatusForbidden
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
