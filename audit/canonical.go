package audit

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/iamd/iamd/internal/jsonquote"
)

// The canonical encoding, written by hand: the hash chain covers these
// bytes, so they must equal encoding/json's output for the Event struct
// (with HTML escaping off) byte for byte, which canonical_test.go checks
// against encoding/json itself, by table and by fuzzing. Reflection made
// encoding/json the largest cost of an event outside SQLite, paid on the
// writer's single goroutine for every read (docs/bench/audit.md).

// appendCanonical appends e's canonical JSON to dst.
func appendCanonical(dst []byte, e *Event) ([]byte, error) {
	var err error
	dst = append(dst, `{"eventVersion":`...)
	dst = appendString(dst, e.EventVersion)
	dst = append(dst, `,"userIdentity":`...)
	dst = appendIdentity(dst, &e.UserIdentity)
	dst = appendField(dst, "eventTime", e.EventTime)
	dst = appendField(dst, "eventSource", e.EventSource)
	dst = appendField(dst, "eventName", e.EventName)
	dst = appendField(dst, "awsRegion", e.AWSRegion)
	dst = appendField(dst, "sourceIPAddress", e.SourceIPAddress)
	dst = appendField(dst, "userAgent", e.UserAgent)
	dst = appendOmitEmpty(dst, "errorCode", e.ErrorCode)
	dst = appendOmitEmpty(dst, "errorMessage", e.ErrorMessage)
	dst = append(dst, `,"requestParameters":`...)
	if dst, err = appendMap(dst, e.RequestParameters); err != nil {
		return nil, err
	}
	dst = append(dst, `,"responseElements":`...)
	if dst, err = appendMap(dst, e.ResponseElements); err != nil {
		return nil, err
	}
	if len(e.AdditionalEventData) > 0 {
		dst = append(dst, `,"additionalEventData":`...)
		if dst, err = appendMap(dst, e.AdditionalEventData); err != nil {
			return nil, err
		}
	}
	dst = appendField(dst, "requestID", e.RequestID)
	dst = appendField(dst, "eventID", e.EventID)
	dst = append(dst, `,"readOnly":`...)
	dst = strconv.AppendBool(dst, e.ReadOnly)
	if len(e.Resources) > 0 {
		dst = append(dst, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":`...)
			dst = appendString(dst, r.Type)
			dst = appendField(dst, "name", r.Name)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = appendField(dst, "eventType", e.EventType)
	dst = append(dst, `,"managementEvent":`...)
	dst = strconv.AppendBool(dst, e.ManagementEvent)
	dst = appendField(dst, "recipientAccountId", e.RecipientAccountID)
	dst = appendField(dst, "eventCategory", e.EventCategory)
	return append(dst, '}'), nil
}

func appendIdentity(dst []byte, u *UserIdentity) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, u.Type)
	dst = appendOmitEmpty(dst, "principalId", u.PrincipalID)
	dst = appendOmitEmpty(dst, "arn", u.ARN)
	dst = appendOmitEmpty(dst, "accountId", u.AccountID)
	dst = appendOmitEmpty(dst, "accessKeyId", u.AccessKeyID)
	dst = appendOmitEmpty(dst, "userName", u.UserName)
	dst = appendOmitEmpty(dst, "identityProvider", u.IdentityProvider)
	if sc := u.SessionContext; sc != nil {
		dst = append(dst, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			dst = append(dst, `"sessionIssuer":{"type":`...)
			dst = appendString(dst, si.Type)
			dst = appendField(dst, "principalId", si.PrincipalID)
			dst = appendField(dst, "arn", si.ARN)
			dst = appendField(dst, "accountId", si.AccountID)
			dst = appendField(dst, "userName", si.UserName)
			dst = append(dst, `},`...)
		}
		dst = append(dst, `"attributes":{"creationDate":`...)
		dst = appendString(dst, sc.Attributes.CreationDate)
		dst = appendField(dst, "mfaAuthenticated", sc.Attributes.MFAAuthenticated)
		dst = append(dst, '}')
		dst = appendOmitEmpty(dst, "sourceIdentity", sc.SourceIdent)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendField appends ,"name":"value"; name needs no escaping.
func appendField(dst []byte, name, v string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

func appendOmitEmpty(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return appendField(dst, name, v)
}

// appendMap encodes a map as encoding/json does (nil is null, keys
// sorted); the value types redaction produces are written directly, any
// other by encoding/json.
func appendMap(dst []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	if len(m) == 0 {
		return append(dst, "{}"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if dst, err = appendValue(dst, m[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case map[string]any:
		return appendMap(dst, v)
	case json.RawMessage:
		// Taken as it is: the producer (the authorization API's decision
		// entries) writes compact JSON identical to encoding/json's, which
		// would otherwise re-validate it byte by byte on every event.
		if v == nil {
			return append(dst, "null"...), nil
		}
		return append(dst, v...), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		var err error
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendValue(dst, x); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

// appendString is encoding/json's string encoding without HTML escaping.
func appendString(dst []byte, s string) []byte { return jsonquote.Append(dst, s, false) }
