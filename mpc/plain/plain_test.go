package plain

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
	"github.com/marill-go/marill/mpc/fxp"
)

func denseOf(t *testing.T, shape mpc.Shape, data []float64) *mpc.Dense {
	t.Helper()
	d, err := mpc.NewDense(shape, data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func random(r *rand.Rand, shape mpc.Shape, scale float64) *mpc.Dense {
	d := mpc.Zeros(shape...)
	for i := range d.Data() {
		d.Data()[i] = scale * r.NormFloat64()
	}
	return d
}

// value reveals x to the client and returns it.
func value(t *testing.T, e *Engine, x mpc.Tensor) []float64 {
	t.Helper()
	v, err := e.Value(e.Reveal(x, mpc.Client))
	if err != nil {
		t.Fatal(err)
	}
	return v.Data()
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s[%d] = %g, want %g (tolerance %g)", what, i, got[i], want[i], tol)
		}
	}
}

// TestOps checks every operation of both modes on shared operands against
// a direct float64 computation: exactly in float64 mode, within the
// fixed-point tolerance in fixed-point mode.
func TestOps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := random(r, mpc.Shape{2, 3, 4}, 2) // [heads, rows, cols]
	y := random(r, mpc.Shape{2, 3, 4}, 2)
	row := random(r, mpc.Shape{4}, 1)
	w := random(r, mpc.Shape{4, 5}, 0.5)
	pos := denseOf(t, mpc.Shape{2, 3, 4}, nil)
	for i := range pos.Data() {
		pos.Data()[i] = 0.1 + math.Abs(x.Data()[i])*10
	}
	xd, yd, wd := x.Data(), y.Data(), w.Data()

	elementwise := func(f func(a float64) float64) []float64 {
		out := make([]float64, len(xd))
		for i, v := range xd {
			out[i] = f(v)
		}
		return out
	}
	matmul := make([]float64, 2*3*5)
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			for j := 0; j < 5; j++ {
				for k := 0; k < 4; k++ {
					matmul[(b*3+i)*5+j] += xd[(b*3+i)*4+k] * wd[k*5+j]
				}
			}
		}
	}
	rowwise := func(f func(dst, row []float64, r int)) []float64 {
		out := make([]float64, len(xd))
		for r := 0; r < 6; r++ {
			f(out[r*4:(r+1)*4], xd[r*4:(r+1)*4], r)
		}
		return out
	}

	for _, fixed := range []bool{false, true} {
		var e *Engine
		tol := 0.0
		if fixed {
			e = NewFixed()
			tol = 2e-3
		} else {
			e = New()
			tol = 1e-12
		}
		sx, sy := e.Share(e.Input(x, mpc.Client)), e.Share(e.Input(y, mpc.Server))
		mode := e.Name() + " "
		near(t, mode+"add", value(t, e, e.Add(sx, sy)), func() []float64 {
			o := make([]float64, len(xd))
			for i := range o {
				o[i] = xd[i] + yd[i]
			}
			return o
		}(), tol)
		near(t, mode+"sub with a broadcast row", value(t, e, e.Sub(sx, e.Input(row, mpc.Public))), func() []float64 {
			o := make([]float64, len(xd))
			for i := range o {
				o[i] = xd[i] - row.Data()[i%4]
			}
			return o
		}(), tol)
		near(t, mode+"mul", value(t, e, e.Mul(sx, sy)), func() []float64 {
			o := make([]float64, len(xd))
			for i := range o {
				o[i] = xd[i] * yd[i]
			}
			return o
		}(), 4*tol)
		near(t, mode+"neg", value(t, e, e.Neg(sx)), elementwise(func(v float64) float64 { return -v }), tol)
		near(t, mode+"scale", value(t, e, e.Scale(sx, 1/math.Sqrt(7))), elementwise(func(v float64) float64 { return v / math.Sqrt(7) }), tol)
		near(t, mode+"addconst", value(t, e, e.AddConst(sx, 0.75)), elementwise(func(v float64) float64 { return v + 0.75 }), tol)
		near(t, mode+"matmul by a server weight", value(t, e, e.MatMul(sx, e.Input(w, mpc.Server))), matmul, 4*tol)
		near(t, mode+"relu", value(t, e, e.ReLU(sx)), elementwise(fn.ReLU), tol)
		for _, k := range []mpc.GeLUKind{mpc.GeLUExact, mpc.GeLUTanh, mpc.GeLUQuad, mpc.GeLUReLU} {
			near(t, mode+"gelu "+k.String(), value(t, e, e.GeLU(sx, k)), elementwise(func(v float64) float64 { return fn.GeLU(v, k) }), tol)
		}
		for _, k := range []mpc.SiLUKind{mpc.SiLUExact, mpc.SiLUQuad, mpc.SiLUReLU} {
			near(t, mode+"silu "+k.String(), value(t, e, e.SiLU(sx, k)), elementwise(func(v float64) float64 { return fn.SiLU(v, k) }), tol)
		}
		near(t, mode+"tanh", value(t, e, e.Tanh(sx)), elementwise(math.Tanh), tol)
		near(t, mode+"exp of −|x|", value(t, e, e.Exp(e.Neg(e.Mul(sx, sx)))), elementwise(func(v float64) float64 { return math.Exp(-v * v) }), tol)
		sp := e.Share(e.Input(pos, mpc.Client))
		near(t, mode+"reciprocal", value(t, e, e.Reciprocal(sp)), func() []float64 {
			o := make([]float64, len(xd))
			for i, v := range pos.Data() {
				o[i] = 1 / v
			}
			return o
		}(), 2*tol)
		near(t, mode+"rsqrt", value(t, e, e.Rsqrt(sp)), func() []float64 {
			o := make([]float64, len(xd))
			for i, v := range pos.Data() {
				o[i] = 1 / math.Sqrt(v)
			}
			return o
		}(), 2*tol)
		maxes := make([]float64, 6)
		for r := range maxes {
			maxes[r] = math.Inf(-1)
			for _, v := range xd[r*4 : (r+1)*4] {
				maxes[r] = math.Max(maxes[r], v)
			}
		}
		near(t, mode+"max", value(t, e, e.Max(sx)), maxes, tol)
		sums := make([]float64, 6)
		for r := range sums {
			for _, v := range xd[r*4 : (r+1)*4] {
				sums[r] += v
			}
		}
		near(t, mode+"sum", value(t, e, e.Sum(sx)), sums, tol)
		sq := e.Share(e.Input(denseOf(t, mpc.Shape{2, 4, 4}, append(append([]float64(nil), xd...), yd[:8]...)), mpc.Client))
		for _, k := range []mpc.SoftmaxKind{mpc.SoftmaxExact, mpc.Softmax2Quad, mpc.Softmax2ReLU} {
			for _, causal := range []bool{false, true} {
				in := append(append([]float64(nil), xd...), yd[:8]...)
				want := make([]float64, 32)
				for r := 0; r < 8; r++ {
					valid := 4
					if causal {
						valid = r%4 + 1
					}
					fn.Softmax(want[r*4:(r+1)*4], in[r*4:(r+1)*4], k, valid)
				}
				near(t, mode+"softmax "+k.String(), value(t, e, e.Softmax(sq, k, causal)), want, 2*tol)
			}
		}
		g, b := random(r, mpc.Shape{4}, 1), random(r, mpc.Shape{4}, 1)
		near(t, mode+"layernorm", value(t, e, e.LayerNorm(sx, e.Input(g, mpc.Server), e.Input(b, mpc.Server), 1e-5)),
			rowwise(func(dst, row []float64, _ int) { fn.LayerNorm(dst, row, g.Data(), b.Data(), 1e-5) }), 5*tol)
		near(t, mode+"rmsnorm", value(t, e, e.RMSNorm(sx, e.Input(g, mpc.Public), 1e-6)),
			rowwise(func(dst, row []float64, _ int) { fn.RMSNorm(dst, row, g.Data(), 1e-6) }), 5*tol)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestShapeOps(t *testing.T) {
	e := NewFixed() // shape ops must move ring elements too
	m := denseOf(t, mpc.Shape{2, 6}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	x := e.Share(e.Input(m, mpc.Client))
	heads := e.SplitHeads(x, 3) // [3, 2, 2]
	near(t, "split heads", value(t, e, heads), []float64{0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}, 0)
	near(t, "merge heads", value(t, e, e.MergeHeads(heads)), m.Data(), 0)
	near(t, "transpose", value(t, e, e.Transpose(x)), []float64{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}, 0)
	near(t, "rows", value(t, e, e.Rows(x, 1, 2)), []float64{6, 7, 8, 9, 10, 11}, 0)
	near(t, "rotate half", value(t, e, e.RotateHalf(x)), []float64{-3, -4, -5, 0, 1, 2, -9, -10, -11, 6, 7, 8}, 0)
	if e.Err() != nil {
		t.Fatal(e.Err())
	}
}

func TestPlacementInReport(t *testing.T) {
	e := New()
	w := e.Input(mpc.Zeros(3, 3), mpc.Server)
	x := e.Input(mpc.Zeros(2, 3), mpc.Client)
	pub := e.Input(mpc.Zeros(3, 3), mpc.Public)
	end := e.Scope("layer")
	a := e.MatMul(x, pub) // client plaintext
	b := e.MatMul(a, w)   // client × server: MPC
	c := e.MatMul(b, pub) // shared × public: local
	e.Softmax(c, mpc.SoftmaxExact, false)
	end()
	want := map[string]mpc.Placement{}
	for _, r := range e.Report().Rows {
		if r.Scope == "layer" {
			want[r.Op+"/"+r.Place.String()] = r.Place
		}
	}
	for _, k := range []string{"matmul/client", "matmul/mpc", "matmul/local", "softmax/mpc"} {
		if _, ok := want[k]; !ok {
			t.Errorf("report lacks %s: %v", k, want)
		}
	}
	if e.Report().TimeKind != mpc.Measured {
		t.Errorf("plain times are measured")
	}
}

func TestErrorsAreStickyAndNamed(t *testing.T) {
	e := New()
	a := e.Input(mpc.Zeros(2, 3), mpc.Client)
	b := e.Input(mpc.Zeros(4, 5), mpc.Server)
	c := e.MatMul(a, b)
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "inner dimensions differ: [2×3] · [4×5]") {
		t.Fatalf("shape mismatch: %v", err)
	}
	// Later operations do nothing and keep the first error.
	d := e.Softmax(e.Add(c, a), mpc.SoftmaxExact, false)
	if d.Shape() == nil || !strings.Contains(e.Err().Error(), "inner dimensions") {
		t.Errorf("the first error must stick: %v", e.Err())
	}
	if _, err := e.Value(d); err == nil {
		t.Errorf("Value after a failure must return the error")
	}

	other := New()
	f := New()
	f.Add(f.Input(mpc.Zeros(1), mpc.Public), other.Input(mpc.Zeros(1), mpc.Public))
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "does not belong to this engine") {
		t.Errorf("foreign tensor: %v", err)
	}
	g := New()
	g.GeLU(g.Input(mpc.Zeros(1), mpc.Public), mpc.GeLUUnset)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "GeLU kind unset") {
		t.Errorf("unset kind: %v", err)
	}
	h := New()
	h.Input(mpc.Vector(1, math.NaN()), mpc.Client)
	if err := h.Err(); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("NaN input: %v", err)
	}
	v := New()
	s := v.Share(v.Input(mpc.Vector(1), mpc.Client))
	if _, err := v.Value(s); err == nil || !strings.Contains(err.Error(), "reveal it first") {
		t.Errorf("Value of a shared tensor: %v", err)
	}
	if _, err := NewWith(Options{FixedPoint: true, Numerics: badParams()}); err == nil || !strings.Contains(err.Error(), "mpc/plain: fxp: Params.FracBits") {
		t.Errorf("bad numerics: %v", err)
	}
}

func badParams() fxp.Params {
	p := fxp.Default()
	p.FracBits = 40
	return p
}
