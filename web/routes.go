package web

// routes lists Switchboard's whole HTTP surface.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.recoverPanics, s.logRequests, s.securityHeaders)

	e.GET("/healthz", s.handleHealth)
	e.POST("/webhooks/zavu", s.handleWebhook)

	api := e.Group("/api/v1", s.requireToken)
	api.GET("/conversations", s.handleAPIConversations)
	api.GET("/conversations/:id", s.handleAPIConversation)
	api.GET("/conversations/:id/messages", s.handleAPIMessages)
	api.GET("/messages/:id", s.handleAPIMessage)
	api.GET("/events", s.handleAPIEvents)
}
