package ofproto

// SendNow is Send that writes m to the network on the caller's goroutine
// when nothing else is queued or being written, and queues it like Send
// otherwise. It saves the hand-off to the writer goroutine, which is
// most of the latency of a lone message on a busy machine; the price is
// one write syscall per message, so use it for a message that answers
// the last one read (ReadBuffered is 0), not inside a burst, where
// queueing lets the writer coalesce the burst into a few syscalls.
//
// Unlike Send, SendNow never waits for room in the queue: over
// MaxQueuedBytes it returns ErrQueueFull and sends nothing, so that a
// read loop answering its peer never blocks on the peer's reading.
//
// A direct write waits for the socket as the writer's would: at most
// WriteTimeout, after which the connection closes. A failed write closes
// the connection, as the writer's would; SendNow then returns the error
// that says why.
func (c *Conn) SendNow(m Message) (uint32, error) {
	xid := c.nextXID()
	q := c.out
	if !q.lockOpen() {
		return 0, c.sendErr(ErrClosed)
	}
	if len(q.buf) > 0 || q.writing {
		defer q.mu.Unlock()
		return q.tryAppendLocked(xid, m)
	}
	out := Append(q.direct[:0], xid, m)
	if len(out) > MaxMessageLen {
		q.mu.Unlock()
		return 0, ErrMessageTooLong
	}
	q.writing = true
	q.queued += uint64(len(out))
	q.msgs++
	q.mu.Unlock()

	ok := c.write(out)
	q.wrote(out, &q.direct)
	if !ok {
		return 0, c.sendErr(ErrClosed)
	}
	return xid, nil
}

// TrySend is Send that never waits for room in the queue: over
// MaxQueuedBytes it returns ErrQueueFull and sends nothing. For a read
// loop's answers inside a burst (SendNow for the last one).
func (c *Conn) TrySend(m Message) (uint32, error) {
	xid := c.nextXID()
	q := c.out
	if !q.lockOpen() {
		return 0, c.sendErr(ErrClosed) // the error that says why, as Send's
	}
	defer q.mu.Unlock()
	return q.tryAppendLocked(xid, m)
}

// lockOpen takes q.mu and reports true if the queue is open; on a closed
// queue it leaves mu unlocked and reports false.
func (q *writeQueue) lockOpen() bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	return true
}

// tryAppendLocked queues m unless the queue is full. Called with q.mu
// held, on an open queue.
func (q *writeQueue) tryAppendLocked(xid uint32, m Message) (uint32, error) {
	if len(q.buf) >= q.limit {
		return 0, ErrQueueFull
	}
	xids, ms := [1]uint32{xid}, [1]Message{m}
	if _, err := q.appendLocked(xids[:], ms[:]); err != nil {
		return 0, err
	}
	return xid, nil
}

// ReadBuffered is how many bytes the read loop has received and not yet
// handed out. A Handler that sees 0 is answering the last message read
// so far: the moment for SendNow. Only a Handler may call it, on the
// read loop: it reads the read loop's buffer.
func (c *Conn) ReadBuffered() int { return c.in.r.Buffered() }
