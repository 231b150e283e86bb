package ofproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readerBufferSize is large enough that a burst of replies (flow stats)
// arrives in few read syscalls.
const readerBufferSize = 32 << 10

// maxFrameLen is the largest message accepted. The 16-bit length field
// cannot exceed it; the check stays so that a future smaller bound is one
// constant away.
const maxFrameLen = MaxMessageLen

// frameReader splits a byte stream into OpenFlow messages. It reuses one
// buffer: a frame returned by next is valid only until the following call.
type frameReader struct {
	r   *bufio.Reader
	buf []byte
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readerBufferSize), buf: make([]byte, 0, 4096)}
}

// next returns the next whole message, header included. A clean end of
// stream between messages is io.EOF; a stream that ends or lies inside a
// message is a *FrameError. Other read errors pass through.
func (fr *frameReader) next() ([]byte, error) {
	hdr := fr.buf[:HeaderLen]
	if n, err := io.ReadFull(fr.r, hdr); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FrameError{Reason: fmt.Sprintf("stream ended inside a header after %d of %d bytes", n, HeaderLen)}
		}
		return nil, err
	}
	length := int(binary.BigEndian.Uint16(hdr[2:4]))
	t := Type(hdr[1])
	if length < HeaderLen {
		return nil, &FrameError{Reason: fmt.Sprintf("%s length %d is below the %d-byte header", t, length, HeaderLen)}
	}
	if length > maxFrameLen {
		return nil, &FrameError{Reason: fmt.Sprintf("%s length %d exceeds %d", t, length, maxFrameLen)}
	}
	if cap(fr.buf) < length {
		nb := make([]byte, length)
		copy(nb, hdr)
		fr.buf = nb[:0]
	}
	frame := fr.buf[:length]
	if n, err := io.ReadFull(fr.r, frame[HeaderLen:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &FrameError{Reason: fmt.Sprintf("stream ended inside %s after %d of %d bytes", t, HeaderLen+n, length)}
		}
		return nil, err
	}
	return frame, nil
}
