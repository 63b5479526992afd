package iam

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/policy"
	"github.com/iamd/iamd/sigv4"
)

// This file is iamd's decision point for other services (the authorization
// API, package authzapi): it resolves a principal from a client's SigV4
// request or from an ARN the calling service already authenticated, and
// decides checks for it with the evaluation path enforcement uses
// (identitySet, fillContext, policyPrincipal, policy.Evaluate), adding the
// resource's own policy and owning account, which IAM's own resources never
// need.

// Check is one authorization question for a principal: may it perform
// Action on Resource, with these request-specific condition keys.
type Check struct {
	Action   string // service:Action
	Resource string // ARN, or "*"
	// Context holds request-specific condition keys (s3:prefix,
	// aws:RequestTag/k, aws:SourceIp, ...). Keys that describe the
	// principal are iamd's to set and are refused (see ReservedContextKey).
	Context map[string][]string
	// ResourcePolicy and ResourceAccount, when set, override the call's
	// (DecideInput) for this check.
	ResourcePolicy  string
	ResourceAccount string
}

// DecideInput is what Decide evaluates besides the principal.
type DecideInput struct {
	Checks []Check
	// ResourcePolicy is the resource's own resource-based policy (a
	// bucket policy, a queue policy), JSON; empty if none.
	ResourcePolicy string
	// ResourceAccount is the account that owns the resources; empty means
	// the account in each resource ARN, or the principal's own when the
	// ARN names none (arn:aws:s3:::bucket).
	ResourceAccount string
}

// CheckResult is the decision on one Check.
type CheckResult struct {
	Decision policy.Effect // Allow, ExplicitDeny or ImplicitDeny
	// Gate is the policy type that decided a denial (identity, resource,
	// boundary, session); GateNone for Allow.
	Gate    policy.Gate
	Matched []policy.StatementRef
}

// Decision limits: callers are other services, but their input is still
// untrusted, and policy.Context has fixed-size arenas.
const (
	MaxDecideChecks      = 100
	maxContextKeys       = 64
	maxContextValues     = 256
	maxContextKeyLen     = 256
	maxContextValueBytes = 16 << 10
	maxResourcePolicy    = 20 << 10 // S3's bucket policy quota, the largest of AWS's resource policies
)

// reservedContextKeys describe the principal or the evaluation itself:
// iamd derives them, and a caller could otherwise claim any identity's
// tags or MFA. Lower-case, as keys compare.
var reservedContextKeys = map[string]bool{
	"aws:principalarn": true, "aws:principalaccount": true, "aws:principaltype": true, "aws:userid": true, "aws:username": true,
	"aws:multifactorauthpresent": true, "aws:multifactorauthage": true, "aws:tokenissuetime": true, "aws:sourceidentity": true,
	"aws:viaawsservice": true, "aws:principalisawsservice": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:principalservicename": true, "aws:principalservicenameslist": true, "aws:federatedprovider": true,
	"aws:currenttime": true, "aws:epochtime": true, "aws:calledvia": true, "aws:calledviafirst": true, "aws:calledvialast": true,
}

// ReservedContextKey reports whether a caller may not supply key: it is
// one iamd derives from the principal or the clock.
func ReservedContextKey(key string) bool {
	if len(key) < 4 || !strings.EqualFold(key[:4], "aws:") {
		return false // service keys (s3:prefix) never are
	}
	// Lower-cased on the stack when ASCII: this runs for every context
	// key of every decision. Other keys take strings.ToLower, whose
	// Unicode mapping (K, the Kelvin sign, is k) is the one to refuse.
	var buf [64]byte
	if len(key) > len(buf) {
		k := strings.ToLower(key)
		return reservedContextKeys[k] || strings.HasPrefix(k, "aws:principaltag/")
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c >= utf8.RuneSelf {
			k := strings.ToLower(key)
			return reservedContextKeys[k] || strings.HasPrefix(k, "aws:principaltag/")
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	k := buf[:len(key)]
	return reservedContextKeys[string(k)] || bytes.HasPrefix(k, []byte("aws:principaltag/"))
}

// Decide evaluates each check for p with AWS's logic, exactly as
// enforcement does: p's identity-based policies, permissions boundary and
// session policies, plus the resource policy, same-account union or
// cross-account intersection by the resource's owning account. It reads
// only memory. Errors are *Error with CodeInvalidInput (bad checks,
// reserved context keys, a malformed resource policy).
func (s *Service) Decide(p *Principal, in DecideInput) ([]CheckResult, error) {
	if len(in.Checks) == 0 {
		return nil, Errorf(CodeInvalidInput, "At least one check is required.")
	}
	if len(in.Checks) > MaxDecideChecks {
		return nil, Errorf(CodeInvalidInput, "At most %d checks are allowed per request.", MaxDecideChecks)
	}
	if in.ResourceAccount != "" && !isAccountID(in.ResourceAccount) {
		return nil, Errorf(CodeInvalidInput, "ResourceAccount %q must be a 12-digit account ID.", clip(in.ResourceAccount))
	}
	for i := range in.Checks {
		if err := validCheck(&in.Checks[i]); err != nil {
			return nil, err
		}
	}
	ident, err := s.identitySet(p)
	if err != nil {
		return nil, err
	}
	pctx := contextPool.Get().(*policy.Context)
	defer contextPool.Put(pctx)
	out := make([]CheckResult, len(in.Checks))
	var refs []policy.StatementRef
	var endsSmall [8][2]int // where each result's statements lie in refs
	var ends [][2]int
	if len(in.Checks) <= len(endsSmall) {
		ends = endsSmall[:len(in.Checks)]
	} else {
		ends = make([][2]int, len(in.Checks))
	}
	d := decisionPool.Get().(*policy.Decision)
	defer decisionPool.Put(d)
	req := policy.Request{Principal: s.policyPrincipal(p), Context: pctx}
	// The principal's keys are the same for every check: a check without
	// keys of its own reuses the context the previous such check filled
	// (evaluation only reads it), which is most of a batch's checks.
	bare := false
	for i := range in.Checks {
		c := &in.Checks[i]
		doc, acct := in.ResourcePolicy, in.ResourceAccount
		if c.ResourcePolicy != "" {
			doc = c.ResourcePolicy
		}
		if c.ResourceAccount != "" {
			acct = c.ResourceAccount
		}
		set := *ident
		if doc != "" {
			rp, err := s.resourcePolicy(doc)
			if err != nil {
				return nil, err
			}
			set.Resource = rp
		}
		set.ResourceAccount = acct
		if set.ResourceAccount == "" {
			set.ResourceAccount = arnAccount(c.Resource)
		}
		if !bare || len(c.Context) > 0 {
			pctx.Reset()
			s.fillContext(pctx, p)
			for k, v := range c.Context {
				pctx.Set(k, v...)
			}
			bare = len(c.Context) == 0
		}
		req.Action, req.Resource = c.Action, c.Resource
		policy.Evaluate(&set, &req, d)
		out[i] = CheckResult{Decision: d.Effect, Gate: d.Gate}
		if len(d.Matched) > 0 {
			// All checks' statements share one array; each result's
			// slice is cut from it once it no longer grows.
			if refs == nil { // sized as if the other checks matched as many
				refs = make([]policy.StatementRef, 0, len(d.Matched)*(len(in.Checks)-i))
			}
			ends[i] = [2]int{len(refs), len(refs) + len(d.Matched)}
			refs = append(refs, d.Matched...)
		}
	}
	for i := range out {
		if e := ends[i]; e[1] > 0 {
			out[i].Matched = refs[e[0]:e[1]:e[1]]
		}
	}
	return out, nil
}

func validCheck(c *Check) error {
	if c.Action == "" || strings.IndexByte(c.Action, ':') <= 0 || len(c.Action) > 128 {
		return Errorf(CodeInvalidInput, "Action %q must be service:Action.", clip(c.Action))
	}
	if c.Resource == "" || len(c.Resource) > 2048 || (c.Resource != "*" && !strings.HasPrefix(c.Resource, "arn:")) {
		return Errorf(CodeInvalidInput, "Resource %q must be an ARN or \"*\".", clip(c.Resource))
	}
	if c.ResourceAccount != "" && !isAccountID(c.ResourceAccount) {
		return Errorf(CodeInvalidInput, "ResourceAccount %q must be a 12-digit account ID.", clip(c.ResourceAccount))
	}
	if len(c.Context) > maxContextKeys {
		return Errorf(CodeInvalidInput, "At most %d context keys are allowed per check.", maxContextKeys)
	}
	values, size := 0, 0
	for k, v := range c.Context {
		if k == "" || len(k) > maxContextKeyLen {
			return Errorf(CodeInvalidInput, "Context key %q is empty or too long.", clip(k))
		}
		if ReservedContextKey(k) {
			return Errorf(CodeInvalidInput, "Context key %s is set by iamd from the principal and cannot be supplied.", clip(k))
		}
		values += len(v)
		for _, s := range v {
			size += len(s)
		}
	}
	if values > maxContextValues || size > maxContextValueBytes {
		return Errorf(CodeInvalidInput, "A check's context may hold at most %d values and %d bytes.", maxContextValues, maxContextValueBytes)
	}
	return nil
}

// resourcePolicy parses and compiles a caller-supplied resource policy,
// once per distinct text (the compile cache is keyed by the document).
func (s *Service) resourcePolicy(doc string) (*policy.Compiled, error) {
	if len(doc) > maxResourcePolicy {
		return nil, Errorf(CodeInvalidInput, "The resource policy exceeds %d bytes.", maxResourcePolicy)
	}
	// Parse first so that a bad document is the caller's error rather
	// than compile's ServiceFailure.
	if _, err := policy.Parse(doc, policy.Resource); err != nil {
		return nil, Errorf(CodeMalformedPolicy, "Resource policy: %s", policyErrorMessage(err))
	}
	return s.compile("resource:"+doc, "resource-policy", "", doc, policy.Resource)
}

// SignedRequest is a client's SigV4-signed HTTP request as another service
// received it, forwarded to iamd so that iamd verifies it with the secret
// it holds.
type SignedRequest struct {
	Method string
	// Path is the request target's path exactly as on the wire (escaped).
	Path string
	// Query is the raw query string, without '?'.
	Query string
	// Header holds the request's header fields, including Host (and
	// Content-Length when the client signed it).
	Header http.Header
	// Body, when not nil, is checked against X-Amz-Content-Sha256 (or
	// hashed when that header is absent); nil trusts the header, which is
	// how a service that streams the body forwards it.
	Body []byte
}

// AuthenticateRequest verifies a forwarded SigV4 request, for any service
// named in its credential scope, and returns its principal: access keys
// and STS session credentials (with X-Amz-Security-Token). Errors are
// *sigv4.Error (malformed, SignatureDoesNotMatch, time skew) or *Error
// (InvalidClientTokenId, ExpiredToken). v keeps derived keys between
// calls; now is the time the request is judged at.
func (s *Service) AuthenticateRequest(v *sigv4.Verifier, in *SignedRequest, now time.Time) (*Principal, error) {
	r, err := in.httpRequest()
	if err != nil {
		return nil, err
	}
	q, err := sigv4.Parse(r)
	if err != nil {
		return nil, err
	}
	if err := v.CheckTime(q, now); err != nil {
		return nil, err
	}
	var cred *Credential
	if q.SecurityToken != "" {
		if cred, err = s.AuthenticateSession(q.AccessKeyID, q.SecurityToken); err != nil {
			return nil, err
		}
	} else if cred = s.Authenticate(q.AccessKeyID); cred == nil {
		return nil, ErrInvalidToken
	}
	if err := v.Verify(q, r, in.Body, cred.Secret, now); err != nil {
		return nil, err
	}
	if err := SessionAllows(cred.Principal, q.Service, ""); err != nil {
		return nil, err
	}
	if cred.Principal.Session == nil {
		s.RecordKeyUse(q.AccessKeyID, q.Service, q.Region)
	}
	return withRequest(*cred.Principal, RequestInfo{Time: now, UserAgent: in.Header.Get("User-Agent"), Region: q.Region}), nil
}

// withRequest returns a copy of p with its request: one allocation for
// both, since a decision needs a fresh pair every time.
func withRequest(p Principal, r RequestInfo) *Principal {
	pr := &struct {
		p Principal
		r RequestInfo
	}{p, r}
	pr.p.Request = &pr.r
	return &pr.p
}

// hasARN reports whether arn is u's ARN (entityARN's layout), without
// building it: this runs for every decision about a user.
func (u *User) hasARN(arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:"+Partition+":iam::")
	if !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, u.AccountID); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, ":user"); !ok {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, u.Path); !ok {
		return false
	}
	return rest == u.Name
}

// httpRequest rebuilds the request as net/http's server would have
// presented it, which is what sigv4 canonicalizes.
func (in *SignedRequest) httpRequest() (*http.Request, error) {
	if in.Method == "" || !strings.HasPrefix(in.Path, "/") || strings.ContainsAny(in.Path, "? \r\n") || strings.ContainsAny(in.Query, " \r\n#") {
		return nil, Errorf(CodeInvalidInput, "The signed request needs a method, a path starting with / and a raw query.")
	}
	target := in.Path
	if in.Query != "" {
		target += "?" + in.Query
	}
	r, err := http.NewRequest(in.Method, "http://placeholder"+target, nil)
	if err != nil {
		return nil, Errorf(CodeInvalidInput, "The signed request's path or query is malformed.")
	}
	r.RequestURI = target
	r.Header = make(http.Header, len(in.Header))
	for k, v := range in.Header {
		r.Header[http.CanonicalHeaderKey(k)] = v
	}
	r.Host = r.Header.Get("Host")
	r.Header.Del("Host") // net/http moves it out of Header; sigv4 reads r.Host
	if r.Host == "" {
		return nil, Errorf(CodeInvalidInput, "The signed request's Host header is required.")
	}
	r.URL.Host = r.Host
	if cl := r.Header.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, Errorf(CodeInvalidInput, "The signed request's Content-Length is malformed.")
		}
		r.ContentLength = n
	}
	return r, nil
}

// PrincipalFromARN resolves a principal the calling service authenticated
// itself: an IAM user (arn:aws:iam::ACCT:user/path/name), a role session
// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) or an account's root user
// (arn:aws:iam::ACCT:root), of any account of the deployment. A role
// session resolved this way has the role's policies but no session
// policies, MFA or source identity: iamd never saw its credentials. Errors
// are *Error with CodeNoSuchEntity or CodeInvalidInput.
func (s *Service) PrincipalFromARN(arn string, now time.Time) (*Principal, error) {
	var parts [6]string
	rest, ok := arn, true
	for i := range 5 {
		if parts[i], rest, ok = strings.Cut(rest, ":"); !ok {
			break
		}
	}
	parts[5] = rest
	if !ok || parts[0] != "arn" || parts[1] != Partition || !isAccountID(parts[4]) {
		return nil, Errorf(CodeInvalidInput, "Principal %q is not a user, role session or root ARN.", clip(arn))
	}
	acct, res := parts[4], parts[5]
	if s.state.account(acct) == nil {
		return nil, Errorf(CodeNoSuchEntity, "The account of principal %s does not exist.", clip(arn))
	}
	switch {
	case parts[2] == "iam" && res == "root":
		return withRequest(Principal{Type: PrincipalRoot, AccountID: acct, ARN: arn, UserID: acct}, RequestInfo{Time: now}), nil
	case parts[2] == "iam" && strings.HasPrefix(res, "user/"):
		u := s.state.user(acct, res[strings.LastIndexByte(res, '/')+1:])
		if u == nil || !u.hasARN(arn) {
			return nil, Errorf(CodeNoSuchEntity, "The user %s does not exist.", clip(arn))
		}
		return withRequest(Principal{Type: PrincipalUser, AccountID: acct, ARN: arn, UserID: u.ID, UserName: u.Name}, RequestInfo{Time: now}), nil
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		rest := strings.TrimPrefix(res, "assumed-role/")
		i := strings.IndexByte(rest, '/')
		if i <= 0 || i == len(rest)-1 {
			return nil, Errorf(CodeInvalidInput, "Principal %q is not a role session ARN.", clip(arn))
		}
		r := s.state.role(acct, rest[:i])
		if r == nil {
			return nil, Errorf(CodeNoSuchEntity, "The role of session %s does not exist.", clip(arn))
		}
		name := rest[i+1:]
		// Expires 0 marks a session iamd did not issue: its issue time
		// (aws:TokenIssueTime) is taken as now, and it has no expiry.
		sess := &Session{Kind: SessionRole, Account: acct, Issued: now.Unix(), RoleID: r.ID, RoleARN: r.ARN(), SessionName: name}
		p := withRequest(Principal{Type: PrincipalAssumedRole, AccountID: acct, ARN: arn, UserID: r.ID + ":" + name, Session: sess}, RequestInfo{Time: now})
		return p, nil
	}
	return nil, Errorf(CodeInvalidInput, "Principal %q is not a user, role session or root ARN.", clip(arn))
}

// PrincipalTags returns the tags that become p's aws:PrincipalTag keys:
// the user's or role's tags, overridden by session tags of the same key.
func (s *Service) PrincipalTags(p *Principal) []Tag {
	var base []Tag
	switch {
	case p.Type == PrincipalUser:
		if u := s.state.userByID(p.UserID); u != nil {
			base = u.Tags
		}
	case p.Session != nil && p.Session.Kind == SessionRole:
		if r := s.state.roleByID(p.Session.RoleID); r != nil {
			base = r.Tags
		}
	}
	if p.Session == nil || len(p.Session.Tags) == 0 {
		return append([]Tag(nil), base...)
	}
	out := make([]Tag, 0, len(base)+len(p.Session.Tags))
	for _, t := range base {
		overridden := false
		for _, st := range p.Session.Tags {
			if strings.EqualFold(st.Key, t.Key) {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, t)
		}
	}
	return append(out, p.Session.Tags...)
}

// PrincipalFromUserName resolves the IAM user name in account, for
// adapters whose systems know users by name only (MinIO, Ceph RGW).
func (s *Service) PrincipalFromUserName(account, name string, now time.Time) (*Principal, error) {
	u := s.state.user(account, name)
	if u == nil || !isAccountID(account) {
		return nil, Errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", clip(name))
	}
	return &Principal{Type: PrincipalUser, AccountID: account, ARN: u.ARN(), UserID: u.ID, UserName: u.Name, Request: &RequestInfo{Time: now}}, nil
}

// clip shortens caller input echoed in an error message: messages are
// for people, and inputs can be long.
func clip(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

// AuthzRevision identifies the state's version as far as decisions go: it
// changes whenever an applied change (this node's or, through the change
// feed, another's) can alter a decision, exactly when cached policy sets
// go stale. A caller may keep a decision it made at revision r for as long
// as AuthzRevision still returns r, provided nothing else in its request
// context differs; credentials must still be looked up every time, since
// revoking a key takes effect before its change is applied.
func (s *Service) AuthzRevision() int64 {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.authzRev
}
