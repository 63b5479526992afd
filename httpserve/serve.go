// Package httpserve serves an http.Handler over HTTP/1.1 with fasthttp's
// server instead of net/http's.
//
// Why: on the decision path of the authorization API most of a request's
// CPU is the HTTP server and the kernel, not iamd. With requests arriving
// one at a time (a fixed rate, as services call iamd), net/http costs about
// 39 µs of CPU per request on the 2-core reference machine and fasthttp's
// server with this package's adapter about 27-31 µs, same handler, same
// answer (docs/bench/httpserve.md). net/http starts a goroutine per
// request to watch the connection while the handler runs and wakes more
// threads; fasthttp serves a connection from one goroutine.
//
// The handlers stay net/http handlers: each request is converted to an
// *http.Request (header values copied, so a handler may keep them), run on
// the connection's goroutine, and its answer buffered and written with an
// explicit Content-Length. What net/http would add is added the same way:
// Content-Type sniffed when the handler set none, a Date header, canonical
// header names. HTTP/2, TLS, Flush and Hijack are not offered: iamd serves
// plain HTTP/1.1, which every AWS SDK and the CLI speak, and none of its
// handlers stream.
package httpserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Config configures a Server.
type Config struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request's line and headers, from
	// its first byte (0: ReadTimeout); ReadTimeout reading its body, from
	// the end of the headers; WriteTimeout writing its answer; IdleTimeout
	// a keep-alive connection's wait for the next request (0:
	// ReadHeaderTimeout).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (0: 64 KiB).
	MaxHeaderBytes int
	// MaxBodyBytes bounds a request body; a longer one is answered 413
	// without reaching the handler (0: 8 MiB). Handlers keep their own,
	// smaller limits and answer them in their protocol's terms.
	MaxBodyBytes int
	Logger       *slog.Logger
}

// Server serves one handler on listeners.
type Server struct {
	fs *fasthttp.Server

	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = 64 << 10
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = cfg.ReadTimeout
	}
	// fasthttp's ReadTimeout runs from a request's first byte to its
	// end; moving the deadline once the headers are in gives net/http's
	// two timeouts: a client dripping its headers is dropped after
	// ReadHeaderTimeout, one sending a large body gets ReadTimeout for it.
	var headerReceived func(*fasthttp.RequestHeader) fasthttp.RequestConfig
	if body := cfg.ReadTimeout; body > 0 && body != cfg.ReadHeaderTimeout {
		headerReceived = func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: body}
		}
	}
	return &Server{fs: &fasthttp.Server{
		Handler:            Adapt(cfg.Handler),
		HeaderReceived:     headerReceived,
		ReadBufferSize:     cfg.MaxHeaderBytes,
		ReadTimeout:        cfg.ReadHeaderTimeout,
		WriteTimeout:       cfg.WriteTimeout,
		IdleTimeout:        cfg.IdleTimeout,
		MaxRequestBodySize: cfg.MaxBodyBytes,
		// The body reaches the handler as sent; a multipart form is the
		// handler's to parse (none of iamd's takes one).
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		// No Content-Type on answers without one (net/http sends none
		// on an empty body; the adapter sniffs the others).
		NoDefaultContentType: true,
		// Request contents never reach the log: they carry credentials.
		SecureErrorLogMessage: true,
		CloseOnShutdown:       true,
		ErrorHandler:          requestError,
		Logger:                logger{log},
	}}
}

// requestError answers a request that could not be read with the status
// net/http would have sent.
func requestError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		ctx.Error("413 Request Entity Too Large", fasthttp.StatusRequestEntityTooLarge)
	case errors.As(err, &small):
		ctx.Error("431 Request Header Fields Too Large", fasthttp.StatusRequestHeaderFieldsTooLarge)
	default:
		ctx.Error("400 Bad Request", fasthttp.StatusBadRequest)
	}
	ctx.SetConnectionClose()
}

// Serve accepts connections on ln until Shutdown, and then returns nil
// (where net/http returns http.ErrServerClosed).
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	err := s.fs.Serve(ln)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, closes idle ones and waits, up to
// ctx, for requests in flight to be answered.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	// fasthttp closes only the listeners its Serve has registered: one
	// whose Serve has not got that far yet is closed here, so that Serve
	// returns instead of accepting forever.
	for _, ln := range s.listeners {
		_ = ln.Close()
	}
	s.mu.Unlock()
	err := s.fs.ShutdownWithContext(ctx)
	if errors.Is(err, net.ErrClosed) { // the listeners closed above
		err = nil
	}
	return err
}

type logger struct{ log *slog.Logger }

func (l logger) Printf(format string, args ...any) {
	l.log.Warn("http server", "msg", fmt.Sprintf(format, args...))
}

// Adapt returns a fasthttp handler that serves each request with h, on
// the calling goroutine.
func Adapt(h http.Handler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		r, err := Request(ctx)
		if err != nil {
			ctx.Error("400 Bad Request", fasthttp.StatusBadRequest)
			return
		}
		w := writers.Get().(*responseWriter)
		h.ServeHTTP(w, r)
		w.finish(ctx, r.Method == http.MethodHead)
		w.reset()
		writers.Put(w)
	}
}

// Request converts the request ctx holds to the *http.Request net/http's
// server would have given a handler: the same method, URL, protocol,
// canonical header names with values in the order received, Host and
// Content-Length in their fields, and the body (decoded from chunks).
// Strings are copies; the body is ctx's until the handler returns.
func Request(ctx *fasthttp.RequestCtx) (*http.Request, error) {
	uri := string(ctx.Request.Header.RequestURI())
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	body := ctx.Request.Body()
	r := &http.Request{
		Method:        method(ctx.Method()),
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        make(http.Header, 8),
		RequestURI:    uri,
		RemoteAddr:    ctx.RemoteAddr().String(),
		ContentLength: int64(len(body)),
		Body:          http.NoBody,
		Close:         ctx.Request.Header.ConnectionClose(),
	}
	if !ctx.Request.Header.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	if len(body) > 0 {
		b := &bodyReader{}
		b.Reset(body)
		r.Body = b
	}
	// The host comes from the request line when it is absolute, as in
	// net/http, else from the Host header.
	if u.Host != "" {
		r.Host = u.Host
	}
	// Header names and values are copied into one string and handed out as
	// its substrings (CanonicalHeaderKey returns a name fasthttp already
	// normalized as it is), and each name's value slice is cut from one
	// array: a few allocations for the lot instead of three per header.
	type span struct{ k0, v0, v1 int }
	var spansArr [32]span
	spans := spansArr[:0]
	var bufArr [2048]byte
	buf := bufArr[:0]
	for k, v := range ctx.Request.Header.AllInOrder() {
		k0 := len(buf)
		buf = append(buf, k...)
		v0 := len(buf)
		buf = append(buf, v...)
		spans = append(spans, span{k0, v0, len(buf)})
	}
	all := string(buf)
	vals := make([]string, len(spans))
	chunked := false
	i := 0
	for _, sp := range spans {
		key, val := http.CanonicalHeaderKey(all[sp.k0:sp.v0]), all[sp.v0:sp.v1]
		switch key {
		case "Host":
			if r.Host == "" {
				r.Host = val
			}
			continue
		case "Transfer-Encoding":
			// The body is already decoded, and net/http keeps this header
			// out of the map too.
			chunked = true
			continue
		}
		if prev, ok := r.Header[key]; ok {
			r.Header[key] = append(prev, val)
		} else {
			vals[i] = val
			r.Header[key] = vals[i : i+1 : i+1]
			i++
		}
	}
	if chunked {
		// net/http reports -1 for a chunked body, whose length the
		// handler learns by reading it.
		r.ContentLength = -1
		r.TransferEncoding = []string{"chunked"}
	}
	return r, nil
}

// method returns m as a string, without allocating for the usual ones.
func method(m []byte) string {
	switch string(m) {
	case http.MethodPost:
		return http.MethodPost
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	}
	return string(m)
}

// bodyReader is a request body: one allocation where io.NopCloser over a
// bytes.Reader takes two.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// responseWriter buffers an answer until the handler returns.
type responseWriter struct {
	header http.Header
	status int
	body   []byte
}

var writers = sync.Pool{New: func() any { return &responseWriter{header: make(http.Header, 4)} }}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	// As in net/http, informational answers are not buffered and the
	// first final status wins; iamd's handlers send no 1xx.
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK) // a no-op once a status is set
	w.body = append(w.body, p...)
	return len(p), nil
}

// WriteString saves io.WriteString a copy.
func (w *responseWriter) WriteString(s string) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, s...)
	return len(s), nil
}

// finish writes the buffered answer into ctx.
func (w *responseWriter) finish(ctx *fasthttp.RequestCtx, head bool) {
	w.WriteHeader(http.StatusOK)
	resp := &ctx.Response
	resp.SetStatusCode(w.status)
	for k, vs := range w.header {
		switch k {
		case "Content-Length", "Transfer-Encoding":
			// fasthttp frames the body itself (a HEAD answer below).
			continue
		case "Connection":
			for _, v := range vs {
				if strings.EqualFold(v, "close") {
					ctx.SetConnectionClose()
				}
			}
			continue
		}
		for _, v := range vs {
			resp.Header.Add(k, v)
		}
	}
	if !bodyAllowed(w.status) {
		return
	}
	if _, set := w.header["Content-Type"]; !set && len(w.body) > 0 {
		resp.Header.SetContentType(http.DetectContentType(w.body))
	}
	resp.SetBody(w.body)
	// A HEAD answer keeps the length the handler announced for the body
	// it did not send.
	if head {
		if n, err := strconv.Atoi(w.header.Get("Content-Length")); err == nil && n >= 0 {
			resp.Header.SetContentLength(n)
		}
	}
}

// bodyAllowed reports whether an answer with this status may carry a body
// (RFC 9110: not 1xx, 204 or 304).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

func (w *responseWriter) reset() {
	clear(w.header)
	w.status = 0
	// A large answer's buffer goes to the collector rather than the pool.
	if cap(w.body) > 64<<10 {
		w.body = nil
	} else {
		w.body = w.body[:0]
	}
}
