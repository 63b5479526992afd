package authzapi

import (
	"slices"
	"sync"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// EventSource and EventName identify decision events in the audit trail
// (aws cloudtrail lookup-events --lookup-attributes
// AttributeKey=EventSource,AttributeValue=authz.iamd).
const (
	EventSource = "authz.iamd"
	EventName   = "Authorize"
)

// Decisions are recorded in groups: every decision the same calling
// service asks about principals of the same account within auditWindow
// (at most auditGroupMax of them) becomes one event whose
// requestParameters.decisions lists them. A trail row costs the audit
// writer some 50-90 µs of CPU (SQLite insert, hash chain), more than a
// decision itself; one row per decision would cap the API at about 12,000
// decisions a second on two cores. At low rates a group holds one
// decision, so each event is one call.
const (
	auditWindow     = 5 * time.Millisecond
	auditGroupMax   = 128
	auditGroupBytes = 256 << 10 // CloudTrail's event size limit
	// auditContextMax bounds the context values one check records; beyond
	// it only the key names are kept, so that a caller's large contexts
	// cannot make events (and the trail) grow without bound.
	auditContextMax = 2 << 10
)

// decisionEntry is one API call's decisions as the trail records them:
// what was asked and what was decided, never the forwarded headers,
// signatures or tokens (only the access key ID, as CloudTrail records it).
type decisionEntry struct {
	RequestID string          `json:"requestId"`
	Time      string          `json:"eventTime"` // RFC 3339 with milliseconds
	Endpoint  string          `json:"endpoint"`
	SourceIP  string          `json:"sourceIPAddress,omitempty"`
	Principal *entryPrincipal `json:"principal,omitempty"`
	// AccessKeyID names the key of a forwarded request whose principal
	// could not be resolved.
	AccessKeyID  string        `json:"accessKeyId,omitempty"`
	Checks       []entryCheck  `json:"checks,omitempty"`
	Results      []entryResult `json:"results,omitempty"`
	ErrorCode    string        `json:"errorCode,omitempty"`
	ErrorMessage string        `json:"errorMessage,omitempty"`
}

type entryPrincipal struct {
	Type        string `json:"type"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	PrincipalID string `json:"principalId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// SessionIssuer is the role of a role session.
	SessionIssuer string `json:"sessionIssuer,omitempty"`
	MFA           bool   `json:"mfaAuthenticated,omitempty"`
}

type entryCheck struct {
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resourceAccount,omitempty"`
	Context         map[string][]string `json:"context,omitempty"`
	ContextKeys     []string            `json:"contextKeys,omitempty"` // instead of Context when its values are large
	// ResourcePolicy says whether a resource policy applied; the document
	// is the resource owner's and stays out of the trail.
	ResourcePolicy bool `json:"resourcePolicy,omitempty"`
}

type entryResult struct {
	Decision string           `json:"decision"`
	Gate     string           `json:"gate,omitempty"`
	Matched  []entryStatement `json:"matchedStatements,omitempty"`
}

type entryStatement struct {
	Gate      string `json:"gate"`
	PolicyID  string `json:"policyId"`
	VersionID string `json:"versionId,omitempty"`
	Index     int    `json:"statementIndex"`
	Sid       string `json:"sid,omitempty"`
	Effect    string `json:"effect"`
}

// auditGroups collects decisions into events.
type auditGroups struct {
	mu       sync.Mutex
	groups   map[groupKey]*auditGroup
	emitting sync.WaitGroup // groups taken out of the map, not yet handed over
}

type groupKey struct{ callerARN, account string }

type auditGroup struct {
	caller  *iam.Principal
	account string
	start   time.Time
	entries []any
	size    int // approximate encoded size of the entries
	region  string
	ua      string
	timer   *time.Timer
}

// record adds the decisions of one call, or a subject that could not be
// resolved (p nil, aerr set), to the caller's group for the subject's
// account.
func (h *Handler) record(c *call, p *iam.Principal, keyID string, checks []iam.Check, res []iam.CheckResult, endpoint string, aerr *apiError) {
	if h.audit == nil {
		return
	}
	e := &decisionEntry{RequestID: c.requestID, Time: c.now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Endpoint: endpoint,
		SourceIP: c.sourceIP, AccessKeyID: keyID}
	size := 512
	for i := range checks {
		ck := &checks[i]
		ec := entryCheck{Action: ck.Action, Resource: ck.Resource, ResourceAccount: ck.ResourceAccount,
			Context: ck.Context, ResourcePolicy: ck.ResourcePolicy != ""}
		n := 0
		for k, v := range ck.Context {
			n += len(k) + 8
			for _, x := range v {
				n += len(x) + 4
			}
		}
		if n > auditContextMax {
			ec.Context = nil
			for k := range ck.Context {
				ec.ContextKeys = append(ec.ContextKeys, k)
			}
			slices.Sort(ec.ContextKeys)
			n = len(ec.ContextKeys) * 40
		}
		size += n + len(ck.Action) + len(ck.Resource) + 128
		e.Checks = append(e.Checks, ec)
		if ip := firstValue(ck.Context, "aws:SourceIp"); ip != "" {
			e.SourceIP = ip
		}
	}
	for i := range res {
		e.Results = append(e.Results, entryOf(&res[i]))
		size += 64 + 160*len(res[i].Matched)
	}
	if aerr != nil {
		e.ErrorCode, e.ErrorMessage = aerr.body.Code, aerr.body.Message
	}
	account, region := c.caller.AccountID, ""
	if p != nil {
		e.Principal = principalOf(p)
		account = p.AccountID
		if p.Request != nil {
			region = p.Request.Region
		}
	}
	key := groupKey{c.caller.ARN, account}
	a := &h.groups
	a.mu.Lock()
	g := a.groups[key]
	if g == nil {
		g = &auditGroup{caller: c.caller, account: account, start: c.now, region: region, ua: c.r.UserAgent(),
			entries: make([]any, 0, 8)}
		if a.groups == nil {
			a.groups = make(map[groupKey]*auditGroup)
		}
		a.groups[key] = g
		g.timer = time.AfterFunc(auditWindow, func() { h.flushGroup(key, g) })
	}
	g.entries = append(g.entries, e)
	g.size += size
	full := len(g.entries) >= auditGroupMax || g.size >= auditGroupBytes
	if full {
		delete(a.groups, key)
		a.emitting.Add(1)
	}
	a.mu.Unlock()
	if full {
		g.timer.Stop()
		h.emit(g)
		a.emitting.Done()
	}
}

// flushGroup emits g when its window ends, unless it was emitted full.
func (h *Handler) flushGroup(key groupKey, g *auditGroup) {
	a := &h.groups
	a.mu.Lock()
	if a.groups[key] != g {
		a.mu.Unlock()
		return
	}
	delete(a.groups, key)
	a.emitting.Add(1)
	a.mu.Unlock()
	h.emit(g)
	a.emitting.Done()
}

// Close records the decisions still waiting for their group's window. The
// server calls it after the last request and before it closes the audit
// trail.
func (h *Handler) Close() {
	a := &h.groups
	a.mu.Lock()
	groups := a.groups
	a.groups = nil
	a.mu.Unlock()
	for _, g := range groups {
		g.timer.Stop()
		h.emit(g)
	}
	a.emitting.Wait()
}

func (h *Handler) emit(g *auditGroup) {
	e := &audit.Event{
		EventVersion: audit.EventVersion, UserIdentity: audit.IdentityOf(g.caller), EventTime: g.start.UTC().Format(time.RFC3339),
		EventSource: EventSource, EventName: EventName, AWSRegion: "us-east-1", UserAgent: g.ua,
		RequestParameters: map[string]any{"decisions": g.entries},
		RequestID:         g.entries[0].(*decisionEntry).RequestID, EventID: audit.NewEventID(), ReadOnly: true,
		EventType: "AwsApiCall", ManagementEvent: false, RecipientAccountID: g.account, EventCategory: "Data",
	}
	if g.region != "" {
		e.AWSRegion = g.region
	}
	if g.caller.Request != nil {
		e.SourceIPAddress = g.caller.Request.SourceIP
	}
	if err := h.audit.Enqueue(e); err != nil {
		h.log.Error("authorization decisions could not be audited", "request_id", e.RequestID, "decisions", len(g.entries), "err", err)
	}
}

func entryOf(r *iam.CheckResult) entryResult {
	out := entryResult{Decision: r.Decision.String()}
	if r.Decision != policy.Allow {
		out.Gate = r.Gate.String()
	}
	for _, s := range r.Matched {
		out.Matched = append(out.Matched, entryStatement{Gate: s.Gate.String(), PolicyID: s.Policy, VersionID: s.Version,
			Index: s.Index, Sid: s.Sid, Effect: s.Effect.String()})
	}
	return out
}

func principalOf(p *iam.Principal) *entryPrincipal {
	u := audit.IdentityOf(p)
	e := &entryPrincipal{Type: u.Type, ARN: p.ARN, AccountID: p.AccountID, PrincipalID: p.UserID, AccessKeyID: p.AccessKeyID, UserName: u.UserName}
	if s := p.Session; s != nil {
		e.SessionIssuer, e.MFA = s.RoleARN, s.MFA
	}
	return e
}

func firstValue(m map[string][]string, key string) string {
	for k, v := range m {
		if len(v) > 0 && len(k) == len(key) && equalFold(k, key) {
			return v[0]
		}
	}
	return ""
}

func equalFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
