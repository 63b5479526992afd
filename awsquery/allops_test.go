package awsquery

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/iamd/iamd/awsmodel"
)

type svcOp struct {
	svc *awsmodel.Service
	op  *awsmodel.Operation
}

func allOps() []svcOp {
	var out []svcOp
	for _, svc := range []*awsmodel.Service{awsmodel.IAM(), awsmodel.STS()} {
		for _, n := range svc.OperationNames {
			out = append(out, svcOp{svc, svc.Operations[n]})
		}
	}
	return out
}

func TestAllOperationsEmpty(t *testing.T) {
	for _, so := range allOps() {
		s, err := Decode(so.op, url.Values{})
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Code != "ValidationError" {
				t.Errorf("%s: Decode(empty) = %v", so.op.Name, err)
			}
		} else if len(s) != 0 {
			t.Errorf("%s: Decode(empty) = %v", so.op.Name, s)
		}
		var buf bytes.Buffer
		if err := WriteResponse(&buf, so.svc, so.op, Struct{}, "r"); err != nil {
			t.Errorf("%s: WriteResponse(empty): %v", so.op.Name, err)
		}
		wellFormed(t, so.op.Name, buf.Bytes())
	}
}

// Every output shape can be written with every member filled in.
func TestAllOperationsFull(t *testing.T) {
	for _, so := range allOps() {
		if so.op.Output == nil {
			continue
		}
		v := sample(so.op.Output, 0).(Struct)
		var buf bytes.Buffer
		if err := WriteResponse(&buf, so.svc, so.op, v, "r"); err != nil {
			t.Errorf("%s: %v", so.op.Name, err)
		}
		wellFormed(t, so.op.Name, buf.Bytes())
	}
}

// Every input shape round-trips through the wire form botocore would send.
func TestAllOperationsRoundTrip(t *testing.T) {
	for _, so := range allOps() {
		if so.op.Input == nil {
			continue
		}
		v := sample(so.op.Input, 0).(Struct)
		f := url.Values{}
		encodeForm(f, "", so.op.Input, v)
		got, err := decodeNoValidate(so.op, f)
		if err != nil {
			t.Errorf("%s: %v", so.op.Name, err)
			continue
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s: round trip\n got %#v\nwant %#v", so.op.Name, got, v)
		}
	}
}

// decodeNoValidate decodes like Decode but ignores constraint violations
// (sample values do not satisfy patterns); only malformed values fail.
func decodeNoValidate(op *awsmodel.Operation, f url.Values) (Struct, error) {
	d := &decoder{}
	sub := make([]kv, 0, len(f))
	for k, vs := range f {
		sub = append(sub, kv{k: k, v: vs[0]})
	}
	out := d.structure(op.Input, sub)
	if d.bad != nil {
		return nil, d.bad
	}
	return out, nil
}

func wellFormed(t *testing.T, name string, b []byte) {
	t.Helper()
	var v struct{}
	if err := xmlUnmarshal(b, &v); err != nil {
		t.Errorf("%s: not well-formed: %v\n%s", name, err, b)
	}
}

// sample builds a value for shape sh with every member set (recursion is
// cut at depth 4 for recursive shapes).
func sample(sh *awsmodel.Shape, depth int) any {
	switch sh.Type {
	case "structure":
		s := Struct{}
		if depth > 4 {
			return s
		}
		for _, m := range sh.Members {
			if m.Shape.Type == "structure" && depth >= 4 {
				continue
			}
			s[m.Name] = sample(m.Shape, depth+1)
		}
		return s
	case "list":
		return []any{sample(sh.Member.Shape, depth+1), sample(sh.Member.Shape, depth+1)}
	case "map":
		return map[string]any{"k1": sample(sh.Value.Shape, depth+1), "k2": sample(sh.Value.Shape, depth+1)}
	case "string":
		if len(sh.Enum) > 0 {
			return sh.Enum[len(sh.Enum)-1]
		}
		return "v<&>" + sh.Name
	case "integer", "long":
		return int64(7)
	case "double", "float":
		return 2.5
	case "boolean":
		return true
	case "timestamp":
		return time.Date(2020, 2, 3, 4, 5, 6, 7e6, time.UTC)
	case "blob":
		return []byte{0, 1, 2, 0xff}
	}
	panic("unknown type " + sh.Type)
}

// encodeForm is a test-side Query serializer following botocore's
// QuerySerializer, independent of the decoder under test.
func encodeForm(f url.Values, prefix string, sh *awsmodel.Shape, v any) {
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "." + b
	}
	switch sh.Type {
	case "structure":
		s := v.(Struct)
		for _, m := range sh.Members {
			if mv, ok := s[m.Name]; ok {
				name := m.Name
				if m.LocationName != "" {
					name = m.LocationName
				}
				encodeForm(f, join(prefix, name), m.Shape, mv)
			}
		}
	case "list":
		l := v.([]any)
		if len(l) == 0 {
			f.Set(prefix, "")
			return
		}
		lp := prefix
		if !sh.Flattened {
			name := "member"
			if sh.Member.LocationName != "" {
				name = sh.Member.LocationName
			}
			lp = join(prefix, name)
		}
		for i, e := range l {
			encodeForm(f, lp+"."+strconv.Itoa(i+1), sh.Member.Shape, e)
		}
	case "map":
		m := v.(map[string]any)
		mp := prefix
		if !sh.Flattened {
			mp = join(prefix, "entry")
		}
		i := 0
		for _, k := range sortedKeys(m) {
			i++
			p := mp + "." + strconv.Itoa(i)
			encodeForm(f, p+".key", sh.Key.Shape, k)
			encodeForm(f, p+".value", sh.Value.Shape, m[k])
		}
	case "string":
		f.Set(prefix, v.(string))
	case "integer", "long":
		f.Set(prefix, strconv.FormatInt(v.(int64), 10))
	case "double", "float":
		f.Set(prefix, strconv.FormatFloat(v.(float64), 'g', -1, 64))
	case "boolean":
		f.Set(prefix, strconv.FormatBool(v.(bool)))
	case "timestamp":
		f.Set(prefix, v.(time.Time).Format(time.RFC3339Nano))
	case "blob":
		f.Set(prefix, base64.StdEncoding.EncodeToString(v.([]byte)))
	}
}

func FuzzDecode(f *testing.F) {
	ops := allOps()
	index := map[string]uint16{}
	for i, so := range ops {
		index[so.svc.Name+":"+so.op.Name] = uint16(i)
	}
	seeds := []struct{ op, body string }{
		{"iam:GetUser", ""},
		{"iam:GetUser", "UserName=bob&UserName=x&Bogus=1"},
		{"iam:CreateUser", "UserName=bob&Path=%2Fa%2F&Tags.member.1.Key=k&Tags.member.1.Value=v"},
		{"iam:CreateUser", "Tags.member.2.Key=&Tags.member.1.Value=x&Tags.member.01.Key=y"},
		{"iam:ListUsers", "MaxItems=5&Marker=abc&PathPrefix=%2F"},
		{"iam:UntagUser", "UserName=u&TagKeys="},
		{"iam:UpdateAccessKey", "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Inactive"},
		{"sts:AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&PolicyArns.member.1.arn=arn:aws:iam::aws:policy/x&DurationSeconds=900"},
		{"sts:GetCallerIdentity", "a.b.c=1&.=2&member.1=3"},
	}
	for _, s := range seeds {
		i, ok := index[s.op]
		if !ok {
			f.Fatalf("no operation %s", s.op)
		}
		f.Add(i, s.body)
	}
	f.Fuzz(func(t *testing.T, opIdx uint16, body string) {
		op := ops[int(opIdx)%len(ops)].op
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		got, err := Decode(op, form)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("non-*Error error %T", err)
			}
			return
		}
		if op.Input == nil {
			return
		}
		// Accepted values re-validate: serialising them again and decoding
		// gives the same result, without error.
		again := url.Values{}
		encodeForm(again, "", op.Input, got)
		got2, err := Decode(op, again)
		if err != nil {
			t.Fatalf("re-decode of accepted %#v failed: %v (form %v)", got, err, again)
		}
		if !reflect.DeepEqual(got, got2) {
			t.Fatalf("re-decode differs:\n%#v\n%#v", got, got2)
		}
	})
}
