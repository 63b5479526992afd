// Package awsquery implements the AWS Query protocol (form-encoded requests,
// XML responses) as spoken by IAM and STS, driven entirely by the botocore
// models in package awsmodel.
package awsquery

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/awsmodel"
)

// Struct is a decoded or to-be-encoded structure: member name -> value.
//
// Value types by shape type: string -> string; integer, long -> int64;
// double, float -> float64; boolean -> bool; timestamp -> time.Time (UTC);
// blob -> []byte; list -> []any; map -> map[string]any; structure -> Struct.
// WriteResponse additionally accepts a few convenience types (see there).
type Struct map[string]any

// ParseCommon returns the Action and Version parameters. Like every other
// parameter, the first value wins when one is repeated.
func ParseCommon(form url.Values) (action, version string) {
	return first(form["Action"]), first(form["Version"])
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// Decode decodes and validates the Query-protocol input of op from form.
//
// Wire format (botocore's QuerySerializer is the reference client):
//   - scalars: Name=v
//   - lists: Name.member.N (Name.N when flattened; the element's locationName
//     replaces "member" when the model sets one); an empty list is sent as
//     "Name=" and decodes to an empty, present list.
//   - maps: Name.entry.N.key / Name.entry.N.value (Name.N.key when flattened).
//   - structures: Name.Member.
//
// Decisions where AWS does not document its behaviour:
//   - Unknown parameters (including Action, Version and SigV4 query
//     parameters) are ignored, as AWS does.
//   - List/map indexes must be decimal integers >= 1; elements are ordered by
//     index and gaps are closed up (Name.member.1 and Name.member.3 give a
//     two-element list). Parameters with other indexes are ignored as unknown.
//   - A repeated parameter uses its first value, matching url.Values.Get and
//     ParseCommon. The form body is covered by the SigV4 signature, so this
//     opens no smuggling gap.
//   - Booleans accept "true"/"false" in any case. Timestamps accept RFC 3339
//     (ISO 8601 with a zone; fractional seconds optional) and are converted to
//     UTC. Blobs are standard padded base64.
//   - A value that cannot be parsed as its member's type is reported as 400
//     InvalidParameterValue (IAM Common Errors: "An invalid or out-of-range
//     value was supplied for the input parameter"), before any constraint
//     validation, since AWS deserialises before it validates.
//
// Constraint violations are reported together as one 400 ValidationError in
// AWS's Coral wording (see validate.go).
func Decode(op *awsmodel.Operation, form url.Values) (Struct, error) {
	out := Struct{}
	if op == nil || op.Input == nil {
		return out, nil
	}
	d := decoder{}
	in := op.Input
	// One pass over the form groups parameters by top-level member, so the
	// cost is one map lookup per parameter whatever the model size.
	var groups [][]kv
	var scalarBuf [16]*string // most inputs have few members: no allocation
	var scalars []*string
	if len(in.Members) <= len(scalarBuf) {
		scalars = scalarBuf[:len(in.Members)]
	} else {
		scalars = make([]*string, len(in.Members))
	}
	for k, vs := range form {
		if len(vs) == 0 {
			continue
		}
		name, rest, dotted := strings.Cut(k, ".")
		m := in.MemberByName(name)
		if m == nil {
			continue
		}
		if !dotted {
			scalars[m.Index] = &vs[0]
			continue
		}
		if groups == nil {
			groups = make([][]kv, len(in.Members))
		}
		groups[m.Index] = append(groups[m.Index], kv{k: rest, v: vs[0]})
	}
	for _, m := range in.Members {
		var sub []kv
		if groups != nil {
			sub = groups[m.Index]
		}
		v, ok := d.value(m, m.Path, scalars[m.Index], sub)
		if ok {
			out[m.Name] = v
		} else if m.Required {
			d.invalid(m.Path, nullValue, "Member must not be null")
		}
	}
	if d.bad != nil {
		return nil, d.bad
	}
	if len(d.msgs) > 0 {
		return nil, d.validationError()
	}
	return out, nil
}

// kv is one parameter below an aggregate member: k is the key relative to
// the member ("member.1.Key"), v its first value.
type kv struct {
	k, v string
	idx  int // list/map index, filled while grouping
}

type decoder struct {
	msgs []string
	bad  *Error
}

// value decodes member m from its scalar value (the parameter named exactly
// like it, or nil) and its sub-parameters, then validates it. ok is false
// when the member is absent or malformed.
func (d *decoder) value(m *awsmodel.Member, path string, scalar *string, sub []kv) (any, bool) {
	sh := m.Shape
	switch sh.Type {
	case "structure":
		if len(sub) == 0 {
			return nil, false
		}
		return d.structure(sh, path, sub), true
	case "list":
		if len(sub) == 0 {
			// botocore serialises an empty list as "Name=".
			if scalar != nil && *scalar == "" {
				l := []any{}
				d.checkCount(sh, path, l, 0)
				return l, true
			}
			return nil, false
		}
		return d.list(sh, path, sub)
	case "map":
		if len(sub) == 0 {
			return nil, false
		}
		return d.mapValue(sh, path, sub)
	}
	if scalar == nil {
		return nil, false
	}
	v, ok := d.scalar(m, path, *scalar)
	if ok {
		d.checkScalar(sh, path, v)
	}
	return v, ok
}

func (d *decoder) structure(sh *awsmodel.Shape, path string, sub []kv) Struct {
	out := Struct{}
	n := len(sh.Members)
	scalars := make([]*string, n)
	var groups [][]kv
	for i := range sub {
		name, rest, dotted := strings.Cut(sub[i].k, ".")
		m := sh.MemberByName(name)
		if m == nil {
			continue
		}
		if !dotted {
			if scalars[m.Index] == nil {
				scalars[m.Index] = &sub[i].v
			}
			continue
		}
		if groups == nil {
			groups = make([][]kv, n)
		}
		groups[m.Index] = append(groups[m.Index], kv{k: rest, v: sub[i].v})
	}
	for _, m := range sh.Members {
		var g []kv
		if groups != nil {
			g = groups[m.Index]
		}
		p := path + "." + m.Path
		v, ok := d.value(m, p, scalars[m.Index], g)
		if ok {
			out[m.Name] = v
		} else if m.Required {
			d.invalid(p, nullValue, "Member must not be null")
		}
	}
	return out
}

// indexed strips prefix ("member.", "entry." or "" when flattened) and a
// positive decimal index from each key, keeping the remainder; entries that
// do not have that form are dropped as unknown parameters. The result is
// sorted by index, stable so duplicates keep form order.
func indexed(sub []kv, prefix string) []kv {
	out := make([]kv, 0, len(sub))
	for _, e := range sub {
		k, ok := strings.CutPrefix(e.k, prefix)
		if !ok {
			continue
		}
		num, rest, _ := strings.Cut(k, ".")
		idx, ok := parseIndex(num)
		if !ok {
			continue
		}
		out = append(out, kv{k: rest, v: e.v, idx: idx})
	}
	slices.SortStableFunc(out, func(a, b kv) int { return a.idx - b.idx })
	return out
}

func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (d *decoder) list(sh *awsmodel.Shape, path string, sub []kv) (any, bool) {
	em := sh.Member
	prefix := ""
	if !sh.Flattened && !em.Flattened {
		prefix = "member."
		if em.LocationName != "" {
			prefix = em.LocationName + "."
		}
	}
	items := indexed(sub, prefix)
	if len(items) == 0 {
		return nil, false
	}
	out := make([]any, 0, 4)
	mark := len(d.msgs)
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].idx == items[i].idx {
			j++
		}
		pos := len(out) + 1
		p := path + "." + strconv.Itoa(pos) + ".member"
		var scalar *string
		var rest []kv
		for k := i; k < j; k++ {
			if items[k].k == "" {
				if scalar == nil {
					scalar = &items[k].v
				}
			} else {
				rest = append(rest, items[k])
			}
		}
		// The element's own sub-keys are relative to "member.N.".
		v, ok := d.value(em, p, scalar, rest)
		if ok {
			out = append(out, v)
		} else if d.bad == nil {
			// An element index with nothing decodable ("Tags.member.1.Bogus=x")
			// still occupies a slot, as a null element would in AWS.
			d.invalid(p, nullValue, "Member must not be null")
			out = append(out, nil)
		}
		i = j
	}
	d.checkCountBefore(mark, sh, path, out, len(out))
	return out, true
}

func (d *decoder) mapValue(sh *awsmodel.Shape, path string, sub []kv) (any, bool) {
	prefix := "entry."
	if sh.Flattened {
		prefix = ""
	}
	keyName, valName := "key", "value"
	if sh.Key.LocationName != "" {
		keyName = sh.Key.LocationName
	}
	if sh.Value.LocationName != "" {
		valName = sh.Value.LocationName
	}
	items := indexed(sub, prefix)
	if len(items) == 0 {
		return nil, false
	}
	out := make(map[string]any, len(items)/2)
	mark := len(d.msgs)
	pos := 0
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].idx == items[i].idx {
			j++
		}
		pos++
		p := path + ".entry." + strconv.Itoa(pos)
		var key, val *string
		var vsub []kv
		for k := i; k < j; k++ {
			name, rest, dotted := strings.Cut(items[k].k, ".")
			switch {
			case name == keyName && !dotted:
				if key == nil {
					key = &items[k].v
				}
			case name == valName && !dotted:
				if val == nil {
					val = &items[k].v
				}
			case name == valName:
				vsub = append(vsub, kv{k: rest, v: items[k].v})
			}
		}
		i = j
		if key == nil {
			d.invalid(p+".key", nullValue, "Member must not be null")
			continue
		}
		kv, ok := d.value(sh.Key, p+".key", key, nil)
		if !ok {
			continue
		}
		vv, ok := d.value(sh.Value, p+".value", val, vsub)
		if !ok {
			d.invalid(p+".value", nullValue, "Member must not be null")
			continue
		}
		ks, _ := kv.(string)
		out[ks] = vv
	}
	d.checkCountBefore(mark, sh, path, out, len(out))
	return out, true
}

// scalar parses a wire string into the Go type for m's shape.
func (d *decoder) scalar(m *awsmodel.Member, path, s string) (any, bool) {
	sh := m.Shape
	switch sh.Type {
	case "string":
		return s, true
	case "integer", "long":
		bits := 64
		if sh.Type == "integer" {
			bits = 32
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			d.malformed(m, path, s, "an integer")
			return nil, false
		}
		return n, true
	case "boolean":
		switch {
		case strings.EqualFold(s, "true"):
			return true, true
		case strings.EqualFold(s, "false"):
			return false, true
		}
		d.malformed(m, path, s, "a boolean (true or false)")
		return nil, false
	case "double", "float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.malformed(m, path, s, "a number")
			return nil, false
		}
		return f, true
	case "timestamp":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			d.malformed(m, path, s, "an ISO 8601 timestamp")
			return nil, false
		}
		return t.UTC(), true
	case "blob":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.malformed(m, path, s, "base64-encoded binary data")
			return nil, false
		}
		return b, true
	}
	d.malformed(m, path, s, "a supported type")
	return nil, false
}

func (d *decoder) malformed(m *awsmodel.Member, path, s, want string) {
	if d.bad != nil {
		return
	}
	shown := "'" + s + "' "
	if m.Shape.Sensitive {
		shown = ""
	}
	if !utf8.ValidString(shown) {
		shown = strings.ToValidUTF8(shown, "\uFFFD")
	}
	d.bad = &Error{
		Code:    "InvalidParameterValue",
		Message: "Value " + shown + "at '" + path + "' is not valid: expected " + want,
		Status:  400,
		Sender:  true,
	}
}
