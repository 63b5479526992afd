package httpapi

// providerCredentialRoutes routes federation providers, SSH keys,
// certificates, service-specific credentials and account aliases.
func (h *Handler) providerCredentialRoutes() map[string]operation {
	return map[string]operation{}
}
