// Package awsquery implements the AWS Query protocol (form-encoded requests,
// XML responses) as spoken by IAM and STS, driven entirely by the botocore
// models in package awsmodel.
package awsquery

import (
	"encoding/base64"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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
// AWS's shared-validator wording (see validate.go), except that IAM words
// pattern failures of user names and paths its own way (see iamquirks.go).
func Decode(op *awsmodel.Operation, form url.Values) (Struct, error) {
	if op == nil || op.Input == nil {
		return Struct{}, nil
	}
	in := op.Input
	d := decoderPool.Get().(*decoder)
	defer d.release()
	// One pass over the form: plain keys are looked up per member later,
	// dotted keys are grouped by their top-level member, so the cost is one
	// member lookup per parameter whatever the size of the model.
	start := len(d.arena)
	for k, vs := range form {
		if len(vs) == 0 {
			continue
		}
		name, rest, dotted := strings.Cut(k, ".")
		if !dotted {
			continue
		}
		if m := in.MemberByName(name); m != nil {
			d.arena = append(d.arena, kv{k: rest, v: vs[0], idx: m.Index})
		}
	}
	groups := d.sorted(start)
	out := make(Struct, min(len(form), len(in.Members)))
	for _, m := range in.Members {
		var sub []kv
		sub, groups = nextGroup(groups, m.Index)
		var scalar *string
		if vs := form[m.Name]; len(vs) > 0 {
			scalar = &vs[0]
		}
		d.push(m.Path, 0)
		v, ok := d.value(m, scalar, sub)
		if ok {
			out[m.Name] = v
		} else if m.Required && d.bad == nil {
			d.invalid(nullValue, "Member must not be null")
		}
		d.pop()
	}
	if d.bad != nil {
		return nil, d.bad
	}
	if len(d.msgs) > 0 {
		return nil, d.validationError()
	}
	if d.quirk != "" {
		return nil, &Error{Code: "ValidationError", Message: d.quirk, Status: 400, Sender: true}
	}
	return out, nil
}

// kv is one parameter below an aggregate member: k is the key relative to
// the member ("member.1.Key"), v its first value.
type kv struct {
	k, v string
	idx  int // member or element index, filled while grouping
}

// decoder holds per-request scratch state. It is pooled: the arena and
// path stack are reused across requests, so a typical Decode allocates only
// the values it returns.
type decoder struct {
	msgs  []string
	bad   *Error
	quirk string // IAM's own pattern message, see iamquirks.go
	// arena backs the grouped parameter slices. Sub-slices handed out are
	// never appended to (three-index slicing), so growing the arena leaves
	// them intact; nothing returned from Decode points into it.
	arena []kv
	// path is the location being decoded ("tags", "1", "key"), rendered
	// only when an error is reported: most requests are valid and should
	// not pay for building it.
	path []seg
}

type seg struct {
	name  string // member path segment, or "entry" for a map entry
	index int    // >0: list element (".N.member") or map entry (".entry.N")
}

var decoderPool = sync.Pool{New: func() any {
	return &decoder{arena: make([]kv, 0, 32), path: make([]seg, 0, 8)}
}}

func (d *decoder) release() {
	if cap(d.arena) > 4096 { // do not keep one huge request's buffer alive
		return
	}
	clear(d.arena) // drop references to the request's strings
	d.arena = d.arena[:0]
	d.path = d.path[:0]
	d.msgs = nil
	d.bad = nil
	d.quirk = ""
	decoderPool.Put(d)
}

func (d *decoder) push(name string, index int) { d.path = append(d.path, seg{name, index}) }
func (d *decoder) pop()                        { d.path = d.path[:len(d.path)-1] }

// appendPath renders the current location in AWS's format.
func (d *decoder) appendPath(b []byte) []byte {
	for i, s := range d.path {
		if i > 0 {
			b = append(b, '.')
		}
		switch {
		case s.index > 0 && s.name == "entry":
			b = append(b, "entry."...)
			b = strconv.AppendInt(b, int64(s.index), 10)
		case s.index > 0:
			b = strconv.AppendInt(b, int64(s.index), 10)
			b = append(b, ".member"...)
		default:
			b = append(b, s.name...)
		}
	}
	return b
}

// value decodes member m from its scalar value (the parameter named exactly
// like it, or nil) and its sub-parameters, then validates it. ok is false
// when the member is absent or malformed.
func (d *decoder) value(m *awsmodel.Member, scalar *string, sub []kv) (any, bool) {
	sh := m.Shape
	switch sh.Type {
	case "structure":
		if len(sub) == 0 {
			return nil, false
		}
		return d.structure(sh, sub), true
	case "list":
		if len(sub) == 0 {
			// botocore serialises an empty list as "Name=".
			if scalar != nil && *scalar == "" {
				l := []any{}
				d.checkCount(sh, l, 0)
				return l, true
			}
			return nil, false
		}
		return d.list(sh, sub)
	case "map":
		if len(sub) == 0 {
			return nil, false
		}
		return d.mapValue(sh, sub)
	}
	if scalar == nil {
		return nil, false
	}
	v, ok := d.scalar(m, *scalar)
	if ok {
		d.checkScalar(sh, v)
	}
	return v, ok
}

func (d *decoder) structure(sh *awsmodel.Shape, sub []kv) Struct {
	// Regroup sub by member, as Decode does for the top level.
	start := len(d.arena)
	var buf [16]*string
	var scalars []*string
	if len(sh.Members) <= len(buf) {
		scalars = buf[:len(sh.Members)]
	} else {
		scalars = make([]*string, len(sh.Members))
	}
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
		d.arena = append(d.arena, kv{k: rest, v: sub[i].v, idx: m.Index})
	}
	groups := d.sorted(start)
	out := make(Struct, len(sh.Members))
	for _, m := range sh.Members {
		var g []kv
		g, groups = nextGroup(groups, m.Index)
		d.push(m.Path, 0)
		v, ok := d.value(m, scalars[m.Index], g)
		if ok {
			out[m.Name] = v
		} else if m.Required && d.bad == nil {
			d.invalid(nullValue, "Member must not be null")
		}
		d.pop()
	}
	return out
}

// indexed strips prefix ("member.", "entry." or "" when flattened) and a
// positive decimal index from each key, keeping the remainder; entries that
// do not have that form are dropped as unknown parameters. The result is
// sorted by index, stable so duplicates keep form order.
func (d *decoder) indexed(sub []kv, prefix string) []kv {
	start := len(d.arena)
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
		d.arena = append(d.arena, kv{k: rest, v: e.v, idx: idx})
	}
	return d.sorted(start)
}

// sorted returns the arena entries appended since start, stably sorted by
// index. The capacity is clipped so callers cannot append into the arena.
func (d *decoder) sorted(start int) []kv {
	out := d.arena[start:len(d.arena):len(d.arena)]
	if !slices.IsSortedFunc(out, cmpIdx) {
		slices.SortStableFunc(out, cmpIdx)
	}
	return out
}

func cmpIdx(a, b kv) int { return a.idx - b.idx }

// nextGroup splits off the leading entries of sorted groups whose index is
// idx, skipping any with a lower index.
func nextGroup(groups []kv, idx int) (group, rest []kv) {
	for len(groups) > 0 && groups[0].idx < idx {
		groups = groups[1:]
	}
	n := 0
	for n < len(groups) && groups[n].idx == idx {
		n++
	}
	return groups[:n], groups[n:]
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

// run returns the length of the run of entries sharing items[0]'s index.
func run(items []kv) int {
	j := 1
	for j < len(items) && items[j].idx == items[0].idx {
		j++
	}
	return j
}

func (d *decoder) list(sh *awsmodel.Shape, sub []kv) (any, bool) {
	em := sh.Member
	prefix := ""
	if !sh.Flattened && !em.Flattened {
		prefix = "member."
		if em.LocationName != "" {
			prefix = em.LocationName + "."
		}
	}
	items := d.indexed(sub, prefix)
	if len(items) == 0 {
		return nil, false
	}
	n := 0
	for i := 0; i < len(items); i += run(items[i:]) {
		n++
	}
	out := make([]any, 0, n)
	mark := len(d.msgs)
	for len(items) > 0 {
		j := run(items)
		elem := items[:j]
		items = items[j:]
		d.push("", len(out)+1)
		// The element's own parameters are relative to "member.N."; the
		// one with an empty remainder, if any, is the element's scalar.
		var scalar *string
		for k := range elem {
			if elem[k].k == "" {
				scalar = &elem[k].v
				break
			}
		}
		v, ok := d.value(em, scalar, elem)
		if !ok {
			// An index with nothing decodable ("Tags.member.1.Bogus=x")
			// still occupies a slot, as a null element would in AWS.
			if d.bad == nil {
				d.invalid(nullValue, "Member must not be null")
			}
			v = nil
		}
		d.pop()
		out = append(out, v)
	}
	d.checkCountBefore(mark, sh, out, len(out))
	return out, true
}

func (d *decoder) mapValue(sh *awsmodel.Shape, sub []kv) (any, bool) {
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
	items := d.indexed(sub, prefix)
	if len(items) == 0 {
		return nil, false
	}
	out := make(map[string]any, len(items)/2)
	mark := len(d.msgs)
	pos := 0
	for len(items) > 0 {
		j := run(items)
		entry := items[:j]
		items = items[j:]
		pos++
		var key, val *string
		vstart := len(d.arena)
		for k := range entry {
			name, rest, dotted := strings.Cut(entry[k].k, ".")
			switch {
			case name == keyName && !dotted:
				if key == nil {
					key = &entry[k].v
				}
			case name == valName && !dotted:
				if val == nil {
					val = &entry[k].v
				}
			case name == valName:
				d.arena = append(d.arena, kv{k: rest, v: entry[k].v})
			}
		}
		vsub := d.arena[vstart:len(d.arena):len(d.arena)]
		d.push("entry", pos)
		k, v, ok := d.entry(sh, key, val, vsub)
		d.pop()
		if !ok {
			continue
		}
		out[k] = v
	}
	d.checkCountBefore(mark, sh, out, len(out))
	return out, true
}

func (d *decoder) entry(sh *awsmodel.Shape, key, val *string, vsub []kv) (string, any, bool) {
	d.push("key", 0)
	defer d.pop()
	if key == nil {
		if d.bad == nil {
			d.invalid(nullValue, "Member must not be null")
		}
		return "", nil, false
	}
	k, ok := d.value(sh.Key, key, nil)
	if !ok {
		return "", nil, false
	}
	d.path[len(d.path)-1].name = "value"
	v, ok := d.value(sh.Value, val, vsub)
	if !ok {
		if d.bad == nil {
			d.invalid(nullValue, "Member must not be null")
		}
		return "", nil, false
	}
	ks, _ := k.(string)
	return ks, v, true
}

// scalar parses a wire string into the Go type for m's shape.
func (d *decoder) scalar(m *awsmodel.Member, s string) (any, bool) {
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
			d.malformed(m, s, "an integer")
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
		d.malformed(m, s, "a boolean (true or false)")
		return nil, false
	case "double", "float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			d.malformed(m, s, "a number")
			return nil, false
		}
		return f, true
	case "timestamp":
		t, ok := parseTimestamp(sh.TimestampFormat, s)
		if !ok {
			d.malformed(m, s, "a timestamp")
			return nil, false
		}
		return t, true
	case "blob":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.malformed(m, s, "base64-encoded binary data")
			return nil, false
		}
		return b, true
	}
	d.malformed(m, s, "a supported type")
	return nil, false
}

// parseTimestamp accepts the shape's timestampFormat, defaulting to ISO 8601
// (RFC 3339, fractional seconds optional, any zone), and returns UTC.
func parseTimestamp(format, s string) (time.Time, bool) {
	switch format {
	case "unixTimestamp":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), true
	case "rfc822":
		t, err := time.Parse(time.RFC1123, s)
		return t.UTC(), err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err == nil
}

func (d *decoder) malformed(m *awsmodel.Member, s, want string) {
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
		Message: "Value " + shown + "at '" + string(d.appendPath(nil)) + "' is not valid: expected " + want,
		Status:  400,
		Sender:  true,
	}
}
