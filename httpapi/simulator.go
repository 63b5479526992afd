package httpapi

// simulatorRoutes routes the policy simulator and context-key operations.
func (h *Handler) simulatorRoutes() map[string]operation {
	return map[string]operation{}
}
