package controller

import (
	"time"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// timedStore measures every operation of the store it wraps.
type timedStore struct {
	store.Store
	m *Metrics
}

func (t timedStore) Load() (topology.State, error) {
	start := time.Now()
	st, err := t.Store.Load()
	t.observe("load", start, err)
	return st, err
}

func (t timedStore) Update(fn func(store.Tx) error) error {
	start := time.Now()
	err := t.Store.Update(fn)
	t.observe("update", start, err)
	return err
}

func (t timedStore) observe(op string, start time.Time, err error) {
	t.m.storeDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err != nil {
		t.m.storeErrors.WithLabelValues(op).Inc()
	}
}
