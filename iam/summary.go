package iam

import (
	"context"

	"github.com/iamd/iamd/awsmanaged"
)

// GetAccountSummary returns the account's entity counts and quotas under
// the keys AWS's summary map uses. Counts of entities on the authorization
// path come from memory; the rest from one read transaction.
func (s *Service) GetAccountSummary(ctx context.Context, p *Principal) (map[string]int64, error) {
	if err := s.authorize(p, "iam:GetAccountSummary", "*"); err != nil {
		return nil, err
	}
	acct := p.AccountID
	st := s.state
	q := s.quotas
	m := map[string]int64{
		"Users":                             int64(len(st.usersSorted(acct))),
		"UsersQuota":                        int64(quota(q.UsersPerAccount, 5000)),
		"Groups":                            int64(len(st.groupsSorted(acct))),
		"GroupsQuota":                       int64(quota(q.GroupsPerAccount, 300)),
		"Roles":                             int64(len(st.rolesSorted(acct))),
		"RolesQuota":                        int64(quota(q.RolesPerAccount, 1000)),
		"Policies":                          int64(len(st.policiesSorted(acct))),
		"PoliciesQuota":                     int64(quota(q.PoliciesPerAccount, 1500)),
		"InstanceProfiles":                  int64(len(st.instanceProfilesSorted(acct))),
		"InstanceProfilesQuota":             int64(quota(q.InstanceProfilesPerAccount, 1000)),
		"ServerCertificatesQuota":           int64(s.quotaServerCerts()),
		"UserPolicySizeQuota":               int64(quota(q.UserPolicySize, 2048)),
		"GroupPolicySizeQuota":              int64(quota(q.GroupPolicySize, 5120)),
		"RolePolicySizeQuota":               int64(quota(q.RolePolicySize, 10240)),
		"PolicySizeQuota":                   int64(quota(q.PolicySize, 6144)),
		"AssumeRolePolicySizeQuota":         int64(quota(q.TrustPolicySize, 2048)),
		"GroupsPerUserQuota":                int64(quota(q.GroupsPerUser, 10)),
		"SigningCertificatesPerUserQuota":   int64(s.quotaSigningCerts()),
		"AccessKeysPerUserQuota":            int64(quota(q.AccessKeysPerUser, 2)),
		"AttachedPoliciesPerUserQuota":      int64(quota(q.PoliciesPerUser, 10)),
		"AttachedPoliciesPerGroupQuota":     int64(quota(q.PoliciesPerGroup, 10)),
		"AttachedPoliciesPerRoleQuota":      int64(quota(q.PoliciesPerRole, 10)),
		"VersionsPerPolicyQuota":            int64(quota(q.VersionsPerPolicy, 5)),
		"PolicyVersionsInUseQuota":          10000,
		"AccountAccessKeysPresent":          0,
		"AccountMFAEnabled":                 0,
		"AccountPasswordPresent":            0,
		"AccountSigningCertificatesPresent": 0,
		"GlobalEndpointTokenVersion":        1,
	}
	var versions int64
	for _, e := range st.policiesSorted(acct) {
		versions += int64(len(e.versions))
	}
	// AWS counts the versions of AWS managed policies the account uses
	// among the versions in use, one each.
	for _, ap := range awsmanaged.All() {
		if use := st.usesOf(acct, ap.ARN, false); use.attachments+use.boundaries > 0 {
			versions++
		}
	}
	m["PolicyVersionsInUse"] = versions
	if len(st.keysOf(acct, "")) > 0 {
		m["AccountAccessKeysPresent"] = 1
	}
	err := s.store.View(ctx, func(tx Tx) error {
		n, err := tx.CountServerCertificates(acct)
		if err != nil {
			return err
		}
		m["ServerCertificates"] = int64(n)
		oidc, err := tx.OIDCProviders(acct)
		if err != nil {
			return err
		}
		saml, err := tx.SAMLProviders(acct)
		if err != nil {
			return err
		}
		m["Providers"] = int64(len(oidc) + len(saml))
		certs, err := tx.SigningCertificates(acct, "")
		if err != nil {
			return err
		}
		if len(certs) > 0 {
			m["AccountSigningCertificatesPresent"] = 1
		}
		if ok, err := rootPasswordPresent(tx, acct); err != nil {
			return err
		} else if ok {
			m["AccountPasswordPresent"] = 1
		}
		devices, err := tx.MFADevices(acct)
		if err != nil {
			return err
		}
		var inUse int64
		for _, d := range devices {
			if !d.EnableDate.IsZero() {
				inUse++
				if d.UserID == "" {
					m["AccountMFAEnabled"] = 1
				}
			}
		}
		m["MFADevices"] = int64(len(devices))
		m["MFADevicesInUse"] = inUse
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	if v, err := s.STSPreferences(ctx, acct); err == nil && v == TokenVersion2 {
		m["GlobalEndpointTokenVersion"] = 2
	}
	return m, nil
}
