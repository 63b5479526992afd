package httpapi

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/sigv4"
)

// Authentication-failure limits. Each access key ID and each source address
// has a token bucket of failures: a request that fails authentication (an
// unknown key, a bad or incomplete signature, an unusable session token)
// takes a token, and tokens come back at burst per window. While a bucket
// is empty, every request naming that key or coming from that address is
// answered with AWS's Throttling error before its signature is checked, so
// guessing a secret costs a window per burst of attempts. Requests that
// authenticate cost nothing.
//
// The limits are generous enough that a misconfigured client (wrong secret,
// skewed clock) sees its real error a few times before it is throttled.
const (
	DefaultAuthFailuresPerKey  = 60
	DefaultAuthFailuresPerAddr = 600
	DefaultAuthFailureWindow   = time.Minute

	// maxTrackedBuckets bounds the limiter's memory: a flood of random key
	// IDs cannot grow it further. Full (idle) buckets are dropped first.
	maxTrackedBuckets = 100_000
	maxKeyIDLen       = 128
)

// errThrottled is AWS's answer to a caller over its rate.
var errThrottled = &awsquery.Error{Code: "Throttling", Message: "Rate exceeded", Status: http.StatusBadRequest, Sender: true}

type bucket struct {
	tokens float64
	at     time.Time
}

// authLimiter limits authentication failures. The zero value uses the
// defaults above; it is safe for concurrent use.
type authLimiter struct {
	mu      sync.Mutex
	perKey  int           // 0: DefaultAuthFailuresPerKey
	perAddr int           // 0: DefaultAuthFailuresPerAddr
	window  time.Duration // 0: DefaultAuthFailureWindow
	keys    map[string]*bucket
	addrs   map[string]*bucket
	// lastFail is the time of the last failure (Unix ns, 0: none). A
	// window after it every bucket is full again, so allowed need not
	// take the lock: the common case of a server nobody is guessing at.
	lastFail atomic.Int64
}

func (l *authLimiter) limits() (perKey, perAddr float64, window time.Duration) {
	perKey, perAddr, window = DefaultAuthFailuresPerKey, DefaultAuthFailuresPerAddr, DefaultAuthFailureWindow
	if l.perKey > 0 {
		perKey = float64(l.perKey)
	}
	if l.perAddr > 0 {
		perAddr = float64(l.perAddr)
	}
	if l.window > 0 {
		window = l.window
	}
	return
}

// level refills b to now and returns its tokens; a missing bucket is full.
func level(b *bucket, capacity float64, window time.Duration, now time.Time) float64 {
	if b == nil {
		return capacity
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens += capacity * float64(d) / float64(window)
		b.at = now
	}
	if b.tokens > capacity {
		b.tokens = capacity
	}
	return b.tokens
}

// allowed reports whether a request for key from addr may try to
// authenticate.
func (l *authLimiter) allowed(key, addr string, now time.Time) bool {
	perKey, perAddr, window := l.limits()
	if last := l.lastFail.Load(); last == 0 || now.UnixNano()-last > int64(window) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if addr != "" && level(l.addrs[addr], perAddr, window, now) < 1 {
		return false
	}
	if key != "" && level(l.keys[key], perKey, window, now) < 1 {
		return false
	}
	return true
}

// fail takes a token from key's and addr's buckets.
func (l *authLimiter) fail(key, addr string, now time.Time) {
	perKey, perAddr, window := l.limits()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys, l.addrs = map[string]*bucket{}, map[string]*bucket{}
	}
	take := func(m map[string]*bucket, id string, capacity float64) {
		if id == "" {
			return
		}
		b := m[id]
		if b == nil {
			if len(m) >= maxTrackedBuckets {
				sweep(m, capacity, window, now)
				if len(m) >= maxTrackedBuckets {
					return
				}
			}
			b = &bucket{tokens: capacity, at: now}
			m[id] = b
		}
		if level(b, capacity, window, now) >= 1 {
			b.tokens--
		}
	}
	take(l.keys, key, perKey)
	take(l.addrs, addr, perAddr)
	if t := now.UnixNano(); t > l.lastFail.Load() {
		l.lastFail.Store(t)
	}
}

// sweep drops the buckets that have refilled: they hold no information.
func sweep(m map[string]*bucket, capacity float64, window time.Duration, now time.Time) {
	for id, b := range m {
		if level(b, capacity, window, now) >= capacity {
			delete(m, id)
		}
	}
}

// isAuthFailure reports whether err is a failed authentication attempt.
// Missing authentication (an unsigned request) is not: it guesses nothing.
func isAuthFailure(err error) bool {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.Code == sigv4.CodeSignatureDoesNotMatch || se.Code == sigv4.CodeIncompleteSignature ||
			se.Code == sigv4.CodeInvalidClientTokenID
	}
	var qe *awsquery.Error
	if errors.As(err, &qe) {
		switch qe.Code {
		case sigv4.CodeInvalidClientTokenID, sigv4.CodeSignatureDoesNotMatch, sigv4.CodeIncompleteSignature:
			return true
		}
	}
	return false
}

// requestKeyID extracts the access key ID a request claims, from the
// Authorization header or a presigned query, without validating anything.
func requestKeyID(r *http.Request) string {
	var cred string
	if auth := r.Header.Get("Authorization"); auth != "" {
		if i := strings.Index(auth, "Credential="); i >= 0 {
			cred = auth[i+len("Credential="):]
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if i := strings.IndexAny(cred, "/, "); i >= 0 {
		cred = cred[:i]
	}
	if len(cred) > maxKeyIDLen {
		cred = cred[:maxKeyIDLen]
	}
	return cred
}

func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// limitAuth runs serve unless the request's key or address is over its
// authentication-failure limit, and counts serve's authentication failures.
func (h *Handler) limitAuth(q *request) (*awsmodel.Service, *awsmodel.Operation, awsquery.Struct, error) {
	r := q.r
	key, addr := requestKeyID(r), remoteHost(r)
	if !h.auth.allowed(key, addr, q.now) {
		svc := h.iam
		if strings.Contains(r.Header.Get("Authorization"), "/sts/aws4_request") ||
			strings.Contains(r.URL.RawQuery, "%2Fsts%2Faws4_request") || h.unsignedSTS(q) {
			svc = h.sts
		}
		return svc, nil, nil, errThrottled
	}
	svc, op, out, err := h.serve(q)
	if err != nil && isAuthFailure(err) {
		h.auth.fail(key, addr, h.now())
	}
	return svc, op, out, err
}

// unsignedSTS tells whether a refused request without a signature names an
// STS action (AssumeRoleWith* are served unsigned), so that its Throttling
// error is in STS's namespace. Only refused requests pay for reading the
// body here.
func (h *Handler) unsignedSTS(q *request) bool {
	r := q.r
	if r.Header.Get("Authorization") != "" || strings.Contains(r.URL.RawQuery, "X-Amz-Credential") {
		return false
	}
	body, err := h.requestBody(q)
	if err != nil {
		return false
	}
	form, err := parseForm(r, body)
	if err != nil {
		return false
	}
	action, _ := awsquery.ParseCommon(form)
	_, ok := h.sts.Operations[action]
	return ok
}
