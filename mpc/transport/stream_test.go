package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pattern is a payload whose bytes depend on its size and a tag, so a
// frame delivered to the wrong Recv or corrupted is noticed.
func pattern(n int, tag byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31) ^ tag
	}
	return p
}

func recvWant(c Conn, n int, tag byte) error {
	p, err := c.Recv()
	if err != nil {
		return err
	}
	if !bytes.Equal(p, pattern(n, tag)) {
		return fmt.Errorf("got %d bytes, want %d bytes with tag %d", len(p), n, tag)
	}
	return nil
}

// The same script of offline traffic, a simultaneous exchange,
// back-to-back sends, a reply and a ping-pong, for each side.
func scriptA(c Conn) error {
	steps := []func() error{
		func() error { c.Meter().SetPhase(Offline); return c.Send(pattern(100, 1)) },
		func() error { return recvWant(c, 50, 2) },
		func() error { c.Meter().SetPhase(Online); return c.Send(pattern(8, 3)) },
		func() error { return recvWant(c, 8, 4) },
		func() error { return c.Send(pattern(10, 5)) },
		func() error { return c.Send(nil) },
		func() error { return c.Send(pattern(1000, 6)) },
		func() error { return recvWant(c, 5, 7) },
		func() error { return c.Send(pattern(1, 8)) },
		func() error { return recvWant(c, 2, 9) },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			return fmt.Errorf("A step %d: %w", i, err)
		}
	}
	return nil
}

func scriptB(c Conn) error {
	steps := []func() error{
		func() error { c.Meter().SetPhase(Offline); return recvWant(c, 100, 1) },
		func() error { return c.Send(pattern(50, 2)) },
		func() error { c.Meter().SetPhase(Online); return c.Send(pattern(8, 4)) },
		func() error { return recvWant(c, 8, 3) },
		func() error { return recvWant(c, 10, 5) },
		func() error { return recvWant(c, 0, 0) },
		func() error { return recvWant(c, 1000, 6) },
		func() error { return c.Send(pattern(5, 7)) },
		func() error { return recvWant(c, 1, 8) },
		func() error { return c.Send(pattern(2, 9)) },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			return fmt.Errorf("B step %d: %w", i, err)
		}
	}
	return nil
}

// The script's counters, worked out by hand: stamps run 1 (exchange),
// 2 (back-to-back), 3 (reply), 4 and 5 (ping-pong).
var (
	scriptWantA = Counters{Sent: 8 + 10 + 0 + 1000 + 1, Received: 8 + 5 + 2, SentOffline: 100, ReceivedOffline: 50,
		Messages: 6, MessagesReceived: 4, Stamp: 5}
	scriptWantB = Counters{Sent: 8 + 5 + 2, Received: 8 + 10 + 0 + 1000 + 1, SentOffline: 50, ReceivedOffline: 100,
		Messages: 4, MessagesReceived: 6, Stamp: 5}
)

func TestCountersAgreeAcrossLinks(t *testing.T) {
	checkGoroutines(t)
	links := map[string]func(t *testing.T) (Conn, Conn){
		"mem": func(t *testing.T) (Conn, Conn) { return Pipe(MemOptions{Timeout: 10 * time.Second}) },
		"tcp": func(t *testing.T) (Conn, Conn) { return streamPair(t, StreamOptions{}) },
		"tls": func(t *testing.T) (Conn, Conn) { return tlsPair(t, StreamOptions{}) },
		"shaped-mem": func(t *testing.T) (Conn, Conn) {
			a, b := Pipe(MemOptions{Timeout: 10 * time.Second})
			return shapeBoth(t, a, b, Shaping{Latency: time.Millisecond, Bandwidth: Mbit(100), Jitter: time.Millisecond, Seed: 1})
		},
		"shaped-tcp": func(t *testing.T) (Conn, Conn) {
			a, b := streamPair(t, StreamOptions{})
			return shapeBoth(t, a, b, Shaping{Latency: time.Millisecond})
		},
	}
	for name, mk := range links {
		t.Run(name, func(t *testing.T) {
			a, b := mk(t)
			both(t, a, b, scriptA, scriptB)
			if got := a.Meter().Snapshot(); got != scriptWantA {
				t.Errorf("A counters\n got %+v\nwant %+v", got, scriptWantA)
			}
			if got := b.Meter().Snapshot(); got != scriptWantB {
				t.Errorf("B counters\n got %+v\nwant %+v", got, scriptWantB)
			}
			a.Close()
			b.Close()
		})
	}
}

func shapeBoth(t *testing.T, a, b Conn, s Shaping) (Conn, Conn) {
	t.Helper()
	sa, err := Shape(a, s)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Shape(b, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close(); sb.Close() })
	return sa, sb
}

func TestStreamWireCounters(t *testing.T) {
	a, b := streamPair(t, StreamOptions{IdleTimeout: -1})
	both(t, a, b, scriptA, scriptB)
	w := a.Wire()
	// A sent 6 messages with 1119 payload bytes, B 4 with 65.
	if w.FramesSent != 6 || w.BytesSent != 6*FrameHeaderSize+1119 || w.FramesReceived != 4 || w.BytesReceived != 4*FrameHeaderSize+65 {
		t.Errorf("wire %+v", w)
	}
	if w.KeepalivesSent != 0 || w.KeepalivesReceived != 0 {
		t.Errorf("keepalives with liveness off: %+v", w)
	}
}

func TestSimultaneous64MiB(t *testing.T) {
	checkGoroutines(t)
	for name, pair := range map[string]func(testing.TB, StreamOptions) (*Stream, *Stream){"tcp": streamPair, "tls": tlsPair} {
		t.Run(name, func(t *testing.T) {
			a, b := pair(t, StreamOptions{})
			pa, pb := pattern(64<<20, 1), pattern(64<<20, 2)
			swap := func(mine, theirs []byte) func(Conn) error {
				return func(c Conn) error {
					if err := c.Send(mine); err != nil {
						return err
					}
					got, err := c.Recv()
					if err != nil {
						return err
					}
					if !bytes.Equal(got, theirs) {
						return errors.New("payload corrupted")
					}
					return nil
				}
			}
			both(t, a, b, swap(pa, pb), swap(pb, pa))
			if s := a.Meter().Snapshot(); s.Sent != 64<<20 || s.Received != 64<<20 || s.Stamp != 1 {
				t.Errorf("counters %+v", s)
			}
			a.Close()
			b.Close()
		})
	}
}

func TestBackpressureBoundsMemory(t *testing.T) {
	checkGoroutines(t)
	const frame, frames, maxQueued = 256 << 10, 400, 1 << 20
	a, b := streamPair(t, StreamOptions{MaxQueued: maxQueued})
	var sent atomic.Int64
	done := make(chan error, 1)
	go func() {
		p := make([]byte, frame)
		for range frames {
			if err := a.Send(p); err != nil {
				done <- err
				return
			}
			sent.Add(1)
		}
		done <- nil
	}()
	// b does not read: a's Sends must stall once both queues and the
	// socket buffers are full, far below the 100 MiB a wants to send.
	time.Sleep(500 * time.Millisecond)
	stalled := sent.Load()
	if stalled >= frames {
		t.Fatalf("all %d sends returned while the peer read nothing", frames)
	}
	if bytesAhead := stalled * frame; bytesAhead > 48<<20 {
		t.Errorf("the sender ran %d MiB ahead of a peer that reads nothing", bytesAhead>>20)
	}
	a.mu.Lock()
	outBytes := a.outBytes
	a.mu.Unlock()
	b.mu.Lock()
	inBytes := b.inBytes
	b.mu.Unlock()
	if outBytes > maxQueued || inBytes > maxQueued+frame {
		t.Errorf("queued %d bytes to send and %d received, bound %d", outBytes, inBytes, maxQueued)
	}
	for i := range frames {
		if _, err := b.Recv(); err != nil {
			t.Fatalf("recv %d: %v", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestIdlePeerIsAlive(t *testing.T) {
	checkGoroutines(t)
	idle := 300 * time.Millisecond
	a, b := streamPair(t, StreamOptions{IdleTimeout: idle})
	// b computes for many idle timeouts before answering; its keepalives
	// keep a from declaring it dead.
	go func() {
		time.Sleep(5 * idle)
		b.Send([]byte("done"))
	}()
	p, err := a.Recv()
	if err != nil || string(p) != "done" {
		t.Fatalf("recv %q, %v", p, err)
	}
	if w := a.Wire(); w.KeepalivesReceived < 3 {
		t.Errorf("%d keepalives in %v with a %v timeout", w.KeepalivesReceived, 5*idle, idle)
	}
	if s := a.Meter().Snapshot(); s.Received != 4 || s.MessagesReceived != 1 {
		t.Errorf("keepalives were counted as payload: %+v", s)
	}
}

func TestSilentPeerTimesOut(t *testing.T) {
	checkGoroutines(t)
	na, nb := tcpConns(t) // nb is a raw peer that never writes
	defer nb.Close()
	idle := 200 * time.Millisecond
	a, err := NewStream(na, StreamOptions{IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	_, err = a.Recv()
	var te *TimeoutError
	if !errors.As(err, &te) || te.After != idle {
		t.Fatalf("recv from a silent peer: %v", err)
	}
	if el := time.Since(start); el < idle {
		t.Errorf("timed out after %v, before the idle timeout %v", el, idle)
	}
	if err := a.Send([]byte{1}); !errors.As(err, &te) {
		t.Errorf("send after the timeout: %v", err)
	}
	// The timed-out end closed the connection: the raw peer sees it.
	nb.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1024)
	for {
		if _, err := nb.Read(buf); err != nil {
			break
		}
	}
}

func TestSlowPeerIsAlive(t *testing.T) {
	checkGoroutines(t)
	na, nb := tcpConns(t)
	defer nb.Close()
	idle := 400 * time.Millisecond
	a, err := NewStream(na, StreamOptions{IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// One 64 KiB frame dribbled over 16 × 100 ms: no complete frame for
	// 4 idle timeouts, but bytes keep flowing.
	payload := pattern(64<<10, 1)
	go func() {
		var hdr [FrameHeaderSize]byte
		putHeader(hdr[:], header{kind: kindData, length: uint32(len(payload)), stamp: 1})
		nb.Write(hdr[:])
		for p := payload; len(p) > 0; p = p[4<<10:] {
			time.Sleep(100 * time.Millisecond)
			nb.Write(p[:4<<10])
		}
	}()
	p, err := a.Recv()
	if err != nil || !bytes.Equal(p, payload) {
		t.Fatalf("recv from a slow peer: %d bytes, %v", len(p), err)
	}
}

func TestPeerClosedSocket(t *testing.T) {
	checkGoroutines(t)
	na, nb := tcpConns(t)
	a, err := NewStream(na, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	go func() {
		time.Sleep(50 * time.Millisecond)
		nb.Close()
	}()
	start := time.Now()
	_, err = a.Recv()
	if !errors.Is(err, ErrPeerGone) {
		t.Fatalf("recv after the peer closed its socket: %v", err)
	}
	if el := time.Since(start); el > DefaultIdleTimeout/2 {
		t.Errorf("ErrPeerGone took %v", el)
	}
	if err := a.Send([]byte{1}); !errors.Is(err, ErrPeerGone) {
		t.Errorf("send after the peer left: %v", err)
	}
}

func TestCloseDeliversAndUnblocks(t *testing.T) {
	checkGoroutines(t)
	a, b := streamPair(t, StreamOptions{})
	// Frames sent before Close reach the peer, then it sees ErrPeerGone.
	big := pattern(8<<20, 3)
	if err := b.Send(big); err != nil {
		t.Fatal(err)
	}
	if err := b.Send([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 { // concurrent, repeated Close
		wg.Add(1)
		go func() { defer wg.Done(); b.Close() }()
	}
	wg.Wait()
	if p, err := a.Recv(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("first frame: %d bytes, %v", len(p), err)
	}
	if p, err := a.Recv(); err != nil || string(p) != "last words" {
		t.Fatalf("second frame: %q, %v", p, err)
	}
	if _, err := a.Recv(); !errors.Is(err, ErrPeerGone) {
		t.Errorf("after the peer closed: %v", err)
	}
	if err := b.Send(nil); err != ErrClosed {
		t.Errorf("send on a closed stream: %v", err)
	}
	if _, err := b.Recv(); err != ErrClosed {
		t.Errorf("recv on a closed stream: %v", err)
	}
	// Close unblocks a blocked Recv.
	c, d := streamPair(t, StreamOptions{})
	errc := make(chan error, 1)
	go func() { _, err := c.Recv(); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := <-errc; err != ErrClosed {
		t.Errorf("blocked recv after Close: %v", err)
	}
	if _, err := d.Recv(); !errors.Is(err, ErrPeerGone) {
		t.Errorf("peer of a closed stream: %v", err)
	}
}

func TestContextUnblocks(t *testing.T) {
	checkGoroutines(t)
	ctx, cancel := context.WithCancel(context.Background())
	na, nb := tcpConns(t)
	a, err := NewStream(na, StreamOptions{Context: ctx, MaxQueued: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewStream(nb, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer a.Close()
	recvErr := make(chan error, 1)
	go func() { _, err := a.Recv(); recvErr <- err }()
	sendErr := make(chan error, 1)
	go func() { // blocks on backpressure: b reads nothing
		p := make([]byte, 1<<20)
		for {
			if err := a.Send(p); err != nil {
				sendErr <- err
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	for _, ch := range []chan error{recvErr, sendErr} {
		select {
		case err := <-ch:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("after cancel: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("cancel did not unblock")
		}
	}
	// Cancelling closes the conn: the peer learns.
	for {
		if _, err := b.Recv(); err != nil {
			if !errors.Is(err, ErrPeerGone) {
				t.Errorf("peer of a cancelled stream: %v", err)
			}
			break
		}
	}
}

// rawPeer returns a stream and the raw connection of its peer, to write
// arbitrary bytes at it.
func rawPeer(t *testing.T, opts StreamOptions) (*Stream, net.Conn) {
	t.Helper()
	na, nb := tcpConns(t)
	a, err := NewStream(na, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); nb.Close() })
	return a, nb
}

func rawFrame(flags byte, length uint32, stamp, seq uint64, payload []byte) []byte {
	var h [FrameHeaderSize]byte
	h[0] = versionByte
	h[1] = flags
	be := func(b []byte, v uint64) {
		for i := range b {
			b[len(b)-1-i] = byte(v >> (8 * i))
		}
	}
	be(h[2:6], uint64(length))
	be(h[6:14], stamp)
	be(h[14:22], seq)
	return append(h[:], payload...)
}

func TestBadFramesRejected(t *testing.T) {
	checkGoroutines(t)
	good := rawFrame(0, 3, 1, 0, []byte("abc"))
	cases := []struct {
		name  string
		bytes []byte
		good  int // frames delivered before the error
		want  string
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, "not a marill frame (first byte 0x47)"},
		{"tls", []byte{0x16, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, "speaks TLS"},
		{"version", append([]byte{0xA2}, good[1:]...), 0, "frame format version 2, this build speaks 1"},
		{"flags", rawFrame(0x40, 3, 1, 0, []byte("abc")), 0, "unknown frame flags 0x40"},
		{"contradictory", rawFrame(flagHello|flagKeepalive, 0, 0, 0, nil), 0, "contradictory frame flags"},
		{"online stamp 0", rawFrame(0, 3, 0, 0, []byte("abc")), 0, "online frame with stamp 0"},
		{"offline stamp", rawFrame(flagOffline, 3, 4, 0, []byte("abc")), 0, "offline frame with stamp 4"},
		{"keepalive payload", rawFrame(flagKeepalive, 1, 0, 0, []byte("x")), 0, "keepalive with a payload"},
		{"stamp range", rawFrame(0, 0, 1<<63, 0, nil), 0, "out of range"},
		{"oversized", rawFrame(0, 1<<30+1, 1, 0, nil), 0, "frame of 1073741825 bytes exceeds the limit of 1073741824 bytes (MaxFrame)"},
		{"replayed", append(append([]byte(nil), good...), good...), 1, "frame sequence number 0, want 1 (a replayed frame)"},
		{"skipped", append(append([]byte(nil), good...), rawFrame(0, 3, 1, 2, []byte("abc"))...), 1, "want 1 (frames lost or reordered)"},
		{"truncated", append(append([]byte(nil), good...), rawFrame(0, 100, 1, 1, []byte("abc"))...), 1, "peer closed the connection in the middle of a frame"},
		{"truncated header", append(append([]byte(nil), good...), good[:7]...), 1, "in the middle of a frame"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, raw := rawPeer(t, StreamOptions{})
			raw.Write(tc.bytes)
			raw.(*net.TCPConn).CloseWrite()
			for i := range tc.good {
				if p, err := a.Recv(); err != nil || string(p) != "abc" {
					t.Fatalf("frame %d: %q %v", i, p, err)
				}
			}
			_, err := a.Recv()
			wantErr(t, err, tc.want)
			if err := a.Send([]byte{1}); err == nil {
				t.Error("send succeeded on a stream that rejected a frame")
			}
		})
	}
}

func TestOversizedSendRejected(t *testing.T) {
	a, _ := streamPair(t, StreamOptions{MaxFrame: 1000})
	wantErr(t, a.Send(make([]byte, 1001)), "message of 1001 bytes exceeds MaxFrame (1000 bytes)")
	if err := a.Send(make([]byte, 1000)); err != nil {
		t.Error(err)
	}
}

func TestStreamOptionsChecked(t *testing.T) {
	na, nb := tcpConns(t)
	defer na.Close()
	defer nb.Close()
	for _, o := range []StreamOptions{{MaxFrame: -1}, {MaxFrame: MaxFrameLimit + 1}, {MaxQueued: -5}} {
		if _, err := NewStream(na, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := NewStream(nil, StreamOptions{}); err == nil {
		t.Error("nil conn accepted")
	}
}
