package ofproto

import "fmt"

// MultipartType says what a MULTIPART_REQUEST/REPLY carries (ofp_multipart_type).
type MultipartType uint16

// Multipart types of OpenFlow 1.3.
const (
	MultipartDesc          MultipartType = 0
	MultipartFlow          MultipartType = 1
	MultipartAggregate     MultipartType = 2
	MultipartTable         MultipartType = 3
	MultipartPortStats     MultipartType = 4
	MultipartQueue         MultipartType = 5
	MultipartGroup         MultipartType = 6
	MultipartGroupDesc     MultipartType = 7
	MultipartGroupFeatures MultipartType = 8
	MultipartMeter         MultipartType = 9
	MultipartMeterConfig   MultipartType = 10
	MultipartMeterFeatures MultipartType = 11
	MultipartTableFeatures MultipartType = 12
	MultipartPortDesc      MultipartType = 13
	MultipartExperimenter  MultipartType = 0xffff
)

var multipartTypeNames = [...]string{
	"DESC", "FLOW", "AGGREGATE", "TABLE", "PORT_STATS", "QUEUE", "GROUP",
	"GROUP_DESC", "GROUP_FEATURES", "METER", "METER_CONFIG", "METER_FEATURES",
	"TABLE_FEATURES", "PORT_DESC",
}

func (t MultipartType) String() string {
	if int(t) < len(multipartTypeNames) {
		return multipartTypeNames[t]
	}
	if t == MultipartExperimenter {
		return "EXPERIMENTER"
	}
	return fmt.Sprintf("MULTIPART_%d", uint16(t))
}

// Multipart flags. MultipartReplyMore on a reply says more parts with the
// same xid follow; MultipartRequestMore is the request-side equivalent.
const (
	MultipartRequestMore = 1
	MultipartReplyMore   = 1
)

// MultipartBody is the typed payload of a multipart request or reply.
// Offsets in decode errors are relative to the start of the enclosing
// message, like every other DecodeError.
type MultipartBody interface {
	MultipartType() MultipartType
	AppendBody(b []byte) []byte
	DecodeBody(b []byte) error
}

// MultipartRequest is a MULTIPART_REQUEST message.
type MultipartRequest struct {
	Flags uint16
	Body  MultipartBody
}

// MultipartReply is one MULTIPART_REPLY message; a long reply arrives as
// several of them, all but the last flagged MultipartReplyMore. Join their
// bodies with MergeMultipart.
type MultipartReply struct {
	Flags uint16
	Body  MultipartBody
}

// multipartHeaderLen is the part of a multipart message after the OpenFlow
// header and before the body: type, flags, pad[4].
const multipartHeaderLen = 8

// multipartBodyBase is the offset of a multipart body within its message,
// used by body decoders to report message-relative offsets.
const multipartBodyBase = HeaderLen + multipartHeaderLen

func (*MultipartRequest) Type() Type { return TypeMultipartRequest }
func (*MultipartReply) Type() Type   { return TypeMultipartReply }

func (m *MultipartRequest) AppendBody(b []byte) []byte {
	return appendMultipart(b, m.Flags, m.Body)
}

func (m *MultipartReply) AppendBody(b []byte) []byte {
	return appendMultipart(b, m.Flags, m.Body)
}

func appendMultipart(b []byte, flags uint16, body MultipartBody) []byte {
	b = ap16(b, uint16(body.MultipartType()))
	b = ap16(b, flags)
	b = apZeros(b, 4)
	return body.AppendBody(b)
}

func (m *MultipartRequest) DecodeBody(b []byte) error {
	t, flags, rest, err := decodeMultipartHeader("MULTIPART_REQUEST", b)
	if err != nil {
		return err
	}
	body := newMultipartRequestBody(t)
	if err := body.DecodeBody(rest); err != nil {
		return err
	}
	m.Flags, m.Body = flags, body
	return nil
}

func (m *MultipartReply) DecodeBody(b []byte) error {
	t, flags, rest, err := decodeMultipartHeader("MULTIPART_REPLY", b)
	if err != nil {
		return err
	}
	body := newMultipartReplyBody(t)
	if err := body.DecodeBody(rest); err != nil {
		return err
	}
	m.Flags, m.Body = flags, body
	return nil
}

func decodeMultipartHeader(msg string, b []byte) (MultipartType, uint16, []byte, error) {
	if err := need(msg, HeaderLen, b, multipartHeaderLen); err != nil {
		return 0, 0, nil, err
	}
	return MultipartType(u16(b)), u16(b[2:]), b[multipartHeaderLen:], nil
}

// MultipartRaw is a multipart body of a type this package does not decode
// (or an experimenter body); its bytes are kept as they were.
type MultipartRaw struct {
	MPType MultipartType
	Data   []byte
}

func (m *MultipartRaw) MultipartType() MultipartType { return m.MPType }
func (m *MultipartRaw) AppendBody(b []byte) []byte   { return append(b, m.Data...) }
func (m *MultipartRaw) DecodeBody(b []byte) error    { m.Data = orNil(b); return nil }

// emptyBody is the shared implementation of requests with no body.
type emptyBody struct{}

func (emptyBody) AppendBody(b []byte) []byte { return b }
func (emptyBody) DecodeBody(b []byte) error {
	if len(b) != 0 {
		return decodeErr("MULTIPART_REQUEST", multipartBodyBase, "unexpected body")
	}
	return nil
}
