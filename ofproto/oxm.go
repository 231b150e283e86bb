package ofproto

import (
	"bytes"
	"fmt"
)

// OXM classes (ofp_oxm_class). OVS accepts Nicira extension fields in OXM
// form under class OXMClassNXM1.
const (
	OXMClassNXM0          uint16 = 0x0000
	OXMClassNXM1          uint16 = 0x0001
	OXMClassOpenFlowBasic uint16 = 0x8000
	OXMClassExperimenter  uint16 = 0xffff
)

// OXM is one match field (or the field of a set_field action) in
// OpenFlow Extensible Match form.
//
// Mask nil means an exact match; a non-nil Mask is sent with the has-mask
// bit. For the experimenter class (0xffff), Value starts with the 4-byte
// experimenter id, as on the wire, and Mask covers only what follows it.
// Fields this package does not know are carried through unchanged.
type OXM struct {
	Class uint16
	Field uint8
	Value []byte
	Mask  []byte
}

// oxmHeaderLen is the class/field/length header preceding every OXM value.
const oxmHeaderLen = 4

// wireLen is the encoded size of o, header included.
func (o *OXM) wireLen() int { return oxmHeaderLen + len(o.Value) + len(o.Mask) }

func appendOXM(b []byte, o *OXM) []byte {
	fieldByte := o.Field << 1
	if o.Mask != nil {
		fieldByte |= 1
	}
	b = ap16(b, o.Class)
	b = append(b, fieldByte, byte(len(o.Value)+len(o.Mask)))
	b = append(b, o.Value...)
	return append(b, o.Mask...)
}

// decodeOXM reads one OXM TLV at the start of b (b's offset in the message
// is off) and returns it with the number of bytes it took.
func decodeOXM(b []byte, msg string, off int) (OXM, int, error) {
	if err := need(msg, off, b, oxmHeaderLen); err != nil {
		return OXM{}, 0, err
	}
	o := OXM{Class: u16(b), Field: b[2] >> 1}
	hasMask := b[2]&1 != 0
	l := int(b[3])
	if err := need(msg, off+3, b[oxmHeaderLen:], l); err != nil {
		return OXM{}, 0, err
	}
	payload := b[oxmHeaderLen : oxmHeaderLen+l : oxmHeaderLen+l]
	prefix := 0
	if o.Class == OXMClassExperimenter {
		prefix = 4
		if l < prefix {
			return OXM{}, 0, decodeErr(msg, off+3, fmt.Sprintf("experimenter OXM length %d below 4", l))
		}
	}
	if !hasMask {
		o.Value = payload
		return o, oxmHeaderLen + l, nil
	}
	if (l-prefix)%2 != 0 {
		return OXM{}, 0, decodeErr(msg, off+3, fmt.Sprintf("masked OXM with odd length %d", l))
	}
	half := (l - prefix) / 2
	o.Value = payload[: prefix+half : prefix+half]
	o.Mask = payload[prefix+half:]
	return o, oxmHeaderLen + l, nil
}

// Equal reports whether two OXMs are the same field with the same value and
// mask; a nil and an empty mask differ (one says "masked").
func (o OXM) Equal(p OXM) bool {
	return o.Class == p.Class && o.Field == p.Field &&
		bytes.Equal(o.Value, p.Value) && bytes.Equal(o.Mask, p.Mask) &&
		(o.Mask == nil) == (p.Mask == nil)
}

// Validate checks that o can be encoded, and the value and mask sizes of
// the fields this package knows, so that a wrong-sized constructor
// argument is caught before the switch rejects the flow.
func (o OXM) Validate() error {
	if n := len(o.Value) + len(o.Mask); n > 255 {
		return fmt.Errorf("ofproto: OXM field %s is %d bytes, more than its length byte holds", fieldName(o), n)
	}
	if o.Field > 0x7f {
		return fmt.Errorf("ofproto: OXM field number %d does not fit 7 bits", o.Field)
	}
	if o.Class == OXMClassExperimenter && len(o.Value) < 4 {
		return fmt.Errorf("ofproto: experimenter OXM value must start with a 4-byte experimenter id")
	}
	info, ok := lookupField(o.Class, o.Field)
	if !ok {
		return nil
	}
	if len(o.Value) != info.size {
		return fmt.Errorf("ofproto: %s value has %d bytes, want %d", info.name, len(o.Value), info.size)
	}
	if o.Mask != nil && len(o.Mask) != info.size {
		return fmt.Errorf("ofproto: %s mask has %d bytes, want %d", info.name, len(o.Mask), info.size)
	}
	return nil
}
