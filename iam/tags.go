package iam

import (
	"slices"
	"strconv"
	"strings"
)

// mergeTags applies add onto existing for users and roles, whose tag keys
// are case-insensitive: a key already present in any case takes the new
// value and keeps the spelling it was first written with (IAM User Guide,
// "Rules for tagging in IAM and AWS STS", Case sensitivity).
func (s *Service) mergeTags(existing, add []Tag) ([]Tag, error) {
	return s.mergeTagsFold(existing, add, true)
}

// mergeTagsExact applies add onto existing for the other taggable
// resources (managed policies, instance profiles, OIDC and SAML providers,
// server certificates, virtual MFA devices), whose tag keys are
// case-sensitive: Costcenter and costcenter are two tags (same rules).
func (s *Service) mergeTagsExact(existing, add []Tag) ([]Tag, error) {
	return s.mergeTagsFold(existing, add, false)
}

func (s *Service) mergeTagsFold(existing, add []Tag, fold bool) ([]Tag, error) {
	same := func(a, b string) bool { return a == b }
	if fold {
		same = strings.EqualFold
	}
	for i, t := range add {
		if err := checkReservedTag(t); err != nil {
			return nil, err
		}
		for _, u := range add[:i] {
			if same(t.Key, u.Key) {
				if fold {
					return nil, Errorf(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
				}
				return nil, Errorf(CodeInvalidInput, "Duplicate tag keys found.")
			}
		}
	}
	out := make([]Tag, 0, len(existing)+len(add))
	out = append(out, existing...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if same(out[i].Key, t.Key) {
				out[i].Value = t.Value
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > s.quotas.TagsPerEntity {
		return nil, Errorf(CodeLimitExceeded, "The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// reservedTagPrefix starts no tag key or value a caller may create: "This
// tag prefix is reserved for AWS internal use" (IAM User Guide, Rules for
// tagging in IAM and AWS STS). The rule names the lower-case text.
const reservedTagPrefix = "aws:"

// checkReservedTag refuses a tag whose key or value uses the reserved
// prefix. AWS documents the rule but not its wording; InvalidInput is the
// code IAM gives its other tag rules.
func checkReservedTag(t Tag) error {
	if strings.HasPrefix(t.Key, reservedTagPrefix) || strings.HasPrefix(t.Value, reservedTagPrefix) {
		return Errorf(CodeInvalidInput, "You cannot create a tag key or value that begins with the text aws:. This tag prefix is reserved for AWS internal use.")
	}
	return nil
}

// removeTags drops the named keys, in any case (users and roles).
func removeTags(tags []Tag, keys []string) []Tag {
	return removeTagsFold(tags, keys, true)
}

// removeTagsExact drops exactly the named keys (case-sensitive resources).
func removeTagsExact(tags []Tag, keys []string) []Tag {
	return removeTagsFold(tags, keys, false)
}

func removeTagsFold(tags []Tag, keys []string, fold bool) []Tag {
	out := tags[:0:0]
	for _, t := range tags {
		drop := false
		for _, k := range keys {
			if t.Key == k || fold && strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// pageTags pages an in-memory tag list; the marker is the index of the next
// tag. Tags are stored in the order they were added, but every List*Tags
// page is "sorted by tag key" (IAM API Reference, ListRoleTags,
// ListInstanceProfileTags and the other List*Tags pages), so the list is
// sorted first; the index then stays valid from page to page.
func pageTags(tags []Tag, in ListInput) (Page[Tag], error) {
	tags = slices.Clone(tags) // the caller's entity keeps its own order
	slices.SortStableFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	start := 0
	if in.Marker != "" {
		m, err := decodeMarker(listingOf[Tag](), in.Marker)
		if err != nil {
			return Page[Tag]{}, err
		}
		start, err = strconv.Atoi(m)
		if err != nil || start < 0 || start > len(tags) {
			return Page[Tag]{}, Errorf(CodeValidationError, "Invalid Marker.")
		}
	}
	rest := tags[start:]
	if len(rest) <= in.limit() {
		return Page[Tag]{Items: rest}, nil
	}
	return Page[Tag]{Items: rest[:in.limit()], IsTruncated: true, Marker: encodeMarker(listingOf[Tag](), strconv.Itoa(start+in.limit()))}, nil
}
