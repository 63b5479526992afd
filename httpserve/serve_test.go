package httpserve

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what a handler saw of its request, for comparing servers.
type seen struct {
	Method, RequestURI, Path, RawPath, RawQuery, Proto string
	ProtoMinor                                         int
	Host                                               string
	Header                                             http.Header
	ContentLength                                      int64
	TransferEncoding                                   []string
	Close                                              bool
	Body                                               string
	NoBody                                             bool
}

// echo answers with what it saw, shaped by the query's "resp".
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s := seen{Method: r.Method, RequestURI: r.RequestURI, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery,
		Proto: r.Proto, ProtoMinor: r.ProtoMinor, Host: r.Host, Header: r.Header, ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, Close: r.Close, Body: string(body), NoBody: r.Body == http.NoBody}
	out, _ := json.Marshal(&s)
	switch r.URL.Query().Get("resp") {
	case "sniff": // no Content-Type: both servers sniff one
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>hi</body></html>"))
	case "nocontent":
		w.WriteHeader(http.StatusNoContent)
	case "status":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		w.WriteHeader(http.StatusOK) // ignored: the first status wins
		_, _ = w.Write([]byte("<Error/>"))
	case "cookies":
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/", HttpOnly: true})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/console", MaxAge: -1})
		w.Header().Add("X-Multi", "one")
		w.Header().Add("X-Multi", "two")
		_, _ = w.Write([]byte("ok"))
	case "empty":
	case "length": // an explicit length, as httpapi and authzapi set
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "5")
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("hello"))
		}
	case "nosniff": // a nil Content-Type suppresses sniffing in net/http
		w.Header()["Content-Type"] = nil
		_, _ = w.Write([]byte("<html></html>"))
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, string(out))
	}
}

// servePair starts echo behind net/http and behind this package.
func servePair(t testing.TB, h http.Handler) (std, fast string) {
	t.Helper()
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(l1)
	t.Cleanup(func() { hs.Close() })
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := New(Config{Handler: h, ReadTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20})
	go fs.Serve(l2)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = fs.Shutdown(ctx)
	})
	return l1.Addr().String(), l2.Addr().String()
}

// roundTrip writes raw to addr and reads one response.
func roundTrip(t testing.TB, addr, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// TestSameAsNetHTTP: for each raw request, the handler sees the same
// request and the client the same answer (status, headers but Date, body)
// from this package as from net/http's server.
func TestSameAsNetHTTP(t *testing.T) {
	std, fast := servePair(t, http.HandlerFunc(echo))
	form := "Action=GetUser&UserName=alice&Version=2010-05-08"
	cases := []struct{ name, raw string }{
		{"get", "GET /?resp=json HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"aws query post", "POST / HTTP/1.1\r\nhost: 127.0.0.1:9393\r\ncontent-type: application/x-www-form-urlencoded; charset=utf-8\r\n" +
			"x-amz-date: 20261202T120000Z\r\nauthorization: AWS4-HMAC-SHA256 Credential=AKIA/20261202/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ab\r\n" +
			"User-Agent: aws-cli/1.0\r\ncontent-length: " + itoa(len(form)) + "\r\n\r\n" + form},
		{"repeated header keeps order", "GET /x HTTP/1.1\r\nHost: h\r\nX-Amz-Meta: b\r\nx-amz-meta: a\r\nX-AMZ-META: c\r\n\r\n"},
		{"escaped path and query", "GET /a%2Fb/c%20d?x=%2F&y=1+2&resp=json HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"chunked body", "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
		{"http/1.0", "GET /old HTTP/1.0\r\nHost: h\r\n\r\n"},
		{"absolute form", "GET http://example.com:8080/abs?q=1 HTTP/1.1\r\nHost: other\r\n\r\n"},
		{"connection close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"},
		{"cookies as sent", "GET /console HTTP/1.1\r\nHost: h\r\nCookie: iamd_session=abc; csrf=x=y\r\nCookie: other=1\r\n\r\n"},
		{"empty post", "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"},
		{"sniffed type", "GET /?resp=sniff HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"no sniff", "GET /?resp=nosniff HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"no content", "DELETE /?resp=nocontent HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"first status wins", "GET /?resp=status HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"cookies and multi", "GET /?resp=cookies HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"empty answer", "GET /?resp=empty HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"explicit length", "GET /?resp=length HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"head keeps length", "HEAD /?resp=length HTTP/1.1\r\nHost: h\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r1, b1 := roundTrip(t, std, tc.raw)
			r2, b2 := roundTrip(t, fast, tc.raw)
			if r1.StatusCode != r2.StatusCode {
				t.Errorf("status: net/http %d, httpserve %d", r1.StatusCode, r2.StatusCode)
			}
			for _, h := range []http.Header{r1.Header, r2.Header} {
				if h.Get("Date") == "" {
					t.Errorf("no Date header: %v", h)
				}
				h.Del("Date")
			}
			if !reflect.DeepEqual(r1.Header, r2.Header) {
				t.Errorf("headers:\nnet/http  %v\nhttpserve %v", r1.Header, r2.Header)
			}
			if b1 != b2 {
				t.Errorf("body:\nnet/http  %s\nhttpserve %s", b1, b2)
			}
		})
	}
}

// TestHandlerMayKeepStrings: what a handler keeps of a request (header
// values, the path) is its own, not a view of a buffer the next request
// reuses.
func TestHandlerMayKeepStrings(t *testing.T) {
	var mu sync.Mutex
	var kept []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		kept = append(kept, r.UserAgent()+" "+r.URL.Path+" "+r.Header.Get("X-N"))
		mu.Unlock()
	})
	_, fast := servePair(t, h)
	c, err := net.Dial("tcp", fast)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	var want []string
	for i := range 20 {
		n := itoa(i)
		want = append(want, "agent-"+n+" /p"+n+" "+n)
		if _, err := io.WriteString(c, "GET /p"+n+" HTTP/1.1\r\nHost: h\r\nUser-Agent: agent-"+n+"\r\nX-N: "+n+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %q\nwant %q", kept, want)
	}
}

// TestLimits: a body over MaxBodyBytes and headers over MaxHeaderBytes
// are refused before the handler, and the server goes on serving.
func TestLimits(t *testing.T) {
	called := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Handler: h, MaxBodyBytes: 1000, MaxHeaderBytes: 4096, ReadTimeout: 5 * time.Second})
	go s.Serve(ln)
	defer s.Shutdown(context.Background())
	addr := ln.Addr().String()
	big := strings.Repeat("a", 1001)
	if resp, _ := roundTrip(t, addr, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n"+big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: status %d", resp.StatusCode)
	}
	if resp, _ := roundTrip(t, addr, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: "+strings.Repeat("b", 5000)+"\r\n\r\n"); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("headers over the limit: status %d", resp.StatusCode)
	}
	if called != 0 {
		t.Errorf("handler called %d times for refused requests", called)
	}
	if resp, _ := roundTrip(t, addr, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n"+big[:1000]); resp.StatusCode != http.StatusOK || called != 1 {
		t.Errorf("body at the limit: status %d, handler called %d times", resp.StatusCode, called)
	}
}

// TestShutdownWaitsForRequests: a request in flight when Shutdown starts
// is answered, and Serve returns nil.
func TestShutdownWaitsForRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = w.Write([]byte("done"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Handler: h, ReadTimeout: 5 * time.Second})
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	answer := make(chan string, 1)
	go func() {
		_, b := roundTrip(t, ln.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
		answer <- b
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if b := <-answer; b != "done" {
		t.Errorf("answer %q", b)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestShutdownBeforeServe: Serve returns (nil) when Shutdown came first or
// raced with it, rather than accepting forever.
func TestShutdownBeforeServe(t *testing.T) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := New(Config{Handler: http.NotFoundHandler(), ReadTimeout: time.Second})
		served := make(chan error, 1)
		go func() { served <- s.Serve(ln) }()
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Serve still accepting after Shutdown")
		}
	}
}

// TestTimeouts: headers dripped slower than ReadHeaderTimeout lose the
// connection after it; a body gets ReadTimeout from the end of the
// headers.
func TestTimeouts(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{Handler: h, ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 1500 * time.Millisecond})
	go s.Serve(ln)
	defer s.Shutdown(context.Background())
	lived := func(head string) time.Duration {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		closed := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c); close(closed) }()
		_, _ = io.WriteString(c, head)
		for {
			select {
			case <-closed:
				return time.Since(start)
			case <-time.After(50 * time.Millisecond):
				if time.Since(start) > 5*time.Second {
					t.Fatal("connection still open after 5 s")
				}
				_, _ = c.Write([]byte{'a'})
			}
		}
	}
	if d := lived("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: "); d < 250*time.Millisecond || d > 1200*time.Millisecond {
		t.Errorf("slow headers: connection lived %v, want about 300 ms", d)
	}
	if d := lived("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n"); d < 1400*time.Millisecond || d > 3*time.Second {
		t.Errorf("slow body: connection lived %v, want about 1.5 s", d)
	}
}
