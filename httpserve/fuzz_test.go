package httpserve

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzRequest: for any bytes both fasthttp and net/http read as a
// request, Request gives the handler what net/http's server would: method,
// request URI, path, query, host and body; and it never panics.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /?a=b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"GET http://example.com/x%2Fy?q HTTP/1.1\r\nHost: o\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
		"GET /old HTTP/1.0\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req fasthttp.Request
		if err := req.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
			return
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, addr, nil)
		got, err := Request(&ctx)
		if err != nil {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		wantBody, err := io.ReadAll(want.Body)
		if err != nil {
			return
		}
		gotBody, _ := io.ReadAll(got.Body)
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.URL.Path != want.URL.Path ||
			got.URL.RawQuery != want.URL.RawQuery || !bytes.Equal(gotBody, wantBody) {
			t.Errorf("request %q:\nhttpserve %s %s path %q query %q body %q\nnet/http  %s %s path %q query %q body %q", raw,
				got.Method, got.RequestURI, got.URL.Path, got.URL.RawQuery, gotBody,
				want.Method, want.RequestURI, want.URL.Path, want.URL.RawQuery, wantBody)
		}
		if got.RemoteAddr != addr.String() {
			t.Errorf("RemoteAddr %q", got.RemoteAddr)
		}
	})
}
