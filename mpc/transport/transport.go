package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Conn carries framed messages between two parties and counts everything
// it carries. It is what protocols talk to; they never see sockets.
//
// Send never blocks on the peer reading (links are buffered), so "both
// parties send, then both receive" cannot deadlock. Recv blocks until a
// frame arrives, the peer goes away, the deadline passes or the context is
// cancelled.
type Conn interface {
	// Send transmits one frame. The payload may be reused after Send
	// returns.
	Send(payload []byte) error
	// Recv returns the next frame's payload.
	Recv() ([]byte, error)
	// Meter returns the counters of this endpoint.
	Meter() *Meter
	// Close releases the link; the peer's Recv then fails.
	Close() error
}

// Phase says whether traffic is online (input-dependent) or offline
// (preprocessing: correlated randomness, masked weights).
type Phase uint8

const (
	Online Phase = iota
	Offline
)

// Counters is a snapshot of a Meter.
type Counters struct {
	// Sent and Received are payload bytes (frame headers excluded),
	// split by phase.
	Sent, Received               int64
	SentOffline, ReceivedOffline int64
	// Messages and MessagesReceived count frames.
	Messages, MessagesReceived int64
	// Stamp is the highest causal stamp this endpoint has sent or
	// received: the run's rounds so far, as this endpoint sees them.
	Stamp int64
}

// Sub returns c − d, the traffic between two snapshots. Stamp becomes the
// number of rounds added.
func (c Counters) Sub(d Counters) Counters {
	return Counters{
		Sent: c.Sent - d.Sent, Received: c.Received - d.Received,
		SentOffline: c.SentOffline - d.SentOffline, ReceivedOffline: c.ReceivedOffline - d.ReceivedOffline,
		Messages: c.Messages - d.Messages, MessagesReceived: c.MessagesReceived - d.MessagesReceived,
		Stamp: c.Stamp - d.Stamp,
	}
}

// Meter counts an endpoint's traffic and keeps the causal stamps that
// define rounds (DESIGN §4): every frame carries 1 + the highest stamp its
// sender had received; the run's rounds are the highest stamp. A
// simultaneous exchange is one round, a ping-pong two, and back-to-back
// sends add nothing. Counting is always on. Meters are safe for
// concurrent use.
type Meter struct {
	mu       sync.Mutex
	c        Counters
	received int64 // highest stamp received
	phase    Phase
}

// SetPhase makes subsequent traffic count as online or offline.
func (m *Meter) SetPhase(p Phase) {
	m.mu.Lock()
	m.phase = p
	m.mu.Unlock()
}

// Snapshot returns the current counters.
func (m *Meter) Snapshot() Counters {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c
}

// stampForSend returns the stamp of a frame about to be sent and counts it.
// Offline frames carry no causal weight: preprocessing happens before the
// run, so its stamp is 0 and it adds no rounds.
func (m *Meter) stampForSend(n int) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.Messages++
	if m.phase == Offline {
		m.c.SentOffline += int64(n)
		return 0
	}
	m.c.Sent += int64(n)
	s := m.received + 1
	if s > m.c.Stamp {
		m.c.Stamp = s
	}
	return s
}

// observe counts a received frame with its stamp.
func (m *Meter) observe(n int, stamp int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.MessagesReceived++
	if stamp == 0 {
		m.c.ReceivedOffline += int64(n)
		return
	}
	m.c.Received += int64(n)
	if stamp > m.received {
		m.received = stamp
	}
	if stamp > m.c.Stamp {
		m.c.Stamp = stamp
	}
}

// Errors a Conn returns.
var (
	// ErrClosed: this endpoint was closed.
	ErrClosed = errors.New("transport: connection closed")
	// ErrPeerGone: the peer closed or vanished.
	ErrPeerGone = errors.New("transport: peer closed the connection")
)

// TimeoutError reports a Recv that waited longer than the deadline (on a
// Pipe), or a peer silent for the idle timeout (on a Stream).
type TimeoutError struct{ After time.Duration }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("transport: no message from the peer within %v", e.After)
}

// Timeout reports true, for net.Error compatibility.
func (e *TimeoutError) Timeout() bool { return true }

type frame struct {
	payload []byte
	stamp   int64
	kind    frameKind
}

// link is implemented by this package's conns. The shaper needs to send
// frames whose stamps were fixed when the protocol called Send, and the
// handshake sends control frames the Meter does not count.
type link interface {
	Conn
	// put transmits a frame whose counting is already done. It owns p.
	put(p []byte, stamp int64, kind frameKind) error
	// take returns the next frame of any kind without counting it. A nil
	// ctx never cancels.
	take(ctx context.Context) (frame, error)
	// state returns the error a Send would fail with now, or nil.
	state() error
}

// deliver counts a frame taken from a link and hands its payload to Recv.
func deliver(m *Meter, f frame) ([]byte, error) {
	if f.kind != kindData {
		return nil, errUnexpectedHello
	}
	m.observe(len(f.payload), f.stamp)
	return f.payload, nil
}

var errUnexpectedHello = errors.New("transport: received a handshake hello where a message was expected (the peer ran Handshake and this end did not)")

// memDepth is the number of frames an in-memory link buffers per
// direction. Protocols send one frame per round step, so a party never
// runs this far ahead of its peer.
const memDepth = 1 << 12

// memConn is one end of an in-memory link.
type memConn struct {
	meter    Meter
	in       <-chan frame
	out      chan<- frame
	gone     <-chan struct{} // closed when the peer closes
	closed   chan struct{}   // closed when we close
	ctx      context.Context
	timeout  time.Duration
	closeOne sync.Once
}

// MemOptions configure an in-memory link.
type MemOptions struct {
	// Context cancels blocked Recvs (nil: never).
	Context context.Context
	// Timeout bounds each Recv (0: no bound).
	Timeout time.Duration
}

// Pipe returns the two ends of a buffered in-memory link. Frames are
// copied on Send, so callers may reuse their buffers.
func Pipe(opts MemOptions) (Conn, Conn) {
	ab, ba := make(chan frame, memDepth), make(chan frame, memDepth)
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	ca, cb := make(chan struct{}), make(chan struct{})
	a := &memConn{in: ba, out: ab, gone: cb, closed: ca, ctx: ctx, timeout: opts.Timeout}
	b := &memConn{in: ab, out: ba, gone: ca, closed: cb, ctx: ctx, timeout: opts.Timeout}
	return a, b
}

func (c *memConn) Meter() *Meter { return &c.meter }

func (c *memConn) Send(p []byte) error {
	if err := c.state(); err != nil {
		return err
	}
	return c.put(append([]byte(nil), p...), c.meter.stampForSend(len(p)), kindData)
}

func (c *memConn) state() error {
	select {
	case <-c.closed:
		return ErrClosed
	case <-c.gone:
		return ErrPeerGone
	default:
	}
	if err := c.ctx.Err(); err != nil {
		return fmt.Errorf("transport: send: %w", err)
	}
	return nil
}

func (c *memConn) put(p []byte, stamp int64, kind frameKind) error {
	select {
	case c.out <- frame{payload: p, stamp: stamp, kind: kind}:
		return nil
	case <-c.gone:
		return ErrPeerGone
	case <-c.closed:
		return ErrClosed
	case <-c.ctx.Done():
		return fmt.Errorf("transport: send: %w", c.ctx.Err())
	}
}

func (c *memConn) Recv() ([]byte, error) {
	f, err := c.take(nil)
	if err != nil {
		return nil, err
	}
	return deliver(&c.meter, f)
}

func (c *memConn) take(ctx context.Context) (frame, error) {
	var deadline <-chan time.Time
	if c.timeout > 0 {
		t := time.NewTimer(c.timeout)
		defer t.Stop()
		deadline = t.C
	}
	var cancel <-chan struct{}
	if ctx != nil {
		cancel = ctx.Done()
	}
	select {
	case f := <-c.in:
		return f, nil
	case <-c.closed:
		return frame{}, ErrClosed
	case <-c.gone:
		select { // frames sent before the peer closed are still delivered
		case f := <-c.in:
			return f, nil
		default:
			return frame{}, ErrPeerGone
		}
	case <-deadline:
		return frame{}, &TimeoutError{After: c.timeout}
	case <-c.ctx.Done():
		return frame{}, fmt.Errorf("transport: recv: %w", c.ctx.Err())
	case <-cancel:
		return frame{}, fmt.Errorf("transport: recv: %w", ctx.Err())
	}
}

func (c *memConn) Close() error {
	c.closeOne.Do(func() { close(c.closed) })
	return nil
}
