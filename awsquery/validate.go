package awsquery

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamd/iamd/awsmodel"
)

// Validation messages follow the wording of AWS's shared (Coral) validator,
// as quoted from real responses in public reports:
//
//	IAM CreateUser (github.com/SWO-GS/auto-tag/issues/90):
//	1 validation error detected: Value 'SourceIP: ...' at 'tags.6.member.value'
//	failed to satisfy constraint: Member must satisfy regular expression
//	pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*
//
//	CloudFormation (github.com/serverless/serverless/issues/2036):
//	1 validation error detected: Value null at 'tags.1.member.value' failed
//	to satisfy constraint: Member must not be null
//
//	Cognito (github.com/aws/aws-cli/issues/5843):
//	Value '0' at 'maxResults' failed to satisfy constraint: Member must have
//	value greater than or equal to 1
//
//	Config (github.com/awslabs/aws-config-rules/issues/101), a list:
//	Value '[...]' at 'evaluations' failed to satisfy constraint: Member must
//	have length less than or equal to 100
//
//	Cognito, sensitive member (github.com/boto/boto3/issues/2951): the value
//	is left out entirely: "Value at 'username' failed to satisfy constraint"
//
// Paths are the member names with the first letter lower-cased, joined by
// '.', list elements as "<list>.<position>.member". Errors are listed in
// model member order, depth first, a collection's own count error before its
// elements'; all are reported (no cap is documented), joined with "; ".
//
// For one value the checks run pattern, then length, then enum, then range.
// AWS is not consistent here: Cognito reports "...regular expression
// pattern...; ...length greater than or equal to 1" for an empty value
// (public test suites quoting it), DynamoDB and EFS the reverse. No IAM
// sample with both was found; pattern-first was chosen.

// Sentinels for invalid's shown argument: a missing value (AWS prints
// "Value null at") and a sensitive one (AWS prints "Value at").
const (
	nullValue = "\x00null"
	redacted  = "\x00redacted"
)

func (d *decoder) invalid(shown, constraint string) {
	b := make([]byte, 0, len(shown)+len(constraint)+80)
	b = append(b, "Value "...)
	switch shown {
	case nullValue:
		b = append(b, "null "...)
	case redacted:
	default:
		b = append(b, '\'')
		b = append(b, shown...)
		b = append(b, "' "...)
	}
	b = append(b, "at '"...)
	b = d.appendPath(b)
	b = append(b, "' failed to satisfy constraint: "...)
	b = append(b, constraint...)
	d.msgs = append(d.msgs, string(b))
}

func (d *decoder) validationError() *Error {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(d.msgs)))
	if len(d.msgs) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, m := range d.msgs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m)
	}
	return &Error{Code: "ValidationError", Message: b.String(), Status: 400, Sender: true}
}

// shownValue renders v as AWS's Java side would (String.valueOf), or
// redacted for sensitive shapes.
func shownValue(sh *awsmodel.Shape, v any) string {
	if sh.Sensitive {
		return redacted
	}
	var b []byte
	b = appendJavaString(b, v)
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}

// appendJavaString approximates Java's toString of the deserialised value:
// lists print as "[a, b]", maps as "{k=v}". Structures print as
// "{Member: value, ...}" with sorted members; AWS prints its generated
// classes' toString there, which iamd cannot reproduce exactly.
func appendJavaString(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, x...)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return appendTimestamp(b, x)
	case []byte:
		return append(b, "java.nio.HeapByteBuffer"...)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJavaString(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		keys := sortedKeys(x)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			b = appendJavaString(b, x[k])
		}
		return append(b, '}')
	case Struct:
		b = append(b, '{')
		keys := sortedKeys(x)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = appendJavaString(b, x[k])
		}
		return append(b, '}')
	}
	return b
}

func (d *decoder) checkScalar(sh *awsmodel.Shape, v any) {
	switch x := v.(type) {
	case string:
		if sh.HasPattern() && !sh.MatchPattern(x) && !d.patternQuirk(sh) {
			d.invalid(shownValue(sh, v), "Member must satisfy regular expression pattern: "+sh.Pattern)
		}
		if sh.Min != nil || sh.Max != nil {
			d.checkLength(sh, v, int64(utf8.RuneCountInString(x)))
		}
		if len(sh.Enum) > 0 && !sh.InEnum(x) {
			d.invalid(shownValue(sh, v), "Member must satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
		}
	case []byte:
		if sh.Min != nil || sh.Max != nil {
			d.checkLength(sh, v, int64(len(x)))
		}
	case int64:
		if sh.Min != nil && x < *sh.Min {
			d.invalid(shownValue(sh, v), "Member must have value greater than or equal to "+strconv.FormatInt(*sh.Min, 10))
		}
		if sh.Max != nil && x > *sh.Max {
			d.invalid(shownValue(sh, v), "Member must have value less than or equal to "+strconv.FormatInt(*sh.Max, 10))
		}
	case float64:
		if sh.Min != nil && x < float64(*sh.Min) {
			d.invalid(shownValue(sh, v), "Member must have value greater than or equal to "+strconv.FormatInt(*sh.Min, 10))
		}
		if sh.Max != nil && x > float64(*sh.Max) {
			d.invalid(shownValue(sh, v), "Member must have value less than or equal to "+strconv.FormatInt(*sh.Max, 10))
		}
	}
}

// checkLength reports min/max violations of a length (string, blob) or an
// element count (list, map): AWS words both as "length".
func (d *decoder) checkLength(sh *awsmodel.Shape, v any, n int64) {
	if sh.Min != nil && n < *sh.Min {
		d.invalid(shownValue(sh, v), "Member must have length greater than or equal to "+strconv.FormatInt(*sh.Min, 10))
	}
	if sh.Max != nil && n > *sh.Max {
		d.invalid(shownValue(sh, v), "Member must have length less than or equal to "+strconv.FormatInt(*sh.Max, 10))
	}
}

func (d *decoder) checkCount(sh *awsmodel.Shape, v any, n int) {
	if sh.Min != nil || sh.Max != nil {
		d.checkLength(sh, v, int64(n))
	}
}

// checkCountBefore checks a collection's element count and places any
// message before those of its elements (recorded from mark on): the
// collection is validated before its contents.
func (d *decoder) checkCountBefore(mark int, sh *awsmodel.Shape, v any, n int) {
	if sh.Min == nil && sh.Max == nil {
		return
	}
	tail := len(d.msgs)
	d.checkCount(sh, v, n)
	if added := len(d.msgs) - tail; added > 0 && tail > mark {
		msgs := append([]string(nil), d.msgs[tail:]...)
		copy(d.msgs[mark+added:], d.msgs[mark:tail])
		copy(d.msgs[mark:], msgs)
	}
}
