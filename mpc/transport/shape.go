package transport

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Shaping describes a network link to emulate on the sending side of a
// conn: a frame sent at time t becomes visible to the peer's Recv no
// earlier than
//
//	start + size/Bandwidth + Latency + jitter,  start = max(t, end of the previous frame's serialization)
//
// where size is the payload length (headers are not modelled), and never
// before an earlier frame (the link stays in order). Shaped delays add to
// the underlying link's own: use it over a Pipe, or over loopback where
// the real link is fast.
type Shaping struct {
	// Latency is the one-way delay.
	Latency time.Duration
	// Bandwidth is in bytes per second (0: unlimited). Mbit and Gbit
	// convert from bits.
	Bandwidth float64
	// Jitter adds a delay drawn uniformly from [0, Jitter) to each frame,
	// from a generator seeded with Seed, so runs are reproducible.
	Jitter time.Duration
	Seed   uint64
	// MaxQueued bounds the payload bytes waiting in the shaper: Send
	// blocks beyond it, as a real link's buffers would push back.
	// 0 means DefaultMaxQueued.
	MaxQueued int64
}

// Mbit returns the bandwidth of n megabits per second in bytes per second.
func Mbit(n float64) float64 { return n * 1e6 / 8 }

// Gbit returns the bandwidth of n gigabits per second in bytes per second.
func Gbit(n float64) float64 { return n * 1e9 / 8 }

// String describes the shaping, e.g. "10ms one-way, 1 Gbit/s".
func (s Shaping) String() string {
	str := fmt.Sprintf("%v one-way", s.Latency)
	if s.Bandwidth > 0 {
		str += fmt.Sprintf(", %.4g Mbit/s", s.Bandwidth*8/1e6)
	} else {
		str += ", unlimited bandwidth"
	}
	if s.Jitter > 0 {
		str += fmt.Sprintf(", jitter < %v (seed %d)", s.Jitter, s.Seed)
	}
	return str
}

// shaped is a Conn whose sends pass through an emulated link.
type shaped struct {
	inner Conn
	l     link // inner as a link; nil for a foreign Conn
	s     Shaping
	max   int64
	rng   *rand.Rand

	mu       sync.Mutex
	room     *sync.Cond // space in q, or a state change
	queued   *sync.Cond // a frame in q, or a state change
	q        []scheduled
	qBytes   int64
	txFree   time.Time // when the emulated wire finishes the last frame
	last     time.Time // when the last frame is due
	err      error     // the underlying link failed
	closed   bool
	loopDone chan struct{}
	closeOne sync.Once
}

type scheduled struct {
	frame
	at time.Time
}

// Shape returns c with its sends delayed as s describes. Send stays
// non-blocking (up to s.MaxQueued) and frames keep their order and their
// causal stamps, which are fixed when Send is called. Shape both ends of a
// link to shape both directions. Close the shaped conn, not c: Close
// delivers the frames already sent, then closes c.
//
// Over this package's conns (Pipe, NewStream) the Meter counts exactly as
// without shaping. Over another Conn the frame reaches c.Send only when
// due, so its stamp may count receives that happened meanwhile.
func Shape(c Conn, s Shaping) (Conn, error) {
	switch {
	case c == nil:
		return nil, fmt.Errorf("transport: Shape needs a conn")
	case s.Latency < 0 || s.Jitter < 0 || s.Bandwidth < 0 || s.MaxQueued < 0:
		return nil, fmt.Errorf("transport: negative shaping %+v", s)
	}
	sc := &shaped{inner: c, s: s, max: s.MaxQueued, rng: rand.New(rand.NewPCG(s.Seed, 0x6d61726c)), loopDone: make(chan struct{})}
	if sc.max == 0 {
		sc.max = DefaultMaxQueued
	}
	sc.l, _ = c.(link)
	sc.room = sync.NewCond(&sc.mu)
	sc.queued = sync.NewCond(&sc.mu)
	go sc.deliver()
	return sc, nil
}

func (c *shaped) Meter() *Meter { return c.inner.Meter() }

func (c *shaped) Send(p []byte) error {
	if err := c.state(); err != nil {
		return err
	}
	cp := append([]byte(nil), p...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.waitRoomLocked(int64(len(p))); err != nil {
		return err
	}
	var stamp int64
	if c.l != nil {
		stamp = c.inner.Meter().stampForSend(len(p))
	}
	c.scheduleLocked(frame{payload: cp, stamp: stamp, kind: kindData})
	return nil
}

func (c *shaped) put(p []byte, stamp int64, kind frameKind) error {
	if c.l == nil {
		return fmt.Errorf("transport: shaped %T cannot carry control frames", c.inner)
	}
	if err := c.state(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.waitRoomLocked(int64(len(p))); err != nil {
		return err
	}
	c.scheduleLocked(frame{payload: p, stamp: stamp, kind: kind})
	return nil
}

func (c *shaped) waitRoomLocked(n int64) error {
	for {
		switch {
		case c.closed:
			return ErrClosed
		case c.err != nil:
			return c.err
		case c.qBytes == 0 || c.qBytes+n <= c.max:
			return nil
		}
		c.room.Wait()
	}
}

// scheduleLocked fixes when f is due and queues it.
func (c *shaped) scheduleLocked(f frame) {
	now := time.Now()
	start := now
	if c.txFree.After(now) {
		start = c.txFree
	}
	end := start
	if c.s.Bandwidth > 0 {
		end = start.Add(time.Duration(float64(len(f.payload)) / c.s.Bandwidth * float64(time.Second)))
	}
	c.txFree = end
	at := end.Add(c.s.Latency)
	if c.s.Jitter > 0 {
		at = at.Add(time.Duration(c.rng.Int64N(int64(c.s.Jitter))))
	}
	if at.Before(c.last) {
		at = c.last
	}
	c.last = at
	c.q = append(c.q, scheduled{frame: f, at: at})
	c.qBytes += int64(len(f.payload))
	c.queued.Signal()
}

// deliver hands each frame to the underlying conn when it is due.
func (c *shaped) deliver() {
	defer close(c.loopDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.mu.Lock()
		for len(c.q) == 0 && !c.closed && c.err == nil {
			c.queued.Wait()
		}
		if c.err != nil || len(c.q) == 0 {
			c.mu.Unlock()
			return
		}
		f := c.q[0]
		c.mu.Unlock()
		err := c.wait(timer, f.at)
		if err == nil && c.l != nil {
			err = c.l.put(f.payload, f.stamp, f.kind)
		} else if err == nil {
			err = c.inner.Send(f.payload)
		}
		c.mu.Lock()
		c.q[0] = scheduled{}
		c.q = c.q[1:]
		c.qBytes -= int64(len(f.payload))
		if err != nil && c.err == nil {
			c.err = err
		}
		c.room.Broadcast()
		c.mu.Unlock()
	}
}

// wait sleeps until at, checking the underlying link every pollEvery so
// that a dead peer ends the wait early.
func (c *shaped) wait(timer *time.Timer, at time.Time) error {
	for {
		d := time.Until(at)
		if d <= 0 {
			return nil
		}
		if c.l != nil {
			if err := c.l.state(); err != nil {
				return err
			}
			d = min(d, pollEvery)
		}
		timer.Reset(d)
		<-timer.C
	}
}

// pollEvery is how often a waiting shaper checks its underlying link.
const pollEvery = 50 * time.Millisecond

func (c *shaped) state() error {
	c.mu.Lock()
	closed, err := c.closed, c.err
	c.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case err != nil:
		return err
	case c.l != nil:
		return c.l.state()
	}
	return nil
}

func (c *shaped) Recv() ([]byte, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	return c.inner.Recv()
}

func (c *shaped) take(ctx context.Context) (frame, error) {
	if c.l == nil {
		return frame{}, fmt.Errorf("transport: shaped %T cannot carry control frames", c.inner)
	}
	return c.l.take(ctx)
}

// Close delivers the frames already sent, on their schedule, then closes
// the underlying conn. If the underlying link does not take them (the
// peer stopped reading) within DefaultIdleTimeout after the last is due,
// Close closes it anyway.
func (c *shaped) Close() error {
	c.closeOne.Do(func() {
		c.mu.Lock()
		c.closed = true
		grace := time.Until(c.last) + DefaultIdleTimeout
		c.queued.Broadcast()
		c.room.Broadcast()
		c.mu.Unlock()
		t := time.NewTimer(max(grace, DefaultIdleTimeout))
		defer t.Stop()
		select {
		case <-c.loopDone:
			c.inner.Close()
		case <-t.C:
			c.inner.Close() // unblocks a put stuck on backpressure
			<-c.loopDone
		}
	})
	return nil
}
