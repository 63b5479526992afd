package httpserve

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkAdapt is the adapter's cost per request, without the network:
// converting a signed IAM Query request as aws-sdk-go-v2 sends it, running
// a handler that answers a small XML document, and buffering the answer.
func BenchmarkAdapt(b *testing.B) {
	form := "Action=GetCallerIdentity&Version=2011-06-15"
	raw := "POST / HTTP/1.1\r\nHost: 127.0.0.1:9393\r\nUser-Agent: aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.52.0\r\n" +
		"Content-Length: 43\r\nAmz-Sdk-Invocation-Id: 5f3c8c4e-8f1e-4a43-9d0b-7f2a3c1d9e10\r\nAmz-Sdk-Request: attempt=1; max=3\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261202/us-east-1/sts/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nX-Amz-Date: 20261202T120000Z\r\nAccept-Encoding: gzip\r\n\r\n" + form
	answer := []byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	xml := []string{"text/xml"}
	h := Adapt(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = xml
		_, _ = w.Write(answer)
	}))
	var req fasthttp.Request
	if err := req.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		b.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Init(&req, addr, nil)
		h(&ctx)
		if ctx.Response.StatusCode() != http.StatusOK {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
}
