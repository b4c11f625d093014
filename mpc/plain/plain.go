package plain

import (
	"fmt"
	"math"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/internal/dense"
	"github.com/marill-go/marill/mpc/ring"
)

// Options configure an Engine.
type Options struct {
	// FixedPoint turns on the emulation of the secure engine's numerics:
	// every shared value is computed in the ring with the fxp
	// functionalities. Plaintext values (public, the client's frozen
	// layers) stay float64, as they would in a real run.
	FixedPoint bool
	// Numerics are the fixed-point parameters; the zero value means
	// fxp.Default(). Ignored unless FixedPoint is set.
	Numerics fxp.Params
}

// Engine is the reference engine. It tracks visibility exactly as the
// secure engine does, so its Report shows where each operation would run,
// with counts and measured times but no communication.
type Engine struct {
	mpc.Sticky
	rec  mpc.Recorder
	fx   *fxp.Funcs
	name string
	meta mpc.Meta
}

var _ mpc.Engine = (*Engine)(nil)

// New returns a plain engine in float64 mode.
func New() *Engine { return &Engine{name: "plain/float64"} }

// NewWith returns a plain engine with options; it fails on invalid
// fixed-point parameters.
func NewWith(opts Options) (*Engine, error) {
	if !opts.FixedPoint {
		return New(), nil
	}
	p := opts.Numerics
	if p == (fxp.Params{}) {
		p = fxp.Default()
	}
	f, err := fxp.New(p)
	if err != nil {
		return nil, fmt.Errorf("mpc/plain: %w", err)
	}
	return &Engine{name: "plain/fixed(" + p.String() + ")", fx: f}, nil
}

// NewFixed returns a fixed-point emulation engine with default numerics.
func NewFixed() *Engine {
	e, err := NewWith(Options{FixedPoint: true})
	if err != nil {
		panic(err) // the defaults are valid
	}
	return e
}

// Name describes the mode.
func (e *Engine) Name() string { return e.name }

var _ mpc.Peeker = (*Engine)(nil)

// Peek returns any value, whatever its visibility: the plain engine holds
// everything in the clear (it is the reference accuracy is measured
// against; see mpc.Peeker).
func (e *Engine) Peek(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	ts, ok := e.args(x)
	if !ok {
		return nil, e.Err()
	}
	return mpc.NewDense(x.Shape(), append([]float64(nil), ts[0].floats()...))
}

// Numerics returns the fixed-point functionalities, or nil in float64 mode.
func (e *Engine) Numerics() *fxp.Funcs { return e.fx }

// SetMeta sets the metadata stamped on reports.
func (e *Engine) SetMeta(m mpc.Meta) { e.meta = m }

// tensor holds plaintext floats, ring elements, or both (a plaintext's
// encoding is cached the first time a ring operation needs it).
type tensor struct {
	shape mpc.Shape
	vis   mpc.Visibility
	f     []float64
	q     []uint64
	eng   *Engine
}

func (t *tensor) Shape() mpc.Shape    { return t.shape }
func (t *tensor) Vis() mpc.Visibility { return t.vis }

// ring returns t's ring encoding.
func (t *tensor) ring() []uint64 {
	if t.q == nil {
		fx := t.eng.fx
		t.q = make([]uint64, len(t.f))
		for i, v := range t.f {
			t.q[i] = fx.Encode(v)
		}
	}
	return t.q
}

// floats returns t's values as reals (decoding ring elements).
func (t *tensor) floats() []float64 {
	if t.f == nil {
		fx := t.eng.fx
		t.f = make([]float64, len(t.q))
		for i, v := range t.q {
			t.f[i] = fx.Decode(v)
		}
	}
	return t.f
}

func (e *Engine) args(ts ...mpc.Tensor) ([]*tensor, bool) {
	if e.Failed() {
		return nil, false
	}
	out := make([]*tensor, len(ts))
	for i, t := range ts {
		x, ok := t.(*tensor)
		if !ok || x.eng != e {
			e.Fail(fmt.Errorf("mpc/plain: operand %T does not belong to this engine", t))
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

// fixed reports whether an operation with result visibility v runs in the
// ring.
func (e *Engine) fixed(v mpc.Visibility) bool { return e.fx != nil && v == mpc.Shared }

func (e *Engine) record(oi mpc.OpInfo, start time.Time) {
	if mpc.Unreported(oi.Op) {
		return
	}
	e.rec.Record(oi.Op, oi.Place, mpc.Cost{Count: 1, Elements: oi.Elements, MACs: oi.MACs, Time: time.Since(start)})
}

func (e *Engine) out(oi mpc.OpInfo, start time.Time, f []float64, q []uint64) mpc.Tensor {
	e.record(oi, start)
	return &tensor{shape: oi.Out, vis: oi.Vis, f: f, q: q, eng: e}
}

// Input brings a plaintext in; the source's data is copied.
func (e *Engine) Input(src mpc.Source, owner mpc.Visibility) mpc.Tensor {
	if e.Failed() {
		return placeholder(nil, owner)
	}
	start := time.Now()
	oi, err := mpc.InferInput(src.Shape(), owner)
	if err != nil {
		e.Fail(err)
		return placeholder(nil, owner)
	}
	data := src.Data()
	if len(data) != oi.Out.Size() {
		e.Fail(fmt.Errorf("mpc/plain: input has %d values for shape %v", len(data), oi.Out))
		return placeholder(oi.Out, owner)
	}
	for i, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			e.Fail(fmt.Errorf("mpc/plain: input of shape %v has a non-finite value at %d", oi.Out, i))
			return placeholder(oi.Out, owner)
		}
	}
	return e.out(oi, start, append([]float64(nil), data...), nil)
}

// Embed gathers rows of a public table.
func (e *Engine) Embed(table mpc.Tensor, ids []int) mpc.Tensor {
	ts, ok := e.args(table)
	if !ok {
		return placeholder(nil, mpc.Client)
	}
	start := time.Now()
	oi, err := mpc.InferEmbed(table.Shape(), table.Vis(), ids)
	if err != nil {
		e.Fail(err)
		return placeholder(nil, mpc.Client)
	}
	t := ts[0].floats()
	d := oi.Out[1]
	f := make([]float64, 0, oi.Out.Size())
	for _, id := range ids {
		f = append(f, t[id*d:(id+1)*d]...)
	}
	return e.out(oi, start, f, nil)
}

// Share turns a plaintext into a shared value (in fixed-point mode: its
// encoding).
func (e *Engine) Share(x mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(x)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi := mpc.InferShare(x)
	if e.fixed(oi.Vis) {
		return e.out(oi, start, nil, append([]uint64(nil), ts[0].ring()...))
	}
	return e.out(oi, start, append([]float64(nil), ts[0].floats()...), nil)
}

// Reveal opens x (in fixed-point mode: decodes it).
func (e *Engine) Reveal(x mpc.Tensor, to mpc.Visibility) mpc.Tensor {
	ts, ok := e.args(x)
	if !ok {
		return placeholder(nil, to)
	}
	start := time.Now()
	oi, err := mpc.InferReveal(x, to)
	if err != nil {
		e.Fail(err)
		return placeholder(x.Shape(), to)
	}
	return e.out(oi, start, append([]float64(nil), ts[0].floats()...), nil)
}

// Value returns a public or client value.
func (e *Engine) Value(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	ts, ok := e.args(x)
	if !ok {
		return nil, e.Err()
	}
	if v := x.Vis(); v != mpc.Public && v != mpc.Client {
		return nil, fmt.Errorf("mpc/plain: a %v value is not visible to the client; reveal it first", v)
	}
	return mpc.NewDense(x.Shape(), append([]float64(nil), ts[0].floats()...))
}

func (e *Engine) elementwise(op string, a, b mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferElementwise(op, a, b)
	if err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	bi := dense.BroadcastIndex(a.Shape(), b.Shape())
	n := oi.Out.Size()
	if e.fixed(oi.Vis) {
		x, y := ts[0].ring(), ts[1].ring()
		q := make([]uint64, n)
		fx := e.fx
		for i := range q {
			u, v := x[i], y[bi(i)]
			switch op {
			case mpc.OpAdd:
				q[i] = fx.Wrap(u + v)
			case mpc.OpSub:
				q[i] = fx.Wrap(u - v)
			default:
				q[i] = fx.Mul(u, v)
			}
		}
		return e.out(oi, start, nil, q)
	}
	f, err := dense.Compute(dense.Args{Op: op, In: [][]float64{ts[0].floats(), ts[1].floats()}, Shapes: []mpc.Shape{a.Shape(), b.Shape()}})
	if err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), oi.Vis)
	}
	return e.out(oi, start, f, nil)
}

// Add is a + b.
func (e *Engine) Add(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpAdd, a, b) }

// Sub is a − b.
func (e *Engine) Sub(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpSub, a, b) }

// Mul is a ⊙ b.
func (e *Engine) Mul(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpMul, a, b) }

// mapUnary applies a real function to plaintext/float values, or a ring
// function to shared values in fixed-point mode.
func (e *Engine) mapUnary(oi mpc.OpInfo, start time.Time, t *tensor, rf func(float64) float64, qf func(uint64) uint64) mpc.Tensor {
	if e.fixed(oi.Vis) {
		x := t.ring()
		q := make([]uint64, len(x))
		for i, v := range x {
			q[i] = qf(v)
		}
		return e.out(oi, start, nil, q)
	}
	x := t.floats()
	f := make([]float64, len(x))
	for i, v := range x {
		f[i] = rf(v)
	}
	return e.out(oi, start, f, nil)
}

func (e *Engine) local(op string, a mpc.Tensor, rf func(float64) float64, qf func(uint64) uint64) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	return e.mapUnary(mpc.InferLocal(op, a), start, ts[0], rf, qf)
}

// Neg is −a.
func (e *Engine) Neg(a mpc.Tensor) mpc.Tensor {
	return e.local(mpc.OpNeg, a, func(x float64) float64 { return -x }, func(x uint64) uint64 { return e.fx.Wrap(-x) })
}

// Scale is c·a for a public c.
func (e *Engine) Scale(a mpc.Tensor, c float64) mpc.Tensor {
	return e.local(mpc.OpScale, a, func(x float64) float64 { return c * x }, func(x uint64) uint64 { return e.fx.Scale(x, c) })
}

// AddConst is a + c for a public c.
func (e *Engine) AddConst(a mpc.Tensor, c float64) mpc.Tensor {
	var k uint64
	if e.fx != nil {
		k = e.fx.Encode(c)
	}
	return e.local(mpc.OpAddConst, a, func(x float64) float64 { return x + c }, func(x uint64) uint64 { return e.fx.Wrap(x + k) })
}

// MatMul is a·b, batched over a leading dimension.
func (e *Engine) MatMul(a, b mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferMatMul(a, b)
	if err != nil {
		e.Fail(err)
		return placeholder(nil, mpc.Shared)
	}
	as, bs := a.Shape(), b.Shape()
	m, k, n := as.Rows(), as.Cols(), bs.Cols()
	batch := 1
	if len(as) == 3 {
		batch = as[0]
	}
	bStride := 0
	if len(bs) == 3 {
		bStride = k * n
	}
	if e.fixed(oi.Vis) {
		x, y := ts[0].ring(), ts[1].ring()
		q := make([]uint64, batch*m*n)
		for h := 0; h < batch; h++ {
			ring.MatMul(q[h*m*n:(h+1)*m*n], x[h*m*k:(h+1)*m*k], y[h*bStride:h*bStride+k*n], m, k, n)
		}
		for i, v := range q {
			q[i] = e.fx.Trunc(e.fx.Wrap(v), e.fx.Params().FracBits)
		}
		return e.out(oi, start, nil, q)
	}
	return e.out(oi, start, dense.MatMul(ts[0].floats(), ts[1].floats(), as, bs), nil)
}

// rowwise applies a function to each row (last dimension) of t, writing
// outCols values per row.
func (e *Engine) rowwise(oi mpc.OpInfo, start time.Time, t *tensor, outCols int,
	rf func(r int, dst, row []float64), qf func(r int, dst, row []uint64)) mpc.Tensor {
	c := t.shape.Cols()
	rows := t.shape.Size() / c
	if e.fixed(oi.Vis) {
		x := t.ring()
		q := make([]uint64, rows*outCols)
		for r := 0; r < rows; r++ {
			qf(r, q[r*outCols:(r+1)*outCols], x[r*c:(r+1)*c])
		}
		return e.out(oi, start, nil, q)
	}
	x := t.floats()
	f := make([]float64, rows*outCols)
	for r := 0; r < rows; r++ {
		rf(r, f[r*outCols:(r+1)*outCols], x[r*c:(r+1)*c])
	}
	return e.out(oi, start, f, nil)
}

// Sum adds along the last dimension.
func (e *Engine) Sum(a mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	return e.rowwise(mpc.InferSum(a), start, ts[0], 1,
		func(_ int, dst, row []float64) {
			s := 0.0
			for _, v := range row {
				s += v
			}
			dst[0] = s
		},
		func(_ int, dst, row []uint64) { dst[0] = e.fx.Sum(row) })
}

// permute rearranges t by a gather index: out[i] = t[src[i]].
func (e *Engine) permute(oi mpc.OpInfo, start time.Time, t *tensor, src []int, negate func(i int) bool) mpc.Tensor {
	res := &tensor{shape: oi.Out, vis: oi.Vis, eng: e}
	if t.f != nil {
		res.f = make([]float64, len(src))
		for i, s := range src {
			res.f[i] = t.f[s]
			if negate != nil && negate(i) {
				res.f[i] = -res.f[i]
			}
		}
	}
	if t.q != nil {
		res.q = make([]uint64, len(src))
		for i, s := range src {
			res.q[i] = t.q[s]
			if negate != nil && negate(i) {
				res.q[i] = e.fx.Wrap(-res.q[i])
			}
		}
	}
	e.record(oi, start)
	return res
}

func (e *Engine) shapeOp(op string, a mpc.Tensor, args ...int) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferShapeOp(op, a, args...)
	if err != nil {
		e.Fail(err)
		return placeholder(nil, a.Vis())
	}
	src, negate := dense.GatherIndex(op, a.Shape(), oi.Out, args)
	return e.permute(oi, start, ts[0], src, negate)
}

// Transpose swaps the last two dimensions.
func (e *Engine) Transpose(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpTranspose, a) }

// SplitHeads maps [n, h·d] to [h, n, d].
func (e *Engine) SplitHeads(a mpc.Tensor, heads int) mpc.Tensor {
	return e.shapeOp(mpc.OpSplitHeads, a, heads)
}

// MergeHeads maps [h, n, d] to [n, h·d].
func (e *Engine) MergeHeads(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpMergeHeads, a) }

// Rows slices rows [from, to).
func (e *Engine) Rows(a mpc.Tensor, from, to int) mpc.Tensor {
	return e.shapeOp(mpc.OpRows, a, from, to)
}

// RotateHalf maps [x1, x2] to [−x2, x1] along the last dimension.
func (e *Engine) RotateHalf(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpRotateHalf, a) }

func (e *Engine) elementFunc(op string, a mpc.Tensor, rf func(float64) float64, qf func(uint64) uint64) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	return e.mapUnary(mpc.InferNonlinear(op, a), start, ts[0], rf, qf)
}

// ReLU is max(a, 0).
func (e *Engine) ReLU(a mpc.Tensor) mpc.Tensor {
	return e.elementFunc(mpc.OpReLU, a, fn.ReLU, func(x uint64) uint64 { return e.fx.ReLU(x) })
}

// GeLU applies the chosen GeLU form.
func (e *Engine) GeLU(a mpc.Tensor, kind mpc.GeLUKind) mpc.Tensor {
	if err := mpc.CheckGeLU(kind); err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	return e.elementFunc(mpc.OpGeLU, a, func(x float64) float64 { return fn.GeLU(x, kind) },
		func(x uint64) uint64 { return e.fx.GeLU(x, kind) })
}

// SiLU applies the chosen SiLU form.
func (e *Engine) SiLU(a mpc.Tensor, kind mpc.SiLUKind) mpc.Tensor {
	if err := mpc.CheckSiLU(kind); err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	return e.elementFunc(mpc.OpSiLU, a, func(x float64) float64 { return fn.SiLU(x, kind) },
		func(x uint64) uint64 { return e.fx.SiLU(x, kind) })
}

// Tanh is tanh(a).
func (e *Engine) Tanh(a mpc.Tensor) mpc.Tensor {
	return e.elementFunc(mpc.OpTanh, a, math.Tanh, func(x uint64) uint64 { return e.fx.Tanh(x) })
}

// Exp is e^a (fixed point: for a ≤ 0).
func (e *Engine) Exp(a mpc.Tensor) mpc.Tensor {
	return e.elementFunc(mpc.OpExp, a, math.Exp, func(x uint64) uint64 { return e.fx.Exp(x) })
}

// Reciprocal is 1/a.
func (e *Engine) Reciprocal(a mpc.Tensor) mpc.Tensor {
	return e.elementFunc(mpc.OpReciprocal, a, func(x float64) float64 { return 1 / x },
		func(x uint64) uint64 { return e.fx.Reciprocal(x) })
}

// Rsqrt is 1/√a.
func (e *Engine) Rsqrt(a mpc.Tensor) mpc.Tensor {
	return e.elementFunc(mpc.OpRsqrt, a, func(x float64) float64 { return 1 / math.Sqrt(x) },
		func(x uint64) uint64 { return e.fx.Rsqrt(x) })
}

// Max is the row maximum.
func (e *Engine) Max(a mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	return e.rowwise(mpc.InferNonlinear(mpc.OpMax, a), start, ts[0], 1,
		func(_ int, dst, row []float64) {
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			dst[0] = m
		},
		func(_ int, dst, row []uint64) { dst[0] = e.fx.Max(row) })
}

// Softmax normalises rows; causal masks key j > query i.
func (e *Engine) Softmax(a mpc.Tensor, kind mpc.SoftmaxKind, causal bool) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferSoftmax(a, kind, causal)
	if err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	c, rows := a.Shape().Cols(), a.Shape().Rows()
	valid := func(r int) int {
		if causal {
			return r%rows + 1
		}
		return c
	}
	return e.rowwise(oi, start, ts[0], c,
		func(r int, dst, row []float64) { fn.Softmax(dst, row, kind, valid(r)) },
		func(r int, dst, row []uint64) { e.fx.Softmax(dst, row, kind, valid(r)) })
}

func (e *Engine) norm(op string, a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	ins := []mpc.Tensor{a, gamma}
	if beta != nil {
		ins = append(ins, beta)
	}
	ts, ok := e.args(ins...)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferNorm(op, a, gamma, beta)
	if err != nil {
		e.Fail(err)
		return placeholder(a.Shape(), mpc.Shared)
	}
	d := a.Shape().Cols()
	if e.fixed(oi.Vis) {
		g := ts[1].ring()
		var b []uint64
		if beta != nil {
			b = ts[2].ring()
		}
		return e.rowwise(oi, start, ts[0], d, nil, func(_ int, dst, row []uint64) {
			if b != nil {
				e.fx.LayerNorm(dst, row, g, b, eps)
			} else {
				e.fx.RMSNorm(dst, row, g, eps)
			}
		})
	}
	g := ts[1].floats()
	var b []float64
	if beta != nil {
		b = ts[2].floats()
	}
	return e.rowwise(oi, start, ts[0], d, func(_ int, dst, row []float64) {
		if b != nil {
			fn.LayerNorm(dst, row, g, b, eps)
		} else {
			fn.RMSNorm(dst, row, g, eps)
		}
	}, nil)
}

// LayerNorm normalises rows and applies gamma, beta.
func (e *Engine) LayerNorm(a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	if beta == nil {
		e.Fail(fmt.Errorf("mpc/plain: LayerNorm needs a shift (beta); use RMSNorm for none"))
		return placeholder(a.Shape(), mpc.Shared)
	}
	return e.norm(mpc.OpLayerNorm, a, gamma, beta, eps)
}

// RMSNorm divides rows by their root mean square and applies gamma.
func (e *Engine) RMSNorm(a, gamma mpc.Tensor, eps float64) mpc.Tensor {
	return e.norm(mpc.OpRMSNorm, a, gamma, nil, eps)
}

// Scope opens a report scope.
func (e *Engine) Scope(name string) func() { return e.rec.Scope(name) }

// Report returns the rows recorded so far, with measured times.
func (e *Engine) Report() *mpc.Report {
	return &mpc.Report{
		Engine:   e.name,
		TimeKind: mpc.Measured,
		Meta:     e.meta,
		Rows:     e.rec.Rows(),
		Notes:    []string{"plain engine: no communication; times are local compute, measured."},
	}
}
