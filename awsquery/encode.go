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

// Response layout follows what IAM and STS put on the wire: no XML
// declaration, two spaces of indentation per level, one element per line,
// a final newline. Evidence: a real IAM AccessDenied captured by aws-sdk-go's
// debug log had Content-Length 368, exactly what this layout gives for its
// text (github.com/10gen/dsi docs; TestWriteErrorMatchesCapturedLength), and
// a real STS GetCallerIdentity printed verbatim shows the same indentation
// (github.com/salrashid123, TPM/Vault signer example):
//
//	<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//	  <GetCallerIdentityResult>
//	    <Arn>arn:aws:iam::...:user/svcacct1</Arn>
//	    <UserId>AIDA...</UserId>
//	    <Account>...</Account>
//	  </GetCallerIdentityResult>
//	  <ResponseMetadata>
//	    <RequestId>757527fb-...</RequestId>
//	  </ResponseMetadata>
//	</GetCallerIdentityResponse>
//
// (The API Reference's hand-written samples use three spaces; they are not
// captures.) Members are written in botocore model order, which is not always
// AWS's: the capture above has Arn first, the model has it last. XML clients
// do not depend on element order.
//
// Empty lists, structures and strings are written as self-closing elements
// (<Users/>); SDK parsers treat that and <Users></Users> alike.

const indent = "                                                                " // 64 spaces

func appendIndent(b []byte, depth int) []byte {
	n := depth * 2
	for n > len(indent) {
		b = append(b, indent...)
		n -= len(indent)
	}
	return append(b, indent[:n]...)
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
// wrong type, is a programming error: WriteResponse then returns an error
// and leaves buf unchanged.
func WriteResponse(buf *bytes.Buffer, svc *awsmodel.Service, op *awsmodel.Operation, result Struct, requestID string) error {
	// Appending to the buffer's spare capacity avoids the per-call overhead
	// of bytes.Buffer's Write methods, which dominated the encoder's profile.
	b, err := AppendResponse(buf.AvailableBuffer(), svc, op, result, requestID)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// AppendResponse is WriteResponse for a byte slice: it appends the response
// to b and returns the extended slice.
func AppendResponse(b []byte, svc *awsmodel.Service, op *awsmodel.Operation, result Struct, requestID string) ([]byte, error) {
	name := op.Name
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, `Response xmlns="`...)
	b = append(b, svc.XMLNamespace...)
	b = append(b, "\">\n"...)
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = name + "Result"
		}
		var err error
		if b, err = appendStructure(b, op.Output, wrapper, result, 1); err != nil {
			return b, err
		}
	} else if len(result) > 0 {
		return b, errors.New("awsquery: " + name + " has no output shape but the result has members")
	}
	b = append(b, "  <ResponseMetadata>\n    <RequestId>"...)
	b = appendEscaped(b, requestID)
	b = append(b, "</RequestId>\n  </ResponseMetadata>\n</"...)
	b = append(b, name...)
	b = append(b, "Response>\n"...)
	return b, nil
}

func appendOpen(b []byte, name string, depth int) []byte {
	b = appendIndent(b, depth)
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendClose(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

func appendEmpty(b []byte, name string, depth int) []byte {
	b = appendIndent(b, depth)
	b = append(b, '<')
	b = append(b, name...)
	return append(b, "/>\n"...)
}

func xmlName(m *awsmodel.Member) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func appendStructure(b []byte, sh *awsmodel.Shape, tag string, v map[string]any, depth int) ([]byte, error) {
	if len(v) == 0 {
		return appendEmpty(b, tag, depth), nil
	}
	b = appendOpen(b, tag, depth)
	b = append(b, '\n')
	// Counting the members found, instead of checking each key first, keeps
	// the common (correct) case to one map lookup per member.
	found := 0
	var err error
	for _, m := range sh.Members {
		mv, ok := v[m.Name]
		if !ok {
			continue
		}
		found++
		if mv == nil {
			continue
		}
		if b, err = appendValue(b, m, xmlName(m), mv, depth+1); err != nil {
			return b, err
		}
	}
	if found != len(v) {
		return b, unknownMembers(sh, v)
	}
	b = appendIndent(b, depth)
	return appendClose(b, tag), nil
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

func appendValue(b []byte, m *awsmodel.Member, tag string, v any, depth int) ([]byte, error) {
	sh := m.Shape
	switch sh.Type {
	case "structure":
		switch x := v.(type) {
		case Struct:
			return appendStructure(b, sh, tag, x, depth)
		case map[string]any:
			return appendStructure(b, sh, tag, x, depth)
		}
		return b, typeError(m, v)
	case "list":
		return appendList(b, m, tag, v, depth)
	case "map":
		return appendMap(b, m, tag, v, depth)
	case "string":
		s, ok := v.(string)
		if !ok {
			return b, typeError(m, v)
		}
		if s == "" {
			return appendEmpty(b, tag, depth), nil
		}
		b = appendOpen(b, tag, depth)
		b = appendEscaped(b, s)
		return appendClose(b, tag), nil
	case "blob":
		x, ok := v.([]byte)
		if !ok {
			return b, typeError(m, v)
		}
		if len(x) == 0 {
			return appendEmpty(b, tag, depth), nil
		}
		b = appendOpen(b, tag, depth)
		b = base64.StdEncoding.AppendEncode(b, x)
		return appendClose(b, tag), nil
	}
	// Other scalars: <Tag>text</Tag> on one line; the text needs no escaping.
	start := len(b)
	b = appendOpen(b, tag, depth)
	switch sh.Type {
	case "integer", "long":
		switch x := v.(type) {
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case int:
			b = strconv.AppendInt(b, int64(x), 10)
		case int32:
			b = strconv.AppendInt(b, int64(x), 10)
		default:
			return b[:start], typeError(m, v)
		}
	case "double", "float":
		switch x := v.(type) {
		case float64:
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		case float32:
			b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
		default:
			return b[:start], typeError(m, v)
		}
	case "boolean":
		x, ok := v.(bool)
		if !ok {
			return b[:start], typeError(m, v)
		}
		b = strconv.AppendBool(b, x)
	case "timestamp":
		switch x := v.(type) {
		case time.Time:
			b = appendTimestampFormat(b, sh.TimestampFormat, x)
		case *time.Time:
			if x == nil {
				return b[:start], nil
			}
			b = appendTimestampFormat(b, sh.TimestampFormat, *x)
		default:
			return b[:start], typeError(m, v)
		}
	default:
		return b[:start], typeError(m, v)
	}
	return appendClose(b, tag), nil
}

func appendList(b []byte, m *awsmodel.Member, tag string, v any, depth int) ([]byte, error) {
	n := listLen(v)
	if n < 0 {
		return b, typeError(m, v)
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
			b = appendEmpty(b, tag, depth)
		}
		return b, nil
	}
	d := depth
	if !flat {
		b = appendOpen(b, tag, depth)
		b = append(b, '\n')
		d++
	}
	var err error
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if e == nil {
				return b, errors.New("awsquery: nil element in list " + m.Name)
			}
			if b, err = appendValue(b, em, etag, e, d); err != nil {
				return b, err
			}
		}
	case []string:
		for _, e := range x {
			if b, err = appendValue(b, em, etag, e, d); err != nil {
				return b, err
			}
		}
	case []Struct:
		for _, e := range x {
			if b, err = appendValue(b, em, etag, e, d); err != nil {
				return b, err
			}
		}
	case []map[string]any:
		for _, e := range x {
			if b, err = appendValue(b, em, etag, e, d); err != nil {
				return b, err
			}
		}
	}
	if !flat {
		b = appendIndent(b, depth)
		b = appendClose(b, tag)
	}
	return b, nil
}

func appendMap(b []byte, m *awsmodel.Member, tag string, v any, depth int) ([]byte, error) {
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
		return b, typeError(m, v)
	}
	if len(keys) == 0 {
		return appendEmpty(b, tag, depth), nil
	}
	// Keys are sorted so output is deterministic (Go map order is random;
	// AWS's order is its own hash order, which clients do not rely on).
	b = appendOpen(b, tag, depth)
	b = append(b, '\n')
	var err error
	for _, k := range keys {
		d := depth + 1
		if !sh.Flattened {
			b = appendOpen(b, "entry", d)
			b = append(b, '\n')
			d++
		}
		if b, err = appendValue(b, sh.Key, ktag, k, d); err != nil {
			return b, err
		}
		if ev := get(k); ev != nil {
			if b, err = appendValue(b, sh.Value, vtag, ev, d); err != nil {
				return b, err
			}
		}
		if !sh.Flattened {
			b = appendIndent(b, depth+1)
			b = appendClose(b, "entry")
		}
	}
	b = appendIndent(b, depth)
	return appendClose(b, tag), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendTimestampFormat honours a shape's timestampFormat. IAM and STS set
// none, so the query protocol's default, ISO 8601, is what they use.
func appendTimestampFormat(b []byte, format string, t time.Time) []byte {
	switch format {
	case "unixTimestamp":
		t = t.UTC()
		if ms := t.Nanosecond() / 1e6; ms != 0 {
			return strconv.AppendFloat(b, float64(t.Unix())+float64(ms)/1000, 'f', -1, 64)
		}
		return strconv.AppendInt(b, t.Unix(), 10)
	case "rfc822":
		return t.UTC().AppendFormat(b, "Mon, 02 Jan 2006 15:04:05 GMT")
	}
	return appendTimestamp(b, t)
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

// appendEscaped appends s as XML character data. Besides &, < and >, it
// writes \r as a character reference (a literal one would be normalised away
// by the client's parser) and replaces what XML 1.0 cannot carry (invalid
// UTF-8, control characters other than tab and newline, U+FFFE, U+FFFF) with
// U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !xmlSpecial[c] {
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
		case c < 0x20:
			repl = "\uFFFD"
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || n > 1) && r != 0xFFFE && r != 0xFFFF {
				i += n
				continue
			}
			width = n
			repl = "\uFFFD"
		}
		b = append(b, s[last:i]...)
		b = append(b, repl...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// xmlSpecial marks the bytes appendEscaped must look at: markup characters,
// control characters other than tab and newline, and every non-ASCII byte
// (for UTF-8 validation).
var xmlSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = c != '\t' && c != '\n'
	}
	t['&'], t['<'], t['>'] = true, true, true
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

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
