package proto

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/ring"
	"github.com/marill-go/marill/mpc/transport"
)

// sessions is a dealer and two parties linked in memory.
type sessions struct {
	dealer, client, server *Session
	mat                    *Queue
	conns                  [2]transport.Conn
}

func newSessions(t testing.TB, f *fxp.Funcs, seed string) *sessions {
	t.Helper()
	q := &Queue{}
	a, b := transport.Pipe(transport.MemOptions{Timeout: 20 * time.Second})
	d, err := NewSession(Dealer, nil, q, f, []byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewSession(Client, a, q, f, nil)
	s, _ := NewSession(Server, b, q, f, nil)
	return &sessions{dealer: d, client: c, server: s, mat: q, conns: [2]transport.Conn{a, b}}
}

func defaultFuncs(t testing.TB) *fxp.Funcs {
	t.Helper()
	return fxp.MustNew(fxp.Default())
}

// run executes body in the three roles: the dealer first, then the client
// and the server concurrently.
func (ss *sessions) run(t testing.TB, body func(s *Session)) {
	t.Helper()
	body(ss.dealer)
	if err := ss.dealer.Err(); err != nil {
		t.Fatalf("dealer: %v", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); body(ss.client) }()
	go func() { defer wg.Done(); body(ss.server) }()
	wg.Wait()
	for _, s := range []*Session{ss.client, ss.server} {
		if err := s.Err(); err != nil {
			t.Fatalf("%v: %v", s.Role, err)
		}
	}
	if ss.mat.Pending(Client) != 0 || ss.mat.Pending(Server) != 0 {
		t.Fatalf("material left over: client %d, server %d", ss.mat.Pending(Client), ss.mat.Pending(Server))
	}
}

// rounds is the causal depth so far.
func (ss *sessions) rounds() int64 {
	return max(ss.conns[0].Meter().Snapshot().Stamp, ss.conns[1].Meter().Snapshot().Stamp)
}

func (ss *sessions) sent() (int64, int64) {
	return ss.conns[0].Meter().Snapshot().Sent, ss.conns[1].Meter().Snapshot().Sent
}

// shareOf splits plaintext ring values into the role's share: the client's
// share is random (seeded), the server's the difference.
func shareOf(r Role, v []uint64, seed uint64) []uint64 {
	g := rand.New(rand.NewPCG(seed, 99))
	s0 := make([]uint64, len(v))
	for i := range s0 {
		s0[i] = g.Uint64()
	}
	switch r {
	case Client:
		return s0
	case Server:
		s1 := make([]uint64, len(v))
		ring.Sub(s1, v, s0)
		return s1
	}
	return nil
}

// input makes a Shared of plaintext ring values for the role.
func input(s *Session, v []uint64, scale int, seed uint64) *Shared {
	return NewShared(shareOf(s.Role, v, seed), len(v), scale)
}

// collector gathers both parties' output shares and adds them.
type collector struct {
	mu     sync.Mutex
	shares [2][]uint64
	bits   [2][]uint8
}

func (c *collector) add(s *Session, x *Shared) {
	if s.Role == Dealer {
		return
	}
	c.mu.Lock()
	c.shares[s.Role] = append([]uint64(nil), x.share...)
	c.mu.Unlock()
}

func (c *collector) addBits(s *Session, b []uint8) {
	if s.Role == Dealer {
		return
	}
	c.mu.Lock()
	c.bits[s.Role] = append([]uint8(nil), b...)
	c.mu.Unlock()
}

func (c *collector) value() []uint64 {
	v := make([]uint64, len(c.shares[0]))
	ring.Add(v, c.shares[0], c.shares[1])
	return v
}

func (c *collector) bitValue() []uint8 {
	return Xor(c.bits[0], c.bits[1])
}

// encode maps reals to ring elements at scale f.
func encode(f *fxp.Funcs, xs []float64, scale int) []uint64 {
	v := make([]uint64, len(xs))
	for i, x := range xs {
		v[i] = uint64(int64(x * float64(uint64(1)<<uint(scale))))
	}
	_ = f
	return v
}

func decodeAt(v uint64, scale int) float64 {
	return float64(int64(v)) / float64(uint64(1)<<uint(scale))
}
