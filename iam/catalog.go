package iam

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/iamd/iamd/policy"
	"github.com/iamd/iamd/servicecatalog"
)

// Custom services: definitions of non-AWS services' actions, resource
// types and condition keys (in servicecatalog's format), stored in the
// database and held in memory on every node, so that policies naming them
// validate, simulate, and appear in the access advisor.
//
// The iamd actions that guard them, all on resources owned by the
// deployment's default (first) account, whose root user is unrestricted
// and whose IAM users and roles need a policy allowing them:
//
//	iamd:PutServiceDefinition     arn:aws:iamd::<account>:service/<prefix>
//	iamd:GetServiceDefinition     arn:aws:iamd::<account>:service/<prefix>
//	iamd:DeleteServiceDefinition  arn:aws:iamd::<account>:service/<prefix>
//	iamd:ListServiceDefinitions   arn:aws:iamd::<account>:service/*
//	iamd:ValidatePolicy           * (any account's principals, as Access Analyzer's)
//
// Principals of other accounts are cross-account to these resources and
// are refused: custom services are deployment-wide, so only the operator's
// account manages them. A nil principal is the operator acting on the data
// directory (the iamd service CLI) and is not checked.

// customCatalog is the in-memory image of the custom definitions. It has
// its own lock: the catalog is read by validation and the access advisor,
// never on the request-signing path.
type customCatalog struct {
	mu   sync.RWMutex
	defs map[string]*customDef // by prefix
	cat  *servicecatalog.Catalog
}

type customDef struct {
	stored *ServiceDefinition
	svc    *servicecatalog.Service
}

// customServicesSetter is implemented by a Config.Services catalog that
// also lists custom services (servicecatalog.Live); iam keeps it current.
type customServicesSetter interface {
	SetCustom([]*servicecatalog.Service)
}

// catalog returns AWS's services plus the custom ones.
func (s *Service) catalog() *servicecatalog.Catalog {
	c := &s.state.custom
	c.mu.RLock()
	cat := c.cat
	c.mu.RUnlock()
	if cat == nil {
		return servicecatalog.AWS()
	}
	return cat
}

// loadCustomServices reads every definition; called from loadLocked
// inside its snapshot.
func (s *Service) loadCustomServices(tx Tx) error {
	defs, err := tx.ServiceDefinitions()
	if err != nil {
		return err
	}
	m := make(map[string]*customDef, len(defs))
	for _, d := range defs {
		if cd := s.decodeDefinition(d); cd != nil {
			m[d.Prefix] = cd
		}
	}
	s.installCustom(m)
	return nil
}

// syncCustomService reloads one definition named by the change feed;
// called from sync inside its snapshot. Applying it before the rest of the
// batch is harmless: reloading a definition is idempotent.
func (s *Service) syncCustomService(tx Tx, c Change) error {
	d, err := tx.ServiceDefinition(c.ID)
	if err != nil && !isNotFound(err) {
		return err
	}
	cc := &s.state.custom
	cc.mu.RLock()
	m := make(map[string]*customDef, len(cc.defs)+1)
	for k, v := range cc.defs {
		m[k] = v
	}
	cc.mu.RUnlock()
	delete(m, c.ID)
	if d != nil {
		if cd := s.decodeDefinition(d); cd != nil {
			m[d.Prefix] = cd
		}
	}
	s.installCustom(m)
	return nil
}

// decodeDefinition parses a stored document. What is stored was validated
// on the way in; one that no longer parses (a later, stricter iamd) is
// logged and left out rather than failing the whole state load.
func (s *Service) decodeDefinition(d *ServiceDefinition) *customDef {
	svc, err := servicecatalog.ParseDefinition([]byte(d.Document))
	if err != nil {
		s.log.Warn("custom service definition ignored", "prefix", d.Prefix, "err", err)
		return nil
	}
	return &customDef{stored: d, svc: svc}
}

func (s *Service) installCustom(m map[string]*customDef) {
	svcs := make([]*servicecatalog.Service, 0, len(m))
	for _, p := range slices.Sorted(maps.Keys(m)) {
		svcs = append(svcs, m[p].svc)
	}
	cat := servicecatalog.AWS().WithCustom(svcs)
	cc := &s.state.custom
	cc.mu.Lock()
	cc.defs, cc.cat = m, cat
	cc.mu.Unlock()
	if set, ok := s.services.(customServicesSetter); ok {
		set.SetCustom(svcs)
	}
}

// catalogOwner is the account that owns the custom service resources.
func (s *Service) catalogOwner(ctx context.Context) (string, error) {
	var id string
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		id, err = tx.Meta(metaDefaultAccount)
		return err
	})
	if err != nil {
		return "", internal(err)
	}
	return id, nil
}

func (s *Service) authorizeCatalog(ctx context.Context, p *Principal, action, prefix string) error {
	if p == nil {
		return nil
	}
	owner, err := s.catalogOwner(ctx)
	if err != nil {
		return err
	}
	return s.authorize(p, action, "arn:"+Partition+":iamd::"+owner+":service/"+prefix)
}

func checkPrefixInput(prefix string) error {
	if !servicecatalog.ValidPrefix(prefix) {
		return Errorf(CodeValidationError,
			"1 validation error detected: Value '%s' at 'prefix' failed to satisfy constraint: Member must be a service prefix of lower-case letters, digits and hyphens, starting with a letter",
			clipInput(prefix))
	}
	return nil
}

func clipInput(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// PutServiceDefinition creates or replaces a custom service from its JSON
// definition (servicecatalog's format: prefix, name, actions, resource
// types with ARN formats, condition keys). It refuses a prefix of an AWS
// service or iamd's own, and a definition that does not validate, with
// InvalidInput naming the problem. p must be allowed iamd:PutServiceDefinition; nil is the
// operator.
func (s *Service) PutServiceDefinition(ctx context.Context, p *Principal, def []byte) (*ServiceDefinition, error) {
	svc, err := servicecatalog.ParseDefinition(def)
	if err != nil {
		var de *servicecatalog.DefinitionError
		if errors.As(err, &de) {
			return nil, Errorf(CodeInvalidInput, "Invalid service definition: %s", de.Msg)
		}
		return nil, internal(err)
	}
	if err := s.authorizeCatalog(ctx, p, "iamd:PutServiceDefinition", svc.Prefix); err != nil {
		return nil, err
	}
	if servicecatalog.AWS().IsAWS(svc.Prefix) {
		return nil, Errorf(CodeInvalidInput, "The service prefix %s is reserved: it belongs to an AWS service or to iamd; choose another prefix.", svc.Prefix)
	}
	now := s.clock()
	out := &ServiceDefinition{Prefix: svc.Prefix, Document: string(def), CreateDate: now, UpdateDate: now}
	err = s.update(ctx, func(tx Tx) error {
		if old, err := tx.ServiceDefinition(svc.Prefix); err == nil {
			out.CreateDate = old.CreateDate
		} else if !isNotFound(err) {
			return err
		}
		return tx.PutServiceDefinition(out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetServiceDefinition returns the stored definition with the prefix
// (any case); NoSuchEntity when there is none. It reads memory.
func (s *Service) GetServiceDefinition(ctx context.Context, p *Principal, prefix string) (*ServiceDefinition, error) {
	prefix = strings.ToLower(prefix)
	if err := checkPrefixInput(prefix); err != nil {
		return nil, err
	}
	if err := s.authorizeCatalog(ctx, p, "iamd:GetServiceDefinition", prefix); err != nil {
		return nil, err
	}
	cc := &s.state.custom
	cc.mu.RLock()
	d := cc.defs[prefix]
	cc.mu.RUnlock()
	if d == nil {
		return nil, Errorf(CodeNoSuchEntity, "The service definition with prefix %s cannot be found.", prefix)
	}
	return d.stored, nil
}

// ListServiceDefinitions returns every custom definition ordered by
// prefix, from memory.
func (s *Service) ListServiceDefinitions(ctx context.Context, p *Principal) ([]*ServiceDefinition, error) {
	if err := s.authorizeCatalog(ctx, p, "iamd:ListServiceDefinitions", "*"); err != nil {
		return nil, err
	}
	cc := &s.state.custom
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	out := make([]*ServiceDefinition, 0, len(cc.defs))
	for _, k := range slices.Sorted(maps.Keys(cc.defs)) {
		out = append(out, cc.defs[k].stored)
	}
	return out, nil
}

// DeleteServiceDefinition removes a custom service; NoSuchEntity when
// there is none. Policies naming its actions stay as they are (IAM keeps
// policies naming unknown actions); they only stop validating.
func (s *Service) DeleteServiceDefinition(ctx context.Context, p *Principal, prefix string) error {
	prefix = strings.ToLower(prefix)
	if err := checkPrefixInput(prefix); err != nil {
		return err
	}
	if err := s.authorizeCatalog(ctx, p, "iamd:DeleteServiceDefinition", prefix); err != nil {
		return err
	}
	err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteServiceDefinition(prefix) })
	if isNotFound(err) {
		return Errorf(CodeNoSuchEntity, "The service definition with prefix %s cannot be found.", prefix)
	}
	if err != nil {
		return internal(err)
	}
	if err := s.sync(ctx); err != nil {
		s.log.Error("sync state after write", "err", err)
	}
	return nil
}

// Policy types ValidatePolicy accepts: Access Analyzer's names.
const (
	ValidateIdentityPolicy = "IDENTITY_POLICY"
	ValidateResourcePolicy = "RESOURCE_POLICY"
	ValidateSCP            = "SERVICE_CONTROL_POLICY"
)

// ValidatePolicy checks a policy document against the AWS and custom
// services, in the manner of IAM Access Analyzer's ValidatePolicy, and
// returns the findings (an empty list for a clean policy). policyType is
// IDENTITY_POLICY, RESOURCE_POLICY or SERVICE_CONTROL_POLICY. It is
// advice: IAM's own writes (CreatePolicy, PutUserPolicy ...) do not run
// it, because AWS accepts policies naming unknown actions. p must be
// allowed iamd:ValidatePolicy; nil is the operator.
func (s *Service) ValidatePolicy(p *Principal, doc, policyType string) ([]servicecatalog.Finding, error) {
	var t policy.PolicyType
	switch policyType {
	case ValidateIdentityPolicy:
		t = policy.Identity
	case ValidateResourcePolicy:
		t = policy.Resource
	case ValidateSCP:
		t = policy.SCP
	default:
		return nil, Errorf(CodeValidationError,
			"1 validation error detected: Value '%s' at 'policyType' failed to satisfy constraint: Member must satisfy enum value set: [IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY]",
			clipInput(policyType))
	}
	if p != nil {
		if err := s.authorize(p, "iamd:ValidatePolicy", "*"); err != nil {
			return nil, err
		}
	}
	return servicecatalog.ValidateDocument(doc, t, s.catalog()), nil
}
