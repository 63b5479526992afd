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
	var ac *auditCall // the request's audit event, when the trail is on (audit.go)
	if h.audit != nil {
		ac, r = h.auditStart(r)
	}
	requestID := newRequestID()
	svc, op, result, err := h.limitAuth(r, requestID, h.serve)
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
	if ac != nil { // recorded durably before the response is written, or 500
		status = h.auditFinish(ac, r, buf, svc, op, result, err, status, requestID)
	}
	hdr := w.Header()
	hdr["X-Amzn-Requestid"] = []string{requestID}
	hdr["Content-Type"] = []string{"text/xml"}
	// An explicit length, as AWS sends, rather than chunked encoding for
	// bodies beyond net/http's buffer: aws-sdk-go-v2 can fail reading a
	// large chunked answer that arrives all at once ("use of closed network
	// connection", aws/aws-sdk-go-v2#2737).
	hdr["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	h.observe(r, svc, op, status, code, err, requestID, start) // metrics and access log (reports.go)
}

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
func (h *Handler) serve(r *http.Request, requestID string) (*awsmodel.Service, *awsmodel.Operation, awsquery.Struct, error) {
	svc := h.iam
	body, err := h.readBody(r)
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
		return h.serveUnsigned(r, requestID, form, action, version)
	}
	sig, err := sigv4.Parse(r)
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
	rp := &requestPrincipal{p: *cred.Principal}
	rp.info = iam.RequestInfo{Time: h.now(), UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil, Region: sig.Region}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rp.info.SourceIP = host
	}
	rp.p.Request = &rp.info
	c := &call{ctx: r.Context(), principal: &rp.p, in: in, requestID: requestID, region: sig.Region}
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
	if r.ContentLength > h.maxBody {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
	if err != nil {
		return nil, awsquery.ErrorFor(nil, "MalformedQueryString", "The request body could not be read.")
	}
	if int64(len(body)) > h.maxBody {
		return nil, errTooLarge
	}
	return body, nil
}

// parseForm merges the query string and, for form POSTs, the body. SigV4's
// presigning parameters stay in the form; Decode ignores parameters that are
// not members of the operation's input.
func parseForm(r *http.Request, body []byte) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, malformedQuery
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct == "" || strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			bodyForm, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, malformedQuery
			}
			if len(form) == 0 {
				return bodyForm, nil
			}
			for k, v := range bodyForm {
				form[k] = append(form[k], v...)
			}
		}
	}
	return form, nil
}

var malformedQuery = awsquery.ErrorFor(nil, "MalformedQueryString", "The query string is malformed.")
