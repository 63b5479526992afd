package httpapi

import (
	"github.com/iamd/iamd/awsquery"
	"github.com/iamd/iamd/iam"
)

// providerCredentialRoutes routes federation providers, SSH keys,
// certificates, service-specific credentials and account aliases.
func (h *Handler) providerCredentialRoutes() map[string]operation {
	return map[string]operation{
		"CreateOpenIDConnectProvider":             h.createOIDCProvider,
		"GetOpenIDConnectProvider":                h.getOIDCProvider,
		"ListOpenIDConnectProviders":              h.listOIDCProviders,
		"DeleteOpenIDConnectProvider":             h.deleteOIDCProvider,
		"AddClientIDToOpenIDConnectProvider":      h.addClientIDToOIDCProvider,
		"RemoveClientIDFromOpenIDConnectProvider": h.removeClientIDFromOIDCProvider,
		"UpdateOpenIDConnectProviderThumbprint":   h.updateOIDCProviderThumbprint,
		"TagOpenIDConnectProvider":                h.tagOIDCProvider,
		"UntagOpenIDConnectProvider":              h.untagOIDCProvider,
		"ListOpenIDConnectProviderTags":           h.listOIDCProviderTags,

		"CreateSAMLProvider":   h.createSAMLProvider,
		"GetSAMLProvider":      h.getSAMLProvider,
		"UpdateSAMLProvider":   h.updateSAMLProvider,
		"DeleteSAMLProvider":   h.deleteSAMLProvider,
		"ListSAMLProviders":    h.listSAMLProviders,
		"TagSAMLProvider":      h.tagSAMLProvider,
		"UntagSAMLProvider":    h.untagSAMLProvider,
		"ListSAMLProviderTags": h.listSAMLProviderTags,

		"UploadSSHPublicKey": h.uploadSSHPublicKey,
		"GetSSHPublicKey":    h.getSSHPublicKey,
		"ListSSHPublicKeys":  h.listSSHPublicKeys,
		"UpdateSSHPublicKey": h.updateSSHPublicKey,
		"DeleteSSHPublicKey": h.deleteSSHPublicKey,

		"UploadSigningCertificate": h.uploadSigningCertificate,
		"ListSigningCertificates":  h.listSigningCertificates,
		"UpdateSigningCertificate": h.updateSigningCertificate,
		"DeleteSigningCertificate": h.deleteSigningCertificate,

		"UploadServerCertificate":   h.uploadServerCertificate,
		"GetServerCertificate":      h.getServerCertificate,
		"ListServerCertificates":    h.listServerCertificates,
		"UpdateServerCertificate":   h.updateServerCertificate,
		"DeleteServerCertificate":   h.deleteServerCertificate,
		"TagServerCertificate":      h.tagServerCertificate,
		"UntagServerCertificate":    h.untagServerCertificate,
		"ListServerCertificateTags": h.listServerCertificateTags,

		"CreateServiceSpecificCredential": h.createServiceCredential,
		"ListServiceSpecificCredentials":  h.listServiceCredentials,
		"ResetServiceSpecificCredential":  h.resetServiceCredential,
		"UpdateServiceSpecificCredential": h.updateServiceCredential,
		"DeleteServiceSpecificCredential": h.deleteServiceCredential,

		"CreateAccountAlias":                 h.createAccountAlias,
		"DeleteAccountAlias":                 h.deleteAccountAlias,
		"ListAccountAliases":                 h.listAccountAliases,
		"SetSecurityTokenServicePreferences": h.setSTSPreferences,
	}
}

func tagPageOut(p iam.Page[iam.Tag]) awsquery.Struct {
	return pageOut(awsquery.Struct{}, "Tags", p, func(t iam.Tag) awsquery.Struct {
		return awsquery.Struct{"Key": t.Key, "Value": t.Value}
	})
}

func withTags(s awsquery.Struct, tags []iam.Tag) awsquery.Struct {
	if len(tags) > 0 {
		s["Tags"] = tagsOut(tags)
	}
	return s
}

func stringsOut(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// OpenID Connect providers.

func (h *Handler) createOIDCProvider(c *call) (awsquery.Struct, error) {
	p, err := h.svc.CreateOIDCProvider(c.ctx, c.principal, iam.CreateOIDCProviderInput{
		URL:         str(c.in, "Url"),
		ClientIDs:   stringsIn(c.in, "ClientIDList"),
		Thumbprints: stringsIn(c.in, "ThumbprintList"),
		Tags:        tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return withTags(awsquery.Struct{"OpenIDConnectProviderArn": p.ARN()}, p.Tags), nil
}

func (h *Handler) getOIDCProvider(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"))
	if err != nil {
		return nil, err
	}
	return withTags(awsquery.Struct{
		"Url":            p.URL,
		"ClientIDList":   stringsOut(p.ClientIDs),
		"ThumbprintList": stringsOut(p.Thumbprints),
		"CreateDate":     p.CreateDate,
	}, p.Tags), nil
}

func (h *Handler) listOIDCProviders(c *call) (awsquery.Struct, error) {
	ps, err := h.svc.ListOIDCProviders(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	list := make([]any, len(ps))
	for i, p := range ps {
		list[i] = awsquery.Struct{"Arn": p.ARN()}
	}
	return awsquery.Struct{"OpenIDConnectProviderList": list}, nil
}

func (h *Handler) deleteOIDCProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"))
}

func (h *Handler) addClientIDToOIDCProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.AddClientIDToOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), str(c.in, "ClientID"))
}

func (h *Handler) removeClientIDFromOIDCProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.RemoveClientIDFromOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), str(c.in, "ClientID"))
}

func (h *Handler) updateOIDCProviderThumbprint(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateOIDCProviderThumbprint(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), stringsIn(c.in, "ThumbprintList"))
}

func (h *Handler) tagOIDCProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagOIDCProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagOIDCProvider(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listOIDCProviderTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListOIDCProviderTags(c.ctx, c.principal, str(c.in, "OpenIDConnectProviderArn"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return tagPageOut(p), nil
}

// SAML providers.

func (h *Handler) createSAMLProvider(c *call) (awsquery.Struct, error) {
	p, err := h.svc.CreateSAMLProvider(c.ctx, c.principal, iam.CreateSAMLProviderInput{
		Name:                    str(c.in, "Name"),
		Metadata:                str(c.in, "SAMLMetadataDocument"),
		Tags:                    tagsIn(c.in, "Tags"),
		AssertionEncryptionMode: str(c.in, "AssertionEncryptionMode"),
		AddPrivateKey:           str(c.in, "AddPrivateKey"),
	})
	if err != nil {
		return nil, err
	}
	return withTags(awsquery.Struct{"SAMLProviderArn": p.ARN()}, p.Tags), nil
}

func (h *Handler) getSAMLProvider(c *call) (awsquery.Struct, error) {
	p, err := h.svc.GetSAMLProvider(c.ctx, c.principal, str(c.in, "SAMLProviderArn"))
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{
		"SAMLProviderUUID":     p.ID,
		"SAMLMetadataDocument": p.Metadata,
		"CreateDate":           p.CreateDate,
		"ValidUntil":           p.ValidUntil,
	}
	if p.AssertionEncryptionMode != "" {
		out["AssertionEncryptionMode"] = p.AssertionEncryptionMode
	}
	return withTags(out, p.Tags), nil
}

func (h *Handler) updateSAMLProvider(c *call) (awsquery.Struct, error) {
	p, err := h.svc.UpdateSAMLProvider(c.ctx, c.principal, iam.UpdateSAMLProviderInput{
		ARN:                     str(c.in, "SAMLProviderArn"),
		Metadata:                str(c.in, "SAMLMetadataDocument"),
		AssertionEncryptionMode: str(c.in, "AssertionEncryptionMode"),
		AddPrivateKey:           str(c.in, "AddPrivateKey"),
		RemovePrivateKey:        str(c.in, "RemovePrivateKey"),
	})
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"SAMLProviderArn": p.ARN()}, nil
}

func (h *Handler) deleteSAMLProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteSAMLProvider(c.ctx, c.principal, str(c.in, "SAMLProviderArn"))
}

func (h *Handler) listSAMLProviders(c *call) (awsquery.Struct, error) {
	ps, err := h.svc.ListSAMLProviders(c.ctx, c.principal)
	if err != nil {
		return nil, err
	}
	list := make([]any, len(ps))
	for i, p := range ps {
		list[i] = awsquery.Struct{"Arn": p.ARN(), "ValidUntil": p.ValidUntil, "CreateDate": p.CreateDate}
	}
	return awsquery.Struct{"SAMLProviderList": list}, nil
}

func (h *Handler) tagSAMLProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagSAMLProvider(c.ctx, c.principal, str(c.in, "SAMLProviderArn"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagSAMLProvider(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagSAMLProvider(c.ctx, c.principal, str(c.in, "SAMLProviderArn"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listSAMLProviderTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListSAMLProviderTags(c.ctx, c.principal, str(c.in, "SAMLProviderArn"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return tagPageOut(p), nil
}

// SSH public keys.

func sshKeyOut(r *iam.SSHKeyResult) awsquery.Struct {
	return awsquery.Struct{
		"UserName":         r.UserName,
		"SSHPublicKeyId":   r.Key.ID,
		"Fingerprint":      r.Key.Fingerprint,
		"SSHPublicKeyBody": r.Key.Body,
		"Status":           r.Key.Status,
		"UploadDate":       r.Key.UploadDate,
	}
}

func (h *Handler) uploadSSHPublicKey(c *call) (awsquery.Struct, error) {
	r, err := h.svc.UploadSSHPublicKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SSHPublicKeyBody"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"SSHPublicKey": sshKeyOut(r)}, nil
}

func (h *Handler) getSSHPublicKey(c *call) (awsquery.Struct, error) {
	r, err := h.svc.GetSSHPublicKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SSHPublicKeyId"), str(c.in, "Encoding"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"SSHPublicKey": sshKeyOut(r)}, nil
}

func (h *Handler) listSSHPublicKeys(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListSSHPublicKeys(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "SSHPublicKeys", p, func(r *iam.SSHKeyResult) awsquery.Struct {
		return awsquery.Struct{
			"UserName":       r.UserName,
			"SSHPublicKeyId": r.Key.ID,
			"Status":         r.Key.Status,
			"UploadDate":     r.Key.UploadDate,
		}
	}), nil
}

func (h *Handler) updateSSHPublicKey(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateSSHPublicKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SSHPublicKeyId"), str(c.in, "Status"))
}

func (h *Handler) deleteSSHPublicKey(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteSSHPublicKey(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "SSHPublicKeyId"))
}

// Signing certificates.

func signingCertOut(r *iam.SigningCertResult, ownerFallback string) awsquery.Struct {
	name := r.UserName
	if name == "" {
		// The model requires UserName; for the root user AWS reports the
		// account ID there.
		name = ownerFallback
	}
	return awsquery.Struct{
		"UserName":        name,
		"CertificateId":   r.Cert.ID,
		"CertificateBody": r.Cert.Body,
		"Status":          r.Cert.Status,
		"UploadDate":      r.Cert.UploadDate,
	}
}

func (h *Handler) uploadSigningCertificate(c *call) (awsquery.Struct, error) {
	r, err := h.svc.UploadSigningCertificate(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "CertificateBody"))
	if err != nil {
		return nil, err
	}
	return awsquery.Struct{"Certificate": signingCertOut(r, c.principal.AccountID)}, nil
}

func (h *Handler) listSigningCertificates(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListSigningCertificates(c.ctx, c.principal, str(c.in, "UserName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "Certificates", p, func(r *iam.SigningCertResult) awsquery.Struct {
		return signingCertOut(r, c.principal.AccountID)
	}), nil
}

func (h *Handler) updateSigningCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateSigningCertificate(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "CertificateId"), str(c.in, "Status"))
}

func (h *Handler) deleteSigningCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteSigningCertificate(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "CertificateId"))
}

// Server certificates.

func serverCertMetadataOut(sc *iam.ServerCertificate) awsquery.Struct {
	return awsquery.Struct{
		"Path":                  sc.Path,
		"ServerCertificateName": sc.Name,
		"ServerCertificateId":   sc.ID,
		"Arn":                   sc.ARN(),
		"UploadDate":            sc.UploadDate,
		"Expiration":            sc.Expiration,
	}
}

func (h *Handler) uploadServerCertificate(c *call) (awsquery.Struct, error) {
	sc, err := h.svc.UploadServerCertificate(c.ctx, c.principal, iam.UploadServerCertificateInput{
		Path:       str(c.in, "Path"),
		Name:       str(c.in, "ServerCertificateName"),
		Body:       str(c.in, "CertificateBody"),
		PrivateKey: str(c.in, "PrivateKey"),
		Chain:      str(c.in, "CertificateChain"),
		Tags:       tagsIn(c.in, "Tags"),
	})
	if err != nil {
		return nil, err
	}
	return withTags(awsquery.Struct{"ServerCertificateMetadata": serverCertMetadataOut(sc)}, sc.Tags), nil
}

func (h *Handler) getServerCertificate(c *call) (awsquery.Struct, error) {
	sc, err := h.svc.GetServerCertificate(c.ctx, c.principal, str(c.in, "ServerCertificateName"))
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{
		"ServerCertificateMetadata": serverCertMetadataOut(sc),
		"CertificateBody":           sc.Body,
	}
	if sc.Chain != "" {
		out["CertificateChain"] = sc.Chain
	}
	return awsquery.Struct{"ServerCertificate": withTags(out, sc.Tags)}, nil
}

func (h *Handler) listServerCertificates(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListServerCertificates(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	return pageOut(awsquery.Struct{}, "ServerCertificateMetadataList", p, serverCertMetadataOut), nil
}

func (h *Handler) updateServerCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateServerCertificate(c.ctx, c.principal, str(c.in, "ServerCertificateName"),
		optStr(c.in, "NewPath"), optStr(c.in, "NewServerCertificateName"))
}

func (h *Handler) deleteServerCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteServerCertificate(c.ctx, c.principal, str(c.in, "ServerCertificateName"))
}

func (h *Handler) tagServerCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.TagServerCertificate(c.ctx, c.principal, str(c.in, "ServerCertificateName"), tagsIn(c.in, "Tags"))
}

func (h *Handler) untagServerCertificate(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UntagServerCertificate(c.ctx, c.principal, str(c.in, "ServerCertificateName"), stringsIn(c.in, "TagKeys"))
}

func (h *Handler) listServerCertificateTags(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListServerCertificateTags(c.ctx, c.principal, str(c.in, "ServerCertificateName"), listInput(c.in))
	if err != nil {
		return nil, err
	}
	return tagPageOut(p), nil
}

// Service-specific credentials.

func serviceCredOut(cr *iam.ServiceCredential, userName string, apiKey bool) awsquery.Struct {
	s := awsquery.Struct{
		"CreateDate":                  cr.CreateDate,
		"ServiceName":                 cr.ServiceName,
		"ServiceSpecificCredentialId": cr.ID,
		"UserName":                    userName,
		"Status":                      cr.Status,
	}
	if apiKey {
		s["ServiceCredentialAlias"] = cr.UserName
	} else {
		s["ServiceUserName"] = cr.UserName
	}
	if !cr.ExpirationDate.IsZero() {
		s["ExpirationDate"] = cr.ExpirationDate
	}
	return s
}

func newServiceCredOut(n *iam.NewServiceCredential) awsquery.Struct {
	s := serviceCredOut(n.Cred, n.UserName, n.APIKey)
	if n.APIKey {
		s["ServiceCredentialSecret"] = n.Password
	} else {
		s["ServicePassword"] = n.Password
	}
	return awsquery.Struct{"ServiceSpecificCredential": s}
}

func (h *Handler) createServiceCredential(c *call) (awsquery.Struct, error) {
	n, err := h.svc.CreateServiceCredential(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "ServiceName"), integer(c.in, "CredentialAgeDays"))
	if err != nil {
		return nil, err
	}
	return newServiceCredOut(n), nil
}

func (h *Handler) listServiceCredentials(c *call) (awsquery.Struct, error) {
	all, _ := c.in["AllUsers"].(bool)
	p, err := h.svc.ListServiceCredentials(c.ctx, c.principal, iam.ListServiceCredentialsInput{
		UserName:    str(c.in, "UserName"),
		ServiceName: str(c.in, "ServiceName"),
		AllUsers:    all,
		ListInput:   listInput(c.in),
	})
	if err != nil {
		return nil, err
	}
	now := h.now()
	return pageOut(awsquery.Struct{}, "ServiceSpecificCredentials", p, func(r *iam.ServiceCredentialResult) awsquery.Struct {
		s := serviceCredOut(r.Cred, r.UserName, r.APIKey)
		s["Status"] = r.Cred.StatusAt(now)
		return s
	}), nil
}

func (h *Handler) resetServiceCredential(c *call) (awsquery.Struct, error) {
	n, err := h.svc.ResetServiceCredential(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "ServiceSpecificCredentialId"))
	if err != nil {
		return nil, err
	}
	return newServiceCredOut(n), nil
}

func (h *Handler) updateServiceCredential(c *call) (awsquery.Struct, error) {
	return nil, h.svc.UpdateServiceCredential(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "ServiceSpecificCredentialId"), str(c.in, "Status"))
}

func (h *Handler) deleteServiceCredential(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteServiceCredential(c.ctx, c.principal, str(c.in, "UserName"), str(c.in, "ServiceSpecificCredentialId"))
}

// Account.

func (h *Handler) createAccountAlias(c *call) (awsquery.Struct, error) {
	return nil, h.svc.CreateAccountAlias(c.ctx, c.principal, str(c.in, "AccountAlias"))
}

func (h *Handler) deleteAccountAlias(c *call) (awsquery.Struct, error) {
	return nil, h.svc.DeleteAccountAlias(c.ctx, c.principal, str(c.in, "AccountAlias"))
}

func (h *Handler) listAccountAliases(c *call) (awsquery.Struct, error) {
	p, err := h.svc.ListAccountAliases(c.ctx, c.principal, listInput(c.in))
	if err != nil {
		return nil, err
	}
	out := awsquery.Struct{"AccountAliases": stringsOut(p.Items), "IsTruncated": p.IsTruncated}
	if p.IsTruncated {
		out["Marker"] = p.Marker
	}
	return out, nil
}

func (h *Handler) setSTSPreferences(c *call) (awsquery.Struct, error) {
	return nil, h.svc.SetSTSPreferences(c.ctx, c.principal, str(c.in, "GlobalEndpointTokenVersion"))
}
