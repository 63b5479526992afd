package authzapi

import (
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/internal/jsonquote"
	"github.com/iamd/iamd/policy"
)

// The decision endpoints' wire format, decoded and encoded by hand:
// encoding/json's reflection was about a third of a decision's CPU time
// and most of its allocations (docs/bench/authz.md).
//
// Decoding has one contract: the result equals encoding/json's for every
// input. The fast path below takes the common shapes (exact-case field
// names, each field at most once, valid UTF-8) and gives up on anything
// else, whereupon the caller decodes with encoding/json, so errors,
// case-insensitive names, duplicate fields and invalid UTF-8 keep
// encoding/json's meaning and wording. codec_test.go checks the
// equivalence by table and by fuzzing.
//
// Encoding writes what encoding/json would write for the wire structs,
// byte for byte (HTML-safe escaping included), which the same tests check.

// maxSkipDepth bounds the nesting of unknown fields the fast path skips;
// deeper documents go to encoding/json, which has its own limit.
const maxSkipDepth = 256

// scanner reads one JSON document. Strings without escapes are sliced out
// of src, a string copy of the body made once, so that a request's field
// values cost one allocation between them.
type scanner struct {
	src string
	i   int
}

func (s *scanner) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

func (s *scanner) consume(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.src)-s.i >= 4 && s.src[s.i:s.i+4] == "null" {
		s.i += 4
		return true
	}
	return false
}

// str reads a string token.
func (s *scanner) str() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	s.i++
	start := s.i
	ascii := true
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			v := s.src[start:s.i]
			s.i++
			// encoding/json replaces invalid UTF-8 with U+FFFD: rare
			// enough to leave to it.
			if !ascii && !utf8.ValidString(v) {
				return "", false
			}
			return v, true
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		s.i++
	}
	return "", false
}

// escaped finishes a string with escapes that started at start.
func (s *scanner) escaped(start int) (string, bool) {
	b := make([]byte, 0, s.i-start+16)
	b = append(b, s.src[start:s.i]...)
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(b) {
				return "", false
			}
			return string(b), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.src) {
			return "", false
		}
		e := s.src[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				// A valid pair makes one rune; anything else is U+FFFD
				// and the following escape is read on its own.
				r2, ok := rune(-1), false
				if s.i+1 < len(s.src) && s.src[s.i] == '\\' && s.src[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if r2, ok = s.hex4(); !ok {
						return "", false
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						b = utf8.AppendRune(b, dec)
						continue
					}
					s.i = save
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.src)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s.src[s.i : s.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	s.i += 4
	return r, true
}

// stringField reads a string field's value: null leaves it unset, as in
// encoding/json; any other type is left to encoding/json's error.
func (s *scanner) stringField(dst *string) bool {
	if s.null() {
		return true
	}
	v, ok := s.str()
	*dst = v
	return ok
}

// object reads an object's fields, calling field for each key with the
// scanner at its value. Keys that are not exactly one of names but equal
// one of them ignoring case would be matched by encoding/json and end the
// fast path; other unknown keys are skipped. A key seen twice ends it too.
func (s *scanner) object(names []string, field func(i int) bool) bool {
	if !s.consume('{') {
		return false
	}
	var seen uint32
	if s.consume('}') {
		return true
	}
	for {
		k, ok := s.key()
		if !ok || !s.consume(':') {
			return false
		}
		i := lookupName(names, k)
		switch {
		case i == -2:
			return false
		case i == -1:
			if !s.skip(0) {
				return false
			}
		default:
			if seen&(1<<i) != 0 {
				return false
			}
			seen |= 1 << i
			if !field(i) {
				return false
			}
		}
		if s.consume('}') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// key reads an object key: only ASCII keys without escapes take the fast
// path, since encoding/json folds some non-ASCII letters (K, ſ) onto ASCII
// field names.
func (s *scanner) key() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	for j := s.i + 1; j < len(s.src); j++ {
		c := s.src[j]
		if c == '"' {
			k := s.src[s.i+1 : j]
			s.i = j + 1
			return k, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return "", false
}

// lookupName returns k's index in names, -1 if it matches none, -2 if it
// matches one only ignoring case.
func lookupName(names []string, k string) int {
	for i, n := range names {
		if n == k {
			return i
		}
	}
	for _, n := range names {
		if len(n) == len(k) && equalFold(n, k) {
			return -2
		}
	}
	return -1
}

// skip reads and discards any value, validating it as encoding/json's
// scanner does.
func (s *scanner) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.rawString()
		return ok
	case c == '{':
		s.i++
		if s.consume('}') {
			return true
		}
		for {
			if _, ok := s.rawString(); !ok || !s.consume(':') || !s.skip(depth+1) {
				return false
			}
			if s.consume('}') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		if s.consume(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.consume(']') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	}
	return false
}

// rawString validates a string token without decoding it (encoding/json
// does not check the UTF-8 of strings it skips).
func (s *scanner) rawString() (string, bool) {
	if s.peek() != '"' {
		return "", false
	}
	start := s.i + 1
	for s.i++; s.i < len(s.src); s.i++ {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			return s.src[start : s.i-1], true
		case c < 0x20:
			return "", false
		case c == '\\':
			if s.i+1 >= len(s.src) {
				return "", false
			}
			switch s.src[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i += 2
				if _, ok := s.hex4(); !ok {
					return "", false
				}
				s.i--
			default:
				return "", false
			}
		}
	}
	return "", false
}

func (s *scanner) literal(lit string) bool {
	if len(s.src)-s.i >= len(lit) && s.src[s.i:s.i+len(lit)] == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// number validates a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	src := s.src
	i := s.i
	if i < len(src) && src[i] == '-' {
		i++
	}
	switch {
	case i < len(src) && src[i] == '0':
		i++
	case i < len(src) && '1' <= src[i] && src[i] <= '9':
		for i < len(src) && '0' <= src[i] && src[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || src[i] < '0' || src[i] > '9' {
			return false
		}
		for i < len(src) && '0' <= src[i] && src[i] <= '9' {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || src[i] < '0' || src[i] > '9' {
			return false
		}
		for i < len(src) && '0' <= src[i] && src[i] <= '9' {
			i++
		}
	}
	s.i = i
	return true
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.src)
}

// stringList reads a []string value: null is nil, [] an empty list, null
// elements empty strings.
func (s *scanner) stringList() ([]string, bool) {
	if s.null() {
		return nil, true
	}
	if !s.consume('[') {
		return nil, false
	}
	if s.consume(']') {
		return []string{}, true
	}
	out := make([]string, 0, 1)
	for {
		var v string
		if !s.stringField(&v) {
			return nil, false
		}
		out = append(out, v)
		if s.consume(']') {
			return out, true
		}
		if !s.consume(',') {
			return nil, false
		}
	}
}

// stringListMap reads a map[string][]string value (headers, context):
// null is nil, {} an empty map, a repeated key keeps its last value.
func (s *scanner) stringListMap() (map[string][]string, bool) {
	if s.null() {
		return nil, true
	}
	if !s.consume('{') {
		return nil, false
	}
	m := make(map[string][]string, 4)
	if s.consume('}') {
		return m, true
	}
	for {
		k, ok := s.str()
		if !ok || !s.consume(':') {
			return nil, false
		}
		if m[k], ok = s.stringList(); !ok {
			return nil, false
		}
		if s.consume('}') {
			return m, true
		}
		if !s.consume(',') {
			return nil, false
		}
	}
}

var (
	authorizeFields = []string{"signedRequest", "principalArn", "action", "resource", "context", "resourcePolicy", "resourceAccount"}
	batchFields     = []string{"signedRequest", "principalArn", "resourcePolicy", "resourceAccount", "checks"}
	checkFields     = []string{"action", "resource", "context", "resourcePolicy", "resourceAccount"}
	signedFields    = []string{"method", "path", "query", "headers", "payloadHash"}
)

func (s *scanner) signedRequest(dst **wire.SignedRequest) bool {
	if s.null() {
		return true
	}
	sr := &wire.SignedRequest{}
	*dst = sr
	return s.object(signedFields, func(i int) bool {
		switch i {
		case 0:
			return s.stringField(&sr.Method)
		case 1:
			return s.stringField(&sr.Path)
		case 2:
			return s.stringField(&sr.Query)
		case 3:
			var ok bool
			sr.Header, ok = s.stringListMap()
			return ok
		default:
			return s.stringField(&sr.PayloadHash)
		}
	})
}

// checkField reads check field i (of checkFields).
func (s *scanner) checkField(c *wire.Check, i int) bool {
	switch i {
	case 0:
		return s.stringField(&c.Action)
	case 1:
		return s.stringField(&c.Resource)
	case 2:
		var ok bool
		c.Context, ok = s.stringListMap()
		return ok
	case 3:
		return s.stringField(&c.ResourcePolicy)
	default:
		return s.stringField(&c.ResourceAccount)
	}
}

// fastAuthorize decodes an /authorize body into the zero *in; false means
// the body needs encoding/json (in is then partly filled).
func fastAuthorize(body []byte, in *wire.AuthorizeRequest) bool {
	s := &scanner{src: string(body)}
	ok := s.object(authorizeFields, func(i int) bool {
		switch i {
		case 0:
			return s.signedRequest(&in.SignedRequest)
		case 1:
			return s.stringField(&in.PrincipalARN)
		default:
			return s.checkField(&in.Check, i-2)
		}
	})
	return ok && s.end()
}

// fastBatch is fastAuthorize for /authorize-batch.
func fastBatch(body []byte, in *wire.BatchRequest) bool {
	s := &scanner{src: string(body)}
	ok := s.object(batchFields, func(i int) bool {
		switch i {
		case 0:
			return s.signedRequest(&in.SignedRequest)
		case 1:
			return s.stringField(&in.PrincipalARN)
		case 2:
			return s.stringField(&in.ResourcePolicy)
		case 3:
			return s.stringField(&in.ResourceAccount)
		}
		if s.null() {
			return true
		}
		if !s.consume('[') {
			return false
		}
		in.Checks = make([]wire.Check, 0, 4)
		if s.consume(']') {
			return true
		}
		for {
			in.Checks = append(in.Checks, wire.Check{})
			c := &in.Checks[len(in.Checks)-1]
			if !s.null() && !s.object(checkFields, func(i int) bool { return s.checkField(c, i) }) {
				return false
			}
			if s.consume(']') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	})
	return ok && s.end()
}

// decodeAuthorize decodes an /authorize body.
func decodeAuthorize(body []byte, in *wire.AuthorizeRequest) *apiError {
	if fastAuthorize(body, in) {
		return nil
	}
	*in = wire.AuthorizeRequest{}
	return decodeJSON(body, in)
}

// decodeBatch decodes an /authorize-batch body.
func decodeBatch(body []byte, in *wire.BatchRequest) *apiError {
	if fastBatch(body, in) {
		return nil
	}
	*in = wire.BatchRequest{}
	return decodeJSON(body, in)
}

// Encoding.

// appendJSONString appends s as encoding/json quotes it by default: HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte { return appendString(dst, s, true) }

// appendString appends s quoted as encoding/json does, with or without
// its HTML escaping (the audit trail's canonical form has none).
func appendString(dst []byte, s string, html bool) []byte { return jsonquote.Append(dst, s, html) }

// appendKey appends ,"name": (or without the comma first); names need no
// escaping.
func appendKey(dst []byte, name string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

func appendStringField(dst []byte, name, v string, first bool) []byte {
	return appendJSONString(appendKey(dst, name, first), v)
}

func appendOmitEmptyField(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return appendStringField(dst, name, v, false)
}

// appendTime appends t as time.Time's MarshalJSON does; false for the
// years it refuses, which the caller leaves to encoding/json's error.
func appendTime(dst []byte, name string, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	dst = append(appendKey(dst, name, false), '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), true
}

// appendPrincipal appends the "principal" object for p with its tags, as
// principalWire describes it.
func appendPrincipal(dst []byte, p *iam.Principal, tags []iam.Tag) ([]byte, bool) {
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, p.Type.String())
	dst = appendStringField(dst, "arn", p.ARN, false)
	dst = appendStringField(dst, "accountId", p.AccountID, false)
	dst = appendStringField(dst, "userId", p.UserID, false)
	dst = appendOmitEmptyField(dst, "userName", p.UserName)
	dst = appendOmitEmptyField(dst, "accessKeyId", p.AccessKeyID)
	dst = append(dst, `,"tags":[`...)
	for i, t := range tags {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendJSONString(dst, t.Key)
		dst = appendStringField(dst, "value", t.Value, false)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if s := p.Session; s != nil {
		name := s.SessionName
		if s.Kind == iam.SessionFederated {
			name = s.FederatedName
		}
		dst = append(dst, `,"session":{"kind":`...)
		dst = appendJSONString(dst, string(s.Kind))
		dst = appendOmitEmptyField(dst, "roleArn", s.RoleARN)
		dst = appendOmitEmptyField(dst, "sessionName", name)
		dst = append(dst, `,"mfaAuthenticated":`...)
		dst = strconv.AppendBool(dst, s.MFA)
		ok := true
		if s.MFA && s.MFAAuthTime != 0 {
			if dst, ok = appendTime(dst, "mfaAuthTime", time.Unix(s.MFAAuthTime, 0).UTC()); !ok {
				return dst, false
			}
		}
		dst = appendOmitEmptyField(dst, "sourceIdentity", s.SourceIdentity)
		if s.Expires != 0 {
			if dst, ok = appendTime(dst, "issued", time.Unix(s.Issued, 0).UTC()); !ok {
				return dst, false
			}
			if dst, ok = appendTime(dst, "expires", time.Unix(s.Expires, 0).UTC()); !ok {
				return dst, false
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), true
}

// appendResultFields appends a wire.Result's fields, without braces.
func appendResultFields(dst []byte, c *iam.Check, r *iam.CheckResult) []byte {
	dst = appendStringField(dst, "action", c.Action, true)
	dst = appendStringField(dst, "resource", c.Resource, false)
	dst = appendStringField(dst, "decision", r.Decision.String(), false)
	dst = append(dst, `,"allowed":`...)
	dst = strconv.AppendBool(dst, r.Decision == policy.Allow)
	if r.Decision != policy.Allow {
		dst = appendOmitEmptyField(dst, "gate", r.Gate.String())
	}
	dst = append(dst, `,"matchedStatements":[`...)
	for i := range r.Matched {
		m := &r.Matched[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"gate":`...)
		dst = appendJSONString(dst, m.Gate.String())
		dst = appendStringField(dst, "policyId", m.Policy, false)
		dst = appendOmitEmptyField(dst, "versionId", m.Version)
		dst = append(dst, `,"statementIndex":`...)
		dst = strconv.AppendInt(dst, int64(m.Index), 10)
		dst = appendOmitEmptyField(dst, "sid", m.Sid)
		dst = appendStringField(dst, "effect", m.Effect.String(), false)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendAuthorizeResponse appends the /authorize answer: what
// encoding/json makes of the wire.AuthorizeResponse that
// Handler.principal and result build.
func (h *Handler) appendAuthorizeResponse(dst []byte, requestID string, p *iam.Principal, c *iam.Check, r *iam.CheckResult) ([]byte, bool) {
	dst = appendStringField(append(dst, '{'), "requestId", requestID, true)
	dst = append(dst, `,"principal":`...)
	dst, ok := appendPrincipal(dst, p, h.svc.PrincipalTags(p))
	if !ok {
		return dst, false
	}
	dst = appendResultFields(append(dst, ','), c, r)
	return append(dst, '}'), true
}

// appendBatchResponse appends the /authorize-batch answer.
func (h *Handler) appendBatchResponse(dst []byte, requestID string, p *iam.Principal, checks []iam.Check, res []iam.CheckResult) ([]byte, bool) {
	dst = appendStringField(append(dst, '{'), "requestId", requestID, true)
	dst = append(dst, `,"principal":`...)
	dst, ok := appendPrincipal(dst, p, h.svc.PrincipalTags(p))
	if !ok {
		return dst, false
	}
	dst = append(dst, `,"results":[`...)
	for i := range res {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendResultFields(append(dst, '{'), &checks[i], &res[i]), '}')
	}
	return append(dst, "]}"...), true
}

// appendErrorResponse appends a wire.ErrorResponse.
func appendErrorResponse(dst []byte, requestID string, e *wire.ErrorBody) []byte {
	dst = append(dst, `{"error":{"code":`...)
	dst = appendJSONString(dst, e.Code)
	dst = appendStringField(dst, "message", e.Message, false)
	dst = appendStringField(dst, "source", e.Source, false)
	dst = append(dst, '}')
	dst = appendStringField(dst, "requestId", requestID, false)
	return append(dst, '}')
}
