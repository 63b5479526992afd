package policy

import (
	"encoding/json"
	"io"
	"strings"
)

// jkind is the JSON type of a jvalue.
type jkind uint8

const (
	jString jkind = iota
	jNumber
	jBool
	jNull
	jArray
	jObject
)

// jvalue is a JSON value that keeps object members in document order and
// keeps duplicate keys visible, which map-based decoding loses: field order
// matters for error precedence and duplicates must be rejected.
type jvalue struct {
	kind jkind
	str  string // string text, number literal, "true"/"false"
	arr  []jvalue
	obj  []jmember
}

type jmember struct {
	key string
	val jvalue
}

// decodeJSON parses exactly one JSON value from s.
func decodeJSON(s string) (jvalue, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, ok := decodeValue(dec, 0)
	if !ok {
		return jvalue{}, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return jvalue{}, false
	}
	return v, true
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack;
// no valid policy nests deeper than 5.
const maxDepth = 32

func decodeValue(dec *json.Decoder, depth int) (jvalue, bool) {
	if depth > maxDepth {
		return jvalue{}, false
	}
	tok, err := dec.Token()
	if err != nil {
		return jvalue{}, false
	}
	switch t := tok.(type) {
	case string:
		return jvalue{kind: jString, str: t}, true
	case json.Number:
		return jvalue{kind: jNumber, str: string(t)}, true
	case bool:
		if t {
			return jvalue{kind: jBool, str: "true"}, true
		}
		return jvalue{kind: jBool, str: "false"}, true
	case nil:
		return jvalue{kind: jNull}, true
	default:
		// The only other token is a json.Delim, and in value position
		// the decoder yields only '[' or '{' (it reports a misplaced
		// closing delimiter as an error).
		if t == json.Delim('[') {
			v := jvalue{kind: jArray, arr: []jvalue{}}
			for dec.More() {
				e, ok := decodeValue(dec, depth+1)
				if !ok {
					return jvalue{}, false
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil {
				return jvalue{}, false
			}
			return v, true
		}
		v := jvalue{kind: jObject, obj: []jmember{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return jvalue{}, false
			}
			k := kt.(string) // the decoder only yields strings in key position
			for _, m := range v.obj {
				if m.key == k {
					return jvalue{}, false
				}
			}
			e, ok := decodeValue(dec, depth+1)
			if !ok {
				return jvalue{}, false
			}
			v.obj = append(v.obj, jmember{k, e})
		}
		if _, err := dec.Token(); err != nil {
			return jvalue{}, false
		}
		return v, true
	}
}

// get returns the member named k of an object.
func (v *jvalue) get(k string) (*jvalue, bool) {
	for i := range v.obj {
		if v.obj[i].key == k {
			return &v.obj[i].val, true
		}
	}
	return nil, false
}

// stringList accepts a string or an array of strings, the form AWS allows
// for Action, Resource and principal values.
func (v *jvalue) stringList() ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			if e.kind != jString {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}

// scalarList is stringList for condition values, where AWS also accepts
// JSON booleans and numbers ("Bool": {"aws:SecureTransport": false}) and
// compares them by their text.
func (v *jvalue) scalarList() ([]string, bool) {
	switch v.kind {
	case jString, jNumber, jBool:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			if e.kind != jString && e.kind != jNumber && e.kind != jBool {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}
