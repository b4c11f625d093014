package proto

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
)

// reals returns n values with the given spread, plus edge values.
func reals(r *rand.Rand, n int, spread float64, edges ...float64) []float64 {
	v := append([]float64(nil), edges...)
	for len(v) < n {
		v = append(v, r.NormFloat64()*spread)
	}
	return v[:n]
}

func enc(f *fxp.Funcs, xs []float64) []uint64 {
	v := make([]uint64, len(xs))
	for i, x := range xs {
		v[i] = f.Encode(x)
	}
	return v
}

// ulpsOff fails the test when a secure result differs from the fxp
// functionality by more than tol units at the given scale (stochastic
// truncation and table-index carries may move results by a few units).
func ulpsOff(t *testing.T, what string, f *fxp.Funcs, got, want []uint64, tol float64, scale int) {
	t.Helper()
	worst := 0.0
	wi := 0
	for i := range want {
		d := math.Abs(float64(int64(got[i] - want[i])))
		if d > worst {
			worst, wi = d, i
		}
	}
	if worst > tol {
		t.Fatalf("%s: element %d is %g units (2^-%d) from the functionality (got %g, want %g); tolerance %g",
			what, wi, worst, scale, math.Ldexp(float64(int64(got[wi])), -scale), math.Ldexp(float64(int64(want[wi])), -scale), tol)
	}
}

func TestActivations(t *testing.T) {
	f := defaultFuncs(t)
	r := rand.New(rand.NewPCG(10, 10))
	xs := reals(r, 4000, 3, 0, 1e-4, -1e-4, 3.96, -3.96, 3.97, -3.97, 4, -4, 20, -20, 100, -100, 15.9, -15.9, 16.1)
	x := enc(f, xs)
	cases := []struct {
		name   string
		run    func(s *Session, sx *Shared) *Shared
		want   func(v uint64) uint64
		rounds int64
		tol    float64
	}{
		{"relu", func(s *Session, sx *Shared) *Shared { return s.ReLU(sx) }, f.ReLU, 2, 0},
		{"gelu", func(s *Session, sx *Shared) *Shared { return s.Segments(sx, f.GeLUTable(mpc.GeLUExact)) },
			func(v uint64) uint64 { return f.GeLU(v, mpc.GeLUExact) }, 4, 64},
		{"gelu tanh", func(s *Session, sx *Shared) *Shared { return s.Segments(sx, f.GeLUTable(mpc.GeLUTanh)) },
			func(v uint64) uint64 { return f.GeLU(v, mpc.GeLUTanh) }, 4, 64},
		{"silu", func(s *Session, sx *Shared) *Shared { return s.Segments(sx, f.SiLUTable()) },
			func(v uint64) uint64 { return f.SiLU(v, mpc.SiLUExact) }, 4, 64},
		{"tanh", func(s *Session, sx *Shared) *Shared { return s.Segments(sx, f.TanhTable()) }, f.Tanh, 4, 64},
		{"quad", func(s *Session, sx *Shared) *Shared { return s.Quad(sx) }, f.Quad, 2, 2},
	}
	for _, c := range cases {
		ss := newSessions(t, f, c.name)
		var got collector
		ss.run(t, func(s *Session) { got.add(s, c.run(s, input(s, x, 16, 31))) })
		want := make([]uint64, len(x))
		for i, v := range x {
			want[i] = c.want(v)
		}
		// Table activations: the bucket index may be one unit high, which
		// moves to the neighbouring line; both lines serve the bucket
		// (fxp.Segments), so the two differ by at most h²·max|f''|/2.
		ulpsOff(t, c.name, f, got.value(), want, c.tol, 16)
		if ss.rounds() != c.rounds {
			t.Errorf("%s: %d rounds, want %d", c.name, ss.rounds(), c.rounds)
		}
	}
}

func TestNegExp(t *testing.T) {
	f := defaultFuncs(t)
	r := rand.New(rand.NewPCG(11, 11))
	zs := reals(r, 3000, 5, 0, 1e-6, 15.99, 16, 16.01, 30, 1000)
	for i := range zs {
		zs[i] = math.Abs(zs[i])
	}
	for _, scale := range []int{16, 35} { // at f, and untruncated after a product and a 1/8 scale
		z := make([]uint64, len(zs))
		for i, v := range zs {
			z[i] = uint64(int64(math.Round(math.Ldexp(v, scale))))
		}
		ss := newSessions(t, f, "exp")
		var got collector
		ss.run(t, func(s *Session) { got.add(s, s.NegExp(input(s, z, scale, 41))) })
		want := make([]uint64, len(z))
		for i, v := range zs {
			want[i] = f.NegExp(f.Encode(v))
		}
		ulpsOff(t, "exp", f, got.value(), want, 24, 16)
		if ss.rounds() != 5 {
			t.Errorf("exp: %d rounds, want 5", ss.rounds())
		}
	}
}

func TestReciprocalAndRsqrt(t *testing.T) {
	f := defaultFuncs(t)
	r := rand.New(rand.NewPCG(12, 12))
	// Reciprocal inputs up to 2^19 (CmpBits); rsqrt inputs are variances,
	// whose documented domain ends near 2^13-2^16 (x·y must stay below 2^62).
	xs := reals(r, 500, 1, 1e-4, 0.5, 1, 2, 3, 128, 129, 1000, 8000, 60000)
	for i := range xs {
		xs[i] = math.Abs(xs[i]) + 1e-4
	}
	x := enc(f, xs)
	hs := f.HiScale()
	ss := newSessions(t, f, "recip")
	var rec, rs collector
	x2 := make([]uint64, len(x))
	for i, v := range x {
		x2[i] = v << 16 // at scale 2f for rsqrt
	}
	ss.run(t, func(s *Session) {
		rec.add(s, s.ReciprocalHi(input(s, x, 16, 43)))
		rs.add(s, s.RsqrtHi(input(s, x2, 32, 47)))
	})
	for i, v := range x {
		for _, c := range []struct {
			name string
			got  uint64
			want uint64
		}{{"reciprocal", rec.value()[i], f.ReciprocalHi(v)}, {"rsqrt", rs.value()[i], f.RsqrtHi(x2[i])}} {
			g, w := math.Ldexp(float64(int64(c.got)), -hs), math.Ldexp(float64(int64(c.want)), -hs)
			if math.Abs(g-w) > 2e-4*math.Abs(w)+8*math.Ldexp(1, -hs) { // a mantissa one unit high, squared by Newton
				t.Fatalf("%s(%g) = %g, functionality %g", c.name, xs[i], g, w)
			}
		}
	}
	// Reciprocal 7 and rsqrt 9 rounds, run one after the other.
	if ss.rounds() != 16 {
		t.Errorf("%d rounds, want 16", ss.rounds())
	}
}

func TestRowMaxAndSoftmax(t *testing.T) {
	f := defaultFuncs(t)
	r := rand.New(rand.NewPCG(13, 13))
	const rows, cols = 12, 13 // odd to exercise pass-throughs
	xs := reals(r, rows*cols, 4)
	xs[5] = xs[6] // ties
	x := enc(f, xs)
	groups := rowGroups(rows, cols)
	ss := newSessions(t, f, "max")
	var got collector
	ss.run(t, func(s *Session) { got.add(s, s.RowMax(input(s, x, 16, 51), groups)) })
	for g := range groups {
		if want := f.Max(x[g*cols : (g+1)*cols]); got.value()[g] != want {
			t.Fatalf("row %d: max %g, want %g", g, f.Decode(got.value()[g]), f.Decode(want))
		}
	}
	if ss.rounds() != 2*4 {
		t.Errorf("max of 13: %d rounds, want 8", ss.rounds())
	}

	const n = 8 // square blocks for the causal mask
	sq := enc(f, reals(r, 2*n*n, 3))
	for _, kind := range []mpc.SoftmaxKind{mpc.SoftmaxExact, mpc.Softmax2Quad, mpc.Softmax2ReLU} {
		for _, causal := range []bool{false, true} {
			ss := newSessions(t, f, "softmax")
			var p collector
			ss.run(t, func(s *Session) { p.add(s, s.Softmax(input(s, sq, 16, 53), 2*n, n, kind, causal, n)) })
			want := make([]uint64, len(sq))
			for row := 0; row < 2*n; row++ {
				valid := n
				if causal {
					valid = row%n + 1
				}
				f.Softmax(want[row*n:(row+1)*n], sq[row*n:(row+1)*n], kind, valid)
			}
			ulpsOff(t, "softmax "+kind.String(), f, p.value(), want, 48, 16)
		}
	}
}

func TestNorms(t *testing.T) {
	f := defaultFuncs(t)
	r := rand.New(rand.NewPCG(14, 14))
	const rows, d = 6, 48
	x := enc(f, reals(r, rows*d, 2))
	g := enc(f, reals(r, d, 0.3, 1, 1, 1))
	for i := range g {
		g[i] += f.One()
	}
	b := enc(f, reals(r, d, 0.2))
	for _, private := range []bool{false, true} {
		ss := newSessions(t, f, "norm")
		var ln, rms collector
		ss.run(t, func(s *Session) {
			gp := &Param{Public: !private, Scale: 16}
			bp := &Param{Public: !private, Scale: 16}
			if !private || s.Role == Server {
				gp.Values, bp.Values = g, b
			}
			ln.add(s, s.LayerNorm(input(s, x, 16, 57), rows, d, gp, bp, 1e-5))
			rms.add(s, s.RMSNorm(input(s, x, 16, 59), rows, d, gp, 1e-6))
		})
		wantLN := make([]uint64, len(x))
		wantRMS := make([]uint64, len(x))
		for row := 0; row < rows; row++ {
			f.LayerNorm(wantLN[row*d:(row+1)*d], x[row*d:(row+1)*d], g, b, 1e-5)
			f.RMSNorm(wantRMS[row*d:(row+1)*d], x[row*d:(row+1)*d], g, 1e-6)
		}
		// The secure norms return at scale 2f (untruncated); compare at f.
		trunc := func(v []uint64) []uint64 {
			out := make([]uint64, len(v))
			for i, x := range v {
				out[i] = f.Trunc(x, 16)
			}
			return out
		}
		ulpsOff(t, "layernorm", f, trunc(ln.value()), wantLN, 8, 16)
		ulpsOff(t, "rmsnorm", f, trunc(rms.value()), wantRMS, 8, 16)
	}
}
