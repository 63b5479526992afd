package policy

import "strings"

// PrincipalType is the kind of authenticated caller.
type PrincipalType uint8

const (
	PrincipalUser          PrincipalType = iota // IAM user
	PrincipalAssumedRole                        // role session (AssumeRole*, also web identity and SAML)
	PrincipalRoot                               // the account's root user
	PrincipalFederatedUser                      // GetFederationToken session
	PrincipalService                            // an AWS service principal
	PrincipalAnonymous                          // unauthenticated
)

var principalTypeNames = [...]string{"User", "AssumedRole", "Root", "FederatedUser", "Service", "Anonymous"}

func (t PrincipalType) String() string {
	if int(t) < len(principalTypeNames) {
		return principalTypeNames[t]
	}
	return "PrincipalType(" + itoa(int(t)) + ")"
}

// ParsePrincipalType is the inverse of PrincipalType.String.
func ParsePrincipalType(s string) (PrincipalType, bool) {
	for i, n := range principalTypeNames {
		if n == s {
			return PrincipalType(i), true
		}
	}
	return 0, false
}

// Principal is the authenticated caller of a request. Type PrincipalRoot
// is the root-user flag: identity-based policies cannot restrict the root
// user of the account that owns the resource.
type Principal struct {
	Type PrincipalType
	// ARN of the caller: the user, the assumed-role session
	// (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION), the federated user,
	// or arn:aws:iam::ACCT:root.
	ARN     string
	Account string
	// RoleARN is the role of an assumed-role session (with its path);
	// resource policies naming it match every session of the role.
	RoleARN string
	// Service is the service principal name (ec2.amazonaws.com) for
	// PrincipalService.
	Service string
	// Federated is the identity provider a web-identity or SAML caller
	// authenticated with (an IAM OIDC/SAML provider ARN, or
	// cognito-identity.amazonaws.com, accounts.google.com ...): it is what
	// a trust policy's "Federated" principal names.
	Federated string
	// CanonicalUser is the S3 canonical user ID, if any.
	CanonicalUser string
	// UserID is the value of aws:userid (AIDA..., AROA...:session).
	UserID string
}

// Request is one authorization question. The evaluator only reads it.
type Request struct {
	Principal Principal
	Action    string // service:Action, any case
	Resource  string // ARN, or "*" for actions without resource-level permissions
	Context   *Context
}

// Context holds the request's condition keys and their values. It is a
// small slice rather than a map: requests carry a dozen keys or so, a
// linear scan over them is faster than hashing, building it allocates
// only the slice, and looking a key up allocates nothing. Key names are
// matched ASCII-case-insensitively, as AWS does; values are kept as given.
//
// A Context must not be modified while an evaluation reads it; it may be
// read by concurrent evaluations.
type Context struct {
	entries []ctxEntry
}

type ctxEntry struct {
	key    string
	values []string
}

// NewContext returns an empty Context with room for n keys.
func NewContext(n int) *Context { return &Context{entries: make([]ctxEntry, 0, n)} }

// Set sets key to values, replacing any previous values of the key.
// Single-valued keys have one value; multivalued keys (aws:TagKeys, ...)
// any number. An empty value list is an empty multivalued key, which
// condition operators treat like a missing key.
func (c *Context) Set(key string, values ...string) {
	for i := range c.entries {
		if strings.EqualFold(c.entries[i].key, key) {
			c.entries[i].values = values
			return
		}
	}
	c.entries = append(c.entries, ctxEntry{key, values})
}

// Lookup returns the values of key, ignoring ASCII case in the key.
func (c *Context) Lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.entries {
		if strings.EqualFold(c.entries[i].key, key) {
			return c.entries[i].values, true
		}
	}
	return nil, false
}

// get is Lookup for a lower-case key, the form compiled policies hold.
func (c *Context) get(lower string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.entries {
		if e := &c.entries[i]; len(e.key) == len(lower) && equalFoldASCII(e.key, lower) {
			return e.values, true
		}
	}
	return nil, false
}

// Keys returns the number of keys set.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// values is a condition key's value list. Keys derived from the Principal
// have one value held inline, so no slice is built for them.
type values struct {
	many   []string
	one    string
	single bool
}

func (v values) len() int {
	if v.single {
		return 1
	}
	return len(v.many)
}

func (v values) at(i int) string {
	if v.single {
		return v.one
	}
	return v.many[i]
}

// principalKey returns the value of a principal key the request context
// does not set, derived from the Principal as AWS defines it (aws:username
// only for IAM users, aws:PrincipalArn of a role session is the role's
// ARN, aws:PrincipalType of the root user is "Account").
func (p *Principal) principalKey(lower string) (string, bool) {
	switch lower {
	case "aws:username":
		if p.Type == PrincipalUser && p.ARN != "" {
			return p.ARN[strings.LastIndexByte(p.ARN, '/')+1:], true
		}
	case "aws:userid":
		switch {
		case p.UserID != "":
			return p.UserID, true
		case p.Type == PrincipalRoot:
			return p.Account, p.Account != ""
		case p.Type == PrincipalAnonymous:
			return "anonymous", true
		}
	case "aws:principaltype":
		switch p.Type {
		case PrincipalRoot:
			return "Account", true
		case PrincipalUser, PrincipalAssumedRole, PrincipalFederatedUser, PrincipalAnonymous:
			return p.Type.String(), true
		}
	case "aws:principalaccount":
		return p.Account, p.Account != "" && p.Type != PrincipalService && p.Type != PrincipalAnonymous
	case "aws:principalarn":
		switch p.Type {
		case PrincipalAssumedRole:
			return p.RoleARN, p.RoleARN != ""
		case PrincipalUser, PrincipalRoot, PrincipalFederatedUser:
			return p.ARN, p.ARN != ""
		}
	case "aws:principalservicename":
		return p.Service, p.Type == PrincipalService && p.Service != ""
	case "aws:principalisawsservice":
		if p.Type == PrincipalService {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
