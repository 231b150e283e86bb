package ofproto

import "encoding/binary"

// Hello opens a connection. Versions lists the versions the sender speaks;
// when it is non-empty the message carries a version bitmap element, which
// is how peers agree on 1.3 even when they also speak others.
type Hello struct {
	Versions []uint8
}

func (*Hello) Type() Type { return TypeHello }

const helloElemVersionBitmap = 1

func (m *Hello) AppendBody(b []byte) []byte {
	if len(m.Versions) == 0 {
		return b
	}
	var maxV uint8
	for _, v := range m.Versions {
		maxV = max(maxV, v)
	}
	words := int(maxV)/32 + 1
	b = binary.BigEndian.AppendUint16(b, helloElemVersionBitmap)
	b = binary.BigEndian.AppendUint16(b, uint16(4+4*words))
	start := len(b)
	b = append(b, make([]byte, 4*words)...)
	for _, v := range m.Versions {
		w := int(v) / 32
		off := start + 4*w
		binary.BigEndian.PutUint32(b[off:], binary.BigEndian.Uint32(b[off:])|1<<(v%32))
	}
	for (len(b)-start+4)%8 != 0 { // elements are padded to 8 bytes
		b = append(b, 0)
	}
	return b
}

func (m *Hello) DecodeBody(b []byte) error {
	m.Versions = m.Versions[:0]
	off := 0
	for len(b)-off >= 4 {
		typ := binary.BigEndian.Uint16(b[off:])
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 4 || off+l > len(b) {
			return &DecodeError{Msg: "HELLO", Offset: HeaderLen + off + 2, Reason: "bad hello element length"}
		}
		if typ == helloElemVersionBitmap {
			for w := 0; 4+4*w+4 <= l; w++ {
				bits := binary.BigEndian.Uint32(b[off+4+4*w:])
				for i := 0; i < 32; i++ {
					if bits&(1<<i) != 0 && w*32+i < 256 {
						m.Versions = append(m.Versions, uint8(w*32+i))
					}
				}
			}
		}
		off += (l + 7) &^ 7
	}
	return nil
}

// Supports reports whether the peer's HELLO admits version v: through the
// bitmap when present, otherwise by the header version alone.
func (m *Hello) Supports(headerVersion, v uint8) bool {
	if len(m.Versions) == 0 {
		return headerVersion >= v
	}
	for _, x := range m.Versions {
		if x == v {
			return true
		}
	}
	return false
}
