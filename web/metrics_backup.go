package web

import "github.com/prometheus/client_golang/prometheus"

// backupCollector shows the scheduled backups at each scrape, from the
// upkeep's memory (no query).
type backupCollector struct{ s *Server }

var (
	backupAgeDesc = prometheus.NewDesc("switchboard_backup_age_seconds",
		"Time since the start of the latest backup that succeeded (scheduled or asked for in Admin); absent before the first.", nil, nil)
	backupSizeDesc = prometheus.NewDesc("switchboard_backup_size_bytes",
		"Size of the latest backup that succeeded.", nil, nil)
	backupFailedDesc = prometheus.NewDesc("switchboard_backup_last_failed",
		"1 when the last backup failed, 0 when it succeeded.", nil, nil)
)

func (b *backupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backupAgeDesc
	ch <- backupSizeDesc
	ch <- backupFailedDesc
}

func (b *backupCollector) Collect(ch chan<- prometheus.Metric) {
	r, ok := b.s.upkeep.LatestBackup()
	if !ok {
		return
	}
	failed := 0.0
	if !r.OK() {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(backupFailedDesc, prometheus.GaugeValue, failed)
	if r.LastGood.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(backupAgeDesc, prometheus.GaugeValue, b.s.now().Sub(r.LastGood).Seconds())
	if r.OK() {
		ch <- prometheus.MustNewConstMetric(backupSizeDesc, prometheus.GaugeValue, float64(r.Size))
	}
}
