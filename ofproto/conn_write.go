package ofproto

import (
	"fmt"
	"sync"
	"time"
)

// writeQueue holds encoded output for the writer goroutine. Senders append
// whole messages to buf under mu; the writer swaps buf for an empty buffer
// and writes everything it took, so however many messages were queued in
// the meantime leave in one syscall (or a few, see MaxBatchBytes).
type writeQueue struct {
	mu        sync.Mutex
	dataReady sync.Cond // writer waits: buf non-empty or closed
	progress  sync.Cond // senders wait: room in buf, bytes written, or closed
	buf       []byte
	spare     []byte
	limit     int
	closed    bool
	// writing: someone is writing to the network (the writer goroutine,
	// or a SendNow caller); the other waits, so bytes never interleave.
	writing bool
	direct  []byte // SendNow's encoding buffer, reused
	queued  uint64 // bytes ever queued
	msgs    uint64 // messages ever queued
	written uint64 // bytes ever written
}

// spareKeepLimit stops one huge batch from pinning a huge buffer for the
// life of the connection.
const spareKeepLimit = 1 << 20

func newWriteQueue(limit int) *writeQueue {
	q := &writeQueue{limit: limit}
	q.dataReady.L = &q.mu
	q.progress.L = &q.mu
	return q
}

func (q *writeQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.dataReady.Broadcast()
	q.progress.Broadcast()
}

// enqueue encodes ms with xids onto the queue, all or nothing, waiting while
// the queue is over its limit. It returns the queue position after the
// batch, for flush.
func (q *writeQueue) enqueue(xids []uint32, ms []Message) (uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.buf) >= q.limit && !q.closed {
		q.progress.Wait()
	}
	if q.closed {
		return 0, ErrClosed
	}
	return q.appendLocked(xids, ms)
}

// appendLocked is enqueue once there is room. Called with q.mu held.
func (q *writeQueue) appendLocked(xids []uint32, ms []Message) (uint64, error) {
	start := len(q.buf)
	for i, m := range ms {
		at := len(q.buf)
		q.buf = Append(q.buf, xids[i], m)
		if len(q.buf)-at > MaxMessageLen {
			q.buf = q.buf[:start]
			return 0, ErrMessageTooLong
		}
	}
	q.queued += uint64(len(q.buf) - start)
	q.msgs += uint64(len(ms))
	if start == 0 {
		q.dataReady.Signal()
	}
	return q.queued, nil
}

// take blocks until there is output and returns all of it, or returns nil
// once the queue is closed.
func (q *writeQueue) take() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	for (len(q.buf) == 0 || q.writing) && !q.closed {
		q.dataReady.Wait()
	}
	if q.closed {
		return nil
	}
	q.writing = true
	out := q.buf
	q.buf, q.spare = q.spare[:0], nil
	q.progress.Broadcast() // the queue has room again
	return out
}

// wrote records that out has gone to the network (written by the writer,
// from take, or by SendNow), keeps its buffer in *keep for reuse, and
// wakes the writer for what was queued meanwhile.
func (q *writeQueue) wrote(out []byte, keep *[]byte) {
	q.mu.Lock()
	q.written += uint64(len(out))
	q.writing = false
	if cap(out) <= spareKeepLimit {
		*keep = out[:0]
	}
	pending := len(q.buf) > 0
	q.mu.Unlock()
	q.progress.Broadcast()
	if pending {
		q.dataReady.Signal()
	}
}

// flush waits until the queue has written up to pos (a value enqueue
// returned). It is bounded by the writer's write timeout: a stuck write
// closes the connection, which ends the wait.
func (q *writeQueue) flush(pos uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.written < pos && !q.closed {
		q.progress.Wait()
	}
	if q.written < pos {
		return ErrClosed
	}
	return nil
}

// writeLoop is the connection's only writer.
func (c *Conn) writeLoop() {
	for {
		out := c.out.take()
		if out == nil {
			return
		}
		if !c.write(out) {
			return
		}
		c.out.wrote(out, &c.out.spare)
	}
}

// write writes out to the network in chunks of at most MaxBatchBytes. A
// failed write closes the connection and returns false.
func (c *Conn) write(out []byte) bool {
	for rest := out; len(rest) > 0; {
		chunk := rest[:min(len(rest), c.opt.MaxBatchBytes)]
		// As for reads, a deadline that cannot be set leaves the
		// explaining to the write.
		_ = c.nc.SetWriteDeadline(time.Now().Add(c.opt.WriteTimeout))
		n, err := c.nc.Write(chunk)
		c.writeCalls.Add(1)
		if err != nil {
			c.closeWithError(fmt.Errorf("ofproto: write: %w", err))
			return false
		}
		rest = rest[n:]
	}
	return true
}

// Send queues m with a fresh xid and returns the xid. It does not wait for
// the write, only for room in the queue when MaxQueuedBytes is exceeded.
// m is encoded before Send returns, so the caller may reuse it.
func (c *Conn) Send(m Message) (uint32, error) {
	xids := [1]uint32{c.nextXID()}
	ms := [1]Message{m}
	if _, err := c.out.enqueue(xids[:], ms[:]); err != nil {
		return 0, c.sendErr(err)
	}
	return xids[0], nil
}

// SendBatch queues ms together, each with a fresh xid, so they leave in as
// few syscalls as possible and nothing else is interleaved. Either all are
// queued or none is.
func (c *Conn) SendBatch(ms []Message) ([]uint32, error) {
	xids := make([]uint32, len(ms))
	for i := range xids {
		xids[i] = c.nextXID()
	}
	if _, err := c.out.enqueue(xids, ms); err != nil {
		return nil, c.sendErr(err)
	}
	return xids, nil
}

// Reply queues m with the xid of the message it answers.
func (c *Conn) Reply(to Header, m Message) error {
	xids := [1]uint32{to.XID}
	ms := [1]Message{m}
	_, err := c.out.enqueue(xids[:], ms[:])
	return c.sendErr(err)
}

// sendErr turns the queue's bare ErrClosed into the error that says why.
func (c *Conn) sendErr(err error) error {
	if err == ErrClosed {
		<-c.done // the queue closes only inside closeWithError, after done
		return c.waitErr
	}
	return err
}
