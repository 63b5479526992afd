package authzapi

import (
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
	"github.com/iamd/iamd/sigv4"
)

// DefaultMaxBodyBytes caps a request body: a batch of 100 checks, each with
// a 20 KB resource policy, fits twice over.
const DefaultMaxBodyBytes = 4 << 20

// Auditor receives one event per decision. *audit.Writer implements it;
// decisions are read-only, so they are handed over without waiting for
// the disk, as httpapi does for read-only calls.
type Auditor interface {
	Enqueue(e *audit.Event) error
}

// Config holds the handler's dependencies.
type Config struct {
	Service      *iam.Service
	Audit        Auditor // nil: no audit trail
	Logger       *slog.Logger
	Clock        func() time.Time // nil: time.Now
	MaxBodyBytes int64            // 0: DefaultMaxBodyBytes
}

// Handler serves the authorization API and its adapters. It is safe for
// concurrent use.
type Handler struct {
	svc     *iam.Service
	audit   Auditor
	log     *slog.Logger
	now     func() time.Time
	maxBody int64
	// caller verifies the calling services' own signatures; subject the
	// forwarded client requests, with S3's presigned-URL rule (valid until
	// X-Amz-Expires), which is the strict one.
	caller, subject sigv4.Verifier
	mux             *http.ServeMux
	groups          auditGroups // decisions waiting to be recorded (audit.go)
	callers         callerCache // callers recently allowed iamd:Authorize (caller.go)
	// The decision endpoints, which ServeHTTP calls directly.
	authorizeFn, batchFn http.HandlerFunc
}

// NewHandler returns the handler. It serves the native API under
// wire.Prefix, the adapters under wire.Prefix too (minio, ceph) and the
// AuthZEN endpoints at /access/v1/ (where AuthZEN clients expect them).
func NewHandler(cfg Config) *Handler {
	h := &Handler{svc: cfg.Service, audit: cfg.Audit, log: cfg.Logger, now: cfg.Clock, maxBody: cfg.MaxBodyBytes}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	h.mux = http.NewServeMux()
	h.authorizeFn, h.batchFn = h.api(h.authorize), h.api(h.authorizeBatch)
	h.mux.HandleFunc("POST "+wire.AuthorizePath, h.authorizeFn)
	h.mux.HandleFunc("POST "+wire.BatchPath, h.batchFn)
	h.mux.HandleFunc("POST "+wire.Prefix+"minio", h.api(h.minio))
	h.mux.HandleFunc("POST "+wire.Prefix+"ceph", h.api(h.ceph))
	h.mux.HandleFunc("POST "+wire.Prefix+"ceph/v1/data/ceph/authz", h.api(h.ceph))
	h.mux.HandleFunc("POST /access/v1/evaluation", h.api(h.authzenEvaluation))
	h.mux.HandleFunc("POST /access/v1/evaluations", h.api(h.authzenEvaluations))
	h.mux.HandleFunc("POST "+wire.Prefix+"access/v1/evaluation", h.api(h.authzenEvaluation))
	h.mux.HandleFunc("POST "+wire.Prefix+"access/v1/evaluations", h.api(h.authzenEvaluations))
	// Custom services and policy validation (services.go): guarded by
	// their own iamd actions, not iamd:Authorize.
	h.mux.HandleFunc("POST "+wire.Prefix+"services", h.admin(h.putService))
	h.mux.HandleFunc("GET "+wire.Prefix+"services", h.admin(h.listServices))
	h.mux.HandleFunc("GET "+wire.Prefix+"services/{prefix}", h.admin(h.getService))
	h.mux.HandleFunc("DELETE "+wire.Prefix+"services/{prefix}", h.admin(h.deleteService))
	h.mux.HandleFunc("POST "+wire.Prefix+"validate-policy", h.admin(h.validatePolicy))
	// Errors stay JSON for paths and methods the mux does not serve.
	notFound := func(w http.ResponseWriter, r *http.Request) {
		e := requestErr(http.StatusNotFound, "NotFound", "No such endpoint: "+r.Method+" "+r.URL.Path)
		if _, pattern := h.mux.Handler(&http.Request{Method: http.MethodPost, URL: r.URL, Host: r.Host}); pattern != wire.Prefix && pattern != "/access/v1/" {
			e = requestErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "Method "+r.Method+" is not allowed on "+r.URL.Path)
		}
		writeError(w, newRequestID(), e)
	}
	h.mux.HandleFunc(wire.Prefix, notFound)
	h.mux.HandleFunc("/access/v1/", notFound)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The two decision endpoints skip the mux's pattern matching, which
	// allocates; a clean path is what the mux would have matched.
	if r.Method == http.MethodPost && r.URL.RawPath == "" {
		switch r.URL.Path {
		case wire.AuthorizePath:
			h.authorizeFn(w, r)
			return
		case wire.BatchPath:
			h.batchFn(w, r)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// DecisionsFirst returns a handler that serves the two decision endpoints
// itself and everything else with next. A server that mounts h in its
// own ServeMux puts this in front of the mux: the mux's pattern matching
// costs about 1 µs of CPU a request, some 3% of a decision's, on the path
// every decision takes. It only takes what the mux would have routed to h
// anyway (POST, clean paths), so routing is unchanged.
func (h *Handler) DecisionsFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.RawPath == "" && (r.URL.Path == wire.AuthorizePath || r.URL.Path == wire.BatchPath) {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// call is one API request in flight.
type call struct {
	r         *http.Request
	body      []byte
	caller    *iam.Principal
	requestID string
	now       time.Time
	sourceIP  string
	// out, when set by an endpoint that returned nil, is its encoded
	// answer (the decision endpoints encode their own: codec.go).
	out []byte
	// encoded is out's buffer, returned to bufPool after the answer is
	// written.
	encoded *[]byte
	// Storage for /authorize, allocated with the call.
	single      wire.AuthorizeRequest
	singleCheck [1]iam.Check
}

type apiError struct {
	status int
	body   wire.ErrorBody
}

func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Message }

// bufPool holds request and response buffers of the decision endpoints,
// which are read and written within the request: a buffer per request
// was most of a decision's garbage. Buffers grown past maxPooledBuf (a
// large batch) are left to the collector rather than kept.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

const maxPooledBuf = 64 << 10

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if b != nil && cap(*b) <= maxPooledBuf {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// api wraps a decision endpoint: body limit, caller authentication and
// iamd:Authorize, JSON answer or error.
func (h *Handler) api(fn func(c *call) (any, *apiError)) http.HandlerFunc {
	return h.endpoint(fn, true)
}

// admin wraps an endpoint whose iam method checks its own action.
func (h *Handler) admin(fn func(c *call) (any, *apiError)) http.HandlerFunc {
	return h.endpoint(fn, false)
}

func (h *Handler) endpoint(fn func(c *call) (any, *apiError), decisions bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := &call{r: r, requestID: newRequestID(), now: h.now()}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			c.sourceIP = host
		}
		// The decision endpoints copy what they keep out of the body
		// (codec.go, encoding/json for the adapters), so their body
		// buffer is reused; the administrative ones hand it to iam.
		var in *[]byte
		if decisions {
			in = getBuf()
			defer putBuf(in)
		}
		body, aerr := h.readBody(w, r, in)
		if aerr != nil {
			writeError(w, c.requestID, aerr)
			return
		}
		c.body = body
		if aerr := h.authenticateCaller(c, decisions); aerr != nil {
			writeError(w, c.requestID, aerr)
			return
		}
		out, aerr := fn(c)
		defer putBuf(c.encoded)
		if aerr != nil {
			writeError(w, c.requestID, aerr)
			return
		}
		if out == nil && c.out != nil {
			writeBody(w, http.StatusOK, c.requestID, c.out)
			return
		}
		writeJSON(w, http.StatusOK, c.requestID, out)
	}
}

// readBody reads the request body, up to the handler's limit, into buf
// (nil: a new buffer).
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, buf *[]byte) ([]byte, *apiError) {
	tooLarge := func() *apiError {
		return requestErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large.")
	}
	if r.ContentLength > h.maxBody {
		// Also tells net/http to close the connection rather than read
		// the rest.
		_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, 0))
		return nil, tooLarge()
	}
	body := r.Body
	if r.ContentLength < 0 {
		body = http.MaxBytesReader(w, r.Body, h.maxBody)
	}
	// Sized from Content-Length, so that a body is read in one
	// allocation (or none, with a pooled buffer) rather than grown.
	var b []byte
	if buf != nil {
		b = (*buf)[:0]
	}
	if want := int(min(max(r.ContentLength+1, 512), h.maxBody+1)); cap(b) < want {
		b = make([]byte, 0, want)
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge()
			}
			return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "The request body could not be read.")
		}
	}
	if buf != nil {
		*buf = b
	}
	return b, nil
}

// authenticateCaller verifies the calling service: SigV4 signed for
// service "iamd" (any region), or "Authorization: Bearer KEYID:SECRET" for
// the adapters whose systems only send a static token. Either way the
// caller's policies must allow iamd:Authorize.
func (h *Handler) authenticateCaller(c *call, decisions bool) *apiError {
	r := c.r
	var cred *iam.Credential
	if token, ok := staticToken(r); ok {
		id, secret, ok := strings.Cut(token, ":")
		if !ok {
			return callerErr(http.StatusForbidden, "InvalidClientTokenId", "The bearer token must be ACCESS_KEY_ID:SECRET_ACCESS_KEY.")
		}
		cred = h.svc.Authenticate(id)
		// Compare even for unknown keys so that timing does not tell them
		// apart from wrong secrets.
		want := []byte("\x00unknown-access-key")
		if cred != nil {
			want = cred.Secret
		}
		if subtle.ConstantTimeCompare(want, []byte(secret)) != 1 || cred == nil {
			return callerErr(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
	} else {
		q, err := sigv4.Parse(r)
		if err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
		if err := q.CheckScope("", wire.SigningService); err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
		if err := h.caller.CheckTime(q, c.now); err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
		if q.SecurityToken != "" {
			if cred, err = h.svc.AuthenticateSession(q.AccessKeyID, q.SecurityToken); err != nil {
				return sourceErr(wire.SourceCaller, err)
			}
		} else if cred = h.svc.Authenticate(q.AccessKeyID); cred == nil {
			return callerErr(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		if err := h.caller.Verify(q, r, c.body, cred.Secret, c.now); err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
	}
	ua, secure := r.UserAgent(), r.TLS != nil
	// Only long-term keys are cached (caller.go); their principal has no
	// session.
	cacheable := decisions && cred.Principal.Session == nil
	var rev int64
	if cacheable {
		rev = h.svc.AuthzRevision() // before deciding: a decision is never newer than its label
		if p := h.callers.get(cred.Principal.AccessKeyID, cred, rev, c.now.Unix(), c.sourceIP, ua, secure); p != nil {
			c.caller = p
			return nil
		}
	}
	p := *cred.Principal
	p.Request = &iam.RequestInfo{Time: c.now, SourceIP: c.sourceIP, UserAgent: ua, SecureTransport: secure}
	if decisions {
		if err := h.svc.Authorize(&p, wire.Action, "*"); err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
	}
	if cacheable {
		h.callers.put(cred.Principal.AccessKeyID, &callerEntry{cred: cred, rev: rev, second: c.now.Unix(), sourceIP: c.sourceIP,
			userAgent: ua, secure: secure, principal: &p})
	}
	c.caller = &p
	return nil
}

// staticToken returns the token of "Authorization: Bearer T" (MinIO's
// auth_token, AuthZEN clients) or "X-Auth-Token: T" (Ceph RGW's
// rgw_opa_token).
func staticToken(r *http.Request) (string, bool) {
	if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:]), true
	}
	if t := r.Header.Get("X-Auth-Token"); t != "" {
		return strings.TrimSpace(t), true
	}
	return "", false
}

// resolve finds the subject's principal.
func (h *Handler) resolve(c *call, s *wire.Subject) (*iam.Principal, *apiError) {
	switch {
	case s.SignedRequest != nil && s.PrincipalARN != "":
		return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "Give either signedRequest or principalArn, not both.")
	case s.SignedRequest != nil:
		sr := s.SignedRequest
		in := &iam.SignedRequest{Method: sr.Method, Path: sr.Path, Query: sr.Query, Header: http.Header(sr.Header)}
		if sr.PayloadHash != "" && !hasHeader(sr.Header, "X-Amz-Content-Sha256") {
			in.Header = http.Header(cloneHeader(sr.Header))
			in.Header["X-Amz-Content-Sha256"] = []string{sr.PayloadHash}
		}
		p, err := h.svc.AuthenticateRequest(&h.subject, in, c.now)
		if err != nil {
			return nil, sourceErr(wire.SourceSubject, err)
		}
		return p, nil
	case s.PrincipalARN != "":
		p, err := h.svc.PrincipalFromARN(s.PrincipalARN, c.now)
		if err != nil {
			return nil, sourceErr(wire.SourceSubject, err)
		}
		return p, nil
	}
	return nil, requestErr(http.StatusBadRequest, "InvalidRequest", "A signedRequest or a principalArn is required.")
}

// hasHeader looks name up in a header map whose keys the caller may not
// have canonicalized.
func hasHeader(h map[string][]string, name string) bool {
	for k := range h {
		if len(k) == len(name) && equalFold(k, name) {
			return true
		}
	}
	return false
}

func cloneHeader(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h)+1)
	for k, v := range h {
		out[k] = v
	}
	return out
}

// decide runs the checks for p and audits every decision.
func (h *Handler) decide(c *call, p *iam.Principal, in iam.DecideInput, source string) ([]iam.CheckResult, *apiError) {
	res, err := h.svc.Decide(p, in)
	if err != nil {
		return nil, sourceErr(wire.SourceRequest, err)
	}
	h.record(c, p, "", in.Checks, res, source, nil)
	return res, nil
}

// failSubject audits a subject that could not be resolved, then returns
// the error.
func (h *Handler) failSubject(c *call, s *wire.Subject, checks []iam.Check, aerr *apiError, source string) *apiError {
	keyID := ""
	if s.SignedRequest != nil {
		keyID = accessKeyOf(s.SignedRequest)
	}
	h.record(c, nil, keyID, checks, nil, source, aerr)
	return aerr
}

func (h *Handler) authorize(c *call) (any, *apiError) {
	in := &c.single
	if aerr := decodeAuthorize(c.body, in); aerr != nil {
		return nil, aerr
	}
	c.singleCheck[0] = toCheck(&in.Check)
	checks := c.singleCheck[:]
	p, aerr := h.resolve(c, &in.Subject)
	if aerr != nil {
		return nil, h.failSubject(c, &in.Subject, checks, aerr, "authorize")
	}
	res, aerr := h.decide(c, p, iam.DecideInput{Checks: checks}, "authorize")
	if aerr != nil {
		return nil, aerr
	}
	c.encoded = getBuf()
	out, ok := h.appendAuthorizeResponse((*c.encoded)[:0], c.requestID, p, &checks[0], &res[0])
	if !ok {
		return &wire.AuthorizeResponse{RequestID: c.requestID, Principal: h.principal(p), Result: result(&checks[0], &res[0])}, nil
	}
	*c.encoded, c.out = out, out
	return nil, nil
}

func (h *Handler) authorizeBatch(c *call) (any, *apiError) {
	var in wire.BatchRequest
	if aerr := decodeBatch(c.body, &in); aerr != nil {
		return nil, aerr
	}
	if len(in.Checks) == 0 || len(in.Checks) > iam.MaxDecideChecks {
		return nil, requestErr(http.StatusBadRequest, "InvalidInput", "A batch holds 1 to "+strconv.Itoa(iam.MaxDecideChecks)+" checks.")
	}
	checks := make([]iam.Check, len(in.Checks))
	for i := range in.Checks {
		checks[i] = toCheck(&in.Checks[i])
	}
	p, aerr := h.resolve(c, &in.Subject)
	if aerr != nil {
		return nil, h.failSubject(c, &in.Subject, checks, aerr, "authorize-batch")
	}
	res, aerr := h.decide(c, p, iam.DecideInput{Checks: checks, ResourcePolicy: in.ResourcePolicy, ResourceAccount: in.ResourceAccount}, "authorize-batch")
	if aerr != nil {
		return nil, aerr
	}
	c.encoded = getBuf()
	enc, ok := h.appendBatchResponse((*c.encoded)[:0], c.requestID, p, checks, res)
	if !ok {
		out := &wire.BatchResponse{RequestID: c.requestID, Principal: h.principal(p), Results: make([]wire.Result, len(res))}
		for i := range res {
			out.Results[i] = result(&checks[i], &res[i])
		}
		return out, nil
	}
	*c.encoded, c.out = enc, enc
	return nil, nil
}

func toCheck(c *wire.Check) iam.Check {
	return iam.Check{Action: c.Action, Resource: c.Resource, Context: c.Context, ResourcePolicy: c.ResourcePolicy, ResourceAccount: c.ResourceAccount}
}

func result(c *iam.Check, r *iam.CheckResult) wire.Result {
	out := wire.Result{Action: c.Action, Resource: c.Resource, Decision: r.Decision.String(), Allowed: r.Decision == policy.Allow,
		Matched: make([]wire.Statement, len(r.Matched))}
	if r.Decision != policy.Allow {
		out.Gate = r.Gate.String()
	}
	for i, m := range r.Matched {
		out.Matched[i] = wire.Statement{Gate: m.Gate.String(), PolicyID: m.Policy, VersionID: m.Version, Index: m.Index, Sid: m.Sid, Effect: m.Effect.String()}
	}
	return out
}

// principal describes p on the wire. Secrets (the session's secret key,
// its token) never leave iamd.
func (h *Handler) principal(p *iam.Principal) wire.Principal {
	return principalWire(p, h.svc.PrincipalTags(p))
}

func principalWire(p *iam.Principal, tags []iam.Tag) wire.Principal {
	out := wire.Principal{Type: p.Type.String(), ARN: p.ARN, AccountID: p.AccountID, UserID: p.UserID, UserName: p.UserName,
		AccessKeyID: p.AccessKeyID, Tags: []wire.Tag{}}
	for _, t := range tags {
		out.Tags = append(out.Tags, wire.Tag{Key: t.Key, Value: t.Value})
	}
	if s := p.Session; s != nil {
		ws := &wire.Session{Kind: string(s.Kind), RoleARN: s.RoleARN, SessionName: s.SessionName, MFA: s.MFA, SourceIdentity: s.SourceIdentity}
		if s.Expires != 0 {
			issued, expires := time.Unix(s.Issued, 0).UTC(), time.Unix(s.Expires, 0).UTC()
			ws.Issued, ws.Expires = &issued, &expires
		}
		if s.Kind == iam.SessionFederated {
			ws.SessionName = s.FederatedName
		}
		if s.MFA && s.MFAAuthTime != 0 {
			t := time.Unix(s.MFAAuthTime, 0).UTC()
			ws.MFAAuthTime = &t
		}
		out.Session = ws
	}
	return out
}

// accessKeyOf extracts the access key ID a forwarded request names, for
// the audit event of a request that failed authentication.
func accessKeyOf(sr *wire.SignedRequest) string {
	r, err := http.NewRequest(http.MethodGet, "http://x/", nil)
	if err != nil {
		return ""
	}
	r.Header = make(http.Header, len(sr.Header))
	for k, v := range sr.Header {
		r.Header[http.CanonicalHeaderKey(k)] = v
	}
	r.URL.RawQuery = sr.Query
	r.Host = r.Header.Get("Host")
	if q, err := sigv4.Parse(r); err == nil {
		return q.AccessKeyID
	}
	return ""
}

func decodeJSON(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return requestErr(http.StatusBadRequest, "InvalidRequest", "The request body is not valid JSON for this endpoint: "+jsonProblem(err))
	}
	return nil
}

// jsonProblem words a decoding error without echoing the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at offset " + strconv.FormatInt(se.Offset, 10) + "."
	case errors.As(err, &te):
		return "field " + strconv.Quote(te.Field) + " has the wrong type."
	}
	return "malformed."
}

func requestErr(status int, code, msg string) *apiError {
	return &apiError{status: status, body: wire.ErrorBody{Code: code, Message: msg, Source: wire.SourceRequest}}
}

func callerErr(status int, code, msg string) *apiError {
	return &apiError{status: status, body: wire.ErrorBody{Code: code, Message: msg, Source: wire.SourceCaller}}
}

// codeStatus maps the codes iam and sigv4 return to HTTP statuses.
var codeStatus = map[string]int{
	"AccessDenied": http.StatusForbidden, "InvalidClientTokenId": http.StatusForbidden, "ExpiredToken": http.StatusForbidden,
	"InvalidInput": http.StatusBadRequest, "MalformedPolicyDocument": http.StatusBadRequest, "ValidationError": http.StatusBadRequest,
	"NoSuchEntity": http.StatusNotFound, "LimitExceeded": http.StatusBadRequest,
	"EntityAlreadyExists": http.StatusConflict, "ConcurrentModification": http.StatusConflict,
}

// sourceErr turns an iam or sigv4 error into the API's error, attributed
// to source. Anything unrecognised is a server fault.
func sourceErr(source string, err error) *apiError {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &apiError{status: se.Status, body: wire.ErrorBody{Code: se.Code, Message: se.Message, Source: source}}
	}
	var ie *iam.Error
	if errors.As(err, &ie) && ie.Code != iam.CodeServiceFailure {
		st, ok := codeStatus[string(ie.Code)]
		if !ok {
			st = http.StatusBadRequest
		}
		return &apiError{status: st, body: wire.ErrorBody{Code: string(ie.Code), Message: ie.Message, Source: source}}
	}
	return &apiError{status: http.StatusInternalServerError, body: wire.ErrorBody{Code: "ServiceFailure", Message: "An internal error occurred.", Source: wire.SourceServer}}
}

func writeJSON(w http.ResponseWriter, status int, requestID string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"ServiceFailure","message":"An internal error occurred.","source":"server"},"requestId":"` + requestID + `"}`)
	}
	writeBody(w, status, requestID, b)
}

func writeBody(w http.ResponseWriter, status int, requestID string, b []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	// One allocation for both values.
	v := []string{requestID, strconv.Itoa(len(b))}
	hdr["X-Request-Id"] = v[0:1:1]
	hdr["Content-Length"] = v[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonContentType is shared by every answer; net/http only reads it.
var jsonContentType = []string{"application/json"}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	b := getBuf()
	defer putBuf(b)
	*b = appendErrorResponse((*b)[:0], requestID, &e.body)
	writeBody(w, e.status, requestID, *b)
}

// newRequestID returns a random (version 4) UUID. Request IDs need to be
// unique, not secret: the runtime's per-thread ChaCha8 generator
// (math/rand/v2), seeded from the OS, gives that without a system call.
func newRequestID() string {
	const hex = "0123456789abcdef"
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[x>>4], hex[x&0xf]
		j += 2
	}
	return string(s[:])
}
