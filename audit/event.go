// Package audit records every API request iamd receives as an event in
// CloudTrail's record format, hash-chains the events for tamper evidence,
// signs periodic digests of the chain with an Ed25519 key, and verifies
// the chain. Storage is behind the Store interface (sqlite implements it);
// this package holds every rule: what an event contains, what is redacted,
// how it is encoded and chained, and what verification checks.
package audit

import (
	"strings"
	"time"
)

// EventVersion is CloudTrail's record format version iamd writes.
const EventVersion = "1.08"

// Event is one CloudTrail record. Field order is the canonical order.
type Event struct {
	EventVersion      string         `json:"eventVersion"`
	UserIdentity      UserIdentity   `json:"userIdentity"`
	EventTime         string         `json:"eventTime"` // RFC 3339, UTC, seconds
	EventSource       string         `json:"eventSource"`
	EventName         string         `json:"eventName"`
	AWSRegion         string         `json:"awsRegion"`
	SourceIPAddress   string         `json:"sourceIPAddress"`
	UserAgent         string         `json:"userAgent"`
	ErrorCode         string         `json:"errorCode,omitempty"`
	ErrorMessage      string         `json:"errorMessage,omitempty"`
	RequestParameters map[string]any `json:"requestParameters"`
	ResponseElements  map[string]any `json:"responseElements"`
	// AdditionalEventData is what CloudTrail adds for some events, such as
	// ConsoleLogin's LoginTo and MFAUsed; absent from API calls.
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	Resources           []Resource     `json:"resources,omitempty"`
	EventType           string         `json:"eventType"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId"`
	EventCategory       string         `json:"eventCategory"`
}

// UserIdentity is CloudTrail's userIdentity element.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// IdentityProvider names the web identity or SAML provider of a
	// WebIdentityUser or SAMLUser (the callers of AssumeRoleWith*).
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes temporary credentials.
type SessionContext struct {
	SessionIssuer *SessionIssuer `json:"sessionIssuer,omitempty"`
	Attributes    SessionAttrs   `json:"attributes"`
	SourceIdent   string         `json:"sourceIdentity,omitempty"`
}

// SessionAttrs are a session's attributes.
type SessionAttrs struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"` // "true" | "false", as CloudTrail writes it
}

// SessionIssuer is the role or user that issued a session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// Resource is one resource an event refers to (LookupEvents' Resources).
type Resource struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Canonical is the event's canonical JSON: encoding/json's encoding of the
// struct (fixed field order, map keys sorted, no HTML escaping, no
// trailing newline), produced without reflection (canonical.go). The hash
// chain covers exactly these bytes, which are also what is stored.
func (e *Event) Canonical() ([]byte, error) {
	return appendCanonical(make([]byte, 0, 1024), e)
}

// Time parses EventTime.
func (e *Event) Time() time.Time {
	if t, ok := parseZulu(e.EventTime); ok {
		return t
	}
	t, _ := time.Parse(time.RFC3339, e.EventTime)
	return t
}

// parseZulu parses the one form iamd writes, "2006-01-02T15:04:05Z", a
// tenth of time.Parse's cost (it runs for every event on the request's
// goroutine); anything else, or a date time.Parse would refuse, is left
// to time.Parse.
func parseZulu(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	var v [6]int
	for i, at := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		for _, c := range []byte(s[at[0]:at[1]]) {
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.UTC)
	// time.Date normalizes (February 30th is March 2nd); time.Parse refuses.
	if v[1] < 1 || v[1] > 12 || t.Day() != v[2] || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, false
	}
	return t, true
}

// Username is LookupEvents' Username attribute: the user name, the role
// session name, or "root".
func (e *Event) Username() string {
	u := e.UserIdentity
	switch u.Type {
	case "Root":
		return "root"
	case "IAMUser":
		return u.UserName
	case "AssumedRole", "FederatedUser":
		if i := strings.LastIndexByte(u.ARN, '/'); i >= 0 {
			return u.ARN[i+1:]
		}
	}
	return u.UserName
}

// IsReadOnly says whether an operation only reads: CloudTrail's readOnly.
func IsReadOnly(operation string) bool {
	for _, p := range []string{"Get", "List", "Simulate", "Describe", "Lookup"} {
		if strings.HasPrefix(operation, p) {
			return true
		}
	}
	return false
}
