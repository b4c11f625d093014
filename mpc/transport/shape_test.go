package transport

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// pingPong runs k round trips of 8 bytes, a starting, and returns the
// elapsed time.
func pingPong(t testing.TB, a, b Conn, k int) time.Duration {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		for range k {
			p, err := b.Recv()
			if err == nil {
				err = b.Send(p)
			}
			if err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	start := time.Now()
	p := make([]byte, 8)
	for range k {
		if err := a.Send(p); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return el
}

// bulk sends n bytes from a to b in frames of size frame and returns the
// time from the first Send to the last Recv.
func bulk(t testing.TB, a, b Conn, n, frame int) time.Duration {
	t.Helper()
	got := make(chan error, 1)
	var end time.Time
	go func() {
		for left := n; left > 0; {
			p, err := b.Recv()
			if err != nil {
				got <- err
				return
			}
			left -= len(p)
		}
		end = time.Now()
		got <- nil
	}()
	start := time.Now()
	p := make([]byte, frame)
	for left := n; left > 0; left -= frame {
		if err := a.Send(p[:min(frame, left)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	return end.Sub(start)
}

func within(t *testing.T, what string, got, want time.Duration, tol float64) {
	t.Helper()
	if d := float64(got-want) / float64(want); d < -tol || d > tol {
		t.Errorf("%s took %v, want %v ± %.0f%%", what, got, want, 100*tol)
	} else {
		t.Logf("%s: %v (ideal %v, %+.1f%%)", what, got, want, 100*d)
	}
}

func TestShapeLatency(t *testing.T) {
	checkGoroutines(t)
	const k = 10
	lat := 10 * time.Millisecond
	t.Run("mem", func(t *testing.T) {
		a, b := Pipe(MemOptions{Timeout: 10 * time.Second})
		sa, sb := shapeBoth(t, a, b, Shaping{Latency: lat})
		within(t, "10 ping-pongs at 10 ms one-way", pingPong(t, sa, sb, k), 2*k*lat, 0.25)
		if r := rounds(sa, sb); r != 2*k {
			t.Errorf("%d rounds, want %d", r, 2*k)
		}
	})
	t.Run("tcp", func(t *testing.T) {
		a, b := streamPair(t, StreamOptions{})
		sa, sb := shapeBoth(t, a, b, Shaping{Latency: lat})
		within(t, "10 ping-pongs at 10 ms one-way over TCP", pingPong(t, sa, sb, k), 2*k*lat, 0.25)
	})
}

func TestShapeBandwidth(t *testing.T) {
	checkGoroutines(t)
	a, b := Pipe(MemOptions{Timeout: 10 * time.Second})
	sa, sb := shapeBoth(t, a, b, Shaping{Bandwidth: Gbit(1)})
	const n = 100 << 20
	ideal := time.Duration(float64(n) / Gbit(1) * float64(time.Second)) // 0.839 s
	within(t, "100 MiB at 1 Gbit/s", bulk(t, sa, sb, n, 1<<20), ideal, 0.25)
	if s := sb.Meter().Snapshot(); s.Received != n || s.MessagesReceived != 100 || s.Stamp != 1 {
		t.Errorf("counters %+v", s)
	}
}

func TestShapeKeepsOrderAndSendDoesNotBlock(t *testing.T) {
	checkGoroutines(t)
	a, b := Pipe(MemOptions{Timeout: 10 * time.Second})
	// Jitter far above the spacing of frames would reorder a naive
	// shaper; 1 Mbit/s makes each 100 KiB frame take 0.8 s on the wire.
	sa, err := Shape(a, Shaping{Latency: 5 * time.Millisecond, Jitter: 20 * time.Millisecond, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	start := time.Now()
	for i := range 200 {
		if err := sa.Send([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		p, err := b.Recv()
		if err != nil || p[0] != byte(i) {
			t.Fatalf("frame %d: %v %v", i, p, err)
		}
	}
	if el := time.Since(start); el < 5*time.Millisecond {
		t.Errorf("frames arrived after %v, before the latency", el)
	}
	slow, err := Shape(b, Shaping{Bandwidth: Mbit(1)})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	for range 10 {
		if err := slow.Send(make([]byte, 100<<10)); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("10 sends on a slow shaped link took %v: Send blocked", el)
	}
	a.Close() // the peer leaves: pending frames are dropped, Close is quick
	start = time.Now()
	slow.Close()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close of a shaped conn whose peer left took %v", el)
	}
}

func TestShapeCloseDeliversPending(t *testing.T) {
	checkGoroutines(t)
	a, b := streamPair(t, StreamOptions{})
	sa, err := Shape(a, Shaping{Latency: 50 * time.Millisecond, Bandwidth: Mbit(100)})
	if err != nil {
		t.Fatal(err)
	}
	big := pattern(1<<20, 9)
	sa.Send(big)
	sa.Send([]byte("bye"))
	sa.Close()
	if err := sa.Send(nil); err != ErrClosed {
		t.Errorf("send after close: %v", err)
	}
	if p, err := b.Recv(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("first frame %d bytes, %v", len(p), err)
	}
	if p, err := b.Recv(); err != nil || string(p) != "bye" {
		t.Fatalf("second frame %q, %v", p, err)
	}
	if _, err := b.Recv(); !errors.Is(err, ErrPeerGone) {
		t.Errorf("after close: %v", err)
	}
}

func TestShapeBackpressure(t *testing.T) {
	checkGoroutines(t)
	a, b := Pipe(MemOptions{})
	sa, err := Shape(a, Shaping{Bandwidth: Mbit(1), MaxQueued: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range 8 { // 4 MiB: 32 s at 1 Mbit/s
			if err := sa.Send(make([]byte, 512<<10)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		t.Fatalf("4 MiB queued in a 1 MiB shaper: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	b.Close() // the peer leaves: the blocked Send fails
	select {
	case err := <-done:
		if !errors.Is(err, ErrPeerGone) {
			t.Errorf("blocked send after the peer left: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocked send not released")
	}
	sa.Close()
}

func TestShapeChecksArguments(t *testing.T) {
	a, _ := Pipe(MemOptions{})
	for _, s := range []Shaping{{Latency: -1}, {Bandwidth: -1}, {Jitter: -1}, {MaxQueued: -1}} {
		if _, err := Shape(a, s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if _, err := Shape(nil, Shaping{}); err == nil {
		t.Error("nil conn accepted")
	}
	got := fmt.Sprint(Shaping{Latency: 10 * time.Millisecond, Bandwidth: Gbit(1)})
	if got != "10ms one-way, 1000 Mbit/s" {
		t.Errorf("String %q", got)
	}
}

func TestShapeForeignConn(t *testing.T) {
	checkGoroutines(t)
	a, b := Pipe(MemOptions{Timeout: 5 * time.Second})
	sa, err := Shape(foreignConn{a}, Shaping{Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	start := time.Now()
	sa.Send([]byte("x"))
	if p, err := b.Recv(); err != nil || string(p) != "x" || time.Since(start) < 5*time.Millisecond {
		t.Errorf("foreign shaped: %q %v after %v", p, err, time.Since(start))
	}
	if s := sa.Meter().Snapshot(); s.Sent != 1 || s.Stamp != 1 {
		t.Errorf("counters %+v", s)
	}
}
