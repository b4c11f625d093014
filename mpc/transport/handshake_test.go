package transport

import (
	"context"
	"errors"
	"testing"
	"time"
)

func hello(role string) Hello {
	return Hello{Version: "marill-go/1", Role: role, Run: RunHash([]byte(`{"model":"tiny"}`))}
}

// handshakeBoth runs Handshake on both ends and returns their results.
func handshakeBoth(a, b Conn, ha, hb Hello, wantA, wantB string) (pa, pb Hello, ea, eb error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		pb, eb = Handshake(ctx, b, hb, wantB)
		close(done)
	}()
	pa, ea = Handshake(ctx, a, ha, wantA)
	<-done
	return
}

func TestHandshake(t *testing.T) {
	checkGoroutines(t)
	links := map[string]func(t *testing.T) (Conn, Conn){
		"mem": func(t *testing.T) (Conn, Conn) {
			a, b := Pipe(MemOptions{})
			t.Cleanup(func() { a.Close(); b.Close() })
			return a, b
		},
		"tls": func(t *testing.T) (Conn, Conn) { return tlsPair(t, StreamOptions{}) },
		"shaped": func(t *testing.T) (Conn, Conn) {
			a, b := Pipe(MemOptions{})
			return shapeBoth(t, a, b, Shaping{Latency: time.Millisecond})
		},
	}
	for name, mk := range links {
		t.Run(name, func(t *testing.T) {
			a, b := mk(t)
			pa, pb, ea, eb := handshakeBoth(a, b, hello("client"), hello("server"), "server", "client")
			if ea != nil || eb != nil {
				t.Fatalf("handshake: %v; %v", ea, eb)
			}
			if pa != hello("server") || pb != hello("client") {
				t.Errorf("peers' hellos %+v %+v", pa, pb)
			}
			// Hellos are control traffic: no payload, no messages, no rounds.
			if s := a.Meter().Snapshot(); s != (Counters{}) {
				t.Errorf("handshake was counted: %+v", s)
			}
			if s, ok := a.(*Stream); ok {
				if w := s.Wire(); w.FramesSent != 1 || w.BytesSent <= FrameHeaderSize {
					t.Errorf("wire %+v", w)
				}
			}
			// Messages flow normally afterwards.
			both(t, a, b, exchange, exchange)
			if r := rounds(a, b); r != 1 {
				t.Errorf("rounds after the handshake %d", r)
			}
		})
	}
}

func TestHandshakeMismatch(t *testing.T) {
	checkGoroutines(t)
	other := hello("server")
	other.Version = "marill-go/2"
	otherRun := hello("server")
	otherRun.Run = RunHash([]byte(`{"model":"gpt2"}`))
	all := otherRun
	all.Version, all.Role = "marill-go/0", "dealer"
	cases := []struct {
		name  string
		hb    Hello
		wants []string
	}{
		{"version", other, []string{`protocol version differs (ours "marill-go/1", the peer's "marill-go/2")`}},
		{"run", otherRun, []string{"run description differs"}},
		{"role", hello("dealer"), []string{`unexpected role: the peer is the "dealer", want the "server"`}},
		{"all", all, []string{"protocol version differs", "run description differs", "unexpected role"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := streamPair(t, StreamOptions{})
			_, _, ea, eb := handshakeBoth(a, b, hello("client"), tc.hb, "server", "")
			for _, w := range tc.wants {
				wantErr(t, ea, w)
			}
			if tc.name != "role" { // b accepts any role; the rest differs for both
				wantErr(t, eb, "refused")
			} else if eb != nil {
				t.Errorf("b accepts any role: %v", eb)
			}
		})
	}
}

func TestHandshakeMisuse(t *testing.T) {
	checkGoroutines(t)
	ctx := context.Background()
	// The peer sends a message instead of a hello, and then receives ours
	// where it expects a message.
	a, b := Pipe(MemOptions{Timeout: 5 * time.Second})
	b.Send([]byte("data"))
	_, err := Handshake(ctx, a, hello("client"), "server")
	wantErr(t, err, "sent a message before its hello")
	if _, err := b.Recv(); !errors.Is(err, errUnexpectedHello) {
		t.Errorf("message expected, hello received: %v", err)
	}
	// Our own hello is checked.
	if _, err := Handshake(ctx, a, Hello{Role: "client"}, ""); err == nil {
		t.Error("empty version accepted")
	}
	// A conn from elsewhere cannot carry hellos.
	if _, err := Handshake(ctx, foreignConn{a}, hello("client"), ""); err == nil {
		t.Error("foreign conn accepted")
	}
	// A silent peer: ctx bounds the wait.
	c, d := streamPair(t, StreamOptions{})
	_ = d
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = Handshake(cctx, c, hello("client"), "")
	wantErr(t, err, "deadline exceeded")
	// Malformed hellos are refused.
	for _, p := range [][]byte{nil, {2}, {1, 5, 'a'}, {1, 1, 'v', 1, 'r'}} {
		if _, err := decodeHello(p); err == nil {
			t.Errorf("hello %v decoded", p)
		}
	}
}

// foreignConn hides a conn's package-private methods.
type foreignConn struct{ Conn }
