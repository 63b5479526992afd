package policy

import (
	"strconv"
	"unicode/utf8"
)

// PolicyType says where a document is attached, which decides the elements
// it may and must contain and its size quota.
type PolicyType uint8

const (
	// Identity is a managed or inline policy attached to a user, group or
	// role: no Principal, Resource required.
	Identity PolicyType = iota
	// Resource is a resource-based policy (bucket, key, queue ...):
	// Principal required, Resource optional.
	Resource
	// Trust is a role trust policy: Principal required, no Resource,
	// actions limited to the STS AssumeRole family.
	Trust
	// Boundary is a managed policy used as a permissions boundary.
	Boundary
	// Session is a session policy passed to AssumeRole* or
	// GetFederationToken.
	Session
	// SCP is an AWS Organizations service control policy.
	SCP
)

var typeNames = [...]string{"identity", "resource", "trust", "boundary", "session", "scp"}

func (t PolicyType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "PolicyType(" + strconv.Itoa(int(t)) + ")"
}

// hasPrincipal reports whether statements of this type name principals.
func (t PolicyType) hasPrincipal() bool { return t == Resource || t == Trust }

// Version strings AWS accepts.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed policy document. It is immutable once returned by
// [Parse] and may be shared by goroutines.
type Policy struct {
	// Text is the document exactly as given: AWS returns stored documents
	// verbatim (URL-encoded), not re-serialized.
	Text    string
	Type    PolicyType
	Version string // "", Version2008 or Version2012
	ID      string
	HasID   bool
	// Statements in document order; a single-object Statement becomes one
	// element.
	Statements []Statement
}

// Effect of a statement, and of a [Decision].
type Effect uint8

const (
	// ImplicitDeny: nothing allowed the request (or, for a statement, the
	// zero value; statements are always Allow or Deny).
	ImplicitDeny Effect = iota
	Allow
	ExplicitDeny
)

var effectNames = [...]string{"ImplicitDeny", "Allow", "ExplicitDeny"}

func (e Effect) String() string {
	if int(e) < len(effectNames) {
		return effectNames[e]
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// Statement is one statement. Exactly one of Action/NotAction (selected by
// NotAction), at most one of Resource/NotResource (HasResource false means
// the element is absent, as in trust policies) and at most one of
// Principal/NotPrincipal are present.
type Statement struct {
	Sid    string
	HasSid bool
	// Effect is Allow or ExplicitDeny ("Deny").
	Effect Effect

	Principal    *Principals // nil when absent
	NotPrincipal bool        // Principal holds the NotPrincipal element

	Actions   []string
	NotAction bool

	Resources   []string
	HasResource bool
	NotResource bool

	Conditions []Condition
}

// Principals is a Principal or NotPrincipal element. Star is the bare
// string form "Principal": "*"; the object form keeps its values per type.
type Principals struct {
	Star          bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one operator/key pair of a Condition block with its values,
// in document order. Operator is the full name including any
// ForAllValues:/ForAnyValue: prefix and IfExists suffix.
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Marshal returns the canonical JSON form of p: fixed element order
// (Version, Id, Statement; Sid, Effect, Principal|NotPrincipal,
// Action|NotAction, Resource|NotResource, Condition), Statement always an
// array, single values as strings and several as arrays, no whitespace.
// Parsing the result yields an equal Policy (Text aside).
func (p *Policy) Marshal() []byte {
	b := make([]byte, 0, len(p.Text)+64)
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	if p.Version != "" {
		sep()
		b = append(b, `"Version":`...)
		b = appendQuote(b, p.Version)
	}
	if p.HasID {
		sep()
		b = append(b, `"Id":`...)
		b = appendQuote(b, p.ID)
	}
	sep()
	b = append(b, `"Statement":[`...)
	for i := range p.Statements {
		if i > 0 {
			b = append(b, ',')
		}
		b = p.Statements[i].appendJSON(b)
	}
	b = append(b, "]}"...)
	return b
}

func (s *Statement) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if s.HasSid {
		b = append(b, `"Sid":`...)
		b = appendQuote(b, s.Sid)
		b = append(b, ',')
	}
	if s.Effect == Allow {
		b = append(b, `"Effect":"Allow"`...)
	} else {
		b = append(b, `"Effect":"Deny"`...)
	}
	if s.Principal != nil {
		if s.NotPrincipal {
			b = append(b, `,"NotPrincipal":`...)
		} else {
			b = append(b, `,"Principal":`...)
		}
		b = s.Principal.appendJSON(b)
	}
	if s.NotAction {
		b = append(b, `,"NotAction":`...)
	} else {
		b = append(b, `,"Action":`...)
	}
	b = appendList(b, s.Actions)
	if s.HasResource {
		if s.NotResource {
			b = append(b, `,"NotResource":`...)
		} else {
			b = append(b, `,"Resource":`...)
		}
		b = appendList(b, s.Resources)
	}
	if len(s.Conditions) > 0 {
		b = append(b, `,"Condition":{`...)
		done := make([]bool, len(s.Conditions))
		for i, c := range s.Conditions {
			if done[i] {
				continue
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuote(b, c.Operator)
			b = append(b, ":{"...)
			for j := i; j < len(s.Conditions); j++ {
				d := s.Conditions[j]
				if done[j] || d.Operator != c.Operator {
					continue
				}
				done[j] = true
				if j > i {
					b = append(b, ',')
				}
				b = appendQuote(b, d.Key)
				b = append(b, ':')
				b = appendList(b, d.Values)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (p *Principals) appendJSON(b []byte) []byte {
	if p.Star {
		return append(b, `"*"`...)
	}
	b = append(b, '{')
	n := 0
	for _, e := range [...]struct {
		k string
		v []string
	}{{"AWS", p.AWS}, {"Service", p.Service}, {"Federated", p.Federated}, {"CanonicalUser", p.CanonicalUser}} {
		if e.v == nil {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendQuote(b, e.k)
		b = append(b, ':')
		b = appendList(b, e.v)
	}
	return append(b, '}')
}

func appendList(b []byte, v []string) []byte {
	if len(v) == 1 {
		return appendQuote(b, v[0])
	}
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuote(b, s)
	}
	return append(b, ']')
}

// appendQuote writes s as a JSON string without HTML escaping, so that
// canonical output stays readable ("<", ">" and "&" are common in
// condition values).
func appendQuote(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// Size returns the size of a policy document as IAM counts it against its
// quotas: characters, not bytes, with whitespace outside string literals
// not counted. Callers enforce aggregate quotas (all inline policies of a
// user, say) by summing Size over the documents.
func Size(doc string) int {
	n := 0
	inStr, esc := false, false
	for _, r := range doc {
		if inStr {
			n++
			switch {
			case esc:
				esc = false
			case r == '\\':
				esc = true
			case r == '"':
				inStr = false
			}
			continue
		}
		switch r {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inStr = true
		}
		n++
	}
	return n
}

// Quotas, in [Size] units (AWS IAM and STS quotas).
const (
	LimitManaged     = 6144  // managed policy, also a permissions boundary
	LimitUserInline  = 2048  // aggregate of a user's inline policies
	LimitGroupInline = 5120  // aggregate of a group's inline policies
	LimitRoleInline  = 10240 // aggregate of a role's inline policies
	LimitTrust       = 2048  // role trust policy (default quota)
	LimitSession     = 2048  // session policy
	LimitSCP         = 5120  // service control policy
)

// validCharset reports whether doc uses only the characters IAM accepts:
// tab, LF, CR and U+0020 through U+00FF.
func validCharset(doc string) bool {
	for _, r := range doc {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if r < 0x20 || r > 0xff {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases ASCII letters only: AWS action and key names are
// ASCII, and Unicode folding could change byte lengths. Other bytes,
// invalid UTF-8 included, are kept as they are.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}
