package authzapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iamd/iamd/authzapi"
)

// TestDecisionsFirst: the front handler takes exactly the requests a mux
// would route to the decision endpoints and hands every other one on.
func TestDecisionsFirst(t *testing.T) {
	f := newFixture(t)
	h := authzapi.NewHandler(authzapi.Config{Service: f.svc})
	front := h.DecisionsFirst(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Next", "1")
		w.WriteHeader(http.StatusTeapot)
	}))
	body := `{"principalArn":"` + aliceARN + `","action":"s3:GetObject","resource":"arn:aws:s3:::data/a"}`
	tests := []struct {
		method, target string
		decision       bool
	}{
		{http.MethodPost, "/iamd/authz/v1/authorize", true},
		{http.MethodPost, "/iamd/authz/v1/authorize-batch", true},
		{http.MethodGet, "/iamd/authz/v1/authorize", false},
		{http.MethodPost, "/iamd/authz/v1/authorize/", false},
		{http.MethodPost, "/iamd/authz/v1/%61uthorize", false}, // RawPath set: the mux cleans and decides
		{http.MethodPost, "/iamd/authz/v1/minio", false},
		{http.MethodPost, "/", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+f.token(acct+"/service"))
			w := httptest.NewRecorder()
			front.ServeHTTP(w, r)
			byNext := w.Header().Get("X-Next") != ""
			if byNext == tt.decision {
				t.Fatalf("served by next: %v, want %v (status %d)", byNext, !tt.decision, w.Code)
			}
			if tt.decision && !strings.Contains(w.Body.String(), `"requestId"`) ||
				tt.decision && tt.target == "/iamd/authz/v1/authorize" && (w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"Allow"`)) {
				t.Fatalf("decision: %d %s", w.Code, w.Body)
			}
		})
	}
}
