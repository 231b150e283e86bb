package controller

import (
	"context"
	"errors"

	"github.com/lorispack/loris/ofproto"
)

// bundleMinMessages is the plan size from which flows and groups go to
// the switch as one bundle: the switch commits it in one pass and the
// round needs one barrier, where single messages cost OVS a flow-table
// update each. Small plans (one attachment's change) gain nothing from
// the two extra round trips of a bundle.
const bundleMinMessages = 1000

// applyBundled sends the plan's group adds, flows and group deletes as one
// atomic, ordered bundle, between the meter steps (OVS takes no meters in
// bundles). It reports false, having changed nothing, if the switch
// refused the bundle: the caller then applies the plan step by step, and
// this session no longer tries bundles.
func (s *session) applyBundled(ctx context.Context, p *plan) (bool, error) {
	if len(p.meterAdds) > 0 {
		if err := s.conn.Apply(ctx, p.meterAdds); err != nil {
			return false, err
		}
	}
	msgs := make([]ofproto.Message, 0, len(p.groupAdds)+len(p.flows)+len(p.groupDeletes))
	msgs = append(append(append(msgs, p.groupAdds...), p.flows...), p.groupDeletes...)
	err := s.conn.ApplyBundle(ctx, msgs)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ofproto.ErrClosed) || s.conn.Err() != nil {
			return false, err
		}
		// Nothing of the bundle took effect. If the switch rejected some
		// of its messages, step by step reports them as usual; if it
		// refused bundles as such, stop trying them on this switch.
		var batch *ofproto.BatchError
		if !errors.As(err, &batch) {
			s.noBundles.Store(true)
			if s.log != nil {
				s.log.Warn("switch refused a bundle; applying step by step from now on", "err", err)
			}
		}
		p.meterAdds = nil // added above
		return false, nil
	}
	if len(p.meterDeletes) > 0 {
		if err := s.conn.Apply(ctx, p.meterDeletes); err != nil {
			return false, err
		}
	}
	return true, nil
}
