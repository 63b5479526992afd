package iam

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/awsmanaged"
	"github.com/iamd/iamd/policy"
)

// RequestInfo describes the HTTP request a principal is making; the
// environment condition keys (aws:SourceIp, aws:CurrentTime, ...) come from
// it. The protocol layer attaches it to a per-request copy of the
// authenticated Principal.
type RequestInfo struct {
	Time            time.Time
	SourceIP        string
	UserAgent       string
	SecureTransport bool
	Region          string
}

// authz holds what the authorization path caches: compiled policy
// documents and each principal's assembled policy set. Nothing here is read
// from the database; sets are built from the in-memory state. Both caches
// are bounded: session policies are any text a caller of AssumeRole or
// GetFederationToken passes, and principals are deleted, so unbounded maps
// would grow with every distinct session policy and every principal ever
// seen. An entry dropped is rebuilt from memory on its next use.
type authz struct {
	mu       sync.Mutex
	compiled genCache[string, compiledDoc] // cache key -> compiled document
	sets     genCache[setKey, cachedSet]   // principal -> set
}

// The caches' generation sizes: each holds up to twice as many entries.
// Far above the policy documents and principals a deployment uses at
// once; what they bound is memory under a stream of distinct session
// policies (each compiled document a few KB) or of short-lived principals.
const (
	compiledCacheGen = 16384
	setCacheGen      = 65536
)

type compiledDoc struct {
	doc string
	c   *policy.Compiled
}

type cachedSet struct {
	authzRev int64
	set      *policy.Set
}

var (
	contextPool  = sync.Pool{New: func() any { return policy.NewContext(16) }}
	decisionPool = sync.Pool{New: func() any { return &policy.Decision{Matched: make([]policy.StatementRef, 0, 8)} }}
)

// Authorize decides whether p may perform action on resource with the
// same logic every API call goes through; nil means allowed, otherwise an
// AccessDenied *Error worded as AWS words it. It reads only memory.
func (s *Service) Authorize(p *Principal, action, resource string) error {
	return s.authorize(p, action, resource)
}

// authorize decides whether p may perform action on resource, with AWS's
// evaluation logic: the root user is unrestricted in its own account;
// everyone else needs an identity-based policy (their own or a group's)
// that allows, no explicit deny anywhere, and, when they have one, a
// permissions boundary that allows too.
func (s *Service) authorize(p *Principal, action, resource string) error {
	return s.authorizeWith(p, action, resource, nil)
}

// authzKeys are the request-specific condition keys of one operation, as
// the Service Authorization Reference lists them for IAM's actions. The
// zero value adds nothing; callers keep it on the stack.
type authzKeys struct {
	// readableByAll marks a resource every account may read, such as an
	// AWS managed policy: the caller's identity policies alone decide, as
	// for a resource of its own account.
	readableByAll bool
	// requestTags are the tags the request carries: aws:RequestTag/<key>
	// for each and aws:TagKeys for their keys.
	requestTags []Tag
	// tagKeys are the keys an Untag* request removes (aws:TagKeys).
	tagKeys []string
	// resourceTags are the existing resource's tags: aws:ResourceTag/<key>,
	// and iam:ResourceTag/<key> too when iamResourceTag is set (users and
	// roles).
	resourceTags   []Tag
	iamResourceTag bool
	boundary       string // iam:PermissionsBoundary
	policyARN      string // iam:PolicyARN
	serviceName    string // iam:AWSServiceName
	passedTo       string // iam:PassedToService
	associatedARN  string // iam:AssociatedResourceArn
	// extra are further request keys of an operation (STS's
	// sts:IdentityTokenAudience and the like).
	extra map[string][]string
}

// set adds k's keys to c.
func (k *authzKeys) set(c *policy.Context) {
	if len(k.requestTags) > 0 {
		keys := make([]string, len(k.requestTags))
		for i, t := range k.requestTags {
			c.Set("aws:RequestTag/"+t.Key, t.Value)
			keys[i] = t.Key
		}
		c.Set("aws:TagKeys", keys...)
	}
	if len(k.tagKeys) > 0 {
		c.Set("aws:TagKeys", k.tagKeys...)
	}
	for _, t := range k.resourceTags {
		c.Set("aws:ResourceTag/"+t.Key, t.Value)
		if k.iamResourceTag {
			c.Set("iam:ResourceTag/"+t.Key, t.Value)
		}
	}
	if k.boundary != "" {
		c.Set("iam:PermissionsBoundary", k.boundary)
	}
	if k.policyARN != "" {
		c.Set("iam:PolicyARN", k.policyARN)
	}
	if k.serviceName != "" {
		c.Set("iam:AWSServiceName", k.serviceName)
	}
	if k.passedTo != "" {
		c.Set("iam:PassedToService", k.passedTo)
	}
	if k.associatedARN != "" {
		c.Set("iam:AssociatedResourceArn", k.associatedARN)
	}
	for key, v := range k.extra {
		c.Set(key, v...)
	}
}

// authorizeWith is authorize with the operation's own condition keys
// (nil: none, which costs nothing).
func (s *Service) authorizeWith(p *Principal, action, resource string, k *authzKeys) error {
	if p.IsRoot() && arnAccount(resource) == p.AccountID {
		return nil
	}
	cached, err := s.identitySet(p)
	if err != nil {
		return err
	}
	// A resource in another account (or AWS's own, such as an AWS managed
	// policy) is cross-account: the identity side alone cannot allow it.
	set := *cached
	set.ResourceAccount = arnAccount(resource)
	if k != nil && k.readableByAll {
		set.ResourceAccount = ""
	}
	pctx := contextPool.Get().(*policy.Context)
	pctx.Reset()
	defer contextPool.Put(pctx)
	s.fillContext(pctx, p)
	if k != nil {
		k.set(pctx)
	}
	req := policy.Request{
		Principal: s.policyPrincipal(p),
		Action:    action,
		Resource:  resource,
		Context:   pctx,
	}
	d := decisionPool.Get().(*policy.Decision)
	defer decisionPool.Put(d)
	policy.Evaluate(&set, &req, d)
	if d.Effect == policy.Allow {
		s.noteAccess(p, action, d) // access advisor (activity.go)
		return nil
	}
	return accessDenied(p, action, resource, d)
}

// AuthorizePassRole decides whether p may pass the role roleARN to
// service (iam:PassRole with iam:PassedToService, and
// iam:AssociatedResourceArn when associated is given), as AWS checks when
// a service is handed a role. nil means allowed.
func (s *Service) AuthorizePassRole(p *Principal, roleARN, service string, associated ...string) error {
	k := authzKeys{passedTo: service}
	if len(associated) > 0 {
		k.associatedARN = associated[0]
	}
	if r := s.roleByARN(roleARN); r != nil {
		k.resourceTags, k.iamResourceTag = r.Tags, true
	}
	return s.authorizeWith(p, "iam:PassRole", roleARN, &k)
}

// withEntity returns k (or the zero keys) completed with an existing
// user's or role's tags and, for the actions AWS evaluates
// iam:PermissionsBoundary on for an existing entity, its current boundary.
func withEntity(k *authzKeys, action string, tags []Tag, boundary string) authzKeys {
	var out authzKeys
	if k != nil {
		out = *k
	}
	out.resourceTags, out.iamResourceTag = tags, true
	if out.boundary == "" && boundary != "" && entityBoundaryAction(action) {
		out.boundary = boundary
	}
	return out
}

// entityBoundaryAction reports whether AWS supplies iam:PermissionsBoundary
// (the entity's boundary) for action on an existing user or role.
func entityBoundaryAction(action string) bool {
	switch action {
	case "iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
		"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
		"iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary":
		return true
	}
	return false
}

// arnAccount returns the account field of an ARN, or "" for "*" and
// anything that is not an ARN (which the evaluator reads as the caller's
// own account).
func arnAccount(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	rest := arn
	for range 4 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		return rest[:i]
	}
	return ""
}

func policyPrincipalType(t PrincipalType) policy.PrincipalType {
	switch t {
	case PrincipalRoot:
		return policy.PrincipalRoot
	case PrincipalAssumedRole:
		return policy.PrincipalAssumedRole
	case PrincipalFederatedUser:
		return policy.PrincipalFederatedUser
	}
	return policy.PrincipalUser
}

// accessDenied words the denial as AWS's enhanced AccessDenied messages do,
// naming the policy type that decided it.
func accessDenied(p *Principal, action, resource string, d *policy.Decision) error {
	var why string
	if d.Effect == policy.ExplicitDeny {
		why = "with an explicit deny in " + gateNoun(d.Gate)
	} else {
		why = "because no " + strings.TrimPrefix(strings.TrimPrefix(gateNoun(d.Gate), "an "), "a ") + " allows the " + action + " action"
	}
	return Errorf(CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s %s", p.ARN, action, resource, why)
}

func gateNoun(g policy.Gate) string {
	switch g {
	case policy.GateBoundary:
		return "a permissions boundary"
	case policy.GateSession:
		return "a session policy"
	case policy.GateSCP:
		return "a service control policy"
	case policy.GateResource:
		return "a resource-based policy"
	}
	return "an identity-based policy"
}

// fillContext sets the global condition keys AWS provides for a request.
func (s *Service) fillContext(c *policy.Context, p *Principal) {
	sess := p.Session
	principalARN := p.ARN
	if sess != nil && sess.Kind == SessionRole {
		// For role sessions aws:PrincipalArn is the role, not the session.
		principalARN = sess.RoleARN
	}
	c.Set("aws:PrincipalArn", principalARN)
	c.Set("aws:PrincipalAccount", p.AccountID)
	c.Set("aws:PrincipalType", p.Type.String())
	c.Set("aws:userid", p.UserID)
	var tags []Tag
	switch {
	case p.Type == PrincipalUser:
		c.Set("aws:username", p.UserName)
		if u := s.state.userByID(p.UserID); u != nil {
			tags = u.Tags
		}
	case sess != nil && sess.Kind == SessionRole:
		if r := s.state.roleByID(sess.RoleID); r != nil {
			tags = r.Tags
		}
	}
	for _, t := range tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	if sess != nil {
		// Session tags override the identity's tags of the same key.
		for _, t := range sess.Tags {
			c.Set("aws:PrincipalTag/"+t.Key, t.Value)
		}
		issued := time.Unix(sess.Issued, 0).UTC()
		c.Set("aws:TokenIssueTime", issued.Format(time.RFC3339))
		c.Set("aws:MultiFactorAuthPresent", strconv.FormatBool(sess.MFA))
		if sess.MFA {
			c.Set("aws:MultiFactorAuthAge", strconv.FormatInt(int64(s.now().Sub(time.Unix(sess.MFAAuthTime, 0)).Seconds()), 10))
		}
		if sess.SourceIdentity != "" {
			c.Set("aws:SourceIdentity", sess.SourceIdentity)
		}
	}
	// Long-term access keys carry no MFA context: AWS leaves
	// aws:MultiFactorAuthPresent absent for them.
	c.Set("aws:ViaAWSService", "false")
	now := s.now()
	if r := p.Request; r != nil {
		if !r.Time.IsZero() {
			now = r.Time
		}
		if r.SourceIP != "" {
			c.Set("aws:SourceIp", r.SourceIP)
		}
		if r.UserAgent != "" {
			c.Set("aws:UserAgent", r.UserAgent)
		}
		c.Set("aws:SecureTransport", strconv.FormatBool(r.SecureTransport))
		if r.Region != "" {
			c.Set("aws:RequestedRegion", r.Region)
		}
	}
	t := clockTexts(now)
	c.Set("aws:CurrentTime", t.current)
	c.Set("aws:EpochTime", t.epoch)
}

// setKey names a principal's cached policy set.
type setKey struct {
	kind OwnerKind
	id   string
}

// secondTexts are aws:CurrentTime and aws:EpochTime for one second.
type secondTexts struct {
	unix           int64
	current, epoch string
}

// lastSecond keeps the texts of the latest second seen, so that requests
// within one second share them instead of formatting (and allocating)
// both on every decision.
var lastSecond atomic.Pointer[secondTexts]

func clockTexts(now time.Time) *secondTexts {
	sec := now.Unix()
	if t := lastSecond.Load(); t != nil && t.unix == sec {
		return t
	}
	t := &secondTexts{unix: sec, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(sec, 10)}
	lastSecond.Store(t)
	return t
}

// identitySet returns the caller's compiled identity-based policies,
// boundary and session policies.
func (s *Service) identitySet(p *Principal) (*policy.Set, error) {
	sess := p.Session
	if sess == nil {
		if p.Type != PrincipalUser {
			return &policy.Set{}, nil // root: unrestricted in its account, nothing elsewhere
		}
		return s.policySet(OwnerUser, p.UserID)
	}
	var base *policy.Set
	var err error
	switch {
	case sess.Kind == SessionRole:
		base, err = s.policySet(OwnerRole, sess.RoleID)
	case sess.SourceUserID != "":
		base, err = s.policySet(OwnerUser, sess.SourceUserID)
	case sess.Kind == SessionFederated:
		// The root user's federated users: the session policy alone limits
		// what root could otherwise do.
		c, cerr := s.compile("root-identity", "root", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
		base, err = &policy.Set{Identity: []*policy.Compiled{c}}, cerr
	default:
		base = &policy.Set{}
	}
	if err != nil || (sess.Policy == "" && len(sess.PolicyARNs) == 0) {
		return base, err
	}
	set := *base
	set.Session = nil
	if sess.Policy != "" {
		c, err := s.compile("session:"+sess.Policy, "session-policy", "", sess.Policy, policy.Session)
		if err != nil {
			return nil, err
		}
		set.Session = append(set.Session, c)
	}
	for _, arn := range sess.PolicyARNs {
		doc, ok := s.managedDocument(arn)
		if !ok {
			continue
		}
		c, err := s.compile(doc.key, doc.id, doc.version, doc.doc, policy.Session)
		if err != nil {
			return nil, err
		}
		set.Session = append(set.Session, c)
	}
	return &set, nil
}

// managedDoc is one managed policy's default version document.
type managedDoc struct{ key, id, version, doc string }

// managedDocument returns the default version of an AWS or customer
// managed policy from memory.
func (s *Service) managedDocument(arn string) (managedDoc, bool) {
	if awsmanaged.IsAWSManaged(arn) {
		if ap := awsmanaged.Lookup(arn); ap != nil {
			return managedDoc{key: arn + "#" + ap.DefaultVersionID, id: arn, version: ap.DefaultVersionID, doc: ap.Document}, true
		}
		return managedDoc{}, false
	}
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	e := st.policyARNs[arn]
	if e == nil {
		return managedDoc{}, false
	}
	v := e.version(e.p.DefaultVersionID)
	if v == nil {
		return managedDoc{}, false
	}
	return managedDoc{key: arn + "#" + v.VersionID, id: arn, version: v.VersionID, doc: v.Document}, true
}

// policyPrincipal is the caller as the policy engine sees it.
func (s *Service) policyPrincipal(p *Principal) policy.Principal {
	pp := policy.Principal{Type: policyPrincipalType(p.Type), ARN: p.ARN, Account: p.AccountID, UserID: p.UserID}
	if p.Session != nil && p.Session.Kind == SessionRole {
		pp.RoleARN = p.Session.RoleARN
	}
	return pp
}

// policySet returns the compiled identity-based policies and boundary of a
// user (with its groups'), a group or a role, cached until a change that
// can alter a decision is applied. The simulator uses it as enforcement
// does, so the two cannot disagree.
func (s *Service) policySet(kind OwnerKind, id string) (*policy.Set, error) {
	st := s.state
	st.mu.RLock()
	rev := st.authzRev
	st.mu.RUnlock()
	cacheKey := setKey{kind, id} // a struct, not a concatenation: no allocation per request
	s.authz.mu.Lock()
	if c, ok := s.authz.sets.get(cacheKey); ok && c.authzRev == rev {
		s.authz.mu.Unlock()
		return c.set, nil
	}
	s.authz.mu.Unlock()

	type docRef struct{ key, id, version, doc string }
	var docs []docRef
	var boundary *docRef
	var missing string
	managed := func(arn string) (docRef, bool) {
		if awsmanaged.IsAWSManaged(arn) {
			if ap := awsmanaged.Lookup(arn); ap != nil {
				return docRef{key: arn + "#" + ap.DefaultVersionID, id: arn, version: ap.DefaultVersionID, doc: ap.Document}, true
			}
			return docRef{}, false
		}
		e := st.policyARNs[arn]
		if e == nil {
			return docRef{}, false
		}
		v := e.version(e.p.DefaultVersionID)
		if v == nil {
			return docRef{}, false
		}
		return docRef{key: arn + "#" + v.VersionID, id: arn, version: v.VersionID, doc: v.Document}, true
	}
	addOwner := func(kind OwnerKind, id string) {
		for _, ip := range st.inline[ownerRef{kind, id}] {
			docs = append(docs, docRef{key: "inline:" + string(kind) + ":" + id + ":" + ip.Name, id: ip.Name, doc: ip.Document})
		}
		for _, arn := range st.attached[ownerRef{kind, id}] {
			if d, ok := managed(arn); ok {
				docs = append(docs, d)
			} else {
				missing = arn
			}
		}
	}
	setBoundary := func(arn string) {
		if arn == "" {
			return
		}
		if d, ok := managed(arn); ok {
			boundary = &d
		} else {
			missing = arn
		}
	}
	st.mu.RLock()
	rev = st.authzRev
	switch kind {
	case OwnerUser:
		if u := st.users[id]; u != nil {
			addOwner(OwnerUser, u.ID)
			for gid := range st.userGroups[u.ID] {
				addOwner(OwnerGroup, gid)
			}
			setBoundary(u.PermissionsBoundary)
		}
	case OwnerGroup:
		addOwner(OwnerGroup, id)
	case OwnerRole:
		if r := st.roles[id]; r != nil {
			addOwner(OwnerRole, r.ID)
			setBoundary(r.PermissionsBoundary)
		}
	}
	st.mu.RUnlock()
	if missing != "" {
		s.log.Warn("policy referenced by a principal is missing", "owner", string(kind)+":"+id, "policy", missing)
	}

	set := &policy.Set{}
	for _, d := range docs {
		c, err := s.compile(d.key, d.id, d.version, d.doc, policy.Identity)
		if err != nil {
			return nil, err
		}
		set.Identity = append(set.Identity, c)
	}
	if boundary != nil {
		c, err := s.compile(boundary.key, boundary.id, boundary.version, boundary.doc, policy.Boundary)
		if err != nil {
			return nil, err
		}
		set.Boundary = c
	}
	// One merged action index for all of the principal's identity
	// policies: a decision then probes one table, not one per policy.
	set.Prepare()
	s.authz.mu.Lock()
	s.authz.sets.put(cacheKey, cachedSet{authzRev: rev, set: set})
	s.authz.mu.Unlock()
	return set, nil
}

// compile returns the compiled form of a stored document, compiling it
// once per distinct text.
func (s *Service) compile(key, id, version, doc string, t policy.PolicyType) (*policy.Compiled, error) {
	s.authz.mu.Lock()
	if c, ok := s.authz.compiled.get(key); ok && c.doc == doc {
		s.authz.mu.Unlock()
		return c.c, nil
	}
	s.authz.mu.Unlock()
	parsed, err := policy.Parse(doc, t)
	if err != nil {
		return nil, &Error{Code: CodeServiceFailure, Message: "An internal error occurred.", Err: err}
	}
	c, err := policy.Compile(id, version, parsed)
	if err != nil {
		return nil, &Error{Code: CodeServiceFailure, Message: "An internal error occurred.", Err: err}
	}
	s.authz.mu.Lock()
	s.authz.compiled.put(key, compiledDoc{doc: doc, c: c})
	s.authz.mu.Unlock()
	return c, nil
}
