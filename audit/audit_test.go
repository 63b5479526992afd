package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/awsmodel"
	"github.com/iamd/iamd/awsquery"
)

func TestRedact(t *testing.T) {
	iamModel, sts := awsmodel.IAM(), awsmodel.STS()
	for _, tc := range []struct {
		op     *awsmodel.Shape
		in     map[string]any
		hidden []string
		kept   []string
	}{
		{iamModel.Operations["CreateLoginProfile"].Input, map[string]any{"UserName": "bob", "Password": "p4ss"}, []string{"p4ss"}, []string{"bob"}},
		{iamModel.Operations["UploadServerCertificate"].Input, map[string]any{"ServerCertificateName": "c", "PrivateKey": "-----BEGIN KEY", "CertificateBody": "-----BEGIN CERT"},
			[]string{"BEGIN KEY"}, []string{"BEGIN CERT"}},
		{iamModel.Operations["EnableMFADevice"].Input, map[string]any{"AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}, []string{"123456", "654321"}, nil},
		{sts.Operations["AssumeRole"].Output, map[string]any{"Credentials": awsquery.Struct{"AccessKeyId": "ASIAX", "SecretAccessKey": "sek", "SessionToken": "tok"}},
			[]string{"sek", "tok"}, []string{"ASIAX"}},
		{iamModel.Operations["CreateVirtualMFADevice"].Output, map[string]any{"VirtualMFADevice": awsquery.Struct{"SerialNumber": "arn", "Base32StringSeed": []byte("SEED"), "QRCodePNG": []byte("PNG")}},
			[]string{"U0VFRA", "UE5H"}, []string{"arn"}},
		// No shape: the deny-list alone.
		{nil, map[string]any{"nested": []any{map[string]any{"TokenCode": "999999", "WebIdentityToken": "jwt", "SAMLAssertion": "saml"}}}, []string{"999999", "jwt", "saml"}, nil},
	} {
		out := Redact(tc.in, tc.op)
		e := &Event{RequestParameters: out}
		b, err := e.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, h := range tc.hidden {
			if strings.Contains(s, h) {
				t.Errorf("%s: secret %q kept", s, h)
			}
		}
		for _, k := range tc.kept {
			if !strings.Contains(s, k) {
				t.Errorf("%s: %q lost", s, k)
			}
		}
		if len(tc.hidden) > 0 && !strings.Contains(s, Hidden) {
			t.Errorf("%s: no %s", s, Hidden)
		}
	}
}

func TestCanonicalIsStable(t *testing.T) {
	e := &Event{EventName: "X", RequestParameters: map[string]any{"b": 1, "a": "<&>", "c": []any{"z", "y"}}}
	b1, _ := e.Canonical()
	for range 20 {
		b2, _ := e.Canonical()
		if string(b1) != string(b2) {
			t.Fatal("canonical encoding is not deterministic")
		}
	}
	if !strings.Contains(string(b1), `{"a":"<&>","b":1,"c":["z","y"]}`) {
		t.Errorf("canonical: %s", b1)
	}
}

func TestIsReadOnly(t *testing.T) {
	for op, want := range map[string]bool{"GetUser": true, "ListUsers": true, "SimulatePrincipalPolicy": true, "CreateUser": false, "AssumeRole": false, "TagUser": false} {
		if IsReadOnly(op) != want {
			t.Errorf("IsReadOnly(%s) != %v", op, want)
		}
	}
}

// TestEventTimeMatchesTimeParse checks Event.Time's fast path against
// time.Parse, which it must equal on every input, valid or not.
func TestEventTimeMatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		"2026-12-02T07:00:00Z", "1999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z", "2026-01-01t00:00:00Z",
		"2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00.5Z", "2026-1-01T00:00:00Z", "+026-01-01T00:00:00Z",
		"2026-01-01T00:00:0aZ", "", "not a time",
	} {
		want, _ := time.Parse(time.RFC3339, s)
		if got := (&Event{EventTime: s}).Time(); got != want {
			t.Errorf("Time(%q) = %v, time.Parse gives %v", s, got, want)
		}
	}
}

func FuzzEventTime(f *testing.F) {
	f.Add("2026-12-02T07:00:00Z")
	f.Add("2023-02-29T12:00:00Z")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := time.Parse(time.RFC3339, s)
		if got := (&Event{EventTime: s}).Time(); got != want {
			t.Errorf("Time(%q) = %v, time.Parse gives %v", s, got, want)
		}
	})
}
