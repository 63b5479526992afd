package e2e

import (
	"flag"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

var slowLong = flag.Bool("slow.long", false, "also test the 30 s body read timeout in TestSlowClientsAreDisconnected")

// dripUntilClosed connects to addr, writes head at once and then drip one
// byte per interval until the server closes the connection, and returns
// how long the connection lived.
func dripUntilClosed(t *testing.T, addr, head string, drip byte, limit time.Duration) time.Duration {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes
		close(closed)
	}()
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return time.Since(start)
		case <-tick.C:
			if time.Since(start) > limit {
				t.Fatalf("connection still open after %v", limit)
			}
			if _, err := conn.Write([]byte{drip}); err != nil {
				return time.Since(start) // the server is gone
			}
		}
	}
}

// TestSlowClientsAreDisconnected sends a request's headers a byte at a
// time, slower than the server's ReadHeaderTimeout (10 s): the server must
// drop the connection although the client never stops sending.
func TestSlowClientsAreDisconnected(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	addr := s.Addr().String()
	lived := dripUntilClosed(t, addr, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: ", 'a', 20*time.Second)
	if lived < 9*time.Second || lived > 15*time.Second {
		t.Fatalf("slow header connection lived %v; want the 10 s ReadHeaderTimeout", lived)
	}
	// Server still serves others.
	if _, err := s.rootIAM().ListUsers(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if !*slowLong {
		return
	}
	// A slow body: headers complete, body dripped under ReadTimeout (30 s).
	head := "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
		strconv.Itoa(100_000) + "\r\n\r\nAction=ListUsers&Version=2010-05-08&X="
	lived = dripUntilClosed(t, addr, head, 'a', 45*time.Second)
	if lived < 25*time.Second || lived > 40*time.Second {
		t.Fatalf("slow body connection lived %v; want the 30 s ReadTimeout", lived)
	}
}
