package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamd/iamd/policy"
)

// The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) and
// the context-key operations (GetContextKeysFor{Principal,Custom}Policy).
//
// A principal's policies come from policySet, the function enforcement
// uses, and every decision from policy.Evaluate, so a simulation and the
// enforcement of the same request cannot disagree. Choices where AWS's
// documentation is silent, and what they rest on:
//
//   - Context: only the ContextEntries the caller gives are used. The keys
//     a real request derives from its caller (aws:username, aws:userid,
//     aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType ...) are
//     absent unless given, as AWS's CLI examples show: the context keys of
//     a user's policies include aws:username, and a simulation without it
//     reports it missing.
//   - MissingContextValues lists every key the simulated policies
//     reference (condition keys and policy variables, as
//     GetContextKeysFor*Policy returns them) that the context lacks,
//     whether or not the statement using it applies to the action: AWS
//     does so (boto3 issue #3111, closed as expected behaviour).
//   - One EvaluationResult per action. With ResourceArns, each resource's
//     decision is in ResourceSpecificResults and the top-level decision is
//     the most restrictive of them (AWS API reference, EvaluationResult);
//     EvalResourceName is then the first resource.
//   - SourcePolicyType is "IAM Policy" for identity-based policies (the
//     value real responses carry, for attached, inline and PolicyInputList
//     policies, rather than the model's enumeration), "Permissions Boundary
//     Policy" and "Resource Policy" for the others. SourcePolicyId is the
//     policy name (managed or inline), "PolicyInputList.N",
//     "PermissionsBoundaryPolicyInputList.N" or "ResourcePolicy".
//   - Statement positions are those of AWS's Jackson-based parser, read
//     from its published outputs: lines and columns count from 1, the
//     start is the parser's location when it is about to read the
//     statement (just after the "[" for the first statement of an array,
//     just after the previous statement's "}" for the next ones, just
//     after the "{" of a single-statement object) and the end is just
//     after the statement's "}". Columns count characters.
//   - EvalDecisionDetails: absent for a resource of "*", empty for other
//     resources in the caller's account, and for a cross-account
//     simulation (a ResourcePolicy whose owner is another account) the
//     decision of each side: "IAM Policy", "Resource Policy" and, with a
//     boundary, "Permissions Boundary Policy" (AWS API reference).
//   - OrganizationsDecisionDetail is never sent: it "only applies if the
//     simulated user's account is part of an organization" (API
//     reference, EvaluationResult), and iamd has no organizations; the
//     AWS CLI reference's outputs for accounts outside one lack it.
//   - Documents are read with the grammar of stored documents
//     (policy.Parse): a document the grammar rejects is an InvalidInput
//     error with the grammar's message, as the model lists InvalidInput
//     and not MalformedPolicyDocument for these operations.
//   - A context value that does not fit its ContextKeyType is refused with
//     InvalidInput, the error the model lists; AWS documents no message
//     for it (checkContextEntry). Multiple values for a single-valued type
//     are accepted, as AWS documents nothing about them either.
//   - Without a ResourcePolicy every resource is the caller's account's;
//     with one, its owner is ResourceOwner or else the caller's account.
//     ResourceHandlingOption (EC2 scenarios) is accepted and not modelled.

// ContextEntry is a condition key and its values for a simulation.
type ContextEntry struct {
	Key    string
	Values []string
	// Type is the ContextKeyType (string, stringList, numeric, ...):
	// every value must be of that type (checkContextEntry).
	Type string
}

// SimulateInput is the input of SimulatePrincipalPolicy and
// SimulateCustomPolicy.
type SimulateInput struct {
	PolicySourceARN   string // SimulatePrincipalPolicy only
	PolicyInputList   []string
	BoundaryInputList []string
	ActionNames       []string
	ResourceARNs      []string
	ResourcePolicy    string
	ResourceOwner     string
	CallerARN         string
	ContextEntries    []ContextEntry
	ResourceHandling  string // accepted; the EC2 scenarios are not modelled
	MaxItems          int    // 0: 100
	Marker            string
}

// Position is a line and column (both from 1) in a policy document.
type Position struct{ Line, Column int }

// MatchedStatement is a statement that decided a simulated request.
type MatchedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string
	Start, End       Position
}

// ResourceResult is the simulation of one action on one resource.
type ResourceResult struct {
	Resource string
	Decision string // allowed, explicitDeny, implicitDeny
	Matched  []MatchedStatement
	Missing  []string
	// Details is nil when AWS omits EvalDecisionDetails.
	Details map[string]string
	// AllowedByBoundary is nil when the simulation has no boundary.
	AllowedByBoundary *bool
}

// EvaluationResult is the simulation of one action.
type EvaluationResult struct {
	Action string
	ResourceResult
	// Resources is set when the caller gave ResourceArns.
	Resources []ResourceResult
}

// SimulateOutput is a page of simulation results.
type SimulateOutput struct {
	Results     []EvaluationResult
	IsTruncated bool
	Marker      string
}

// Decision names on the wire.
const (
	decisionAllowed      = "allowed"
	decisionExplicitDeny = "explicitDeny"
	decisionImplicitDeny = "implicitDeny"
)

// Source policy types and the keys of EvalDecisionDetails.
const (
	sourceIdentity = "IAM Policy"
	sourceBoundary = "Permissions Boundary Policy"
	sourceResource = "Resource Policy"
)

// simPolicy is a policy taking part in a simulation, compiled under an ID
// unique within the simulation so that matched statements map back to it.
type simPolicy struct {
	c    *policy.Compiled
	id   string // SourcePolicyId
	typ  string // SourcePolicyType
	text string
	pos  [][2]Position // statement positions, computed on first use
	done bool
}

func (sp *simPolicy) positions() [][2]Position {
	if !sp.done {
		sp.pos, sp.done = statementPositions(sp.text), true
	}
	return sp.pos
}

// simulation is everything a simulation evaluates with.
type simulation struct {
	policies    []*simPolicy // indexed by the compiled ID "sim:N"
	identity    []*policy.Compiled
	boundary    *policy.Compiled
	resource    *policy.Compiled
	callerARN   string
	callerAcct  string
	resourceAcc string // owner of the resources when a resource policy is given
	ctx         *policy.Context
	supplied    map[string]bool // lower-cased keys given in ContextEntries
	keys        []string        // context keys the policies reference
}

func (sim *simulation) add(c *policy.Compiled, id, typ string) *policy.Compiled {
	cp := c.WithID("sim:" + strconv.Itoa(len(sim.policies)))
	sim.policies = append(sim.policies, &simPolicy{c: cp, id: id, typ: typ, text: c.Policy.Text})
	return cp
}

// SimulatePrincipalPolicy simulates the policies of a user (with its
// groups'), group or role, plus PolicyInputList, for each action and
// resource.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, p *Principal, in SimulateInput) (*SimulateOutput, error) {
	src, err := s.simulationSource(p, "iam:SimulatePrincipalPolicy", in.PolicySourceARN)
	if err != nil {
		return nil, err
	}
	sim := &simulation{callerAcct: p.AccountID}
	for _, c := range src.set.Identity {
		sim.identity = append(sim.identity, sim.add(c, policyName(c.ID), sourceIdentity))
	}
	if err := sim.addInputs(in.PolicyInputList, in.BoundaryInputList); err != nil {
		return nil, err
	}
	if sim.boundary == nil && src.set.Boundary != nil {
		sim.boundary = sim.add(src.set.Boundary, policyName(src.set.Boundary.ID), sourceBoundary)
	}
	caller := in.CallerARN
	if caller == "" && src.kind == OwnerUser {
		caller = src.arn
	}
	if err := sim.setCaller(caller, p.AccountID, in); err != nil {
		return nil, err
	}
	return sim.run(in)
}

// SimulateCustomPolicy simulates the given policies for each action and
// resource.
func (s *Service) SimulateCustomPolicy(ctx context.Context, p *Principal, in SimulateInput) (*SimulateOutput, error) {
	if err := s.authorize(p, "iam:SimulateCustomPolicy", "*"); err != nil {
		return nil, err
	}
	sim := &simulation{callerAcct: p.AccountID}
	if err := sim.addInputs(in.PolicyInputList, in.BoundaryInputList); err != nil {
		return nil, err
	}
	if err := sim.setCaller(in.CallerARN, p.AccountID, in); err != nil {
		return nil, err
	}
	return sim.run(in)
}

// GetContextKeysForPrincipalPolicy lists the context keys the policies of
// a user (with its groups'), group or role and the given policies use.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, p *Principal, arn string, docs []string) ([]string, error) {
	src, err := s.simulationSource(p, "iam:GetContextKeysForPrincipalPolicy", arn)
	if err != nil {
		return nil, err
	}
	var ks keySet
	for _, c := range src.set.Identity {
		ks.addPolicy(c.Policy)
	}
	if src.set.Boundary != nil {
		ks.addPolicy(src.set.Boundary.Policy)
	}
	for _, d := range docs {
		pol, err := parseInput(d, policy.Identity)
		if err != nil {
			return nil, err
		}
		ks.addPolicy(pol)
	}
	return ks.list, nil
}

// GetContextKeysForCustomPolicy lists the context keys the given policies
// use.
func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, p *Principal, docs []string) ([]string, error) {
	if err := s.authorize(p, "iam:GetContextKeysForCustomPolicy", "*"); err != nil {
		return nil, err
	}
	var ks keySet
	for _, d := range docs {
		pol, err := parseInput(d, policy.Identity)
		if err != nil {
			return nil, err
		}
		ks.addPolicy(pol)
	}
	return ks.list, nil
}

// source is the entity named by a PolicySourceArn.
type source struct {
	kind OwnerKind
	arn  string
	set  *policy.Set
}

// simulationSource resolves a PolicySourceArn (a user, group or role of
// the caller's account), authorizes action on it and returns its policies.
func (s *Service) simulationSource(p *Principal, action, arn string) (*source, error) {
	rest, ok := strings.CutPrefix(arn, "arn:"+Partition+":iam::")
	if !ok {
		return nil, invalidARN(arn)
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok || !isAccountID(account) {
		return nil, invalidARN(arn)
	}
	typ, pathName, ok := strings.Cut(res, "/")
	name := pathName[strings.LastIndexByte(pathName, '/')+1:]
	if !ok || name == "" {
		return nil, invalidARN(arn)
	}
	var notFound error
	switch typ {
	case "user":
		notFound = noSuchUser(name)
	case "group":
		notFound = noSuchGroup(name)
	case "role":
		notFound = noSuchRole(name)
	default:
		return nil, invalidARN(arn)
	}
	if account != p.AccountID {
		return nil, notFound
	}
	if err := s.authorize(p, action, arn); err != nil {
		return nil, err
	}
	src := &source{arn: arn}
	var id string
	switch typ {
	case "user":
		if u := s.state.user(account, name); u != nil && u.ARN() == arn {
			src.kind, id = OwnerUser, u.ID
		}
	case "group":
		if g := s.state.group(account, name); g != nil && g.ARN() == arn {
			src.kind, id = OwnerGroup, g.ID
		}
	case "role":
		if r := s.state.role(account, name); r != nil && r.ARN() == arn {
			src.kind, id = OwnerRole, r.ID
		}
	}
	if id == "" {
		return nil, notFound
	}
	set, err := s.policySet(src.kind, id)
	if err != nil {
		return nil, err
	}
	src.set = set
	return src, nil
}

// policyName is the SourcePolicyId of a principal's policy: a managed
// policy's name, or the inline policy's name its compiled ID already is.
func policyName(id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id[strings.LastIndexByte(id, '/')+1:]
	}
	return id
}

// parseInput parses a document passed to the simulator. AWS's model lists
// InvalidInput, not MalformedPolicyDocument, for these operations; the
// message is the policy grammar's.
func parseInput(doc string, t policy.PolicyType) (*policy.Policy, error) {
	pol, err := policy.Parse(doc, t)
	if err != nil {
		return nil, inputError(err)
	}
	return pol, nil
}

// inputError is the InvalidInput error for a document the grammar
// rejects, with the grammar's (AWS's) message.
func inputError(err error) error {
	var pe *policy.Error
	if errors.As(err, &pe) {
		return &Error{Code: CodeInvalidInput, Message: pe.Message}
	}
	return internal(err)
}

func (sim *simulation) addInputs(docs, boundaries []string) error {
	for i, d := range docs {
		pol, err := parseInput(d, policy.Identity)
		if err != nil {
			return err
		}
		c, err := policy.Compile("", "", pol)
		if err != nil {
			return internal(err)
		}
		sim.identity = append(sim.identity, sim.add(c, "PolicyInputList."+strconv.Itoa(i+1), sourceIdentity))
	}
	if len(boundaries) > 1 {
		return Errorf(CodeInvalidInput, "You can specify only one permissions boundary policy in PermissionsBoundaryPolicyInputList.")
	}
	for i, d := range boundaries {
		pol, err := parseInput(d, policy.Boundary)
		if err != nil {
			return err
		}
		c, err := policy.Compile("", "", pol)
		if err != nil {
			return internal(err)
		}
		sim.boundary = sim.add(c, "PermissionsBoundaryPolicyInputList."+strconv.Itoa(i+1), sourceBoundary)
	}
	return nil
}

// setCaller validates CallerArn, the resource policy and its owner, and
// builds the request context from ContextEntries.
func (sim *simulation) setCaller(caller, account string, in SimulateInput) error {
	if caller != "" {
		rest, ok := strings.CutPrefix(caller, "arn:"+Partition+":iam::")
		acct, res, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || !isAccountID(acct) || !strings.HasPrefix(res, "user/") || len(res) == len("user/") {
			return Errorf(CodeInvalidInput, "Invalid CallerArn: %s. CallerArn must be the ARN of an IAM user.", caller)
		}
		sim.callerARN, sim.callerAcct = caller, acct
	} else {
		sim.callerAcct = account
	}
	if in.ResourcePolicy != "" {
		if caller == "" {
			return Errorf(CodeInvalidInput, "CallerArn is required when a ResourcePolicy is given and the policy source is not an IAM user.")
		}
		pol, err := policy.Parse(in.ResourcePolicy, policy.Resource)
		if err != nil {
			return inputError(err)
		}
		c, err := policy.Compile("", "", pol)
		if err != nil {
			return internal(err)
		}
		sim.resource = sim.add(c, "ResourcePolicy", sourceResource)
		sim.resourceAcc = sim.callerAcct
		if o := in.ResourceOwner; o != "" {
			if strings.HasPrefix(o, "arn:") {
				o = arnAccount(o)
			}
			if !isAccountID(o) {
				return Errorf(CodeInvalidInput, "Invalid ResourceOwner: %s.", in.ResourceOwner)
			}
			sim.resourceAcc = o
		}
	}

	sim.ctx = policy.NewContext(len(in.ContextEntries) + len(derivedKeys))
	sim.supplied = map[string]bool{}
	for _, e := range in.ContextEntries {
		if err := checkContextEntry(e); err != nil {
			return err
		}
		if e.Key == "" {
			continue
		}
		sim.ctx.Set(e.Key, e.Values...)
		sim.supplied[strings.ToLower(e.Key)] = true
	}
	// The keys a request derives from its caller are absent unless given:
	// an empty entry hides the evaluator's derivation from the Principal.
	for _, k := range derivedKeys {
		if !sim.supplied[k] {
			sim.ctx.Set(k)
		}
	}
	var ks keySet
	for _, sp := range sim.policies {
		ks.addPolicy(sp.c.Policy)
	}
	for _, k := range ks.list {
		if !sim.supplied[strings.ToLower(k)] {
			sim.keys = append(sim.keys, k)
		}
	}
	return nil
}

// checkContextEntry refuses a context entry whose values are not of its
// ContextKeyType: a value the evaluator cannot read as that type would
// silently never match, so the simulation would answer for a request that
// cannot exist. AWS's model lists InvalidInput for this ("an invalid or
// out-of-range value was supplied for an input parameter") but documents
// no message; this one names the key, the type and the value. The forms
// accepted are those policy conditions compare with: numbers as
// strconv.ParseFloat reads them (finite), true or false in any case, ISO
// 8601 dates and epoch seconds (policy.ParseDate), IPv4 and IPv6
// addresses without a zone (a request's address is one address, and the
// evaluator reads no CIDR block from the context), and canonical standard
// base64. An empty type is not checked.
func checkContextEntry(e ContextEntry) error {
	var ok func(string) bool
	var what string
	switch strings.TrimSuffix(e.Type, "List") {
	case "numeric":
		ok, what = func(v string) bool {
			f, err := strconv.ParseFloat(v, 64)
			return err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
		}, "a number"
	case "boolean":
		ok, what = func(v string) bool { return strings.EqualFold(v, "true") || strings.EqualFold(v, "false") }, "a boolean (true or false)"
	case "date":
		ok, what = func(v string) bool {
			_, ok := policy.ParseDate(v)
			return ok
		}, "a date (ISO 8601 or epoch seconds)"
	case "ip":
		ok, what = func(v string) bool {
			a, err := netip.ParseAddr(v)
			return err == nil && a.Zone() == ""
		}, "an IPv4 or IPv6 address"
	case "binary":
		ok, what = func(v string) bool {
			// Canonical only: BinaryEquals compares the request's text with
			// the policy value's canonical encoding.
			b, err := base64.StdEncoding.DecodeString(v)
			return err == nil && base64.StdEncoding.EncodeToString(b) == v
		}, "a base64-encoded binary value"
	default:
		return nil
	}
	for _, v := range e.Values {
		if !ok(v) {
			if len(v) > 128 { // the message echoes the value; keep it short
				v = v[:128] + "..."
			}
			return Errorf(CodeInvalidInput, "Invalid value %q for context key %s of ContextKeyType %s: not %s.", v, e.Key, e.Type, what)
		}
	}
	return nil
}

// derivedKeys are the condition keys policy.Evaluate derives from the
// request's Principal when the context does not set them.
var derivedKeys = []string{
	"aws:username", "aws:userid", "aws:principaltype", "aws:principalaccount",
	"aws:principalarn", "aws:principalservicename", "aws:principalisawsservice",
}

// allowAll stands in for one side of a request when the other side's own
// decision is wanted.
var allowAll = func() *policy.Compiled {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
	if err != nil {
		panic(err)
	}
	c, err := policy.Compile("allow-all", "", p)
	if err != nil {
		panic(err)
	}
	return c
}()

// run evaluates every action on every resource and pages the results.
func (sim *simulation) run(in SimulateInput) (*SimulateOutput, error) {
	start := 0
	if in.Marker != "" {
		m, err := decodeMarker("Simulate", in.Marker)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(in.ActionNames) {
			return nil, Errorf(CodeValidationError, "Invalid Marker.")
		}
		start = n
	}
	limit := in.MaxItems
	if limit <= 0 {
		limit = 100
	}
	end := min(start+limit, len(in.ActionNames))
	out := &SimulateOutput{Results: []EvaluationResult{}}
	for _, action := range in.ActionNames[start:end] {
		out.Results = append(out.Results, sim.action(action, in.ResourceARNs))
	}
	if end < len(in.ActionNames) {
		out.IsTruncated, out.Marker = true, encodeMarker("Simulate", strconv.Itoa(end))
	}
	return out, nil
}

func (sim *simulation) action(action string, resources []string) EvaluationResult {
	r := EvaluationResult{Action: action}
	if len(resources) == 0 {
		r.ResourceResult = sim.evaluate(action, "*", false)
		return r
	}
	var worst int
	for i, res := range resources {
		rr := sim.evaluate(action, res, true)
		r.Resources = append(r.Resources, rr)
		if rank(rr.Decision) > rank(r.Resources[worst].Decision) {
			worst = i
		}
	}
	agg := r.Resources[worst]
	agg.Resource = resources[0]
	agg.Matched = []MatchedStatement{}
	seen := map[MatchedStatement]bool{}
	for _, rr := range r.Resources {
		if rr.Decision != agg.Decision {
			continue
		}
		for _, m := range rr.Matched {
			if !seen[m] {
				seen[m] = true
				agg.Matched = append(agg.Matched, m)
			}
		}
	}
	r.ResourceResult = agg
	return r
}

func rank(decision string) int {
	switch decision {
	case decisionExplicitDeny:
		return 2
	case decisionImplicitDeny:
		return 1
	}
	return 0
}

func decisionName(e policy.Effect) string {
	switch e {
	case policy.Allow:
		return decisionAllowed
	case policy.ExplicitDeny:
		return decisionExplicitDeny
	}
	return decisionImplicitDeny
}

// evaluate simulates action on one resource.
func (sim *simulation) evaluate(action, resource string, named bool) ResourceResult {
	set := policy.Set{Identity: sim.identity, Boundary: sim.boundary, Resource: sim.resource, ResourceAccount: sim.resourceAcc}
	d := sim.decide(&set, action, resource)
	rr := ResourceResult{Resource: resource, Decision: decisionName(d.Effect), Missing: sim.keys}
	for _, m := range d.Matched {
		sp := sim.policyOf(m.Policy)
		if sp == nil {
			continue
		}
		ms := MatchedStatement{SourcePolicyID: sp.id, SourcePolicyType: sp.typ}
		if pos := sp.positions(); m.Index < len(pos) {
			ms.Start, ms.End = pos[m.Index][0], pos[m.Index][1]
		}
		rr.Matched = append(rr.Matched, ms)
	}
	if rr.Matched == nil {
		rr.Matched = []MatchedStatement{}
	}
	if rr.Missing == nil {
		rr.Missing = []string{}
	}
	if sim.boundary != nil {
		b := sim.decide(&policy.Set{Identity: []*policy.Compiled{allowAll}, Boundary: sim.boundary}, action, resource).Effect == policy.Allow
		rr.AllowedByBoundary = &b
	}
	switch {
	case sim.resource != nil && sim.resourceAcc != sim.callerAcct:
		rr.Details = map[string]string{
			sourceIdentity: decisionName(sim.decide(&policy.Set{Identity: sim.identity}, action, resource).Effect),
			sourceResource: decisionName(sim.decide(&policy.Set{Identity: []*policy.Compiled{allowAll}, Resource: sim.resource, ResourceAccount: sim.resourceAcc}, action, resource).Effect),
		}
		if sim.boundary != nil {
			rr.Details[sourceBoundary] = decisionName(sim.decide(&policy.Set{Identity: []*policy.Compiled{allowAll}, Boundary: sim.boundary}, action, resource).Effect)
		}
	case named && resource != "*":
		rr.Details = map[string]string{}
	}
	return rr
}

func (sim *simulation) decide(set *policy.Set, action, resource string) policy.Decision {
	req := policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalUser, ARN: sim.callerARN, Account: sim.callerAcct},
		Action:    action,
		Resource:  resource,
		Context:   sim.ctx,
	}
	d := policy.Decision{Matched: make([]policy.StatementRef, 0, 8)}
	policy.Evaluate(set, &req, &d)
	return d
}

func (sim *simulation) policyOf(id string) *simPolicy {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "sim:"))
	if err != nil || n < 0 || n >= len(sim.policies) {
		return nil
	}
	return sim.policies[n]
}

// keySet collects context keys in first-seen order, without duplicates
// (keys compare case-insensitively, as condition keys do); the first
// spelling is kept.
type keySet struct {
	seen map[string]bool
	list []string
}

func (ks *keySet) add(k string) {
	if ks.seen == nil {
		ks.seen = map[string]bool{}
		ks.list = []string{}
	}
	l := strings.ToLower(k)
	if k == "" || ks.seen[l] {
		return
	}
	ks.seen[l] = true
	ks.list = append(ks.list, k)
}

// addPolicy adds the keys a policy references: per statement, the policy
// variables of its Resource or NotResource, then its condition keys, each
// followed by the variables in its values. Variables are read only in
// 2012-10-17 documents, where they are variables.
func (ks *keySet) addPolicy(p *policy.Policy) {
	if ks.seen == nil {
		ks.seen = map[string]bool{}
		ks.list = []string{}
	}
	vars := p.Version == policy.Version2012
	for _, st := range p.Statements {
		if vars {
			for _, r := range st.Resources {
				ks.addVariables(r)
			}
		}
		for _, c := range st.Conditions {
			ks.add(c.Key)
			if vars {
				for _, v := range c.Values {
					ks.addVariables(v)
				}
			}
		}
	}
}

// addVariables adds the keys of the ${key} and ${key, 'default'} policy
// variables in s; ${*}, ${?} and ${$} are escapes, not keys.
func (ks *keySet) addVariables(s string) {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return
		}
		s = s[i+2:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return
		}
		k := s[:j]
		s = s[j+1:]
		if c := strings.IndexByte(k, ','); c >= 0 {
			k = k[:c]
		}
		k = strings.TrimSpace(k)
		if k == "*" || k == "?" || k == "$" {
			continue
		}
		ks.add(k)
	}
}

// statementPositions returns the start and end of each statement of a
// policy document, as AWS reports them in MatchedStatements (see the
// package comment at the top of this file). It returns nil for a document
// it cannot read; the parser has already accepted every document given to
// it.
func statementPositions(doc string) [][2]Position {
	sc := &posScanner{s: doc}
	sc.ws()
	if !sc.eat('{') {
		return nil
	}
	for {
		sc.ws()
		if sc.eat('}') || sc.i >= len(sc.s) {
			return nil
		}
		key, ok := sc.str()
		if !ok {
			return nil
		}
		sc.ws()
		if !sc.eat(':') {
			return nil
		}
		sc.ws()
		if key != "Statement" {
			if !sc.value(0) {
				return nil
			}
			sc.ws()
			sc.eat(',')
			continue
		}
		switch {
		case sc.peek() == '{':
			sc.i++
			start := sc.pos(sc.i)
			sc.i--
			if !sc.value(0) {
				return nil
			}
			return [][2]Position{{start, sc.pos(sc.i)}}
		case sc.peek() == '[':
			sc.i++
			prev := sc.i
			var out [][2]Position
			for {
				sc.ws()
				if sc.eat(']') || sc.i >= len(sc.s) {
					return out
				}
				if sc.eat(',') {
					continue
				}
				start := sc.pos(prev)
				if !sc.value(0) {
					return nil
				}
				prev = sc.i
				out = append(out, [2]Position{start, sc.pos(sc.i)})
			}
		}
		return nil
	}
}

// posScanner walks a JSON document, tracking byte offsets; pos turns an
// offset into AWS's line and column.
type posScanner struct {
	s     string
	i     int
	lines []int // offsets at which lines start, built on first use
}

func (sc *posScanner) peek() byte {
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

func (sc *posScanner) eat(c byte) bool {
	if sc.peek() == c && sc.i < len(sc.s) {
		sc.i++
		return true
	}
	return false
}

func (sc *posScanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// str reads a string literal and returns its decoded value.
func (sc *posScanner) str() (string, bool) {
	if sc.peek() != '"' {
		return "", false
	}
	j := sc.i + 1
	for j < len(sc.s) {
		switch sc.s[j] {
		case '\\':
			j += 2
			continue
		case '"':
			var v string
			if err := json.Unmarshal([]byte(sc.s[sc.i:j+1]), &v); err != nil {
				return "", false
			}
			sc.i = j + 1
			return v, true
		}
		j++
	}
	return "", false
}

// value skips one JSON value.
func (sc *posScanner) value(depth int) bool {
	if depth > 64 {
		return false
	}
	switch c := sc.peek(); c {
	case '"':
		_, ok := sc.str()
		return ok
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		sc.i++
		for {
			sc.ws()
			if sc.eat(closer) {
				return true
			}
			if sc.i >= len(sc.s) {
				return false
			}
			if sc.eat(',') || sc.eat(':') {
				continue
			}
			if !sc.value(depth + 1) {
				return false
			}
		}
	default:
		start := sc.i
		for sc.i < len(sc.s) && !strings.ContainsRune(",]} \t\r\n", rune(sc.s[sc.i])) {
			sc.i++
		}
		return sc.i > start
	}
}

// pos returns the line and column (from 1, counting characters) of the
// byte offset off. CR, LF and CRLF each end a line.
func (sc *posScanner) pos(off int) Position {
	if sc.lines == nil {
		sc.lines = []int{0}
		for i := 0; i < len(sc.s); i++ {
			switch sc.s[i] {
			case '\n':
				sc.lines = append(sc.lines, i+1)
			case '\r':
				if i+1 < len(sc.s) && sc.s[i+1] == '\n' {
					i++
				}
				sc.lines = append(sc.lines, i+1)
			}
		}
	}
	off = min(off, len(sc.s))
	// The last line starting at or before off.
	line := sort.SearchInts(sc.lines, off+1) - 1
	return Position{Line: line + 1, Column: utf8.RuneCountInString(sc.s[sc.lines[line]:off]) + 1}
}
