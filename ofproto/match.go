package ofproto

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// Match is an OpenFlow 1.3 match (OFPMT_OXM): a list of OXM fields, all of
// which must hold. Order matters to nothing but the bytes; compare matches
// with Equal.
type Match struct {
	Fields []OXM
}

// ofpmtOXM is the only match type OpenFlow 1.3 uses.
const ofpmtOXM = 1

// matchHeaderLen is the type/length header of ofp_match.
const matchHeaderLen = 4

// wireLen is the encoded size including padding.
func (m *Match) wireLen() int {
	n := matchHeaderLen
	for i := range m.Fields {
		n += m.Fields[i].wireLen()
	}
	return (n + 7) &^ 7
}

// AppendMatch appends m in its wire form, an ofp_match padded to 8
// bytes, to b: what a FLOW_MOD carries of it.
func AppendMatch(b []byte, m *Match) []byte { return appendMatch(b, m) }

func appendMatch(b []byte, m *Match) []byte {
	start := len(b)
	b = ap16(b, ofpmtOXM)
	b = ap16(b, 0)
	for i := range m.Fields {
		b = appendOXM(b, &m.Fields[i])
	}
	putLen16(b, start+2, start) // the length excludes the padding
	return padTo8(b, start)
}

// decodeMatch reads an ofp_match at the start of b into m, reusing m's
// field slice, and returns the bytes it took including padding.
func decodeMatch(m *Match, b []byte, msg string, off int) (int, error) {
	if err := need(msg, off, b, matchHeaderLen); err != nil {
		return 0, err
	}
	if t := u16(b); t != ofpmtOXM {
		return 0, decodeErr(msg, off, fmt.Sprintf("match type %d, want OXM (1)", t))
	}
	l := int(u16(b[2:]))
	if l < matchHeaderLen {
		return 0, decodeErr(msg, off+2, fmt.Sprintf("match length %d below 4", l))
	}
	padded := (l + 7) &^ 7
	if err := need(msg, off, b, padded); err != nil {
		return 0, err
	}
	m.Fields = m.Fields[:0]
	for pos := matchHeaderLen; pos < l; {
		o, n, err := decodeOXM(b[pos:l], msg, off+pos)
		if err != nil {
			return 0, err
		}
		m.Fields = append(m.Fields, o)
		pos += n
	}
	return padded, nil
}

// Field returns the first field with the given class and field number.
func (m Match) Field(class uint16, field uint8) (OXM, bool) {
	for _, o := range m.Fields {
		if o.Class == class && o.Field == field {
			return o, true
		}
	}
	return OXM{}, false
}

// Validate checks the sizes of every known field (see OXM.Validate) and
// that no field appears twice.
func (m Match) Validate() error {
	for i, o := range m.Fields {
		if err := o.Validate(); err != nil {
			return err
		}
		for _, p := range m.Fields[:i] {
			if p.Class == o.Class && p.Field == o.Field && oxmExperimenter(p) == oxmExperimenter(o) {
				return fmt.Errorf("ofproto: match field %s appears twice", fieldName(o))
			}
		}
	}
	return nil
}

// Canonical returns a copy of m in the form a switch hands back: fields
// sorted by (class, field), all-ones masks dropped (an all-ones mask
// matches exactly like no mask) and value bits outside a mask cleared (a
// switch stores value&mask). Unchanged bytes are shared with m.
func (m Match) Canonical() Match {
	fields := slices.Clone(m.Fields)
	for i := range fields {
		f := &fields[i]
		switch {
		case f.Mask == nil:
		case allOnes(f.Mask):
			f.Mask = nil
		default:
			f.Value = maskedValue(f.Value, f.Mask)
		}
	}
	slices.SortStableFunc(fields, compareOXMKey)
	return Match{Fields: fields}
}

// Equal reports whether m and o match the same packets field for field,
// ignoring field order and all-ones masks.
func (m Match) Equal(o Match) bool {
	if len(m.Fields) != len(o.Fields) {
		return false
	}
	a, b := m.Canonical(), o.Canonical()
	for i := range a.Fields {
		if !a.Fields[i].Equal(b.Fields[i]) {
			return false
		}
	}
	return true
}

func compareOXMKey(a, b OXM) int {
	return cmp.Or(
		cmp.Compare(a.Class, b.Class),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(oxmExperimenter(a), oxmExperimenter(b)),
		bytes.Compare(a.Value, b.Value),
	)
}

// oxmExperimenter is the experimenter id of an experimenter-class OXM, 0
// otherwise.
func oxmExperimenter(o OXM) uint32 {
	if o.Class == OXMClassExperimenter && len(o.Value) >= 4 {
		return u32(o.Value)
	}
	return 0
}

func allOnes(b []byte) bool {
	for _, x := range b {
		if x != 0xff {
			return false
		}
	}
	return true
}

// maskedValue returns value&mask over the bytes the mask covers (the tail
// of value, after an experimenter id), copying only when something
// changes.
func maskedValue(value, mask []byte) []byte {
	if len(mask) > len(value) {
		return value
	}
	start := len(value) - len(mask)
	for i, m := range mask {
		if value[start+i]&^m != 0 {
			out := slices.Clone(value)
			for j, mm := range mask {
				out[start+j] &= mm
			}
			return out
		}
	}
	return value
}
