package audit

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
)

// Hidden replaces a secret value, with CloudTrail's own wording.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// deny lists member names whose values are never recorded, whatever the
// model says: the model flags some secrets sensitive (on the shape) and
// not others.
var deny = map[string]bool{
	"Password": true, "NewPassword": true, "OldPassword": true,
	"SecretAccessKey": true, "SessionToken": true, "PrivateKey": true,
	"Base32StringSeed": true, "QRCodePNG": true,
	"AuthenticationCode1": true, "AuthenticationCode2": true,
	"TokenCode": true, "SAMLAssertion": true, "WebIdentityToken": true,
	"ServicePassword": true, "SecretKey": true, "ServiceSpecificCredentialSecret": true,
	"CertificateChain": false, // public, recorded
}

// Denied reports whether a member name is on the deny-list.
func Denied(name string) bool { return deny[name] }

// Redact converts a decoded input or an output (the protocol layer's
// map[string]any values) to JSON-ready request parameters or response
// elements: member names as CloudTrail writes them (first letter lower
// case), every value of a sensitive shape or a denied member replaced by
// Hidden. shape may be nil (then only the deny-list applies).
func Redact(v map[string]any, shape *awsmodel.Shape) map[string]any {
	if v == nil {
		return nil
	}
	out := make(map[string]any, len(v))
	for k, val := range v {
		var ms *awsmodel.Shape
		if shape != nil {
			if m := shape.MemberByName(k); m != nil {
				ms = m.Shape
			}
		}
		if deny[k] || (ms != nil && ms.Sensitive) {
			out[lowerFirst(k)] = Hidden
			continue
		}
		out[lowerFirst(k)] = redactValue(val, ms)
	}
	return out
}

func redactValue(v any, shape *awsmodel.Shape) any {
	if shape != nil && shape.Sensitive {
		return Hidden
	}
	switch x := v.(type) {
	case map[string]any:
		if shape != nil && shape.Type == "map" {
			return reflectValue(x, shape)
		}
		return Redact(x, shape)
	case []any:
		var elem *awsmodel.Shape
		if shape != nil && shape.Member != nil {
			elem = shape.Member.Shape
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e, elem)
		}
		return out
	case []string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case awsquery.Struct:
		return Redact(x, shape)
	case string, bool, int, int64, float64, nil:
		return v
	default:
		return reflectValue(v, shape)
	}
}

// reflectValue handles the less common Go types outputs carry (typed
// slices and maps, named types).
func reflectValue(v any, shape *awsmodel.Shape) any {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return redactValue(rv.Elem().Interface(), shape)
	case reflect.Slice, reflect.Array:
		var elem *awsmodel.Shape
		if shape != nil && shape.Member != nil {
			elem = shape.Member.Shape
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = redactValue(rv.Index(i).Interface(), elem)
		}
		return out
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return fmt.Sprint(v)
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = it.Value().Interface()
		}
		if shape != nil && shape.Type == "map" {
			out := make(map[string]any, len(m))
			var val *awsmodel.Shape
			if shape.Value != nil {
				val = shape.Value.Shape
			}
			for k, e := range m {
				out[k] = redactValue(e, val)
			}
			return out
		}
		return Redact(m, shape)
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Bool:
		return rv.Bool()
	}
	return fmt.Sprint(v)
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
