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

// Principal is an authenticated caller. It is immutable once built and
// shared between requests made with the same credential.
type Principal struct {
	Type        PrincipalType
	AccountID   string
	ARN         string
	UserID      string // unique ID; the account ID for root
	UserName    string // empty for root
	AccessKeyID string
}

// IsRoot reports whether the principal is its account's root user.
func (p *Principal) IsRoot() bool { return p.Type == PrincipalRoot }
