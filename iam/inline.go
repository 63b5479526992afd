package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/iamd/iamd/policy"
)

func noSuchInline(kind OwnerKind, name string) error {
	return Errorf(CodeNoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
}

func (s *Service) inlineQuota(kind OwnerKind) int {
	q := s.resolvedQuotas()
	switch kind {
	case OwnerUser:
		return q.UserPolicySize
	case OwnerGroup:
		return q.GroupPolicySize
	}
	return q.RolePolicySize
}

// checkInlineDocument validates an inline policy. The per-document
// PolicySize quota of ParseStrict does not apply to inline policies, whose
// quota is the owner's aggregate, so a document that fails only that is
// checked by the grammar alone.
func checkInlineDocument(doc string) error {
	_, err := policy.ParseStrict(doc, policy.Identity)
	var pe *policy.Error
	if errors.As(err, &pe) && pe.Code == policy.CodeLimitExceeded {
		_, err = policy.Parse(doc, policy.Identity)
	}
	return policyError(err)
}

// PutInlinePolicy adds or replaces an inline policy of the named user,
// group or role. All of the owner's inline policies together must fit its
// aggregate quota, counted as policy.Size counts.
func (s *Service) PutInlinePolicy(ctx context.Context, p *Principal, kind OwnerKind, ownerName, policyName, doc string) error {
	return s.update(ctx, func(tx Tx) error {
		o, err := s.ownerForAction(tx, p, kind, ownerAction("Put", kind, "Policy"), ownerName)
		if err != nil {
			return err
		}
		if err := checkInlineDocument(doc); err != nil {
			return err
		}
		others, err := tx.InlinePolicies(kind, o.id)
		if err != nil {
			return err
		}
		total := policy.Size(doc)
		for _, ip := range others {
			if !strings.EqualFold(ip.Name, policyName) {
				total += policy.Size(ip.Document)
			}
		}
		if q := s.inlineQuota(kind); total > q {
			return Errorf(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", q, kind, o.name)
		}
		return tx.PutInlinePolicy(&InlinePolicy{Kind: kind, OwnerID: o.id, Name: policyName, Document: doc})
	})
}

// GetInlinePolicy returns an inline policy of the named user, group or
// role.
func (s *Service) GetInlinePolicy(ctx context.Context, p *Principal, kind OwnerKind, ownerName, policyName string) (*InlinePolicy, string, error) {
	o, err := s.ownerForRead(p, kind, ownerAction("Get", kind, "Policy"), ownerName)
	if err != nil {
		return nil, "", err
	}
	for _, ip := range s.state.inlinePolicies(kind, o.id) {
		if strings.EqualFold(ip.Name, policyName) {
			return ip, o.name, nil
		}
	}
	return nil, "", noSuchInline(kind, policyName)
}

// ListInlinePolicies lists the names of an owner's inline policies.
func (s *Service) ListInlinePolicies(ctx context.Context, p *Principal, kind OwnerKind, ownerName string, in ListInput) (Page[string], error) {
	o, err := s.ownerForRead(p, kind, ownerAction("List", kind, "Policies"), ownerName)
	if err != nil {
		return Page[string]{}, err
	}
	ips := s.state.inlinePolicies(kind, o.id)
	names := make([]string, len(ips))
	for i, ip := range ips {
		names[i] = ip.Name
	}
	in.PathPrefix = ""
	return pageFrom(names, in, strings.ToLower, func(string) string { return "/" })
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, p *Principal, kind OwnerKind, ownerName, policyName string) error {
	return s.update(ctx, func(tx Tx) error {
		o, err := s.ownerForAction(tx, p, kind, ownerAction("Delete", kind, "Policy"), ownerName)
		if err != nil {
			return err
		}
		if err := tx.DeleteInlinePolicy(kind, o.id, policyName); err != nil {
			if isNotFound(err) {
				return noSuchInline(kind, policyName)
			}
			return err
		}
		return nil
	})
}
