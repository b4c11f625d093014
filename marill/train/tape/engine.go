package tape

import (
	"fmt"
	"math"
	"time"

	"github.com/marill-go/marill/mpc"
)

// Engine computes every operation in float64, exactly as the plain engine
// does, and records on a tape what each operation needs to send gradients
// back to its operands. It implements mpc.Engine, so a marill model runs
// on it unchanged.
//
// An Engine is not safe for concurrent use; trainers give each worker its
// own and add their gradients up.
type Engine struct {
	mpc.Sticky
	rec  mpc.Recorder
	meta mpc.Meta

	nodes []*node
	// train holds the gradient accumulator of every trainable source.
	train map[mpc.Source][]float64
	// order lists the trainable sources in the order they were marked,
	// so sums over them are deterministic.
	order []mpc.Source
	// scopes closed so far: the last node produced inside each closing.
	marks []mark
	pool  pool
}

var _ mpc.Engine = (*Engine)(nil)

type mark struct {
	path string
	node *node
}

// New returns an empty engine with no trainable sources: until Train marks
// some, it records no backward steps and runs as a plain float64 engine.
func New() *Engine { return &Engine{train: map[mpc.Source][]float64{}} }

// Name identifies the engine.
func (e *Engine) Name() string { return "tape/float64" }

// SetMeta sets the metadata stamped on reports.
func (e *Engine) SetMeta(m mpc.Meta) { e.meta = m }

// Train marks src as trainable: every Input of it becomes a leaf whose
// gradient Backward adds into Grad(src). Marking twice is harmless.
func (e *Engine) Train(src mpc.Source) {
	if _, ok := e.train[src]; ok {
		return
	}
	e.train[src] = make([]float64, src.Shape().Size())
	e.order = append(e.order, src)
}

// Trainable reports whether src was marked by Train.
func (e *Engine) Trainable(src mpc.Source) bool {
	_, ok := e.train[src]
	return ok
}

// Sources lists the trainable sources in the order they were marked.
func (e *Engine) Sources() []mpc.Source { return append([]mpc.Source(nil), e.order...) }

// Grad returns the gradient accumulated for a trainable source since the
// last ZeroGrad (the engine's own slice), or nil if src is not trainable.
func (e *Engine) Grad(src mpc.Source) []float64 { return e.train[src] }

// ZeroGrad clears every accumulated gradient.
func (e *Engine) ZeroGrad() {
	for _, g := range e.train {
		clear(g)
	}
}

// Len is the number of operations on the tape.
func (e *Engine) Len() int { return len(e.nodes) }

// Reset drops the tape (values, gradients of intermediate tensors, scope
// marks) and recycles its buffers, keeping the trainable sources and their
// accumulated gradients. Tensors of the dropped tape must not be used
// again. The recorded report is kept.
func (e *Engine) Reset() {
	for _, n := range e.nodes {
		if n.owned {
			e.pool.put(n.val)
		}
		if n.grad != nil {
			e.pool.put(n.grad)
		}
		n.val, n.grad, n.back, n.eng = nil, nil, nil, nil
	}
	clear(e.nodes)
	e.nodes = e.nodes[:0]
	e.marks = e.marks[:0]
	e.Sticky = mpc.Sticky{}
}

// node is a tensor on the tape.
type node struct {
	eng   *Engine
	shape mpc.Shape
	vis   mpc.Visibility
	val   []float64
	// owned values come from the engine's pool; inputs alias their
	// source's data.
	owned bool
	// need says whether a gradient must reach this node: it depends on a
	// trainable source.
	need bool
	grad []float64
	// back sends grad to the operands; nil when need is false.
	back  func()
	op    string
	scope string
	src   mpc.Source
}

func (n *node) Shape() mpc.Shape    { return n.shape }
func (n *node) Vis() mpc.Visibility { return n.vis }

// gradBuf returns n's gradient buffer, allocating it zeroed on first use.
func (n *node) gradBuf() []float64 {
	if n.grad == nil {
		n.grad = n.eng.pool.zeros(len(n.val))
	}
	return n.grad
}

// shapeOf is a tensor's shape, or nil for a nil tensor.
func shapeOf(t mpc.Tensor) mpc.Shape {
	if t == nil {
		return nil
	}
	return t.Shape()
}

func placeholder(s mpc.Shape, v mpc.Visibility) mpc.Tensor {
	if s == nil {
		s = mpc.Shape{1}
	}
	return mpc.Placeholder{S: s, V: v}
}

// args checks that every operand belongs to this tape.
func (e *Engine) args(ts ...mpc.Tensor) ([]*node, bool) {
	if e.Failed() {
		return nil, false
	}
	out := make([]*node, len(ts))
	for i, t := range ts {
		x, ok := t.(*node)
		if !ok || x.eng != e {
			e.Fail(fmt.Errorf("tape: operand %T does not belong to this engine (or its tape was reset)", t))
			return nil, false
		}
		out[i] = x
	}
	return out, true
}

// push records an operation's result. need is whether any operand needs a
// gradient; back is kept only then.
func (e *Engine) push(oi mpc.OpInfo, start time.Time, val []float64, need bool, back func(out *node)) *node {
	n := &node{eng: e, shape: oi.Out, vis: oi.Vis, val: val, owned: true, need: need, op: oi.Op, scope: e.rec.Path()}
	if need && back != nil {
		n.back = func() { back(n) }
	}
	e.nodes = append(e.nodes, n)
	if !mpc.Unreported(oi.Op) {
		e.rec.Record(oi.Op, oi.Place, mpc.Cost{Count: 1, Elements: oi.Elements, MACs: oi.MACs, Time: time.Since(start)})
	}
	return n
}

// Input brings a plaintext in. The tape reads src.Data() without copying:
// the source must not change until Reset. Inputs of trainable sources are
// the leaves gradients flow to.
func (e *Engine) Input(src mpc.Source, owner mpc.Visibility) mpc.Tensor {
	if e.Failed() {
		return placeholder(nil, owner)
	}
	start := time.Now()
	oi, err := mpc.InferInput(src.Shape(), owner)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(nil, owner)
	}
	data := src.Data()
	if len(data) != oi.Out.Size() {
		e.Fail(fmt.Errorf("tape: input has %d values for shape %v", len(data), oi.Out))
		return placeholder(oi.Out, owner)
	}
	acc, need := e.train[src]
	n := e.push(oi, start, data, need, func(out *node) {
		for i, g := range out.grad {
			acc[i] += g
		}
	})
	n.owned = false
	n.src = src
	return n
}

// Embed gathers rows of a public (or client) table.
func (e *Engine) Embed(table mpc.Tensor, ids []int) mpc.Tensor {
	ts, ok := e.args(table)
	if !ok {
		return placeholder(nil, mpc.Client)
	}
	start := time.Now()
	oi, err := mpc.InferEmbed(table.Shape(), table.Vis(), ids)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(nil, mpc.Client)
	}
	t := ts[0]
	d := oi.Out[1]
	out := e.pool.get(oi.Out.Size())
	for i, id := range ids {
		copy(out[i*d:(i+1)*d], t.val[id*d:(id+1)*d])
	}
	ids = append([]int(nil), ids...)
	return e.push(oi, start, out, t.need, func(o *node) {
		g := t.gradBuf()
		for i, id := range ids {
			addTo(g[id*d:(id+1)*d], o.grad[i*d:(i+1)*d])
		}
	})
}

// identity records an operation that passes values through unchanged
// (share, reveal).
func (e *Engine) identity(oi mpc.OpInfo, start time.Time, x *node) mpc.Tensor {
	out := e.pool.get(len(x.val))
	copy(out, x.val)
	return e.push(oi, start, out, x.need, func(o *node) { addTo(x.gradBuf(), o.grad) })
}

// Share turns a plaintext into a shared value.
func (e *Engine) Share(x mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(x)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	return e.identity(mpc.InferShare(x), time.Now(), ts[0])
}

// Reveal opens x to a party (or both).
func (e *Engine) Reveal(x mpc.Tensor, to mpc.Visibility) mpc.Tensor {
	ts, ok := e.args(x)
	if !ok {
		return placeholder(nil, to)
	}
	start := time.Now()
	oi, err := mpc.InferReveal(x, to)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(x.Shape(), to)
	}
	return e.identity(oi, start, ts[0])
}

// Value returns a public or client value, as every engine does. Training
// code that needs any tensor's values uses Data.
func (e *Engine) Value(x mpc.Tensor) (*mpc.Dense, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	ts, ok := e.args(x)
	if !ok {
		return nil, e.Err()
	}
	if v := x.Vis(); v != mpc.Public && v != mpc.Client {
		return nil, fmt.Errorf("tape: a %v value is not visible to the client; reveal it first", v)
	}
	return mpc.NewDense(x.Shape(), append([]float64(nil), ts[0].val...))
}

// Data returns the values of any tensor of the current tape, whoever owns
// it (the engine's own slice: read it, do not keep it past Reset).
func (e *Engine) Data(x mpc.Tensor) ([]float64, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	n, ok := x.(*node)
	if !ok || n.eng != e {
		return nil, fmt.Errorf("tape: %T does not belong to this engine (or its tape was reset)", x)
	}
	return n.val, nil
}

// Seed adds grad, the gradient of a loss with respect to x, to x's
// gradient; Backward then carries it to the trainable sources. Losses are
// computed outside the tape (the engine has no logarithm), so training
// code seeds the gradients of the tensors a loss reads: logits, hidden
// states, attention maps.
func (e *Engine) Seed(x mpc.Tensor, grad []float64) error {
	if err := e.Err(); err != nil {
		return err
	}
	n, ok := x.(*node)
	if !ok || n.eng != e {
		return fmt.Errorf("tape: Seed of %T, which does not belong to this engine", x)
	}
	if len(grad) != len(n.val) {
		return fmt.Errorf("tape: Seed of %d values for a tensor of shape %v", len(grad), n.shape)
	}
	for i, g := range grad {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("tape: Seed gradient %d is %g", i, g)
		}
	}
	if !n.need {
		return nil // no trainable source below x
	}
	addTo(n.gradBuf(), grad)
	return nil
}

// Backward carries the seeded gradients back through the tape, in reverse
// order, and adds them into the trainable sources' gradients. The tape
// keeps its values; Reset it before the next pass. A loss tensor, if
// given, must have one element; its gradient is seeded with 1 first.
func (e *Engine) Backward(loss mpc.Tensor) error {
	if err := e.Err(); err != nil {
		return err
	}
	if loss != nil {
		n, ok := loss.(*node)
		if !ok || n.eng != e {
			return fmt.Errorf("tape: Backward from %T, which does not belong to this engine", loss)
		}
		if len(n.val) != 1 {
			return fmt.Errorf("tape: Backward needs a loss with one element, got shape %v; use Seed for others", n.shape)
		}
		if err := e.Seed(loss, []float64{1}); err != nil {
			return err
		}
	}
	for i := len(e.nodes) - 1; i >= 0; i-- {
		n := e.nodes[i]
		if n.back != nil && n.grad != nil {
			n.back()
		}
	}
	return nil
}

// Scope opens a report scope. When it closes, the last tensor produced
// inside it is remembered as the scope's output (see Output): a block's
// hidden state, the embeddings.
func (e *Engine) Scope(name string) func() {
	end := e.rec.Scope(name)
	path := e.rec.Path()
	first := len(e.nodes)
	return func() {
		if len(e.nodes) > first {
			e.marks = append(e.marks, mark{path: path, node: e.nodes[len(e.nodes)-1]})
		}
		end()
	}
}

// Output returns the last tensor produced inside the most recent closing
// of the scope at path ("block1", "embed", "block0/attn"), and whether
// there was one. For a marill model, Output("block<i>") is block i's
// hidden state.
func (e *Engine) Output(path string) (mpc.Tensor, bool) {
	for i := len(e.marks) - 1; i >= 0; i-- {
		if e.marks[i].path == path {
			return e.marks[i].node, true
		}
	}
	return nil, false
}

// Find lists, in tape order, the tensors produced by operation op (an
// mpc.Op* name) in scopes under prefix ("" for all): Find("softmax",
// "block2") is block 2's attention probabilities.
func (e *Engine) Find(op, prefix string) []mpc.Tensor {
	var out []mpc.Tensor
	for _, n := range e.nodes {
		if n.op == op && underScope(n.scope, prefix) {
			out = append(out, n)
		}
	}
	return out
}

func underScope(path, prefix string) bool {
	if prefix == "" || path == prefix {
		return true
	}
	return len(path) > len(prefix) && path[:len(prefix)] == prefix && path[len(prefix)] == '/'
}

// Report returns the operations recorded so far, with measured times.
func (e *Engine) Report() *mpc.Report {
	return &mpc.Report{
		Engine:   e.Name(),
		TimeKind: mpc.Measured,
		Meta:     e.meta,
		Rows:     e.rec.Rows(),
		Notes:    []string{"tape engine: float64 forward pass recorded for gradients; no communication; times are local compute, measured."},
	}
}

// ResetReport forgets the recorded report rows.
func (e *Engine) ResetReport() { e.rec.Reset() }
