package policy

import (
	"strings"
)

// Parse parses a stored policy document of type t. It enforces the grammar
// (everything evaluation depends on) but not the rules IAM applies only
// when a document is created or updated (size, character set, SID
// characters, action and ARN formats, principal formats): a document that
// was accepted once must keep loading. New documents go through
// [ParseStrict]. The error, if any, is an [*Error].
func Parse(doc string, t PolicyType) (*Policy, error) {
	return parse(doc, t, false)
}

// ParseStrict parses a new document of type t as IAM does on CreatePolicy,
// PutUserPolicy, CreateRole, AssumeRole and friends: the grammar of [Parse]
// plus the character set, the per-type size quota (LimitManaged for
// Identity and Boundary, LimitTrust, LimitSession, LimitSCP; none for
// Resource, whose quota depends on the service), SID characters, action
// vendor prefixes, ARN format of resources and principal formats.
//
// Inline policy quotas are aggregates over several documents; callers
// check them with [Size]. The error, if any, is an [*Error].
func ParseStrict(doc string, t PolicyType) (*Policy, error) {
	if !validCharset(doc) {
		return nil, &Error{Code: CodeValidationError, Message: msgCharset}
	}
	if lim := typeLimit(t); lim > 0 && Size(doc) > lim {
		return nil, &Error{Code: CodeLimitExceeded, Message: limitMessage(t, lim)}
	}
	return parse(doc, t, true)
}

func typeLimit(t PolicyType) int {
	switch t {
	case Identity, Boundary:
		return LimitManaged
	case Trust:
		return LimitTrust
	case Session:
		return LimitSession
	case SCP:
		return LimitSCP
	}
	return 0
}

// limitMessage is IAM's quota message; trust policies count against the
// ACLSizePerRole quota.
func limitMessage(t PolicyType, lim int) string {
	q := "PolicySize"
	if t == Trust {
		q = "ACLSizePerRole"
	}
	return "Cannot exceed quota for " + q + ": " + itoa(lim)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

var (
	topFields  = []string{"Version", "Id", "Statement"}
	stmtFields = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)

func known(list []string, k string) bool {
	for _, s := range list {
		if s == k {
			return true
		}
	}
	return false
}

// unknownField is the error for an element the grammar does not have.
// IAM's identity-policy parser reports a plain syntax error; the
// principal-bearing (trust and resource) validators name the field.
func unknownField(t PolicyType, k string) *Error {
	if t.hasPrincipal() {
		return malformed("Unknown field " + k)
	}
	return malformed(msgSyntax)
}

// parse checks in the order IAM reports problems: JSON syntax and element
// shapes, then legacy parsing (exact Effect case, dates, ARN colons), then
// per-type required/prohibited elements, SID uniqueness, actions,
// resources, and finally the strict-only formats.
func parse(doc string, t PolicyType, strict bool) (*Policy, error) {
	root, ok := decodeJSON(doc)
	if !ok || root.kind != jObject {
		return nil, malformed(msgSyntax)
	}
	p := &Policy{Text: doc, Type: t}
	for _, m := range root.obj {
		if !known(topFields, m.key) {
			return nil, unknownField(t, m.key)
		}
	}
	if v, ok := root.get("Version"); ok {
		if v.kind != jString || (v.str != Version2012 && v.str != Version2008) {
			return nil, malformed(msgSyntax)
		}
		p.Version = v.str
	}
	if v, ok := root.get("Id"); ok {
		if v.kind != jString {
			return nil, malformed(msgSyntax)
		}
		p.ID, p.HasID = v.str, true
	}
	sv, ok := root.get("Statement")
	if !ok {
		return nil, malformed(msgSyntax)
	}
	var raw []jvalue
	switch sv.kind {
	case jObject:
		raw = []jvalue{*sv}
	case jArray:
		raw = sv.arr
	default:
		return nil, malformed(msgSyntax)
	}
	if len(raw) == 0 {
		return nil, malformed(msgSyntax)
	}
	p.Statements = make([]Statement, len(raw))
	legacy := false
	for i := range raw {
		l, err := parseStatement(&raw[i], t, &p.Statements[i])
		if err != nil {
			return nil, err
		}
		legacy = legacy || l
	}
	if legacy {
		return nil, malformed(msgLegacy)
	}
	for i := range p.Statements {
		if err := checkType(&p.Statements[i], t); err != nil {
			return nil, err
		}
	}
	seen := make(map[string]bool)
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Sid == "" {
			continue
		}
		if seen[s.Sid] {
			return nil, malformed(msgSidUnique)
		}
		seen[s.Sid] = true
	}
	for i := range p.Statements {
		if len(p.Statements[i].Actions) == 0 {
			return nil, malformed(msgNoActions)
		}
	}
	if t != Trust && t != Resource {
		for i := range p.Statements {
			s := &p.Statements[i]
			if !s.HasResource || len(s.Resources) == 0 {
				return nil, malformed(msgNoResources)
			}
		}
	}
	if strict {
		for i := range p.Statements {
			if err := checkStrict(&p.Statements[i], t); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// parseStatement fills s from v. It returns legacy=true for problems IAM
// reports as "The policy failed legacy parsing", which rank below syntax
// errors in any statement.
func parseStatement(v *jvalue, t PolicyType, s *Statement) (legacy bool, err *Error) {
	if v.kind != jObject {
		return false, malformed(msgSyntax)
	}
	for _, m := range v.obj {
		if !known(stmtFields, m.key) {
			return false, unknownField(t, m.key)
		}
	}
	_, hasA := v.get("Action")
	_, hasNA := v.get("NotAction")
	_, hasR := v.get("Resource")
	_, hasNR := v.get("NotResource")
	_, hasP := v.get("Principal")
	_, hasNP := v.get("NotPrincipal")
	if hasA && hasNA || hasR && hasNR || hasP && hasNP {
		return false, malformed(msgSyntax)
	}
	e, ok := v.get("Effect")
	if !ok || e.kind != jString {
		return false, malformed(msgSyntax)
	}
	switch {
	case e.str == "Allow":
		s.Effect = Allow
	case e.str == "Deny":
		s.Effect = ExplicitDeny
	case strings.EqualFold(e.str, "Allow"):
		s.Effect, legacy = Allow, true
	case strings.EqualFold(e.str, "Deny"):
		s.Effect, legacy = ExplicitDeny, true
	default:
		return false, malformed(msgSyntax)
	}
	if sid, ok := v.get("Sid"); ok {
		if sid.kind != jString {
			return false, malformed(msgSyntax)
		}
		s.Sid, s.HasSid = sid.str, true
	}
	for _, f := range [...]struct {
		name string
		not  bool
	}{{"Action", false}, {"NotAction", true}} {
		if a, ok := v.get(f.name); ok {
			if s.Actions, ok = a.stringList(); !ok {
				return false, malformed(msgSyntax)
			}
			s.NotAction = f.not
		}
	}
	for _, f := range [...]struct {
		name string
		not  bool
	}{{"Resource", false}, {"NotResource", true}} {
		if r, ok := v.get(f.name); ok {
			if s.Resources, ok = r.stringList(); !ok {
				return false, malformed(msgSyntax)
			}
			s.HasResource, s.NotResource = true, f.not
			for _, res := range s.Resources {
				if res != "*" && strings.Contains(res, "::") && strings.Count(res, ":") < 5 {
					legacy = true
				}
			}
		}
	}
	for _, f := range [...]struct {
		name string
		not  bool
	}{{"Principal", false}, {"NotPrincipal", true}} {
		if pv, ok := v.get(f.name); ok {
			pr, err := parsePrincipals(pv)
			if err != nil {
				return false, err
			}
			s.Principal, s.NotPrincipal = pr, f.not
		}
	}
	if c, ok := v.get("Condition"); ok {
		if c.kind != jObject {
			return false, malformed(msgSyntax)
		}
		for _, om := range c.obj {
			if om.val.kind != jObject {
				return false, malformed(msgSyntax)
			}
			op, known := lookupOperator(om.key)
			if !known && len(om.val.obj) > 0 {
				return false, malformed(msgSyntax)
			}
			for _, km := range om.val.obj {
				vals, ok := km.val.scalarList()
				if !ok {
					return false, malformed(msgSyntax)
				}
				if op.base.family() == famDate {
					for _, d := range vals {
						if _, ok := parseDate(d); !ok {
							legacy = true
						}
					}
				}
				s.Conditions = append(s.Conditions, Condition{Operator: om.key, Key: km.key, Values: vals})
			}
		}
	}
	return legacy, nil
}

func parsePrincipals(v *jvalue) (*Principals, *Error) {
	if v.kind == jString {
		if v.str != "*" {
			return nil, invalidPrincipal("", v.str)
		}
		return &Principals{Star: true}, nil
	}
	if v.kind != jObject {
		return nil, malformed(msgSyntax)
	}
	p := &Principals{}
	for _, m := range v.obj {
		vals, ok := m.val.stringList()
		if !ok {
			return nil, malformed(msgSyntax)
		}
		switch m.key {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			v := ""
			if len(vals) > 0 {
				v = vals[0]
			}
			return nil, invalidPrincipal(m.key, v)
		}
	}
	return p, nil
}

// invalidPrincipal formats IAM's message, which quotes the offending
// entry: Invalid principal in policy: "AWS":"arn:aws:iam::000000000000:root".
func invalidPrincipal(kind, val string) *Error {
	if kind == "" {
		return malformed(`Invalid principal in policy: "` + val + `"`)
	}
	return malformed(`Invalid principal in policy: "` + kind + `":"` + val + `"`)
}

func checkType(s *Statement, t PolicyType) *Error {
	switch t {
	case Identity, Boundary, Session, SCP:
		if s.Principal != nil {
			return malformed(msgNoPrincipalWanted)
		}
	case Trust:
		if s.HasResource {
			if s.NotResource {
				return malformed("Has prohibited field NotResource")
			}
			return malformed("Has prohibited field Resource")
		}
		if s.Principal == nil {
			return malformed(msgMissingPrincipal)
		}
	case Resource:
		if s.Principal == nil {
			return malformed(msgMissingPrincipal)
		}
	}
	return nil
}

// trustActions are the actions a role trust policy may name.
var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
}

func checkStrict(s *Statement, t PolicyType) *Error {
	if t != Resource && t != SCP {
		for i := 0; i < len(s.Sid); i++ {
			c := s.Sid[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return malformed(msgSidAlnum)
			}
		}
	}
	for _, a := range s.Actions {
		if err := checkVendor(a); err != nil {
			return err
		}
	}
	if t == Trust {
		for _, a := range s.Actions {
			if !strings.HasPrefix(lowerASCII(a), "sts:") {
				return malformed(msgTrustActions)
			}
			ok := false
			for _, ta := range trustActions {
				if globMatch(lowerASCII(a), ta) {
					ok = true
				}
			}
			if !ok {
				return malformed(msgTrustActions)
			}
		}
	}
	for _, r := range s.Resources {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return malformed("Resource " + r + ` must be in ARN format or "*".`)
		}
	}
	for _, c := range s.Conditions {
		if !strings.Contains(c.Key, ":") {
			return malformed(msgVendor)
		}
	}
	if s.Principal != nil {
		if err := checkPrincipalFormats(s.Principal); err != nil {
			return err
		}
	}
	return nil
}

func checkVendor(a string) *Error {
	if a == "*" {
		return nil
	}
	i := strings.IndexByte(a, ':')
	if i < 0 {
		return malformed(msgVendor)
	}
	if strings.IndexByte(a[i+1:], ':') >= 0 {
		return malformed(msgOneColon)
	}
	for _, c := range []byte(a[:i]) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '*' || c == '?') {
			return malformed("Vendor " + a[:i] + " is not valid")
		}
	}
	return nil
}

func checkPrincipalFormats(p *Principals) *Error {
	for _, a := range p.AWS {
		if !validAWSPrincipal(a) {
			return invalidPrincipal("AWS", a)
		}
	}
	for _, sv := range p.Service {
		if !validService(sv) {
			return invalidPrincipal("Service", sv)
		}
	}
	for _, f := range p.Federated {
		if f == "" || strings.ContainsAny(f, "*? ") {
			return invalidPrincipal("Federated", f)
		}
	}
	for _, c := range p.CanonicalUser {
		if !isHex(c) || len(c) != 64 {
			return invalidPrincipal("CanonicalUser", c)
		}
	}
	return nil
}

// validAWSPrincipal accepts "*", a 12-digit account ID and IAM/STS
// principal ARNs. AWS allows no other wildcard in principals.
func validAWSPrincipal(a string) bool {
	if a == "*" || isAccountID(a) {
		return true
	}
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" || !isAccountID(parts[4]) {
		return false
	}
	if strings.ContainsAny(a, "*?") {
		return false
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		return res == "root" || strings.HasPrefix(res, "user/") || strings.HasPrefix(res, "role/") || strings.HasPrefix(res, "federated-user/")
	case "sts":
		return strings.HasPrefix(res, "assumed-role/") || strings.HasPrefix(res, "federated-user/")
	}
	return false
}

func validService(s string) bool {
	if s == "" || strings.ContainsAny(s, "*?: ") || !strings.Contains(s, ".") {
		return false
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
