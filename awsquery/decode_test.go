package awsquery

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/awsmodel"
)

func iamOp(name string) *awsmodel.Operation { return awsmodel.IAM().Operations[name] }
func stsOp(name string) *awsmodel.Operation { return awsmodel.STS().Operations[name] }

func form(t testing.TB, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecode(t *testing.T) {
	cases := []struct {
		name string
		op   *awsmodel.Operation
		in   string
		want Struct
	}{
		{"no input shape", stsOp("GetCallerIdentity"), "Action=GetCallerIdentity&Version=2011-06-15", Struct{}},
		{"empty", iamOp("GetUser"), "", Struct{}},
		{"scalar", iamOp("GetUser"), "Action=GetUser&UserName=bob", Struct{"UserName": "bob"}},
		{"unknown ignored", iamOp("GetUser"), "UserName=bob&Bogus=1&UserName.x=2&X-Amz-Date=20240101T000000Z", Struct{"UserName": "bob"}},
		{"first of repeated", iamOp("GetUser"), "UserName=bob&UserName=alice", Struct{"UserName": "bob"}},
		{"integer and string", iamOp("ListUsers"), "PathPrefix=/a/&Marker=m&MaxItems=100", Struct{"PathPrefix": "/a/", "Marker": "m", "MaxItems": int64(100)}},
		{"boolean any case", iamOp("UpdateLoginProfile"), "UserName=u&PasswordResetRequired=TRUE", Struct{"UserName": "u", "PasswordResetRequired": true}},
		{"boolean false", iamOp("UpdateLoginProfile"), "UserName=u&PasswordResetRequired=false", Struct{"UserName": "u", "PasswordResetRequired": false}},
		{"list of structures", iamOp("CreateUser"),
			"UserName=bob&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2&Tags.member.2.Value=",
			Struct{"UserName": "bob", "Tags": []any{Struct{"Key": "k1", "Value": "v1"}, Struct{"Key": "k2", "Value": ""}}}},
		{"list order by index, gaps closed", iamOp("CreateUser"),
			"UserName=bob&Tags.member.10.Key=b&Tags.member.10.Value=2&Tags.member.3.Key=a&Tags.member.3.Value=1",
			Struct{"UserName": "bob", "Tags": []any{Struct{"Key": "a", "Value": "1"}, Struct{"Key": "b", "Value": "2"}}}},
		{"bad indexes ignored", iamOp("CreateUser"),
			"UserName=bob&Tags.member.0.Key=a&Tags.member.01.Key=a&Tags.member.x.Key=a&Tags.1.Key=a&Tags.member.-1.Key=a",
			Struct{"UserName": "bob"}},
		{"list of strings", iamOp("UntagUser"), "UserName=bob&TagKeys.member.1=a&TagKeys.member.2=b",
			Struct{"UserName": "bob", "TagKeys": []any{"a", "b"}}},
		{"empty list", iamOp("UntagUser"), "UserName=bob&TagKeys=",
			Struct{"UserName": "bob", "TagKeys": []any{}}},
		{"nested structure list", stsOp("AssumeRole"),
			"RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=sess&DurationSeconds=900&PolicyArns.member.1.arn=arn:aws:iam::aws:policy/ReadOnlyAccess&ProvidedContexts.member.1.ProviderArn=arn:aws:iam::aws:contextProvider/IdentityCenter&ProvidedContexts.member.1.ContextAssertion=abcd",
			Struct{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "sess", "DurationSeconds": int64(900),
				"PolicyArns":       []any{Struct{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
				"ProvidedContexts": []any{Struct{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "abcd"}}}},
		{"sensitive value decodes", iamOp("CreateLoginProfile"), "UserName=bob&Password=p%40ss+word",
			Struct{"UserName": "bob", "Password": "p@ss word"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(c.op, form(t, c.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

// Shapes the real models lack (maps, timestamps, blobs, doubles, flattened
// lists, locationName) are exercised on a synthetic model.
func TestDecodeSyntheticTypes(t *testing.T) {
	svc := testService(t)
	op := svc.Operations["Everything"]
	got, err := Decode(op, form(t, "Ts=2024-05-06T07:08:09.5%2B02:00&Blob=aGk%3D&Dbl=1.5&Long=-9000000000"+
		"&Attrs.entry.2.key=b&Attrs.entry.2.value=2&Attrs.entry.1.key=a&Attrs.entry.1.value=1"+
		"&Flat.1=x&Flat.2=y&Named.item.1=z"))
	if err != nil {
		t.Fatal(err)
	}
	want := Struct{
		"Ts":    time.Date(2024, 5, 6, 5, 8, 9, 5e8, time.UTC),
		"Blob":  []byte("hi"),
		"Dbl":   1.5,
		"Long":  int64(-9000000000),
		"Attrs": map[string]any{"a": int64(1), "b": int64(2)},
		"Flat":  []any{"x", "y"},
		"Named": []any{"z"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if ts := got["Ts"].(time.Time); ts.Location() != time.UTC {
		t.Errorf("timestamp not UTC: %v", ts.Location())
	}
}

func TestDecodeErrors(t *testing.T) {
	long := strings.Repeat("a", 65)
	cases := []struct {
		name      string
		op        *awsmodel.Operation
		in        string
		code, msg string
	}{
		{"required missing", iamOp("CreateUser"), "",
			"ValidationError", "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"pattern ok", iamOp("CreateUser"), "UserName=a%2Bb%3Dc",
			"", ""},
		{"pattern failure", iamOp("CreateRole"), "RoleName=a%20b&AssumeRolePolicyDocument=%7B%7D",
			"ValidationError", `1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"max length", iamOp("CreateUser"), "UserName=" + long,
			"ValidationError", "1 validation error detected: Value '" + long + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"empty string: pattern then length", iamOp("CreateUser"), "UserName=bob&Tags.member.1.Key=&Tags.member.1.Value=v",
			"ValidationError", `2 validation errors detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+; Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1`},
		{"iam userName quirk", iamOp("CreateUser"), "UserName=a%20b",
			"ValidationError", "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"iam userName quirk (existing user)", iamOp("GetUser"), "UserName=analysts%2Fsome.one%40example.com",
			"ValidationError", "The specified value for userName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"},
		{"iam path quirk, first member wins", iamOp("CreateUser"), "UserName=a%20b&Path=test%2F",
			"ValidationError", "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"iam quirk yields to shared validator", iamOp("CreateUser"), "UserName=a%20b&Tags.member.1.Key=k",
			"ValidationError", "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"empty user name is a length error only", iamOp("CreateUser"), "UserName=",
			"ValidationError", "1 validation error detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"range low", iamOp("ListUsers"), "MaxItems=0",
			"ValidationError", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"range high", iamOp("ListUsers"), "MaxItems=1001",
			"ValidationError", "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"enum", iamOp("UpdateAccessKey"), "AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=active",
			"ValidationError", "1 validation error detected: Value 'active' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"},
		{"nested path and null", iamOp("CreateUser"), "UserName=bob&Tags.member.1.Key=k&Tags.member.2.Key=k2&Tags.member.2.Value=a%2Ab",
			"ValidationError", `2 validation errors detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null; Value 'a*b' at 'tags.2.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`},
		{"member order", iamOp("CreateRole"), "MaxSessionDuration=60&RoleName=a%20b&Path=%2Fok%2F",
			"ValidationError", `3 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600`},
		{"list count before elements", iamOp("UntagUser"), "UserName=bob" + tagKeys(51, "a%2A"),
			"ValidationError", ""},
		{"sensitive redacted", iamOp("CreateLoginProfile"), "UserName=bob&Password=",
			"ValidationError", `2 validation errors detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+; Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 1`},
		{"sensitive redacted (sts)", stsOp("AssumeRoleWithWebIdentity"), "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=sess&WebIdentityToken=abc",
			"ValidationError", "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"},
		{"integer range (sts)", stsOp("AssumeRole"), "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=sess&DurationSeconds=899",
			"ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"malformed integer", iamOp("ListUsers"), "MaxItems=ten",
			"InvalidParameterValue", "Value 'ten' at 'maxItems' is not valid: expected an integer"},
		{"integer overflow", iamOp("ListUsers"), "MaxItems=2147483648",
			"InvalidParameterValue", "Value '2147483648' at 'maxItems' is not valid: expected an integer"},
		{"malformed boolean", iamOp("UpdateLoginProfile"), "UserName=u&PasswordResetRequired=yes",
			"InvalidParameterValue", "Value 'yes' at 'passwordResetRequired' is not valid: expected a boolean (true or false)"},
		{"malformed beats validation", iamOp("ListUsers"), "MaxItems=x&PathPrefix=",
			"InvalidParameterValue", "Value 'x' at 'maxItems' is not valid: expected an integer"},
		{"malformed in list", stsOp("AssumeRole"), "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=sess&DurationSeconds=1h",
			"InvalidParameterValue", "Value '1h' at 'durationSeconds' is not valid: expected an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.op, form(t, c.in))
			if c.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Code != c.code || e.Status != 400 || !e.Sender {
				t.Errorf("got %s %d sender=%v, want %s 400 sender", e.Code, e.Status, e.Sender, c.code)
			}
			if c.msg != "" && e.Message != c.msg {
				t.Errorf("message\n got %s\nwant %s", e.Message, c.msg)
			}
		})
	}
}

func tagKeys(n int, v string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("&TagKeys.member.")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("=")
		if i == n {
			b.WriteString(v)
		} else {
			b.WriteString("k")
		}
	}
	return b.String()
}

func TestDecodeListCountBeforeElements(t *testing.T) {
	_, err := Decode(iamOp("UntagUser"), form(t, "UserName=bob"+tagKeys(51, "a%2A")))
	e := err.(*Error)
	if !strings.HasPrefix(e.Message, "2 validation errors detected: Value '[k, k, ") ||
		!strings.Contains(e.Message, "a*]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50; Value 'a*' at 'tagKeys.51.member' failed to satisfy constraint: Member must satisfy regular expression pattern: ") {
		t.Errorf("message: %s", e.Message)
	}
}
