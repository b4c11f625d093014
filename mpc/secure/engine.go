package secure

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/transport"
)

// Options configure an in-process secure engine.
type Options struct {
	// Numerics are the fixed-point parameters; the zero value means
	// fxp.Default().
	Numerics fxp.Params
	// Seed makes the dealer's randomness, and so the whole run,
	// reproducible. Different seeds give independent masks.
	Seed uint64
	// Timeout bounds every receive: a party that hears nothing from its
	// peer for this long stops with an error (default 60 s).
	Timeout time.Duration
	// Shaping, if set, gives the in-memory link between the parties a
	// network's latency and bandwidth (transport.Shape on both ends), so a
	// LAN or WAN run can be reproduced in one process; its report then
	// includes the network delay.
	Shaping *transport.Shaping
}

// Engine runs real two-party computation in one process: the client and
// the server are two goroutines exchanging bytes over an in-memory link,
// and an in-process dealer supplies their correlated randomness operation
// by operation (so a BERT-base run never holds more than one operation's
// keys). It implements mpc.Engine: the model code does not know it is
// running under MPC.
//
// For each operation the dealer runs first (its time is the dealer time),
// then both parties run concurrently (their wall time, less the time of
// input-independent steps such as precomputing with masked weights, is
// the online time). Value returns what the client sees.
type Engine struct {
	mpc.Sticky
	parties [3]*Party
	conns   [2]transport.Conn
	mat     *proto.Queue
	fx      *fxp.Funcs
	rec     mpc.Recorder
	meta    mpc.Meta

	dealerTime, offlineTime, onlineTime time.Duration
	shaped                              *transport.Shaping
}

var _ mpc.Engine = (*Engine)(nil)

// New returns an in-process two-party engine with a dealer.
func New(opts Options) (*Engine, error) {
	p := opts.Numerics
	if p == (fxp.Params{}) {
		p = fxp.Default()
	}
	f, err := fxp.New(p)
	if err != nil {
		return nil, fmt.Errorf("mpc/secure: %w", err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	a, b := transport.Pipe(transport.MemOptions{Timeout: opts.Timeout})
	if opts.Shaping != nil {
		if a, err = transport.Shape(a, *opts.Shaping); err != nil {
			return nil, fmt.Errorf("mpc/secure: %w", err)
		}
		if b, err = transport.Shape(b, *opts.Shaping); err != nil {
			return nil, fmt.Errorf("mpc/secure: %w", err)
		}
	}
	e := &Engine{conns: [2]transport.Conn{a, b}, mat: &proto.Queue{}, fx: f, shaped: opts.Shaping}
	seed := make([]byte, 8)
	binary.LittleEndian.PutUint64(seed, opts.Seed)
	for r, conn := range []transport.Conn{a, b, nil} {
		var ds []byte
		if proto.Role(r) == proto.Dealer {
			ds = seed
		}
		e.parties[r], err = NewParty(proto.Role(r), conn, e.mat, f, ds)
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// MustNew is New with default options; it cannot fail.
func MustNew() *Engine {
	e, err := New(Options{})
	if err != nil {
		panic(err)
	}
	return e
}

// Name describes the engine.
func (e *Engine) Name() string {
	return "secure/2pc-dealer(" + e.fx.Params().String() + ")"
}

// Numerics returns the fixed-point functionalities the protocols realise.
func (e *Engine) Numerics() *fxp.Funcs { return e.fx }

// SetMeta sets the metadata stamped on reports.
func (e *Engine) SetMeta(m mpc.Meta) { e.meta = m }

// Party returns one role's engine (for inspecting a party's own view).
func (e *Engine) Party(r proto.Role) *Party { return e.parties[r] }

// Close ends the link between the parties.
func (e *Engine) Close() error {
	for _, c := range e.conns {
		c.Close()
	}
	return nil
}

// tri is the in-process handle: one tensor per role.
type tri struct {
	t     [3]mpc.Tensor
	shape mpc.Shape
	vis   mpc.Visibility
	eng   *Engine
}

func (t *tri) Shape() mpc.Shape    { return t.shape }
func (t *tri) Vis() mpc.Visibility { return t.vis }

// totals is the engine-wide counters at one moment.
type totals struct {
	net      [2]transport.Counters
	material [2]int64
	offline  [2]time.Duration
}

func (e *Engine) totals() totals {
	var t totals
	for r := 0; r < 2; r++ {
		t.net[r] = e.conns[r].Meter().Snapshot()
		t.offline[r] = e.parties[r].s.OfflineTime()
	}
	t.material = [2]int64{e.mat.Bytes(proto.Client), e.mat.Bytes(proto.Server)}
	return t
}

// run executes one operation in the three roles: the dealer, then both
// parties concurrently, and records its merged cost.
func (e *Engine) run(op func(p *Party, args []mpc.Tensor) mpc.Tensor, ts ...mpc.Tensor) mpc.Tensor {
	var args [3][]mpc.Tensor
	for _, t := range ts {
		x, ok := t.(*tri)
		if !ok || x.eng != e {
			e.Fail(fmt.Errorf("mpc/secure: operand %T does not belong to this engine", t))
		}
		if !e.Failed() {
			for r := range args {
				args[r] = append(args[r], x.t[r])
			}
		}
	}
	if e.Failed() {
		return mpc.Placeholder{S: mpc.Shape{1}, V: mpc.Shared}
	}
	before := e.totals()
	var out [3]mpc.Tensor
	start := time.Now()
	out[proto.Dealer] = op(e.parties[proto.Dealer], args[proto.Dealer])
	e.dealerTime += time.Since(start)
	if err := e.parties[proto.Dealer].Err(); err != nil {
		e.Fail(err)
		e.Close()
		return out[proto.Dealer]
	}
	start = time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	for r := proto.Client; r <= proto.Server; r++ {
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					e.parties[r].Fail(fmt.Errorf("mpc/secure: %v panicked: %v", r, v))
					e.conns[r].Close()
				}
			}()
			// Label the goroutine so CPU profiles split the parties' work
			// from the dealer's (go tool pprof -tagfocus role=client).
			pprof.Do(context.Background(), pprof.Labels("role", r.String()), func(context.Context) {
				out[r] = op(e.parties[r], args[r])
			})
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for r := proto.Client; r <= proto.Server; r++ {
		if err := e.parties[r].Err(); err != nil {
			e.Fail(err)
		}
	}
	if e.Failed() {
		e.Close()
		return out[proto.Client]
	}
	after := e.totals()
	off := max(after.offline[0]-before.offline[0], after.offline[1]-before.offline[1])
	e.offlineTime += off
	e.onlineTime += wall - off
	oi := e.parties[proto.Client].last
	if !mpc.Unreported(oi.Op) {
		d := [2]transport.Counters{after.net[0].Sub(before.net[0]), after.net[1].Sub(before.net[1])}
		e.rec.Record(oi.Op, oi.Place, mpc.Cost{
			Count: 1, Elements: oi.Elements, MACs: oi.MACs,
			Rounds:        max(after.net[0].Stamp, after.net[1].Stamp) - max(before.net[0].Stamp, before.net[1].Stamp),
			SentClient:    d[0].Sent,
			SentServer:    d[1].Sent,
			OfflineClient: after.material[0] - before.material[0] + d[0].ReceivedOffline,
			OfflineServer: after.material[1] - before.material[1] + d[1].ReceivedOffline,
			Time:          wall - off,
		})
	}
	return &tri{t: out, shape: out[proto.Client].Shape(), vis: out[proto.Client].Vis(), eng: e}
}

// Input brings a plaintext in; only its owner's role (or every role, for
// public values) reads it.
func (e *Engine) Input(src mpc.Source, owner mpc.Visibility) mpc.Tensor {
	return e.run(func(p *Party, _ []mpc.Tensor) mpc.Tensor { return p.Input(src, owner) })
}

// Embed gathers the client's token rows; the ids reach the client's role
// only.
func (e *Engine) Embed(table mpc.Tensor, ids []int) mpc.Tensor {
	return e.run(func(p *Party, a []mpc.Tensor) mpc.Tensor {
		if p.role != proto.Client {
			return p.Embed(a[0], make([]int, len(ids)))
		}
		return p.Embed(a[0], ids)
	}, table)
}

// Share turns a plaintext into a shared value.
func (e *Engine) Share(x mpc.Tensor) mpc.Tensor {
	return e.run(func(p *Party, a []mpc.Tensor) mpc.Tensor { return p.Share(a[0]) }, x)
}

// Reveal opens x to Client, Server or Public.
func (e *Engine) Reveal(x mpc.Tensor, to mpc.Visibility) mpc.Tensor {
	return e.run(func(p *Party, a []mpc.Tensor) mpc.Tensor { return p.Reveal(a[0], to) }, x)
}

// Value returns what the client sees of x.
func (e *Engine) Value(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	t, ok := x.(*tri)
	if !ok || t.eng != e {
		return nil, fmt.Errorf("mpc/secure: operand %T does not belong to this engine", x)
	}
	return e.parties[proto.Client].Value(t.t[proto.Client])
}

var _ mpc.Peeker = (*Engine)(nil)

// Peek reconstructs any value from the roles' views: a plaintext from the
// role that holds it, a shared value by adding the client's and the
// server's shares. It sends nothing and changes no counter. It exists to
// measure accuracy layer by layer (marill's MeasureAccuracy); in a real
// deployment no party can do it.
func (e *Engine) Peek(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	t, ok := x.(*tri)
	if !ok || t.eng != e {
		return nil, fmt.Errorf("mpc/secure: operand %T does not belong to this engine", x)
	}
	c, _ := t.t[proto.Client].(*tensor)
	s, _ := t.t[proto.Server].(*tensor)
	if c == nil || s == nil {
		return nil, fmt.Errorf("mpc/secure: cannot peek at a placeholder")
	}
	switch {
	case c.plain != nil:
		return mpc.NewDense(t.shape, append([]float64(nil), c.plain...))
	case s.plain != nil:
		return mpc.NewDense(t.shape, append([]float64(nil), s.plain...))
	case c.sh != nil && s.sh != nil:
		cs, ss := c.sh.Share(), s.sh.Share()
		v := make([]uint64, len(cs))
		for i := range v {
			v[i] = cs[i] + ss[i]
		}
		return mpc.NewDense(t.shape, e.parties[proto.Client].decode(v, c.sh.Scale))
	}
	return nil, fmt.Errorf("mpc/secure: no role holds the value")
}

func (e *Engine) binary(f func(p *Party, a, b mpc.Tensor) mpc.Tensor, a, b mpc.Tensor) mpc.Tensor {
	return e.run(func(p *Party, x []mpc.Tensor) mpc.Tensor { return f(p, x[0], x[1]) }, a, b)
}

func (e *Engine) unaryOp(f func(p *Party, a mpc.Tensor) mpc.Tensor, a mpc.Tensor) mpc.Tensor {
	return e.run(func(p *Party, x []mpc.Tensor) mpc.Tensor { return f(p, x[0]) }, a)
}

// Add is a + b.
func (e *Engine) Add(a, b mpc.Tensor) mpc.Tensor { return e.binary((*Party).Add, a, b) }

// Sub is a − b.
func (e *Engine) Sub(a, b mpc.Tensor) mpc.Tensor { return e.binary((*Party).Sub, a, b) }

// Mul is a ⊙ b.
func (e *Engine) Mul(a, b mpc.Tensor) mpc.Tensor { return e.binary((*Party).Mul, a, b) }

// MatMul is a·b.
func (e *Engine) MatMul(a, b mpc.Tensor) mpc.Tensor { return e.binary((*Party).MatMul, a, b) }

// Neg is −a.
func (e *Engine) Neg(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Neg, a) }

// Scale is c·a.
func (e *Engine) Scale(a mpc.Tensor, c float64) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.Scale(x, c) }, a)
}

// AddConst is a + c.
func (e *Engine) AddConst(a mpc.Tensor, c float64) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.AddConst(x, c) }, a)
}

// Sum adds along the last dimension.
func (e *Engine) Sum(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Sum, a) }

// Transpose swaps the last two dimensions.
func (e *Engine) Transpose(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Transpose, a) }

// SplitHeads maps [n, h·d] to [h, n, d].
func (e *Engine) SplitHeads(a mpc.Tensor, heads int) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.SplitHeads(x, heads) }, a)
}

// MergeHeads maps [h, n, d] to [n, h·d].
func (e *Engine) MergeHeads(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).MergeHeads, a) }

// Rows slices rows [from, to).
func (e *Engine) Rows(a mpc.Tensor, from, to int) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.Rows(x, from, to) }, a)
}

// RotateHalf maps [x1, x2] to [−x2, x1].
func (e *Engine) RotateHalf(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).RotateHalf, a) }

// ReLU is max(a, 0).
func (e *Engine) ReLU(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).ReLU, a) }

// GeLU applies the chosen form.
func (e *Engine) GeLU(a mpc.Tensor, kind mpc.GeLUKind) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.GeLU(x, kind) }, a)
}

// SiLU applies the chosen form.
func (e *Engine) SiLU(a mpc.Tensor, kind mpc.SiLUKind) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.SiLU(x, kind) }, a)
}

// Tanh is tanh(a).
func (e *Engine) Tanh(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Tanh, a) }

// Exp is e^a on a ≤ 0.
func (e *Engine) Exp(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Exp, a) }

// Reciprocal is 1/a.
func (e *Engine) Reciprocal(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Reciprocal, a) }

// Rsqrt is 1/√a.
func (e *Engine) Rsqrt(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Rsqrt, a) }

// Max is the row maximum.
func (e *Engine) Max(a mpc.Tensor) mpc.Tensor { return e.unaryOp((*Party).Max, a) }

// Softmax normalises rows.
func (e *Engine) Softmax(a mpc.Tensor, kind mpc.SoftmaxKind, causal bool) mpc.Tensor {
	return e.unaryOp(func(p *Party, x mpc.Tensor) mpc.Tensor { return p.Softmax(x, kind, causal) }, a)
}

// LayerNorm normalises rows and applies gamma, beta.
func (e *Engine) LayerNorm(a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	if beta == nil {
		e.Fail(fmt.Errorf("mpc/secure: LayerNorm needs a shift (beta); use RMSNorm for none"))
		return mpc.Placeholder{S: a.Shape(), V: mpc.Shared}
	}
	return e.run(func(p *Party, x []mpc.Tensor) mpc.Tensor { return p.LayerNorm(x[0], x[1], x[2], eps) }, a, gamma, beta)
}

// RMSNorm divides rows by their root mean square and applies gamma.
func (e *Engine) RMSNorm(a, gamma mpc.Tensor, eps float64) mpc.Tensor {
	return e.run(func(p *Party, x []mpc.Tensor) mpc.Tensor { return p.RMSNorm(x[0], x[1], eps) }, a, gamma)
}

// Scope opens a report scope in every role.
func (e *Engine) Scope(name string) func() {
	ends := []func(){e.rec.Scope(name)}
	for _, p := range e.parties {
		ends = append(ends, p.Scope(name))
	}
	return func() {
		for _, end := range ends {
			end()
		}
	}
}

// Err returns the first error of the engine or any role.
func (e *Engine) Err() error {
	if err := e.Sticky.Err(); err != nil {
		return err
	}
	for _, p := range e.parties {
		if err := p.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Times returns the run's online time (the parties' wall time, less
// offline steps), its offline time (input-independent party work: masked
// weights, precomputation) and the dealer's time, all measured.
func (e *Engine) Times() (online, offline, dealer time.Duration) {
	return e.onlineTime, e.offlineTime, e.dealerTime
}

func (e *Engine) linkNote() string {
	if e.shaped != nil {
		return "in-process run with a shaped link (" + e.shaped.String() + "): both parties and the dealer share this machine."
	}
	return "in-process run: both parties and the dealer share this machine; no network delay."
}

// Report returns the run's costs: per row the rounds, the bytes each party
// sent, the offline bytes each received and the measured online time.
func (e *Engine) Report() *mpc.Report {
	on, off, dl := e.Times()
	return &mpc.Report{
		Engine: e.Name(), TimeKind: mpc.Measured, Meta: e.meta, Rows: e.rec.Rows(),
		Notes: []string{
			e.linkNote(),
			fmt.Sprintf("measured: online %v, offline party work %v, dealer %v.", on.Round(time.Millisecond), off.Round(time.Millisecond), dl.Round(time.Millisecond)),
			"offline bytes include the server's masked weights the client receives before the run.",
		},
	}
}
