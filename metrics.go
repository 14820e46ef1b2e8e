package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"switchboard/store"
	"switchboard/web"
)

// newMetrics creates the server's metrics in a registry of their own and
// has the store report its commits to them.
func newMetrics(db *store.DB) *web.Metrics {
	m := web.NewMetrics(prometheus.NewRegistry())
	db.ObserveCommits(func(c store.Commit) { m.ObserveCommit(string(c.Kind), c.Size, c.Took) })
	return m
}
