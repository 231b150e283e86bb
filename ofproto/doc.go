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
// The package depends on nothing else in loris.
package ofproto
