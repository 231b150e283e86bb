package ofproto

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Small big-endian readers; callers have already checked the length.
func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func u32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func u64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func ap16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
func ap32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func ap64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// apZeros appends n zero bytes without allocating a temporary slice.
func apZeros(b []byte, n int) []byte {
	for range n {
		b = append(b, 0)
	}
	return b
}

// padTo8 appends zeros until the bytes written since start are a multiple
// of 8, the alignment OpenFlow 1.3 uses for matches, actions and
// instructions.
func padTo8(b []byte, start int) []byte {
	return apZeros(b, (8-(len(b)-start)%8)%8)
}

// putLen16 writes the length of b[start:] as a 16-bit field at b[at:].
func putLen16(b []byte, at, start int) {
	binary.BigEndian.PutUint16(b[at:], uint16(len(b)-start))
}

// apFixedString appends s as a NUL-padded field of exactly n bytes
// (truncated so that at least one NUL terminates it).
func apFixedString(b []byte, s string, n int) []byte {
	if len(s) > n-1 {
		s = s[:n-1]
	}
	b = append(b, s...)
	return apZeros(b, n-len(s))
}

// fixedString reads a NUL-padded string field.
func fixedString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// need checks that b holds at least n bytes; off is b's offset within the
// message, for the error.
func need(msg string, off int, b []byte, n int) error {
	if len(b) < n {
		return errTruncated(msg, off, n, len(b))
	}
	return nil
}

// decodeErr builds a DecodeError; a helper keeps call sites short.
func decodeErr(msg string, off int, reason string) error {
	return &DecodeError{Msg: msg, Offset: off, Reason: reason}
}

// exactLen checks that a fixed-size body has exactly n bytes.
func exactLen(msg string, off int, b []byte, n int) error {
	if len(b) != n {
		return decodeErr(msg, off, fmt.Sprintf("body has %d bytes, want %d", len(b), n))
	}
	return nil
}

// orNil maps an empty trailing field to nil, so that a decoded message
// without one equals a constructed message that left it unset.
func orNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// eachRecord walks the variable-length records of a multipart reply body.
// Every record is at least fixed bytes and carries its own 16-bit length at
// byte lenAt; with stride > 0 the part beyond fixed must be a whole number
// of stride-byte entries. fn gets each record and its offset in the message.
func eachRecord(msg, what string, b []byte, fixed, lenAt, stride int, fn func(rec []byte, off int) error) error {
	for pos := 0; pos < len(b); {
		off := multipartBodyBase + pos
		if err := need(msg, off, b[pos:], fixed); err != nil {
			return err
		}
		l := int(u16(b[pos+lenAt:]))
		if l < fixed || (stride > 0 && (l-fixed)%stride != 0) || pos+l > len(b) {
			return decodeErr(msg, off+lenAt, fmt.Sprintf("%s length %d invalid with %d bytes left", what, l, len(b)-pos))
		}
		if err := fn(b[pos:pos+l], off); err != nil {
			return err
		}
		pos += l
	}
	return nil
}
