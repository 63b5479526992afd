package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestSimulateCustomPolicyXML checks the wire form of a simulation: the
// members AWS returns, in the model's order, and the document positions of
// the AWS CLI's published example.
func TestSimulateCustomPolicyXML(t *testing.T) {
	h := newBenchHandler(t)
	form := url.Values{
		"Action":                                 {"SimulateCustomPolicy"},
		"Version":                                {"2010-05-08"},
		"PolicyInputList.member.1":               {`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}`},
		"ActionNames.member.1":                   {"dynamodb:CreateBackup"},
		"ResourceArns.member.1":                  {"arn:aws:dynamodb:us-east-1:123456789012:table/t"},
		"ContextEntries.member.1.ContextKeyName": {"aws:CurrentTime"},
		"ContextEntries.member.1.ContextKeyValues.member.1": {"2019-04-25T11:00:00Z"},
		"ContextEntries.member.1.ContextKeyType":            {"date"},
	}
	req := sign(t, "iam", form.Encode())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.request())
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, body)
	}
	for _, want := range []string{
		"<SimulateCustomPolicyResult>",
		"<EvalActionName>dynamodb:CreateBackup</EvalActionName>",
		"<EvalResourceName>arn:aws:dynamodb:us-east-1:123456789012:table/t</EvalResourceName>",
		"<EvalDecision>allowed</EvalDecision>",
		"<SourcePolicyId>PolicyInputList.1</SourcePolicyId>",
		"<SourcePolicyType>IAM Policy</SourcePolicyType>",
		"<Line>1</Line>",
		"<Column>38</Column>",
		"<Column>167</Column>",
		"<MissingContextValues/>",
		"<EvalDecisionDetails/>",
		"<EvalResourceDecision>allowed</EvalResourceDecision>",
		"<IsTruncated>false</IsTruncated>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %s:\n%s", want, body)
		}
	}
	// Sent only for accounts in an organization (API reference,
	// EvaluationResult); iamd has none.
	if strings.Contains(body, "OrganizationsDecisionDetail") {
		t.Errorf("response has OrganizationsDecisionDetail outside an organization:\n%s", body)
	}
	if testing.Verbose() {
		t.Log(body)
	}
}
