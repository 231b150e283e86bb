package ofproto

import (
	"net"
	"net/netip"
)

// codecSample is one message used by the round-trip, golden and fuzz
// tests. Every message type the package models appears at least once.
type codecSample struct {
	name string
	msg  Message
}

func mac(s string) net.HardwareAddr {
	a, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return a
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// sampleMatch uses a mix of exact, masked, basic and Nicira fields.
func sampleMatch() Match {
	return Match{Fields: []OXM{
		InPort(3),
		EthDst(mac("02:00:00:00:00:01")),
		EthType(EthTypeIPv4),
		IPv4SrcPrefix(netip.MustParsePrefix("10.244.1.0/24")),
		TunnelID(100),
		MetadataMasked(0x5, 0xff),
		Reg(2, 7),
	}}
}

func codecSamples() []codecSample {
	flowMod := &FlowMod{
		Cookie: 0x1234, TableID: 1, Command: FlowModAdd, IdleTimeout: 0, HardTimeout: 0,
		Priority: 100, BufferID: BufferNone, OutPort: PortAny, OutGroup: GroupAny,
		Flags: FlowFlagSendFlowRem,
		Match: sampleMatch(),
		Instructions: []Instruction{
			InstructionApplyActions{Actions: []Action{
				ActionSetField{Field: TunnelID(100)},
				ActionSetField{Field: TunIPv4Dst(ip("198.18.0.2"))},
				ActionOutput{Port: 10},
			}},
			InstructionWriteMetadata{Metadata: 0x1, Mask: 0xff},
			InstructionGotoTable{TableID: 2},
		},
	}
	buckets := []Bucket{
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{ActionOutput{Port: 1}}},
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: []Action{
			ActionSetField{Field: TunIPv4Dst(ip("198.18.0.3"))}, ActionOutput{Port: 2}}},
	}
	port := Port{PortNo: 1, HWAddr: [6]byte{2, 0, 0, 0, 0, 9}, Name: "veth-c1",
		State: PortStateLive, Curr: 0x802, Advertised: 0, Supported: 0, Peer: 0, CurrSpeed: 10000000, MaxSpeed: 0}
	return []codecSample{
		{"hello", &Hello{Versions: []uint8{Version}}},
		{"error_bad_match", &ErrorMsg{ErrType: ErrTypeBadMatch, Code: ErrCodeBadMatchBadField,
			Data: Append(nil, 7, &FeaturesRequest{})}},
		{"echo_request", &EchoRequest{Data: []byte("ping")}},
		{"experimenter", &Experimenter{Experimenter: 0x00002320, ExpType: 99, Data: []byte{1, 2, 3, 4}}},
		{"features_request", &FeaturesRequest{}},
		{"features_reply", &FeaturesReply{DatapathID: 0x0000020000000001, NBuffers: 0, NTables: 254,
			Capabilities: CapFlowStats | CapTableStats | CapPortStats | CapGroupStats}},
		{"get_config_request", &GetConfigRequest{}},
		{"get_config_reply", &GetConfigReply{Flags: ConfigFragNormal, MissSendLen: 128}},
		{"set_config", &SetConfig{Flags: ConfigFragNormal, MissSendLen: ControllerMaxLenNoBuffer}},
		{"packet_in", &PacketIn{BufferID: BufferNone, TotalLen: 14, Reason: PacketInReasonAction, TableID: 3,
			Cookie: 0xabc, Match: Match{Fields: []OXM{InPort(2), TunnelID(100)}},
			Data: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06}}},
		{"flow_removed", &FlowRemoved{Cookie: 0x77, Priority: 10, Reason: FlowRemovedIdleTimeout, TableID: 0,
			DurationSec: 5, DurationNSec: 1000, IdleTimeout: 5, PacketCount: 3, ByteCount: 180,
			Match: Match{Fields: []OXM{InPort(1)}}}},
		{"port_status", &PortStatus{Reason: PortReasonAdd, Port: port}},
		{"packet_out", &PacketOut{BufferID: BufferNone, InPort: PortController,
			Actions: []Action{ActionOutput{Port: 4, MaxLen: 0}},
			Data:    []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00}}},
		{"flow_mod", flowMod},
		{"flow_mod_delete", &FlowMod{Cookie: 0x100, CookieMask: 0xff00, TableID: TableAll, Command: FlowModDelete,
			BufferID: BufferNone, OutPort: PortAny, OutGroup: GroupAny}},
		{"flow_mod_actions", &FlowMod{TableID: 0, Command: FlowModAdd, Priority: 5, BufferID: BufferNone,
			OutPort: PortAny, OutGroup: GroupAny,
			Match: Match{Fields: []OXM{VlanVID(VlanPresent | 10), EthSrcMasked(mac("02:00:00:00:00:00"), mac("ff:00:00:00:00:00"))}},
			Instructions: []Instruction{
				InstructionMeter{MeterID: 1},
				InstructionApplyActions{Actions: []Action{ActionPopVLAN{}, ActionPushVLAN{EtherType: EthTypeVLAN},
					ActionSetField{Field: VlanVID(VlanPresent | 20)}, ActionSetQueue{QueueID: 1},
					ActionGroup{GroupID: 7}}},
				InstructionClearActions{},
				InstructionWriteActions{Actions: []Action{ActionOutput{Port: PortController, MaxLen: ControllerMaxLenNoBuffer}}},
			}}},
		{"flow_mod_l3", &FlowMod{TableID: 0, Command: FlowModAdd, Priority: 7, BufferID: BufferNone,
			OutPort: PortAny, OutGroup: GroupAny,
			Match: Match{Fields: []OXM{EthType(EthTypeIPv4), IPProto(6), IPv4Dst(ip("10.244.0.5")), TCPDst(80),
				IPDSCP(10), IPECN(1)}},
			Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionDecNwTTL{}, ActionOutput{Port: PortNormal}}}}}},
		{"flow_mod_arp", &FlowMod{TableID: 0, Command: FlowModAdd, Priority: 7, BufferID: BufferNone,
			OutPort: PortAny, OutGroup: GroupAny,
			Match: Match{Fields: []OXM{EthType(EthTypeARP), ArpOp(1), ArpTPA(ip("10.244.0.1")),
				ArpSPAMasked(ip("10.244.0.0"), ip("255.255.0.0")), ArpSHA(mac("02:00:00:00:00:07"))}},
			Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionOutput{Port: PortController, MaxLen: 128}}}}}},
		{"flow_mod_ipv6", &FlowMod{TableID: 0, Command: FlowModAdd, Priority: 7, BufferID: BufferNone,
			OutPort: PortAny, OutGroup: GroupAny,
			Match: Match{Fields: []OXM{EthType(EthTypeIPv6), IPv6Src(ip("fd00::1")),
				IPv6DstMasked(ip("fd00::"), ip("ffff:ffff::")), IPProto(58), ICMPv6Type(135), IPv6NDTarget(ip("fd00::2"))}},
			Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionOutput{Port: 1}}}}}},
		{"flow_mod_nicira", &FlowMod{TableID: 0, Command: FlowModAdd, Priority: 9, BufferID: BufferNone,
			OutPort: PortAny, OutGroup: GroupAny,
			Match: Match{Fields: []OXM{InPort(10), TunIPv4Src(ip("198.18.0.2")), TunnelIDMasked(0x64, 0xffff),
				RegMasked(0, 0x10, 0xf0)}},
			Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionSetField{Field: Reg(1, 5)},
				ActionOutput{Port: 1}}}}}},
		{"group_mod", &GroupMod{Command: GroupModAdd, GroupType: GroupTypeAll, GroupID: 1, Buckets: buckets}},
		{"group_mod_ff", &GroupMod{Command: GroupModModify, GroupType: GroupTypeFF, GroupID: 2, Buckets: []Bucket{
			{WatchPort: 1, WatchGroup: GroupAny, Actions: []Action{ActionOutput{Port: 1}}},
			{WatchPort: 2, WatchGroup: GroupAny, Actions: []Action{ActionOutput{Port: 2}}}}}},
		{"group_mod_delete", &GroupMod{Command: GroupModDelete, GroupType: GroupTypeAll, GroupID: GroupAll}},
		{"port_mod", &PortMod{PortNo: 1, HWAddr: [6]byte{2, 0, 0, 0, 0, 9}, Config: PortConfigNoFwd, Mask: PortConfigNoFwd}},
		{"table_mod", &TableMod{TableID: 1, Config: 0}},
		{"multipart_request_desc", &MultipartRequest{Body: &DescRequest{}}},
		{"multipart_reply_desc", &MultipartReply{Body: &DescReply{MfrDesc: "loris", HWDesc: "sim", SWDesc: "0.1",
			SerialNum: "42", DPDesc: "br-loris"}}},
		{"multipart_request_flow", &MultipartRequest{Body: &FlowStatsRequest{TableID: TableAll, OutPort: PortAny,
			OutGroup: GroupAny, Cookie: 0x100, CookieMask: 0xff00, Match: Match{Fields: []OXM{InPort(1)}}}}},
		{"multipart_reply_flow", &MultipartReply{Flags: MultipartReplyMore, Body: &FlowStatsReply{Flows: []FlowStats{
			{TableID: 1, DurationSec: 10, DurationNSec: 5, Priority: 100, Cookie: 0x1234, PacketCount: 7, ByteCount: 700,
				Match: sampleMatch(), Instructions: flowMod.Instructions},
			{TableID: 0, Priority: 0, Instructions: nil},
		}}}},
		{"multipart_request_aggregate", &MultipartRequest{Body: &AggregateStatsRequest{TableID: TableAll,
			OutPort: PortAny, OutGroup: GroupAny}}},
		{"multipart_reply_aggregate", &MultipartReply{Body: &AggregateStatsReply{PacketCount: 10, ByteCount: 1000, FlowCount: 3}}},
		{"multipart_request_table", &MultipartRequest{Body: &TableStatsRequest{}}},
		{"multipart_reply_table", &MultipartReply{Body: &TableStatsReply{Tables: []TableStats{
			{TableID: 0, ActiveCount: 4, LookupCount: 100, MatchedCount: 90}, {TableID: 1, ActiveCount: 1}}}}},
		{"multipart_request_port_stats", &MultipartRequest{Body: &PortStatsRequest{PortNo: PortAny}}},
		{"multipart_reply_port_stats", &MultipartReply{Body: &PortStatsReply{Ports: []PortStats{
			{PortNo: 1, RxPackets: 1, TxPackets: 2, RxBytes: 3, TxBytes: 4, RxDropped: 5, TxDropped: 6, RxErrors: 7,
				TxErrors: 8, RxFrameErr: 9, RxOverErr: 10, RxCRCErr: 11, Collisions: 12, DurationSec: 13, DurationNSec: 14}}}}},
		{"multipart_request_port_desc", &MultipartRequest{Body: &PortDescRequest{}}},
		{"multipart_reply_port_desc", &MultipartReply{Body: &PortDescReply{Ports: []Port{port,
			{PortNo: PortLocal, Name: "br-loris", Config: PortConfigDown, State: PortStateLinkDown}}}}},
		{"multipart_request_group_desc", &MultipartRequest{Body: &GroupDescRequest{}}},
		{"multipart_reply_group_desc", &MultipartReply{Body: &GroupDescReply{Groups: []GroupDesc{
			{Type: GroupTypeAll, GroupID: 1, Buckets: buckets}, {Type: GroupTypeIndirect, GroupID: 3, Buckets: buckets[:1]}}}}},
		{"multipart_request_group", &MultipartRequest{Body: &GroupStatsRequest{GroupID: GroupAll}}},
		{"multipart_reply_group", &MultipartReply{Body: &GroupStatsReply{Groups: []GroupStats{
			{GroupID: 1, RefCount: 2, PacketCount: 3, ByteCount: 4, DurationSec: 5, DurationNSec: 6,
				Buckets: []BucketCounter{{1, 2}, {3, 4}}}}}}},
		{"multipart_request_meter", &MultipartRequest{Body: &MeterStatsRequest{MeterID: MeterAll}}},
		{"multipart_reply_meter", &MultipartReply{Body: &MeterStatsReply{Meters: []MeterStats{
			{MeterID: 1, FlowCount: 2, PacketInCount: 3, ByteInCount: 4, DurationSec: 5, DurationNSec: 6,
				Bands: []BandCounter{{7, 8}}}}}}},
		{"multipart_request_meter_config", &MultipartRequest{Body: &MeterConfigRequest{MeterID: MeterAll}}},
		{"multipart_reply_meter_config", &MultipartReply{Body: &MeterConfigReply{Meters: []MeterConfig{
			{Flags: MeterFlagKbps | MeterFlagBurst, MeterID: 1, Bands: []MeterBand{{Type: MeterBandDrop, Rate: 1000, BurstSize: 100}}}}}}},
		{"multipart_request_raw", &MultipartRequest{Body: &MultipartRaw{MPType: MultipartGroupFeatures}}},
		{"barrier_request", &BarrierRequest{}},
		{"queue_get_config_request", &QueueGetConfigRequest{Port: 1}},
		{"role_request", &RoleRequest{Role: RoleMaster, GenerationID: 7}},
		{"role_reply", &RoleReply{Role: RoleEqual}},
		{"get_async_request", &GetAsyncRequest{}},
		{"get_async_reply", &GetAsyncReply{PacketInMask: [2]uint32{3, 0}, PortStatusMask: [2]uint32{7, 7}, FlowRemovedMask: [2]uint32{15, 0}}},
		{"set_async", &SetAsync{PacketInMask: [2]uint32{1, 0}, PortStatusMask: [2]uint32{7, 0}, FlowRemovedMask: [2]uint32{0, 0}}},
		{"meter_mod", &MeterMod{Command: MeterModAdd, Flags: MeterFlagKbps | MeterFlagBurst, MeterID: 1, Bands: []MeterBand{
			{Type: MeterBandDrop, Rate: 10000, BurstSize: 1000},
			{Type: MeterBandDSCPRemark, Rate: 5000, BurstSize: 500, PrecLevel: 1}}}},
		{"bundle_open", &BundleControl{BundleID: 1, CtrlType: BundleOpen, Flags: BundleAtomic}},
		{"bundle_commit", &BundleControl{BundleID: 1, CtrlType: BundleCommit, Flags: BundleAtomic | BundleOrdered}},
		{"bundle_add", &BundleAdd{BundleID: 1, Flags: BundleAtomic, Message: flowMod}},
	}
}
