package ofproto

var errorTypeNames = [...]string{
	"HELLO_FAILED", "BAD_REQUEST", "BAD_ACTION", "BAD_INSTRUCTION", "BAD_MATCH",
	"FLOW_MOD_FAILED", "GROUP_MOD_FAILED", "PORT_MOD_FAILED", "TABLE_MOD_FAILED",
	"QUEUE_OP_FAILED", "SWITCH_CONFIG_FAILED", "ROLE_REQUEST_FAILED",
	"METER_MOD_FAILED", "TABLE_FEATURES_FAILED",
}

// errorCodeNames[type][code] is the OpenFlow 1.3 name of each code.
var errorCodeNames = [...][]string{
	ErrTypeHelloFailed: {"INCOMPATIBLE", "EPERM"},
	ErrTypeBadRequest: {"BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER",
		"BAD_EXP_TYPE", "EPERM", "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN",
		"BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT", "BAD_PACKET", "MULTIPART_BUFFER_OVERFLOW"},
	ErrTypeBadAction: {"BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE",
		"BAD_OUT_PORT", "BAD_ARGUMENT", "EPERM", "TOO_MANY", "BAD_QUEUE",
		"BAD_OUT_GROUP", "MATCH_INCONSISTENT", "UNSUPPORTED_ORDER", "BAD_TAG",
		"BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT"},
	ErrTypeBadInstruction: {"UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID",
		"UNSUP_METADATA", "UNSUP_METADATA_MASK", "BAD_EXPERIMENTER", "BAD_EXP_TYPE",
		"BAD_LEN", "EPERM"},
	ErrTypeBadMatch: {"BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK",
		"BAD_NW_ADDR_MASK", "BAD_WILDCARDS", "BAD_FIELD", "BAD_VALUE", "BAD_MASK",
		"BAD_PREREQ", "DUP_FIELD", "EPERM"},
	ErrTypeFlowModFailed: {"UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP",
		"EPERM", "BAD_TIMEOUT", "BAD_COMMAND", "BAD_FLAGS"},
	ErrTypeGroupModFailed: {"GROUP_EXISTS", "INVALID_GROUP", "WEIGHT_UNSUPPORTED",
		"OUT_OF_GROUPS", "OUT_OF_BUCKETS", "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED",
		"LOOP", "UNKNOWN_GROUP", "CHAINED_GROUP", "BAD_TYPE", "BAD_COMMAND",
		"BAD_BUCKET", "BAD_WATCH", "EPERM"},
	ErrTypePortModFailed:      {"BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG", "BAD_ADVERTISE", "EPERM"},
	ErrTypeTableModFailed:     {"BAD_TABLE", "BAD_CONFIG", "EPERM"},
	ErrTypeQueueOpFailed:      {"BAD_PORT", "BAD_QUEUE", "EPERM"},
	ErrTypeSwitchConfigFailed: {"BAD_FLAGS", "BAD_LEN", "EPERM"},
	ErrTypeRoleRequestFailed:  {"STALE", "UNSUP", "BAD_ROLE"},
	ErrTypeMeterModFailed: {"UNKNOWN", "METER_EXISTS", "INVALID_METER",
		"UNKNOWN_METER", "BAD_COMMAND", "BAD_FLAGS", "BAD_RATE", "BAD_BURST",
		"BAD_BAND", "BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS"},
	ErrTypeTableFeaturesFailed: {"BAD_TABLE", "BAD_METADATA", "BAD_TYPE", "BAD_LEN",
		"BAD_ARGUMENT", "EPERM"},
}

// Error codes the controller reacts to; the full set is named by
// ErrorCodeName.
const (
	ErrCodeHelloIncompatible uint16 = 0
	ErrCodeHelloEPerm        uint16 = 1

	ErrCodeBadRequestBadVersion    uint16 = 0
	ErrCodeBadRequestBadType       uint16 = 1
	ErrCodeBadRequestBadMultipart  uint16 = 2
	ErrCodeBadRequestBadExperiment uint16 = 3
	ErrCodeBadRequestBadExpType    uint16 = 4
	ErrCodeBadRequestEPerm         uint16 = 5
	ErrCodeBadRequestBadLen        uint16 = 6
	ErrCodeBadRequestBufferUnknown uint16 = 8
	ErrCodeBadRequestBadTableID    uint16 = 9
	ErrCodeBadRequestIsSlave       uint16 = 10
	ErrCodeBadRequestBadPort       uint16 = 11

	ErrCodeBadActionBadType     uint16 = 0
	ErrCodeBadActionBadLen      uint16 = 1
	ErrCodeBadActionBadOutPort  uint16 = 4
	ErrCodeBadActionBadArgument uint16 = 5
	ErrCodeBadActionBadOutGroup uint16 = 9
	ErrCodeBadActionBadSetType  uint16 = 13
	ErrCodeBadActionBadSetArg   uint16 = 15

	ErrCodeBadInstructionUnknownInst uint16 = 0
	ErrCodeBadInstructionBadTableID  uint16 = 2

	ErrCodeBadMatchBadType   uint16 = 0
	ErrCodeBadMatchBadLen    uint16 = 1
	ErrCodeBadMatchBadField  uint16 = 6
	ErrCodeBadMatchBadValue  uint16 = 7
	ErrCodeBadMatchBadMask   uint16 = 8
	ErrCodeBadMatchBadPrereq uint16 = 9
	ErrCodeBadMatchDupField  uint16 = 10

	ErrCodeFlowModUnknown    uint16 = 0
	ErrCodeFlowModTableFull  uint16 = 1
	ErrCodeFlowModBadTableID uint16 = 2
	ErrCodeFlowModOverlap    uint16 = 3
	ErrCodeFlowModBadTimeout uint16 = 5
	ErrCodeFlowModBadCommand uint16 = 6
	ErrCodeFlowModBadFlags   uint16 = 7

	ErrCodeGroupModGroupExists  uint16 = 0
	ErrCodeGroupModInvalidGroup uint16 = 1
	ErrCodeGroupModOutOfGroups  uint16 = 3
	ErrCodeGroupModLoop         uint16 = 7
	ErrCodeGroupModUnknownGroup uint16 = 8
	ErrCodeGroupModChainedGroup uint16 = 9
	ErrCodeGroupModBadType      uint16 = 10
	ErrCodeGroupModBadCommand   uint16 = 11
	ErrCodeGroupModBadBucket    uint16 = 12

	ErrCodeMeterModMeterExists  uint16 = 1
	ErrCodeMeterModInvalidMeter uint16 = 2
	ErrCodeMeterModUnknownMeter uint16 = 3
	ErrCodeMeterModBadCommand   uint16 = 4

	ErrCodeRoleRequestStale   uint16 = 0
	ErrCodeRoleRequestUnsup   uint16 = 1
	ErrCodeRoleRequestBadRole uint16 = 2
)
