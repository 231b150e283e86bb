package ofproto

import (
	"fmt"
	"strings"
)

// GroupModCommand is what a GROUP_MOD does.
type GroupModCommand uint16

// Group-mod commands.
const (
	GroupModAdd    GroupModCommand = 0
	GroupModModify GroupModCommand = 1
	GroupModDelete GroupModCommand = 2
)

// GroupType is the kind of group (ofp_group_type).
type GroupType uint8

// Group types.
const (
	GroupTypeAll      GroupType = 0 // every bucket (flooding)
	GroupTypeSelect   GroupType = 1 // one bucket, chosen by the switch
	GroupTypeIndirect GroupType = 2 // the single bucket
	GroupTypeFF       GroupType = 3 // the first live bucket (fast failover)
)

func (t GroupType) String() string {
	switch t {
	case GroupTypeAll:
		return "all"
	case GroupTypeSelect:
		return "select"
	case GroupTypeIndirect:
		return "indirect"
	case GroupTypeFF:
		return "ff"
	}
	return fmt.Sprintf("type%d", uint8(t))
}

// Bucket is one action list of a group. WatchPort/WatchGroup matter only
// to fast-failover groups (PortAny/GroupAny otherwise); Weight only to
// select groups.
type Bucket struct {
	Weight     uint16
	WatchPort  uint32
	WatchGroup uint32
	Actions    []Action
}

// GroupMod adds, changes or removes a group. The group type field is
// named GroupType because Type() is the Message method.
type GroupMod struct {
	Command   GroupModCommand
	GroupType GroupType
	GroupID   uint32
	Buckets   []Bucket
}

func (*GroupMod) Type() Type { return TypeGroupMod }

func (m *GroupMod) AppendBody(b []byte) []byte {
	b = ap16(b, uint16(m.Command))
	b = append(b, byte(m.GroupType), 0)
	b = ap32(b, m.GroupID)
	return appendBuckets(b, m.Buckets)
}

func (m *GroupMod) DecodeBody(b []byte) error {
	const msg = "GROUP_MOD"
	if err := need(msg, HeaderLen, b, 8); err != nil {
		return err
	}
	buckets, err := decodeBuckets(b[8:], msg, HeaderLen+8)
	if err != nil {
		return err
	}
	*m = GroupMod{Command: GroupModCommand(u16(b)), GroupType: GroupType(b[2]), GroupID: u32(b[4:]), Buckets: buckets}
	return nil
}

// String prints the group ovs-ofctl style:
// "group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2".
func (m *GroupMod) String() string {
	return fmt.Sprintf("group_id=%d,type=%s,%s", m.GroupID, m.GroupType, bucketsString(m.Buckets))
}

const bucketFixedLen = 16

func appendBuckets(b []byte, buckets []Bucket) []byte {
	for i := range buckets {
		bk := &buckets[i]
		start := len(b)
		b = ap16(b, 0)
		b = ap16(b, bk.Weight)
		b = ap32(b, bk.WatchPort)
		b = ap32(b, bk.WatchGroup)
		b = apZeros(b, 4)
		b = appendActions(b, bk.Actions)
		putLen16(b, start, start)
	}
	return b
}

func decodeBuckets(b []byte, msg string, off int) ([]Bucket, error) {
	var buckets []Bucket
	for pos := 0; pos < len(b); {
		if err := need(msg, off+pos, b[pos:], bucketFixedLen); err != nil {
			return nil, err
		}
		l := int(u16(b[pos:]))
		if l < bucketFixedLen || l%8 != 0 || pos+l > len(b) {
			return nil, decodeErr(msg, off+pos, fmt.Sprintf("bucket length %d invalid with %d bytes left", l, len(b)-pos))
		}
		actions, err := decodeActions(b[pos+bucketFixedLen:pos+l], msg, off+pos+bucketFixedLen)
		if err != nil {
			return nil, err
		}
		buckets = append(buckets, Bucket{
			Weight:     u16(b[pos+2:]),
			WatchPort:  u32(b[pos+4:]),
			WatchGroup: u32(b[pos+8:]),
			Actions:    actions,
		})
		pos += l
	}
	return buckets, nil
}

func bucketsString(buckets []Bucket) string {
	var sb strings.Builder
	for i, bk := range buckets {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("bucket=")
		if bk.Weight != 0 {
			fmt.Fprintf(&sb, "weight:%d,", bk.Weight)
		}
		if bk.WatchPort != PortAny {
			fmt.Fprintf(&sb, "watch_port:%s,", PortString(bk.WatchPort))
		}
		if bk.WatchGroup != GroupAny {
			fmt.Fprintf(&sb, "watch_group:%d,", bk.WatchGroup)
		}
		sb.WriteString("actions=" + ActionsString(bk.Actions))
	}
	return sb.String()
}
