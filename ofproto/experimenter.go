package ofproto

import "fmt"

// Experimenter is an EXPERIMENTER message this package does not model:
// Data is everything after the experimenter id and type.
type Experimenter struct {
	Experimenter uint32
	ExpType      uint32
	Data         []byte
}

// experimenterHeaderLen is the experimenter id and type that start every
// EXPERIMENTER body.
const experimenterHeaderLen = 8

func (*Experimenter) Type() Type { return TypeExperimenter }

func (m *Experimenter) AppendBody(b []byte) []byte {
	b = ap32(b, m.Experimenter)
	b = ap32(b, m.ExpType)
	return append(b, m.Data...)
}

func (m *Experimenter) DecodeBody(b []byte) error {
	if err := need("EXPERIMENTER", HeaderLen, b, experimenterHeaderLen); err != nil {
		return err
	}
	*m = Experimenter{Experimenter: u32(b), ExpType: u32(b[4:]), Data: orNil(b[experimenterHeaderLen:])}
	return nil
}

func (m *Experimenter) String() string {
	return fmt.Sprintf("EXPERIMENTER experimenter=0x%08x exp_type=%d (%d bytes)", m.Experimenter, m.ExpType, len(m.Data))
}

// newExperimenterMessage picks the concrete type of an EXPERIMENTER body
// by (experimenter, exp_type).
func newExperimenterMessage(body []byte) Message {
	if len(body) >= experimenterHeaderLen && u32(body) == ExperimenterONF {
		switch u32(body[4:]) {
		case onfBundleControl:
			return &BundleControl{}
		case onfBundleAdd:
			return &BundleAdd{}
		}
	}
	return &Experimenter{}
}
