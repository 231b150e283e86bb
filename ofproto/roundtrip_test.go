package ofproto

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

const sampleXID = 0x11223344

// TestRoundTrip encodes every sample, decodes it, compares with the
// original and encodes the decoded message again, which must reproduce the
// bytes exactly.
func TestRoundTrip(t *testing.T) {
	for _, s := range codecSamples() {
		t.Run(s.name, func(t *testing.T) {
			b := Append(nil, sampleXID, s.msg)
			h, m, err := Decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if h.Type != s.msg.Type() || h.XID != sampleXID || int(h.Length) != len(b) {
				t.Fatalf("header %+v, want type %s xid %#x length %d", h, s.msg.Type(), sampleXID, len(b))
			}
			want := s.msg
			if ba, ok := want.(*BundleAdd); ok && ba.XID == 0 {
				c := *ba
				c.XID = sampleXID // Append gave the inner message the outer xid
				want = &c
			}
			if !reflect.DeepEqual(m, want) {
				t.Errorf("decoded message differs\n got: %#v\nwant: %#v", m, want)
			}
			again := Append(nil, sampleXID, m)
			if !bytes.Equal(again, b) {
				t.Errorf("re-encoding changed the bytes\nfirst:  %x\nsecond: %x", b, again)
			}
		})
	}
}

// TestDecodeTruncatedNeverPanics cuts every sample at every length (with a
// header whose length field agrees): each prefix must fail with a
// *DecodeError or decode cleanly, and never panic.
func TestDecodeTruncatedNeverPanics(t *testing.T) {
	for _, s := range codecSamples() {
		full := Append(nil, sampleXID, s.msg)
		for n := HeaderLen; n < len(full); n++ {
			b := append([]byte(nil), full[:n]...)
			b[2], b[3] = byte(n>>8), byte(n)
			_, _, err := Decode(b)
			if err == nil {
				continue
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%s cut to %d bytes: error %v is not a *DecodeError", s.name, n, err)
			}
			if de.Offset < 0 || de.Offset > n {
				t.Errorf("%s cut to %d bytes: offset %d outside the message (%v)", s.name, n, de.Offset, err)
			}
		}
	}
}
