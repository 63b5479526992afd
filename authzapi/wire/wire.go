// Package wire holds the JSON messages of iamd's authorization API
// (/iamd/authz/v1/), shared by the server (package authzapi) and the Go
// client (package authzclient) so that the two cannot drift apart. It has
// no dependencies beyond the standard library, so a client program does not
// link iamd's server code.
package wire

import "time"

// Version 1 of the API lives under Prefix; a breaking change gets /v2/.
const (
	Prefix        = "/iamd/authz/v1/"
	AuthorizePath = Prefix + "authorize"
	BatchPath     = Prefix + "authorize-batch"
	// SigningService is the service name callers put in their SigV4
	// credential scope when they sign requests to the API.
	SigningService = "iamd"
	// Action is what a caller's policies must allow (on "*") for it to
	// ask for decisions.
	Action = "iamd:Authorize"
)

// SignedRequest is a client's SigV4-signed request as the calling service
// received it. Header must include Host (Go's server keeps it in
// Request.Host) and Content-Length when the client signed it.
type SignedRequest struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`            // as on the wire, escaped
	Query  string              `json:"query,omitempty"` // raw, without '?'
	Header map[string][]string `json:"headers"`
	// PayloadHash is the hex SHA-256 of the body, for services whose
	// clients sign the body without sending X-Amz-Content-Sha256; ignored
	// when the header is present.
	PayloadHash string `json:"payloadHash,omitempty"`
}

// Check is one (action, resource) question.
type Check struct {
	Action   string              `json:"action"`
	Resource string              `json:"resource"`
	Context  map[string][]string `json:"context,omitempty"`
	// ResourcePolicy is the resource's own policy document (JSON text),
	// such as a bucket policy; ResourceAccount the account that owns the
	// resource. In a batch they default to the request's.
	ResourcePolicy  string `json:"resourcePolicy,omitempty"`
	ResourceAccount string `json:"resourceAccount,omitempty"`
}

// Subject names whose request is being decided: exactly one of
// SignedRequest and PrincipalARN.
type Subject struct {
	SignedRequest *SignedRequest `json:"signedRequest,omitempty"`
	PrincipalARN  string         `json:"principalArn,omitempty"`
}

// AuthorizeRequest is the body of POST /iamd/authz/v1/authorize.
type AuthorizeRequest struct {
	Subject
	Check
}

// BatchRequest is the body of POST /iamd/authz/v1/authorize-batch: many
// checks for one principal.
type BatchRequest struct {
	Subject
	ResourcePolicy  string  `json:"resourcePolicy,omitempty"`
	ResourceAccount string  `json:"resourceAccount,omitempty"`
	Checks          []Check `json:"checks"`
}

// Decision values.
const (
	Allow        = "Allow"
	ExplicitDeny = "ExplicitDeny"
	ImplicitDeny = "ImplicitDeny"
)

// Result is the decision on one check.
type Result struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Decision string `json:"decision"` // Allow, ExplicitDeny or ImplicitDeny
	Allowed  bool   `json:"allowed"`
	// Gate is the policy type that decided a denial: identity, resource,
	// boundary or session; empty for Allow.
	Gate    string      `json:"gate,omitempty"`
	Matched []Statement `json:"matchedStatements"`
}

// Statement is a policy statement that matched: the Allow statements of
// an Allow, the Deny statements of an ExplicitDeny.
type Statement struct {
	Gate      string `json:"gate"`
	PolicyID  string `json:"policyId"` // policy ARN, inline policy name, or "resource-policy"
	VersionID string `json:"versionId,omitempty"`
	Index     int    `json:"statementIndex"`
	Sid       string `json:"sid,omitempty"`
	Effect    string `json:"effect"`
}

// Principal is the resolved principal.
type Principal struct {
	Type        string   `json:"type"` // Account (root), User, AssumedRole, FederatedUser
	ARN         string   `json:"arn"`
	AccountID   string   `json:"accountId"`
	UserID      string   `json:"userId"`
	UserName    string   `json:"userName,omitempty"`
	AccessKeyID string   `json:"accessKeyId,omitempty"`
	Tags        []Tag    `json:"tags"`
	Session     *Session `json:"session,omitempty"`
}

// Tag is a principal tag (aws:PrincipalTag/<key>).
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Session describes temporary credentials.
type Session struct {
	Kind           string     `json:"kind"` // role, user, federated
	RoleARN        string     `json:"roleArn,omitempty"`
	SessionName    string     `json:"sessionName,omitempty"`
	MFA            bool       `json:"mfaAuthenticated"`
	MFAAuthTime    *time.Time `json:"mfaAuthTime,omitempty"`
	SourceIdentity string     `json:"sourceIdentity,omitempty"`
	// Issued and Expires are the credentials' times; absent for a role
	// session named by principalArn, whose credentials iamd never saw.
	Issued  *time.Time `json:"issued,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
}

// AuthorizeResponse answers /authorize.
type AuthorizeResponse struct {
	RequestID string    `json:"requestId"`
	Principal Principal `json:"principal"`
	Result
}

// BatchResponse answers /authorize-batch; Results are in Checks' order.
type BatchResponse struct {
	RequestID string    `json:"requestId"`
	Principal Principal `json:"principal"`
	Results   []Result  `json:"results"`
}

// Error sources: whose fault an error is.
const (
	SourceCaller  = "caller"  // the calling service's own authentication or permission
	SourceSubject = "subject" // the client request or principal being decided
	SourceRequest = "request" // the API request itself (JSON, limits)
	SourceServer  = "server"
)

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Error     ErrorBody `json:"error"`
	RequestID string    `json:"requestId"`
}

// ErrorBody carries a stable code (see docs/authz-api.md), a message for
// people, and the source.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Source  string `json:"source"`
}
