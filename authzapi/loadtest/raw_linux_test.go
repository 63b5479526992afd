//go:build linux

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestGenerate runs the generator against a real net/http server: every
// request is answered, in order, latencies are measured, and a
// connection's share of a batch goes out in one write.
func TestGenerate(t *testing.T) {
	var served, denied atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"x":1}` {
			denied.Add(1)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		served.Add(1)
		_, _ = w.Write([]byte(`{"decision":"Allow"}`))
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	req := func(body string) []byte {
		return fmt.Appendf(nil, "POST /x HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
	}
	tests := []struct {
		name   string
		body   string
		conns  int
		tick   time.Duration
		group  int
		poll   bool
		errors int
	}{
		// 2,000/s in 10 ms ticks over 2 connections: 10 requests a write.
		{"pipelined", `{"x":1}`, 2, 10 * time.Millisecond, 1, false, 0},
		{"one a write", `{"x":1}`, 8, 0, 1, false, 0},
		// 10 requests a 5 ms tick, all on one of the 8 connections.
		{"grouped", `{"x":1}`, 8, 5 * time.Millisecond, 10, false, 0},
		{"polled", `{"x":1}`, 4, time.Millisecond, 1, true, 0},
		{"refused", `{"x":2}`, 2, time.Millisecond, 1, false, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			served.Store(0)
			denied.Store(0)
			r, err := generate(&rawJob{Addr: addr, Request: req(tt.body), Duration: 300 * time.Millisecond, Conns: tt.conns, Rate: 2000, Tick: tt.tick, Group: tt.group, Poll: tt.poll})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != 600 || r.Done != 600 || r.Errors != tt.errors || r.Unanswered != 0 {
				t.Fatalf("sent %d, done %d, errors %d (%s), unanswered %d; want 600, 600, %d, 0", r.Sent, r.Done, r.Errors, r.FirstError, r.Unanswered, tt.errors)
			}
			if got := served.Load() + denied.Load(); got != 600 {
				t.Fatalf("server saw %d requests, want 600", got)
			}
			if r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max || r.WriteP50 <= 0 || r.WriteP99 > r.P99+r.LateMax {
				t.Fatalf("implausible latencies: %+v", r)
			}
			if tt.tick >= 5*time.Millisecond && r.MeanRequestsPerWrite < 5 {
				t.Fatalf("%.1f requests a write with %v ticks, want batches", r.MeanRequestsPerWrite, tt.tick)
			}
			if tt.tick == 0 && r.MeanRequestsPerWrite > 2 {
				t.Fatalf("%.1f requests a write without ticks", r.MeanRequestsPerWrite)
			}
		})
	}
}

// TestGenerateServerGone: a server that closes the connection leaves the
// requests unanswered and the run ends instead of waiting.
func TestGenerateServerGone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		c, _, err := hj.Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	start := time.Now()
	r, err := generate(&rawJob{Addr: addr, Request: fmt.Appendf(nil, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", addr),
		Duration: 200 * time.Millisecond, Conns: 2, Rate: 1000, Tick: time.Millisecond})
	if err == nil {
		t.Fatalf("no error for a server that answers nothing: %+v", r)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}
