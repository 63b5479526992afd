package server

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/iamd/iamd/iam"
)

// oidcHandler serves the OIDC discovery documents of the accounts' outbound
// federation issuers (iam/outbound.go) at
//
//	<public URL>/oidc/{issuer}/.well-known/openid-configuration
//	<public URL>/oidc/{issuer}/.well-known/jwks.json
//
// unauthenticated, as external services fetch them to verify the tokens of
// STS GetWebIdentityToken. The documents change only when an account
// enables or disables the feature, so clients may cache them for a while.
func oidcHandler(svc *iam.Service, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		docs, err := svc.OutboundIssuerDocuments(r.Context(), r.PathValue("issuer"))
		switch {
		case errors.Is(err, iam.ErrNotFound):
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		case err != nil:
			log.Error("outbound federation discovery", "err", err)
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		var body []byte
		switch r.PathValue("doc") {
		case "openid-configuration":
			body = docs.Configuration
		case "jwks.json":
			body = docs.JWKS
		default:
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	})
}

// oidcPatterns are the mux patterns of oidcHandler: at the root, and
// also under the public URL's path when it has one, for a reverse proxy
// that publishes iamd below a prefix without stripping it.
func oidcPatterns(publicURL string) []string {
	const suffix = "/oidc/{issuer}/.well-known/{doc}"
	patterns := []string{"GET " + suffix}
	if u, err := url.Parse(publicURL); err == nil {
		if prefix := strings.TrimRight(u.Path, "/"); prefix != "" {
			patterns = append(patterns, "GET "+prefix+suffix)
		}
	}
	return patterns
}

// defaultPublicURL is the server's own base URL, for when no public URL is
// configured: an unspecified listen address (0.0.0.0, ::) is replaced by
// the loopback address, which at least works on this machine.
func defaultPublicURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
