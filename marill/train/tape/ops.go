package tape

import (
	"fmt"
	"math"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
	"github.com/marill-go/marill/mpc/ring"
)

// broadcast describes how b's elements repeat over a's (mpc.BroadcastShape).
type broadcast struct {
	kind   int // 0 same shape, 1 b repeats every period elements, 2 b is a column
	period int
}

func broadcastOf(a, b mpc.Shape) broadcast {
	switch {
	case a.Equal(b):
		return broadcast{}
	case len(b) < len(a):
		return broadcast{kind: 1, period: b.Size()}
	default:
		return broadcast{kind: 2, period: a.Cols()}
	}
}

func (bc broadcast) index(i int) int {
	switch bc.kind {
	case 1:
		return i % bc.period
	case 2:
		return i / bc.period
	}
	return i
}

func (e *Engine) elementwise(op string, a, b mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferElementwise(op, a, b)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(a.Shape(), mpc.Shared)
	}
	x, y := ts[0], ts[1]
	bc := broadcastOf(a.Shape(), b.Shape())
	out := e.pool.get(len(x.val))
	switch op {
	case mpc.OpAdd:
		for i, u := range x.val {
			out[i] = u + y.val[bc.index(i)]
		}
	case mpc.OpSub:
		for i, u := range x.val {
			out[i] = u - y.val[bc.index(i)]
		}
	default:
		for i, u := range x.val {
			out[i] = u * y.val[bc.index(i)]
		}
	}
	return e.push(oi, start, out, x.need || y.need, func(o *node) {
		g := o.grad
		if x.need {
			gx := x.gradBuf()
			if op == mpc.OpMul {
				for i, v := range g {
					gx[i] += v * y.val[bc.index(i)]
				}
			} else {
				addTo(gx, g)
			}
		}
		if y.need {
			gy := y.gradBuf()
			switch op {
			case mpc.OpAdd:
				for i, v := range g {
					gy[bc.index(i)] += v
				}
			case mpc.OpSub:
				for i, v := range g {
					gy[bc.index(i)] -= v
				}
			default:
				for i, v := range g {
					gy[bc.index(i)] += v * x.val[i]
				}
			}
		}
	})
}

// Add is a + b (b may broadcast).
func (e *Engine) Add(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpAdd, a, b) }

// Sub is a − b (b may broadcast).
func (e *Engine) Sub(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpSub, a, b) }

// Mul is a ⊙ b (b may broadcast).
func (e *Engine) Mul(a, b mpc.Tensor) mpc.Tensor { return e.elementwise(mpc.OpMul, a, b) }

// affine records y = c·x + k, elementwise (neg, scale, addconst).
func (e *Engine) affine(op string, a mpc.Tensor, c, k float64) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	x := ts[0]
	out := e.pool.get(len(x.val))
	for i, v := range x.val {
		out[i] = c*v + k
	}
	return e.push(mpc.InferLocal(op, a), start, out, x.need, func(o *node) {
		gx := x.gradBuf()
		for i, v := range o.grad {
			gx[i] += c * v
		}
	})
}

// Neg is −a.
func (e *Engine) Neg(a mpc.Tensor) mpc.Tensor { return e.affine(mpc.OpNeg, a, -1, 0) }

// Scale is c·a for a public c.
func (e *Engine) Scale(a mpc.Tensor, c float64) mpc.Tensor { return e.affine(mpc.OpScale, a, c, 0) }

// AddConst is a + c for a public c.
func (e *Engine) AddConst(a mpc.Tensor, c float64) mpc.Tensor {
	return e.affine(mpc.OpAddConst, a, 1, c)
}

// MatMul is a·b, batched over a leading dimension: [m,k]·[k,n],
// [b,m,k]·[k,n] (b shared by every batch) or [b,m,k]·[b,k,n].
func (e *Engine) MatMul(a, b mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a, b)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferMatMul(a, b)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(nil, mpc.Shared)
	}
	x, y := ts[0], ts[1]
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
	out := e.pool.get(batch * m * n)
	for h := 0; h < batch; h++ {
		ring.MatMulFloat64(out[h*m*n:(h+1)*m*n], x.val[h*m*k:(h+1)*m*k], y.val[h*bStride:h*bStride+k*n], m, k, n)
	}
	return e.push(oi, start, out, x.need || y.need, func(o *node) {
		for h := 0; h < batch; h++ {
			g := o.grad[h*m*n : (h+1)*m*n]
			yb := y.val[h*bStride : h*bStride+k*n]
			if x.need { // dx = g·yᵀ
				mulABtAcc(x.gradBuf()[h*m*k:(h+1)*m*k], g, yb, m, n, k)
			}
			if y.need { // dy = xᵀ·g
				mulAtBAcc(y.gradBuf()[h*bStride:h*bStride+k*n], x.val[h*m*k:(h+1)*m*k], g, m, k, n)
			}
		}
	})
}

// Sum adds along the last dimension.
func (e *Engine) Sum(a mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	x := ts[0]
	c := a.Shape().Cols()
	rows := len(x.val) / c
	out := e.pool.get(rows)
	for r := 0; r < rows; r++ {
		s := 0.0
		for _, v := range x.val[r*c : (r+1)*c] {
			s += v
		}
		out[r] = s
	}
	return e.push(mpc.InferSum(a), start, out, x.need, func(o *node) {
		gx := x.gradBuf()
		for r, g := range o.grad {
			row := gx[r*c : (r+1)*c]
			for j := range row {
				row[j] += g
			}
		}
	})
}

// shapeOp checks a shape operation and records it with its forward copy
// and backward scatter, both written as direct loops (no index tables, so
// a pass allocates nothing but its output).
func (e *Engine) shapeOp(op string, a mpc.Tensor, fwd, bwd func(dst, src []float64), args ...int) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferShapeOp(op, a, args...)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(nil, a.Vis())
	}
	x := ts[0]
	out := e.pool.get(oi.Out.Size())
	fwd(out, x.val)
	return e.push(oi, start, out, x.need, func(o *node) { bwd(x.gradBuf(), o.grad) })
}

// Transpose swaps the last two dimensions.
func (e *Engine) Transpose(a mpc.Tensor) mpc.Tensor {
	if _, ok := e.args(a); !ok {
		return placeholder(nil, mpc.Shared)
	}
	s := a.Shape()
	if len(s) < 2 {
		return e.shapeOp(mpc.OpTranspose, a, nil, nil) // fails with the shape error
	}
	r, c := s.Rows(), s.Cols()
	batches := s.Size() / (r * c)
	fwd := func(dst, src []float64) {
		for b := 0; b < batches; b++ {
			transpose(dst[b*r*c:(b+1)*r*c], src[b*r*c:(b+1)*r*c], r, c)
		}
	}
	bwd := func(dst, g []float64) {
		for b := 0; b < batches; b++ {
			o := b * r * c
			for i := 0; i < r; i++ {
				for j := 0; j < c; j++ {
					dst[o+i*c+j] += g[o+j*r+i]
				}
			}
		}
	}
	return e.shapeOp(mpc.OpTranspose, a, fwd, bwd)
}

// SplitHeads maps [n, h·d] to [h, n, d].
func (e *Engine) SplitHeads(a mpc.Tensor, heads int) mpc.Tensor {
	if _, ok := e.args(a); !ok {
		return placeholder(nil, mpc.Shared)
	}
	s := a.Shape()
	if _, err := mpc.SplitHeadsShape(s, heads); err != nil {
		return e.shapeOp(mpc.OpSplitHeads, a, nil, nil, heads)
	}
	n, h := s[0], heads
	d := s[1] / h
	fwd := func(dst, src []float64) {
		for hh := 0; hh < h; hh++ {
			for i := 0; i < n; i++ {
				copy(dst[(hh*n+i)*d:(hh*n+i+1)*d], src[i*h*d+hh*d:i*h*d+(hh+1)*d])
			}
		}
	}
	bwd := func(dst, g []float64) {
		for hh := 0; hh < h; hh++ {
			for i := 0; i < n; i++ {
				addTo(dst[i*h*d+hh*d:i*h*d+(hh+1)*d], g[(hh*n+i)*d:(hh*n+i+1)*d])
			}
		}
	}
	return e.shapeOp(mpc.OpSplitHeads, a, fwd, bwd, heads)
}

// MergeHeads maps [h, n, d] to [n, h·d].
func (e *Engine) MergeHeads(a mpc.Tensor) mpc.Tensor {
	if _, ok := e.args(a); !ok {
		return placeholder(nil, mpc.Shared)
	}
	s := a.Shape()
	if len(s) != 3 {
		return e.shapeOp(mpc.OpMergeHeads, a, nil, nil)
	}
	h, n, d := s[0], s[1], s[2]
	fwd := func(dst, src []float64) {
		for hh := 0; hh < h; hh++ {
			for i := 0; i < n; i++ {
				copy(dst[i*h*d+hh*d:i*h*d+(hh+1)*d], src[(hh*n+i)*d:(hh*n+i+1)*d])
			}
		}
	}
	bwd := func(dst, g []float64) {
		for hh := 0; hh < h; hh++ {
			for i := 0; i < n; i++ {
				addTo(dst[(hh*n+i)*d:(hh*n+i+1)*d], g[i*h*d+hh*d:i*h*d+(hh+1)*d])
			}
		}
	}
	return e.shapeOp(mpc.OpMergeHeads, a, fwd, bwd)
}

// Rows slices rows [from, to) along the second-to-last dimension.
func (e *Engine) Rows(a mpc.Tensor, from, to int) mpc.Tensor {
	if _, ok := e.args(a); !ok {
		return placeholder(nil, mpc.Shared)
	}
	s := a.Shape()
	if _, err := mpc.RowsShape(s, from, to); err != nil {
		return e.shapeOp(mpc.OpRows, a, nil, nil, from, to)
	}
	r, c := s.Rows(), s.Cols()
	batches := s.Size() / (r * c)
	w := (to - from) * c
	fwd := func(dst, src []float64) {
		for b := 0; b < batches; b++ {
			copy(dst[b*w:(b+1)*w], src[b*r*c+from*c:b*r*c+to*c])
		}
	}
	bwd := func(dst, g []float64) {
		for b := 0; b < batches; b++ {
			addTo(dst[b*r*c+from*c:b*r*c+to*c], g[b*w:(b+1)*w])
		}
	}
	return e.shapeOp(mpc.OpRows, a, fwd, bwd, from, to)
}

// RotateHalf maps [x1, x2] to [−x2, x1] along the last dimension.
func (e *Engine) RotateHalf(a mpc.Tensor) mpc.Tensor {
	if _, ok := e.args(a); !ok {
		return placeholder(nil, mpc.Shared)
	}
	c := a.Shape().Cols()
	half := c / 2
	fwd := func(dst, src []float64) {
		for o := 0; o+c <= len(src); o += c {
			for j := 0; j < half; j++ {
				dst[o+j] = -src[o+j+half]
				dst[o+j+half] = src[o+j]
			}
		}
	}
	bwd := func(dst, g []float64) {
		for o := 0; o+c <= len(g); o += c {
			for j := 0; j < half; j++ {
				dst[o+j+half] -= g[o+j]
				dst[o+j] += g[o+j+half]
			}
		}
	}
	return e.shapeOp(mpc.OpRotateHalf, a, fwd, bwd)
}

// unary records an elementwise function f with derivative df(x, f(x)).
func (e *Engine) unary(op string, a mpc.Tensor, f func(float64) float64, df func(x, y float64) float64) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	x := ts[0]
	out := e.pool.get(len(x.val))
	for i, v := range x.val {
		out[i] = f(v)
	}
	return e.push(mpc.InferNonlinear(op, a), start, out, x.need, func(o *node) {
		gx := x.gradBuf()
		for i, g := range o.grad {
			gx[i] += g * df(x.val[i], o.val[i])
		}
	})
}

// ReLU is max(a, 0); its derivative at 0 is taken as 0.
func (e *Engine) ReLU(a mpc.Tensor) mpc.Tensor {
	return e.unary(mpc.OpReLU, a, fn.ReLU, reluGrad)
}

func reluGrad(x, _ float64) float64 {
	if x > 0 {
		return 1
	}
	return 0
}

// GeLU applies the chosen GeLU form.
func (e *Engine) GeLU(a mpc.Tensor, kind mpc.GeLUKind) mpc.Tensor {
	if err := mpc.CheckGeLU(kind); err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(shapeOf(a), mpc.Shared)
	}
	return e.unary(mpc.OpGeLU, a, func(x float64) float64 { return fn.GeLU(x, kind) },
		func(x, _ float64) float64 { return GeLUGrad(x, kind) })
}

// SiLU applies the chosen SiLU form.
func (e *Engine) SiLU(a mpc.Tensor, kind mpc.SiLUKind) mpc.Tensor {
	if err := mpc.CheckSiLU(kind); err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(shapeOf(a), mpc.Shared)
	}
	return e.unary(mpc.OpSiLU, a, func(x float64) float64 { return fn.SiLU(x, kind) },
		func(x, _ float64) float64 { return SiLUGrad(x, kind) })
}

// Tanh is tanh(a).
func (e *Engine) Tanh(a mpc.Tensor) mpc.Tensor {
	return e.unary(mpc.OpTanh, a, math.Tanh, func(_, y float64) float64 { return 1 - y*y })
}

// Exp is e^a.
func (e *Engine) Exp(a mpc.Tensor) mpc.Tensor {
	return e.unary(mpc.OpExp, a, math.Exp, func(_, y float64) float64 { return y })
}

// Reciprocal is 1/a.
func (e *Engine) Reciprocal(a mpc.Tensor) mpc.Tensor {
	return e.unary(mpc.OpReciprocal, a, func(x float64) float64 { return 1 / x },
		func(_, y float64) float64 { return -y * y })
}

// Rsqrt is 1/√a.
func (e *Engine) Rsqrt(a mpc.Tensor) mpc.Tensor {
	return e.unary(mpc.OpRsqrt, a, func(x float64) float64 { return 1 / math.Sqrt(x) },
		func(x, y float64) float64 { return -0.5 * y / x })
}

// GeLUGrad is the derivative of fn.GeLU(x, kind) (ReLU's is 0 at 0).
func GeLUGrad(x float64, kind mpc.GeLUKind) float64 {
	switch kind {
	case mpc.GeLUTanh:
		const c = 0.7978845608028654 // √(2/π)
		t := math.Tanh(c * (x + 0.044715*x*x*x))
		return 0.5*(1+t) + 0.5*x*(1-t*t)*c*(1+3*0.044715*x*x)
	case mpc.GeLUQuad:
		return 0.25*x + 0.25
	case mpc.GeLUReLU:
		return reluGrad(x, 0)
	default:
		return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	}
}

// SiLUGrad is the derivative of fn.SiLU(x, kind).
func SiLUGrad(x float64, kind mpc.SiLUKind) float64 {
	switch kind {
	case mpc.SiLUQuad:
		return 0.25*x + 0.25
	case mpc.SiLUReLU:
		return reluGrad(x, 0)
	default:
		s := fn.Sigmoid(x)
		return s * (1 + x*(1-s))
	}
}

// Max is the row maximum; its gradient goes to the first maximal entry.
func (e *Engine) Max(a mpc.Tensor) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	x := ts[0]
	c := a.Shape().Cols()
	rows := len(x.val) / c
	out := e.pool.get(rows)
	arg := make([]int, rows)
	for r := 0; r < rows; r++ {
		row := x.val[r*c : (r+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		arg[r] = best
		out[r] = row[best]
	}
	return e.push(mpc.InferNonlinear(mpc.OpMax, a), start, out, x.need, func(o *node) {
		gx := x.gradBuf()
		for r, g := range o.grad {
			gx[r*c+arg[r]] += g
		}
	})
}

// Softmax normalises rows (exact, 2Quad or 2ReLU); causal masks key j >
// query i, whose outputs are 0 and get no gradient.
func (e *Engine) Softmax(a mpc.Tensor, kind mpc.SoftmaxKind, causal bool) mpc.Tensor {
	ts, ok := e.args(a)
	if !ok {
		return placeholder(nil, mpc.Shared)
	}
	start := time.Now()
	oi, err := mpc.InferSoftmax(a, kind, causal)
	if err != nil {
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(a.Shape(), mpc.Shared)
	}
	x := ts[0]
	c, rows := a.Shape().Cols(), a.Shape().Rows()
	valid := func(r int) int {
		if causal {
			return r%rows + 1
		}
		return c
	}
	out := e.pool.get(len(x.val))
	for r := 0; r < len(x.val)/c; r++ {
		fn.Softmax(out[r*c:(r+1)*c], x.val[r*c:(r+1)*c], kind, valid(r))
	}
	return e.push(oi, start, out, x.need, func(o *node) {
		gx := x.gradBuf()
		for r := 0; r < len(x.val)/c; r++ {
			v := valid(r)
			softmaxBack(gx[r*c:r*c+v], o.grad[r*c:r*c+v], o.val[r*c:r*c+v], x.val[r*c:r*c+v], kind)
		}
	})
}

// softmaxBack adds the gradient of one softmax row to dx. All three forms
// are y = q/Σq for some per-entry q(x): y = e^(x−max), (x+c)², ReLU(x)+ε/n.
// Then dL/dq_j = (dy_j − Σ_k dy_k·y_k)/Σq, and dx_j = q′(x_j)·dL/dq_j.
func softmaxBack(dx, dy, y, x []float64, kind mpc.SoftmaxKind) {
	dot := 0.0
	for j, g := range dy {
		dot += g * y[j]
	}
	switch kind {
	case mpc.Softmax2Quad:
		s := 0.0
		for _, v := range x {
			s += (v + mpc.TwoQuadC) * (v + mpc.TwoQuadC)
		}
		for j, g := range dy {
			dx[j] += 2 * (x[j] + mpc.TwoQuadC) * (g - dot) / s
		}
	case mpc.Softmax2ReLU:
		s := mpc.TwoReLUEps
		for _, v := range x {
			s += fn.ReLU(v)
		}
		for j, g := range dy {
			if x[j] > 0 {
				dx[j] += (g - dot) / s
			}
		}
	default: // q = e^(x−max): q′ = q, and q/Σq = y
		for j, g := range dy {
			dx[j] += y[j] * (g - dot)
		}
	}
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
		e.Fail(fmt.Errorf("tape: %w", err))
		return placeholder(a.Shape(), mpc.Shared)
	}
	x, g := ts[0], ts[1]
	var b *node
	if beta != nil {
		b = ts[2]
	}
	d := a.Shape().Cols()
	rows := len(x.val) / d
	out := e.pool.get(len(x.val))
	for r := 0; r < rows; r++ {
		if b != nil {
			fn.LayerNorm(out[r*d:(r+1)*d], x.val[r*d:(r+1)*d], g.val, b.val, eps)
		} else {
			fn.RMSNorm(out[r*d:(r+1)*d], x.val[r*d:(r+1)*d], g.val, eps)
		}
	}
	need := x.need || g.need || (b != nil && b.need)
	return e.push(oi, start, out, need, func(o *node) {
		xh := e.pool.get(d)
		dxh := e.pool.get(d)
		defer e.pool.put(xh)
		defer e.pool.put(dxh)
		for r := 0; r < rows; r++ {
			xr := x.val[r*d : (r+1)*d]
			dy := o.grad[r*d : (r+1)*d]
			// Normalised row x̂ and its scale rs = 1/√(var+ε) (LayerNorm,
			// centred) or 1/√(mean x²+ε) (RMSNorm).
			mu := 0.0
			if b != nil {
				for _, v := range xr {
					mu += v
				}
				mu /= float64(d)
			}
			ss := 0.0
			for _, v := range xr {
				ss += (v - mu) * (v - mu)
			}
			rs := 1 / math.Sqrt(ss/float64(d)+eps)
			for j, v := range xr {
				xh[j] = (v - mu) * rs
			}
			if g.need {
				gg := g.gradBuf()
				for j, v := range dy {
					gg[j] += v * xh[j]
				}
			}
			if b != nil && b.need {
				addTo(b.gradBuf(), dy)
			}
			if !x.need {
				continue
			}
			m1, m2 := 0.0, 0.0
			for j, v := range dy {
				dxh[j] = v * g.val[j]
				m1 += dxh[j]
				m2 += dxh[j] * xh[j]
			}
			m1 /= float64(d)
			m2 /= float64(d)
			if b == nil {
				m1 = 0 // RMSNorm does not centre
			}
			gx := x.gradBuf()[r*d : (r+1)*d]
			for j := range gx {
				gx[j] += rs * (dxh[j] - m1 - xh[j]*m2)
			}
		}
	})
}

// LayerNorm normalises rows and applies gamma, beta.
func (e *Engine) LayerNorm(a, gamma, beta mpc.Tensor, eps float64) mpc.Tensor {
	if beta == nil {
		e.Fail(fmt.Errorf("tape: LayerNorm needs a shift (beta); use RMSNorm for none"))
		return placeholder(shapeOf(a), mpc.Shared)
	}
	return e.norm(mpc.OpLayerNorm, a, gamma, beta, eps)
}

// RMSNorm divides rows by their root mean square and applies gamma.
func (e *Engine) RMSNorm(a, gamma mpc.Tensor, eps float64) mpc.Tensor {
	return e.norm(mpc.OpRMSNorm, a, gamma, nil, eps)
}
