package transport

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// FrameHeaderSize is the size in bytes of a stream frame's header. The
// Meter does not count headers; Stream.Wire does.
//
// Layout (big-endian):
//
//	offset  size  field
//	0       1     version byte: 0xA0 | version (0xA1 today)
//	1       1     flags: 1 offline, 2 keepalive, 4 hello
//	2       4     payload length
//	6       8     causal stamp (0 for offline and control frames)
//	14      8     sequence number, per direction, from 0, every frame
const FrameHeaderSize = 22

// FrameVersion is the version of the stream frame format this build
// speaks.
const FrameVersion = 1

const (
	frameMagic  = 0xA0 // high nibble of the version byte
	versionByte = frameMagic | FrameVersion

	flagOffline   = 1 << 0
	flagKeepalive = 1 << 1
	flagHello     = 1 << 2
	knownFlags    = flagOffline | flagKeepalive | flagHello

	// tlsHandshakeByte is the first byte of a TLS record carrying a
	// handshake: what an insecure end sees when a TLS peer dials it.
	tlsHandshakeByte = 0x16
)

// frameKind says what a frame carries.
type frameKind uint8

const (
	kindData      frameKind = iota // a protocol message: counted by the Meter
	kindHello                      // a handshake hello: control, not counted
	kindKeepalive                  // liveness only, never delivered
)

// header is a decoded frame header.
type header struct {
	kind   frameKind
	length uint32
	stamp  int64
	seq    uint64
}

// frameError is a malformed frame: the stream cannot be trusted after it.
type frameError struct{ msg string }

func (e *frameError) Error() string { return "transport: " + e.msg }

func malformed(format string, args ...any) error {
	return &frameError{msg: fmt.Sprintf(format, args...)}
}

// putHeader encodes h into b[:FrameHeaderSize].
func putHeader(b []byte, h header) {
	var flags byte
	switch h.kind {
	case kindKeepalive:
		flags = flagKeepalive
	case kindHello:
		flags = flagHello
	default:
		if h.stamp == 0 {
			flags = flagOffline
		}
	}
	b[0] = versionByte
	b[1] = flags
	binary.BigEndian.PutUint32(b[2:6], h.length)
	binary.BigEndian.PutUint64(b[6:14], uint64(h.stamp))
	binary.BigEndian.PutUint64(b[14:22], h.seq)
}

// parseHeader decodes and validates a header. It checks everything that
// does not depend on the stream's state (the sequence number is checked by
// the decoder).
func parseHeader(b []byte, maxFrame int64) (header, error) {
	switch v := b[0]; {
	case v == tlsHandshakeByte:
		return header{}, malformed("the peer speaks TLS but this end expects plain frames (insecure TCP on one side only?)")
	case v&0xF0 != frameMagic:
		return header{}, malformed("not a marill frame (first byte 0x%02x)", v)
	case v != versionByte:
		return header{}, malformed("frame format version %d, this build speaks %d", v&0x0F, FrameVersion)
	}
	flags := b[1]
	if flags&^knownFlags != 0 {
		return header{}, malformed("unknown frame flags 0x%02x", flags)
	}
	h := header{
		length: binary.BigEndian.Uint32(b[2:6]),
		seq:    binary.BigEndian.Uint64(b[14:22]),
	}
	stamp := binary.BigEndian.Uint64(b[6:14])
	if stamp > math.MaxInt64 {
		return header{}, malformed("frame stamp %d out of range", stamp)
	}
	h.stamp = int64(stamp)
	switch flags {
	case 0:
		h.kind = kindData
		if h.stamp == 0 {
			return header{}, malformed("online frame with stamp 0 (online stamps start at 1)")
		}
	case flagOffline:
		h.kind = kindData
		if h.stamp != 0 {
			return header{}, malformed("offline frame with stamp %d (offline frames carry 0)", h.stamp)
		}
	case flagKeepalive:
		h.kind = kindKeepalive
		if h.length != 0 || h.stamp != 0 {
			return header{}, malformed("keepalive with a payload or a stamp")
		}
	case flagHello:
		h.kind = kindHello
		if h.stamp != 0 {
			return header{}, malformed("hello with stamp %d", h.stamp)
		}
	default:
		return header{}, malformed("contradictory frame flags 0x%02x", flags)
	}
	if int64(h.length) > maxFrame {
		return header{}, malformed("frame of %d bytes exceeds the limit of %d bytes (MaxFrame)", h.length, maxFrame)
	}
	return h, nil
}

// frameDecoder reads frames from a byte stream and checks that their
// sequence numbers run 0, 1, 2, ... It allocates a frame's payload only
// after its header passed every check, so a hostile length prefix costs at
// most maxFrame bytes.
type frameDecoder struct {
	r        io.Reader
	maxFrame int64
	seq      uint64 // the next sequence number expected
	buf      [FrameHeaderSize]byte
}

// next returns the next frame. At a frame boundary a closed stream gives
// io.EOF; inside a frame it gives io.ErrUnexpectedEOF. Read errors are
// returned as they are, format errors as *frameError.
func (d *frameDecoder) next() (header, []byte, error) {
	if _, err := io.ReadFull(d.r, d.buf[:]); err != nil {
		return header{}, nil, err
	}
	h, err := parseHeader(d.buf[:], d.maxFrame)
	if err != nil {
		return header{}, nil, err
	}
	if h.seq != d.seq {
		if h.seq < d.seq {
			return header{}, nil, malformed("frame sequence number %d, want %d (a replayed frame)", h.seq, d.seq)
		}
		return header{}, nil, malformed("frame sequence number %d, want %d (frames lost or reordered)", h.seq, d.seq)
	}
	d.seq++
	if h.length == 0 {
		return h, nil, nil
	}
	p := make([]byte, h.length)
	if _, err := io.ReadFull(d.r, p); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return header{}, nil, err
	}
	return h, p, nil
}
