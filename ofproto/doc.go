// Package ofproto is loris's OpenFlow 1.3 wire protocol: message encoding
// and decoding, OXM matches, actions and instructions, and a connection type
// with framing, version negotiation, request/reply correlation, multipart
// reassembly and echo keepalive.
//
// Every message type implements Message: AppendBody writes the body (what
// follows the 8-byte header) onto a caller's buffer, so an encoder that reuses
// its buffer allocates nothing; DecodeBody reads a body back. Append and
// Decode add and strip the header. Byte slices in decoded messages (payloads,
// OXM values) may alias the input buffer: copy them to keep them past the
// next read.
//
// # Messages
//
// Hello, ErrorMsg, EchoRequest/Reply, Experimenter, FeaturesRequest/Reply,
// GetConfigRequest/Reply, SetConfig, PacketIn, FlowRemoved, PortStatus,
// PacketOut, FlowMod, GroupMod, PortMod, TableMod, MultipartRequest/Reply,
// BarrierRequest/Reply, QueueGetConfigRequest/Reply, RoleRequest/Reply,
// GetAsyncRequest/Reply, SetAsync, MeterMod, and the ONF bundle extension
// that OVS accepts on OpenFlow 1.3: BundleControl and BundleAdd (EXPERIMENTER
// messages, told apart by experimenter id and type on decode).
//
// A struct field cannot share the name of the Message method Type(), so the
// type-like fields of messages are named ErrorMsg.ErrType,
// GroupMod.GroupType and BundleControl.CtrlType.
//
// # Matches, actions, instructions
//
// A Match is a list of OXM fields built with the constructors (InPort,
// EthDst, TunnelID, IPv4DstPrefix, TunIPv4Dst, Reg, ... and their Masked
// forms). Fields of any class this package does not know, experimenter
// fields included, decode and re-encode byte for byte. Compare a match with
// what a switch reports using Match.Equal (order and all-ones masks
// ignored). Actions and instructions are small value types (ActionOutput,
// ActionSetField, InstructionApplyActions, InstructionGotoTable, ...);
// unknown ones decode as ActionUnknown/ActionExperimenter/InstructionUnknown
// and survive re-encoding. String methods print ovs-ofctl-like text.
//
// # Multipart
//
// MultipartRequest and MultipartReply carry a MultipartBody chosen by
// multipart type (DescRequest/DescReply, FlowStatsRequest/FlowStatsReply,
// PortDescRequest/PortDescReply, ...); types without a model arrive as
// MultipartRaw. A reply split over several messages (all but the last
// flagged MultipartReplyMore) is joined with MergeMultipart(first.Body,
// next.Body), which concatenates the entries.
//
// # Hot paths
//
// Encoding a FlowMod into a reused buffer and decoding a PACKET_IN into a
// reused PacketIn (its Match.Fields storage is reused, Data aliases the
// input) allocate nothing.
//
// Decoders never panic; every decode error is a *DecodeError naming the
// message (or structure) and the byte offset within the message.
//
// The package depends on nothing else in loris.
package ofproto
