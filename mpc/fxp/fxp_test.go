package fxp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
)

func funcs(t testing.TB) *Funcs {
	t.Helper()
	f, err := New(Default())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEncodeDecode(t *testing.T) {
	f := funcs(t)
	ulp := math.Ldexp(1, -f.Params().FracBits)
	for _, x := range []float64{0, 1, -1, 0.5, -3.25, 1234.5678, -1e6, 1e-5} {
		if got := f.Decode(f.Encode(x)); math.Abs(got-x) > ulp/2 {
			t.Errorf("Decode(Encode(%g)) = %g", x, got)
		}
	}
	if f.Encode(math.NaN()) != 0 {
		t.Errorf("NaN should encode as 0")
	}
	// A narrow ring wraps: 2^(k−f−1) is out of range and becomes negative.
	p := Default()
	p.RingBits, p.CmpBits, p.FracBits, p.ExpFrac = 40, 32, 8, 8
	n := MustNew(p)
	if got := n.Decode(n.Encode(1 << 31)); got != -(1 << 31) {
		t.Errorf("40-bit ring: 2^31 decodes to %g, want the wrapped -2^31", got)
	}
}

func TestTruncRoundsAndFloorFloors(t *testing.T) {
	f := funcs(t)
	for _, x := range []int64{7, -7, 6, -6, 4096, -4097, 0, 2, -2} {
		got := f.Signed(f.Trunc(uint64(x)&f.mask, 2))
		if want := int64(math.Floor(float64(x)/4 + 0.5)); got != want {
			t.Errorf("Trunc(%d, 2) = %d, want %d (nearest, ties up)", x, got, want)
		}
		got = f.Signed(f.Floor(uint64(x)&f.mask, 2))
		if want := int64(math.Floor(float64(x) / 4)); got != want {
			t.Errorf("Floor(%d, 2) = %d, want %d", x, got, want)
		}
	}
}

func TestMulAndScale(t *testing.T) {
	f := funcs(t)
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		a, b := r.NormFloat64()*30, r.NormFloat64()*30
		got := f.Decode(f.Mul(f.Encode(a), f.Encode(b)))
		if math.Abs(got-a*b) > 0.02 {
			t.Fatalf("Mul(%g, %g) = %g, want %g", a, b, got, a*b)
		}
	}
	// Scaling by 1/768 keeps precision (a plain encoding of 1/768 at f = 12
	// would be 5/4096, 6% off).
	p := Default()
	p.FracBits, p.CmpBits = 12, 32
	g := MustNew(p)
	x := 300.0
	if got := g.Decode(g.Scale(g.Encode(x), 1.0/768)); math.Abs(got-x/768) > 1.0/4096 {
		t.Errorf("Scale(300, 1/768) = %g, want %g", got, x/768)
	}
	if C, s := g.ScaleConst(0.125); C != 1<<16 || s != 19 {
		t.Errorf("ScaleConst(1/8) = %d, %d; a power of two should be a plain shift", C, s)
	}
	if got := f.Decode(f.Scale(f.Encode(-2.5), 3)); got != -7.5 {
		t.Errorf("Scale(-2.5, 3) = %g", got)
	}
}

// maxErr evaluates a fixed-point function against its float64 definition
// on a grid and returns the largest absolute error.
func maxErr(f *Funcs, lo, hi float64, fx func(uint64) uint64, ref func(float64) float64) (float64, float64) {
	worst, at := 0.0, 0.0
	for x := lo; x <= hi; x += (hi - lo) / 20000 {
		got := f.Decode(fx(f.Encode(x)))
		if e := math.Abs(got - ref(x)); e > worst {
			worst, at = e, x
		}
	}
	return worst, at
}

func TestActivationAccuracy(t *testing.T) {
	f := funcs(t)
	cases := []struct {
		name   string
		lo, hi float64
		fx     func(uint64) uint64
		ref    func(float64) float64
		tol    float64
	}{
		// Chords over 1/64 buckets: |Δ| ≤ h²/8·max|f''| ≈ 1e-5, plus rounding.
		{"gelu exact", -12, 12, func(x uint64) uint64 { return f.GeLU(x, mpc.GeLUExact) }, func(x float64) float64 { return fn.GeLU(x, mpc.GeLUExact) }, 5e-4},
		{"gelu tanh", -12, 12, func(x uint64) uint64 { return f.GeLU(x, mpc.GeLUTanh) }, func(x float64) float64 { return fn.GeLU(x, mpc.GeLUTanh) }, 5e-4},
		{"gelu quad", -20, 20, func(x uint64) uint64 { return f.GeLU(x, mpc.GeLUQuad) }, fn.Quad, 0.001},
		{"gelu relu", -20, 20, func(x uint64) uint64 { return f.GeLU(x, mpc.GeLUReLU) }, fn.ReLU, 1.0 / 8192},
		{"silu exact", -30, 30, func(x uint64) uint64 { return f.SiLU(x, mpc.SiLUExact) }, func(x float64) float64 { return fn.SiLU(x, mpc.SiLUExact) }, 5e-4},
		{"tanh", -10, 10, f.Tanh, math.Tanh, 5e-4},
		{"exp", -30, 0, f.Exp, math.Exp, 0.001},
	}
	for _, c := range cases {
		got, at := maxErr(f, c.lo, c.hi, c.fx, c.ref)
		if got > c.tol {
			t.Errorf("%s: max error %g at x = %g, tolerance %g", c.name, got, at, c.tol)
		}
	}
	if got := f.Decode(f.Exp(f.Encode(5))); got != 1 {
		t.Errorf("Exp of a positive input = %g, want 1 (clipped to e^0)", got)
	}
}

func TestReciprocalAndRsqrt(t *testing.T) {
	f := funcs(t)
	fb, hi := f.Params().FracBits, f.HiScale()
	ulp := math.Ldexp(1, -fb)
	for _, x0 := range []float64{0.01, 0.3, 1, 1.5, 2, 7.7, 128, 1000, 30000, 200000} {
		// Compare with the function of the encoded input; at scale f the
		// result is within one ulp, at the high scale within 2e-5 relative
		// (one Newton step squares the table's 2^-8 midpoint error) or 2
		// units.
		x := f.Decode(f.Encode(x0))
		got := f.Decode(f.Reciprocal(f.Encode(x)))
		if math.Abs(got-1/x) > ulp+2e-5/x {
			t.Errorf("Reciprocal(%g) = %g, want %g", x, got, 1/x)
		}
		h := math.Ldexp(float64(f.Signed(f.ReciprocalHi(f.Encode(x)))), -hi)
		if rel := math.Abs(h*x - 1); rel > 2e-5 && math.Abs(h-1/x) > 2*math.Ldexp(1, -hi) {
			t.Errorf("ReciprocalHi(%g) = %g, want %g", x, h, 1/x)
		}
		want := 1 / math.Sqrt(x)
		got = f.Decode(f.Rsqrt(f.Encode(x)))
		if math.Abs(got-want) > ulp+2e-5*want {
			t.Errorf("Rsqrt(%g) = %g, want %g", x, got, want)
		}
		h = math.Ldexp(float64(f.Signed(f.RsqrtHi(f.Encode(x)<<uint(fb)))), -hi)
		if rel := math.Abs(h/want - 1); rel > 2e-5 && math.Abs(h-want) > 2*math.Ldexp(1, -hi) {
			t.Errorf("RsqrtHi(%g) = %g, want %g", x, h, want)
		}
	}
	// Without Newton steps the table alone is within half a mantissa bucket.
	p := Default()
	p.NewtonIters = 0
	g := MustNew(p)
	for x := 0.5; x < 500; x *= 1.37 {
		got := math.Ldexp(float64(g.Signed(g.ReciprocalHi(g.Encode(x)))), -g.HiScale())
		if rel := math.Abs(got*x - 1); rel > 1.0/256+1e-3 {
			t.Errorf("table-only Reciprocal(%g) = %g (rel err %g)", x, got, rel)
		}
	}
}

func TestNormalize(t *testing.T) {
	f := funcs(t)
	for _, x := range []uint64{1, 2, 3, 255, 256, 257, 1 << 20, 1<<30 + 12345} {
		k, m := f.Normalize(x, 36)
		if want := 63 - leadingZeros(x); k != want {
			t.Errorf("Normalize(%d) exponent %d, want %d", x, k, want)
		}
		if m >= 1<<7 {
			t.Errorf("Normalize(%d) mantissa %d out of range", x, m)
		}
	}
}

func leadingZeros(x uint64) int {
	n := 0
	for i := 63; i >= 0 && x>>uint(i)&1 == 0; i-- {
		n++
	}
	return n
}

func TestMaxTree(t *testing.T) {
	f := funcs(t)
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n < 40; n++ {
		row := make([]uint64, n)
		want := math.Inf(-1)
		for i := range row {
			x := r.NormFloat64() * 100
			row[i] = f.Encode(x)
			want = math.Max(want, f.Decode(row[i]))
		}
		if got := f.Decode(f.Max(row)); got != want {
			t.Fatalf("n=%d: Max = %g, want %g", n, got, want)
		}
	}
}

func TestSoftmaxKinds(t *testing.T) {
	f := funcs(t)
	r := rand.New(rand.NewPCG(7, 8))
	row := make([]float64, 64)
	for i := range row {
		row[i] = r.NormFloat64() * 3
	}
	enc := make([]uint64, len(row))
	for i, x := range row {
		enc[i] = f.Encode(x)
	}
	for _, kind := range []mpc.SoftmaxKind{mpc.SoftmaxExact, mpc.Softmax2Quad, mpc.Softmax2ReLU} {
		for _, valid := range []int{1, 17, 64} {
			want := make([]float64, len(row))
			fn.Softmax(want, row, kind, valid)
			got := make([]uint64, len(row))
			f.Softmax(got, enc, kind, valid)
			for j := range got {
				if e := math.Abs(f.Decode(got[j]) - want[j]); e > 2e-3 {
					t.Fatalf("%v valid=%d: p[%d] = %g, want %g", kind, valid, j, f.Decode(got[j]), want[j])
				}
			}
		}
	}
}

func TestNorms(t *testing.T) {
	f := funcs(t)
	r := rand.New(rand.NewPCG(9, 10))
	d := 768
	x, g, b := make([]float64, d), make([]float64, d), make([]float64, d)
	ex, eg, eb := make([]uint64, d), make([]uint64, d), make([]uint64, d)
	for i := range x {
		x[i] = r.NormFloat64()*4 + 1
		g[i] = 1 + r.NormFloat64()*0.1
		b[i] = r.NormFloat64() * 0.1
		ex[i], eg[i], eb[i] = f.Encode(x[i]), f.Encode(g[i]), f.Encode(b[i])
	}
	want := make([]float64, d)
	got := make([]uint64, d)
	fn.LayerNorm(want, x, g, b, 1e-12)
	f.LayerNorm(got, ex, eg, eb, 1e-12)
	for i := range want {
		if e := math.Abs(f.Decode(got[i]) - want[i]); e > 3e-3 {
			t.Fatalf("LayerNorm[%d] = %g, want %g", i, f.Decode(got[i]), want[i])
		}
	}
	fn.RMSNorm(want, x, g, 1e-6)
	f.RMSNorm(got, ex, eg, 1e-6)
	for i := range want {
		if e := math.Abs(f.Decode(got[i]) - want[i]); e > 3e-3 {
			t.Fatalf("RMSNorm[%d] = %g, want %g", i, f.Decode(got[i]), want[i])
		}
	}
	// Small activations (std 0.02, as in freshly initialised embeddings)
	// keep their variance: the second moment is formed at scale 2f. This
	// runs at f = 12, where a scale-f variance would be 1.6 ulps.
	p := Default()
	p.FracBits, p.CmpBits = 12, 32
	f = MustNew(p)
	eg = make([]uint64, d)
	for i := range g {
		eg[i] = f.Encode(g[i])
	}
	for i := range x {
		x[i] = r.NormFloat64() * 0.02
		ex[i] = f.Encode(x[i])
		x[i] = f.Decode(ex[i])
	}
	fn.RMSNorm(want, x, g, 1e-6)
	f.RMSNorm(got, ex, eg, 1e-6)
	for i := range want {
		if e := math.Abs(f.Decode(got[i]) - want[i]); e > 3e-3 {
			t.Fatalf("RMSNorm of small activations [%d] = %g, want %g", i, f.Decode(got[i]), want[i])
		}
	}

	// A zero row has zero mean and variance: the output is exactly β.
	for i := range ex {
		ex[i] = 0
	}
	f.LayerNorm(got, ex, eg, eb, 1e-12)
	for i := range got {
		if got[i] != eb[i] {
			t.Fatalf("constant row: LayerNorm[%d] = %g, want β = %g", i, f.Decode(got[i]), f.Decode(eb[i]))
		}
	}
}

func TestComparisonRange(t *testing.T) {
	// Beyond 2^(CmpBits−1) ulps the sign is read wrongly, as a secure engine
	// with narrowed comparisons would read it: the emulation shows it.
	f := funcs(t)
	big := f.Encode(math.Ldexp(1, 35-16) + 1) // 2^35 ulps + 1: reads negative at 36 bits
	if f.ReLU(big) != 0 {
		t.Errorf("ReLU beyond the comparison range should read the value as negative")
	}
	if f.ReLU(f.Encode(1000)) != f.Encode(1000) {
		t.Errorf("ReLU(1000) changed the value")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Params)
		want string
	}{
		{func(p *Params) { p.RingBits = 80 }, "RingBits"},
		{func(p *Params) { p.FracBits = 17 }, "FracBits"},
		{func(p *Params) { p.CmpBits = 10 }, "CmpBits"},
		{func(p *Params) { p.ActFrac = 17 }, "ActFrac"},
		{func(p *Params) { p.ExpFrac = 17 }, "ExpFrac"},
		{func(p *Params) { p.GeLUBits = 40 }, "GeLUBits"},
		{func(p *Params) { p.NewtonIters = -1 }, "NewtonIters"},
	} {
		p := Default()
		c.mod(&p)
		_, err := New(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error naming %s, got %v", c.want, err)
		}
	}
}
