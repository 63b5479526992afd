package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// errorResponse is AWS's Query-protocol error body.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// signedPost sends body to the server signed as root for service.
func (s *testServer) signedPost(t *testing.T, service, body string, mutate func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.Endpoint()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func TestBadInputGetsAWSErrors(t *testing.T) {
	s := startServer(t, "")
	for _, tc := range []struct {
		name    string
		service string
		body    string
		mutate  func(*http.Request)
		status  int
		code    string
		ns      string
	}{
		{"unknown action", "iam", "Action=FlyToTheMoon&Version=2010-05-08", nil, 400, "InvalidAction", "iam"},
		{"wrong version", "iam", "Action=ListUsers&Version=2011-06-15", nil, 400, "InvalidAction", "iam"},
		{"missing version", "iam", "Action=ListUsers", nil, 400, "InvalidAction", "iam"},
		{"missing action", "iam", "Version=2010-05-08", nil, 400, "MissingAction", "iam"},
		{"STS action on IAM scope", "iam", "Action=GetCallerIdentity&Version=2011-06-15", nil, 400, "InvalidAction", "iam"},
		{"absurd MaxItems", "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=99999999999", nil, 400, "", "iam"},
		{"zero MaxItems", "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=0", nil, 400, "ValidationError", "iam"},
		{"non-numeric MaxItems", "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=ten", nil, 400, "", "iam"},
		{"missing required", "iam", "Action=CreateUser&Version=2010-05-08", nil, 400, "ValidationError", "iam"},
		// AWS documents MalformedQueryString with HTTP 404 (Common Errors).
		{"bad percent-encoding", "iam", "Action=ListUsers&Version=2010-05-08&PathPrefix=%zz", nil, 404, "MalformedQueryString", "iam"},
		{"non-UTF-8 value", "iam", "Action=CreateUser&Version=2010-05-08&UserName=%ff%fe", nil, 400, "", "iam"},
		{"not implemented", "iam", "Action=GetDelegationRequest&Version=2010-05-08&DelegationRequestId=abcdefghijklmnop", nil, 501, "NotImplemented", "iam"},
		{"no organization", "iam", "Action=ListOrganizationsFeatures&Version=2010-05-08", nil, 400, "OrganizationNotFoundException", "iam"},
		{"not implemented STS", "sts", "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=123456789012&TaskPolicyArn.arn=arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials", nil, 501, "NotImplemented", "sts"},
		// iamd issues no encoded authorization messages, so none decodes.
		{"undecodable authorization message", "sts", "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=abc", nil, 400, "InvalidAuthorizationMessageException", "sts"},
		{"tampered body", "iam", "Action=ListUsers&Version=2010-05-08", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("Action=ListUsers&Version=2010-05-08&MaxItems=1"))
			r.ContentLength = int64(len("Action=ListUsers&Version=2010-05-08&MaxItems=1"))
		}, 403, "SignatureDoesNotMatch", "iam"},
		{"no signature", "iam", "Action=ListUsers&Version=2010-05-08", func(r *http.Request) {
			r.Header.Del("Authorization")
		}, 403, "MissingAuthenticationToken", "iam"},
		{"unknown session token", "sts", "Action=GetCallerIdentity&Version=2011-06-15", func(r *http.Request) {
			r.Header.Set("X-Amz-Security-Token", "bogus")
		}, 403, "", "sts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := s.signedPost(t, tc.service, tc.body, tc.mutate)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d\n%s", resp.StatusCode, tc.status, data)
			}
			var e errorResponse
			if err := xml.Unmarshal(data, &e); err != nil {
				t.Fatalf("body is not an ErrorResponse: %v\n%s", err, data)
			}
			if tc.code != "" && e.Error.Code != tc.code {
				t.Errorf("code = %s (%s), want %s", e.Error.Code, e.Error.Message, tc.code)
			}
			if e.Error.Code == "" || e.Error.Message == "" || e.RequestID == "" {
				t.Errorf("incomplete error: %+v", e)
			}
			if want := "https://" + tc.ns + ".amazonaws.com/doc/"; !strings.HasPrefix(e.Xmlns, want) {
				t.Errorf("xmlns = %s, want prefix %s", e.Xmlns, want)
			}
			if got := resp.Header.Get("X-Amzn-Requestid"); got != e.RequestID {
				t.Errorf("x-amzn-RequestId header %q != body RequestId %q", got, e.RequestID)
			}
		})
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	s := startServer(t, "")
	body := "Action=ListUsers&Version=2010-05-08&PathPrefix=/" + strings.Repeat("a", 2<<20)
	resp, data := s.signedPost(t, "iam", body, nil)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("status = %d, want 4xx\n%.300s", resp.StatusCode, data)
	}
	var e errorResponse
	if err := xml.Unmarshal(data, &e); err != nil {
		t.Fatalf("not an ErrorResponse: %v", err)
	}
}

func TestGetRequestsAreServed(t *testing.T) {
	s := startServer(t, "")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.Endpoint()+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	creds := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(data), "<Arn>arn:aws:iam::"+testAccount+":root</Arn>") {
		t.Fatalf("GET GetCallerIdentity = %d\n%s", resp.StatusCode, data)
	}

	// A presigned URL works too.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, s.Endpoint()+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	url, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(data), "<GetCallerIdentityResult>") {
		t.Fatalf("presigned GetCallerIdentity = %d\n%s", resp.StatusCode, data)
	}
}
