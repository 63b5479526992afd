package policy

import (
	"errors"
	"strings"
)

// Compiled is a policy prepared for evaluation: patterns pre-split and
// pre-lowered, IP blocks, dates and numbers parsed, and an index from
// action to the statements that can apply to it, so statements about
// other actions cost nothing. It is immutable and safe for concurrent use.
type Compiled struct {
	// ID and VersionID identify the policy in [StatementRef]s (a policy
	// ARN or name, and "v3" for managed policy versions).
	ID        string
	VersionID string
	Type      PolicyType
	Policy    *Policy

	stmts []cstmt
	// Index entries are statement<<1 | 1 when the action is already known
	// to match (an exact action), so the statement's action list need not
	// be scanned again.
	exact  map[string][]uint32 // lower-case action without wildcards
	bySvc  map[string][]uint32 // service prefix: its wildcard patterns + global
	global []uint32            // NotAction and service-wildcard statements
	all    []uint32            // every statement, actions unchecked
}

type cstmt struct {
	sid         string
	effect      Effect
	actions     []pattern
	notAction   bool
	resources   []arnPattern
	hasResource bool
	notResource bool
	principal   *cprincipal
	notPrinc    bool
	conds       []cond
}

// Compile prepares p for evaluation. id and versionID are reported in
// matched statements. The error is non-nil only for a nil policy.
func Compile(id, versionID string, p *Policy) (*Compiled, error) {
	if p == nil {
		return nil, errors.New("policy: Compile of nil Policy")
	}
	vars := p.Version == Version2012
	c := &Compiled{ID: id, VersionID: versionID, Type: p.Type, Policy: p, stmts: make([]cstmt, len(p.Statements))}
	for i := range p.Statements {
		c.stmts[i] = compileStatement(&p.Statements[i], vars)
	}
	c.buildIndex()
	return c, nil
}

func compileStatement(s *Statement, vars bool) cstmt {
	cs := cstmt{sid: s.Sid, effect: s.Effect, notAction: s.NotAction, hasResource: s.HasResource, notResource: s.NotResource, notPrinc: s.NotPrincipal}
	for _, a := range s.Actions {
		cs.actions = append(cs.actions, compilePattern(a, true, false, true))
	}
	for _, r := range s.Resources {
		cs.resources = append(cs.resources, compileARN(r, vars, false))
	}
	if s.Principal != nil {
		cs.principal = compilePrincipals(s.Principal)
	}
	for i := range s.Conditions {
		cs.conds = append(cs.conds, compileCond(&s.Conditions[i], vars && supportsVars(s.Conditions[i].Operator)))
	}
	return cs
}

// supportsVars: AWS substitutes policy variables only in String and ARN
// condition operators.
func supportsVars(op string) bool {
	o, _ := lookupOperator(op)
	f := o.base.family()
	return f == famString || f == famArn
}

func (c *Compiled) buildIndex() {
	exact := map[string][]uint32{}
	svc := map[string][]uint32{}
	for i := range c.stmts {
		s := &c.stmts[i]
		e := uint32(i) << 1
		c.all = append(c.all, e)
		if s.notAction {
			c.global = append(c.global, e)
			continue
		}
		for j := range s.actions {
			p := &s.actions[j]
			if p.kind == patExact {
				exact[p.text] = addEntry(exact[p.text], e|1)
				continue
			}
			text := p.text
			if p.kind == patAny {
				c.global = addEntry(c.global, e|1)
				continue
			}
			prefix, _, found := strings.Cut(text, ":")
			if !found || strings.ContainsAny(prefix, "*?") {
				c.global = addEntry(c.global, e)
				continue
			}
			svc[prefix] = addEntry(svc[prefix], e)
		}
	}
	c.bySvc = make(map[string][]uint32, len(svc))
	for k, v := range svc {
		c.bySvc[k] = merge(v, c.global)
	}
	c.exact = make(map[string][]uint32, len(exact))
	for k, v := range exact {
		prefix, _, _ := strings.Cut(k, ":")
		if sv, ok := c.bySvc[prefix]; ok {
			c.exact[k] = merge(v, sv)
		} else {
			c.exact[k] = merge(v, c.global)
		}
	}
}

// addEntry appends e unless its statement is already last in list (a
// statement listing several patterns of one bucket), keeping the
// known-match bit if either has it.
func addEntry(list []uint32, e uint32) []uint32 {
	if n := len(list); n > 0 && list[n-1]>>1 == e>>1 {
		list[n-1] |= e & 1
		return list
	}
	return append(list, e)
}

// merge unions two statement-ordered entry lists.
func merge(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i]>>1 < b[j]>>1:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j]>>1 < a[i]>>1:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i]|b[j]&1)
			i++
			j++
		}
	}
	return out
}

// principalMatch ranks how a resource-policy statement names the caller:
// AWS lets a statement naming the user or session itself allow on its own
// within the account, while one naming the role still needs the
// permissions boundary and session policies, and one naming the account
// only delegates to the account's identity-based policies.
type principalMatch uint8

const (
	matchNone principalMatch = iota
	matchAccount
	matchRole
	matchDirect
)

type cprincipal struct {
	star      bool
	accounts  []string
	arns      []string // users, sessions, federated users: exact ARNs
	roles     []string
	services  []string
	federated []string
	canonical []string
}

func compilePrincipals(p *Principals) *cprincipal {
	c := &cprincipal{star: p.Star, services: p.Service, federated: p.Federated, canonical: p.CanonicalUser}
	for _, a := range p.AWS {
		switch {
		case a == "*":
			c.star = true
		case isAccountID(a):
			c.accounts = append(c.accounts, a)
		case strings.HasPrefix(a, "arn:") && strings.HasSuffix(a, ":root"):
			if parts := strings.Split(a, ":"); len(parts) == 6 && parts[5] == "root" {
				c.accounts = append(c.accounts, parts[4])
			} else {
				c.arns = append(c.arns, a)
			}
		case isRoleARN(a):
			c.roles = append(c.roles, a)
		default:
			c.arns = append(c.arns, a)
		}
	}
	return c
}

func isRoleARN(a string) bool {
	ap := splitARN(a)
	return ap.ok && ap.component(a, 2) == "iam" && strings.HasPrefix(ap.component(a, 5), "role/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasAccount(p *Principal) bool {
	return p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous
}

// match reports how the Principal element names p.
func (c *cprincipal) match(p *Principal) principalMatch {
	switch {
	case c.star:
		return matchDirect
	case p.ARN != "" && contains(c.arns, p.ARN):
		return matchDirect
	case p.Type == PrincipalService && contains(c.services, p.Service):
		return matchDirect
	case p.Federated != "" && contains(c.federated, p.Federated):
		return matchDirect
	case p.CanonicalUser != "" && contains(c.canonical, p.CanonicalUser):
		return matchDirect
	case p.Type == PrincipalAssumedRole && p.RoleARN != "" && contains(c.roles, p.RoleARN):
		return matchRole
	case hasAccount(p) && contains(c.accounts, p.Account):
		return matchAccount
	}
	return matchNone
}

// excludes reports whether a NotPrincipal element exempts p. AWS
// evaluates NotPrincipal against each identity the caller has (its
// account, its role, its session or user), so a caller is exempt only
// when every one of them is listed; listing a user without its account
// still applies the statement to the user.
func (c *cprincipal) excludes(p *Principal) bool {
	if c.star {
		return true
	}
	switch p.Type {
	case PrincipalAnonymous:
		return false
	case PrincipalService:
		return contains(c.services, p.Service)
	}
	if p.Federated != "" && contains(c.federated, p.Federated) {
		return true
	}
	if !contains(c.accounts, p.Account) {
		return false
	}
	switch p.Type {
	case PrincipalRoot:
		return true
	case PrincipalAssumedRole:
		return contains(c.roles, p.RoleARN) && contains(c.arns, p.ARN)
	}
	return contains(c.arns, p.ARN)
}
