package ofproto

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary messages to Decode. It must never panic,
// must fail only with *DecodeError, and whatever it accepts must encode to
// bytes that decode again and re-encode identically.
func FuzzDecode(f *testing.F) {
	for _, s := range codecSamples() {
		f.Add(Append(nil, sampleXID, s.msg))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > MaxMessageLen {
			return
		}
		h, m, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is %T, not *DecodeError", err, err)
			}
			return
		}
		e1 := Append(nil, h.XID, m)
		_, m2, err := Decode(e1)
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v\ninput: %x\nencoded: %x", h.Type, err, b, e1)
		}
		if e2 := Append(nil, h.XID, m2); !bytes.Equal(e1, e2) {
			t.Fatalf("%s not stable under re-encoding\n%x\n%x", h.Type, e1, e2)
		}
	})
}

// FuzzMatch decodes arbitrary ofp_match bytes: the fields it accepts must
// re-encode to exactly the bytes they came from (padding aside), whatever
// their class, which is what keeps unknown fields intact.
func FuzzMatch(f *testing.F) {
	for _, s := range codecSamples() {
		if fm, ok := s.msg.(*FlowMod); ok {
			f.Add(appendMatch(nil, &fm.Match))
		}
	}
	f.Add(appendMatch(nil, &Match{Fields: []OXM{{Class: OXMClassExperimenter, Field: 5,
		Value: []byte{0x4f, 0x4e, 0x46, 0x00, 1, 2}, Mask: []byte{0xff, 0x0f}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Match
		n, err := decodeMatch(&m, b, "OXM", 0)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is %T, not *DecodeError", err, err)
			}
			return
		}
		out := appendMatch(nil, &m)
		if len(out) != n {
			t.Fatalf("decoded %d bytes, re-encoded %d", n, len(out))
		}
		l := int(u16(b[2:]))
		if !bytes.Equal(out[:l], b[:l]) {
			t.Fatalf("match changed under re-encoding\nin:  %x\nout: %x", b[:l], out[:l])
		}
		_ = m.String()
		_ = m.Canonical().Equal(m)
	})
}

// FuzzActions decodes arbitrary action lists: never a panic, only
// *DecodeError, and what is accepted re-encodes stably (unknown and
// experimenter actions byte for byte).
func FuzzActions(f *testing.F) {
	for _, s := range codecSamples() {
		if fm, ok := s.msg.(*FlowMod); ok {
			for _, ins := range fm.Instructions {
				if a, ok := ins.(InstructionApplyActions); ok {
					f.Add(AppendActions(nil, a.Actions))
				}
			}
		}
	}
	f.Add(AppendActions(nil, []Action{ActionExperimenter{Experimenter: 0x2320, Data: []byte{0, 0x26, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0}},
		ActionUnknown{Type: 11, Data: []byte{0, 0, 0, 0}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		actions, err := DecodeActions(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is %T, not *DecodeError", err, err)
			}
			return
		}
		out := AppendActions(nil, actions)
		if len(out) != len(b) {
			t.Fatalf("decoded %d bytes, re-encoded %d", len(b), len(out))
		}
		again, err := DecodeActions(out)
		if err != nil {
			t.Fatalf("re-encoded actions do not decode: %v", err)
		}
		if !bytes.Equal(AppendActions(nil, again), out) {
			t.Fatalf("actions not stable under re-encoding")
		}
		for i, a := range actions {
			switch a.(type) {
			case ActionUnknown, ActionExperimenter:
				// These carry their bytes verbatim.
				var pos int
				for _, p := range actions[:i] {
					pos += len(AppendActions(nil, []Action{p}))
				}
				one := AppendActions(nil, []Action{a})
				if !bytes.Equal(one, b[pos:pos+len(one)]) {
					t.Fatalf("action %d changed: %x -> %x", i, b[pos:pos+len(one)], one)
				}
			}
			_ = a.String()
		}
	})
}
