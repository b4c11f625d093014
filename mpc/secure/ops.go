package secure

import (
	"fmt"
	"math"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/internal/dense"
	"github.com/marill-go/marill/mpc/proto"
)

// sharedF is shared(t) brought to scale f, made once so that every
// protocol using t reuses the same opening and weight-product mask.
func (p *Party) sharedF(t *tensor) *proto.Shared {
	x := p.shared(t)
	f := p.fx.Params().FracBits
	if x.Scale == f {
		return x
	}
	if t.shF == nil {
		t.shF = p.s.TruncTo(x, f)
	}
	return t.shF
}

// Input brings a plaintext in; only the roles that may see it read it.
func (p *Party) Input(src mpc.Source, owner mpc.Visibility) mpc.Tensor {
	if p.Failed() {
		return placeholder(nil, owner)
	}
	before, start := p.begin()
	oi, err := mpc.InferInput(src.Shape(), owner)
	if err != nil {
		p.Fail(err)
		return placeholder(nil, owner)
	}
	var plain []float64
	if p.sees(owner) {
		plain = src.Data()
		if len(plain) != oi.Out.Size() {
			p.Fail(fmt.Errorf("mpc/secure: input has %d values for shape %v", len(plain), oi.Out))
			return placeholder(oi.Out, owner)
		}
		for i, v := range plain {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				p.Fail(fmt.Errorf("mpc/secure: input of shape %v has a non-finite value at %d", oi.Out, i))
				return placeholder(oi.Out, owner)
			}
		}
	}
	return p.out(oi, before, start, plain, nil)
}

// Embed gathers rows of a public table for the client.
func (p *Party) Embed(table mpc.Tensor, ids []int) mpc.Tensor {
	ts, ok := p.args(table)
	if !ok {
		return placeholder(nil, mpc.Client)
	}
	before, start := p.begin()
	oi, err := mpc.InferEmbed(table.Shape(), table.Vis(), ids)
	if err != nil {
		p.Fail(err)
		return placeholder(nil, mpc.Client)
	}
	return p.plaintext(oi, before, start, dense.Args{IDs: ids}, ts[0])
}

// Share turns a plaintext into a shared value (no messages: a trivial
// sharing, masked by every later opening).
func (p *Party) Share(x mpc.Tensor) mpc.Tensor {
	ts, ok := p.args(x)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	return p.out(mpc.InferShare(x), before, start, nil, p.shared(ts[0]))
}

// Reveal opens x to Client, Server or Public (both).
func (p *Party) Reveal(x mpc.Tensor, to mpc.Visibility) mpc.Tensor {
	ts, ok := p.args(x)
	if !ok {
		return placeholder(nil, to)
	}
	before, start := p.begin()
	oi, err := mpc.InferReveal(x, to)
	if err != nil {
		p.Fail(err)
		return placeholder(x.Shape(), to)
	}
	t := ts[0]
	if oi.Place != mpc.Interactive {
		return p.out(oi, before, start, t.plain, nil)
	}
	sh := p.shared(t)
	toClient := to == mpc.Client || to == mpc.Public
	toServer := to == mpc.Server || to == mpc.Public
	v := p.s.Reveal(sh, toClient, toServer)
	var plain []float64
	if v != nil {
		plain = p.decode(v, sh.Scale)
	}
	return p.out(oi, before, start, plain, nil)
}

// Value returns a value this role sees (the client: its output).
func (p *Party) Value(x mpc.Tensor) (*mpc.Dense, error) {
	if err := p.Err(); err != nil {
		return nil, err
	}
	ts, ok := p.args(x)
	if !ok {
		return nil, p.Err()
	}
	if !p.sees(x.Vis()) {
		return nil, fmt.Errorf("mpc/secure: the %v does not see a %v value", p.role, x.Vis())
	}
	return mpc.NewDense(x.Shape(), append([]float64(nil), ts[0].plain...))
}

func (p *Party) elementwise(op string, a, b mpc.Tensor) mpc.Tensor {
	ts, ok := p.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi, err := mpc.InferElementwise(op, a, b)
	if err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	ta, tb := ts[0], ts[1]
	idx := dense.BroadcastIndex(ta.shape, tb.shape)
	switch oi.Place {
	case mpc.OnPublic, mpc.OnClient, mpc.OnServer:
		return p.plaintext(oi, before, start, dense.Args{}, ta, tb)
	case mpc.OnShares:
		if op == mpc.OpMul {
			return p.out(oi, before, start, nil, p.mulPublic(ta, tb, idx))
		}
		x, y := p.align(p.shared(ta), p.shared(tb))
		if op == mpc.OpAdd {
			return p.out(oi, before, start, nil, p.s.Add(x, y, idx))
		}
		return p.out(oi, before, start, nil, p.s.Sub(x, y, idx))
	}
	// An interactive product.
	if tb.vis == mpc.Server && len(tb.shape) < len(ta.shape) || tb.vis == mpc.Server && tb.shape.Equal(ta.shape) {
		d := tb.shape.Size()
		return p.out(oi, before, start, nil, p.s.MulWeight(p.sharedF(ta), p.ringOf(tb), p.fx.Params().FracBits, d))
	}
	return p.out(oi, before, start, nil, p.s.Mul(p.sharedF(ta), p.sharedF(tb), idx))
}

// mulPublic multiplies a shared operand by a public one, locally.
func (p *Party) mulPublic(a, b *tensor, idx func(int) int) *proto.Shared {
	f := p.fx.Params().FracBits
	if a.vis == mpc.Public { // the shared operand is broadcast: expand it
		pos := make([]int, a.shape.Size())
		for i := range pos {
			pos[i] = idx(i)
		}
		x := p.s.Gather(p.shared(b), pos)
		if x.Scale+f > p.maxScale() {
			x = p.s.TruncTo(x, f)
		}
		return p.s.MulPublic(x, orZeros(p.ringOf(a), a.shape.Size()), f, nil)
	}
	x := p.shared(a)
	if x.Scale+f > p.maxScale() {
		x = p.sharedF(a)
	}
	return p.s.MulPublic(x, orZeros(p.ringOf(b), b.shape.Size()), f, idx)
}

// Add is a + b.
func (p *Party) Add(a, b mpc.Tensor) mpc.Tensor { return p.elementwise(mpc.OpAdd, a, b) }

// Sub is a − b.
func (p *Party) Sub(a, b mpc.Tensor) mpc.Tensor { return p.elementwise(mpc.OpSub, a, b) }

// Mul is a ⊙ b.
func (p *Party) Mul(a, b mpc.Tensor) mpc.Tensor { return p.elementwise(mpc.OpMul, a, b) }

func (p *Party) unary(op string, a mpc.Tensor, c float64, shared func(t *tensor) *proto.Shared) mpc.Tensor {
	ts, ok := p.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi := mpc.InferLocal(op, a)
	if oi.Place != mpc.OnShares {
		return p.plaintext(oi, before, start, dense.Args{C: c}, ts[0])
	}
	return p.out(oi, before, start, nil, shared(ts[0]))
}

// Neg is −a.
func (p *Party) Neg(a mpc.Tensor) mpc.Tensor {
	return p.unary(mpc.OpNeg, a, 0, func(t *tensor) *proto.Shared { return p.s.Negate(p.shared(t)) })
}

// Scale is c·a: a power of two 2^−e only relabels the scale; other
// constants multiply with 16-bit precision and leave the value untruncated
// (it is truncated when a protocol needs it).
func (p *Party) Scale(a mpc.Tensor, c float64) mpc.Tensor {
	return p.unary(mpc.OpScale, a, c, func(t *tensor) *proto.Shared {
		x := p.shared(t)
		if frac, e := math.Frexp(c); frac == 0.5 && e <= 1 && x.Scale+1-e <= p.maxScale() {
			y := *x // c = 2^(e−1): the same shares read at a higher scale
			y.Scale += 1 - e
			return &y
		}
		C, s := p.fx.ScaleConst(c)
		if x.Scale+s > p.maxScale() {
			x = p.sharedF(t)
		}
		return p.s.MulPublic(x, []uint64{C}, s, func(int) int { return 0 })
	})
}

// AddConst is a + c.
func (p *Party) AddConst(a mpc.Tensor, c float64) mpc.Tensor {
	return p.unary(mpc.OpAddConst, a, c, func(t *tensor) *proto.Shared {
		x := p.shared(t)
		return p.s.AddPublic(x, p.encode([]float64{c}, x.Scale), func(int) int { return 0 })
	})
}

// MatMul is a·b: local with a public operand, the weight product when b
// is the server's matrix, Beaver matrix triples otherwise.
func (p *Party) MatMul(a, b mpc.Tensor) mpc.Tensor {
	ts, ok := p.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi, err := mpc.InferMatMul(a, b)
	if err != nil {
		p.Fail(err)
		return placeholder(nil, mpc.Shared)
	}
	ta, tb := ts[0], ts[1]
	as, bs := ta.shape, tb.shape
	d := proto.Dims{Batch: 1, M: as.Rows(), K: as.Cols(), N: bs.Cols(), BShared: len(bs) == 2}
	if len(as) == 3 {
		d.Batch = as[0]
	}
	f := p.fx.Params().FracBits
	switch oi.Place {
	case mpc.OnPublic, mpc.OnClient, mpc.OnServer:
		return p.plaintext(oi, before, start, dense.Args{}, ta, tb)
	case mpc.OnShares:
		if tb.vis == mpc.Public {
			return p.out(oi, before, start, nil, p.s.MatMulPublic(p.sharedF(ta), orZeros(p.ringOf(tb), bs.Size()), f, d, false))
		}
		return p.out(oi, before, start, nil, p.s.MatMulPublic(p.sharedF(tb), orZeros(p.ringOf(ta), as.Size()), f, d, true))
	}
	if tb.vis == mpc.Server && len(bs) == 2 && ta.vis != mpc.Server {
		return p.out(oi, before, start, nil, p.s.MatMulWeight(p.sharedF(ta), p.ringOf(tb), f, d.K, d.N))
	}
	return p.out(oi, before, start, nil, p.s.MatMul(p.sharedF(ta), p.sharedF(tb), d))
}

// Sum adds along the last dimension.
func (p *Party) Sum(a mpc.Tensor) mpc.Tensor {
	ts, ok := p.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi := mpc.InferSum(a)
	if oi.Place != mpc.OnShares {
		return p.plaintext(oi, before, start, dense.Args{}, ts[0])
	}
	return p.out(oi, before, start, nil, p.s.GroupSum(p.shared(ts[0]), rowGroups(a.Shape())))
}

// rowGroups lists the positions of each row (last dimension).
func rowGroups(s mpc.Shape) [][]int {
	c := s.Cols()
	rows := s.Size() / c
	g := make([][]int, rows)
	for r := range g {
		g[r] = make([]int, c)
		for j := range g[r] {
			g[r][j] = r*c + j
		}
	}
	return g
}

func (p *Party) shapeOp(op string, a mpc.Tensor, args ...int) mpc.Tensor {
	ts, ok := p.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi, err := mpc.InferShapeOp(op, a, args...)
	if err != nil {
		p.Fail(err)
		return placeholder(nil, a.Vis())
	}
	if oi.Place != mpc.OnShares {
		return p.plaintext(oi, before, start, dense.Args{Args: args}, ts[0])
	}
	src, neg := dense.GatherIndex(op, a.Shape(), oi.Out, args)
	x := p.s.Gather(p.shared(ts[0]), src)
	if neg != nil {
		sign := make([]uint64, len(src))
		for i := range sign {
			sign[i] = 1
			if neg(i) {
				sign[i] = ^uint64(0) // −1
			}
		}
		x = p.s.MulPublic(x, sign, 0, nil)
	}
	return p.out(oi, before, start, nil, x)
}

// Transpose swaps the last two dimensions.
func (p *Party) Transpose(a mpc.Tensor) mpc.Tensor { return p.shapeOp(mpc.OpTranspose, a) }

// SplitHeads maps [n, h·d] to [h, n, d].
func (p *Party) SplitHeads(a mpc.Tensor, heads int) mpc.Tensor {
	return p.shapeOp(mpc.OpSplitHeads, a, heads)
}

// MergeHeads maps [h, n, d] to [n, h·d].
func (p *Party) MergeHeads(a mpc.Tensor) mpc.Tensor { return p.shapeOp(mpc.OpMergeHeads, a) }

// Rows slices rows [from, to).
func (p *Party) Rows(a mpc.Tensor, from, to int) mpc.Tensor {
	return p.shapeOp(mpc.OpRows, a, from, to)
}

// RotateHalf maps [x1, x2] to [−x2, x1] along the last dimension.
func (p *Party) RotateHalf(a mpc.Tensor) mpc.Tensor { return p.shapeOp(mpc.OpRotateHalf, a) }

// nonlinear runs a non-linear function: in the clear for a plaintext, by
// the protocol `run` for a shared value.
func (p *Party) nonlinear(a mpc.Tensor, oi mpc.OpInfo, args dense.Args, run func(t *tensor) *proto.Shared) mpc.Tensor {
	ts, ok := p.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	if oi.Place != mpc.Interactive {
		return p.plaintext(oi, before, start, args, ts[0])
	}
	return p.out(oi, before, start, nil, run(ts[0]))
}

// ReLU is max(a, 0).
func (p *Party) ReLU(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpReLU, a), dense.Args{}, func(t *tensor) *proto.Shared {
		return p.s.ReLU(p.atLeastF(t))
	})
}

// atLeastF returns shared(t) at scale ≥ f (ReLU and Max work at any such
// scale).
func (p *Party) atLeastF(t *tensor) *proto.Shared {
	x := p.shared(t)
	if f := p.fx.Params().FracBits; x.Scale < f {
		return p.s.Shift(x, f-x.Scale)
	}
	return x
}

// GeLU applies the chosen GeLU form.
func (p *Party) GeLU(a mpc.Tensor, kind mpc.GeLUKind) mpc.Tensor {
	if err := mpc.CheckGeLU(kind); err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpGeLU, a), dense.Args{GeLU: kind}, func(t *tensor) *proto.Shared {
		switch kind {
		case mpc.GeLUQuad:
			return p.s.Quad(p.sharedF(t))
		case mpc.GeLUReLU:
			return p.s.ReLU(p.atLeastF(t))
		}
		return p.s.Segments(p.sharedF(t), p.fx.GeLUTable(kind))
	})
}

// SiLU applies the chosen SiLU form.
func (p *Party) SiLU(a mpc.Tensor, kind mpc.SiLUKind) mpc.Tensor {
	if err := mpc.CheckSiLU(kind); err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpSiLU, a), dense.Args{SiLU: kind}, func(t *tensor) *proto.Shared {
		switch kind {
		case mpc.SiLUQuad:
			return p.s.Quad(p.sharedF(t))
		case mpc.SiLUReLU:
			return p.s.ReLU(p.atLeastF(t))
		}
		return p.s.Segments(p.sharedF(t), p.fx.SiLUTable())
	})
}

// Tanh is tanh(a).
func (p *Party) Tanh(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpTanh, a), dense.Args{}, func(t *tensor) *proto.Shared {
		return p.s.Segments(p.sharedF(t), p.fx.TanhTable())
	})
}

// Exp is e^a on a ≤ 0 (positive inputs count as 0).
func (p *Party) Exp(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpExp, a), dense.Args{}, func(t *tensor) *proto.Shared {
		z := p.s.ReLU(p.s.Negate(p.atLeastF(t)))
		return p.s.NegExp(z)
	})
}

// Reciprocal is 1/a for a > 0.
func (p *Party) Reciprocal(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpReciprocal, a), dense.Args{}, func(t *tensor) *proto.Shared {
		return p.s.TruncTo(p.s.ReciprocalHi(p.sharedF(t)), p.fx.Params().FracBits)
	})
}

// Rsqrt is 1/√a for a > 0.
func (p *Party) Rsqrt(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpRsqrt, a), dense.Args{}, func(t *tensor) *proto.Shared {
		f := p.fx.Params().FracBits
		return p.s.TruncTo(p.s.RsqrtHi(p.s.Shift(p.sharedF(t), f)), f)
	})
}

// Max is the row maximum.
func (p *Party) Max(a mpc.Tensor) mpc.Tensor {
	return p.nonlinear(a, mpc.InferNonlinear(mpc.OpMax, a), dense.Args{}, func(t *tensor) *proto.Shared {
		return p.s.RowMax(p.atLeastF(t), rowGroups(t.shape))
	})
}

// Softmax normalises rows; causal masks key j > query i.
func (p *Party) Softmax(a mpc.Tensor, kind mpc.SoftmaxKind, causal bool) mpc.Tensor {
	oi, err := mpc.InferSoftmax(a, kind, causal)
	if err != nil {
		if !p.Failed() {
			p.Fail(err)
		}
		return placeholder(a.Shape(), mpc.Shared)
	}
	s := a.Shape()
	return p.nonlinear(a, oi, dense.Args{Softmax: kind, Causal: causal}, func(t *tensor) *proto.Shared {
		return p.s.Softmax(p.atLeastF(t), s.Size()/s.Cols(), s.Cols(), kind, causal, s.Rows())
	})
}

// param turns a norm's scale or shift into a protocol parameter.
func (p *Party) param(t *tensor) (*proto.Param, error) {
	f := p.fx.Params().FracBits
	switch t.vis {
	case mpc.Public:
		return &proto.Param{Public: true, Values: p.ringOf(t), Scale: f}, nil
	case mpc.Server:
		return &proto.Param{Values: p.ringOf(t), Scale: f}, nil
	}
	return nil, fmt.Errorf("mpc/secure: a %v norm parameter is not supported (public or the server's)", t.vis)
}

func (p *Party) norm(op string, a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	ins := []mpc.Tensor{a, gamma}
	if beta != nil {
		ins = append(ins, beta)
	}
	ts, ok := p.args(ins...)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	before, start := p.begin()
	oi, err := mpc.InferNorm(op, a, gamma, beta)
	if err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	if oi.Place != mpc.Interactive {
		return p.plaintext(oi, before, start, dense.Args{Eps: eps}, ts...)
	}
	g, err := p.param(ts[1])
	if err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	s := a.Shape()
	d := s.Cols()
	x := p.shared(ts[0])
	if beta == nil {
		return p.out(oi, before, start, nil, p.s.RMSNorm(x, s.Size()/d, d, g, eps))
	}
	b, err := p.param(ts[2])
	if err != nil {
		p.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	return p.out(oi, before, start, nil, p.s.LayerNorm(x, s.Size()/d, d, g, b, eps))
}

// LayerNorm normalises rows and applies gamma, beta.
func (p *Party) LayerNorm(a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	if beta == nil {
		p.Fail(fmt.Errorf("mpc/secure: LayerNorm needs a shift (beta); use RMSNorm for none"))
		return placeholder(a.Shape(), mpc.Shared)
	}
	return p.norm(mpc.OpLayerNorm, a, gamma, beta, eps)
}

// RMSNorm divides rows by their root mean square and applies gamma.
func (p *Party) RMSNorm(a, gamma mpc.Tensor, eps float64) mpc.Tensor {
	return p.norm(mpc.OpRMSNorm, a, gamma, nil, eps)
}

// Scope opens a report scope.
func (p *Party) Scope(name string) func() { return p.rec.Scope(name) }

// Report returns this role's view of the run.
func (p *Party) Report() *mpc.Report {
	return &mpc.Report{Schema: mpc.ReportSchema, Engine: p.Name(), TimeKind: mpc.Measured, Meta: p.meta, Rows: p.rec.Rows(),
		Notes: []string{fmt.Sprintf("%v's view: rounds as this party saw them; offline bytes it received.", p.role)}}
}
