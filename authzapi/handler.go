package authzapi

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	h.mux.HandleFunc("POST "+wire.AuthorizePath, h.api(h.authorize))
	h.mux.HandleFunc("POST "+wire.BatchPath, h.api(h.authorizeBatch))
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

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// call is one API request in flight.
type call struct {
	r         *http.Request
	body      []byte
	caller    *iam.Principal
	requestID string
	now       time.Time
	sourceIP  string
}

type apiError struct {
	status int
	body   wire.ErrorBody
}

func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Message }

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
		// Sized from Content-Length, so that a body is read in one
		// allocation rather than grown from 512 bytes.
		buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength+1, 512), h.maxBody+1)))
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody))
		body := buf.Bytes()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, c.requestID, requestErr(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is too large."))
				return
			}
			writeError(w, c.requestID, requestErr(http.StatusBadRequest, "InvalidRequest", "The request body could not be read."))
			return
		}
		c.body = body
		if aerr := h.authenticateCaller(c, decisions); aerr != nil {
			writeError(w, c.requestID, aerr)
			return
		}
		out, aerr := fn(c)
		if aerr != nil {
			writeError(w, c.requestID, aerr)
			return
		}
		writeJSON(w, http.StatusOK, c.requestID, out)
	}
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
	p := *cred.Principal
	p.Request = &iam.RequestInfo{Time: c.now, SourceIP: c.sourceIP, UserAgent: r.UserAgent(), SecureTransport: r.TLS != nil}
	if decisions {
		if err := h.svc.Authorize(&p, wire.Action, "*"); err != nil {
			return sourceErr(wire.SourceCaller, err)
		}
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
	var in wire.AuthorizeRequest
	if aerr := decodeJSON(c.body, &in); aerr != nil {
		return nil, aerr
	}
	checks := []iam.Check{toCheck(&in.Check)}
	p, aerr := h.resolve(c, &in.Subject)
	if aerr != nil {
		return nil, h.failSubject(c, &in.Subject, checks, aerr, "authorize")
	}
	res, aerr := h.decide(c, p, iam.DecideInput{Checks: checks}, "authorize")
	if aerr != nil {
		return nil, aerr
	}
	return &wire.AuthorizeResponse{RequestID: c.requestID, Principal: h.principal(p), Result: result(&checks[0], &res[0])}, nil
}

func (h *Handler) authorizeBatch(c *call) (any, *apiError) {
	var in wire.BatchRequest
	if aerr := decodeJSON(c.body, &in); aerr != nil {
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
	out := &wire.BatchResponse{RequestID: c.requestID, Principal: h.principal(p), Results: make([]wire.Result, len(res))}
	for i := range res {
		out.Results[i] = result(&checks[i], &res[i])
	}
	return out, nil
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
	out := wire.Principal{Type: p.Type.String(), ARN: p.ARN, AccountID: p.AccountID, UserID: p.UserID, UserName: p.UserName,
		AccessKeyID: p.AccessKeyID, Tags: []wire.Tag{}}
	for _, t := range h.svc.PrincipalTags(p) {
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
	hdr := w.Header()
	hdr["Content-Type"] = []string{"application/json"}
	hdr["X-Request-Id"] = []string{requestID}
	hdr["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	writeJSON(w, e.status, requestID, &wire.ErrorResponse{Error: e.body, RequestID: requestID})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
