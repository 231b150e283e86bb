package ofproto

import "fmt"

// newMultipartRequestBody returns an empty request body for t; types this
// package does not model come back as MultipartRaw.
func newMultipartRequestBody(t MultipartType) MultipartBody {
	switch t {
	case MultipartDesc:
		return &DescRequest{}
	case MultipartFlow:
		return &FlowStatsRequest{}
	case MultipartAggregate:
		return &AggregateStatsRequest{}
	case MultipartTable:
		return &TableStatsRequest{}
	case MultipartPortStats:
		return &PortStatsRequest{}
	case MultipartPortDesc:
		return &PortDescRequest{}
	case MultipartGroup:
		return &GroupStatsRequest{}
	case MultipartGroupDesc:
		return &GroupDescRequest{}
	case MultipartMeter:
		return &MeterStatsRequest{}
	case MultipartMeterConfig:
		return &MeterConfigRequest{}
	}
	return &MultipartRaw{MPType: t}
}

// newMultipartReplyBody returns an empty reply body for t; types this
// package does not model come back as MultipartRaw.
func newMultipartReplyBody(t MultipartType) MultipartBody {
	switch t {
	case MultipartDesc:
		return &DescReply{}
	case MultipartFlow:
		return &FlowStatsReply{}
	case MultipartAggregate:
		return &AggregateStatsReply{}
	case MultipartTable:
		return &TableStatsReply{}
	case MultipartPortStats:
		return &PortStatsReply{}
	case MultipartPortDesc:
		return &PortDescReply{}
	case MultipartGroup:
		return &GroupStatsReply{}
	case MultipartGroupDesc:
		return &GroupDescReply{}
	case MultipartMeter:
		return &MeterStatsReply{}
	case MultipartMeterConfig:
		return &MeterConfigReply{}
	}
	return &MultipartRaw{MPType: t}
}

// MergeMultipart appends the entries of next, a later part of the same
// multipart reply, to dst: the lists of flows, ports, groups, meters or
// tables are concatenated, raw bodies joined byte for byte. Parts of
// different types, or of types that are a single record (DESC, AGGREGATE),
// cannot be merged and yield an error without changing dst.
//
// A reply that came as several MULTIPART_REPLY messages is therefore read
// as: take the first part's Body, MergeMultipart each later part's Body
// into it.
func MergeMultipart(dst, next MultipartBody) error {
	if dst.MultipartType() != next.MultipartType() {
		return fmt.Errorf("ofproto: cannot merge multipart %s into %s", next.MultipartType(), dst.MultipartType())
	}
	switch d := dst.(type) {
	case *FlowStatsReply:
		if n, ok := next.(*FlowStatsReply); ok {
			d.Flows = append(d.Flows, n.Flows...)
			return nil
		}
	case *TableStatsReply:
		if n, ok := next.(*TableStatsReply); ok {
			d.Tables = append(d.Tables, n.Tables...)
			return nil
		}
	case *PortStatsReply:
		if n, ok := next.(*PortStatsReply); ok {
			d.Ports = append(d.Ports, n.Ports...)
			return nil
		}
	case *PortDescReply:
		if n, ok := next.(*PortDescReply); ok {
			d.Ports = append(d.Ports, n.Ports...)
			return nil
		}
	case *GroupDescReply:
		if n, ok := next.(*GroupDescReply); ok {
			d.Groups = append(d.Groups, n.Groups...)
			return nil
		}
	case *GroupStatsReply:
		if n, ok := next.(*GroupStatsReply); ok {
			d.Groups = append(d.Groups, n.Groups...)
			return nil
		}
	case *MeterStatsReply:
		if n, ok := next.(*MeterStatsReply); ok {
			d.Meters = append(d.Meters, n.Meters...)
			return nil
		}
	case *MeterConfigReply:
		if n, ok := next.(*MeterConfigReply); ok {
			d.Meters = append(d.Meters, n.Meters...)
			return nil
		}
	case *MultipartRaw:
		if n, ok := next.(*MultipartRaw); ok {
			// Copy so that the merged body never aliases either input.
			d.Data = append(append([]byte(nil), d.Data...), n.Data...)
			return nil
		}
	}
	return fmt.Errorf("ofproto: multipart %s bodies of kinds %T and %T cannot be merged", dst.MultipartType(), dst, next)
}
