package web

// SessionTag is how a process names a session to the others.
var SessionTag = sessionTag

// PageElsewhere reports whether the server counts the user as having a
// live page on another process.
func (s *Server) PageElsewhere(userID int64) bool { return s.hub.pageElsewhere(userID) }
