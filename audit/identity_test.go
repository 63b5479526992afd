package audit_test

import (
	"testing"

	"github.com/iamd/iamd/audit"
	"github.com/iamd/iamd/iam"
)

// The callers of AssumeRoleWithWebIdentity and AssumeRoleWithSAML are not
// IAM identities: CloudTrail names them by type, subject and provider.
func TestIdentityOfFederatedCallers(t *testing.T) {
	for _, tc := range []struct {
		p        iam.Principal
		wantType string
	}{
		{iam.Principal{Type: iam.PrincipalWebIdentityUser, AccountID: "111122223333", UserName: "repo:o/r:ref:refs/heads/main",
			ARN: "arn:aws:iam::111122223333:oidc-provider/token.example.com"}, "WebIdentityUser"},
		{iam.Principal{Type: iam.PrincipalSAMLUser, AccountID: "111122223333", UserName: "alice@example.com",
			ARN: "arn:aws:iam::111122223333:saml-provider/corp"}, "SAMLUser"},
	} {
		u := audit.IdentityOf(&tc.p)
		if u.Type != tc.wantType || u.IdentityProvider != tc.p.ARN || u.UserName != tc.p.UserName || u.ARN != "" {
			t.Errorf("identityOf(%v) = %+v", tc.p.Type, u)
		}
	}
}
