package httpapi

// rolePolicyRoutes routes roles, managed and inline policies, attachments,
// permissions boundaries and instance profiles.
func (h *Handler) rolePolicyRoutes() map[string]operation {
	return map[string]operation{}
}
