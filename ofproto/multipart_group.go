package ofproto

import "fmt"

// GroupDescRequest asks for every group's definition.
type GroupDescRequest struct{ emptyBody }

// GroupDesc is one group as the switch holds it.
type GroupDesc struct {
	Type    GroupType
	GroupID uint32
	Buckets []Bucket
}

// GroupDescReply lists groups.
type GroupDescReply struct {
	Groups []GroupDesc
}

// GroupStatsRequest asks for the counters of GroupID (GroupAll for all).
type GroupStatsRequest struct {
	GroupID uint32
}

// BucketCounter counts what one bucket handled.
type BucketCounter struct {
	PacketCount uint64
	ByteCount   uint64
}

// GroupStats is one group's counters.
type GroupStats struct {
	GroupID      uint32
	RefCount     uint32
	PacketCount  uint64
	ByteCount    uint64
	DurationSec  uint32
	DurationNSec uint32
	Buckets      []BucketCounter
}

// GroupStatsReply lists group counters.
type GroupStatsReply struct {
	Groups []GroupStats
}

func (*GroupDescRequest) MultipartType() MultipartType  { return MultipartGroupDesc }
func (*GroupDescReply) MultipartType() MultipartType    { return MultipartGroupDesc }
func (*GroupStatsRequest) MultipartType() MultipartType { return MultipartGroup }
func (*GroupStatsReply) MultipartType() MultipartType   { return MultipartGroup }

func (m *GroupDescReply) AppendBody(b []byte) []byte {
	for i := range m.Groups {
		g := &m.Groups[i]
		start := len(b)
		b = ap16(b, 0)
		b = append(b, byte(g.Type), 0)
		b = ap32(b, g.GroupID)
		b = appendBuckets(b, g.Buckets)
		putLen16(b, start, start)
	}
	return b
}

func (m *GroupDescReply) DecodeBody(b []byte) error {
	const msg = "GROUP_DESC_REPLY"
	var groups []GroupDesc
	for pos := 0; pos < len(b); {
		off := multipartBodyBase + pos
		if err := need(msg, off, b[pos:], 8); err != nil {
			return err
		}
		l := int(u16(b[pos:]))
		if l < 8 || pos+l > len(b) {
			return decodeErr(msg, off, fmt.Sprintf("group desc length %d invalid with %d bytes left", l, len(b)-pos))
		}
		buckets, err := decodeBuckets(b[pos+8:pos+l], msg, off+8)
		if err != nil {
			return err
		}
		groups = append(groups, GroupDesc{Type: GroupType(b[pos+2]), GroupID: u32(b[pos+4:]), Buckets: buckets})
		pos += l
	}
	m.Groups = groups
	return nil
}

// String prints the group ovs-ofctl style.
func (g *GroupDesc) String() string {
	return fmt.Sprintf("group_id=%d,type=%s,%s", g.GroupID, g.Type, bucketsString(g.Buckets))
}

func (m *GroupStatsRequest) AppendBody(b []byte) []byte {
	b = ap32(b, m.GroupID)
	return apZeros(b, 4)
}

func (m *GroupStatsRequest) DecodeBody(b []byte) error {
	if err := exactLen("GROUP_STATS_REQUEST", multipartBodyBase, b, 8); err != nil {
		return err
	}
	m.GroupID = u32(b)
	return nil
}

const groupStatsFixedLen = 40

func (m *GroupStatsReply) AppendBody(b []byte) []byte {
	for i := range m.Groups {
		g := &m.Groups[i]
		start := len(b)
		b = ap16(b, 0)
		b = apZeros(b, 2)
		b = ap32(b, g.GroupID)
		b = ap32(b, g.RefCount)
		b = apZeros(b, 4)
		b = ap64(b, g.PacketCount)
		b = ap64(b, g.ByteCount)
		b = ap32(b, g.DurationSec)
		b = ap32(b, g.DurationNSec)
		for _, c := range g.Buckets {
			b = ap64(b, c.PacketCount)
			b = ap64(b, c.ByteCount)
		}
		putLen16(b, start, start)
	}
	return b
}

func (m *GroupStatsReply) DecodeBody(b []byte) error {
	const msg = "GROUP_STATS_REPLY"
	var groups []GroupStats
	for pos := 0; pos < len(b); {
		off := multipartBodyBase + pos
		if err := need(msg, off, b[pos:], groupStatsFixedLen); err != nil {
			return err
		}
		l := int(u16(b[pos:]))
		if l < groupStatsFixedLen || (l-groupStatsFixedLen)%16 != 0 || pos+l > len(b) {
			return decodeErr(msg, off, fmt.Sprintf("group stats length %d invalid with %d bytes left", l, len(b)-pos))
		}
		e := b[pos : pos+l]
		g := GroupStats{
			GroupID:      u32(e[4:]),
			RefCount:     u32(e[8:]),
			PacketCount:  u64(e[16:]),
			ByteCount:    u64(e[24:]),
			DurationSec:  u32(e[32:]),
			DurationNSec: u32(e[36:]),
		}
		for c := e[groupStatsFixedLen:]; len(c) > 0; c = c[16:] {
			g.Buckets = append(g.Buckets, BucketCounter{PacketCount: u64(c), ByteCount: u64(c[8:])})
		}
		groups = append(groups, g)
		pos += l
	}
	m.Groups = groups
	return nil
}
