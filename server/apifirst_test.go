package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAPIFirst checks the shortcut to the API handler: requests for "/"
// reach it directly, whatever their method, and every other path goes
// through the mux as before.
func TestAPIFirst(t *testing.T) {
	tag := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Via", name) })
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", tag("healthz"))
	mux.Handle("/iamd/authz/", tag("authz"))
	mux.Handle("/", tag("mux-api"))
	h := apiFirst(tag("api"), mux)
	for _, tc := range []struct{ method, target, want string }{
		{http.MethodPost, "/", "api"},
		{http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", "api"},
		{http.MethodPost, "/?Action=GetUser", "api"},
		{http.MethodGet, "/healthz", "healthz"},
		{http.MethodPost, "/iamd/authz/v1/is-authorized", "authz"},
		{http.MethodPost, "/other", "mux-api"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.target, nil))
		if got := w.Header().Get("X-Via"); got != tc.want {
			t.Errorf("%s %s went to %q, want %q", tc.method, tc.target, got, tc.want)
		}
	}
}
