package iam

// PrincipalType says what kind of identity made a request.
type PrincipalType int

// Principal types.
const (
	PrincipalRoot PrincipalType = iota + 1
	PrincipalUser
	PrincipalAssumedRole
	PrincipalFederatedUser
)

// String returns the aws:PrincipalType value for the type.
func (t PrincipalType) String() string {
	switch t {
	case PrincipalRoot:
		return "Account"
	case PrincipalUser:
		return "User"
	case PrincipalAssumedRole:
		return "AssumedRole"
	case PrincipalFederatedUser:
		return "FederatedUser"
	}
	return "Unknown"
}

// Principal is an authenticated caller. The Principal of a credential is
// immutable and shared between requests; the protocol layer makes a
// shallow copy per request to attach the RequestInfo.
type Principal struct {
	Type        PrincipalType
	AccountID   string
	ARN         string
	UserID      string // unique ID; the account ID for root
	UserName    string // empty for root
	AccessKeyID string

	// Session is set for temporary credentials issued by STS.
	Session *Session

	// Request is set on a per-request copy of the principal by the
	// protocol layer; nil outside a request.
	Request *RequestInfo
}

// IsRoot reports whether the principal is its account's root user.
func (p *Principal) IsRoot() bool { return p.Type == PrincipalRoot }
