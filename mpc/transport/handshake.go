package transport

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// Hello is what each end announces right after connecting, so that two
// processes started with different builds or different runs refuse each
// other instead of exchanging nonsense.
type Hello struct {
	// Version names the protocol version, e.g. "marill-go/1". Both ends
	// must send the same string.
	Version string
	// Role is the sender's role: "client", "server" or "dealer".
	Role string
	// Run is a hash of the public run description (model, configuration,
	// knobs, sequence length, ...); see RunHash. Both ends must agree.
	Run [32]byte
}

// RunHash returns the SHA-256 of a canonical encoding of the public run
// description (for example its JSON), for Hello.Run.
func RunHash(description []byte) [32]byte { return sha256.Sum256(description) }

// helloFormat versions the hello's own encoding.
const helloFormat = 1

func (h Hello) encode() ([]byte, error) {
	switch {
	case h.Version == "":
		return nil, errors.New("transport: handshake: empty protocol version")
	case h.Role == "":
		return nil, errors.New("transport: handshake: empty role")
	case len(h.Version) > 255 || len(h.Role) > 255:
		return nil, errors.New("transport: handshake: version or role longer than 255 bytes")
	}
	b := make([]byte, 0, 3+len(h.Version)+len(h.Role)+32)
	b = append(b, helloFormat, byte(len(h.Version)))
	b = append(b, h.Version...)
	b = append(b, byte(len(h.Role)))
	b = append(b, h.Role...)
	return append(b, h.Run[:]...), nil
}

func decodeHello(b []byte) (Hello, error) {
	bad := errors.New("transport: handshake: malformed hello from the peer")
	if len(b) < 2 || b[0] != helloFormat {
		return Hello{}, bad
	}
	n := int(b[1])
	b = b[2:]
	if len(b) < n+1 {
		return Hello{}, bad
	}
	var h Hello
	h.Version, b = string(b[:n]), b[n:]
	n = int(b[0])
	b = b[1:]
	if len(b) != n+32 {
		return Hello{}, bad
	}
	h.Role = string(b[:n])
	copy(h.Run[:], b[n:])
	return h, nil
}

// Handshake exchanges hellos over c: it sends mine, receives the peer's,
// and fails, naming every difference, unless both speak the same Version,
// describe the same Run, and the peer's Role is peer ("" accepts any
// role). Run it once, right after connecting, on both ends.
//
// Hellos travel as control frames: they are not payload, so the Meter
// does not count them (a Stream's Wire counters do). Handshake works on
// this package's conns (Pipe, NewStream, Shape); ctx bounds the wait.
func Handshake(ctx context.Context, c Conn, mine Hello, peer string) (Hello, error) {
	l, ok := c.(link)
	if !ok {
		return Hello{}, fmt.Errorf("transport: handshake: %T cannot carry control frames", c)
	}
	b, err := mine.encode()
	if err != nil {
		return Hello{}, err
	}
	if err := l.state(); err != nil {
		return Hello{}, fmt.Errorf("transport: handshake: %w", err)
	}
	if err := l.put(b, 0, kindHello); err != nil {
		return Hello{}, fmt.Errorf("transport: handshake: %w", err)
	}
	f, err := l.take(ctx)
	if err != nil {
		return Hello{}, fmt.Errorf("transport: handshake: %w", err)
	}
	if f.kind != kindHello {
		return Hello{}, errors.New("transport: handshake: the peer sent a message before its hello (it does not run Handshake)")
	}
	theirs, err := decodeHello(f.payload)
	if err != nil {
		return Hello{}, err
	}
	var diffs []string
	if theirs.Version != mine.Version {
		diffs = append(diffs, fmt.Sprintf("protocol version differs (ours %q, the peer's %q)", mine.Version, theirs.Version))
	}
	if theirs.Run != mine.Run {
		diffs = append(diffs, fmt.Sprintf("run description differs (ours %x…, the peer's %x…)", mine.Run[:6], theirs.Run[:6]))
	}
	if peer != "" && theirs.Role != peer {
		diffs = append(diffs, fmt.Sprintf("unexpected role: the peer is the %q, want the %q", theirs.Role, peer))
	}
	if len(diffs) > 0 {
		return theirs, fmt.Errorf("transport: handshake with the %s refused: %s", theirs.Role, strings.Join(diffs, "; "))
	}
	return theirs, nil
}
