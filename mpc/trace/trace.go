package trace

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// Op is one recorded operation with everything a cost model needs.
type Op struct {
	// Scope is the scope path at the time of the call.
	Scope string
	mpc.OpInfo
	// In and InVis are the operands' shapes and visibilities.
	In    []mpc.Shape
	InVis []mpc.Visibility
	// To is the reveal target (reveal only).
	To mpc.Visibility
	// Kinds of the approximations (gelu, silu, softmax only).
	GeLU    mpc.GeLUKind
	SiLU    mpc.SiLUKind
	Softmax mpc.SoftmaxKind
	// Causal is set on masked softmaxes.
	Causal bool
	// Const is the constant of scale and addconst.
	Const float64
	// ID names the result tensor and InIDs the operands (1, 2, ... in
	// order of creation), so a cost model can follow values from one
	// operation to the next (an opening reused, a mask sent once).
	ID    int
	InIDs []int
}

// Options configure an Engine.
type Options struct {
	// Name is returned by Engine.Name (default "trace").
	Name string
	// TimeKind is stamped on the report (default mpc.NoTime).
	TimeKind mpc.TimeKind
	// Price, if set, returns the cost of an operation; its Count,
	// Elements and MACs are filled in when left zero. Without it every
	// operation costs nothing but its counts.
	Price func(Op) mpc.Cost
	// Observe, if set, sees every operation after pricing, shape
	// operations included.
	Observe func(Op, mpc.Cost)
}

// Engine is a shape-and-visibility engine: it checks every operation as a
// real engine would, decides where it runs, and records it, without
// touching a value. It is what Plans are made from and what the cost
// simulator prices.
type Engine struct {
	mpc.Sticky
	opts   Options
	rec    mpc.Recorder
	meta   mpc.Meta
	nextID int
}

var _ mpc.Engine = (*Engine)(nil)

type tensor struct {
	shape mpc.Shape
	vis   mpc.Visibility
	eng   *Engine
	id    int
}

func (t *tensor) Shape() mpc.Shape    { return t.shape }
func (t *tensor) Vis() mpc.Visibility { return t.vis }

// New returns a trace engine.
func New(opts Options) *Engine {
	if opts.Name == "" {
		opts.Name = "trace"
	}
	return &Engine{opts: opts}
}

// Name returns the configured name.
func (e *Engine) Name() string { return e.opts.Name }

// SetMeta sets the metadata stamped on reports.
func (e *Engine) SetMeta(m mpc.Meta) { e.meta = m }

func (e *Engine) own(ts ...mpc.Tensor) bool {
	if e.Failed() {
		return false
	}
	for _, t := range ts {
		x, ok := t.(*tensor)
		if !ok || x.eng != e {
			e.Fail(fmt.Errorf("mpc/trace: operand %T does not belong to this engine", t))
			return false
		}
	}
	return true
}

func (e *Engine) placeholder(s mpc.Shape, v mpc.Visibility) mpc.Tensor {
	if s == nil {
		s = mpc.Shape{1}
	}
	return mpc.Placeholder{S: s, V: v}
}

// emit records op and returns its result tensor.
func (e *Engine) emit(op Op, ins ...mpc.Tensor) mpc.Tensor {
	op.Scope = e.rec.Path()
	for _, t := range ins {
		op.In = append(op.In, t.Shape())
		op.InVis = append(op.InVis, t.Vis())
		id := 0
		if x, ok := t.(*tensor); ok {
			id = x.id
		}
		op.InIDs = append(op.InIDs, id)
	}
	e.nextID++
	op.ID = e.nextID
	var c mpc.Cost
	if e.opts.Price != nil {
		c = e.opts.Price(op)
	}
	if c.Count == 0 {
		c.Count = 1
	}
	if c.Elements == 0 {
		c.Elements = op.Elements
	}
	if c.MACs == 0 {
		c.MACs = op.MACs
	}
	if !mpc.Unreported(op.Op) {
		e.rec.Record(op.Op, op.Place, c)
	}
	if e.opts.Observe != nil {
		e.opts.Observe(op, c)
	}
	return &tensor{shape: op.Out, vis: op.Vis, eng: e, id: op.ID}
}

func (e *Engine) result(oi mpc.OpInfo, err error, ins ...mpc.Tensor) mpc.Tensor {
	if err != nil {
		e.Fail(err)
		return e.placeholder(oi.Out, oi.Vis)
	}
	return e.emit(Op{OpInfo: oi}, ins...)
}

// Input records a plaintext input; the source's data is never read.
func (e *Engine) Input(src mpc.Source, owner mpc.Visibility) mpc.Tensor {
	if e.Failed() {
		return e.placeholder(nil, owner)
	}
	oi, err := mpc.InferInput(src.Shape(), owner)
	return e.result(oi, err)
}

// Embed records a row gather.
func (e *Engine) Embed(table mpc.Tensor, ids []int) mpc.Tensor {
	if !e.own(table) {
		return e.placeholder(nil, mpc.Client)
	}
	oi, err := mpc.InferEmbed(table.Shape(), table.Vis(), ids)
	return e.result(oi, err, table)
}

// Share records sharing a plaintext.
func (e *Engine) Share(x mpc.Tensor) mpc.Tensor {
	if !e.own(x) {
		return e.placeholder(nil, mpc.Shared)
	}
	return e.emit(Op{OpInfo: mpc.InferShare(x)}, x)
}

// Reveal records opening x.
func (e *Engine) Reveal(x mpc.Tensor, to mpc.Visibility) mpc.Tensor {
	if !e.own(x) {
		return e.placeholder(nil, to)
	}
	oi, err := mpc.InferReveal(x, to)
	if err != nil {
		e.Fail(err)
		return e.placeholder(x.Shape(), to)
	}
	return e.emit(Op{OpInfo: oi, To: to}, x)
}

// Value is unavailable: a trace has no values.
func (e *Engine) Value(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("mpc/trace: %s has shapes only, no values", e.opts.Name)
}

func (e *Engine) elementwise(op string, a, b mpc.Tensor) mpc.Tensor {
	if !e.own(a, b) {
		return e.placeholder(nil, mpc.Shared)
	}
	oi, err := mpc.InferElementwise(op, a, b)
	return e.result(oi, err, a, b)
}

// Add records a + b.
func (e *Engine) Add(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpAdd, a, b) }

// Sub records a − b.
func (e *Engine) Sub(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpSub, a, b) }

// Mul records a ⊙ b.
func (e *Engine) Mul(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpMul, a, b) }

func (e *Engine) local(op string, a mpc.Tensor, c float64) mpc.Tensor {
	if !e.own(a) {
		return e.placeholder(nil, mpc.Shared)
	}
	return e.emit(Op{OpInfo: mpc.InferLocal(op, a), Const: c}, a)
}

// Neg records −a.
func (e *Engine) Neg(a mpc.Tensor) mpc.Tensor { return e.local(mpc.OpNeg, a, 0) }

// Scale records c·a.
func (e *Engine) Scale(a mpc.Tensor, c float64) mpc.Tensor { return e.local(mpc.OpScale, a, c) }

// AddConst records a + c.
func (e *Engine) AddConst(a mpc.Tensor, c float64) mpc.Tensor {
	return e.local(mpc.OpAddConst, a, c)
}

// MatMul records a·b.
func (e *Engine) MatMul(a, b mpc.Tensor) mpc.Tensor {
	if !e.own(a, b) {
		return e.placeholder(nil, mpc.Shared)
	}
	oi, err := mpc.InferMatMul(a, b)
	return e.result(oi, err, a, b)
}

// Sum records a row sum.
func (e *Engine) Sum(a mpc.Tensor) mpc.Tensor {
	if !e.own(a) {
		return e.placeholder(nil, mpc.Shared)
	}
	return e.emit(Op{OpInfo: mpc.InferSum(a)}, a)
}

func (e *Engine) shapeOp(op string, a mpc.Tensor, args ...int) mpc.Tensor {
	if !e.own(a) {
		return e.placeholder(nil, mpc.Shared)
	}
	oi, err := mpc.InferShapeOp(op, a, args...)
	return e.result(oi, err, a)
}

// Transpose records a transpose (not reported: it is free).
func (e *Engine) Transpose(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpTranspose, a) }

// SplitHeads records [n, h·d] → [h, n, d].
func (e *Engine) SplitHeads(a mpc.Tensor, heads int) mpc.Tensor {
	return e.shapeOp(mpc.OpSplitHeads, a, heads)
}

// MergeHeads records [h, n, d] → [n, h·d].
func (e *Engine) MergeHeads(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpMergeHeads, a) }

// Rows records a row slice.
func (e *Engine) Rows(a mpc.Tensor, from, to int) mpc.Tensor {
	return e.shapeOp(mpc.OpRows, a, from, to)
}

// RotateHalf records the rotary permutation.
func (e *Engine) RotateHalf(a mpc.Tensor) mpc.Tensor { return e.shapeOp(mpc.OpRotateHalf, a) }

func (e *Engine) nonlinear(op Op, a mpc.Tensor) mpc.Tensor {
	if !e.own(a) {
		return e.placeholder(nil, mpc.Shared)
	}
	op.OpInfo = mpc.InferNonlinear(op.Op, a)
	return e.emit(op, a)
}

// ReLU records max(a, 0).
func (e *Engine) ReLU(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpReLU}}, a)
}

// GeLU records a GeLU of the given kind.
func (e *Engine) GeLU(a mpc.Tensor, kind mpc.GeLUKind) mpc.Tensor {
	if err := mpc.CheckGeLU(kind); err != nil {
		e.Fail(err)
	}
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpGeLU}, GeLU: kind}, a)
}

// SiLU records a SiLU of the given kind.
func (e *Engine) SiLU(a mpc.Tensor, kind mpc.SiLUKind) mpc.Tensor {
	if err := mpc.CheckSiLU(kind); err != nil {
		e.Fail(err)
	}
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpSiLU}, SiLU: kind}, a)
}

// Tanh records tanh(a).
func (e *Engine) Tanh(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpTanh}}, a)
}

// Exp records e^a.
func (e *Engine) Exp(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpExp}}, a)
}

// Reciprocal records 1/a.
func (e *Engine) Reciprocal(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpReciprocal}}, a)
}

// Rsqrt records 1/√a.
func (e *Engine) Rsqrt(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpRsqrt}}, a)
}

// Max records a row maximum.
func (e *Engine) Max(a mpc.Tensor) mpc.Tensor {
	return e.nonlinear(Op{OpInfo: mpc.OpInfo{Op: mpc.OpMax}}, a)
}

// Softmax records a softmax of the given kind.
func (e *Engine) Softmax(a mpc.Tensor, kind mpc.SoftmaxKind, causal bool) mpc.Tensor {
	if !e.own(a) {
		return e.placeholder(nil, mpc.Shared)
	}
	oi, err := mpc.InferSoftmax(a, kind, causal)
	if err != nil {
		e.Fail(err)
		return e.placeholder(a.Shape(), mpc.Shared)
	}
	return e.emit(Op{OpInfo: oi, Softmax: kind, Causal: causal}, a)
}

func (e *Engine) norm(op string, a, gamma, beta mpc.Tensor) mpc.Tensor {
	ins := []mpc.Tensor{a, gamma}
	if beta != nil {
		ins = append(ins, beta)
	}
	if !e.own(ins...) {
		return e.placeholder(nil, mpc.Shared)
	}
	oi, err := mpc.InferNorm(op, a, gamma, beta)
	return e.result(oi, err, ins...)
}

// LayerNorm records a layer norm.
func (e *Engine) LayerNorm(a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	if beta == nil {
		e.Fail(fmt.Errorf("mpc/trace: LayerNorm needs a shift (beta); use RMSNorm for none"))
		return e.placeholder(a.Shape(), mpc.Shared)
	}
	return e.norm(mpc.OpLayerNorm, a, gamma, beta)
}

// RMSNorm records an RMS norm.
func (e *Engine) RMSNorm(a, gamma mpc.Tensor, eps float64) mpc.Tensor {
	return e.norm(mpc.OpRMSNorm, a, gamma, nil)
}

// Scope opens a report scope.
func (e *Engine) Scope(name string) func() { return e.rec.Scope(name) }

// Report returns the recorded rows.
func (e *Engine) Report() *mpc.Report {
	return &mpc.Report{Engine: e.opts.Name, TimeKind: e.opts.TimeKind, Meta: e.meta, Rows: e.rec.Rows()}
}
