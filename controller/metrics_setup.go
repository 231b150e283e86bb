package controller

import "github.com/prometheus/client_golang/prometheus"

// setupMetrics gives cfg a registry if it has none, creates the metrics on
// it and wraps the store so its operations are timed. It runs before the
// state is loaded so that the load is measured too.
//
// A registry serves one controller: registering a second controller's
// metrics on it panics on the duplicate names.
func setupMetrics(cfg *Config) *Metrics {
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	m := newMetrics(cfg.Registry, cfg.Version)
	cfg.Store = timedStore{Store: cfg.Store, m: m}
	return m
}

// Metrics returns the controller's metrics, for code that records events
// (MAC learning) and for tests.
func (c *Controller) Metrics() *Metrics { return c.metrics }

// observe registers the collector that reads c's state at scrape time and
// creates the per-pod series of the loaded model.
func (m *Metrics) observe(c *Controller) {
	m.reg.MustRegister(stateCollector{c})
	m.modelChanged(c.snap)
}
