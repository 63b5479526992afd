package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
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

type auditKey struct{}

// auditCall collects what the audit event needs while serve runs.
type auditCall struct {
	start     time.Time
	r         *http.Request
	principal *iam.Principal
	in        awsquery.Struct
	body      teeBody
	// event is a mutating operation's event, built when its first
	// transaction began and journaled by it (iam.WithAuditIntent): the
	// final event keeps its eventID and fields.
	event  *audit.Event
	intent *iam.AuditIntent
}

// teeBody keeps what serve read of the body, so that the action of a
// request refused before its action was resolved can still be named.
type teeBody struct {
	io.ReadCloser
	buf []byte
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// unauthenticated are the codes of requests refused before (or at)
// authentication: their events name only the access key ID.
var unauthenticated = map[string]bool{
	"InvalidClientTokenId": true, "SignatureDoesNotMatch": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "ExpiredToken": true, "MalformedQueryString": true,
	"RequestEntityTooLarge": true, "Throttling": true, "": true,
}

// auditStart attaches an auditCall to the request.
func (h *Handler) auditStart(r *http.Request) (*auditCall, *http.Request) {
	ac := &auditCall{start: h.now()}
	r = r.WithContext(context.WithValue(r.Context(), auditKey{}, ac))
	ac.r = r
	if r.Body != nil {
		ac.body.ReadCloser = r.Body
		r.Body = &ac.body
	}
	return ac, r
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
			ac, ok := c.ctx.Value(auditKey{}).(*auditCall)
			if !ok {
				return fn(c)
			}
			ac.principal, ac.in = c.principal, c.in
			if mutating {
				ac.intent = &iam.AuditIntent{Encode: func() (string, []byte, error) {
					e := h.newEvent(ac, ac.r, source, op.Name, c.requestID)
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
func (h *Handler) auditFinish(ac *auditCall, r *http.Request, buf *bytes.Buffer, svc *awsmodel.Service, op *awsmodel.Operation,
	result awsquery.Struct, err error, status int, requestID string) int {
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
		ac.principal = h.principalOf(r)
	}
	if name == "" {
		if form, perr := url.ParseQuery(string(ac.body.buf)); perr == nil {
			name = form.Get("Action")
		}
	}
	ac.intent.Finish()
	e := ac.event
	if e == nil {
		e = h.newEvent(ac, r, svc.EndpointPrefix, name, requestID)
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

// newEvent fills what every event has: identity, time, source, client.
func (h *Handler) newEvent(ac *auditCall, r *http.Request, source, name, requestID string) *audit.Event {
	e := &audit.Event{
		EventVersion: audit.EventVersion, EventTime: ac.start.UTC().Format(time.RFC3339),
		EventSource: source + ".amazonaws.com", EventName: name, UserAgent: r.UserAgent(),
		RequestID: requestID, EventID: audit.NewEventID(), ReadOnly: audit.IsReadOnly(name),
		EventType: "AwsApiCall", ManagementEvent: true, EventCategory: "Management", AWSRegion: "us-east-1",
	}
	if e.EventName == "" {
		e.EventName = r.URL.Query().Get("Action")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.SourceIPAddress = host
	}
	sig, serr := sigv4.Parse(r)
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

// principalOf re-derives the principal of a request whose signature was
// verified but which failed before its route ran.
func (h *Handler) principalOf(r *http.Request) *iam.Principal {
	sig, err := sigv4.Parse(r)
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
