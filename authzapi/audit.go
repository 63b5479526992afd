package authzapi

import (
	"encoding/json"
	"slices"
	"strconv"
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

// An entry of requestParameters.decisions is one API call's decisions as
// the trail records them: what was asked and what was decided, never the
// forwarded headers, signatures or tokens (only the access key ID, as
// CloudTrail records it). appendEntry writes it; decisionEntry
// (audit_internal_test.go) is the same layout as a struct.

// auditGroups collects decisions into events.
type auditGroups struct {
	mu       sync.Mutex
	groups   map[groupKey]*auditGroup
	emitting sync.WaitGroup // groups taken out of the map, not yet handed over
	// lastSize is the size of the latest event's decisions, the initial
	// capacity of the next group's buffer.
	lastSize int
}

type groupKey struct{ callerARN, account string }

type auditGroup struct {
	caller  *iam.Principal
	account string
	start   time.Time
	// entries is the JSON array of the decision entries so far, without
	// its closing bracket: each call's entry is encoded by the request
	// that made it (appendEntry), so the event is not encoded by
	// reflection afterwards.
	entries   []byte
	n         int
	requestID string // the first entry's
	region    string
	ua        string
	timer     *time.Timer
}

// record adds the decisions of one call, or a subject that could not be
// resolved (p nil, aerr set), to the caller's group for the subject's
// account.
func (h *Handler) record(c *call, p *iam.Principal, keyID string, checks []iam.Check, res []iam.CheckResult, endpoint string, aerr *apiError) {
	if h.audit == nil {
		return
	}
	buf := getBuf()
	defer putBuf(buf)
	entry := appendEntry((*buf)[:0], c, p, keyID, checks, res, endpoint, aerr)
	*buf = entry
	account, region := c.caller.AccountID, ""
	if p != nil {
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
		g = &auditGroup{caller: c.caller, account: account, start: c.now, region: region, ua: c.r.UserAgent(), requestID: c.requestID,
			entries: make([]byte, 0, min(max(a.lastSize+a.lastSize/4, 4<<10), auditGroupBytes+auditGroupBytes/4))}
		if a.groups == nil {
			a.groups = make(map[groupKey]*auditGroup)
		}
		a.groups[key] = g
		g.timer = time.AfterFunc(auditWindow, func() { h.flushGroup(key, g) })
	}
	if g.n == 0 {
		g.entries = append(g.entries, '[')
	} else {
		g.entries = append(g.entries, ',')
	}
	g.entries = append(g.entries, entry...)
	g.n++
	full := g.n >= auditGroupMax || len(g.entries) >= auditGroupBytes
	if full {
		delete(a.groups, key)
		a.emitting.Add(1)
	}
	a.mu.Unlock()
	if full {
		// Encoding and handing over a full group takes a while: not on
		// the request that happened to fill it.
		g.timer.Stop()
		go func() {
			h.emit(g)
			a.emitting.Done()
		}()
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
	h.groups.mu.Lock()
	h.groups.lastSize = len(g.entries)
	h.groups.mu.Unlock()
	e := &audit.Event{
		EventVersion: audit.EventVersion, UserIdentity: audit.IdentityOf(g.caller), EventTime: g.start.UTC().Format(time.RFC3339),
		EventSource: EventSource, EventName: EventName, AWSRegion: "us-east-1", UserAgent: g.ua,
		// Encoded already, and compact: encoding/json (which the audit
		// package's canonical encoding defers to for values it does not
		// write itself) only validates and copies it.
		RequestParameters: map[string]any{"decisions": json.RawMessage(append(g.entries, ']'))},
		RequestID:         g.requestID, EventID: audit.NewEventID(), ReadOnly: true,
		EventType: "AwsApiCall", ManagementEvent: false, RecipientAccountID: g.account, EventCategory: "Data",
	}
	if g.region != "" {
		e.AWSRegion = g.region
	}
	if g.caller.Request != nil {
		e.SourceIPAddress = g.caller.Request.SourceIP
	}
	if err := h.audit.Enqueue(e); err != nil {
		h.log.Error("authorization decisions could not be audited", "request_id", e.RequestID, "decisions", g.n, "err", err)
	}
}

// appendEntry appends one call's decisionEntry as encoding/json encodes
// it with HTML escaping off (audit_internal_test.go checks), without
// building it: fields in declaration order, omitempty honoured, map keys
// sorted.
func appendEntry(dst []byte, c *call, p *iam.Principal, keyID string, checks []iam.Check, res []iam.CheckResult, endpoint string, aerr *apiError) []byte {
	dst = append(dst, `{"requestId":`...)
	dst = appendTrailString(dst, c.requestID)
	dst = append(dst, `,"eventTime":"`...)
	dst = c.now.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, '"')
	dst = appendTrailField(dst, "endpoint", endpoint)
	// aws:SourceIp, when a check gives it (the last one that does), is
	// the client's address; the calling service's otherwise.
	sourceIP := c.sourceIP
	for i := range checks {
		if ip := firstValue(checks[i].Context, "aws:SourceIp"); ip != "" {
			sourceIP = ip
		}
	}
	dst = appendTrailOmitEmpty(dst, "sourceIPAddress", sourceIP)
	if p != nil {
		u := audit.IdentityOf(p)
		dst = append(dst, `,"principal":{"type":`...)
		dst = appendTrailString(dst, u.Type)
		dst = appendTrailField(dst, "arn", p.ARN)
		dst = appendTrailField(dst, "accountId", p.AccountID)
		dst = appendTrailField(dst, "principalId", p.UserID)
		dst = appendTrailOmitEmpty(dst, "accessKeyId", p.AccessKeyID)
		dst = appendTrailOmitEmpty(dst, "userName", u.UserName)
		if s := p.Session; s != nil {
			dst = appendTrailOmitEmpty(dst, "sessionIssuer", s.RoleARN)
			if s.MFA {
				dst = append(dst, `,"mfaAuthenticated":true`...)
			}
		}
		dst = append(dst, '}')
	}
	dst = appendTrailOmitEmpty(dst, "accessKeyId", keyID)
	if len(checks) > 0 {
		dst = append(dst, `,"checks":[`...)
		for i := range checks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEntryCheck(dst, &checks[i])
		}
		dst = append(dst, ']')
	}
	if len(res) > 0 {
		dst = append(dst, `,"results":[`...)
		for i := range res {
			if i > 0 {
				dst = append(dst, ',')
			}
			r := &res[i]
			dst = append(dst, `{"decision":`...)
			dst = appendTrailString(dst, r.Decision.String())
			if r.Decision != policy.Allow {
				dst = appendTrailOmitEmpty(dst, "gate", r.Gate.String())
			}
			if len(r.Matched) > 0 {
				dst = append(dst, `,"matchedStatements":[`...)
				for j := range r.Matched {
					m := &r.Matched[j]
					if j > 0 {
						dst = append(dst, ',')
					}
					dst = append(dst, `{"gate":`...)
					dst = appendTrailString(dst, m.Gate.String())
					dst = appendTrailField(dst, "policyId", m.Policy)
					dst = appendTrailOmitEmpty(dst, "versionId", m.Version)
					dst = append(dst, `,"statementIndex":`...)
					dst = strconv.AppendInt(dst, int64(m.Index), 10)
					dst = appendTrailOmitEmpty(dst, "sid", m.Sid)
					dst = appendTrailField(dst, "effect", m.Effect.String())
					dst = append(dst, '}')
				}
				dst = append(dst, ']')
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if aerr != nil {
		dst = appendTrailOmitEmpty(dst, "errorCode", aerr.body.Code)
		dst = appendTrailOmitEmpty(dst, "errorMessage", aerr.body.Message)
	}
	return append(dst, '}')
}

// appendEntryCheck appends an entryCheck: the context's values, or only
// its sorted key names when the values exceed auditContextMax.
func appendEntryCheck(dst []byte, ck *iam.Check) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendTrailString(dst, ck.Action)
	dst = appendTrailField(dst, "resource", ck.Resource)
	dst = appendTrailOmitEmpty(dst, "resourceAccount", ck.ResourceAccount)
	if len(ck.Context) > 0 {
		var small [8]string
		keys := small[:0]
		n := 0
		for k, v := range ck.Context {
			keys = append(keys, k)
			n += len(k) + 8
			for _, x := range v {
				n += len(x) + 4
			}
		}
		slices.Sort(keys)
		if n > auditContextMax {
			dst = append(dst, `,"contextKeys":[`...)
			for i, k := range keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTrailString(dst, k)
			}
			dst = append(dst, ']')
		} else {
			dst = append(dst, `,"context":{`...)
			for i, k := range keys {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendTrailString(dst, k)
				dst = append(dst, ':')
				if v := ck.Context[k]; v == nil {
					dst = append(dst, "null"...)
				} else {
					dst = append(dst, '[')
					for j, x := range v {
						if j > 0 {
							dst = append(dst, ',')
						}
						dst = appendTrailString(dst, x)
					}
					dst = append(dst, ']')
				}
			}
			dst = append(dst, '}')
		}
	}
	if ck.ResourcePolicy != "" {
		dst = append(dst, `,"resourcePolicy":true`...)
	}
	return append(dst, '}')
}

func appendTrailString(dst []byte, s string) []byte { return appendString(dst, s, false) }

func appendTrailField(dst []byte, name, v string) []byte {
	return appendTrailString(appendKey(dst, name, false), v)
}

func appendTrailOmitEmpty(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return appendTrailField(dst, name, v)
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
