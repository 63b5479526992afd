package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// referenceCanonical is the definition Canonical must meet: encoding/json
// of the struct without HTML escaping, as every stored event was encoded
// before canonical.go.
func referenceCanonical(e *Event) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

type namedString string

func canonicalCases() map[string]*Event {
	full := &Event{EventVersion: EventVersion, EventTime: "2026-12-02T07:00:00Z", EventSource: "sts.amazonaws.com",
		EventName: "AssumeRole", AWSRegion: "us-east-1", SourceIPAddress: "127.0.0.1", UserAgent: "aws-cli/2 <b>&amp;</b>",
		ErrorCode: "AccessDenied", ErrorMessage: "User: arn:aws:iam::123456789012:user/a is not authorized\n\t\"quoted\" \\ \x00\x1f\x7f",
		UserIdentity: UserIdentity{Type: "AssumedRole", PrincipalID: "AROA:s", ARN: "arn:aws:sts::123456789012:assumed-role/R/s",
			AccountID: "123456789012", AccessKeyID: "ASIA", UserName: "u", IdentityProvider: "idp", SessionContext: &SessionContext{
				SessionIssuer: &SessionIssuer{Type: "Role", PrincipalID: "AROA", ARN: "arn:aws:iam::123456789012:role/R", AccountID: "123456789012", UserName: "R"},
				Attributes:    SessionAttrs{CreationDate: "2026-12-02T06:00:00Z", MFAAuthenticated: "true"}, SourceIdent: "src"}},
		RequestParameters: map[string]any{"roleArn": "arn", "tags": []any{map[string]any{"key": "k", "value": "v\u2028\u2029"}}, "durationSeconds": 3600,
			"flag": true, "none": nil, "nested": map[string]any{"z": 1.5, "a": []string{"x"}}, "named": namedString("n"), "nilList": []any(nil),
			"time": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "bad utf8": "a\xffb\xc3", "emoji": "😀é",
			"raw": json.RawMessage(`{"a":[1,"x<y"],"b":null}`), "nilRaw": json.RawMessage(nil)},
		ResponseElements:    map[string]any{},
		AdditionalEventData: map[string]any{"MFAUsed": "No"},
		RequestID:           "r", EventID: "e", ReadOnly: false,
		Resources: []Resource{{Type: "AWS::IAM::Role", Name: "R"}, {Type: "t\"", Name: ""}},
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management"}
	return map[string]*Event{
		"zero":                       {},
		"full":                       full,
		"session without issuer":     {UserIdentity: UserIdentity{Type: "FederatedUser", SessionContext: &SessionContext{}}},
		"empty additional data":      {AdditionalEventData: map[string]any{}, Resources: []Resource{}, ReadOnly: true},
		"read with empty parameters": {EventName: "GetCallerIdentity", RequestParameters: map[string]any{}, ReadOnly: true},
	}
}

// TestCanonicalCaseIsFull keeps the hand-written encoder honest: the
// "full" case sets every field of every struct, so a field added to the
// event types but not to canonical.go makes TestCanonicalMatchesEncodingJSON
// fail instead of silently dropping from stored events.
func TestCanonicalCaseIsFull(t *testing.T) {
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				t.Errorf("%s is nil in the full case", path)
				return
			}
			walk(path, v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Bool:
			// false is a value the encoder writes too
		default:
			if v.IsZero() {
				t.Errorf("%s is zero in the full case", path)
			}
		}
	}
	walk("Event", reflect.ValueOf(canonicalCases()["full"]))
}

func TestCanonicalMatchesEncodingJSON(t *testing.T) {
	for name, e := range canonicalCases() {
		t.Run(name, func(t *testing.T) {
			want, err := referenceCanonical(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Canonical differs from encoding/json:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestCanonicalUnencodable(t *testing.T) {
	e := &Event{RequestParameters: map[string]any{"f": func() {}}}
	if _, err := e.Canonical(); err == nil {
		t.Fatal("Canonical of an unencodable parameter: no error")
	}
}

// FuzzCanonical checks the hand-written encoding against encoding/json on
// arbitrary strings in every kind of position.
func FuzzCanonical(f *testing.F) {
	f.Add("alice", "k", "v", "\x00\u2028<>&\"\\\xff")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, a, k, v, u string) {
		e := &Event{EventVersion: a, EventName: u, UserAgent: v, ErrorMessage: u,
			UserIdentity:      UserIdentity{Type: a, UserName: u, SessionContext: &SessionContext{SourceIdent: v, SessionIssuer: &SessionIssuer{ARN: u}}},
			RequestParameters: map[string]any{k: v, u: []any{a, map[string]any{v: u}}, a: nil},
			Resources:         []Resource{{Type: k, Name: u}}}
		want, err := referenceCanonical(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Canonical differs from encoding/json:\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	e := canonicalCases()["read with empty parameters"]
	e.UserIdentity = UserIdentity{Type: "IAMUser", PrincipalID: "AIDA", ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
		AccessKeyID: "AKIA", UserName: "alice"}
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = e.Canonical()
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = referenceCanonical(e)
		}
	})
}
