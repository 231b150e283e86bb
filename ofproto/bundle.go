package ofproto

import (
	"encoding/binary"
	"fmt"
)

// ExperimenterONF is the ONF experimenter id, under which OVS accepts
// OpenFlow 1.4 bundles on OpenFlow 1.3 connections.
const ExperimenterONF uint32 = 0x4f4e4600

// ONF experimenter types of the bundle extension.
const (
	onfBundleControl uint32 = 2300
	onfBundleAdd     uint32 = 2301
)

// BundleCtrlType is the operation of a BundleControl message.
type BundleCtrlType uint16

// Bundle control operations and their replies.
const (
	BundleOpen         BundleCtrlType = 0
	BundleOpenReply    BundleCtrlType = 1
	BundleClose        BundleCtrlType = 2
	BundleCloseReply   BundleCtrlType = 3
	BundleCommit       BundleCtrlType = 4
	BundleCommitReply  BundleCtrlType = 5
	BundleDiscard      BundleCtrlType = 6
	BundleDiscardReply BundleCtrlType = 7
)

func (t BundleCtrlType) String() string {
	names := [...]string{"OPEN_REQUEST", "OPEN_REPLY", "CLOSE_REQUEST", "CLOSE_REPLY",
		"COMMIT_REQUEST", "COMMIT_REPLY", "DISCARD_REQUEST", "DISCARD_REPLY"}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("BUNDLE_CTRL_%d", uint16(t))
}

// Bundle flags: BundleAtomic makes the commit all-or-nothing,
// BundleOrdered applies the messages in the order they were added.
const (
	BundleAtomic  uint16 = 1
	BundleOrdered uint16 = 2
)

// BundleControl opens, closes, commits or discards a bundle, or is the
// switch's reply to one of those. Properties (rarely used) are kept raw.
// The operation field is CtrlType because Type() is the Message method.
type BundleControl struct {
	BundleID   uint32
	CtrlType   BundleCtrlType
	Flags      uint16
	Properties []byte
}

// BundleAdd adds one message to an open bundle. The switch validates it
// now and applies it at commit. OVS requires the inner message's xid to
// equal the BundleAdd's own: leave XID zero and Append fills in the outer
// xid; a decoded BundleAdd carries the inner xid.
type BundleAdd struct {
	BundleID   uint32
	Flags      uint16
	Message    Message
	XID        uint32
	Properties []byte
}

// bundleCtrlLen is the BundleControl body after the experimenter header.
const bundleCtrlLen = 8

// bundleAddFixedLen is the BundleAdd body after the experimenter header and
// before the inner message.
const bundleAddFixedLen = 8

func appendONFHeader(b []byte, expType uint32) []byte {
	b = ap32(b, ExperimenterONF)
	return ap32(b, expType)
}

func (*BundleControl) Type() Type { return TypeExperimenter }

func (m *BundleControl) AppendBody(b []byte) []byte {
	b = appendONFHeader(b, onfBundleControl)
	b = ap32(b, m.BundleID)
	b = ap16(b, uint16(m.CtrlType))
	b = ap16(b, m.Flags)
	return append(b, m.Properties...)
}

func (m *BundleControl) DecodeBody(b []byte) error {
	const msg = "BUNDLE_CONTROL"
	if err := need(msg, HeaderLen, b, experimenterHeaderLen+bundleCtrlLen); err != nil {
		return err
	}
	e := b[experimenterHeaderLen:]
	*m = BundleControl{BundleID: u32(e), CtrlType: BundleCtrlType(u16(e[4:])), Flags: u16(e[6:]), Properties: orNil(e[bundleCtrlLen:])}
	return nil
}

func (m *BundleControl) String() string {
	return fmt.Sprintf("BUNDLE_CONTROL bundle_id=%d type=%s flags=0x%x", m.BundleID, m.CtrlType, m.Flags)
}

func (*BundleAdd) Type() Type { return TypeExperimenter }

func (m *BundleAdd) AppendBody(b []byte) []byte {
	b = appendONFHeader(b, onfBundleAdd)
	b = ap32(b, m.BundleID)
	b = ap16(b, 0)
	b = ap16(b, m.Flags)
	b = Append(b, m.XID, m.Message)
	return append(b, m.Properties...)
}

// DecodeBody decodes the inner message too; its decode errors are
// reported at their offset within the outer message.
func (m *BundleAdd) DecodeBody(b []byte) error {
	const msg = "BUNDLE_ADD"
	const innerAt = experimenterHeaderLen + bundleAddFixedLen
	if err := need(msg, HeaderLen, b, innerAt+HeaderLen); err != nil {
		return err
	}
	e := b[experimenterHeaderLen:]
	inner := b[innerAt:]
	l := int(u16(inner[2:]))
	if l < HeaderLen || l > len(inner) {
		return decodeErr(msg, HeaderLen+innerAt+2, fmt.Sprintf("inner message length %d invalid with %d bytes left", l, len(inner)))
	}
	h, im, err := Decode(inner[:l])
	if err != nil {
		if de, ok := err.(*DecodeError); ok {
			return &DecodeError{Msg: msg + "/" + de.Msg, Offset: HeaderLen + innerAt + de.Offset, Reason: de.Reason}
		}
		return err
	}
	*m = BundleAdd{BundleID: u32(e), Flags: u16(e[6:]), Message: im, XID: h.XID, Properties: orNil(inner[l:])}
	return nil
}

// writeOuterXID gives the inner message the outer xid when XID is unset.
func (m *BundleAdd) writeOuterXID(msg []byte, xid uint32) {
	const innerXIDAt = HeaderLen + experimenterHeaderLen + bundleAddFixedLen + 4
	if m.XID == 0 && len(msg) >= innerXIDAt+4 {
		binary.BigEndian.PutUint32(msg[innerXIDAt:], xid)
	}
}
