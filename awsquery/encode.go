package awsquery

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/awsmodel"
)

// Response layout follows IAM's and STS's own output, which is indented by two
// spaces per level with one element per line and a final newline, e.g. (IAM
// API Reference, GetUser "Sample Response"):
//
//	<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//	  <GetUserResult>
//	    <User>
//	      <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
//	      ...
//	    </User>
//	  </GetUserResult>
//	  <ResponseMetadata>
//	    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
//	  </ResponseMetadata>
//	</GetUserResponse>
//
// There is no XML declaration. Empty lists, structures and strings are
// written as self-closing elements (<Users/>), as IAM does for empty lists.

const indent = "                                                                " // 64 spaces

func writeIndent(buf *bytes.Buffer, depth int) {
	n := depth * 2
	for n > len(indent) {
		buf.WriteString(indent)
		n -= len(indent)
	}
	buf.WriteString(indent[:n])
}

// WriteResponse appends the XML response for op with the given result to
// buf. Members are written in model order; absent and nil members are
// omitted.
//
// Besides the types Decode produces, values may be: int, int32 (integer,
// long); float32 (double, float); *time.Time; []string, []Struct,
// []map[string]any (list); map[string]string, map[string]int64,
// map[string]int (map); map[string]any (structure).
//
// A result key that is not a member of the output shape, or a value of the
// wrong type, is a programming error and returns an error; buf may then
// hold a partial response and should be reset by the caller.
func WriteResponse(buf *bytes.Buffer, svc *awsmodel.Service, op *awsmodel.Operation, result Struct, requestID string) error {
	name := op.Name
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteString(`Response xmlns="`)
	buf.WriteString(svc.XMLNamespace)
	buf.WriteString("\">\n")
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = name + "Result"
		}
		if err := writeStructure(buf, op.Output, wrapper, result, 1); err != nil {
			return err
		}
	} else if len(result) > 0 {
		return errors.New("awsquery: " + name + " has no output shape but the result has members")
	}
	buf.WriteString("  <ResponseMetadata>\n    <RequestId>")
	escapeText(buf, requestID)
	buf.WriteString("</RequestId>\n  </ResponseMetadata>\n</")
	buf.WriteString(name)
	buf.WriteString("Response>\n")
	return nil
}

func openTag(buf *bytes.Buffer, name string, depth int) {
	writeIndent(buf, depth)
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteByte('>')
}

func closeTag(buf *bytes.Buffer, name string) {
	buf.WriteString("</")
	buf.WriteString(name)
	buf.WriteString(">\n")
}

func emptyTag(buf *bytes.Buffer, name string, depth int) {
	writeIndent(buf, depth)
	buf.WriteByte('<')
	buf.WriteString(name)
	buf.WriteString("/>\n")
}

func xmlName(m *awsmodel.Member) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func writeStructure(buf *bytes.Buffer, sh *awsmodel.Shape, tag string, v map[string]any, depth int) error {
	if len(v) == 0 {
		emptyTag(buf, tag, depth)
		return nil
	}
	openTag(buf, tag, depth)
	buf.WriteByte('\n')
	// Counting the members found, instead of checking each key first, keeps
	// the common (correct) case to one map lookup per member.
	found := 0
	for _, m := range sh.Members {
		mv, ok := v[m.Name]
		if !ok {
			continue
		}
		found++
		if mv == nil {
			continue
		}
		if err := writeValue(buf, m, xmlName(m), mv, depth+1); err != nil {
			return err
		}
	}
	if found != len(v) {
		return unknownMembers(sh, v)
	}
	writeIndent(buf, depth)
	closeTag(buf, tag)
	return nil
}

func unknownMembers(sh *awsmodel.Shape, v map[string]any) error {
	var bad []string
	for k := range v {
		if sh.MemberByName(k) == nil {
			bad = append(bad, k)
		}
	}
	slices.Sort(bad)
	msg := "awsquery: shape " + sh.Name + " has no member"
	for i, k := range bad {
		if i > 0 {
			msg += ","
		}
		msg += " " + strconv.Quote(k)
	}
	return errors.New(msg)
}

func typeError(m *awsmodel.Member, v any) error {
	return errors.New("awsquery: member " + m.Name + " (shape " + m.Shape.Name + ", type " + m.Shape.Type + ") cannot hold a value of type " + typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "int64"
	case int:
		return "int"
	case bool:
		return "bool"
	case float64:
		return "float64"
	case time.Time:
		return "time.Time"
	case []any:
		return "[]any"
	case Struct:
		return "awsquery.Struct"
	case map[string]any:
		return "map[string]any"
	}
	return "an unsupported type"
}

func writeValue(buf *bytes.Buffer, m *awsmodel.Member, tag string, v any, depth int) error {
	sh := m.Shape
	switch sh.Type {
	case "structure":
		switch x := v.(type) {
		case Struct:
			return writeStructure(buf, sh, tag, x, depth)
		case map[string]any:
			return writeStructure(buf, sh, tag, x, depth)
		}
		return typeError(m, v)
	case "list":
		return writeList(buf, m, tag, v, depth)
	case "map":
		return writeMap(buf, m, tag, v, depth)
	}
	// Scalars: <Tag>text</Tag> on one line.
	var scratch [64]byte
	b := scratch[:0]
	var text string
	isText := false
	switch sh.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			return typeError(m, v)
		}
		text, isText = s, true
	case "integer", "long":
		switch x := v.(type) {
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case int:
			b = strconv.AppendInt(b, int64(x), 10)
		case int32:
			b = strconv.AppendInt(b, int64(x), 10)
		default:
			return typeError(m, v)
		}
	case "double", "float":
		switch x := v.(type) {
		case float64:
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		case float32:
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		default:
			return typeError(m, v)
		}
	case "boolean":
		x, ok := v.(bool)
		if !ok {
			return typeError(m, v)
		}
		b = strconv.AppendBool(b, x)
	case "timestamp":
		switch x := v.(type) {
		case time.Time:
			b = appendTimestamp(b, x)
		case *time.Time:
			if x == nil {
				return nil
			}
			b = appendTimestamp(b, *x)
		default:
			return typeError(m, v)
		}
	case "blob":
		x, ok := v.([]byte)
		if !ok {
			return typeError(m, v)
		}
		text, isText = base64.StdEncoding.EncodeToString(x), true
	default:
		return typeError(m, v)
	}
	if isText && text == "" {
		emptyTag(buf, tag, depth)
		return nil
	}
	openTag(buf, tag, depth)
	if isText {
		escapeText(buf, text)
	} else {
		buf.Write(b)
	}
	closeTag(buf, tag)
	return nil
}

func writeList(buf *bytes.Buffer, m *awsmodel.Member, tag string, v any, depth int) error {
	n := listLen(v)
	if n < 0 {
		return typeError(m, v)
	}
	em := m.Shape.Member
	etag := "member"
	if em.LocationName != "" {
		etag = em.LocationName
	}
	// Flattened lists repeat the element under the list's own name with no
	// wrapper; IAM and STS use none, but it is part of the protocol.
	flat := m.Shape.Flattened || m.Flattened
	if flat {
		etag = tag
	}
	if n == 0 {
		if !flat {
			emptyTag(buf, tag, depth)
		}
		return nil
	}
	d := depth
	if !flat {
		openTag(buf, tag, depth)
		buf.WriteByte('\n')
		d++
	}
	var err error
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if e == nil {
				return errors.New("awsquery: nil element in list " + m.Name)
			}
			if err = writeValue(buf, em, etag, e, d); err != nil {
				return err
			}
		}
	case []string:
		for _, e := range x {
			if err = writeValue(buf, em, etag, e, d); err != nil {
				return err
			}
		}
	case []Struct:
		for _, e := range x {
			if err = writeValue(buf, em, etag, e, d); err != nil {
				return err
			}
		}
	case []map[string]any:
		for _, e := range x {
			if err = writeValue(buf, em, etag, e, d); err != nil {
				return err
			}
		}
	}
	if !flat {
		writeIndent(buf, depth)
		closeTag(buf, tag)
	}
	return nil
}

func writeMap(buf *bytes.Buffer, m *awsmodel.Member, tag string, v any, depth int) error {
	sh := m.Shape
	ktag, vtag := "key", "value"
	if sh.Key.LocationName != "" {
		ktag = sh.Key.LocationName
	}
	if sh.Value.LocationName != "" {
		vtag = sh.Value.LocationName
	}
	var keys []string
	var get func(string) any
	switch x := v.(type) {
	case map[string]any:
		keys, get = sortedKeys(x), func(k string) any { return x[k] }
	case map[string]string:
		keys, get = sortedKeys(x), func(k string) any { return x[k] }
	case map[string]int64:
		keys, get = sortedKeys(x), func(k string) any { return x[k] }
	case map[string]int:
		keys, get = sortedKeys(x), func(k string) any { return x[k] }
	default:
		return typeError(m, v)
	}
	if len(keys) == 0 {
		emptyTag(buf, tag, depth)
		return nil
	}
	// Keys are sorted so output is deterministic (Go map order is random;
	// AWS's order is its own hash order, which clients do not rely on).
	openTag(buf, tag, depth)
	buf.WriteByte('\n')
	for _, k := range keys {
		entry := "entry"
		d := depth + 1
		if !sh.Flattened {
			openTag(buf, entry, d)
			buf.WriteByte('\n')
			d++
		}
		if err := writeValue(buf, sh.Key, ktag, k, d); err != nil {
			return err
		}
		if ev := get(k); ev != nil {
			if err := writeValue(buf, sh.Value, vtag, ev, d); err != nil {
				return err
			}
		}
		if !sh.Flattened {
			writeIndent(buf, depth+1)
			closeTag(buf, entry)
		}
	}
	writeIndent(buf, depth)
	closeTag(buf, tag)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendTimestamp writes ISO 8601 in UTC: whole seconds as IAM shows them
// ("2013-04-18T17:26:57Z"), or with milliseconds when the time has a
// sub-second part, as STS shows Expiration ("2011-07-15T23:28:33.359Z").
// Precision is therefore chosen by the caller (truncate to drop it).
// Hand-rolled because time.Format is several times slower and this runs for
// every timestamp of every listing.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	b = append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	if ms := t.Nanosecond() / 1e6; ms != 0 {
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return append(b, 'Z')
}

// escapeText writes s as XML character data. Besides &, < and >, it writes
// \r as a character reference (a literal one would be normalised away by
// the client's parser) and replaces what XML 1.0 cannot carry (invalid
// UTF-8, control characters other than tab/newline, U+FFFE/U+FFFF) with
// U+FFFD.
func escapeText(buf *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '&' && c != '<' && c != '>' {
			i++
			continue
		}
		var repl string
		width := 1
		switch {
		case c == '&':
			repl = "&amp;"
		case c == '<':
			repl = "&lt;"
		case c == '>':
			repl = "&gt;"
		case c == '\r':
			repl = "&#xD;"
		case c == '\t' || c == '\n':
			i++
			continue
		case c < 0x20:
			repl = "\uFFFD"
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			width = n
			if (r == utf8.RuneError && n == 1) || r == 0xFFFE || r == 0xFFFF {
				repl = "\uFFFD"
			} else {
				i += n
				continue
			}
		}
		buf.WriteString(s[last:i])
		buf.WriteString(repl)
		i += width
		last = i
	}
	buf.WriteString(s[last:])
}

func listLen(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case []string:
		return len(x)
	case []Struct:
		return len(x)
	case []map[string]any:
		return len(x)
	}
	return -1
}
