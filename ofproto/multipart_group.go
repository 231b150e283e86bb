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
	err := eachRecord(msg, "group desc", b, 8, 0, 0, func(e []byte, off int) error {
		buckets, err := decodeBuckets(e[8:], msg, off+8)
		if err != nil {
			return err
		}
		groups = append(groups, GroupDesc{Type: GroupType(e[2]), GroupID: u32(e[4:]), Buckets: buckets})
		return nil
	})
	if err != nil {
		return err
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
	err := eachRecord(msg, "group stats", b, groupStatsFixedLen, 0, 16, func(e []byte, _ int) error {
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
		return nil
	})
	if err != nil {
		return err
	}
	m.Groups = groups
	return nil
}
