package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The raw generator offers a fixed rate from a separate process (this
// binary re-executed with IAMD_LOADTEST_RAW set), so that the server's
// CPU time stays its own and the generator, writing prebuilt request bytes
// on raw keep-alive connections, costs a few µs per request instead of
// net/http's client. It is open-loop: request i is due at start+i/rate
// whatever the answers, and its latency counts from that due time, so a
// stalled server's queue shows in the percentiles (no coordinated
// omission). wrk, by contrast, only sends when an answer has come back.

// rawJob is what the parent hands the child, as JSON in the environment.
type rawJob struct {
	URL      string        `json:"url"`
	Request  []byte        `json:"request"`
	Duration time.Duration `json:"duration"`
	Conns    int           `json:"conns"`
	Rate     int           `json:"rate"`
}

type rawResult struct {
	Done, Errors  int
	Late          int // requests that left more than 1 ms after their due time
	P50, P99, Max time.Duration
}

const rawEnv = "IAMD_LOADTEST_RAW"

// runRaw runs the generator in a child process and waits for its result.
func runRaw(target, token string, body []byte, d time.Duration, conns, rate int) (result, error) {
	if rate <= 0 {
		return result{}, errors.New("-gen raw needs -rate")
	}
	u, err := url.Parse(target)
	if err != nil {
		return result{}, err
	}
	req := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.Path, u.Host, token, len(body))
	job, _ := json.Marshal(rawJob{URL: u.Host, Request: append(req, body...), Duration: d, Conns: conns, Rate: rate})
	cmd := exec.Command(os.Args[0])
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
	if r.Late > r.Done/100 {
		fmt.Fprintf(os.Stderr, "loadtest: the generator sent %d of %d requests over 1 ms late; its percentiles include that\n", r.Late, r.Done)
	}
	return result{rps: float64(r.Done) / d.Seconds(), p50: r.P50.Round(10 * time.Microsecond).String(),
		p99: r.P99.Round(10 * time.Microsecond).String(), errors: r.Errors}, nil
}

// rawChild is the child process's main.
func rawChild(spec string) error {
	var job rawJob
	if err := json.Unmarshal([]byte(spec), &job); err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	interval := time.Second / time.Duration(job.Rate)
	total := int64(job.Duration / interval)
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var errs, late int
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for range job.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, total/int64(job.Conns)+1)
			bad, tardy := 0, 0
			conn, err := net.Dial("tcp", job.URL)
			if err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 16<<10)
			for {
				i := next.Add(1) - 1
				if i >= total {
					break
				}
				due := start.Add(time.Duration(i) * interval)
				if w := time.Until(due); w > 0 {
					time.Sleep(w)
				} else if w < -time.Millisecond {
					tardy++
				}
				if _, err := conn.Write(job.Request); err != nil {
					bad++
					break
				}
				ok, err := readResponse(br)
				if err != nil {
					bad++
					break
				}
				if !ok {
					bad++
				}
				local = append(local, time.Since(due))
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += bad
			late += tardy
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return errors.New("no request completed")
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	return json.NewEncoder(os.Stdout).Encode(rawResult{Done: len(lat), Errors: errs, Late: late, P50: pct(0.5), P99: pct(0.99), Max: lat[len(lat)-1]})
}

// readResponse reads one HTTP/1.1 response with a Content-Length body
// (what the decision API sends) and reports whether its status was 200.
func readResponse(br *bufio.Reader) (bool, error) {
	status, err := br.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	ok := bytes.HasPrefix(status, []byte("HTTP/1.1 200 "))
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, found := bytes.Cut(line, []byte(":")); found && bytes.EqualFold(k, []byte("Content-Length")) {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return false, err
			}
		}
	}
	if n < 0 {
		return false, errors.New("response without Content-Length")
	}
	_, err = br.Discard(n)
	return ok, err
}
