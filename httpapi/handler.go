package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sigv4"
)

// DefaultMaxBodyBytes caps a request body. IAM's largest input, a policy
// document of up to 131,072 characters, percent-encodes to at most three
// times that; anything larger is refused before it is read.
const DefaultMaxBodyBytes = 512 << 10

// Config holds the handler's dependencies.
type Config struct {
	Service      *iam.Service
	Logger       *slog.Logger
	Clock        func() time.Time // nil: time.Now
	MaxBodyBytes int64            // 0: DefaultMaxBodyBytes
	Audit        Auditor          // nil: no audit trail; else every request is recorded (audit.go)
	// SkipReadEvents leaves successful read-only calls out of the audit
	// trail, for deployments that trade their record for read throughput
	// (see docs/audit.md and docs/benchmarks.md).
	SkipReadEvents bool
	Metrics        RequestObserver // nil: none (reports.go)
}

// Handler is the AWS API handler. It is safe for concurrent use.
type Handler struct {
	svc     *iam.Service
	log     *slog.Logger
	now     func() time.Time
	maxBody int64
	// STS follows AWS in honouring presigned GetCallerIdentity URLs for the
	// whole skew window whatever their X-Amz-Expires (see
	// sigv4.Verifier.IgnoreExpires); IAM keeps the strict rule.
	iamVerifier, stsVerifier *sigv4.Verifier
	routes                   map[*awsmodel.Operation]operation
	iam, sts                 *awsmodel.Service
	audit                    Auditor // audit trail (audit.go); nil when off
	skipReadEvents           bool
	// auth limits authentication failures (ratelimit.go).
	auth    authLimiter
	metrics RequestObserver
}

// NewHandler returns the API handler.
func NewHandler(cfg Config) *Handler {
	h := &Handler{
		svc:         cfg.Service,
		log:         cfg.Logger,
		now:         cfg.Clock,
		maxBody:     cfg.MaxBodyBytes,
		iamVerifier: &sigv4.Verifier{},
		stsVerifier: &sigv4.Verifier{IgnoreExpires: true},
		iam:         awsmodel.IAM(),
		sts:         awsmodel.STS(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	h.routes = h.buildRoutes()
	h.skipReadEvents = cfg.SkipReadEvents
	h.metrics = cfg.Metrics
	if h.audit = cfg.Audit; h.audit != nil {
		h.auditRoutes()
	}
	return h
}

// call is one API request in flight.
type call struct {
	ctx       context.Context
	principal *iam.Principal
	in        awsquery.Struct
	requestID string
	region    string
	ac        *auditCall // the request's audit event, when the trail is on
}

// request is one API request's working state. It is allocated once per
// request, with everything the request needs on the heap (the call, the
// principal's copy, the parsed signature, the audit event's state), so
// that a read costs a handful of allocations: on 2 cores the garbage
// collector's share grows with every one.
type request struct {
	r         *http.Request
	requestID string
	now       time.Time // when the request started, on h.now's clock

	body     []byte  // what was read of the body, once read
	bodyBuf  *[]byte // body's pooled buffer, returned by release
	bodyErr  error
	bodyRead bool

	sig       sigv4.Request // valid when sigParsed and sigErr == nil
	sigErr    error
	sigParsed bool

	rp    requestPrincipal
	c     call
	ac    *auditCall // &audit when the trail is on
	audit auditCall
}

// signature parses the request's SigV4 parameters once; audit events and
// the rate limiter ask again after serve.
func (q *request) signature() (*sigv4.Request, error) {
	if !q.sigParsed {
		q.sigParsed = true
		q.sigErr = sigv4.ParseInto(&q.sig, q.r)
	}
	if q.sigErr != nil {
		return nil, q.sigErr
	}
	return &q.sig, nil
}

// bodyPool holds body buffers. Buffers that grew past maxPooledBody (a
// large policy document) are left to the collector rather than pinned.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledBody = 64 << 10

// release returns the request's pooled memory. Nothing may use q.body
// afterwards: form values and decoded input are copies.
func (q *request) release() {
	if q.bodyBuf != nil && cap(q.body) <= maxPooledBody {
		*q.bodyBuf = q.body[:0]
		bodyPool.Put(q.bodyBuf)
	}
	q.body, q.bodyBuf = nil, nil
}

// requestPrincipal allocates a request's principal and its RequestInfo
// together.
type requestPrincipal struct {
	p    iam.Principal
	info iam.RequestInfo
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "" {
		h.serveJSON(w, r) // CloudTrail's JSON protocol (cloudtrail.go)
		return
	}
	start := time.Now()
	q := &request{r: r, requestID: newRequestID(), now: h.now()}
	defer q.release()
	requestID := q.requestID
	if h.audit != nil {
		q.ac = &q.audit
		q.audit.req, q.audit.start = q, q.now
	}
	svc, op, result, err := h.limitAuth(q)
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	status, code := http.StatusOK, ""
	if err == nil {
		if err = awsquery.WriteResponse(buf, svc, op, result, requestID); err != nil {
			buf.Reset()
			err = &iam.Error{Code: iam.CodeServiceFailure, Message: "An internal error occurred.", Err: err}
		}
	}
	if err != nil {
		qe := h.toQueryError(svc, err, requestID, op)
		status, code = qe.Status, qe.Code
		buf.Reset()
		awsquery.WriteError(buf, svc, qe, requestID)
	}
	if q.ac != nil { // recorded durably before the response is written, or 500
		status = h.auditFinish(q, buf, svc, op, result, err, status)
	}
	hdr := w.Header()
	// One array for the header values that vary; net/http only reads them.
	vals := &[2]string{requestID, strconv.Itoa(buf.Len())}
	hdr["X-Amzn-Requestid"] = vals[0:1:1]
	hdr["Content-Type"] = textXML
	// An explicit length, as AWS sends, rather than chunked encoding for
	// bodies beyond net/http's buffer: aws-sdk-go-v2 can fail reading a
	// large chunked answer that arrives all at once ("use of closed network
	// connection", aws/aws-sdk-go-v2#2737).
	hdr["Content-Length"] = vals[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	h.observe(r, svc, op, status, code, err, requestID, start) // metrics and access log (reports.go)
}

// textXML is every response's Content-Type value, shared: net/http and
// its callers read header values, never write them in place.
var textXML = []string{"text/xml"}

// toQueryError maps any error to the wire error. Unknown errors are server
// faults: logged here, once, and reported without detail.
func (h *Handler) toQueryError(svc *awsmodel.Service, err error, requestID string, op *awsmodel.Operation) *awsquery.Error {
	var qe *awsquery.Error
	if errors.As(err, &qe) {
		return qe
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &awsquery.Error{Code: se.Code, Message: se.Message, Status: se.Status, Sender: true}
	}
	var ie *iam.Error
	if errors.As(err, &ie) {
		if ie.Code == iam.CodeServiceFailure {
			h.logFault(err, requestID, op)
		}
		return awsquery.ErrorFor(svc, string(ie.Code), ie.Message)
	}
	h.logFault(err, requestID, op)
	return awsquery.ErrorFor(svc, string(iam.CodeServiceFailure), "An internal error occurred.")
}

func (h *Handler) logFault(err error, requestID string, op *awsmodel.Operation) {
	action := ""
	if op != nil {
		action = op.Name
	}
	h.log.Error("request failed", "request_id", requestID, "action", action, "err", err)
}

// serve runs a request up to its result; the caller encodes it.
func (h *Handler) serve(q *request) (*awsmodel.Service, *awsmodel.Operation, awsquery.Struct, error) {
	r, requestID := q.r, q.requestID
	svc := h.iam
	body, err := h.requestBody(q)
	if err != nil {
		return svc, nil, nil, err
	}
	form, err := parseForm(r, body)
	if err != nil {
		return svc, nil, nil, err
	}
	action, version := awsquery.ParseCommon(form)
	// Until the signature names the service, errors are reported in the
	// namespace of the service whose model has the action.
	if _, ok := h.iam.Operations[action]; !ok {
		if _, ok := h.sts.Operations[action]; ok {
			svc = h.sts
		}
	}

	if svc == h.sts && isUnsignedSTS(r, action) {
		// The token or assertion in the request is the credential (sts.go).
		return h.serveUnsigned(q, form, action, version)
	}
	sig, err := q.signature()
	if err != nil {
		return svc, nil, nil, err
	}
	switch sig.Service {
	case "iam":
		svc = h.iam
	case "sts":
		svc = h.sts
	default:
		return svc, nil, nil, awsquery.ErrorFor(nil, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '"+svc.EndpointPrefix+"'. ")
	}
	var cred *iam.Credential
	if sig.SecurityToken != "" {
		// Temporary credentials: the token carries the session, sealed.
		c, err := h.svc.AuthenticateSession(sig.AccessKeyID, sig.SecurityToken)
		if err != nil {
			var ie *iam.Error
			if errors.As(err, &ie) && ie.Code == "ExpiredToken" {
				return svc, nil, nil, awsquery.ErrorFor(svc, "ExpiredToken", ie.Message)
			}
			return svc, nil, nil, invalidToken(svc)
		}
		cred = c
	} else if cred = h.svc.Authenticate(sig.AccessKeyID); cred == nil {
		return svc, nil, nil, invalidToken(svc)
	}
	verifier := h.iamVerifier
	if svc == h.sts {
		verifier = h.stsVerifier
	}
	if err := verifier.Verify(sig, r, body, cred.Secret, h.now()); err != nil {
		return svc, nil, nil, err
	}
	if cred.Principal.Session == nil {
		h.svc.RecordKeyUse(sig.AccessKeyID, svc.EndpointPrefix, sig.Region)
	} else if err := iam.SessionAllows(cred.Principal, svc.EndpointPrefix, action); err != nil {
		return svc, nil, nil, err
	} else {
		h.svc.RecordSessionUse(cred.Principal, sig.Region) // RoleLastUsed
	}

	if action == "" {
		return svc, nil, nil, awsquery.ErrorFor(nil, "MissingAction", "Missing Action")
	}
	op := svc.Operations[action]
	if op == nil || version != svc.APIVersion {
		return svc, nil, nil, awsquery.ErrorFor(nil, "InvalidAction", "Could not find operation "+action+" for version "+version)
	}
	in, err := awsquery.Decode(op, form)
	if err != nil {
		return svc, op, nil, err
	}
	route, ok := h.routes[op]
	if !ok {
		return svc, op, nil, awsquery.ErrorFor(nil, "NotImplemented", "iamd does not implement "+action+" yet")
	}
	// The credential's principal is shared; the request's copy carries
	// what condition keys need to know about this request.
	rp := &q.rp
	rp.p = *cred.Principal
	rp.info = iam.RequestInfo{Time: h.now(), UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil, Region: sig.Region}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rp.info.SourceIP = host
	}
	rp.p.Request = &rp.info
	c := &q.c
	*c = call{ctx: r.Context(), principal: &rp.p, in: in, requestID: requestID, region: sig.Region, ac: q.ac}
	out, err := route(c)
	return svc, op, out, err
}

// errTooLarge is HTTP 413, the status HTTP has for it; AWS documents no
// Query-protocol code for an oversized body.
// invalidToken is AWS's answer to an unknown access key or an unusable
// session token. IAM words it without the final period STS has (both
// as captured from real responses).
func invalidToken(svc *awsmodel.Service) *awsquery.Error {
	msg := "The security token included in the request is invalid."
	if svc.EndpointPrefix == "iam" {
		msg = strings.TrimSuffix(msg, ".")
	}
	return awsquery.ErrorFor(svc, "InvalidClientTokenId", msg)
}

var errTooLarge = &awsquery.Error{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge, Sender: true,
	Message: "Request body is too large."}

func (h *Handler) readBody(r *http.Request) ([]byte, error) {
	body, err := h.readBodyInto(r, nil)
	if err != nil {
		return nil, err
	}
	return body, nil
}

// requestBody reads q's body once, into a pooled buffer. What was read
// stays in q.body even on failure: the audit event names the action of a
// refused request from it.
func (h *Handler) requestBody(q *request) ([]byte, error) {
	if !q.bodyRead {
		q.bodyRead = true
		q.bodyBuf = bodyPool.Get().(*[]byte)
		q.body, q.bodyErr = h.readBodyInto(q.r, (*q.bodyBuf)[:0])
		if q.bodyErr == nil && q.r.Body != nil {
			// Read to its end: closing it now spares net/http draining it
			// (io.CopyN into io.Discard) before writing the response.
			_ = q.r.Body.Close()
		}
	}
	if q.bodyErr != nil {
		return nil, q.bodyErr
	}
	return q.body, nil
}

var errBodyUnreadable = awsquery.ErrorFor(nil, "MalformedQueryString", "The request body could not be read.")

// readBodyInto appends r's body to buf, reading at most h.maxBody+1
// bytes. It returns what it read, also with an error.
func (h *Handler) readBodyInto(r *http.Request, buf []byte) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return buf, errTooLarge
	}
	if r.Body == nil {
		return buf, nil
	}
	limit := int(h.maxBody + 1)
	if want := int(r.ContentLength) + 1; r.ContentLength >= 0 && cap(buf) < want {
		// The declared length and one byte to see the end without growing.
		buf = slices.Grow(buf, want)
	}
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 512)
		}
		room := buf[len(buf):cap(buf)]
		if len(buf)+len(room) > limit {
			room = room[:limit-len(buf)]
		}
		n, err := r.Body.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, errBodyUnreadable
		}
		if len(buf) >= limit {
			break
		}
	}
	if int64(len(buf)) > h.maxBody {
		return buf, errTooLarge
	}
	return buf, nil
}

// parseForm merges the query string and, for form POSTs, the body. SigV4's
// presigning parameters stay in the form; Decode ignores parameters that are
// not members of the operation's input.
func parseForm(r *http.Request, body []byte) (url.Values, error) {
	form := make(url.Values, 8)
	if !parseQueryInto(form, r.URL.RawQuery) {
		return nil, malformedQuery
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct == "" || hasPrefixFold(ct, "application/x-www-form-urlencoded") {
			// The body's values follow the query's under the same key, as
			// merging two url.ParseQuery results did.
			if !parseQueryInto(form, string(body)) {
				return nil, malformedQuery
			}
		}
	}
	return form, nil
}

// hasPrefixFold is strings.HasPrefix(strings.ToLower(s), prefix) for a
// lower-case ASCII prefix, without lowering a copy of s. Bytes of
// non-ASCII characters never match, as none lowers to this prefix's
// letters.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

var malformedQuery = awsquery.ErrorFor(nil, "MalformedQueryString", "The query string is malformed.")
