package httpapi

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sigv4"
)

// Auditor receives one event per request. Record returns once the event is
// durable, and its error fails the request (500 ServiceFailure): mutations
// go through it. Enqueue hands over the event of a read-only call, which
// becomes durable with the next group commit, milliseconds later, without
// the request waiting for the disk. *audit.Writer implements it.
type Auditor interface {
	Record(ctx context.Context, e *audit.Event) error
	Enqueue(e *audit.Event) error
}

// auditCall collects what the audit event needs while serve runs. It
// lives in the request's state (handler.go request); the body the event
// may need is the request's too.
type auditCall struct {
	req       *request // the request whose state holds this
	start     time.Time
	principal *iam.Principal
	in        awsquery.Struct
	// event is a mutating operation's event, built when its first
	// transaction began and journaled by it (iam.WithAuditIntent): the
	// final event keeps its eventID and fields.
	event  *audit.Event
	intent *iam.AuditIntent
}

// unauthenticated are the codes of requests refused before (or at)
// authentication: their events name only the access key ID.
var unauthenticated = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "ExpiredToken": true, "MalformedQueryString": true,
	"RequestEntityTooLarge": true, "Throttling": true, "": true,
}

// auditRoutes wraps every route so that the authenticated principal and
// the decoded input reach the audit event. A mutating operation hands iam
// the request's intent: its event, built when the first read-write
// transaction is about to run (most STS calls never get there), is stored
// by the transaction committing the change (iam/journal.go), so a crash or
// a failed append of the final event loses only responseElements, never
// the event.
func (h *Handler) auditRoutes() {
	for op, fn := range h.routes {
		source := h.sts.EndpointPrefix
		if h.iam.Operations[op.Name] == op {
			source = h.iam.EndpointPrefix
		}
		mutating := !audit.IsReadOnly(op.Name)
		h.routes[op] = func(c *call) (awsquery.Struct, error) {
			ac := c.ac
			if ac == nil {
				return fn(c)
			}
			q := ac.req
			ac.principal, ac.in = c.principal, c.in
			if mutating {
				ac.intent = &iam.AuditIntent{Encode: func() (string, []byte, error) {
					e := h.requestEvent(q, source, op.Name)
					e.RequestParameters = audit.Redact(c.in, op.Input)
					e.Resources = resourcesOf(c.in)
					payload, err := e.Canonical()
					if err == nil {
						ac.event = e
					}
					return e.EventID, payload, err
				}}
				c.ctx = iam.WithAuditIntent(c.ctx, ac.intent)
			}
			return fn(c)
		}
	}
}

// auditFinish records the request's event; on failure the response in buf
// becomes a 500 ServiceFailure and the new status is returned.
func (h *Handler) auditFinish(q *request, buf *bytes.Buffer, svc *awsmodel.Service, op *awsmodel.Operation,
	result awsquery.Struct, err error, status int) int {
	ac, r, requestID := q.ac, q.r, q.requestID
	name := ""
	if op != nil {
		name = op.Name
	}
	code, msg := "", ""
	if err != nil {
		code, msg = errorCodeMessage(err)
	}
	if ac.principal == nil && !unauthenticated[code] {
		// Authenticated, then refused before routing (validation, unknown
		// action, session restrictions): the signature was verified.
		ac.principal = h.principalOf(q)
	}
	if name == "" {
		if form, perr := url.ParseQuery(string(q.body)); perr == nil {
			name = form.Get("Action")
		}
	}
	ac.intent.Finish()
	e := ac.event
	if e == nil && err == nil && h.skipReadEvents && audit.IsReadOnly(name) {
		return status // not recorded: no event to build
	}
	if e == nil {
		e = h.requestEvent(q, svc.EndpointPrefix, name)
		if op != nil && ac.in != nil {
			e.RequestParameters = audit.Redact(ac.in, op.Input)
			e.Resources = resourcesOf(ac.in)
		}
	}
	if err != nil {
		e.ErrorCode, e.ErrorMessage = code, msg
	} else if !e.ReadOnly && op != nil {
		e.ResponseElements = audit.Redact(result, op.Output)
	}
	var aerr error
	if e.ReadOnly && err == nil && h.skipReadEvents {
		return status
	}
	if e.ReadOnly && err == nil {
		aerr = h.audit.Enqueue(e)
	} else {
		aerr = h.audit.Record(context.WithoutCancel(r.Context()), e)
	}
	if aerr != nil {
		h.auditFailed(e, aerr)
		qe := awsquery.ErrorFor(svc, string(iam.CodeServiceFailure), "An internal error occurred.")
		buf.Reset()
		awsquery.WriteError(buf, svc, qe, requestID)
		return qe.Status
	}
	return status
}

// newEvent is requestEvent for a request served outside ServeHTTP's
// request state (CloudTrail's JSON protocol, cloudtrail.go).
func (h *Handler) newEvent(ac *auditCall, r *http.Request, source, name, requestID string) *audit.Event {
	q := ac.req
	if q == nil {
		q = &request{r: r, requestID: requestID, ac: ac}
	}
	return h.requestEvent(q, source, name)
}

// requestEvent fills what every event has: identity, time, source, client.
func (h *Handler) requestEvent(q *request, source, name string) *audit.Event {
	ac, r, requestID := q.ac, q.r, q.requestID
	e := &audit.Event{
		EventVersion: audit.EventVersion, EventTime: eventTime(ac.start),
		EventSource: eventSource(source), EventName: name, UserAgent: r.UserAgent(),
		RequestID: requestID, EventID: audit.NewEventID(), ReadOnly: audit.IsReadOnly(name),
		EventType: "AwsApiCall", ManagementEvent: true, EventCategory: "Management", AWSRegion: "us-east-1",
	}
	if e.EventName == "" {
		e.EventName = r.URL.Query().Get("Action")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.SourceIPAddress = host
	}
	sig, serr := q.signature()
	if serr == nil && sig.Region != "" {
		e.AWSRegion = sig.Region
	}
	p := ac.principal
	if p == nil && serr == nil && sig.SecurityToken == "" {
		// Failed before routing (validation, unknown action, or an
		// unauthenticated request): the key's account, when it exists.
		if cred := h.svc.Authenticate(sig.AccessKeyID); cred != nil {
			e.RecipientAccountID = cred.Principal.AccountID
		}
	}
	if p == nil {
		e.UserIdentity = audit.UserIdentity{Type: "Unknown"}
		if serr == nil {
			e.UserIdentity.AccessKeyID = sig.AccessKeyID
		}
		return e
	}
	e.UserIdentity = audit.IdentityOf(p)
	e.RecipientAccountID = p.AccountID
	return e
}

// eventSource is source's CloudTrail event source, without building the
// string for the services every request names.
func eventSource(source string) string {
	switch source {
	case "iam":
		return "iam.amazonaws.com"
	case "sts":
		return "sts.amazonaws.com"
	}
	return source + ".amazonaws.com"
}

// eventTimeCache is the last second eventTime formatted: events come by
// the thousand per second, all with the same time.
var eventTimeCache atomic.Pointer[cachedSecond]

type cachedSecond struct {
	unix int64
	text string
}

// eventTime is t in UTC as RFC 3339 to the second, CloudTrail's eventTime.
func eventTime(t time.Time) string {
	sec := t.Unix()
	if c := eventTimeCache.Load(); c != nil && c.unix == sec {
		return c.text
	}
	text := t.UTC().Format(time.RFC3339)
	eventTimeCache.Store(&cachedSecond{sec, text})
	return text
}

// principalOf re-derives the principal of a request whose signature was
// verified but which failed before its route ran.
func (h *Handler) principalOf(q *request) *iam.Principal {
	sig, err := q.signature()
	if err != nil {
		return nil
	}
	var cred *iam.Credential
	if sig.SecurityToken != "" {
		cred, _ = h.svc.AuthenticateSession(sig.AccessKeyID, sig.SecurityToken)
	} else {
		cred = h.svc.Authenticate(sig.AccessKeyID)
	}
	if cred == nil {
		return nil
	}
	return cred.Principal
}

// resourceMembers maps input members to CloudTrail resource types.
var resourceMembers = []struct{ member, typ string }{
	{"UserName", "AWS::IAM::User"}, {"GroupName", "AWS::IAM::Group"}, {"RoleName", "AWS::IAM::Role"},
	{"RoleArn", "AWS::IAM::Role"}, {"PolicyArn", "AWS::IAM::Policy"}, {"InstanceProfileName", "AWS::IAM::InstanceProfile"},
	{"AccessKeyId", "AWS::IAM::AccessKey"}, {"SerialNumber", "AWS::IAM::MfaDevice"}, {"PolicyName", "AWS::IAM::Policy"},
	{"OpenIDConnectProviderArn", "AWS::IAM::OIDCProvider"}, {"SAMLProviderArn", "AWS::IAM::SAMLProvider"},
}

func resourcesOf(in awsquery.Struct) []audit.Resource {
	var out []audit.Resource
	for _, rm := range resourceMembers {
		if v, ok := in[rm.member].(string); ok && v != "" {
			out = append(out, audit.Resource{Type: rm.typ, Name: v})
		}
	}
	return out
}

// errorCodeMessage is the wire error's code and message, as toQueryError
// maps it (without logging).
func errorCodeMessage(err error) (string, string) {
	var qe *awsquery.Error
	if errors.As(err, &qe) {
		return qe.Code, qe.Message
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se.Code, se.Message
	}
	var ie *iam.Error
	if errors.As(err, &ie) {
		return string(ie.Code), ie.Message
	}
	return string(iam.CodeServiceFailure), "An internal error occurred."
}

// auditFailed logs an event that could not be stored, whole (it is
// already redacted), so that a change committed before the failure is
// still on record somewhere: the client gets 500 ServiceFailure.
func (h *Handler) auditFailed(e *audit.Event, err error) {
	body, _ := e.Canonical()
	h.log.Error("audit event could not be recorded; request failed with ServiceFailure", "request_id", e.RequestID, "err", err, "event", string(body))
}
