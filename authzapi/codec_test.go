package authzapi

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/iamd/iamd/authzapi/wire"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

const arn = "arn:aws:iam::123456789012:user/alice"

// decodeCases are bodies of both decision endpoints. fast marks those the
// hand-written decoder must take itself (the common shapes), so that a
// decoder that quietly always fell back to encoding/json fails here.
var decodeCases = []struct {
	name, body string
	fast       bool
}{
	{"principal", `{"principalArn":"` + arn + `","action":"s3:GetObject","resource":"arn:aws:s3:::data/a","context":{"aws:SourceIp":["10.0.0.7"]}}`, true},
	{"spaces", " \t\r\n{ \"principalArn\" : \"" + arn + "\" , \"action\":\"s3:GetObject\"\n}\n ", true},
	{"empty", `{}`, true},
	{"signed", `{"signedRequest":{"method":"GET","path":"/data/a","query":"x-id=GetObject","headers":{"Host":["h:9000"],"X-Amz-Date":["20261202T063315Z"],"Authorization":["AWS4-HMAC-SHA256 Credential=AKIA/20261202/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"]},"payloadHash":"e3b0"},"action":"s3:GetObject","resource":"*"}`, true},
	{"resource policy escapes", `{"principalArn":"` + arn + `","action":"s3:GetObject","resource":"*","resourcePolicy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}\n\t\\\/","resourceAccount":"123456789012"}`, true},
	{"unicode escapes", `{"action":"s3:Get\u004fbject","resource":"\u00e9\u2028\ud83d\ude00","context":{"k\u00e9y":["\ud83d","\ude00x","\ud83dx","\ud83d\u0041"]}}`, true},
	{"utf-8", `{"action":"é😀","context":{"ключ":["значение"]}}`, true},
	{"nulls", `{"signedRequest":null,"principalArn":null,"context":null,"action":"a"}`, true},
	{"null values", `{"signedRequest":{"headers":{"Host":null,"X":[null,"a"]}},"context":{"a":[]}}`, true},
	{"empty collections", `{"signedRequest":{"headers":{}},"context":{}}`, true},
	{"unknown fields", `{"x":1,"y":[1,-2.5e+3,{"a":[true,false,null]},"s\"\u1234"],"z":{},"action":"a","w":-0}`, true},
	{"repeated map key", `{"context":{"a":["1"],"a":["2"]}}`, true},
	{"batch", `{"principalArn":"` + arn + `","resourcePolicy":"","resourceAccount":"123456789012","checks":[{"action":"s3:GetObject","resource":"arn:aws:s3:::data/k0","context":{"s3:prefix":["a"]}},{"action":"s3:PutObject","resource":"*","resourcePolicy":"{}","resourceAccount":"210987654321"},null,{}]}`, true},
	{"batch empty checks", `{"principalArn":"` + arn + `","checks":[]}`, true},
	{"batch null checks", `{"checks":null}`, true},

	// Left to encoding/json: its meaning or its error wording.
	{"case-insensitive name", `{"PrincipalARN":"` + arn + `","Action":"s3:GetObject"}`, false},
	{"kelvin sign", `{"checKs":[],"principalArn":"x","\u212aey":1}`, false},
	{"escaped key", `{"\u0061ction":"s3:GetObject"}`, false},
	{"duplicate field", `{"action":"a","action":"b"}`, false},
	{"duplicate map", `{"context":{"a":["1"]},"context":{"b":["2"]}}`, false},
	{"invalid utf-8", "{\"action\":\"a\xff\"}", false},
	{"invalid utf-8 after escape", "{\"action\":\"\\n\xff\"}", false},
	{"wrong type", `{"action":5}`, false},
	{"wrong type in list", `{"context":{"a":[1]}}`, false},
	{"wrong type checks", `{"checks":{}}`, false},
	{"not an object", `[]`, false},
	{"top-level null", `null`, false},
	{"trailing garbage", `{"action":"a"} x`, false},
	{"truncated", `{"action":"a"`, false},
	{"empty body", ``, false},
	{"control character", "{\"action\":\"a\tb\"}", false},
	{"bad escape", `{"action":"\x"}`, false},
	{"bad unicode escape", `{"action":"\u12g4"}`, false},
	{"bad number", `{"x":01}`, false},
	{"bad number 2", `{"x":1.}`, false},
	{"bad number 3", `{"x":-}`, false},
	{"bad number 4", `{"x":1e}`, false},
	{"bad literal", `{"x":nul}`, false},
	{"trailing comma", `{"action":"a",}`, false},
	{"deep", `{"x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, false},
	{"lone quote key", `{"action`, false},
}

// TestDecodeMatchesEncodingJSON: the hand-written decoder's result, or
// error, is encoding/json's for every case.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, []byte(tc.body))
			var a wire.AuthorizeRequest
			var b wire.BatchRequest
			fa, fb := fastAuthorize([]byte(tc.body), &a), fastBatch([]byte(tc.body), &b)
			if strings.Contains(tc.body, `"checks"`) {
				fa = fb
			}
			if fa != tc.fast {
				t.Errorf("fast path taken: %v, want %v", fa, tc.fast)
			}
		})
	}
}

func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	var wantA, gotA wire.AuthorizeRequest
	errA := decodeJSON(body, &wantA)
	if aerr := decodeAuthorize(body, &gotA); !reflect.DeepEqual(aerr, errA) {
		t.Fatalf("authorize %q: error %v, encoding/json %v", body, aerr, errA)
	} else if aerr == nil && !reflect.DeepEqual(gotA, wantA) {
		t.Fatalf("authorize %q:\n got %#v\nwant %#v", body, gotA, wantA)
	}
	var wantB, gotB wire.BatchRequest
	errB := decodeJSON(body, &wantB)
	if aerr := decodeBatch(body, &gotB); !reflect.DeepEqual(aerr, errB) {
		t.Fatalf("batch %q: error %v, encoding/json %v", body, aerr, errB)
	} else if aerr == nil && !reflect.DeepEqual(gotB, wantB) {
		t.Fatalf("batch %q:\n got %#v\nwant %#v", body, gotB, wantB)
	}
}

// FuzzDecode extends the table: any body decodes as encoding/json decodes
// it.
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add(tc.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkDecode(t, []byte(body))
	})
}

// encodeCase is an answer to encode both ways.
type encodeCase struct {
	name  string
	p     iam.Principal
	tags  []iam.Tag
	check iam.Check
	res   iam.CheckResult
}

var hardText = "<a&b> \"q\" \\ \x00\x1f\b\f\n\r\t \u2028\u2029 é 😀 \xff\xfe end"

var encodeCases = []encodeCase{
	{name: "user allow", p: iam.Principal{Type: iam.PrincipalUser, AccountID: "123456789012", ARN: arn, UserID: "AIDA1", UserName: "alice", AccessKeyID: "AKIA1"},
		tags: []iam.Tag{{Key: "team", Value: "core"}}, check: iam.Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a"},
		res: iam.CheckResult{Decision: policy.Allow, Matched: []policy.StatementRef{
			{Gate: policy.GateIdentity, Policy: "p", Index: 0, Sid: "Read", Effect: policy.Allow},
			{Gate: policy.GateBoundary, Policy: "arn:aws:iam::aws:policy/AmazonS3FullAccess", Version: "v2", Index: 3, Effect: policy.Allow}}}},
	{name: "root implicit deny", p: iam.Principal{Type: iam.PrincipalRoot, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"},
		check: iam.Check{Action: "s3:GetObject", Resource: "*"}, res: iam.CheckResult{Decision: policy.ImplicitDeny, Gate: policy.GateIdentity}},
	{name: "role session explicit deny", p: iam.Principal{Type: iam.PrincipalAssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", UserID: "AROA1:s", AccessKeyID: "ASIA1",
		Session: &iam.Session{Kind: iam.SessionRole, RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s", MFA: true, MFAAuthTime: 1764657195, SourceIdentity: "bob", Issued: 1764657000, Expires: 1764660600}},
		tags: []iam.Tag{{Key: "a", Value: ""}, {Key: "b", Value: "c"}}, check: iam.Check{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::data/secret/x"},
		res: iam.CheckResult{Decision: policy.ExplicitDeny, Gate: policy.GateResource, Matched: []policy.StatementRef{{Gate: policy.GateResource, Policy: "resource-policy", Index: 1, Effect: policy.ExplicitDeny}}}},
	{name: "named role session", p: iam.Principal{Type: iam.PrincipalAssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", UserID: "AROA1:s",
		Session: &iam.Session{Kind: iam.SessionRole, RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s", Issued: 1764657000}},
		check: iam.Check{Action: "s3:GetObject", Resource: "*"}, res: iam.CheckResult{Decision: policy.Allow, Matched: []policy.StatementRef{}}},
	{name: "federated", p: iam.Principal{Type: iam.PrincipalFederatedUser, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:federated-user/f", UserID: "123456789012:f",
		Session: &iam.Session{Kind: iam.SessionFederated, FederatedName: "f", SessionName: "ignored", MFA: true, Issued: 1, Expires: 253402300799}},
		check: iam.Check{Action: "s3:GetObject", Resource: "*"}, res: iam.CheckResult{Decision: policy.ImplicitDeny}},
	{name: "hard strings", p: iam.Principal{Type: iam.PrincipalUser, AccountID: hardText, ARN: hardText, UserID: hardText, UserName: hardText},
		tags: []iam.Tag{{Key: hardText, Value: hardText}}, check: iam.Check{Action: hardText, Resource: hardText},
		res: iam.CheckResult{Decision: policy.Allow, Matched: []policy.StatementRef{{Policy: hardText, Version: hardText, Sid: hardText, Index: math.MaxInt32}}}},
	{name: "time out of range", p: iam.Principal{Type: iam.PrincipalUser, Session: &iam.Session{Kind: iam.SessionUser, Issued: 1, Expires: 253402300800}},
		check: iam.Check{Action: "a:b", Resource: "*"}},
}

// TestEncodeMatchesEncodingJSON: the hand-written answers are encoding/
// json's encoding of the wire structs, byte for byte; what encoding/json
// cannot encode is reported, so that the caller falls back to it.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) { checkEncode(t, &tc) })
	}
}

func checkEncode(t *testing.T, tc *encodeCase) {
	t.Helper()
	const id = "b43917f1-f2cb-4de8-84da-2b5f1923bf09"
	want, werr := json.Marshal(&wire.AuthorizeResponse{RequestID: id, Principal: principalWire(&tc.p, tc.tags), Result: result(&tc.check, &tc.res)})
	got, ok := appendPrincipal(nil, &tc.p, tc.tags)
	if ok {
		got = appendResultFields(append(append([]byte(`{"requestId":"`+id+`","principal":`), got...), ','), &tc.check, &tc.res)
		got = append(got, '}')
	}
	if ok != (werr == nil) {
		t.Fatalf("encodable: %v; encoding/json: %v", ok, werr)
	}
	if ok && string(got) != string(want) {
		t.Fatalf("authorize answer\n got %s\nwant %s", got, want)
	}
	results := []iam.CheckResult{tc.res, tc.res}
	checks := []iam.Check{tc.check, {Action: "x:y", Resource: "*"}}
	want, werr = json.Marshal(&wire.BatchResponse{RequestID: id, Principal: principalWire(&tc.p, tc.tags),
		Results: []wire.Result{result(&checks[0], &results[0]), result(&checks[1], &results[1])}})
	if werr != nil {
		return
	}
	p, _ := appendPrincipal(nil, &tc.p, tc.tags)
	got = append(append([]byte(`{"requestId":"`+id+`","principal":`), p...), `,"results":[`...)
	for i := range results {
		if i > 0 {
			got = append(got, ',')
		}
		got = append(appendResultFields(append(got, '{'), &checks[i], &results[i]), '}')
	}
	got = append(got, "]}"...)
	if string(got) != string(want) {
		t.Fatalf("batch answer\n got %s\nwant %s", got, want)
	}
	e := wire.ErrorBody{Code: tc.check.Action, Message: tc.p.ARN, Source: tc.check.Resource}
	want, _ = json.Marshal(&wire.ErrorResponse{Error: e, RequestID: tc.p.UserID})
	if got := appendErrorResponse(nil, tc.p.UserID, &e); string(got) != string(want) {
		t.Fatalf("error answer\n got %s\nwant %s", got, want)
	}
}

// FuzzEncode varies the strings and numbers of an answer.
func FuzzEncode(f *testing.F) {
	f.Add("alice", "s3:GetObject", hardText, "Read", int64(1764657000), int64(1764660600), 3, true)
	f.Add("", "", "", "", int64(0), int64(-62135596801), -1, false)
	f.Fuzz(func(t *testing.T, name, action, text, sid string, issued, expires int64, index int, mfa bool) {
		tc := encodeCase{
			p: iam.Principal{Type: iam.PrincipalAssumedRole, AccountID: text, ARN: name + text, UserID: sid, UserName: name,
				Session: &iam.Session{Kind: iam.SessionRole, RoleARN: text, SessionName: name, MFA: mfa, MFAAuthTime: issued, Issued: issued, Expires: expires, SourceIdentity: sid}},
			tags:  []iam.Tag{{Key: name, Value: text}},
			check: iam.Check{Action: action, Resource: text},
			res: iam.CheckResult{Decision: policy.Effect(index & 3), Gate: policy.Gate(index & 7),
				Matched: []policy.StatementRef{{Gate: policy.Gate(index & 7), Policy: text, Version: name, Index: index, Sid: sid, Effect: policy.Effect(index & 3)}}},
		}
		checkEncode(t, &tc)
		// The trail's strings: encoding/json without HTML escaping.
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(text)
		if got := appendString(nil, text, false); string(got)+"\n" != want.String() {
			t.Fatalf("trail string %q: got %s, want %s", text, got, want.Bytes())
		}
	})
}
