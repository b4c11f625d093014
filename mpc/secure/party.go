package secure

import (
	"fmt"
	"math"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/internal/dense"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/transport"
)

// Party is one role's engine: the client, the server or the dealer. All
// three run the same model code; a Party computes what its role may see in
// the clear, runs the protocols of package proto for everything shared,
// and, for the dealer, produces the parties' correlated randomness.
type Party struct {
	mpc.Sticky
	role proto.Role
	s    *proto.Session
	fx   *fxp.Funcs
	conn transport.Conn
	mat  proto.Material
	rec  mpc.Recorder
	meta mpc.Meta
	last mpc.OpInfo // the latest operation, for the in-process engine's report
}

var _ mpc.Engine = (*Party)(nil)

// NewParty returns the engine of one role. The parties need the link to
// each other; the dealer needs a seed. mat carries the dealer's material
// to the parties.
func NewParty(role proto.Role, conn transport.Conn, mat proto.Material, f *fxp.Funcs, dealerSeed []byte) (*Party, error) {
	s, err := proto.NewSession(role, conn, mat, f, dealerSeed)
	if err != nil {
		return nil, fmt.Errorf("mpc/secure: %w", err)
	}
	return &Party{role: role, s: s, fx: f, conn: conn, mat: mat}, nil
}

// Role returns the party's role.
func (p *Party) Role() proto.Role { return p.role }

// Name identifies the engine.
func (p *Party) Name() string { return "secure/" + p.role.String() }

// SetMeta sets the metadata stamped on reports.
func (p *Party) SetMeta(m mpc.Meta) { p.meta = m }

// tensor is a role's view of a value: plaintext values if this role may
// see them, shares (or, for the dealer, masks) if the value is shared.
type tensor struct {
	shape mpc.Shape
	vis   mpc.Visibility
	plain []float64     // plaintext, when this role sees it
	sh    *proto.Shared // shared values; for plaintexts, their trivial sharing once needed
	shF   *proto.Shared // sh brought to scale f, once needed
	ring  []uint64      // a plaintext's ring encoding at scale f, once needed
	eng   *Party
}

func (t *tensor) Shape() mpc.Shape    { return t.shape }
func (t *tensor) Vis() mpc.Visibility { return t.vis }

// sees reports whether this role holds values of visibility v in the
// clear. The dealer never does: it works from shapes alone.
func (p *Party) sees(v mpc.Visibility) bool {
	switch v {
	case mpc.Public:
		return p.role != proto.Dealer
	case mpc.Client:
		return p.role == proto.Client
	case mpc.Server:
		return p.role == proto.Server
	}
	return false
}

func (p *Party) args(ts ...mpc.Tensor) ([]*tensor, bool) {
	if p.Failed() {
		return nil, false
	}
	out := make([]*tensor, len(ts))
	for i, t := range ts {
		x, ok := t.(*tensor)
		if !ok || x.eng != p {
			p.Fail(fmt.Errorf("mpc/secure: operand %T does not belong to this engine", t))
			return nil, false
		}
		out[i] = x
	}
	return out, true
}

func placeholder(s mpc.Shape, v mpc.Visibility) mpc.Tensor {
	if s == nil {
		s = mpc.Shape{1}
	}
	return mpc.Placeholder{S: s, V: v}
}

// check turns a protocol failure into the engine's error.
func (p *Party) check() bool {
	if err := p.s.Err(); err != nil {
		p.Fail(err)
		if p.conn != nil {
			p.conn.Close() // the peer's next receive fails at once
		}
		return false
	}
	return !p.Failed()
}

// record books an operation in this role's own report: its bytes, its
// view of the rounds, and the material it received.
func (p *Party) record(oi mpc.OpInfo, before snapshot, start time.Time) {
	p.last = oi
	if mpc.Unreported(oi.Op) {
		return
	}
	after := p.snapshot()
	d := after.sub(before)
	// The operation's online time: input-independent steps inside it
	// (receiving masked weights, precomputing with them) are offline.
	c := mpc.Cost{Count: 1, Elements: oi.Elements, MACs: oi.MACs, Time: time.Since(start) - d.offline}
	c.Rounds = d.net.Stamp
	switch p.role {
	case proto.Client:
		c.SentClient, c.SentServer = d.net.Sent, d.net.Received
		c.OfflineClient = d.material[proto.Client] + d.net.ReceivedOffline
		c.OfflineServer = d.net.SentOffline
	case proto.Server:
		c.SentServer, c.SentClient = d.net.Sent, d.net.Received
		c.OfflineServer = d.material[proto.Server] + d.net.ReceivedOffline
		c.OfflineClient = d.net.SentOffline
	case proto.Dealer:
		c.OfflineClient, c.OfflineServer = d.material[proto.Client], d.material[proto.Server]
	}
	p.rec.Record(oi.Op, oi.Place, c)
}

// snapshot is a role's counters at one moment.
type snapshot struct {
	net      transport.Counters
	material [2]int64
	offline  time.Duration
}

func (a snapshot) sub(b snapshot) snapshot {
	return snapshot{net: a.net.Sub(b.net), material: [2]int64{a.material[0] - b.material[0], a.material[1] - b.material[1]},
		offline: a.offline - b.offline}
}

func (p *Party) snapshot() snapshot {
	var s snapshot
	if p.conn != nil {
		s.net = p.conn.Meter().Snapshot()
	}
	s.material = [2]int64{p.mat.Bytes(proto.Client), p.mat.Bytes(proto.Server)}
	s.offline = p.s.OfflineTime()
	return s
}

// out builds a result tensor and records the operation.
func (p *Party) out(oi mpc.OpInfo, before snapshot, start time.Time, plain []float64, sh *proto.Shared) mpc.Tensor {
	if !p.check() {
		return placeholder(oi.Out, oi.Vis)
	}
	p.record(oi, before, start)
	return &tensor{shape: oi.Out, vis: oi.Vis, plain: plain, sh: sh, eng: p}
}

// begin starts an operation's bookkeeping.
func (p *Party) begin() (snapshot, time.Time) { return p.snapshot(), time.Now() }

// encode maps plaintext values to the ring at the given scale.
func (p *Party) encode(v []float64, scale int) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = p.fx.Encode(math.Ldexp(x, scale-p.fx.Params().FracBits))
	}
	return out
}

// decode maps ring values at a scale back to reals.
func (p *Party) decode(v []uint64, scale int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Ldexp(float64(p.fx.Signed(x)), -scale)
	}
	return out
}

// ringOf returns a plaintext's encoding at scale f (nil if this role does
// not see it), cached.
func (p *Party) ringOf(t *tensor) []uint64 {
	if !p.sees(t.vis) {
		return nil
	}
	if t.ring == nil {
		t.ring = p.encode(t.plain, p.fx.Params().FracBits)
	}
	return t.ring
}

// shared returns t as a shared value: its shares, or for a plaintext its
// trivial sharing (the owner's share is the value, the other's zero), made
// once so that openings and weight-product masks are reused.
func (p *Party) shared(t *tensor) *proto.Shared {
	if t.sh != nil {
		return t.sh
	}
	n := t.shape.Size()
	f := p.fx.Params().FracBits
	switch t.vis {
	case mpc.Public:
		t.sh = p.s.Const(orZeros(p.ringOf(t), n), f)
	case mpc.Client:
		t.sh = p.s.Input(proto.Client, p.ringOf(t), n, f)
	case mpc.Server:
		t.sh = p.s.Input(proto.Server, p.ringOf(t), n, f)
	}
	return t.sh
}

func orZeros(v []uint64, n int) []uint64 {
	if v == nil {
		return make([]uint64, n)
	}
	return v
}

// atScale brings a shared value to scale f or raises it to `to` (≥ its
// scale) exactly.
func (p *Party) toF(x *proto.Shared) *proto.Shared {
	return p.s.TruncTo(x, p.fx.Params().FracBits)
}

// maxScale is the largest scale a value may carry lazily: one whose
// magnitude is within the comparison range still fits below 2^62.
func (p *Party) maxScale() int {
	pr := p.fx.Params()
	return 61 - (pr.CmpBits - 1 - pr.FracBits)
}

// align returns a and b at a common scale (the larger), raising the other
// exactly.
func (p *Party) align(a, b *proto.Shared) (*proto.Shared, *proto.Shared) {
	switch {
	case a.Scale < b.Scale:
		return p.s.Shift(a, b.Scale-a.Scale), b
	case b.Scale < a.Scale:
		return a, p.s.Shift(b, a.Scale-b.Scale)
	}
	return a, b
}

// plaintext computes an operation in the clear for a role that sees its
// result (others get its shape).
func (p *Party) plaintext(oi mpc.OpInfo, before snapshot, start time.Time, a dense.Args, ts ...*tensor) mpc.Tensor {
	if !p.sees(oi.Vis) {
		return p.out(oi, before, start, nil, nil)
	}
	a.Op = oi.Op
	a.Out = oi.Out
	for _, t := range ts {
		a.In = append(a.In, t.plain)
		a.Shapes = append(a.Shapes, t.shape)
	}
	v, err := dense.Compute(a)
	if err != nil {
		p.Fail(err)
		return placeholder(oi.Out, oi.Vis)
	}
	return p.out(oi, before, start, v, nil)
}
