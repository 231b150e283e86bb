package ofproto

// TableStatsRequest asks for per-table counters.
type TableStatsRequest struct{ emptyBody }

// TableStats is one table's counters.
type TableStats struct {
	TableID      uint8
	ActiveCount  uint32
	LookupCount  uint64
	MatchedCount uint64
}

// TableStatsReply lists tables.
type TableStatsReply struct {
	Tables []TableStats
}

const tableStatsLen = 24

func (*TableStatsRequest) MultipartType() MultipartType { return MultipartTable }
func (*TableStatsReply) MultipartType() MultipartType   { return MultipartTable }

func (m *TableStatsReply) AppendBody(b []byte) []byte {
	for _, t := range m.Tables {
		b = append(b, t.TableID, 0, 0, 0)
		b = ap32(b, t.ActiveCount)
		b = ap64(b, t.LookupCount)
		b = ap64(b, t.MatchedCount)
	}
	return b
}

func (m *TableStatsReply) DecodeBody(b []byte) error {
	if err := entriesOf("TABLE_STATS_REPLY", b, tableStatsLen); err != nil {
		return err
	}
	tables := make([]TableStats, 0, len(b)/tableStatsLen)
	for e := b; len(e) > 0; e = e[tableStatsLen:] {
		tables = append(tables, TableStats{TableID: e[0], ActiveCount: u32(e[4:]), LookupCount: u64(e[8:]), MatchedCount: u64(e[16:])})
	}
	m.Tables = tables
	return nil
}

// entriesOf checks that a reply body is a whole number of fixed-size
// entries.
func entriesOf(msg string, b []byte, size int) error {
	if rem := len(b) % size; rem != 0 {
		return errTruncated(msg, multipartBodyBase+len(b)-rem, size, rem)
	}
	return nil
}
