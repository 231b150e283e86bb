package ofproto

import "fmt"

// ErrorType is the type of an OpenFlow ERROR message (ofp_error_type).
type ErrorType uint16

// Error types of OpenFlow 1.3.
const (
	ErrTypeHelloFailed         ErrorType = 0
	ErrTypeBadRequest          ErrorType = 1
	ErrTypeBadAction           ErrorType = 2
	ErrTypeBadInstruction      ErrorType = 3
	ErrTypeBadMatch            ErrorType = 4
	ErrTypeFlowModFailed       ErrorType = 5
	ErrTypeGroupModFailed      ErrorType = 6
	ErrTypePortModFailed       ErrorType = 7
	ErrTypeTableModFailed      ErrorType = 8
	ErrTypeQueueOpFailed       ErrorType = 9
	ErrTypeSwitchConfigFailed  ErrorType = 10
	ErrTypeRoleRequestFailed   ErrorType = 11
	ErrTypeMeterModFailed      ErrorType = 12
	ErrTypeTableFeaturesFailed ErrorType = 13
	ErrTypeExperimenter        ErrorType = 0xffff
)

// ErrorMsg is an OpenFlow ERROR message. It is also a Go error, so a reply
// that is an ERROR can be returned as is.
//
// Data normally holds (at least 64 bytes of) the request that failed. For
// ErrTypeExperimenter, Code is the experimenter's exp_type and Data starts
// with the 4-byte experimenter id, exactly as on the wire.
//
// The error type field is named ErrType, not Type, because Type() is the
// Message method every message has.
type ErrorMsg struct {
	ErrType ErrorType
	Code    uint16
	Data    []byte
}

func (*ErrorMsg) Type() Type { return TypeError }

func (m *ErrorMsg) AppendBody(b []byte) []byte {
	b = ap16(b, uint16(m.ErrType))
	b = ap16(b, m.Code)
	return append(b, m.Data...)
}

func (m *ErrorMsg) DecodeBody(b []byte) error {
	if err := need("ERROR", HeaderLen, b, 4); err != nil {
		return err
	}
	m.ErrType = ErrorType(u16(b))
	m.Code = u16(b[2:])
	m.Data = b[4:]
	return nil
}

// Error names the type and code, e.g. "ofproto: switch error BAD_MATCH/BAD_FIELD".
func (m *ErrorMsg) Error() string {
	return "ofproto: switch error " + m.ErrType.String() + "/" + ErrorCodeName(m.ErrType, m.Code)
}

// FailedRequest returns the header of the request the error refers to, when
// Data holds one.
func (m *ErrorMsg) FailedRequest() (Header, bool) {
	if m.ErrType == ErrTypeExperimenter {
		return Header{}, false
	}
	h, err := DecodeHeader(m.Data)
	return h, err == nil
}

func (t ErrorType) String() string {
	if t == ErrTypeExperimenter {
		return "EXPERIMENTER"
	}
	if int(t) < len(errorTypeNames) {
		return errorTypeNames[t]
	}
	return fmt.Sprintf("ERRTYPE_%d", uint16(t))
}

// ErrorCodeName is the OpenFlow 1.3 name of a code within an error type
// (without the type prefix), or its number when unknown.
func ErrorCodeName(t ErrorType, code uint16) string {
	if int(t) < len(errorCodeNames) && int(code) < len(errorCodeNames[t]) {
		return errorCodeNames[t][code]
	}
	return fmt.Sprintf("%d", code)
}
