package httpapi

import (
	"net/url"
	"strings"
)

// parseQueryInto adds the pairs of a URL-encoded query to form, exactly as
// url.ParseQuery does (the same pairs, values and errors: it is fuzzed
// against it), in fewer allocations: keys and values are slices of s when
// nothing needs unescaping, and one backing array for the values of distinct keys. An AWS request
// has a handful of parameters, so url.ParseQuery's three allocations per
// parameter were a large share of a read's cost. ok is false when
// url.ParseQuery would have returned an error; form then holds what could
// be parsed, as with url.ParseQuery.
func parseQueryInto(form url.Values, s string) (ok bool) {
	ok = true
	if s == "" {
		return ok
	}
	// One value slot per parameter at most, shared by the keys seen once;
	// full slice expressions keep an append to one key off its neighbours.
	slots := make([]string, 0, strings.Count(s, "&")+1)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			ok = false // url.ParseQuery: "invalid semicolon separator in query"
			continue
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, kok := unescapeQuery(key)
		if !kok {
			ok = false
			continue
		}
		value, vok := unescapeQuery(value)
		if !vok {
			ok = false
			continue
		}
		if vs, seen := form[key]; seen {
			form[key] = append(vs, value)
			continue
		}
		slots = append(slots, value)
		n := len(slots)
		form[key] = slots[n-1 : n : n]
	}
	return ok
}

// unescapeQuery is url.QueryUnescape without an allocation when s has
// nothing to unescape.
func unescapeQuery(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
