package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	ok200 := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
	forbidden := "HTTP/1.1 403 Forbidden\r\ncontent-length: 2\r\n\r\n{}"
	empty := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	tests := []struct {
		name    string
		in      string
		n       int
		ok      bool
		wantErr string
	}{
		{"whole", ok200, len(ok200), true, ""},
		{"pipelined: the first of two", ok200 + ok200, len(ok200), true, ""},
		{"body incomplete", ok200[:len(ok200)-1], 0, false, ""},
		{"header incomplete", ok200[:20], 0, false, ""},
		{"empty", "", 0, false, ""},
		{"not 200, lower-case header", forbidden, len(forbidden), false, ""},
		{"empty body", empty, len(empty), true, ""},
		{"no length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, false, "without Content-Length"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, false, "bad Content-Length"},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, false, "bad Content-Length"},
		{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n", 0, false, "bad Content-Length"},
		{"not HTTP/1.1", "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, false, "not an HTTP/1.1 response"},
		{"endless header", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 70<<10), 0, false, "over 64 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok, err := parseResponse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || n != tt.n || ok != tt.ok {
				t.Fatalf("= %d, %v, %v; want %d, %v, nil", n, ok, err, tt.n, tt.ok)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 500 x\r\nContent-Length: 99999999999999999999\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok, err := parseResponse(b)
		if n < 0 || n > len(b) || (err != nil && (n != 0 || ok)) {
			t.Fatalf("parseResponse(%q) = %d, %v, %v", b, n, ok, err)
		}
		if n > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) {
			t.Fatalf("parseResponse(%q) accepted a non-response", b)
		}
	})
}
