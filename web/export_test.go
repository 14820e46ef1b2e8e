package web

// RefuseSpecial is the media dialer's address check, for table tests.
var RefuseSpecial = refuseSpecial
