package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/iamd/iamd/iam"
)

// IdentityOf is CloudTrail's userIdentity for the principal of a request,
// whichever front end (API, console, authorization API) served it.
// Long-term credentials carry no sessionContext, as in CloudTrail.
func IdentityOf(p *iam.Principal) UserIdentity {
	u := UserIdentity{PrincipalID: p.UserID, ARN: p.ARN, AccountID: p.AccountID, AccessKeyID: p.AccessKeyID}
	switch p.Type {
	case iam.PrincipalRoot:
		u.Type = "Root"
	case iam.PrincipalUser:
		u.Type, u.UserName = "IAMUser", p.UserName
	case iam.PrincipalAssumedRole:
		u.Type = "AssumedRole"
	case iam.PrincipalFederatedUser:
		u.Type = "FederatedUser"
	case iam.PrincipalWebIdentityUser, iam.PrincipalSAMLUser:
		// Not an IAM identity: the token's subject, from its provider.
		u.Type = "WebIdentityUser"
		if p.Type == iam.PrincipalSAMLUser {
			u.Type = "SAMLUser"
		}
		u.IdentityProvider, u.UserName, u.ARN, u.AccessKeyID = p.ARN, p.UserName, "", ""
	default:
		u.Type = "Unknown"
	}
	if s := p.Session; s != nil {
		sc := &SessionContext{SourceIdent: s.SourceIdentity, Attributes: SessionAttrs{
			CreationDate: time.Unix(s.Issued, 0).UTC().Format(time.RFC3339), MFAAuthenticated: strconv.FormatBool(s.MFA)}}
		switch s.Kind {
		case iam.SessionRole:
			roleName := s.RoleARN[strings.LastIndexByte(s.RoleARN, '/')+1:]
			sc.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: s.RoleID, ARN: s.RoleARN, AccountID: s.Account, UserName: roleName}
		case iam.SessionFederated:
			issuer := &SessionIssuer{Type: "Root", PrincipalID: s.Account, ARN: "arn:aws:iam::" + s.Account + ":root", AccountID: s.Account}
			if s.SourceUserID != "" {
				issuer.Type, issuer.PrincipalID, issuer.ARN = "IAMUser", s.SourceUserID, ""
			}
			sc.SessionIssuer = issuer
		}
		u.SessionContext = sc
	}
	return u
}
