package policy

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
)

// This file is the reference interpreter: a deliberately plain evaluator
// that walks the parsed Policy for every request, substitutes variables by
// building strings and matches with a recursive matcher. It shares only
// the parser and the date/IP parsers with the engine. The corpus and the
// property tests require both to agree.

type refSet struct {
	identity         []*refPolicy
	resource         *refPolicy
	resourceAccount  string
	resourceRequired bool
	boundary         *refPolicy
	session          []*refPolicy
	scp              [][]*refPolicy
}

type refPolicy struct {
	id, version string
	p           *Policy
}

func refMatch(pat, s string, fold bool) bool {
	if fold {
		pat, s = strings.ToLower(pat), strings.ToLower(s)
	}
	if pat == "" {
		return s == ""
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if refMatch(pat[1:], s[i:], false) {
				return true
			}
		}
		return false
	case '?':
		if s == "" {
			return false
		}
		_, n := firstRune(s)
		return refMatch(pat[1:], s[n:], false)
	}
	return s != "" && s[0] == pat[0] && refMatch(pat[1:], s[1:], false)
}

func firstRune(s string) (rune, int) {
	for i, r := range s {
		if i > 0 {
			return r, i
		}
	}
	return 0, len(s)
}

// refSubst substitutes policy variables. Wildcards that come from ${*} and
// ${?} must stay literal while real wildcards stay wild, so the result is
// a list of segments: wild text and literal text.
type seg struct {
	text string
	lit  bool
}

func refSubst(s string, req *Request, vars, wild bool) ([]seg, bool) {
	if !vars || !strings.Contains(s, "${") {
		return []seg{{s, !wild}}, true
	}
	var out []seg
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			out = append(out, seg{s, !wild})
			return out, true
		}
		j := varEnd(s, i+2)
		if j < 0 {
			out = append(out, seg{s, !wild})
			return out, true
		}
		out = append(out, seg{s[:i], !wild})
		body := strings.TrimSpace(s[i+2 : j])
		switch body {
		case "*", "?", "$":
			out = append(out, seg{body, true})
		default:
			key, def, hasDef, ok := splitVar(s[i+2 : j])
			if !ok {
				out = append(out, seg{s[i : j+1], !wild})
				break
			}
			v, found := refVar(req, key)
			switch {
			case found:
				out = append(out, seg{v, true})
			case hasDef:
				out = append(out, seg{def, true})
			default:
				return nil, false
			}
		}
		s = s[j+1:]
	}
}

// refSegMatch matches s against segments: literal segments are turned into
// a pattern by escaping nothing; instead we match segment by segment with
// backtracking through refMatch on wild ones.
func refSegMatch(segs []seg, s string, fold bool) bool {
	if len(segs) == 0 {
		return s == ""
	}
	g := segs[0]
	if g.lit {
		t := s
		if len(t) < len(g.text) {
			return false
		}
		if fold {
			if !strings.EqualFold(t[:len(g.text)], g.text) {
				return false
			}
		} else if t[:len(g.text)] != g.text {
			return false
		}
		return refSegMatch(segs[1:], s[len(g.text):], fold)
	}
	// A wild segment may consume any prefix of s that it matches.
	for i := 0; i <= len(s); i++ {
		if refMatch(g.text, s[:i], fold) && refSegMatch(segs[1:], s[i:], fold) {
			return true
		}
	}
	return false
}

func refVar(req *Request, key string) (string, bool) {
	vals, ok := refLookup(req, key)
	if !ok || len(vals) != 1 {
		return "", false
	}
	return vals[0], true
}

func refLookup(req *Request, key string) ([]string, bool) {
	if v, ok := req.Context.Lookup(key); ok {
		return v, true
	}
	p := req.Principal
	switch strings.ToLower(key) {
	case "aws:username":
		if p.Type == PrincipalUser && p.ARN != "" {
			parts := strings.Split(p.ARN, "/")
			return []string{parts[len(parts)-1]}, true
		}
	case "aws:userid":
		if p.UserID != "" {
			return []string{p.UserID}, true
		}
		if p.Type == PrincipalRoot && p.Account != "" {
			return []string{p.Account}, true
		}
		if p.Type == PrincipalAnonymous {
			return []string{"anonymous"}, true
		}
	case "aws:principaltype":
		m := map[PrincipalType]string{PrincipalRoot: "Account", PrincipalUser: "User", PrincipalAssumedRole: "AssumedRole", PrincipalFederatedUser: "FederatedUser", PrincipalAnonymous: "Anonymous"}
		if v, ok := m[p.Type]; ok {
			return []string{v}, true
		}
	case "aws:principalaccount":
		if p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous {
			return []string{p.Account}, true
		}
	case "aws:principalarn":
		if p.Type == PrincipalAssumedRole && p.RoleARN != "" {
			return []string{p.RoleARN}, true
		}
		if (p.Type == PrincipalUser || p.Type == PrincipalRoot || p.Type == PrincipalFederatedUser) && p.ARN != "" {
			return []string{p.ARN}, true
		}
	case "aws:principalservicename":
		if p.Type == PrincipalService && p.Service != "" {
			return []string{p.Service}, true
		}
	case "aws:principalisawsservice":
		return []string{strconv.FormatBool(p.Type == PrincipalService)}, true
	}
	return nil, false
}

func refARNMatch(pat, s string, req *Request, vars, varsAll bool) bool {
	if pat == "*" {
		return true
	}
	pp := strings.SplitN(pat, ":", 6)
	for len(pp) < 6 && pp[0] == "arn" {
		pp = append(pp, "*")
	}
	if pp[0] != "arn" {
		segs, ok := refSubst(pat, req, vars && varsAll, true)
		return ok && refSegMatch(segs, s, false)
	}
	sp := strings.SplitN(s, ":", 6)
	if len(sp) != 6 || sp[0] != "arn" {
		return false
	}
	for i := range pp {
		segs, ok := refSubst(pp[i], req, vars && (varsAll || i == 5), true)
		if !ok || !refSegMatch(segs, sp[i], false) {
			return false
		}
	}
	return true
}

func refCondition(c Condition, req *Request, vars bool) bool {
	op, _ := lookupOperator(c.Operator)
	vals, ok := refLookup(req, c.Key)
	present := ok && len(vals) > 0
	if op.base == opNull {
		for _, v := range c.Values {
			if strings.EqualFold(v, "true") && !present || strings.EqualFold(v, "false") && present {
				return true
			}
		}
		return false
	}
	neg := op.base.negated()
	if !present {
		if op.ifExists || op.set == setAllValues {
			return true
		}
		if op.set == setAnyValue {
			return false
		}
		return neg
	}
	one := func(v string) bool { // positive sense
		for _, pv := range c.Values {
			if refValueMatch(op.base, pv, v, req, vars) {
				return true
			}
		}
		return false
	}
	switch op.set {
	case setAnyValue:
		for _, v := range vals {
			if one(v) != neg {
				return true
			}
		}
		return false
	case setAllValues:
		for _, v := range vals {
			if one(v) == neg {
				return false
			}
		}
		return true
	}
	any := false
	for _, v := range vals {
		any = any || one(v)
	}
	return any != neg
}

func refValueMatch(op baseOp, pv, v string, req *Request, vars bool) bool {
	switch op {
	case opStringEquals, opStringNotEquals:
		segs, ok := refSubst(pv, req, vars, false)
		return ok && refSegMatch(segs, v, false)
	case opStringEqualsIgnoreCase, opStringNotEqualsIgnoreCase:
		segs, ok := refSubst(pv, req, vars, false)
		return ok && refSegMatch(segs, v, true)
	case opStringLike, opStringNotLike:
		segs, ok := refSubst(pv, req, vars, true)
		return ok && refSegMatch(segs, v, false)
	case opArnEquals, opArnLike, opArnNotEquals, opArnNotLike:
		return refARNMatch(pv, v, req, vars, true)
	case opBool:
		return strings.EqualFold(pv, v)
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(pv)
		if err != nil {
			return pv == v
		}
		return base64.StdEncoding.EncodeToString(b) == v
	case opIPAddress, opNotIPAddress:
		p, ok := parseIPPrefix(pv)
		a, err := netip.ParseAddr(v)
		return ok && err == nil && p.Contains(a.Unmap())
	}
	if op.family() == famNumeric {
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(pv, 64)
		if err1 != nil || err2 != nil || a != a || b != b {
			return false
		}
		switch op {
		case opNumericEquals, opNumericNotEquals:
			return a == b
		case opNumericLessThan:
			return a < b
		case opNumericLessThanEquals:
			return a <= b
		case opNumericGreaterThan:
			return a > b
		}
		return a >= b
	}
	a, ok1 := parseDate(v)
	b, ok2 := parseDate(pv)
	if !ok1 || !ok2 {
		return false
	}
	switch op {
	case opDateEquals, opDateNotEquals:
		return a.Equal(b)
	case opDateLessThan:
		return a.Before(b)
	case opDateLessThanEquals:
		return !a.After(b)
	case opDateGreaterThan:
		return a.After(b)
	}
	return !a.Before(b)
}

// refPrincipal: 0 none, 1 account, 2 role, 3 direct.
func refPrincipal(pr *Principals, p *Principal) int {
	if pr.Star {
		return 3
	}
	best := 0
	for _, a := range pr.AWS {
		switch {
		case a == "*":
			return 3
		case a == p.ARN && p.ARN != "":
			return 3
		case p.Type == PrincipalAssumedRole && a == p.RoleARN && isRoleARN(a):
			best = max(best, 2)
		case p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous &&
			(a == p.Account || a == "arn:aws:iam::"+p.Account+":root" || strings.HasSuffix(a, ":"+p.Account+":root") && strings.HasPrefix(a, "arn:")):
			best = max(best, 1)
		}
	}
	for _, s := range pr.Service {
		if p.Type == PrincipalService && s == p.Service {
			return 3
		}
	}
	for _, f := range pr.Federated {
		if p.Federated != "" && f == p.Federated {
			return 3
		}
	}
	for _, c := range pr.CanonicalUser {
		if p.CanonicalUser != "" && c == p.CanonicalUser {
			return 3
		}
	}
	return best
}

func refNotPrincipalExcludes(pr *Principals, p *Principal) bool {
	if pr.Star {
		return true
	}
	for _, a := range pr.AWS {
		if a == "*" {
			return true
		}
	}
	has := func(x string) bool {
		for _, a := range pr.AWS {
			if a == "*" {
				return true
			}
			if a == x {
				return true
			}
		}
		return false
	}
	for _, f := range pr.Federated {
		if p.Federated != "" && f == p.Federated {
			return true
		}
	}
	switch p.Type {
	case PrincipalAnonymous:
		return false
	case PrincipalService:
		for _, s := range pr.Service {
			if s == p.Service {
				return true
			}
		}
		return false
	}
	acct := has(p.Account) || has("arn:aws:iam::"+p.Account+":root")
	if !acct {
		return false
	}
	switch p.Type {
	case PrincipalRoot:
		return true
	case PrincipalAssumedRole:
		return has(p.RoleARN) && has(p.ARN)
	}
	return has(p.ARN)
}

type refHit struct {
	allow, deny bool
	how         int
	refs        []StatementRef
}

func refPolicyEval(rp *refPolicy, req *Request, g Gate, bounded bool) refHit {
	var h refHit
	vars := rp.p.Version == Version2012
	for i, s := range rp.p.Statements {
		am := false
		for _, a := range s.Actions {
			if refMatch(a, req.Action, true) {
				am = true
			}
		}
		if am == s.NotAction {
			continue
		}
		if s.HasResource {
			rm := false
			for _, r := range s.Resources {
				if refARNMatch(r, req.Resource, req, vars, false) {
					rm = true
				}
			}
			if rm == s.NotResource {
				continue
			}
		}
		how := 3
		if s.Principal != nil {
			if s.NotPrincipal {
				if !bounded && refNotPrincipalExcludes(s.Principal, &req.Principal) {
					continue
				}
			} else if how = refPrincipal(s.Principal, &req.Principal); how == 0 {
				continue
			}
		}
		ok := true
		for _, c := range s.Conditions {
			o, _ := lookupOperator(c.Operator)
			f := o.base.family()
			if !refCondition(c, req, vars && (f == famString || f == famArn)) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		h.refs = append(h.refs, StatementRef{Gate: g, Policy: rp.id, Version: rp.version, Index: i, Sid: s.Sid, Effect: s.Effect})
		if s.Effect == Allow {
			h.allow = true
			h.how = max(h.how, how)
		} else {
			h.deny = true
		}
	}
	return h
}

// refEvaluate is the evaluation logic written out case by case.
func refEvaluate(set *refSet, req *Request) Decision {
	p := req.Principal
	var refs []StatementRef
	run := func(rp *refPolicy, g Gate) refHit {
		h := refPolicyEval(rp, req, g, set.boundary != nil)
		refs = append(refs, h.refs...)
		return h
	}
	human := p.Type == PrincipalUser || p.Type == PrincipalAssumedRole || p.Type == PrincipalFederatedUser
	denyGate := GateNone
	noteDeny := func(h refHit, g Gate) {
		if h.deny && (denyGate == GateNone || g < denyGate) {
			denyGate = g
		}
	}
	idAllow := false
	if human {
		for _, rp := range set.identity {
			h := run(rp, GateIdentity)
			idAllow = idAllow || h.allow
			noteDeny(h, GateIdentity)
		}
	}
	rHow := 0
	if set.resource != nil {
		h := run(set.resource, GateResource)
		if h.allow {
			rHow = h.how
		}
		noteDeny(h, GateResource)
	}
	bAllow := true
	if human && set.boundary != nil {
		h := run(set.boundary, GateBoundary)
		bAllow = h.allow
		noteDeny(h, GateBoundary)
	}
	sAllow := true
	if p.Type == PrincipalFederatedUser {
		sAllow = false // GetFederationToken without session policies has no permissions
	}
	if human && len(set.session) > 0 {
		sAllow = false
		for _, rp := range set.session {
			h := run(rp, GateSession)
			sAllow = sAllow || h.allow
			noteDeny(h, GateSession)
		}
	}
	scpAllow := true
	if p.Type != PrincipalService && p.Type != PrincipalAnonymous {
		for _, level := range set.scp {
			la := false
			for _, rp := range level {
				h := run(rp, GateSCP)
				la = la || h.allow
				noteDeny(h, GateSCP)
			}
			scpAllow = scpAllow && la
		}
	}
	out := func(e Effect, g Gate) Decision {
		d := Decision{Effect: e, Gate: g}
		for _, r := range refs {
			if r.Effect == e {
				d.Matched = append(d.Matched, r)
			}
		}
		return d
	}
	if denyGate != GateNone {
		return out(ExplicitDeny, denyGate)
	}
	if !scpAllow {
		return out(ImplicitDeny, GateSCP)
	}
	acct := set.resourceAccount
	if acct == "" {
		acct = p.Account
	}
	same := acct == p.Account
	if !human {
		if p.Type == PrincipalRoot && same && !set.resourceRequired {
			return out(Allow, GateNone)
		}
		if rHow > 0 {
			return out(Allow, GateNone)
		}
		return out(ImplicitDeny, GateResource)
	}
	if same {
		if set.resourceRequired && rHow == 0 {
			return out(ImplicitDeny, GateResource)
		}
		if rHow == 3 && !set.resourceRequired {
			return out(Allow, GateNone)
		}
		if !idAllow && rHow < 2 {
			return out(ImplicitDeny, GateIdentity)
		}
	} else if !idAllow {
		return out(ImplicitDeny, GateIdentity)
	}
	if !bAllow {
		return out(ImplicitDeny, GateBoundary)
	}
	if !sAllow {
		return out(ImplicitDeny, GateSession)
	}
	if !same && rHow == 0 {
		return out(ImplicitDeny, GateResource)
	}
	return out(Allow, GateNone)
}
