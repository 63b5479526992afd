package iam

import (
	"strconv"
	"strings"
)

// mergeTags applies add onto existing. A key already present in any case
// takes the new value and keeps the spelling it was first written with,
// because AWS treats tag keys case-insensitively.
func (s *Service) mergeTags(existing, add []Tag) ([]Tag, error) {
	seen := make(map[string]bool, len(add))
	for _, t := range add {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return nil, Errorf(CodeInvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	out := make([]Tag, 0, len(existing)+len(add))
	out = append(out, existing...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
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

func removeTags(tags []Tag, keys []string) []Tag {
	out := tags[:0:0]
	for _, t := range tags {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
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
// tag.
func pageTags(tags []Tag, in ListInput) (Page[Tag], error) {
	start := 0
	if in.Marker != "" {
		m, err := decodeMarker(in.Marker)
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
	return Page[Tag]{Items: rest[:in.limit()], IsTruncated: true, Marker: encodeMarker(strconv.Itoa(start + in.limit()))}, nil
}
