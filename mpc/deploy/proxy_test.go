package deploy

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/transport"
)

// tap is a TCP proxy between two parties: it records every byte that
// crosses it in each direction and can throttle the link to a rate, in
// small chunks, so that bytes keep flowing while a large frame takes
// long to cross.
type tap struct {
	ln     net.Listener
	target string
	rate   float64 // bytes per second per direction (0: unthrottled)

	mu      sync.Mutex
	toDial  []byte // what the listening side received (from the dialler)
	toListn []byte // what the dialler received (from the listening side)
	wg      sync.WaitGroup
}

// newTap listens on loopback and forwards its one connection to target.
// It may be called from any goroutine.
func newTap(t *testing.T, target string, rate float64) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err) // loopback listening does not fail on a working machine
	}
	p := &tap{ln: ln, target: target, rate: rate}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *tap) addr() string { return p.ln.Addr().String() }

func (p *tap) serve() {
	defer p.wg.Done()
	in, err := p.ln.Accept()
	if err != nil {
		return
	}
	p.ln.Close()
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		in.Close()
		return
	}
	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); p.copy(out, in, &p.toDial) }()
	go func() { defer both.Done(); p.copy(in, out, &p.toListn) }()
	both.Wait()
	in.Close()
	out.Close()
}

// copy forwards src to dst, recording into rec, at most p.rate bytes per
// second in chunks of 256 bytes.
func (p *tap) copy(dst, src net.Conn, rec *[]byte) {
	defer dst.(*net.TCPConn).CloseWrite()
	chunk := 32 << 10
	if p.rate > 0 {
		chunk = 256
	}
	buf := make([]byte, chunk)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			*rec = append(*rec, buf[:n]...)
			p.mu.Unlock()
			if p.rate > 0 {
				time.Sleep(time.Duration(float64(n) / p.rate * float64(time.Second)))
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			return
		}
	}
}

// received returns copies of what the listening side and the dialling
// side received through the tap.
func (p *tap) received() (listener, dialler []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.toDial...), append([]byte(nil), p.toListn...)
}

// frames splits a recorded plain-TCP stream into its frames' payloads
// (transport's stream format: a FrameHeaderSize-byte header with the
// big-endian payload length at offset 2), dropping hellos' and
// keepalives' (flags 4 and 2) unless control is set.
func frames(b []byte, control bool) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < transport.FrameHeaderSize {
			return out, fmt.Errorf("%d bytes of a truncated header", len(b))
		}
		n := int(binary.BigEndian.Uint32(b[2:6]))
		flags := b[1]
		b = b[transport.FrameHeaderSize:]
		if len(b) < n {
			return out, fmt.Errorf("a frame of %d bytes truncated to %d", n, len(b))
		}
		if control || flags&6 == 0 {
			out = append(out, b[:n])
		}
		b = b[n:]
	}
	return out, nil
}
