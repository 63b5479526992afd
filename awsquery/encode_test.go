package awsquery

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/awsmodel"
)

var update = flag.Bool("update", false, "rewrite testdata/*.xml golden files")

const testRequestID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"

var (
	created = time.Date(2013, 4, 18, 17, 26, 57, 0, time.UTC)
	expires = time.Date(2011, 7, 15, 23, 28, 33, 359e6, time.UTC)
)

func testUser(name string) Struct {
	return Struct{
		"Path":       "/",
		"UserName":   name,
		"UserId":     "AIDACKCEVSQ6C2EXAMPLE",
		"Arn":        "arn:aws:iam::123456789012:user/" + name,
		"CreateDate": created,
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".xml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file\n--- got\n%s\n--- want\n%s", path, got, want)
	}
	// Whatever the layout, the document must be well-formed XML.
	dec := xml.NewDecoder(bytes.NewReader(got))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("%s: not well-formed: %v", path, err)
			}
			break
		}
	}
}

func TestWriteResponseGolden(t *testing.T) {
	iam, sts := awsmodel.IAM(), awsmodel.STS()
	withTags := testUser("Bob")
	withTags["Path"] = "/division_abc/"
	withTags["Arn"] = "arn:aws:iam::123456789012:user/division_abc/Bob"
	withTags["Tags"] = []any{Struct{"Key": "Dept", "Value": "R&D <lab>"}, Struct{"Key": "CostCenter", "Value": "12345"}}
	withTags["PermissionsBoundary"] = Struct{
		"PermissionsBoundaryType": "Policy",
		"PermissionsBoundaryArn":  "arn:aws:iam::123456789012:policy/boundary",
	}
	getUser := testUser("Bob")
	getUser["PasswordLastUsed"] = time.Date(2014, 10, 10, 14, 37, 51, 0, time.UTC)
	cases := []struct {
		name   string
		svc    *awsmodel.Service
		op     string
		result Struct
	}{
		{"iam_GetUser", iam, "GetUser", Struct{"User": getUser}},
		{"iam_CreateUser_tags", iam, "CreateUser", Struct{"User": withTags}},
		{"iam_ListUsers_truncated", iam, "ListUsers", Struct{
			"Users":       []any{testUser("alice"), testUser("bob")},
			"IsTruncated": true,
			"Marker":      "AAIAAQAAAA0xNzEyMjM4NjQzMDE2",
		}},
		{"iam_ListUsers_empty", iam, "ListUsers", Struct{"Users": []any{}, "IsTruncated": false}},
		{"iam_CreateAccessKey", iam, "CreateAccessKey", Struct{"AccessKey": Struct{
			"UserName":        "Bob",
			"AccessKeyId":     "AKIAIOSFODNN7EXAMPLE",
			"Status":          "Active",
			"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
			"CreateDate":      created,
		}}},
		{"iam_ListAccessKeys", iam, "ListAccessKeys", Struct{
			"AccessKeyMetadata": []Struct{
				{"UserName": "Bob", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "CreateDate": created},
				{"UserName": "Bob", "AccessKeyId": "AKIAI44QH8DHBEXAMPLE", "Status": "Inactive", "CreateDate": created.Add(time.Hour)},
			},
			"IsTruncated": false,
		}},
		{"iam_GetAccountSummary", iam, "GetAccountSummary", Struct{"SummaryMap": map[string]int64{
			"Users": 27, "UsersQuota": 5000, "Groups": 15, "GroupsQuota": 300, "AccessKeysPerUserQuota": 2,
		}}},
		{"iam_DeleteUser", iam, "DeleteUser", nil},
		{"sts_GetCallerIdentity", sts, "GetCallerIdentity", Struct{
			"UserId":  "AIDACKCEVSQ6C2EXAMPLE",
			"Account": "123456789012",
			"Arn":     "arn:aws:iam::123456789012:user/Alice",
		}},
		{"sts_AssumeRole", sts, "AssumeRole", Struct{
			"Credentials": Struct{
				"AccessKeyId":     "ASIAIOSFODNN7EXAMPLE",
				"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
				"SessionToken":    "AQoDYXdzEPT//////////wEXAMPLE",
				"Expiration":      expires,
			},
			"AssumedRoleUser": Struct{
				"AssumedRoleId": "AROA3XFRBF535PLBIFPI4:s3-access-example",
				"Arn":           "arn:aws:sts::123456789012:assumed-role/xaccounts3access/s3-access-example",
			},
			"PackedPolicySize": int64(8),
			"SourceIdentity":   "Alice",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteResponse(&buf, c.svc, c.svc.Operations[c.op], c.result, testRequestID); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name, buf.Bytes())
		})
	}
}

func TestWriteErrorGolden(t *testing.T) {
	iam, sts := awsmodel.IAM(), awsmodel.STS()
	_, verr := Decode(iam.Operations["CreateRole"], form(t, "RoleName=a%20b&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k"))
	cases := []struct {
		name string
		svc  *awsmodel.Service
		err  *Error
	}{
		{"error_iam_NoSuchEntity", iam, ErrorFor(iam, "NoSuchEntity", "The user with name bob cannot be found.")},
		{"error_iam_ValidationError", iam, verr.(*Error)},
		{"error_sts_AccessDenied", sts, ErrorFor(sts, "AccessDenied",
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/admin")},
		{"error_iam_ServiceFailure", iam, ErrorFor(iam, "ServiceFailure", "Internal error <&>")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			WriteError(&buf, c.svc, c.err, testRequestID)
			checkGolden(t, c.name, buf.Bytes())
		})
	}
}

// The byte layout matches a real IAM error captured by aws-sdk-go's debug
// log (github.com/10gen/dsi docs): its Content-Length was 368.
func TestWriteErrorMatchesCapturedLength(t *testing.T) {
	var buf bytes.Buffer
	WriteError(&buf, awsmodel.IAM(), ErrorFor(awsmodel.IAM(), "AccessDenied",
		"User: arn:aws:iam::579766882180:user/Suganthi.Mani is not authorized to perform: iam:GetUser on resource: user Suganthi.Mani"),
		"98ca53c1-cacf-4e90-af82-76e914cba248")
	if buf.Len() != 368 {
		t.Errorf("length %d, want 368:\n%s", buf.Len(), buf.Bytes())
	}
}

func TestWriteResponseSynthetic(t *testing.T) {
	svc := testService(t)
	var buf bytes.Buffer
	err := WriteResponse(&buf, svc, svc.Operations["Everything"], Struct{
		"Ts":    time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600)),
		"Blob":  []byte("hi"),
		"Dbl":   1.5,
		"Long":  int64(-9000000000),
		"Attrs": map[string]any{"b": int64(2), "a": 1},
		"Flat":  []string{"x", "y"},
		"Named": []any{"z"},
	}, "r")
	if err != nil {
		t.Fatal(err)
	}
	want := `<EverythingResponse xmlns="https://test.example/doc/2000-01-01/">
  <EverythingResult>
    <Ts>2024-01-02T02:04:05.123Z</Ts>
    <Blob>aGk=</Blob>
    <Dbl>1.5</Dbl>
    <Long>-9000000000</Long>
    <Attrs>
      <entry>
        <key>a</key>
        <value>1</value>
      </entry>
      <entry>
        <key>b</key>
        <value>2</value>
      </entry>
    </Attrs>
    <Flat>x</Flat>
    <Flat>y</Flat>
    <Named>
      <item>z</item>
    </Named>
  </EverythingResult>
  <ResponseMetadata>
    <RequestId>r</RequestId>
  </ResponseMetadata>
</EverythingResponse>
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteResponseErrors(t *testing.T) {
	iam := awsmodel.IAM()
	cases := []struct {
		name   string
		op     string
		result Struct
		want   string
	}{
		{"unknown top-level key", "GetUser", Struct{"Usr": Struct{}}, `no member "Usr"`},
		{"unknown nested key", "GetUser", Struct{"User": Struct{"UserName": "x", "Nmae": "y"}}, `shape User has no member "Nmae"`},
		{"wrong scalar type", "GetUser", Struct{"User": Struct{"UserName": 3}}, "cannot hold a value of type int"},
		{"wrong timestamp type", "GetUser", Struct{"User": Struct{"CreateDate": "2013-04-18"}}, "cannot hold"},
		{"wrong list type", "ListUsers", Struct{"Users": Struct{}}, "cannot hold"},
		{"nil list element", "ListUsers", Struct{"Users": []any{nil}}, "nil element"},
		{"result for no-output op", "DeleteUser", Struct{"User": "x"}, "no output shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteResponse(&buf, iam, iam.Operations[c.op], c.result, "r")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want containing %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("buffer written on error: %q", buf.String())
			}
		})
	}
	// nil values are omitted, not errors.
	var buf bytes.Buffer
	if err := WriteResponse(&buf, iam, iam.Operations["ListUsers"], Struct{"Users": []any{}, "Marker": nil}, "r"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Marker") {
		t.Error("nil member written")
	}
}

func TestAppendEscaped(t *testing.T) {
	cases := map[string]string{
		"plain":              "plain",
		"a&b<c>d\"e'f":       "a&amp;b&lt;c&gt;d\"e'f",
		"tab\tnl\ncr\r":      "tab\tnl\ncr&#xD;",
		"nul\x00bell\x07":    "nul\uFFFDbell\uFFFD",
		"bad\xffutf8":        "bad\uFFFDutf8",
		"ok é 日本 \U0001F600": "ok é 日本 \U0001F600",
		"\uFFFE\uFFFF":       "\uFFFD\uFFFD",
	}
	for in, want := range cases {
		if got := string(appendEscaped(nil, in)); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{created, "2013-04-18T17:26:57Z"},
		{expires, "2011-07-15T23:28:33.359Z"},
		{time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC), "2024-12-31T23:59:59.999Z"},
		{time.Date(2024, 1, 1, 0, 0, 0, 500000, time.UTC), "2024-01-01T00:00:00Z"}, // sub-millisecond dropped
		{time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("", -5*3600)), "2024-01-01T06:00:00Z"},
	}
	for _, c := range cases {
		if got := string(appendTimestamp(nil, c.t)); got != c.want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", c.t, got, c.want)
		}
		if got, want := string(appendTimestamp(nil, c.t)), c.t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.999Z"); got != want && !strings.Contains(got, ".") {
			t.Errorf("disagrees with time.Format: %s vs %s", got, want)
		}
	}
}

func TestErrorFor(t *testing.T) {
	iam, sts := awsmodel.IAM(), awsmodel.STS()
	cases := []struct {
		svc    *awsmodel.Service
		code   string
		status int
		sender bool
	}{
		{iam, "NoSuchEntity", 404, true},
		{iam, "EntityAlreadyExists", 409, true},
		{iam, "LimitExceeded", 409, true},
		{iam, "DeleteConflict", 409, true},
		{iam, "MalformedPolicyDocument", 400, true},
		{iam, "InvalidInput", 400, true},
		{iam, "ServiceFailure", 500, false},
		{iam, "ReportExpired", 410, true},
		{sts, "MalformedPolicyDocument", 400, true},
		{sts, "PackedPolicyTooLarge", 400, true},
		{sts, "ExpiredTokenException", 400, true}, // modelled for STS
		{sts, "ServiceFailure", 500, false},
		{nil, "AccessDenied", 403, true},
		{iam, "ValidationError", 400, true},
		{iam, "InvalidAction", 400, true},
		{iam, "MissingAction", 400, true},
		{iam, "InvalidParameterValue", 400, true},
		{iam, "MissingParameter", 400, true},
		{iam, "MalformedQueryString", 404, true},
		{iam, "NotImplemented", 501, false},
		{iam, "Throttling", 400, true},
		{iam, "ServiceUnavailable", 503, false},
		{iam, "InternalFailure", 500, false},
		{iam, "MissingAuthenticationToken", 403, true},
		{iam, "IncompleteSignature", 400, true},
		{iam, "InvalidClientTokenId", 403, true},
		{sts, "SignatureDoesNotMatch", 403, true},
		{sts, "ExpiredToken", 403, true},
		{iam, "RequestExpired", 400, true},
		{iam, "SomethingNew", 400, true},
	}
	for _, c := range cases {
		e := ErrorFor(c.svc, c.code, "m")
		if e.Code != c.code || e.Message != "m" || e.Status != c.status || e.Sender != c.sender {
			t.Errorf("ErrorFor(%s) = %+v, want status %d sender %v", c.code, e, c.status, c.sender)
		}
	}
	if e := InvalidAction(iam, "Frob"); e.Message != "Could not find operation Frob for version 2010-05-08" || e.Status != 400 {
		t.Errorf("InvalidAction: %+v", e)
	}
	if e := NotImplemented("CreateSAMLProvider"); e.Message != "iamd does not implement CreateSAMLProvider yet" || e.Status != 501 {
		t.Errorf("NotImplemented: %+v", e)
	}
	if got := (&Error{Code: "C", Message: "M"}).Error(); got != "C: M" {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseCommon(t *testing.T) {
	a, v := ParseCommon(form(t, "Action=GetUser&Version=2010-05-08&Action=X"))
	if a != "GetUser" || v != "2010-05-08" {
		t.Errorf("got %q %q", a, v)
	}
	if a, v := ParseCommon(nil); a != "" || v != "" {
		t.Errorf("nil form: %q %q", a, v)
	}
}
