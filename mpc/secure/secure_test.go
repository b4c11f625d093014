package secure

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func random(r *rand.Rand, scale float64, shape ...int) *mpc.Dense {
	d := mpc.Zeros(shape...)
	for i := range d.Data() {
		d.Data()[i] = scale * r.NormFloat64()
	}
	return d
}

// pair runs the same computation on the secure engine and on the plain
// fixed-point emulation (the functionality it realises) and compares the
// revealed results.
func pair(t *testing.T, name string, tol float64, f func(e mpc.Engine) mpc.Tensor) {
	t.Helper()
	s := MustNew()
	defer s.Close()
	p := plain.NewFixed()
	got, err := s.Value(s.Reveal(f(s), mpc.Client))
	if err != nil {
		t.Fatalf("%s: secure: %v", name, err)
	}
	want, err := p.Value(p.Reveal(f(p), mpc.Client))
	if err != nil {
		t.Fatalf("%s: plain: %v", name, err)
	}
	abs, _, err := mpc.Compare(got, want)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if abs > tol {
		t.Errorf("%s: secure differs from the fixed-point functionality by %g (tolerance %g)", name, abs, tol)
	}
}

// TestOperations runs every engine operation on shared operands, and on
// mixes of plaintext owners, against the emulation.
func TestOperations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := random(r, 2, 2, 4, 6)
	y := random(r, 2, 2, 4, 6)
	row := random(r, 1, 6)
	w := random(r, 0.3, 6, 5)
	pos := mpc.Zeros(2, 4, 6)
	for i, v := range x.Data() {
		pos.Data()[i] = math.Abs(v) + 0.1
	}
	g, b := random(r, 0.2, 6), random(r, 0.2, 6)
	for i := range g.Data() {
		g.Data()[i]++
	}
	sq := random(r, 2, 2, 6, 6)
	const ulp = 1.0 / 65536
	sx := func(e mpc.Engine) mpc.Tensor { return e.Share(e.Input(x, mpc.Client)) }
	sy := func(e mpc.Engine) mpc.Tensor { return e.Share(e.Input(y, mpc.Server)) }
	cases := []struct {
		name string
		tol  float64
		f    func(e mpc.Engine) mpc.Tensor
	}{
		{"add", 0, func(e mpc.Engine) mpc.Tensor { return e.Add(sx(e), sy(e)) }},
		{"sub public row", 0, func(e mpc.Engine) mpc.Tensor { return e.Sub(sx(e), e.Input(row, mpc.Public)) }},
		{"add client+server plaintexts", 0, func(e mpc.Engine) mpc.Tensor { return e.Add(e.Input(x, mpc.Client), e.Input(y, mpc.Server)) }},
		{"mul shared", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Mul(sx(e), sy(e)) }},
		{"mul by server row", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Mul(sx(e), e.Input(row, mpc.Server)) }},
		{"mul by public row", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Mul(sx(e), e.Input(row, mpc.Public)) }},
		{"client x server plaintext product", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Mul(e.Input(x, mpc.Client), e.Input(y, mpc.Server)) }},
		{"scale", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Scale(sx(e), 0.3) }},
		{"scale by 1/8", 2 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Scale(sx(e), 0.125) }},
		{"addconst, neg", 0, func(e mpc.Engine) mpc.Tensor { return e.Neg(e.AddConst(sx(e), 1.5)) }},
		{"matmul server weight", 4 * ulp, func(e mpc.Engine) mpc.Tensor { return e.MatMul(sx(e), e.Input(w, mpc.Server)) }},
		{"matmul client plaintext by server weight", 4 * ulp, func(e mpc.Engine) mpc.Tensor { return e.MatMul(e.Input(x, mpc.Client), e.Input(w, mpc.Server)) }},
		{"matmul public weight", 4 * ulp, func(e mpc.Engine) mpc.Tensor { return e.MatMul(sx(e), e.Input(w, mpc.Public)) }},
		{"batched shared matmul", 16 * ulp, func(e mpc.Engine) mpc.Tensor { return e.MatMul(sx(e), e.Transpose(sy(e))) }},
		{"sum", 0, func(e mpc.Engine) mpc.Tensor { return e.Sum(sx(e)) }},
		{"shape ops", 0, func(e mpc.Engine) mpc.Tensor {
			return e.RotateHalf(e.Rows(e.Transpose(e.SplitHeads(e.MergeHeads(sx(e)), 2)), 1, 3))
		}},
		{"relu", 0, func(e mpc.Engine) mpc.Tensor { return e.ReLU(sx(e)) }},
		{"gelu", 64 * ulp, func(e mpc.Engine) mpc.Tensor { return e.GeLU(sx(e), mpc.GeLUExact) }},
		{"gelu tanh", 64 * ulp, func(e mpc.Engine) mpc.Tensor { return e.GeLU(sx(e), mpc.GeLUTanh) }},
		{"gelu quad", 4 * ulp, func(e mpc.Engine) mpc.Tensor { return e.GeLU(sx(e), mpc.GeLUQuad) }},
		{"gelu relu", 0, func(e mpc.Engine) mpc.Tensor { return e.GeLU(sx(e), mpc.GeLUReLU) }},
		{"silu", 160 * ulp, func(e mpc.Engine) mpc.Tensor { return e.SiLU(sx(e), mpc.SiLUExact) }},
		{"silu quad", 4 * ulp, func(e mpc.Engine) mpc.Tensor { return e.SiLU(sx(e), mpc.SiLUQuad) }},
		{"tanh", 64 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Tanh(sx(e)) }},
		{"exp", 32 * ulp, func(e mpc.Engine) mpc.Tensor { return e.Exp(sx(e)) }},
		{"reciprocal", 1e-3, func(e mpc.Engine) mpc.Tensor { return e.Reciprocal(e.Share(e.Input(pos, mpc.Client))) }},
		{"rsqrt", 1e-3, func(e mpc.Engine) mpc.Tensor { return e.Rsqrt(e.Share(e.Input(pos, mpc.Client))) }},
		{"max", 0, func(e mpc.Engine) mpc.Tensor { return e.Max(sx(e)) }},
		{"softmax", 48 * ulp, func(e mpc.Engine) mpc.Tensor {
			return e.Softmax(e.Share(e.Input(sq, mpc.Client)), mpc.SoftmaxExact, false)
		}},
		{"causal 2quad", 48 * ulp, func(e mpc.Engine) mpc.Tensor {
			return e.Softmax(e.Share(e.Input(sq, mpc.Client)), mpc.Softmax2Quad, true)
		}},
		{"2relu", 48 * ulp, func(e mpc.Engine) mpc.Tensor {
			return e.Softmax(e.Share(e.Input(sq, mpc.Client)), mpc.Softmax2ReLU, false)
		}},
		{"layernorm, server params", 16 * ulp, func(e mpc.Engine) mpc.Tensor {
			return e.LayerNorm(sx(e), e.Input(g, mpc.Server), e.Input(b, mpc.Server), 1e-5)
		}},
		{"layernorm of a client plaintext", 16 * ulp, func(e mpc.Engine) mpc.Tensor {
			return e.LayerNorm(e.Input(x, mpc.Client), e.Input(g, mpc.Server), e.Input(b, mpc.Public), 1e-5)
		}},
		{"rmsnorm", 16 * ulp, func(e mpc.Engine) mpc.Tensor { return e.RMSNorm(sx(e), e.Input(g, mpc.Public), 1e-6) }},
	}
	for _, c := range cases {
		pair(t, c.name, c.tol, c.f)
	}
}

func TestErrorsAreClear(t *testing.T) {
	e := MustNew()
	defer e.Close()
	a := e.Share(e.Input(mpc.Zeros(2, 3), mpc.Client))
	e.MatMul(a, e.Input(mpc.Zeros(4, 5), mpc.Server))
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "inner dimensions differ") {
		t.Fatalf("shape mismatch: %v", err)
	}
	f := MustNew()
	defer f.Close()
	s := f.Share(f.Input(mpc.Zeros(3), mpc.Client))
	if _, err := f.Value(s); err == nil || !strings.Contains(err.Error(), "does not see a shared value") {
		t.Errorf("Value of a shared tensor: %v", err)
	}
	g := MustNew()
	defer g.Close()
	g.LayerNorm(g.Share(g.Input(mpc.Zeros(2, 3), mpc.Client)), g.Input(mpc.Vector(1, 1, 1), mpc.Client), g.Input(mpc.Zeros(3), mpc.Public), 1e-5)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "norm parameter is not supported") {
		t.Errorf("a client-owned norm scale: %v", err)
	}
}
