package authzapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
	"github.com/iamd/iamd/policy"
)

// decisionEntry is one API call's decisions as the trail records them:
// what was asked and what was decided, never the forwarded headers,
// signatures or tokens (only the access key ID, as CloudTrail records it).
type decisionEntry struct {
	RequestID string          `json:"requestId"`
	Time      string          `json:"eventTime"` // RFC 3339 with milliseconds
	Endpoint  string          `json:"endpoint"`
	SourceIP  string          `json:"sourceIPAddress,omitempty"`
	Principal *entryPrincipal `json:"principal,omitempty"`
	// AccessKeyID names the key of a forwarded request whose principal
	// could not be resolved.
	AccessKeyID  string        `json:"accessKeyId,omitempty"`
	Checks       []entryCheck  `json:"checks,omitempty"`
	Results      []entryResult `json:"results,omitempty"`
	ErrorCode    string        `json:"errorCode,omitempty"`
	ErrorMessage string        `json:"errorMessage,omitempty"`
}

type entryPrincipal struct {
	Type        string `json:"type"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	PrincipalID string `json:"principalId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	// SessionIssuer is the role of a role session.
	SessionIssuer string `json:"sessionIssuer,omitempty"`
	MFA           bool   `json:"mfaAuthenticated,omitempty"`
}

type entryCheck struct {
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resourceAccount,omitempty"`
	Context         map[string][]string `json:"context,omitempty"`
	ContextKeys     []string            `json:"contextKeys,omitempty"` // instead of Context when its values are large
	// ResourcePolicy says whether a resource policy applied; the document
	// is the resource owner's and stays out of the trail.
	ResourcePolicy bool `json:"resourcePolicy,omitempty"`
}

type entryResult struct {
	Decision string           `json:"decision"`
	Gate     string           `json:"gate,omitempty"`
	Matched  []entryStatement `json:"matchedStatements,omitempty"`
}

type entryStatement struct {
	Gate      string `json:"gate"`
	PolicyID  string `json:"policyId"`
	VersionID string `json:"versionId,omitempty"`
	Index     int    `json:"statementIndex"`
	Sid       string `json:"sid,omitempty"`
	Effect    string `json:"effect"`
}

// buildEntry is the reference for appendEntry: the entry as a struct,
// for encoding/json.
func buildEntry(c *call, p *iam.Principal, keyID string, checks []iam.Check, res []iam.CheckResult, endpoint string, aerr *apiError) *decisionEntry {
	e := &decisionEntry{RequestID: c.requestID, Time: c.now.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Endpoint: endpoint,
		SourceIP: c.sourceIP, AccessKeyID: keyID}
	for i := range checks {
		ck := &checks[i]
		ec := entryCheck{Action: ck.Action, Resource: ck.Resource, ResourceAccount: ck.ResourceAccount,
			Context: ck.Context, ResourcePolicy: ck.ResourcePolicy != ""}
		n := 0
		for k, v := range ck.Context {
			n += len(k) + 8
			for _, x := range v {
				n += len(x) + 4
			}
		}
		if n > auditContextMax {
			ec.Context = nil
			for k := range ck.Context {
				ec.ContextKeys = append(ec.ContextKeys, k)
			}
			slices.Sort(ec.ContextKeys)
		}
		e.Checks = append(e.Checks, ec)
		if ip := firstValue(ck.Context, "aws:SourceIp"); ip != "" {
			e.SourceIP = ip
		}
	}
	for i := range res {
		e.Results = append(e.Results, entryOf(&res[i]))
	}
	if aerr != nil {
		e.ErrorCode, e.ErrorMessage = aerr.body.Code, aerr.body.Message
	}
	if p != nil {
		e.Principal = principalOf(p)
	}
	return e
}

func entryOf(r *iam.CheckResult) entryResult {
	out := entryResult{Decision: r.Decision.String()}
	if r.Decision != policy.Allow {
		out.Gate = r.Gate.String()
	}
	for _, s := range r.Matched {
		out.Matched = append(out.Matched, entryStatement{Gate: s.Gate.String(), PolicyID: s.Policy, VersionID: s.Version,
			Index: s.Index, Sid: s.Sid, Effect: s.Effect.String()})
	}
	return out
}

func principalOf(p *iam.Principal) *entryPrincipal {
	u := audit.IdentityOf(p)
	e := &entryPrincipal{Type: u.Type, ARN: p.ARN, AccountID: p.AccountID, PrincipalID: p.UserID, AccessKeyID: p.AccessKeyID, UserName: u.UserName}
	if s := p.Session; s != nil {
		e.SessionIssuer, e.MFA = s.RoleARN, s.MFA
	}
	return e
}

// TestAppendEntryMatchesEncodingJSON: the trail's decision entries are
// encoding/json's encoding of decisionEntry (without HTML escaping, as
// the audit package's canonical form), so the trail's format is the
// documented one whichever way it is produced.
func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
	c := &call{r: r, requestID: "b43917f1-f2cb-4de8-84da-2b5f1923bf09", now: time.Date(2026, 12, 2, 6, 33, 15, 123456789, time.FixedZone("x", 3600)), sourceIP: "192.0.2.1"}
	user := &iam.Principal{Type: iam.PrincipalUser, AccountID: "123456789012", ARN: arn, UserID: "AIDA1", UserName: "alice", AccessKeyID: "AKIA1"}
	role := &iam.Principal{Type: iam.PrincipalAssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", UserID: "AROA1:s",
		Session: &iam.Session{Kind: iam.SessionRole, RoleARN: "arn:aws:iam::123456789012:role/r", SessionName: "s", MFA: true, Issued: 1764657000}}
	root := &iam.Principal{Type: iam.PrincipalRoot, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:root", UserID: "123456789012"}
	large := map[string][]string{"s3:prefix": {strings.Repeat("p", auditContextMax)}, "aws:SourceIp": {"10.9.8.7"}, "b": nil}
	many := map[string][]string{}
	for _, k := range []string{"k9", "k1", "aws:SourceIp", hardText, "k5", "k3", "k7", "k2", "k8", "k4", "k6"} {
		many[k] = []string{k, hardText}
	}
	many["nil"] = nil
	many["empty"] = []string{}
	allow := iam.CheckResult{Decision: policy.Allow, Matched: []policy.StatementRef{
		{Gate: policy.GateIdentity, Policy: "p", Sid: "Read", Effect: policy.Allow},
		{Gate: policy.GateBoundary, Policy: "arn:aws:iam::aws:policy/X", Version: "v2", Index: 4, Effect: policy.Allow}}}
	deny := iam.CheckResult{Decision: policy.ExplicitDeny, Gate: policy.GateResource, Matched: []policy.StatementRef{{Gate: policy.GateResource, Policy: hardText, Index: 1, Sid: hardText, Effect: policy.ExplicitDeny}}}
	for _, tc := range []struct {
		name   string
		p      *iam.Principal
		keyID  string
		checks []iam.Check
		res    []iam.CheckResult
		aerr   *apiError
	}{
		{"user allow", user, "", []iam.Check{{Action: "s3:GetObject", Resource: "arn:aws:s3:::data/a", Context: map[string][]string{"aws:SourceIp": {"10.0.0.7"}}}}, []iam.CheckResult{allow}, nil},
		{"role batch", role, "", []iam.Check{{Action: "s3:GetObject", Resource: "*", ResourcePolicy: "{}", ResourceAccount: "210987654321"}, {Action: hardText, Resource: hardText, Context: many}},
			[]iam.CheckResult{deny, {Decision: policy.ImplicitDeny, Gate: policy.GateIdentity}}, nil},
		{"root large context", root, "", []iam.Check{{Action: "s3:ListBucket", Resource: "arn:aws:s3:::data", Context: large}}, []iam.CheckResult{{Decision: policy.ImplicitDeny}}, nil},
		{"failed subject", nil, "AKIA2", []iam.Check{{Action: "s3:GetObject", Resource: "*", Context: map[string][]string{}}}, nil,
			sourceErr("subject", &iam.Error{Code: "InvalidClientTokenId", Message: hardText})},
		{"no checks", nil, "", nil, nil, requestErr(400, "InvalidInput", "x")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(buildEntry(c, tc.p, tc.keyID, tc.checks, tc.res, "authorize", tc.aerr)); err != nil {
				t.Fatal(err)
			}
			got := appendEntry(nil, c, tc.p, tc.keyID, tc.checks, tc.res, "authorize", tc.aerr)
			if string(got) != strings.TrimSuffix(want.String(), "\n") {
				t.Fatalf("entry\n got %s\nwant %s", got, want.Bytes())
			}
		})
	}
}
