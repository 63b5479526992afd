package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

// The raw generator offers a fixed rate from a separate process (this
// binary re-executed with IAMD_LOADTEST_RAW set), so that the server's
// CPU time stays its own and the generator's is measured apart.
//
// It is open-loop: request i is due at start+i/rate whatever the answers,
// and its latency counts from that due time, so a stalled server's queue,
// and the generator's own lateness, show in the percentiles (no
// coordinated omission; wrk, by contrast, only sends when an answer has
// come back).
//
// It sends in timed batches: every tick it writes the requests due by
// now, dealt round-robin over its keep-alive connections, each
// connection's share in one write(2) (HTTP/1.1 pipelining, which net/http
// serves in order), and parses the answers by their Content-Length. On
// Linux (raw_linux.go) it is one thread around epoll_pwait2, whose
// timeout has nanosecond resolution: Go's own sleeps round up to a
// millisecond when the process is idle, and a goroutine per connection
// cost the first version, which sent one request per write, more CPU per
// request than the server's share allowed, so it fell milliseconds
// behind its schedule.

// rawJob is what the parent hands the child, as JSON in the environment.
type rawJob struct {
	Addr     string        `json:"addr"` // host:port, IPv4
	Request  []byte        `json:"request"`
	Duration time.Duration `json:"duration"`
	Conns    int           `json:"conns"`
	Rate     int           `json:"rate"`
	// Tick is the least time between two batches of writes.
	Tick time.Duration `json:"tick"`
	// Group is how many consecutive requests go to one connection before
	// the next (1: round-robin, each request on the next connection).
	Group int `json:"group"`
	// Poll makes the generator sleep between ticks and read the answers
	// that arrived meanwhile, instead of waking for each: fewer wake-ups
	// on both sides, each answer's time late by up to a tick.
	Poll bool `json:"poll"`
	// Profile, if set, is where the child writes its CPU profile.
	Profile string `json:"profile,omitempty"`
}

// rawResult is the child's answer. Latencies count from each request's due
// time; Write* from the write that sent it (the server and the network
// only); Late* from its due time to that write (the generator's own
// lateness, part of the latencies).
type rawResult struct {
	Sent, Done, Errors   int
	Unanswered           int    // requests without an answer when the run ended (counted in Errors)
	FirstError           string `json:",omitempty"`
	P50, P90, P99, P999  time.Duration
	Max                  time.Duration
	WriteP50, WriteP99   time.Duration
	LateP50, LateP99     time.Duration
	LateMax              time.Duration
	Late1ms, Late2ms     int           // requests written more than 1 (2) ms after their due time
	Writes               int           // write(2) calls that sent requests
	MeanRequestsPerWrite float64       // Sent / Writes
	Syscalls             int           // reads, writes and epoll waits
	CPU                  time.Duration // the generator's user+system CPU time, start-up included
	Elapsed              time.Duration // from the first due time to the last answer
}

const rawEnv = "IAMD_LOADTEST_RAW"

// runRaw runs the generator in a child process and waits for its result.
func runRaw(target, token string, body []byte, d time.Duration, conns, rate int, o *options) (result, error) {
	if rate <= 0 {
		return result{}, errors.New("-gen raw needs -rate")
	}
	u, err := url.Parse(target)
	if err != nil {
		return result{}, err
	}
	req := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, token, len(body))
	job, _ := json.Marshal(rawJob{Addr: u.Host, Request: append(req, body...), Duration: d, Conns: conns, Rate: rate, Tick: o.genTick, Group: o.genGroup, Poll: o.genPoll, Profile: o.genProfile})
	cmd := exec.Command(os.Args[0])
	// One thread does the work; a second P would only add wake-ups.
	cmd.Env = append(os.Environ(), rawEnv+"="+string(job), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("raw generator: %w", err)
	}
	var r rawResult
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("raw generator output %q: %w", out, err)
	}
	if r.FirstError != "" {
		fmt.Fprintf(os.Stderr, "loadtest: generator: %d errors, first: %s\n", r.Errors, r.FirstError)
	}
	if r.Late2ms > r.Sent/1000 {
		fmt.Fprintf(os.Stderr, "loadtest: the generator wrote %d of %d requests more than 2 ms after their due time; the percentiles include that\n", r.Late2ms, r.Sent)
	}
	ms := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	// Answered per second over the time the answers took, which is longer
	// than the schedule when the server falls behind.
	return result{rps: float64(r.Done) / max(d, r.Elapsed).Seconds(), served: int64(r.Done), p50: ms(r.P50), p99: ms(r.P99), errors: r.Errors, raw: &r}, nil
}

// rawStats collects the child's measurements.
type rawStats struct {
	lat, fromWrite, late []time.Duration
	late1, late2         int
	writes, errors       int
	syscalls             int   // reads, writes and waits
	lastAnswer           int64 // ns after the start
	firstErr             string
}

func (s *rawStats) fail(err error) {
	s.errors++
	if s.firstErr == "" {
		s.firstErr = err.Error()
	}
}

// sent records the lateness of requests due at dues, written at t.
func (s *rawStats) sent(dues []int64, t int64) {
	for _, d := range dues {
		l := time.Duration(t - d)
		s.late = append(s.late, l)
		if l > time.Millisecond {
			s.late1++
		}
		if l > 2*time.Millisecond {
			s.late2++
		}
	}
}

func (s *rawStats) result(total int, cpu time.Duration) (*rawResult, error) {
	if len(s.lat) == 0 {
		return nil, errors.New("no request completed: " + s.firstErr)
	}
	for _, v := range [][]time.Duration{s.lat, s.fromWrite, s.late} {
		slices.Sort(v)
	}
	pct := func(v []time.Duration, p float64) time.Duration { return v[int(float64(len(v)-1)*p)] }
	return &rawResult{Sent: total, Done: len(s.lat), Errors: s.errors + total - len(s.lat), Unanswered: total - len(s.lat), FirstError: s.firstErr,
		P50: pct(s.lat, 0.5), P90: pct(s.lat, 0.9), P99: pct(s.lat, 0.99), P999: pct(s.lat, 0.999), Max: s.lat[len(s.lat)-1],
		WriteP50: pct(s.fromWrite, 0.5), WriteP99: pct(s.fromWrite, 0.99),
		LateP50: pct(s.late, 0.5), LateP99: pct(s.late, 0.99), LateMax: s.late[len(s.late)-1], Late1ms: s.late1, Late2ms: s.late2,
		Writes: s.writes, Syscalls: s.syscalls, Elapsed: time.Duration(s.lastAnswer), MeanRequestsPerWrite: float64(total) / float64(max(1, s.writes)), CPU: cpu}, nil
}

// dueOf is request i's due time in ns after the start, computed rather
// than accumulated so that rounding does not drift.
func dueOf(i, rate int) int64 { return int64(i) * int64(time.Second) / int64(rate) }

var errNoLength = errors.New("response without Content-Length")

// parseResponse parses the HTTP/1.1 response at the start of b, whose
// body has a Content-Length (what the decision API sends). It returns the
// response's length and whether its status was 200, or n 0 if b does not
// hold all of it yet.
func parseResponse(b []byte) (n int, ok bool, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > 64<<10 {
			return 0, false, errors.New("response header over 64 KB")
		}
		return 0, false, nil
	}
	head := b[:end+2]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("not an HTTP/1.1 response: %.40q", line)
	}
	ok = bytes.HasPrefix(line, []byte("HTTP/1.1 200 "))
	length := -1
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		k, v, found := bytes.Cut(line, []byte(":"))
		if found && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil || length < 0 || length > 1<<30 {
				return 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return 0, false, errNoLength
	}
	if total := end + 4 + length; len(b) >= total {
		return total, ok, nil
	}
	return 0, false, nil
}
