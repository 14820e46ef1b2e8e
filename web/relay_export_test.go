package web

// SessionTag is how a process names a session to the others.
var SessionTag = sessionTag
