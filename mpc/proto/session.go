package proto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/marill-go/marill/mpc/fss"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/ring"
	"github.com/marill-go/marill/mpc/transport"
)

// Role is who runs a protocol function.
type Role uint8

const (
	// Client is party P0: it holds the prompt and learns the output.
	Client Role = iota
	// Server is party P1: it holds the fine-tuned weights.
	Server
	// Dealer is the trusted, input-independent helper of 2PC-Dealer: it
	// runs the same protocol code with no data, producing each party's
	// correlated randomness.
	Dealer
)

func (r Role) String() string {
	switch r {
	case Client:
		return "client"
	case Server:
		return "server"
	case Dealer:
		return "dealer"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Material carries correlated randomness from the dealer to the parties,
// in the order the protocol code asks for it. Protocols are data-oblivious,
// so the dealer, running the same code, produces items in exactly the order
// the parties consume them.
type Material interface {
	// Put queues an item for a party; bytes is its size as shipped.
	Put(to Role, item any, bytes int64) error
	// Take returns a party's next item.
	Take(r Role) (any, error)
	// Bytes is the total size of the items put for a party so far.
	Bytes(r Role) int64
}

// Queue is the in-process Material: two FIFO queues.
type Queue struct {
	mu    sync.Mutex
	items [2][]any
	head  [2]int
	bytes [2]int64
}

var _ Material = (*Queue)(nil)

// Put queues an item.
func (q *Queue) Put(to Role, item any, bytes int64) error {
	if to > Server {
		return fmt.Errorf("proto: material for %v", to)
	}
	q.mu.Lock()
	q.items[to] = append(q.items[to], item)
	q.bytes[to] += bytes
	q.mu.Unlock()
	return nil
}

// Take returns the next item for r.
func (q *Queue) Take(r Role) (any, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head[r] >= len(q.items[r]) {
		return nil, fmt.Errorf("proto: the dealer produced no more material for the %v (protocol streams out of step)", r)
	}
	it := q.items[r][q.head[r]]
	q.items[r][q.head[r]] = nil
	q.head[r]++
	if q.head[r] == len(q.items[r]) { // drained: release the backing array
		q.items[r], q.head[r] = q.items[r][:0], 0
	}
	return it, nil
}

// Bytes is the material size produced for r so far.
func (q *Queue) Bytes(r Role) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes[r]
}

// Pending is the number of items produced but not yet taken by r.
func (q *Queue) Pending(r Role) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items[r]) - q.head[r]
}

// Session is one role's side of a two-party computation with a dealer.
// Protocol functions are methods or functions of a Session: they never
// open sockets or reach globals; the transport and the material stream
// are injected.
type Session struct {
	Role Role
	// Conn links the client and the server (nil for the dealer).
	Conn transport.Conn
	// Mat is the dealer's stream of correlated randomness.
	Mat Material
	// F are the fixed-point functionalities the protocols realise.
	F *fxp.Funcs

	prg       *fss.PRG
	rnd       *Stream  // dealer randomness
	lastTrunc truncMat // the material of the latest truncation (TruncView)
	offline   time.Duration
	err       error
}

// Offset is added to every opened value: x̂ = x + Offset + r. It keeps
// x + Offset in [0, 2^63) for |x| < 2^62, which lets truncation detect the
// mask's wrap from public data (see Trunc).
const Offset = uint64(1) << 62

// NewSession returns a session for role r. The dealer needs a seed for its
// randomness; parties pass nil.
func NewSession(r Role, conn transport.Conn, mat Material, f *fxp.Funcs, dealerSeed []byte) (*Session, error) {
	if r > Dealer {
		return nil, fmt.Errorf("proto: unknown role %d", r)
	}
	if r != Dealer && conn == nil {
		return nil, fmt.Errorf("proto: the %v needs a connection", r)
	}
	if mat == nil || f == nil {
		return nil, fmt.Errorf("proto: a session needs a material stream and fixed-point functions")
	}
	s := &Session{Role: r, Conn: conn, Mat: mat, F: f, prg: fss.NewPRG()}
	if r == Dealer {
		if len(dealerSeed) == 0 {
			return nil, fmt.Errorf("proto: the dealer needs a seed")
		}
		s.rnd = NewStream(dealerSeed)
	}
	return s, nil
}

// Err returns the session's first error.
func (s *Session) Err() error { return s.err }

func (s *Session) fail(err error) {
	if s.err == nil && err != nil {
		s.err = err
	}
}

// failed reports whether the session has stopped.
func (s *Session) failed() bool { return s.err != nil }

// OfflineTime is the time spent in offline steps (input-independent work
// done during the run, such as precomputing with masked weights).
func (s *Session) OfflineTime() time.Duration { return s.offline }

// dealer reports whether this session is the dealer.
func (s *Session) dealer() bool { return s.Role == Dealer }

// put queues material for a party (dealer only).
func (s *Session) put(to Role, item any, bytes int64) {
	if s.failed() {
		return
	}
	s.fail(s.Mat.Put(to, item, bytes))
}

// take returns this party's next material item, typed.
func take[T any](s *Session) (T, bool) {
	var zero T
	if s.failed() {
		return zero, false
	}
	it, err := s.Mat.Take(s.Role)
	if err != nil {
		s.fail(err)
		return zero, false
	}
	v, ok := it.(T)
	if !ok {
		s.fail(fmt.Errorf("proto: the %v expected %T from the dealer, got %T (protocol streams out of step)", s.Role, zero, it))
		return zero, false
	}
	return v, true
}

// exchange sends this party's payload and receives the peer's.
func (s *Session) exchange(p []byte) []byte {
	if s.failed() {
		return nil
	}
	if err := s.Conn.Send(p); err != nil {
		s.fail(fmt.Errorf("proto: %v send: %w", s.Role, err))
		return nil
	}
	q, err := s.Conn.Recv()
	if err != nil {
		s.fail(fmt.Errorf("proto: %v receive: %w", s.Role, err))
		return nil
	}
	return q
}

// send transmits without waiting for a reply.
func (s *Session) send(p []byte) {
	if s.failed() {
		return
	}
	if err := s.Conn.Send(p); err != nil {
		s.fail(fmt.Errorf("proto: %v send: %w", s.Role, err))
	}
}

// recv waits for the peer's next frame.
func (s *Session) recv() []byte {
	if s.failed() {
		return nil
	}
	q, err := s.Conn.Recv()
	if err != nil {
		s.fail(fmt.Errorf("proto: %v receive: %w", s.Role, err))
	}
	return q
}

// exchangeWords opens n words of the given width: sends mine, returns the
// peer's.
func (s *Session) exchangeWords(mine []uint64, bits int) []uint64 {
	got := s.exchange(ring.Pack(nil, mine, bits))
	return s.unpack(got, len(mine), bits)
}

func (s *Session) unpack(b []byte, n, bits int) []uint64 {
	if s.failed() {
		return make([]uint64, n)
	}
	out := make([]uint64, n)
	if err := ring.Unpack(out, b, bits); err != nil {
		s.fail(fmt.Errorf("proto: malformed message from the peer: %w", err))
	}
	return out
}

// offlineStep runs f as input-independent work: its traffic is counted as
// offline and its time is not online time.
func (s *Session) offlineStep(f func()) {
	start := time.Now()
	if s.Conn != nil {
		s.Conn.Meter().SetPhase(transport.Offline)
	}
	f()
	if s.Conn != nil {
		s.Conn.Meter().SetPhase(transport.Online)
	}
	s.offline += time.Since(start)
}

// Stream is the dealer's pseudorandom generator: AES-128-CTR keyed by a
// hash of the seed. It is deterministic, so a run is reproducible from its
// dealer seed.
type Stream struct {
	ctr cipher.Stream
	buf []byte
	pos int
}

// NewStream returns a generator for seed.
func NewStream(seed []byte) *Stream {
	k := sha256.Sum256(append([]byte("marill-go dealer stream"), seed...))
	c, err := aes.NewCipher(k[:16])
	if err != nil {
		panic(err) // a 16-byte key cannot fail
	}
	return &Stream{ctr: cipher.NewCTR(c, k[16:]), buf: make([]byte, 1<<16), pos: 1 << 16}
}

// Read fills p with pseudorandom bytes.
func (g *Stream) Read(p []byte) (int, error) {
	clear(p)
	g.ctr.XORKeyStream(p, p)
	return len(p), nil
}

// Uint64 returns the next 64 pseudorandom bits.
func (g *Stream) Uint64() uint64 {
	if g.pos+8 > len(g.buf) {
		clear(g.buf)
		g.ctr.XORKeyStream(g.buf, g.buf)
		g.pos = 0
	}
	v := binary.LittleEndian.Uint64(g.buf[g.pos:])
	g.pos += 8
	return v
}

// Fill writes pseudorandom words, in bulk at AES-CTR speed.
func (g *Stream) Fill(v []uint64) {
	b := wordBytes(v)
	clear(b)
	g.ctr.XORKeyStream(b, b)
	if !littleEndian() {
		for i := range v {
			v[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
}

// key returns a fresh 16-byte key.
func (g *Stream) key() []byte {
	k := make([]byte, 16)
	g.Read(k)
	return k
}

// words returns n fresh pseudorandom words.
func (g *Stream) words(n int) []uint64 {
	v := make([]uint64, n)
	g.Fill(v)
	return v
}

// split returns additive shares (s0, s1) of v: s0 random, s1 = v − s0.
func (g *Stream) split(v []uint64) (s0, s1 []uint64) {
	s0 = g.words(len(v))
	s1 = make([]uint64, len(v))
	ring.Sub(s1, v, s0)
	return s0, s1
}

// errStopped is returned when a session has already failed.
var errStopped = errors.New("proto: session stopped after an earlier error")
