package httpapi

// passwordMFARoutes routes login profiles, the account password policy and
// MFA devices.
func (h *Handler) passwordMFARoutes() map[string]operation {
	return map[string]operation{}
}
