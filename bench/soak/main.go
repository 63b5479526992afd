// Command soak drives a running iamd with a steady mix of reads and
// writes for a fixed time and records, once per interval, the server's
// resident memory, open file descriptors and threads (from /proc), its
// goroutines (go_goroutines from /metrics) and the client-side latency
// percentiles and error count, as CSV. It is the
// instrument of the reliability issue's soak run; docs/ holds its results.
//
//	iamd serve --listen 127.0.0.1:19500 --data-dir /tmp/soak &   # with IAMD_ROOT_* preset
//	go run ./bench/soak -endpoint http://127.0.0.1:19500 -pid $! -duration 30m -rate 200 > soak.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:19500", "iamd endpoint")
	pid := flag.Int("pid", 0, "iamd's process ID, for /proc samples (0: none)")
	duration := flag.Duration("duration", 30*time.Minute, "how long to run")
	rate := flag.Int("rate", 200, "requests per second, steady")
	every := flag.Duration("every", time.Minute, "sampling interval")
	keyID := flag.String("key", os.Getenv("AWS_ACCESS_KEY_ID"), "root access key ID")
	secret := flag.String("secret", os.Getenv("AWS_SECRET_ACCESS_KEY"), "root secret")
	flag.Parse()

	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(*keyID, *secret, ""),
		BaseEndpoint: aws.String(*endpoint),
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	}
	ic, sc := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()

	var mu sync.Mutex
	var lat []time.Duration
	var errs, total atomic.Int64
	// The mix: 70% reads (GetCallerIdentity, GetUser, ListUsers), 30%
	// writes that leave the data set the same size (create then delete a
	// user with a tag, create and delete an access key).
	op := func(i int) error {
		name := fmt.Sprintf("soak-%d", i%500)
		switch i % 10 {
		case 0, 1, 2:
			_, err := sc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		case 3, 4:
			_, err := ic.GetUser(ctx, &iam.GetUserInput{})
			return err
		case 5, 6:
			_, err := ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(50)})
			return err
		case 7:
			_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
			if err != nil && !strings.Contains(err.Error(), "EntityAlreadyExists") {
				return err
			}
			return nil
		case 8:
			k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
			if err != nil {
				if strings.Contains(err.Error(), "NoSuchEntity") || strings.Contains(err.Error(), "LimitExceeded") {
					return nil
				}
				return err
			}
			_, err = ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKey.AccessKeyId})
			return err
		default:
			_, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
			if err != nil && (strings.Contains(err.Error(), "NoSuchEntity") || strings.Contains(err.Error(), "DeleteConflict")) {
				return nil
			}
			return err
		}
	}

	fmt.Println("elapsed_s,requests,errors,p50_ms,p99_ms,max_ms,rss_kib,fds,threads,goroutines")
	start := time.Now()
	sample := func() {
		mu.Lock()
		l := lat
		lat = nil
		mu.Unlock()
		slices.Sort(l)
		pct := func(p float64) float64 {
			if len(l) == 0 {
				return 0
			}
			return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
		}
		rss, threads, fds := procStats(*pid)
		fmt.Printf("%.0f,%d,%d,%.2f,%.2f,%.2f,%d,%d,%d,%d\n", time.Since(start).Seconds(), total.Load(), errs.Load(),
			pct(0.5), pct(0.99), pct(1), rss, fds, threads, goroutines(*endpoint))
	}
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	samp := time.NewTicker(*every)
	defer samp.Stop()
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			sample()
			if errs.Load() > 0 {
				log.Printf("%d errors", errs.Load())
			}
			return
		case <-samp.C:
			sample()
		case <-tick.C:
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				t0 := time.Now()
				err := op(i)
				d := time.Since(t0)
				total.Add(1)
				if err != nil && ctx.Err() == nil {
					errs.Add(1)
					log.Printf("request %d: %v", i, err)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}(i)
		}
	}
}

// procStats reads the resident set (KiB) and thread count from
// /proc/PID/status and counts /proc/PID/fd.
func procStats(pid int) (rss, threads, fds int) {
	if pid == 0 {
		return 0, 0, 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "VmRSS:" {
				rss, _ = strconv.Atoi(f[1])
			}
			if len(f) >= 2 && f[0] == "Threads:" {
				threads, _ = strconv.Atoi(f[1])
			}
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		fds = len(ents)
	}
	return rss, threads, fds
}

// goroutines reads go_goroutines from the server's Prometheus endpoint;
// -1 when the endpoint or the metric is absent.
func goroutines(endpoint string) int {
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return -1
			}
			return int(f)
		}
	}
	return -1
}
