package servicecatalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/iamd/iamd/policy"
)

// FindingType is the severity of a validation finding, with the values of
// IAM Access Analyzer's ValidatePolicy.
type FindingType string

// Finding types, as Access Analyzer names them.
const (
	FindingError           FindingType = "ERROR"
	FindingSecurityWarning FindingType = "SECURITY_WARNING"
	FindingWarning         FindingType = "WARNING"
	FindingSuggestion      FindingType = "SUGGESTION"
)

// Finding is one problem found in a policy, shaped like Access Analyzer's
// ValidatePolicyFinding.
type Finding struct {
	FindingType    FindingType `json:"findingType"`
	IssueCode      string      `json:"issueCode"`
	FindingDetails string      `json:"findingDetails"`
	LearnMoreLink  string      `json:"learnMoreLink,omitempty"`
	Locations      []Location  `json:"locations"`
}

// Location is where in the document a finding applies, as a path of
// elements: {"value":"Statement"},{"index":0},{"value":"Action"},{"index":1}.
// Indexes are given even where the document has a single string instead
// of an array (the parsed form does not keep the difference). Unlike
// Access Analyzer's, locations carry no character span.
type Location struct {
	Path []PathElement `json:"path"`
}

// PathElement is one step of a Location: an array index, an object key
// (a condition key) or an element name.
type PathElement struct {
	Index *int   `json:"index,omitempty"`
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// String renders the path as Statement[0].Action[1].
func (l Location) String() string {
	var b strings.Builder
	for _, e := range l.Path {
		switch {
		case e.Index != nil:
			fmt.Fprintf(&b, "[%d]", *e.Index)
		case e.Key != "":
			fmt.Fprintf(&b, "[%q]", e.Key)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e.Value)
		}
	}
	return b.String()
}

// Issue codes. Those Access Analyzer documents keep its names and the
// gist of its messages; the iamd-specific ones are marked.
const (
	IssueInvalidAction                          = "INVALID_ACTION"
	IssueInvalidServiceInAction                 = "INVALID_SERVICE_IN_ACTION"
	IssueInvalidService                         = "INVALID_SERVICE"
	IssueInvalidGlobalConditionKey              = "INVALID_GLOBAL_CONDITION_KEY"
	IssueInvalidServiceConditionKey             = "INVALID_SERVICE_CONDITION_KEY"
	IssueInvalidConditionKeyFormat              = "INVALID_CONDITION_KEY_FORMAT"
	IssueInvalidARNPrefix                       = "INVALID_ARN_PREFIX"
	IssueMissingARNField                        = "MISSING_ARN_FIELD"
	IssuePassRoleWithStar                       = "PASS_ROLE_WITH_STAR_IN_RESOURCE"
	IssuePassRoleWithNotResource                = "PASS_ROLE_WITH_NOT_RESOURCE"
	IssuePassRoleWithStarInActionAndResource    = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"
	IssuePassRoleWithStarInActionAndNotResource = "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE"
	IssuePassRoleWithNotAction                  = "PASS_ROLE_WITH_NOT_ACTION"
	IssuePassRoleWithNotActionAndStar           = "PASS_ROLE_WITH_NOT_ACTION_AND_STAR_IN_RESOURCE"
	IssuePassRoleWithNotActionAndNotResource    = "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE"
	IssueAllowWithNotPrincipal                  = "ALLOW_WITH_NOT_PRINCIPAL"
	IssueRedundantAction                        = "REDUNDANT_ACTION"
	IssueMalformedPolicy                        = "MALFORMED_POLICY_DOCUMENT" // iamd: the document does not parse
	// IssueConditionKeyNotSupported (iamd): the key exists but none of
	// the statement's actions, nor their resource types, support it, so a
	// condition on it never sees a value.
	IssueConditionKeyNotSupported = "CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS"
	// IssueResourceNotSupported (iamd): the ARN matches no resource type
	// of the statement's actions, so the statement grants or denies
	// nothing on it.
	IssueResourceNotSupported = "RESOURCE_TYPE_NOT_SUPPORTED_BY_ACTIONS"
)

const checksPage = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"

var learnMore = map[string]string{
	IssueInvalidAction:                          checksPage + "#access-analyzer-reference-policy-checks-error-invalid-action",
	IssueInvalidServiceInAction:                 checksPage + "#access-analyzer-reference-policy-checks-error-invalid-service-in-action",
	IssueInvalidService:                         checksPage + "#access-analyzer-reference-policy-checks-error-invalid-service",
	IssueInvalidGlobalConditionKey:              checksPage + "#access-analyzer-reference-policy-checks-error-invalid-global-condition-key",
	IssueInvalidServiceConditionKey:             checksPage + "#access-analyzer-reference-policy-checks-error-invalid-service-condition-key",
	IssueInvalidConditionKeyFormat:              checksPage + "#access-analyzer-reference-policy-checks-error-invalid-condition-key-format",
	IssueInvalidARNPrefix:                       checksPage + "#access-analyzer-reference-policy-checks-error-invalid-arn-prefix",
	IssueMissingARNField:                        checksPage + "#access-analyzer-reference-policy-checks-error-missing-arn-field",
	IssuePassRoleWithStar:                       checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource",
	IssuePassRoleWithNotResource:                checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-notresource",
	IssueAllowWithNotPrincipal:                  checksPage + "#access-analyzer-reference-policy-checks-security-warning-allow-with-notprincipal",
	IssuePassRoleWithStarInActionAndResource:    checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-action-and-resource",
	IssuePassRoleWithStarInActionAndNotResource: checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-action-and-notresource",
	IssuePassRoleWithNotAction:                  checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-notaction",
	IssuePassRoleWithNotActionAndStar:           checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-notaction-and-star-in-resource",
	IssuePassRoleWithNotActionAndNotResource:    checksPage + "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-notaction-and-notresource",
	IssueRedundantAction:                        checksPage + "#access-analyzer-reference-policy-checks-suggestion-redundant-action",
}

func path(elems ...any) Location {
	l := Location{Path: make([]PathElement, len(elems))}
	for i, e := range elems {
		switch v := e.(type) {
		case int:
			l.Path[i].Index = &v
		case key:
			l.Path[i].Key = string(v)
		case string:
			l.Path[i].Value = v
		}
	}
	return l
}

type key string

type validator struct {
	c        *Catalog
	findings []Finding
	keys     map[string]keyPattern // compiled condition keys of the reference
}

func (v *validator) add(t FindingType, code, details string, loc Location) {
	v.findings = append(v.findings, Finding{
		FindingType: t, IssueCode: code, FindingDetails: details, LearnMoreLink: learnMore[code],
		Locations: []Location{loc},
	})
}

// ValidateDocument parses doc as IAM would accept it for the policy type
// and validates it; a document that does not parse gives one ERROR
// finding carrying IAM's own message.
func ValidateDocument(doc string, t policy.PolicyType, c *Catalog) []Finding {
	p, err := policy.ParseStrict(doc, t)
	if err != nil {
		msg := err.Error()
		if pe, ok := err.(*policy.Error); ok {
			msg = pe.Message
		}
		return []Finding{{FindingType: FindingError, IssueCode: IssueMalformedPolicy, FindingDetails: msg,
			Locations: []Location{}}}
	}
	return Validate(p, c)
}

// Validate checks a parsed policy against the services of c, in the manner
// of Access Analyzer's ValidatePolicy: unknown services and actions,
// action patterns that match nothing, condition keys that do not exist or
// that the statement's actions do not support, resource ARNs no action of
// the statement applies to, and a few security warnings and suggestions.
// Findings are in document order. Validate is pure and does not modify p.
//
// IAM itself stores policies naming unknown actions (CreatePolicy accepts
// them), so this is advice for authors, never a reason to refuse a write.
func Validate(p *policy.Policy, c *Catalog) []Finding {
	v := &validator{c: c, keys: map[string]keyPattern{}}
	for i := range p.Statements {
		v.statement(i, &p.Statements[i])
	}
	if v.findings == nil {
		return []Finding{}
	}
	return v.findings
}

// stmtActions is what a statement's Action element resolves to.
type stmtActions struct {
	open    bool // "*", NotAction, or something unknown: the set is not known
	actions []resolved
}

type resolved struct {
	svc *Service
	act *Action
}

func (v *validator) statement(i int, st *policy.Statement) {
	elem := "Action"
	if st.NotAction {
		elem = "NotAction"
	}
	sa := stmtActions{open: st.NotAction}
	seen := map[string]bool{}
	for j, a := range st.Actions {
		loc := path("Statement", i, elem, j)
		if a == "*" {
			sa.open = true
			continue
		}
		pfx, name, ok := strings.Cut(a, ":")
		if !ok || pfx == "" || name == "" {
			sa.open = true
			v.add(FindingError, IssueInvalidAction, fmt.Sprintf("The action %s does not exist.", a), loc)
			continue
		}
		svcs := v.c.matchServices(pfx)
		if len(svcs) == 0 {
			sa.open = true
			v.add(FindingError, IssueInvalidServiceInAction,
				fmt.Sprintf("The service %s specified in the action does not exist.", pfx), loc)
			continue
		}
		if !hasWildcard(a) {
			s, act, ok := v.c.Action(a)
			if !ok {
				sa.open = true
				v.add(FindingError, IssueInvalidAction, fmt.Sprintf("The action %s does not exist.", a), loc)
				continue
			}
			sa.add(s, act, seen)
			continue
		}
		matched := false
		for _, sp := range svcs {
			s, ok := v.c.Service(sp)
			if !ok {
				continue
			}
			for k := range s.Actions {
				if wildMatch(name, s.Actions[k].Name) {
					matched = true
					sa.add(s, &s.Actions[k], seen)
				}
			}
		}
		if !matched {
			v.add(FindingError, IssueInvalidAction,
				fmt.Sprintf("The action %s does not match any action of the service %s.", a, strings.Join(svcs, ", ")), loc)
		}
	}
	v.redundantActions(i, elem, st.Actions)
	v.conditions(i, st, &sa)
	v.resources(i, st, &sa)
	v.security(i, st)
}

func (sa *stmtActions) add(s *Service, a *Action, seen map[string]bool) {
	k := s.Prefix + ":" + a.Name
	if seen[k] {
		return
	}
	seen[k] = true
	sa.actions = append(sa.actions, resolved{s, a})
}

// redundantActions suggests dropping entries another entry of the same
// element already covers (a duplicate, or s3:GetObject next to s3:Get*).
func (v *validator) redundantActions(i int, elem string, actions []string) {
	for j, a := range actions {
		for k, b := range actions {
			if j == k {
				continue
			}
			same := strings.EqualFold(a, b)
			if same && k > j || !same && !wildMatch(b, a) {
				continue
			}
			if !same && wildMatch(a, b) && k > j {
				continue // equivalent patterns: report only the later one
			}
			v.add(FindingSuggestion, IssueRedundantAction,
				fmt.Sprintf("The action %s is redundant because %s in the same statement provides the same permissions.", a, b),
				path("Statement", i, elem, j))
			break
		}
	}
}

func (v *validator) conditions(i int, st *policy.Statement, sa *stmtActions) {
	for _, cond := range st.Conditions {
		k := cond.Key
		loc := path("Statement", i, "Condition", cond.Operator, key(k))
		kp, rest, ok := strings.Cut(k, ":")
		if !ok || kp == "" || rest == "" {
			v.add(FindingError, IssueInvalidConditionKeyFormat,
				"The condition key format is not valid. Use the format service:keyname.", loc)
			continue
		}
		if IsGlobalConditionKey(k) {
			continue
		}
		if strings.EqualFold(kp, "aws") {
			if !sa.definesKey(k) {
				v.add(FindingError, IssueInvalidGlobalConditionKey,
					fmt.Sprintf("The condition key %s does not exist. Use a valid condition key.", k), loc)
			}
			continue
		}
		s, ok := v.c.Service(kp)
		if !ok || !s.HasConditionKey(k) {
			v.add(FindingError, IssueInvalidServiceConditionKey,
				fmt.Sprintf("The condition key %s does not exist in the service %s. Use a valid condition key.", k, strings.ToLower(kp)), loc)
			continue
		}
		if sa.open || len(sa.actions) == 0 || sa.supportsKey(k, v.keys) {
			continue
		}
		v.add(FindingWarning, IssueConditionKeyNotSupported,
			fmt.Sprintf("The condition key %s is not supported by the actions in the statement (%s) nor by their resource types, so the condition never receives a value.",
				k, sa.names(5)), loc)
	}
}

// definesKey: aws: keys outside the global list that a service of the
// statement lists (aws:RequestTag-style keys some services document).
func (sa *stmtActions) definesKey(k string) bool {
	for _, r := range sa.actions {
		if r.svc.HasConditionKey(k) {
			return true
		}
	}
	return false
}

func (sa *stmtActions) supportsKey(k string, cache map[string]keyPattern) bool {
	p := compileKey(k)
	matchAny := func(keys []string) bool {
		for _, d := range keys {
			dp, ok := cache[d]
			if !ok {
				dp = compileKey(d)
				cache[d] = dp
			}
			// The statement's key is concrete (s3:ExistingObjectTag/x) and
			// the definition may be a pattern, or both the same pattern.
			if dp.match(k) || strings.EqualFold(d, k) || p.match(d) {
				return true
			}
		}
		return false
	}
	for _, r := range sa.actions {
		if matchAny(r.act.ConditionKeys) {
			return true
		}
		for _, ar := range r.act.ResourceTypes {
			if matchAny(ar.ConditionKeys) {
				return true
			}
			if rt, ok := r.svc.ResourceType(ar.Name); ok && matchAny(rt.ConditionKeys) {
				return true
			}
		}
	}
	return false
}

func (sa *stmtActions) names(max int) string {
	var ns []string
	for _, r := range sa.actions {
		if len(ns) == max {
			ns = append(ns, fmt.Sprintf("and %d more", len(sa.actions)-max))
			break
		}
		ns = append(ns, r.svc.Prefix+":"+r.act.Name)
	}
	return strings.Join(ns, ", ")
}

func (v *validator) resources(i int, st *policy.Statement, sa *stmtActions) {
	if !st.HasResource {
		return
	}
	elem := "Resource"
	if st.NotResource {
		elem = "NotResource"
	}
	var formats []string // distinct ARN patterns of the statement's resource types
	formatsDone := false
	for j, r := range st.Resources {
		if r == "*" {
			continue
		}
		loc := path("Statement", i, elem, j)
		if !strings.HasPrefix(r, "arn:") {
			v.add(FindingError, IssueInvalidARNPrefix, "Add the required prefix (arn) to the resource ARN.", loc)
			continue
		}
		parts := strings.SplitN(r, ":", 6)
		if len(parts) < 6 || parts[2] == "" {
			v.add(FindingError, IssueMissingARNField,
				"Resource ARN is missing required fields. Update the resource ARN to include all required fields.", loc)
			continue
		}
		if !hasWildcard(parts[2]) {
			if _, ok := v.c.ServiceName(parts[2]); !ok {
				v.add(FindingError, IssueInvalidService, fmt.Sprintf("The service %s does not exist.", parts[2]), loc)
				continue
			}
		}
		if st.NotResource || sa.open || len(sa.actions) == 0 {
			continue
		}
		if !formatsDone {
			formats = sa.formats()
			formatsDone = true
		}
		if !slices.ContainsFunc(formats, func(f string) bool { return overlap(r, f) }) {
			v.add(FindingWarning, IssueResourceNotSupported,
				fmt.Sprintf("The resource %s matches no resource type of the actions in the statement (%s); the statement does not apply to it.",
					r, sa.names(5)), loc)
		}
	}
}

func (sa *stmtActions) formats() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range sa.actions {
		for _, ar := range r.act.ResourceTypes {
			rt, ok := r.svc.ResourceType(ar.Name)
			if !ok {
				continue
			}
			f := formatPattern(rt.ARN)
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// security adds Access Analyzer's security warnings that a single policy
// can show.
func (v *validator) security(i int, st *policy.Statement) {
	if st.Effect != policy.Allow {
		return
	}
	if st.NotPrincipal {
		v.add(FindingSecurityWarning, IssueAllowWithNotPrincipal,
			"Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
			path("Statement", i, "NotPrincipal"))
	}
	v.passRole(i, st)
}

// passRole adds Access Analyzer's "Pass role with ..." security warnings:
// an Allow that can grant iam:PassRole on many roles (wildcard or
// NotResource, or through NotAction) without an iam:PassedToService
// condition limiting where the roles go.
func (v *validator) passRole(i int, st *policy.Statement) {
	if !st.HasResource {
		return
	}
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, "iam:PassedToService") {
			return
		}
	}
	explicit, wild := false, false
	for _, a := range st.Actions {
		if strings.EqualFold(a, "iam:PassRole") {
			explicit = true
		} else if wildMatch(a, "iam:PassRole") {
			wild = true
		}
	}
	if st.NotAction && (explicit || wild) || !st.NotAction && !explicit && !wild {
		return // iam:PassRole is not allowed by the statement
	}
	starAt := -1
	if !st.NotResource {
		for j, r := range st.Resources {
			if strings.Contains(r, "*") {
				starAt = j
				break
			}
		}
	}
	const rec = " We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."
	var code, msg string
	loc := path("Statement", i, "NotResource")
	if starAt >= 0 {
		loc = path("Statement", i, "Resource", starAt)
	}
	switch {
	case st.NotAction && st.NotResource:
		code, msg = IssuePassRoleWithNotActionAndNotResource,
			"Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources."+rec
	case st.NotAction && starAt >= 0:
		code, msg = IssuePassRoleWithNotActionAndStar,
			"Using NotAction with wildcards (*) in the resource can be overly permissive because it can allow iam:PassRole permissions on multiple resources."+rec
	case st.NotAction:
		code, msg = IssuePassRoleWithNotAction,
			"Using NotAction can be overly permissive because it can allow iam:PassRole permissions on the listed resources. We recommend that you list the actions to allow, or add the iam:PassedToService condition key to your statement."
		loc = path("Statement", i, "NotAction")
	case explicit && st.NotResource:
		code, msg = IssuePassRoleWithNotResource,
			"Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources."+rec
	case explicit && starAt >= 0:
		code, msg = IssuePassRoleWithStar,
			"Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources."+rec
	case st.NotResource:
		code, msg = IssuePassRoleWithStarInActionAndNotResource,
			"Using wildcards (*) in the action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources."+rec
	case starAt >= 0:
		code, msg = IssuePassRoleWithStarInActionAndResource,
			"Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources."+rec
	default:
		return
	}
	v.add(FindingSecurityWarning, code, msg, loc)
}
