package transport

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// both runs f on the two ends concurrently.
func both(t *testing.T, a, b Conn, fa, fb func(Conn) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs[0] = fa(a) }()
	go func() { defer wg.Done(); errs[1] = fb(b) }()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func rounds(a, b Conn) int64 {
	return max(a.Meter().Snapshot().Stamp, b.Meter().Snapshot().Stamp)
}

func exchange(c Conn) error {
	if err := c.Send(make([]byte, 8)); err != nil {
		return err
	}
	_, err := c.Recv()
	return err
}

func TestRoundSemantics(t *testing.T) {
	// A simultaneous exchange is one round.
	a, b := Pipe(MemOptions{})
	both(t, a, b, exchange, exchange)
	if r := rounds(a, b); r != 1 {
		t.Errorf("simultaneous exchange: %d rounds, want 1", r)
	}
	// A ping-pong is two.
	a, b = Pipe(MemOptions{})
	both(t, a, b,
		func(c Conn) error { c.Send([]byte{1}); _, err := c.Recv(); return err },
		func(c Conn) error { _, err := c.Recv(); c.Send([]byte{2}); return err })
	if r := rounds(a, b); r != 2 {
		t.Errorf("ping-pong: %d rounds, want 2", r)
	}
	// Back-to-back sends with no receive in between add nothing.
	a, b = Pipe(MemOptions{})
	both(t, a, b,
		func(c Conn) error {
			for range 5 {
				c.Send([]byte{1, 2, 3})
			}
			return nil
		},
		func(c Conn) error {
			for range 5 {
				if _, err := c.Recv(); err != nil {
					return err
				}
			}
			return nil
		})
	if r := rounds(a, b); r != 1 {
		t.Errorf("five back-to-back sends: %d rounds, want 1", r)
	}
	s := a.Meter().Snapshot()
	if s.Sent != 15 || s.Messages != 5 || b.Meter().Snapshot().Received != 15 {
		t.Errorf("counters %+v", s)
	}
	// Three sequential exchanges are three rounds; offline traffic adds none.
	a, b = Pipe(MemOptions{})
	both(t, a, b, func(c Conn) error {
		c.Meter().SetPhase(Offline)
		c.Send(make([]byte, 100))
		c.Recv()
		c.Meter().SetPhase(Online)
		for range 3 {
			if err := exchange(c); err != nil {
				return err
			}
		}
		return nil
	}, func(c Conn) error {
		c.Meter().SetPhase(Offline)
		c.Recv()
		c.Send(make([]byte, 50))
		c.Meter().SetPhase(Online)
		for range 3 {
			if err := exchange(c); err != nil {
				return err
			}
		}
		return nil
	})
	if r := rounds(a, b); r != 3 {
		t.Errorf("three exchanges after offline traffic: %d rounds, want 3", r)
	}
	sa := a.Meter().Snapshot()
	if sa.SentOffline != 100 || sa.ReceivedOffline != 50 || sa.Sent != 24 {
		t.Errorf("phase split %+v", sa)
	}
	// A three-step relay a→b→a→b is three rounds even though each party
	// sends twice at most.
	a, b = Pipe(MemOptions{})
	both(t, a, b,
		func(c Conn) error { c.Send(nil); _, err := c.Recv(); c.Send(nil); return err },
		func(c Conn) error { c.Recv(); c.Send(nil); _, err := c.Recv(); return err })
	if r := rounds(a, b); r != 3 {
		t.Errorf("relay of three: %d rounds, want 3", r)
	}
}

func TestSnapshotDelta(t *testing.T) {
	a, b := Pipe(MemOptions{})
	both(t, a, b, exchange, exchange)
	before := a.Meter().Snapshot()
	both(t, a, b, exchange, exchange)
	d := a.Meter().Snapshot().Sub(before)
	if d.Stamp != 1 || d.Sent != 8 || d.Received != 8 {
		t.Errorf("delta %+v", d)
	}
}

func TestFailures(t *testing.T) {
	a, b := Pipe(MemOptions{Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := a.Recv()
	var te *TimeoutError
	if !errors.As(err, &te) || time.Since(start) > 2*time.Second {
		t.Errorf("a silent peer should time out: %v", err)
	}
	b.Send([]byte("last words"))
	b.Close()
	if p, err := a.Recv(); err != nil || string(p) != "last words" {
		t.Errorf("frames sent before close are delivered: %q %v", p, err)
	}
	if _, err := a.Recv(); !errors.Is(err, ErrPeerGone) {
		t.Errorf("after the peer closed: %v", err)
	}
	if err := a.Send(nil); !errors.Is(err, ErrPeerGone) {
		t.Errorf("send to a closed peer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := Pipe(MemOptions{Context: ctx})
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := c.Recv(); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestBothSendFirstDoesNotDeadlock(t *testing.T) {
	// An unbuffered pipe deadlocks here; ours must not, even for large frames.
	a, b := Pipe(MemOptions{Timeout: 5 * time.Second})
	big := make([]byte, 32<<20)
	both(t, a, b,
		func(c Conn) error { c.Send(big); _, err := c.Recv(); return err },
		func(c Conn) error { c.Send(big); _, err := c.Recv(); return err })
}
