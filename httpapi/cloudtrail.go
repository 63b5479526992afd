package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/sigv4"
)

// CloudTrail's LookupEvents over the AWS JSON 1.1 protocol, reading the
// audit trail: `aws cloudtrail lookup-events --endpoint-url ...` works.
// Each caller sees its own account's events. The call is itself recorded.

const lookupEventsTarget = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

type jsonError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
	status  int
}

func (e *jsonError) Error() string { return e.Type + ": " + e.Message }

func jsonErr(typ, msg string) *jsonError {
	return &jsonError{Type: typ, Message: msg, status: http.StatusBadRequest}
}

type lookupInput struct {
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
	StartTime     *float64
	EndTime       *float64
	EventCategory string
	MaxResults    *int
	NextToken     string
}

type ctResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

type ctEvent struct {
	EventId         string       `json:"EventId"`
	EventName       string       `json:"EventName"`
	ReadOnly        string       `json:"ReadOnly"`
	AccessKeyId     string       `json:"AccessKeyId,omitempty"`
	EventTime       float64      `json:"EventTime"`
	EventSource     string       `json:"EventSource"`
	Username        string       `json:"Username,omitempty"`
	Resources       []ctResource `json:"Resources"`
	CloudTrailEvent string       `json:"CloudTrailEvent"`
}

type lookupOutput struct {
	Events    []ctEvent `json:"Events"`
	NextToken string    `json:"NextToken,omitempty"`
}

// auditStore is what LookupEvents reads; *audit.Writer provides it.
type auditStore interface{ Store() audit.Store }

func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	ac := &auditCall{start: h.now()}
	out, err := h.lookupEvents(r, ac)
	var body []byte
	status := http.StatusOK
	if err != nil {
		var je *jsonError
		if !errors.As(err, &je) {
			h.log.Error("request failed", "request_id", requestID, "action", "LookupEvents", "err", err)
			je = &jsonError{Type: "InternalFailure", Message: "An internal error occurred.", status: http.StatusInternalServerError}
		}
		status = je.status
		body, _ = json.Marshal(je)
	} else if body, err = json.Marshal(out); err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalFailure","message":"An internal error occurred."}`)
	}
	if h.audit != nil {
		e := h.newEvent(ac, r, "cloudtrail", "LookupEvents", requestID)
		e.ReadOnly = true
		if ac.in != nil {
			e.RequestParameters = audit.Redact(ac.in, nil)
		}
		if err != nil {
			var je *jsonError
			if errors.As(err, &je) {
				e.ErrorCode, e.ErrorMessage = je.Type, je.Message
			}
		}
		if aerr := h.audit.Record(context.WithoutCancel(r.Context()), e); aerr != nil {
			h.auditFailed(e, aerr)
			status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalFailure","message":"An internal error occurred."}`)
		}
	}
	hdr := w.Header()
	hdr["X-Amzn-Requestid"] = []string{requestID}
	hdr["Content-Type"] = []string{"application/x-amz-json-1.1"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *Handler) lookupEvents(r *http.Request, ac *auditCall) (*lookupOutput, error) {
	body, err := h.readBody(r)
	if err != nil {
		return nil, jsonErr("SerializationException", "The request body could not be read.")
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != lookupEventsTarget {
		return nil, jsonErr("UnknownOperationException", "iamd implements only CloudTrail's LookupEvents")
	}
	sig, err := sigv4.Parse(r)
	if err != nil {
		return nil, jsonErr("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	if sig.Service != "cloudtrail" {
		return nil, jsonErr("InvalidSignatureException", "Credential should be scoped to correct service: 'cloudtrail'. ")
	}
	var cred *iam.Credential
	if sig.SecurityToken != "" {
		c, err := h.svc.AuthenticateSession(sig.AccessKeyID, sig.SecurityToken)
		if err != nil {
			return nil, jsonErr("UnrecognizedClientException", "The security token included in the request is invalid.")
		}
		cred = c
	} else if cred = h.svc.Authenticate(sig.AccessKeyID); cred == nil {
		return nil, jsonErr("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	if err := h.iamVerifier.Verify(sig, r, body, cred.Secret, h.now()); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return nil, jsonErr("InvalidSignatureException", se.Message)
		}
		return nil, jsonErr("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	}
	p := cred.Principal
	ac.principal = p
	if err := iam.SessionAllows(p, "cloudtrail", "LookupEvents"); err != nil {
		return nil, jsonErr("AccessDeniedException", err.Error())
	}
	if !p.IsRoot() {
		if err := h.svc.Authorize(p, "cloudtrail:LookupEvents", "*"); err != nil {
			var ie *iam.Error
			if errors.As(err, &ie) {
				return nil, jsonErr("AccessDeniedException", ie.Message)
			}
			return nil, err
		}
	}

	var in lookupInput
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, jsonErr("SerializationException", "The request body is not valid JSON for LookupEvents.")
		}
		var raw map[string]any
		_ = json.Unmarshal(body, &raw)
		ac.in = raw
	}
	q := audit.Query{AccountID: p.AccountID, Descending: true}
	if len(in.LookupAttributes) > 1 {
		return nil, jsonErr("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	for _, a := range in.LookupAttributes {
		v := a.AttributeValue
		switch a.AttributeKey {
		case "EventId":
			q.EventID = v
		case "EventName":
			q.EventName = v
		case "Username":
			q.Username = v
		case "EventSource":
			q.EventSource = v
		case "AccessKeyId":
			q.AccessKeyID = v
		case "ResourceType":
			q.ResType = v
		case "ResourceName":
			q.ResName = v
		case "ReadOnly":
			ro := v == "true"
			if v != "true" && v != "false" {
				return nil, jsonErr("InvalidLookupAttributesException", "ReadOnly must be true or false.")
			}
			q.ReadOnly = &ro
		default:
			return nil, jsonErr("InvalidLookupAttributesException", "Invalid attribute key: "+a.AttributeKey)
		}
	}
	if in.StartTime != nil {
		q.Start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		q.End = epoch(*in.EndTime)
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return nil, jsonErr("InvalidTimeRangeException", "Start time must be before end time.")
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, jsonErr("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		limit = *in.MaxResults
	}
	if in.NextToken != "" {
		n, err := strconv.ParseInt(in.NextToken, 10, 64)
		if err != nil || n <= 0 {
			return nil, jsonErr("InvalidNextTokenException", "Invalid NextToken.")
		}
		q.BeforeSeq = n
	}
	as, ok := h.audit.(auditStore)
	if !ok {
		return &lookupOutput{Events: []ctEvent{}}, nil
	}
	// Events of read-only calls are committed a few milliseconds after their
	// response; a lookup sees everything that happened before it.
	if f, ok := h.audit.(interface{ Flush(context.Context) error }); ok {
		if err := f.Flush(r.Context()); err != nil {
			return nil, err
		}
	}
	q.Limit = limit + 1
	out := &lookupOutput{Events: []ctEvent{}}
	var lastSeq int64
	err = as.Store().ScanAudit(r.Context(), q, func(rec *audit.Record) error {
		if len(out.Events) == limit {
			out.NextToken = strconv.FormatInt(lastSeq, 10)
			return nil
		}
		ev := ctEvent{EventId: rec.EventID, EventName: rec.EventName, ReadOnly: strconv.FormatBool(rec.ReadOnly),
			AccessKeyId: rec.AccessKeyID, EventTime: float64(rec.Time.Unix()), EventSource: rec.EventSource,
			Username: rec.Username, Resources: []ctResource{}, CloudTrailEvent: string(rec.Body)}
		for _, res := range rec.Resources {
			ev.Resources = append(ev.Resources, ctResource{ResourceType: res.Type, ResourceName: res.Name})
		}
		out.Events = append(out.Events, ev)
		lastSeq = rec.Seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func epoch(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
