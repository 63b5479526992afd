package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/keyring"
	"github.com/iamd/iamd/sqlite"
)

const (
	benchKeyID  = "AKIAIOSFODNN7EXAMPLE"
	benchSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func newBenchHandler(tb testing.TB) *Handler {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "iamd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	kr, _, _ := keyring.Generate()
	svc, err := iam.NewService(ctx, iam.Config{Store: db, Keyring: kr})
	if err != nil {
		tb.Fatal(err)
	}
	b, err := svc.Bootstrap(ctx, iam.BootstrapConfig{AccountID: "123456789012", RootAccessKeyID: benchKeyID, RootSecret: benchSecret})
	if err != nil {
		tb.Fatal(err)
	}
	root := svc.Authenticate(b.RootAccessKeyID).Principal
	if _, err := svc.CreateUser(ctx, root, iam.CreateUserInput{UserName: "alice"}); err != nil {
		tb.Fatal(err)
	}
	return NewHandler(Config{Service: svc})
}

// signedRequest is a request as aws-sdk-go-v2 sends it, replayed per
// iteration: SigV4 has no nonce, so the same signature is verified in full
// every time.
type signedRequest struct {
	body   string
	header http.Header
}

func sign(tb testing.TB, service, body string) signedRequest {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/iam#1.65.0")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: benchKeyID, SecretAccessKey: benchSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	return signedRequest{body: body, header: req.Header}
}

func (s signedRequest) request() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9393/", strings.NewReader(s.body))
	r.Header = s.header
	r.Host = "127.0.0.1:9393"
	r.RemoteAddr = "127.0.0.1:54321" // as net/http sets it
	return r
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }

// BenchmarkHandler measures a whole API request in process: body read,
// form parse, SigV4 parse and verification, credential lookup, decode,
// handler, encode. Network and HTTP parsing are not included; the load
// runs in docs/benchmarks.md cover those.
func BenchmarkHandler(b *testing.B) {
	h := newBenchHandler(b)
	for _, tc := range []struct{ name, service, body string }{
		{"GetCallerIdentity", "sts", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"GetUser", "iam", "Action=GetUser&UserName=alice&Version=2010-05-08"},
		{"ListUsers", "iam", "Action=ListUsers&Version=2010-05-08"},
	} {
		req := sign(b, tc.service, tc.body)
		b.Run(tc.name, func(b *testing.B) {
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req.request())
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
		b.Run(tc.name+"Parallel", func(b *testing.B) {
			b.ReportAllocs()
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
		})
	}
}
