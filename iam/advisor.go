package iam

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/policy"
)

// ServiceCatalog names the AWS services the access advisor reports on: a
// policy's Action patterns are expanded against ServicePrefixes, and each
// service is reported under ServiceName ("AWS Identity and Access
// Management" for "iam"). Package servicecatalog implements it for every
// AWS service; without one (Config.Services nil) iamd knows iam and sts.
type ServiceCatalog interface {
	ServiceName(prefix string) (string, bool)
	ServicePrefixes() []string
}

// builtinServices is the fallback catalog: the two services iamd serves.
type builtinServices struct{}

var builtinServiceNames = map[string]string{
	"iam": "AWS Identity and Access Management",
	"sts": "AWS Security Token Service",
}

func (builtinServices) ServiceName(prefix string) (string, bool) {
	n, ok := builtinServiceNames[prefix]
	return n, ok
}

func (builtinServices) ServicePrefixes() []string { return []string{"iam", "sts"} }

// serviceName names prefix with the configured catalog, falling back to
// the built-in names for iam and sts.
func (s *Service) serviceName(prefix string) (string, bool) {
	if s.services != nil {
		if n, ok := s.services.ServiceName(prefix); ok {
			return n, true
		}
	}
	return builtinServices{}.ServiceName(prefix)
}

func (s *Service) servicePrefixes() []string {
	set := map[string]bool{"iam": true, "sts": true}
	if s.services != nil {
		for _, p := range s.services.ServicePrefixes() {
			set[strings.ToLower(p)] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Access advisor granularities and job states, as the IAM model spells them.
const (
	GranularityService = "SERVICE_LEVEL"
	GranularityAction  = "ACTION_LEVEL"
	JobCompleted       = "COMPLETED"
	advisorReportKind  = "access-advisor"
)

// trackedActionServices are the services whose actions AWS tracks
// individually (IAM User Guide, "Action last accessed information").
var trackedActionServices = map[string]bool{"iam": true, "ec2": true, "lambda": true, "s3": true}

// AdvisorJob is the result of a GenerateServiceLastAccessedDetails job.
// iamd computes it when the job is created, from the records flushed so
// far, and stores it; the Get calls page through it.
type AdvisorJob struct {
	JobID       string
	AccountID   string
	EntityARN   string
	Granularity string
	Created     time.Time
	Completed   time.Time
	Services    []ServiceLastAccessed
	// Entities lists, per service namespace, the entities that could have
	// used the report's entity to reach it
	// (GetServiceLastAccessedDetailsWithEntities).
	Entities map[string][]EntityLastAccessed
}

// ServiceLastAccessed is one service of an access advisor report.
type ServiceLastAccessed struct {
	ServiceName                string
	ServiceNamespace           string
	LastAuthenticated          time.Time // zero: not accessed
	LastAuthenticatedEntity    string
	LastAuthenticatedRegion    string
	TotalAuthenticatedEntities int
	TrackedActions             []TrackedAction // ACTION_LEVEL, tracked services only
}

// TrackedAction is one action of an ACTION_LEVEL report.
type TrackedAction struct {
	ActionName         string
	LastAccessedEntity string
	LastAccessedTime   time.Time
	LastAccessedRegion string
}

// EntityLastAccessed is one entity of GetServiceLastAccessedDetailsWithEntities.
type EntityLastAccessed struct {
	Type              string // USER or ROLE (AWS lists no groups)
	ARN, Name, ID     string
	Path              string
	LastAuthenticated time.Time
}

// advisorEntity is the user, group, role or managed policy a report is
// about, with the policies that decide which services it can reach.
type advisorEntity struct {
	kind     string // USER, GROUP, ROLE, POLICY
	arn      string
	id       string
	policies []grantingPolicy
	members  []*User // GROUP
	user     *User   // USER
	role     *Role   // ROLE
	// attachedTo: for POLICY, the account's users, groups and roles it is
	// attached to.
	users        []*User
	groups       []*Group
	roles        []*Role
	groupMembers map[string][]*User // group ID -> members, for POLICY
}

// grantingPolicy is one identity policy of an entity.
type grantingPolicy struct {
	name      string
	arn       string // managed policies
	ownerType string // inline policies: USER, GROUP or ROLE
	ownerName string
	doc       string
}

// parseEntityARN splits an IAM ARN into account, resource type, path and
// name: arn:aws:iam::123456789012:user/division/alice.
func parseEntityARN(arn string) (account, typ, path, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != Partition || parts[2] != "iam" || parts[3] != "" ||
		(parts[4] != "aws" && !isAccountID(parts[4])) {
		return "", "", "", "", false
	}
	res := parts[5]
	slash := strings.IndexByte(res, '/')
	last := strings.LastIndexByte(res, '/')
	if slash <= 0 || last == len(res)-1 {
		return "", "", "", "", false
	}
	return parts[4], res[:slash], res[slash : last+1], res[last+1:], true
}

// resolveAdvisorEntity finds the entity an access advisor call names, in
// the caller's account (or an AWS managed policy).
func (s *Service) resolveAdvisorEntity(p *Principal, arn string, allowPolicy bool) (*advisorEntity, error) {
	account, typ, _, name, ok := parseEntityARN(arn)
	if !ok {
		return nil, invalidARN(arn)
	}
	st := s.state
	e := &advisorEntity{arn: arn}
	var owners []ownerRef
	switch {
	case typ == "user" && account == p.AccountID:
		u := st.user(account, name)
		if u == nil || u.ARN() != arn {
			return nil, Errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
		}
		e.kind, e.id, e.user = "USER", u.ID, u
		owners = append(owners, ownerRef{OwnerUser, u.ID})
		for _, g := range st.groupsOfUser(u.ID) {
			owners = append(owners, ownerRef{OwnerGroup, g.ID})
		}
	case typ == "group" && account == p.AccountID:
		g := st.group(account, name)
		if g == nil || g.ARN() != arn {
			return nil, Errorf(CodeNoSuchEntity, "The group with name %s cannot be found.", name)
		}
		e.kind, e.id = "GROUP", g.ID
		owners = append(owners, ownerRef{OwnerGroup, g.ID})
		e.members = st.membersOfGroup(g.ID)
	case typ == "role" && account == p.AccountID:
		r := st.role(account, name)
		if r == nil || r.ARN() != arn {
			return nil, noSuchRole(name)
		}
		e.kind, e.id, e.role = "ROLE", r.ID, r
		owners = append(owners, ownerRef{OwnerRole, r.ID})
	case typ == "policy" && allowPolicy && (account == p.AccountID || account == "aws"):
		doc, ok := s.managedDocument(arn)
		if !ok {
			return nil, Errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
		}
		e.kind, e.id = "POLICY", arn
		e.policies = []grantingPolicy{{name: name, arn: arn, doc: doc.doc}}
		use := st.usesOf(p.AccountID, arn, true)
		e.users, e.groups, e.roles = use.users, use.groups, use.roles
		e.groupMembers = map[string][]*User{}
		for _, g := range e.groups {
			e.groupMembers[g.ID] = st.membersOfGroup(g.ID)
		}
		return e, nil
	case typ == "user" || typ == "group" || typ == "role" || typ == "policy" && allowPolicy:
		return nil, Errorf(CodeNoSuchEntity, "The entity %s cannot be found.", arn)
	default:
		return nil, invalidARN(arn)
	}
	for _, o := range owners {
		ownerType, ownerName := "", ""
		switch o.kind {
		case OwnerUser:
			ownerType, ownerName = "USER", name
		case OwnerGroup:
			ownerType = "GROUP"
			st.mu.RLock()
			if g := st.groups[o.id]; g != nil {
				ownerName = g.Name
			}
			st.mu.RUnlock()
		case OwnerRole:
			ownerType, ownerName = "ROLE", name
		}
		for _, ip := range st.inlinePolicies(o.kind, o.id) {
			e.policies = append(e.policies, grantingPolicy{name: ip.Name, ownerType: ownerType, ownerName: ownerName, doc: ip.Document})
		}
		for _, parn := range st.attachedPolicies(o.kind, o.id) {
			if d, ok := s.managedDocument(parn); ok {
				e.policies = append(e.policies, grantingPolicy{name: parn[strings.LastIndexByte(parn, '/')+1:], arn: parn, doc: d.doc})
			}
		}
	}
	return e, nil
}

// grants is what a policy's Allow statements cover: action patterns,
// and NotAction patterns (which cover everything they do not name).
type grants struct {
	actions    []string
	notActions [][]string
}

func policyGrants(doc string) grants {
	var g grants
	parsed, err := policy.Parse(doc, policy.Identity)
	if err != nil {
		return g
	}
	for _, st := range parsed.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		if st.NotAction {
			g.notActions = append(g.notActions, st.Actions)
		} else {
			g.actions = append(g.actions, st.Actions...)
		}
	}
	return g
}

// service reports whether g allows some action of the service prefix.
func (g grants) service(prefix string) bool {
	for _, a := range g.actions {
		svc, _, _ := strings.Cut(a, ":")
		if a == "*" || globMatch(svc, prefix) {
			return true
		}
	}
	for _, not := range g.notActions {
		excluded := false
		for _, a := range not {
			svc, act, _ := strings.Cut(a, ":")
			if a == "*" || act == "*" && globMatch(svc, prefix) {
				excluded = true
				break
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

// action reports whether g allows the action "prefix:Name".
func (g grants) action(action string) bool {
	for _, a := range g.actions {
		if globMatch(a, action) {
			return true
		}
	}
	for _, not := range g.notActions {
		if !slices.ContainsFunc(not, func(a string) bool { return globMatch(a, action) }) {
			return true
		}
	}
	return false
}

// globMatch matches IAM's action wildcards (* and ?), case-insensitively.
func globMatch(pattern, s string) bool {
	p, str := strings.ToLower(pattern), strings.ToLower(s)
	var pi, si, star, mark = 0, 0, -1, 0
	for si < len(str) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == str[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func newJobID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// GenerateServiceLastAccessedDetails starts an access advisor job for a
// user, group, role or managed policy and returns its ID. The report lists
// every service the entity's policies allow, with when it was last
// authenticated, by whom and where; ACTION_LEVEL adds the tracked actions.
func (s *Service) GenerateServiceLastAccessedDetails(ctx context.Context, p *Principal, arn, granularity string) (string, error) {
	if granularity == "" {
		granularity = GranularityService
	}
	// A malformed ARN is InvalidInput whoever asks, as in the simulator:
	// checked before authorizing, which would call it another account's.
	_, typ, _, _, ok := parseEntityARN(arn)
	if !ok {
		return "", invalidARN(arn)
	}
	authz := s.authorize
	if typ == "policy" {
		// An AWS managed policy is every account's to read (the console's
		// Access Advisor tab has it), so it is authorized as GetPolicy is.
		authz = s.authorizePolicyRead
	}
	if err := authz(p, "iam:GenerateServiceLastAccessedDetails", arn); err != nil {
		return "", err
	}
	e, err := s.resolveAdvisorEntity(p, arn, true)
	if err != nil {
		return "", err
	}
	// Include what was recorded up to now.
	if err := s.FlushActivity(ctx); err != nil {
		s.log.Warn("flush last-used data before access advisor job", "err", err)
	}
	job := &AdvisorJob{JobID: newJobID(), AccountID: p.AccountID, EntityARN: arn, Granularity: granularity, Created: s.clock()}
	// Through update, so the job's transaction also journals the request's
	// audit intent (a write for CloudTrail, like GenerateCredentialReport).
	err = s.update(ctx, func(tx Tx) error {
		recs, err := tx.ServiceAccess(p.AccountID, arn)
		if err != nil {
			return err
		}
		s.fillAdvisorJob(job, e, recs)
		job.Completed = s.clock()
		body, err := json.Marshal(job)
		if err != nil {
			return err
		}
		return tx.PutReport(&Report{ID: job.JobID, AccountID: p.AccountID, Kind: advisorReportKind, Created: job.Created, Body: body})
	})
	if err != nil {
		return "", err
	}
	return job.JobID, nil
}

// lastUse is the newest of a set of records.
type lastUse struct {
	at        time.Time
	principal string
	region    string
	who       map[string]bool
}

func (l *lastUse) add(r ServiceAccess) {
	if l.who == nil {
		l.who = map[string]bool{}
	}
	l.who[r.PrincipalARN] = true
	if r.Time.After(l.at) {
		l.at, l.principal, l.region = r.Time, r.PrincipalARN, r.Region
	}
}

func (s *Service) fillAdvisorJob(job *AdvisorJob, e *advisorEntity, recs []ServiceAccess) {
	gs := make([]grants, len(e.policies))
	for i, gp := range e.policies {
		gs[i] = policyGrants(gp.doc)
	}
	byService := map[string]*lastUse{}
	byAction := map[string]*lastUse{}
	// byPrincipal[namespace][principal ARN] is the principal's newest use.
	byPrincipal := map[string]map[string]time.Time{}
	for _, r := range recs {
		ns, _, _ := strings.Cut(r.Action, ":")
		ns = strings.ToLower(ns)
		if byService[ns] == nil {
			byService[ns] = &lastUse{}
			byPrincipal[ns] = map[string]time.Time{}
		}
		byService[ns].add(r)
		if r.Time.After(byPrincipal[ns][r.PrincipalARN]) {
			byPrincipal[ns][r.PrincipalARN] = r.Time
		}
		if byAction[r.Action] == nil {
			byAction[r.Action] = &lastUse{}
		}
		byAction[r.Action].add(r)
	}
	job.Entities = map[string][]EntityLastAccessed{}
	for _, prefix := range s.servicePrefixes() {
		granted := false
		for _, g := range gs {
			if g.service(prefix) {
				granted = true
				break
			}
		}
		if !granted {
			continue
		}
		name, ok := s.serviceName(prefix)
		if !ok {
			continue
		}
		sla := ServiceLastAccessed{ServiceName: name, ServiceNamespace: prefix}
		if u := byService[prefix]; u != nil {
			sla.LastAuthenticated, sla.LastAuthenticatedEntity, sla.LastAuthenticatedRegion = u.at, u.principal, u.region
			sla.TotalAuthenticatedEntities = len(u.who)
		}
		if job.Granularity == GranularityAction && trackedActionServices[prefix] {
			sla.TrackedActions = trackedActions(prefix, gs, byAction)
		}
		job.Services = append(job.Services, sla)
		job.Entities[prefix] = advisorEntities(e, byPrincipal[prefix])
	}
}

// trackedActions lists the tracked actions of a service that the policies
// allow: for IAM every action of its model, elsewhere the actions seen.
// None were used: nil, as the API reference has TrackedActionsLastAccessed
// null "if the principal did not use the tracked actions within the
// tracking period".
func trackedActions(prefix string, gs []grants, byAction map[string]*lastUse) []TrackedAction {
	names := map[string]bool{}
	if prefix == "iam" {
		for n := range awsmodel.IAM().Operations {
			names[n] = true
		}
	}
	for a := range byAction {
		if ns, n, ok := strings.Cut(a, ":"); ok && strings.EqualFold(ns, prefix) {
			names[n] = true
		}
	}
	var out []TrackedAction
	used := false
	for n := range names {
		full := prefix + ":" + n
		if !slices.ContainsFunc(gs, func(g grants) bool { return g.action(full) }) {
			continue
		}
		ta := TrackedAction{ActionName: n}
		if u := byAction[full]; u != nil {
			ta.LastAccessedTime, ta.LastAccessedEntity, ta.LastAccessedRegion = u.at, u.principal, u.region
			used = true
		}
		out = append(out, ta)
	}
	if !used {
		return nil
	}
	slices.SortFunc(out, func(a, b TrackedAction) int { return strings.Compare(a.ActionName, b.ActionName) })
	return out
}

// advisorEntities lists who could have used the report's entity to reach
// a service: a group's members, a policy's users (directly or through a
// group) and roles, or a user or role itself.
func advisorEntities(e *advisorEntity, last map[string]time.Time) []EntityLastAccessed {
	user := func(u *User) EntityLastAccessed {
		return EntityLastAccessed{Type: "USER", ARN: u.ARN(), Name: u.Name, ID: u.ID, Path: u.Path, LastAuthenticated: last[u.ARN()]}
	}
	role := func(r *Role) EntityLastAccessed {
		return EntityLastAccessed{Type: "ROLE", ARN: r.ARN(), Name: r.Name, ID: r.ID, Path: r.Path, LastAuthenticated: last[r.ARN()]}
	}
	var out []EntityLastAccessed
	switch e.kind {
	case "USER":
		out = append(out, user(e.user))
	case "ROLE":
		out = append(out, role(e.role))
	case "GROUP":
		for _, u := range e.members {
			out = append(out, user(u))
		}
	case "POLICY":
		// "For a policy report, this operation returns a list of entities
		// (users or roles) that could have used the policy" (API
		// reference, GetServiceLastAccessedDetailsWithEntities): a group the
		// policy is attached to is not listed, its members are, once each
		// even when the policy also reaches them directly.
		seen := map[string]bool{}
		addUser := func(u *User) {
			if !seen[u.ID] {
				seen[u.ID] = true
				out = append(out, user(u))
			}
		}
		for _, u := range e.users {
			addUser(u)
		}
		for _, g := range e.groups {
			for _, u := range e.groupMembers[g.ID] {
				addUser(u)
			}
		}
		for _, r := range e.roles {
			out = append(out, role(r))
		}
	}
	// "Sorted by date, with the most recent access listed first" (API
	// reference); the never used last, by ARN.
	slices.SortFunc(out, func(a, b EntityLastAccessed) int {
		return cmp.Or(b.LastAuthenticated.Compare(a.LastAuthenticated), strings.Compare(a.ARN, b.ARN))
	})
	return out
}

// AdvisorPage is a page of an access advisor job's services or entities.
type AdvisorPage[T any] struct {
	Job         *AdvisorJob
	Items       []T
	IsTruncated bool
	Marker      string
}

func (s *Service) advisorJob(ctx context.Context, p *Principal, jobID string) (*AdvisorJob, error) {
	var r *Report
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		r, err = tx.Report(jobID)
		return err
	})
	if isNotFound(err) || err == nil && (r.AccountID != p.AccountID || r.Kind != advisorReportKind) {
		return nil, Errorf(CodeNoSuchEntity, "No such job with ID %s.", jobID)
	}
	if err != nil {
		return nil, internal(err)
	}
	var job AdvisorJob
	if err := json.Unmarshal(r.Body, &job); err != nil {
		return nil, internal(err)
	}
	return &job, nil
}

func advisorPage[T any](items []T, marker string, maxItems int) ([]T, bool, string, error) {
	start := 0
	if marker != "" {
		m, err := decodeMarker(listingOf[T](), marker)
		if err != nil {
			return nil, false, "", Errorf(CodeInvalidInput, "Invalid Marker.")
		}
		if start, err = strconv.Atoi(m); err != nil || start < 0 || start > len(items) {
			return nil, false, "", Errorf(CodeInvalidInput, "Invalid Marker.")
		}
	}
	if maxItems <= 0 {
		maxItems = 100
	}
	end := min(start+maxItems, len(items))
	if end < len(items) {
		return items[start:end], true, encodeMarker(listingOf[T](), strconv.Itoa(end)), nil
	}
	return items[start:end], false, "", nil
}

// GetServiceLastAccessedDetails returns a page of an access advisor job's
// services.
func (s *Service) GetServiceLastAccessedDetails(ctx context.Context, p *Principal, jobID, marker string, maxItems int) (*AdvisorPage[ServiceLastAccessed], error) {
	if err := s.authorize(p, "iam:GetServiceLastAccessedDetails", "*"); err != nil {
		return nil, err
	}
	job, err := s.advisorJob(ctx, p, jobID)
	if err != nil {
		return nil, err
	}
	items, trunc, next, err := advisorPage(job.Services, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &AdvisorPage[ServiceLastAccessed]{Job: job, Items: items, IsTruncated: trunc, Marker: next}, nil
}

// GetServiceLastAccessedDetailsWithEntities returns a page of the entities
// that could have used the job's entity to reach one service.
func (s *Service) GetServiceLastAccessedDetailsWithEntities(ctx context.Context, p *Principal, jobID, namespace, marker string, maxItems int) (*AdvisorPage[EntityLastAccessed], error) {
	if err := s.authorize(p, "iam:GetServiceLastAccessedDetailsWithEntities", "*"); err != nil {
		return nil, err
	}
	job, err := s.advisorJob(ctx, p, jobID)
	if err != nil {
		return nil, err
	}
	items, trunc, next, err := advisorPage(job.Entities[strings.ToLower(namespace)], marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &AdvisorPage[EntityLastAccessed]{Job: job, Items: items, IsTruncated: trunc, Marker: next}, nil
}

// PolicyGrantingAccess is one policy of ListPoliciesGrantingServiceAccess.
type PolicyGrantingAccess struct {
	PolicyName string
	PolicyType string // INLINE or MANAGED
	PolicyARN  string // MANAGED
	EntityType string // INLINE: USER, GROUP or ROLE
	EntityName string
}

// ServicePolicies is the answer for one service namespace.
type ServicePolicies struct {
	ServiceNamespace string
	Policies         []PolicyGrantingAccess
}

// ListPoliciesGrantingServiceAccess lists, per service namespace, the
// identity policies of a user (with its groups'), group or role that allow
// some action of that service.
func (s *Service) ListPoliciesGrantingServiceAccess(ctx context.Context, p *Principal, arn string, namespaces []string) ([]ServicePolicies, error) {
	if _, _, _, _, ok := parseEntityARN(arn); !ok {
		return nil, invalidARN(arn)
	}
	if err := s.authorize(p, "iam:ListPoliciesGrantingServiceAccess", arn); err != nil {
		return nil, err
	}
	e, err := s.resolveAdvisorEntity(p, arn, false)
	if err != nil {
		return nil, err
	}
	gs := make([]grants, len(e.policies))
	for i, gp := range e.policies {
		gs[i] = policyGrants(gp.doc)
	}
	out := make([]ServicePolicies, 0, len(namespaces))
	for _, ns := range namespaces {
		sp := ServicePolicies{ServiceNamespace: ns, Policies: []PolicyGrantingAccess{}}
		for i, gp := range e.policies {
			if !gs[i].service(strings.ToLower(ns)) {
				continue
			}
			pg := PolicyGrantingAccess{PolicyName: gp.name}
			if gp.arn != "" {
				pg.PolicyType, pg.PolicyARN = "MANAGED", gp.arn
			} else {
				pg.PolicyType, pg.EntityType, pg.EntityName = "INLINE", gp.ownerType, gp.ownerName
			}
			sp.Policies = append(sp.Policies, pg)
		}
		out = append(out, sp)
	}
	return out, nil
}

// CodeOrganizationNotFound is IAM's error for an account that belongs to
// no organization (the IAM model's OrganizationNotFoundException). iamd has
// no AWS Organizations, so every account is such an account.
const CodeOrganizationNotFound Code = "OrganizationNotFoundException"

// GenerateOrganizationsAccessReport answers as AWS does for an account
// outside any organization: iamd has no AWS Organizations.
func (s *Service) GenerateOrganizationsAccessReport(ctx context.Context, p *Principal) error {
	if err := s.authorize(p, "iam:GenerateOrganizationsAccessReport", "*"); err != nil {
		return err
	}
	return Errorf(CodeOrganizationNotFound, "The request was rejected because no organization is associated with your account.")
}

// GetOrganizationsAccessReport: no organizations access job can exist.
func (s *Service) GetOrganizationsAccessReport(ctx context.Context, p *Principal, jobID string) error {
	if err := s.authorize(p, "iam:GetOrganizationsAccessReport", "*"); err != nil {
		return err
	}
	return Errorf(CodeNoSuchEntity, "No such job with ID %s.", jobID)
}

// OrganizationsRootAccess answers the centralized root access operations
// (ListOrganizationsFeatures and Enable/DisableOrganizationsRootCredentialsManagement
// and ...RootSessions, named by action without its iam: prefix) as AWS does
// for an account outside any organization, once the caller is allowed to
// call them.
func (s *Service) OrganizationsRootAccess(ctx context.Context, p *Principal, action string) error {
	if err := s.authorize(p, "iam:"+action, "*"); err != nil {
		return err
	}
	return Errorf(CodeOrganizationNotFound, "The request was rejected because no organization is associated with your account.")
}
