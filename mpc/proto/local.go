package proto

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/transport"
)

// Local is a dealer and two parties in one process, linked by an in-memory
// transport: the way to run protocols by hand (in tests, notebooks and the
// REPL) and watch what each party sends.
//
//	l, _ := proto.NewLocal(fxp.MustNew(fxp.Default()), "seed")
//	err := l.Run(func(s *proto.Session) {
//		x := s.Input(proto.Client, xs, n, f) // xs: the client's values; others pass nil
//		y := s.Input(proto.Server, ys, n, f)
//		z := s.Trunc(s.Mul(x, y, nil), f)
//		l.Keep(s, "z", z)
//	})
//
// Run executes the body three times, as the three roles: first the dealer
// (which produces the correlated randomness the body will consume), then
// the client and the server concurrently. Values a role may not see are nil
// in its run (an input's non-owner passes nil).
type Local struct {
	Dealer, Client, Server *Session
	Mat                    *Queue
	conns                  [2]transport.Conn

	mu   sync.Mutex
	kept map[string][2]*Shared
	bits map[string][2][]uint8

	dealerTime, partyTime time.Duration // of the latest run
}

// NewLocal links a dealer and two parties in memory. seed seeds the
// dealer's randomness. A receive waits at most one minute.
func NewLocal(f *fxp.Funcs, seed string) (*Local, error) {
	if f == nil {
		return nil, fmt.Errorf("proto: NewLocal needs fixed-point functions")
	}
	if seed == "" {
		return nil, fmt.Errorf("proto: NewLocal needs a non-empty dealer seed")
	}
	q := &Queue{}
	a, b := transport.Pipe(transport.MemOptions{Timeout: time.Minute})
	d, err := NewSession(Dealer, nil, q, f, []byte(seed))
	if err != nil {
		return nil, err
	}
	c, err := NewSession(Client, a, q, f, nil)
	if err != nil {
		return nil, err
	}
	s, err := NewSession(Server, b, q, f, nil)
	if err != nil {
		return nil, err
	}
	return &Local{Dealer: d, Client: c, Server: s, Mat: q, conns: [2]transport.Conn{a, b}, kept: map[string][2]*Shared{}, bits: map[string][2][]uint8{}}, nil
}

// Run executes body as the dealer, then as the client and the server
// concurrently, and returns the first error of any role. Material the
// dealer produced but the parties did not consume is an error: the body
// must call the same protocols in every role.
func (l *Local) Run(body func(s *Session)) error {
	return l.RunContext(context.Background(), body)
}

// RunContext is Run with a context: cancelling it closes the link, so a
// party blocked on its peer stops.
func (l *Local) RunContext(ctx context.Context, body func(s *Session)) error {
	start := time.Now()
	if err := l.runRole(l.Dealer, body); err != nil {
		return err
	}
	l.dealerTime = time.Since(start)
	start = time.Now()
	defer func() { l.partyTime = time.Since(start) }()
	stop := context.AfterFunc(ctx, func() {
		l.conns[0].Close()
		l.conns[1].Close()
	})
	defer stop()
	errs := make(chan error, 2)
	for _, s := range []*Session{l.Client, l.Server} {
		go func() { errs <- l.runRole(s, body) }()
	}
	err1, err2 := <-errs, <-errs
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("proto: local run: %w", err)
	}
	if err1 != nil {
		return err1
	}
	if err2 != nil {
		return err2
	}
	if c, s := l.Mat.Pending(Client), l.Mat.Pending(Server); c != 0 || s != 0 {
		return fmt.Errorf("proto: local run left dealer material unused (client %d items, server %d): the roles ran different protocols", c, s)
	}
	return nil
}

// runRole runs body as one role, turning a panic into an error.
func (l *Local) runRole(s *Session, body func(s *Session)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("proto: the %v's run panicked: %v", s.Role, r)
		}
	}()
	body(s)
	if err := s.Err(); err != nil {
		return fmt.Errorf("proto: %v: %w", s.Role, err)
	}
	return nil
}

// Times returns the wall time of the latest run's dealer pass and of its
// parties' pass (both parties run concurrently).
func (l *Local) Times() (dealer, parties time.Duration) { return l.dealerTime, l.partyTime }

// Keep records a party's share of x under a name, for Value after the run.
// The dealer's call is ignored.
func (l *Local) Keep(s *Session, name string, x *Shared) {
	if s.Role == Dealer || x == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kept[name]
	k[s.Role] = x
	l.kept[name] = k
}

// Value reconstructs a kept value from both parties' shares: what a
// trusted observer would see. It exists for checking and teaching; no
// party of a real run can compute it.
func (l *Local) Value(name string) ([]uint64, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.kept[name]
	if !ok || k[0] == nil || k[1] == nil {
		return nil, 0, fmt.Errorf("proto: no value %q kept by both parties", name)
	}
	if k[0].N != k[1].N || k[0].Scale != k[1].Scale {
		return nil, 0, fmt.Errorf("proto: the parties kept %q with different shapes", name)
	}
	v := make([]uint64, k[0].N)
	for i := range v {
		v[i] = k[0].share[i] + k[1].share[i]
	}
	return v, k[0].Scale, nil
}

// KeepBits records a party's XOR shares of bits (as Less returns them)
// under a name, for Bits after the run. The dealer's call is ignored.
func (l *Local) KeepBits(s *Session, name string, b []uint8) {
	if s.Role == Dealer || b == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.bits[name]
	k[s.Role] = append([]uint8(nil), b...)
	l.bits[name] = k
}

// Bits reconstructs kept bits from both parties' XOR shares.
func (l *Local) Bits(name string) ([]uint8, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.bits[name]
	if !ok || k[0] == nil || k[1] == nil {
		return nil, fmt.Errorf("proto: no bits %q kept by both parties", name)
	}
	if len(k[0]) != len(k[1]) {
		return nil, fmt.Errorf("proto: the parties kept %q with different lengths", name)
	}
	return Xor(k[0], k[1]), nil
}

// Counters returns each party's traffic so far: index 0 is the client's
// endpoint, 1 the server's.
func (l *Local) Counters() [2]transport.Counters {
	return [2]transport.Counters{l.conns[0].Meter().Snapshot(), l.conns[1].Meter().Snapshot()}
}

// Rounds is the causal depth of the run so far (DESIGN §4).
func (l *Local) Rounds() int64 {
	c := l.Counters()
	return max(c[0].Stamp, c[1].Stamp)
}

// OfflineBytes is the size of the material the dealer produced for each
// party so far (client, server).
func (l *Local) OfflineBytes() (client, server int64) {
	return l.Mat.Bytes(Client), l.Mat.Bytes(Server)
}

// Close releases the link.
func (l *Local) Close() error {
	l.conns[0].Close()
	return l.conns[1].Close()
}
