package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

func TestDefaultPublicURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:9393", "http://127.0.0.1:9393"},
		{"0.0.0.0:80", "http://127.0.0.1:80"},
		{"[::]:9393", "http://127.0.0.1:9393"},
		{"[::1]:9393", "http://[::1]:9393"},
		{"10.1.2.3:443", "http://10.1.2.3:443"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := defaultPublicURL(addr); got != tc.want {
			t.Errorf("defaultPublicURL(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestCheckPublicURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://iam.example.com", true},
		{"http://127.0.0.1:9393/", true},
		{"https://example.com/iam", true},
		{"iam.example.com", false},
		{"ftp://iam.example.com", false},
		{"https://", false},
		{"https://iam.example.com/?x=1", false},
		{"https://iam.example.com/#f", false},
		{"https://user:pw@iam.example.com", false},
		{"https://iam.example.com/{issuer}", false},
		{"https://iam.example.com/a b", false},
	} {
		if err := iam.CheckPublicURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckPublicURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

// TestOIDCEndpointsUnderPrefix starts a server published below a path and
// fetches an issuer's documents with and without the prefix, as a reverse
// proxy may forward them either way.
func TestOIDCEndpointsUnderPrefix(t *testing.T) {
	ctx := t.Context()
	s, err := Start(ctx, Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AccountID: "111122223333",
		RootAccessKeyID: "AKIAOIDCTESTROOT0001", RootSecret: "0123456789abcdefghijklmnop",
		PublicURL: "https://iam.example.test/prefix/", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	root := s.Service.Authenticate("AKIAOIDCTESTROOT0001").Principal
	iss, err := s.Service.EnableOutboundWebIdentityFederation(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	path, ok := strings.CutPrefix(iss, "https://iam.example.test/prefix")
	if !ok || !strings.HasPrefix(path, "/oidc/") {
		t.Fatalf("issuer = %q", iss)
	}
	for _, p := range []string{path, "/prefix" + path} {
		resp, err := http.Get(s.Endpoint() + p + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var conf struct {
			Issuer string `json:"issuer"`
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &conf) != nil || conf.Issuer != iss {
			t.Errorf("GET %s: %s %s", p, resp.Status, body)
		}
	}
	// The API still answers at the root, and other paths are not issuers.
	resp, err := http.Get(s.Endpoint() + "/prefix/oidc/nope/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown issuer under the prefix: %s", resp.Status)
	}
}

// FuzzOIDCHandler feeds arbitrary issuer and document names to the
// discovery endpoints: the answer is a document (200) or 404, never a
// failure or a panic.
func FuzzOIDCHandler(f *testing.F) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "iamd.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	kr, _, err := keyring.Generate()
	if err != nil {
		f.Fatal(err)
	}
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
	if err != nil {
		f.Fatal(err)
	}
	boot, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: "111122223333"})
	if err != nil {
		f.Fatal(err)
	}
	iss, err := svc.EnableOutboundWebIdentityFederation(ctx, svc.Authenticate(boot.RootAccessKeyID).Principal)
	if err != nil {
		f.Fatal(err)
	}
	id := iss[strings.LastIndexByte(iss, '/')+1:]
	f.Add(id, "jwks.json")
	f.Add(id, "openid-configuration")
	f.Add(strings.ToUpper(id), "jwks.json")
	f.Add("..", "%00")
	f.Fuzz(func(t *testing.T, issuer, doc string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.SetPathValue("issuer", issuer)
		req.SetPathValue("doc", doc)
		rec := httptest.NewRecorder()
		oidcHandler(svc, slog.New(slog.DiscardHandler)).ServeHTTP(rec, req)
		want := http.StatusNotFound
		if issuer == id && (doc == "jwks.json" || doc == "openid-configuration") {
			want = http.StatusOK
		}
		if rec.Code != want {
			t.Fatalf("issuer %q doc %q: %d, want %d", issuer, doc, rec.Code, want)
		}
	})
}
