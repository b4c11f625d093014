package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of StreamOptions.
const (
	DefaultIdleTimeout = 5 * time.Second
	DefaultMaxQueued   = 256 << 20
	DefaultMaxFrame    = 1 << 30
	// MaxFrameLimit is the largest MaxFrame the 32-bit length prefix
	// allows.
	MaxFrameLimit = 1<<32 - 1
)

// StreamOptions configure a stream conn. The zero value is usable.
type StreamOptions struct {
	// Context, when cancelled, closes the conn without flushing: blocked
	// Sends and Recvs return an error wrapping the context's error
	// (nil: never).
	Context context.Context
	// IdleTimeout is how long the peer may stay completely silent — no
	// frame, no keepalive, not a byte — before Recv fails with a
	// *TimeoutError and the conn is closed. Each end sends a keepalive
	// after IdleTimeout/3 without other traffic, so a peer busy
	// computing, or a slow peer whose bytes still flow, is never taken
	// for a dead one. 0 means DefaultIdleTimeout; a negative value turns
	// liveness off (no keepalives, no timeout). Give both ends the same
	// setting: an end without keepalives looks dead to one that expects
	// them. Over TLS, progress is seen a record (up to 16 KiB) at a
	// time, so a link slower than 16 KiB per IdleTimeout looks dead.
	IdleTimeout time.Duration
	// MaxQueued bounds the payload bytes buffered per direction: Send
	// blocks while MaxQueued bytes wait to be written (backpressure), and
	// the reader stops reading from the socket while MaxQueued received
	// bytes wait for Recv. A single larger message always passes, so a
	// party can run about 2·MaxQueued plus the socket buffers ahead of
	// its peer before Send blocks. 0 means DefaultMaxQueued.
	MaxQueued int64
	// MaxFrame is the largest payload either end may send; a longer
	// length prefix is rejected before anything is allocated.
	// 0 means DefaultMaxFrame; at most MaxFrameLimit.
	MaxFrame int64
}

// WireStats counts everything a stream put on or took off the wire,
// headers and control frames included (but not TLS record overhead).
type WireStats struct {
	// BytesSent and BytesReceived are header plus payload bytes.
	BytesSent, BytesReceived int64
	// FramesSent and FramesReceived count all frames: messages, hellos
	// and keepalives.
	FramesSent, FramesReceived int64
	// KeepalivesSent and KeepalivesReceived count liveness frames.
	KeepalivesSent, KeepalivesReceived int64
}

var (
	_ link = (*Stream)(nil)
	_ link = (*memConn)(nil)
	_ link = (*shaped)(nil)
)

// Stream is a Conn over a net.Conn (TCP, TLS, a Unix socket): frames with
// a FrameHeaderSize header, a writer goroutine with a bounded queue so
// Send does not wait for the peer, a reader goroutine that checks every
// frame, and keepalives for liveness. Use NewStream.
type Stream struct {
	nc        net.Conn
	meter     Meter
	idle      time.Duration // 0: liveness off
	keepalive time.Duration
	maxQueued int64
	maxFrame  int64
	bw        *bufio.Writer
	dec       frameDecoder

	mu       sync.Mutex
	sendable *sync.Cond // room in out, or a state change
	recvable *sync.Cond // a frame in in, or a state change
	readable *sync.Cond // room in in, or a state change
	out      []frame
	outBytes int64
	in       []frame
	inBytes  int64
	closed   error // ErrClosed or the context's error: this end stopped
	draining bool  // Close asked the writer to flush before stopping
	rerr     error // why the reader stopped: delivered once in is empty
	werr     error // why the writer stopped

	wake       chan struct{} // pokes the writer
	writerDone chan struct{}
	readerDone chan struct{}
	done       chan struct{} // closed when shutdown has finished
	closeOnce  sync.Once
	stopCtx    func() bool

	wire struct {
		bytesSent, bytesReceived           atomic.Int64
		framesSent, framesReceived         atomic.Int64
		keepalivesSent, keepalivesReceived atomic.Int64
	}
}

// NewStream starts a stream conn over nc and owns it from then on: Close
// closes nc. Both ends of nc must run a Stream.
func NewStream(nc net.Conn, opts StreamOptions) (*Stream, error) {
	if nc == nil {
		return nil, errors.New("transport: NewStream needs a connection")
	}
	if opts.MaxFrame < 0 || opts.MaxFrame > MaxFrameLimit {
		return nil, fmt.Errorf("transport: MaxFrame %d out of range [0, %d]", opts.MaxFrame, int64(MaxFrameLimit))
	}
	if opts.MaxQueued < 0 {
		return nil, fmt.Errorf("transport: negative MaxQueued %d", opts.MaxQueued)
	}
	s := &Stream{
		nc:         nc,
		idle:       opts.IdleTimeout,
		maxQueued:  opts.MaxQueued,
		maxFrame:   opts.MaxFrame,
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
	switch {
	case s.idle == 0:
		s.idle = DefaultIdleTimeout
	case s.idle < 0:
		s.idle = 0
	}
	s.keepalive = s.idle / 3
	if s.maxQueued == 0 {
		s.maxQueued = DefaultMaxQueued
	}
	if s.maxFrame == 0 {
		s.maxFrame = DefaultMaxFrame
	}
	s.sendable = sync.NewCond(&s.mu)
	s.recvable = sync.NewCond(&s.mu)
	s.readable = sync.NewCond(&s.mu)
	s.bw = bufio.NewWriterSize(nc, 64<<10)
	s.dec = frameDecoder{r: bufio.NewReaderSize(&idleReader{s: s}, 64<<10), maxFrame: s.maxFrame}
	go s.writeLoop()
	go s.readLoop()
	s.stopCtx = func() bool { return false }
	if ctx := opts.Context; ctx != nil {
		s.stopCtx = context.AfterFunc(ctx, func() {
			s.closeOnce.Do(func() { s.shutdown(ctx.Err(), false) })
		})
	}
	return s, nil
}

// Meter returns the counters of this endpoint.
func (s *Stream) Meter() *Meter { return &s.meter }

// Wire returns the wire-level counters.
func (s *Stream) Wire() WireStats {
	return WireStats{
		BytesSent: s.wire.bytesSent.Load(), BytesReceived: s.wire.bytesReceived.Load(),
		FramesSent: s.wire.framesSent.Load(), FramesReceived: s.wire.framesReceived.Load(),
		KeepalivesSent: s.wire.keepalivesSent.Load(), KeepalivesReceived: s.wire.keepalivesReceived.Load(),
	}
}

// NetConn returns the underlying connection (for its addresses or its TLS
// state). Reading or writing it corrupts the stream.
func (s *Stream) NetConn() net.Conn { return s.nc }

// Send queues one frame and returns; it blocks only while MaxQueued bytes
// wait to be written.
func (s *Stream) Send(p []byte) error {
	if err := s.state(); err != nil {
		return err
	}
	if int64(len(p)) > s.maxFrame {
		return fmt.Errorf("transport: message of %d bytes exceeds MaxFrame (%d bytes)", len(p), s.maxFrame)
	}
	cp := append([]byte(nil), p...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.waitRoomLocked(int64(len(p))); err != nil {
		return err
	}
	s.enqueueLocked(frame{payload: cp, stamp: s.meter.stampForSend(len(p)), kind: kindData})
	return nil
}

func (s *Stream) put(p []byte, stamp int64, kind frameKind) error {
	if int64(len(p)) > s.maxFrame {
		return fmt.Errorf("transport: message of %d bytes exceeds MaxFrame (%d bytes)", len(p), s.maxFrame)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.waitRoomLocked(int64(len(p))); err != nil {
		return err
	}
	s.enqueueLocked(frame{payload: p, stamp: stamp, kind: kind})
	return nil
}

// waitRoomLocked blocks until n more bytes fit in the send queue.
func (s *Stream) waitRoomLocked(n int64) error {
	for {
		if err := s.sendErrLocked(); err != nil {
			return err
		}
		if s.outBytes == 0 || s.outBytes+n <= s.maxQueued {
			return nil
		}
		s.sendable.Wait()
	}
}

func (s *Stream) enqueueLocked(f frame) {
	s.out = append(s.out, f)
	s.outBytes += int64(len(f.payload))
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Stream) state() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendErrLocked()
}

func (s *Stream) sendErrLocked() error {
	switch {
	case s.closed != nil:
		return opError("send", s.closed)
	case s.rerr != nil:
		return s.rerr
	case s.werr != nil:
		return s.werr
	}
	return nil
}

// opError reports why this end stopped: ErrClosed, or the context's error
// wrapped with the operation.
func opError(op string, cause error) error {
	if cause == ErrClosed {
		return ErrClosed
	}
	return fmt.Errorf("transport: %s: %w", op, cause)
}

// Recv returns the next message. Frames that arrived before the peer went
// away are delivered before ErrPeerGone.
func (s *Stream) Recv() ([]byte, error) {
	f, err := s.take(nil)
	if err != nil {
		return nil, err
	}
	return deliver(&s.meter, f)
}

func (s *Stream) take(ctx context.Context) (frame, error) {
	if ctx != nil {
		stop := context.AfterFunc(ctx, func() {
			s.mu.Lock()
			s.recvable.Broadcast()
			s.mu.Unlock()
		})
		defer stop()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed != nil {
			return frame{}, opError("recv", s.closed)
		}
		if len(s.in) > 0 {
			f := s.in[0]
			s.in[0] = frame{}
			s.in = s.in[1:]
			s.inBytes -= int64(len(f.payload))
			s.readable.Signal()
			return f, nil
		}
		if s.rerr != nil {
			return frame{}, s.rerr
		}
		if ctx != nil && ctx.Err() != nil {
			return frame{}, fmt.Errorf("transport: recv: %w", ctx.Err())
		}
		s.recvable.Wait()
	}
}

// Close flushes the frames already sent (waiting at most the idle timeout
// for the peer to take them), closes the connection and stops the
// goroutines. Blocked Sends and Recvs return ErrClosed at once. Close is
// idempotent and safe to call concurrently.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() { s.shutdown(ErrClosed, true) })
	<-s.done
	return nil
}

// shutdown stops the stream with cause. With drain, the writer first
// flushes the queue and half-closes, and the reader waits for the peer to
// close in turn (a lingering close: closing with unread bytes would make
// the kernel reset the connection and lose our last frames).
func (s *Stream) shutdown(cause error, drain bool) {
	defer close(s.done)
	s.mu.Lock()
	s.closed = cause
	s.draining = drain
	s.sendable.Broadcast()
	s.recvable.Broadcast()
	s.readable.Broadcast()
	s.mu.Unlock()
	s.poke()
	if drain {
		limit := s.idle
		if limit == 0 {
			limit = DefaultIdleTimeout
		}
		t := time.NewTimer(limit)
		select {
		case <-s.writerDone:
			select {
			case <-s.readerDone:
			case <-t.C:
			}
		case <-t.C:
		}
		t.Stop()
	}
	s.nc.Close()
	<-s.writerDone
	<-s.readerDone
	s.stopCtx()
}

func (s *Stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Stream) writeLoop() {
	defer close(s.writerDone)
	var seq uint64
	var hdr [FrameHeaderSize]byte
	write := func(f frame) error {
		putHeader(hdr[:], header{kind: f.kind, length: uint32(len(f.payload)), stamp: f.stamp, seq: seq})
		seq++
		if _, err := s.bw.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := s.bw.Write(f.payload); err != nil {
			return err
		}
		s.wire.framesSent.Add(1)
		s.wire.bytesSent.Add(int64(FrameHeaderSize + len(f.payload)))
		if f.kind == kindKeepalive {
			s.wire.keepalivesSent.Add(1)
		}
		return nil
	}
	var timer *time.Timer
	var tick <-chan time.Time
	if s.keepalive > 0 {
		timer = time.NewTimer(s.keepalive)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		s.mu.Lock()
		if s.rerr != nil || s.werr != nil || (s.closed != nil && !s.draining) {
			s.mu.Unlock()
			return
		}
		if len(s.out) > 0 {
			f := s.out[0]
			s.out[0] = frame{}
			s.out = s.out[1:]
			s.mu.Unlock()
			err := write(f)
			s.mu.Lock()
			s.outBytes -= int64(len(f.payload))
			s.sendable.Broadcast()
			s.mu.Unlock()
			if err != nil {
				s.failWrite(err)
				return
			}
			continue
		}
		closing := s.closed != nil
		s.mu.Unlock()
		// The queue is empty: push what is buffered to the peer.
		if s.bw.Buffered() > 0 {
			if err := s.bw.Flush(); err != nil {
				s.failWrite(err)
				return
			}
		}
		if closing {
			if cw, ok := s.nc.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			return
		}
		if timer != nil {
			timer.Reset(s.keepalive)
		}
		select {
		case <-s.wake:
		case <-tick:
			err := write(frame{kind: kindKeepalive})
			if err == nil {
				err = s.bw.Flush()
			}
			if err != nil {
				s.failWrite(err)
				return
			}
		}
	}
}

func (s *Stream) failWrite(err error) {
	s.mu.Lock()
	if s.werr == nil {
		s.werr = s.classify(err)
	}
	s.sendable.Broadcast()
	s.mu.Unlock()
}

func (s *Stream) readLoop() {
	defer close(s.readerDone)
	for {
		s.mu.Lock()
		for s.inBytes >= s.maxQueued && s.closed == nil {
			s.readable.Wait()
		}
		closed := s.closed != nil
		s.mu.Unlock()
		// After Close the reader keeps reading (and discarding) until the
		// peer closes too, so that no unread bytes make the kernel reset
		// the connection.
		h, p, err := s.dec.next()
		if err != nil {
			s.failRead(err)
			return
		}
		s.wire.framesReceived.Add(1)
		s.wire.bytesReceived.Add(int64(FrameHeaderSize) + int64(h.length))
		if h.kind == kindKeepalive {
			s.wire.keepalivesReceived.Add(1)
			continue
		}
		if closed {
			continue
		}
		s.mu.Lock()
		s.in = append(s.in, frame{payload: p, stamp: h.stamp, kind: h.kind})
		s.inBytes += int64(len(p))
		s.recvable.Broadcast()
		s.mu.Unlock()
	}
}

// failRead records why the reader stopped and closes the connection: the
// peer is gone, silent, or sent something we cannot trust.
func (s *Stream) failRead(err error) {
	s.mu.Lock()
	if s.rerr == nil {
		s.rerr = s.classify(err)
	}
	s.sendable.Broadcast()
	s.recvable.Broadcast()
	s.mu.Unlock()
	s.poke()
	s.nc.Close()
}

// classify turns a read or write error into the error Send and Recv
// report.
func (s *Stream) classify(err error) error {
	var fe *frameError
	var ne net.Error
	switch {
	case errors.As(err, &fe):
		return err
	case err == io.EOF:
		return ErrPeerGone
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w in the middle of a frame", ErrPeerGone)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return fmt.Errorf("%w (%v)", ErrPeerGone, err)
	case errors.As(err, &ne) && ne.Timeout():
		return &TimeoutError{After: s.idle}
	case errors.Is(err, net.ErrClosed):
		return ErrClosed
	}
	return fmt.Errorf("transport: %w", err)
}

// idleReader sets a read deadline before every read, so a read fails only
// when not a byte arrived for the idle timeout. Time spent not reading
// (the receive queue full) does not count.
type idleReader struct{ s *Stream }

func (r *idleReader) Read(p []byte) (int, error) {
	if r.s.idle > 0 {
		r.s.nc.SetReadDeadline(time.Now().Add(r.s.idle))
	}
	return r.s.nc.Read(p)
}
