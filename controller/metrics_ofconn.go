package controller

import (
	"encoding/binary"
	"net"
	"sync"

	"github.com/lorispack/loris/ofproto"
	"github.com/prometheus/client_golang/prometheus"
)

// countingConn counts the OpenFlow messages crossing a switch connection by
// type, by following the frame headers in the byte streams. Counting below
// ofproto.Conn sees every message (handshake, echoes, replies, batches)
// without ofproto knowing about metrics.
type countingConn struct {
	net.Conn
	in, out *frameCounter
}

func (m *Metrics) countingConn(nc net.Conn) net.Conn {
	return &countingConn{
		Conn: nc,
		in:   &frameCounter{counters: m.ofMessagesIn},
		out:  &frameCounter{counters: m.ofMessagesOut},
	}
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.feed(p[:n])
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.feed(p[:n])
	return n, err
}

// frameCounter walks one direction of an OpenFlow stream: it collects each
// 8-byte header, counts the message type, then skips the body, whatever
// way the stream is split into reads or writes.
type frameCounter struct {
	counters *prometheus.CounterVec

	mu     sync.Mutex
	header [ofproto.HeaderLen]byte
	have   int // header bytes collected
	skip   int // body bytes of the current message still to pass
	byType [256]prometheus.Counter
}

func (f *frameCounter) feed(p []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(p) > 0 {
		if f.skip > 0 {
			n := min(f.skip, len(p))
			f.skip -= n
			p = p[n:]
			continue
		}
		n := copy(f.header[f.have:], p)
		f.have += n
		p = p[n:]
		if f.have < ofproto.HeaderLen {
			return
		}
		f.have = 0
		f.count(f.header[1])
		// A length below the header size is a broken frame; ofproto drops
		// the connection, so resynchronising does not matter.
		f.skip = max(int(binary.BigEndian.Uint16(f.header[2:4]))-ofproto.HeaderLen, 0)
	}
}

func (f *frameCounter) count(t uint8) {
	c := f.byType[t]
	if c == nil {
		c = f.counters.WithLabelValues(ofproto.Type(t).String())
		f.byType[t] = c
	}
	c.Inc()
}
