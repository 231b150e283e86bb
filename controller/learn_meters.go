package controller

import (
	"context"
	"fmt"
	"sort"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// Meters rate-limit what container ports may send to the controller (see
// policy.PuntMeterID). They are reconciled like groups: added before the
// flows that use them, deleted after.

type meterEntry struct {
	value string // encoded flags + bands
	mod   *ofproto.MeterMod
}

const punterMeterFlags = ofproto.MeterFlagPktps | ofproto.MeterFlagBurst | ofproto.MeterFlagStats

func meterMod(m policy.Meter) *ofproto.MeterMod {
	return &ofproto.MeterMod{Command: ofproto.MeterModAdd, Flags: punterMeterFlags, MeterID: m.ID,
		Bands: []ofproto.MeterBand{{Type: ofproto.MeterBandDrop, Rate: m.Rate, BurstSize: m.Burst}}}
}

func meterValue(flags uint16, bands []ofproto.MeterBand) string {
	return string(ofproto.Append(nil, 0, &ofproto.MeterMod{Flags: flags, Bands: bands}))
}

func (st *switchState) addDesiredMeters(ms []policy.Meter) {
	for _, m := range ms {
		mm := meterMod(m)
		st.meters[m.ID] = meterEntry{value: meterValue(mm.Flags, mm.Bands), mod: mm}
	}
}

func diffMeters(p *plan, cur, want *switchState) {
	for _, id := range sortedMeterIDs(want.meters) {
		w := want.meters[id]
		c, ok := cur.meters[id]
		switch {
		case !ok:
			p.meterAdds = append(p.meterAdds, w.mod)
		case c.value != w.value:
			m := *w.mod
			m.Command = ofproto.MeterModModify
			p.meterAdds = append(p.meterAdds, &m)
		}
	}
	for _, id := range sortedMeterIDs(cur.meters) {
		if _, ok := want.meters[id]; !ok {
			p.meterDeletes = append(p.meterDeletes, &ofproto.MeterMod{Command: ofproto.MeterModDelete, MeterID: id})
		}
	}
}

func sortedMeterIDs(m map[uint32]meterEntry) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// readMeters adds the switch's meters to st.
func (s *session) readMeters(ctx context.Context, st *switchState) error {
	replies, err := s.conn.Multipart(ctx, &ofproto.MultipartRequest{Body: &ofproto.MeterConfigRequest{MeterID: ofproto.MeterAll}})
	if err != nil {
		return fmt.Errorf("read meters: %w", err)
	}
	for _, r := range replies {
		mr, ok := r.Body.(*ofproto.MeterConfigReply)
		if !ok {
			return fmt.Errorf("unexpected multipart reply %T to METER_CONFIG", r.Body)
		}
		for _, m := range mr.Meters {
			st.meters[m.MeterID] = meterEntry{value: meterValue(m.Flags, m.Bands)}
		}
	}
	return nil
}
