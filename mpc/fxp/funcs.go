package fxp

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
	"github.com/marill-go/marill/mpc/ring"
)

// Funcs evaluates the fixed-point functionalities for one Params. Values
// are ring elements: uint64 holding a canonical element of Z_2^k (the low
// k bits, the rest zero). Build one with New; it precomputes the tables and
// is safe for concurrent use.
type Funcs struct {
	p       Params
	mask    uint64
	cmpMask uint64
	one     uint64

	gelu  map[mpc.GeLUKind]segments
	silu  segments
	tanh  segments
	exp   [][]uint64
	recip []uint64
	rsqrt []uint64
}

// New validates p and builds its tables.
func New(p Params) (*Funcs, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	f := &Funcs{
		p:       p,
		mask:    ring.Mask(p.RingBits),
		cmpMask: ring.Mask(p.CmpBits),
	}
	f.one = f.Encode(1)
	f.gelu = map[mpc.GeLUKind]segments{
		mpc.GeLUExact: f.segments(p.GeLUBits, p.ActFrac, func(u float64) float64 { return fn.GeLU(u, mpc.GeLUExact) }, 0, 0, 0, 1),
		mpc.GeLUTanh:  f.segments(p.GeLUBits, p.ActFrac, func(u float64) float64 { return fn.GeLU(u, mpc.GeLUTanh) }, 0, 0, 0, 1),
	}
	f.silu = f.segments(p.SiLUBits, p.SiLUFrac, func(u float64) float64 { return fn.SiLU(u, mpc.SiLUExact) }, 0, 0, 0, 1)
	f.tanh = f.segments(p.TanhBits, p.TanhFrac, math.Tanh, -1, 0, 1, 0)

	d := p.ExpDigitBits
	f.exp = make([][]uint64, p.ExpDigits())
	for j := range f.exp {
		t := make([]uint64, 1<<d)
		for v := range t {
			t[v] = f.ExpDigitValue(j, int64(v))
		}
		f.exp[j] = t
	}

	mb := p.MantissaBits
	f.recip = make([]uint64, (p.CmpBits-1)<<mb)
	for k := 0; k < p.CmpBits-1; k++ {
		for m := 0; m < 1<<mb; m++ {
			f.recip[k<<mb|m] = f.RecipValue(k, uint64(m))
		}
	}
	f.rsqrt = make([]uint64, (p.NormBits()-1)<<mb)
	for k := 0; k < p.NormBits()-1; k++ {
		for m := 0; m < 1<<mb; m++ {
			f.rsqrt[k<<mb|m] = f.RsqrtValue(k, uint64(m))
		}
	}
	return f, nil
}

// Segments is a piecewise-linear table over signed buckets: bucket
// i ∈ [−L, L) covers [i, i+1)·2^−Frac, where the function is
// Alpha[i+L] + Beta[i+L]·x; entry 2L holds the asymptote below the table,
// 2L+1 above. Each bucket's line is the minimax line over the bucket and
// the one below it, [i−1, i+1)·2^−Frac: a secure engine reads the bucket
// from a truncation that may be one unit high, and the line must serve x
// in either (error ≤ h²·max|f″|/4 for either index). Alpha is at scale f,
// Beta at ActSlopeScale: the products with x stay inside the ring even on
// the upper asymptote, where β = 1 meets large x. The table has
// 2^Bits ≥ 2L + 2 entries.
type Segments struct {
	Bits, Frac, L int
	Alpha, Beta   []uint64
}

type segments = Segments

func (f *Funcs) segments(bits, frac int, g func(float64) float64, loA, loB, hiA, hiB float64) segments {
	n := 1 << bits
	L := n/2 - 1
	h := math.Ldexp(1, -frac)
	bs := f.ActSlopeScale()
	s := segments{Bits: bits, Frac: frac, L: L, Alpha: make([]uint64, n), Beta: make([]uint64, n)}
	for i := -L; i < L; i++ {
		a, b := minimaxLine(g, float64(i-1)*h, float64(i+1)*h)
		s.Alpha[i+L] = f.Encode(a)
		s.Beta[i+L] = f.encodeAt(b, bs)
	}
	s.Alpha[2*L], s.Beta[2*L] = f.Encode(loA), f.encodeAt(loB, bs)
	s.Alpha[2*L+1], s.Beta[2*L+1] = f.Encode(hiA), f.encodeAt(hiB, bs)
	return s
}

// minimaxLine returns a + b·x approximating g on [lo, hi] with (nearly)
// equal positive and negative deviations: the secant, shifted by the mean
// of the extreme deviations found on a fine grid.
func minimaxLine(g func(float64) float64, lo, hi float64) (a, b float64) {
	b = (g(hi) - g(lo)) / (hi - lo)
	a = g(lo) - b*lo
	dmin, dmax := math.Inf(1), math.Inf(-1)
	const samples = 64
	for k := 0; k <= samples; k++ {
		x := lo + (hi-lo)*float64(k)/samples
		d := g(x) - (a + b*x)
		dmin, dmax = math.Min(dmin, d), math.Max(dmax, d)
	}
	return a + (dmin+dmax)/2, b
}

// ActSlopeScale is the scale of the tables' slopes: 2f, or less when the
// ring could not hold β·x for the largest comparable x (RingBits − 2 −
// CmpBits bits; 26 at the defaults).
func (f *Funcs) ActSlopeScale() int {
	return min(2*f.p.FracBits, f.p.RingBits-2-f.p.CmpBits)
}

// Index returns the table entry for x: i + L for the bucket i =
// ⌊x·2^Frac⌋ when −L ≤ i < L, 2L below the table, 2L+1 above. The range
// tests are comparisons of ⌊x·2^Frac⌋ read at CmpBits − (f − Frac) bits.
func (s segments) Index(f *Funcs, x uint64) uint64 {
	sh := f.p.FracBits - s.Frac
	i := f.Signed(f.Floor(x, sh))
	w := f.p.CmpBits - sh
	i = ring.Signed(uint64(i)&ring.Mask(w), w)
	switch {
	case i < -int64(s.L):
		return uint64(2 * s.L)
	case i >= int64(s.L):
		return uint64(2*s.L + 1)
	}
	return uint64(i + int64(s.L))
}

// Eval is Alpha[j] + Trunc(Beta[j]·x, ActSlopeScale) with j = Index(x).
func (s segments) Eval(f *Funcs, x uint64) uint64 {
	j := s.Index(f, x)
	return f.Wrap(s.Alpha[j] + f.MulShift(s.Beta[j], x, f.ActSlopeScale()))
}

// GeLUTable, SiLUTable and TanhTable expose the tables (the secure engine
// looks them up obliviously).
func (f *Funcs) GeLUTable(kind mpc.GeLUKind) Segments { return f.gelu[kind] }

// SiLUTable is the accurate SiLU's table.
func (f *Funcs) SiLUTable() Segments { return f.silu }

// TanhTable is tanh's table.
func (f *Funcs) TanhTable() Segments { return f.tanh }

// mantissaValue is the representative of the inputs X (in ulps) whose most
// significant bit is k and whose next mb bits are m: X itself when no bits
// are dropped (k ≤ mb), else the midpoint of the dropped range.
func mantissaValue(k, m, mb int) float64 {
	if k <= mb {
		return math.Ldexp(float64(1<<mb+m), k-mb)
	}
	lo := math.Ldexp(float64(1<<mb+m), k-mb)
	return lo + (math.Ldexp(1, k-mb)-1)/2
}

// ExpDigitValue is the table entry of the negative exponential for value
// v (any integer) of digit d: round(e^(−v·2^(d·ExpDigitBits−ExpFrac))·2^f).
// The secure engine extends the tables past fxp's ranges with it.
func (f *Funcs) ExpDigitValue(d int, v int64) uint64 {
	z := math.Ldexp(float64(v), d*f.p.ExpDigitBits-f.p.ExpFrac)
	return f.Encode(math.Exp(-z))
}

// RecipValue is the reciprocal table entry for exponent k and mantissa m
// (an input at scale f), at HiScale.
func (f *Funcs) RecipValue(k int, m uint64) uint64 {
	x := math.Ldexp(mantissaValue(k, int(m), f.p.MantissaBits), -f.p.FracBits)
	return f.encodeAt(1/x, f.hiScale())
}

// RsqrtValue is the reciprocal-square-root table entry for exponent k and
// mantissa m (an input at scale 2f), at HiScale.
func (f *Funcs) RsqrtValue(k int, m uint64) uint64 {
	x := math.Ldexp(mantissaValue(k, int(m), f.p.MantissaBits), -2*f.p.FracBits)
	return f.encodeAt(1/math.Sqrt(x), f.hiScale())
}

// NewtonScale is the scale of the Newton corrections (see newtonScale).
func (f *Funcs) NewtonScale() int { return f.newtonScale() }

// MustNew is New for Params known to be valid; it panics otherwise.
func MustNew(p Params) *Funcs {
	f, err := New(p)
	if err != nil {
		panic(err)
	}
	return f
}

// Params returns the parameters.
func (f *Funcs) Params() Params { return f.p }

// One is the encoding of 1.
func (f *Funcs) One() uint64 { return f.one }

// Wrap reduces x into the ring.
func (f *Funcs) Wrap(x uint64) uint64 { return x & f.mask }

// Signed reads a ring element as a two's-complement integer.
func (f *Funcs) Signed(x uint64) int64 { return ring.Signed(x, f.p.RingBits) }

// Encode maps a real to round(x·2^f) in the ring. Values beyond ±2^62
// saturate; NaN encodes as 0.
func (f *Funcs) Encode(x float64) uint64 { return f.encodeAt(x, f.p.FracBits) }

// hiScale is the scale at which reciprocals and reciprocal square roots
// are produced inside softmax and the norms: at f bits 1/12800 (a 2Quad
// denominator) would round to 0 and 1/√var of a wide activation would keep
// one or two significant digits. It is 2f while the ring leaves headroom
// for the products of a scale-2f second moment with it (RingBits − 10 − 2f
// bits, which bounds variances at 2^16), so 24 at the defaults.
func (f *Funcs) HiScale() int { return f.hiScale() }

func (f *Funcs) hiScale() int {
	fb := f.p.FracBits
	return min(2*fb, f.p.RingBits-10-2*fb)
}

func (f *Funcs) encodeAt(x float64, scale int) uint64 {
	v := math.Round(math.Ldexp(x, scale))
	switch {
	case math.IsNaN(v):
		v = 0
	case v > 1<<62:
		v = 1 << 62
	case v < -(1 << 62):
		v = -(1 << 62)
	}
	return ring.Reduce(int64(v), f.p.RingBits)
}

// Decode maps a ring element back to a real.
func (f *Funcs) Decode(x uint64) float64 {
	return math.Ldexp(float64(f.Signed(x)), -f.p.FracBits)
}

// Trunc divides by 2^s rounding to nearest (ties up): the arithmetic
// right shift of x + 2^(s−1). Adding the public half is local on shares,
// so rounding costs a secure truncation nothing over flooring, and it
// removes the −½-ulp bias floors would add to every product.
func (f *Funcs) Trunc(x uint64, s int) uint64 {
	if s == 0 {
		return x
	}
	return ring.Reduce(f.Signed(f.Wrap(x+1<<uint(s-1)))>>uint(s), f.p.RingBits)
}

// Floor is the arithmetic right shift of the signed value by s bits: the
// bit extraction that table indices and mantissas use.
func (f *Funcs) Floor(x uint64, s int) uint64 {
	return ring.Reduce(f.Signed(x)>>uint(s), f.p.RingBits)
}

// Mul is the fixed-point product: the ring product truncated by f bits.
func (f *Funcs) Mul(a, b uint64) uint64 { return f.Trunc(a*b, f.p.FracBits) }

// MulShift is the ring product truncated by s bits.
func (f *Funcs) MulShift(a, b uint64, s int) uint64 { return f.Trunc(a*b, s) }

// scalePrecision is the number of significant bits public real constants
// keep when applied (ScaleConst): a relative error of at most 2^−17.
const scalePrecision = 16

// ScaleConst returns the integer C and shift s with which a public real c
// is applied: x·c ≈ Trunc(x·C, s), with C = round(c·2^s) holding 16-17
// significant bits (so 1/768 is not rounded to 5/4096), and s = 0 for
// integers. A power of two 2^−e reduces to one truncation by e.
func (f *Funcs) ScaleConst(c float64) (C uint64, s int) {
	if c == math.Trunc(c) && math.Abs(c) < 1<<53 {
		return ring.Reduce(int64(c), f.p.RingBits), 0
	}
	_, e := math.Frexp(c) // |c| ∈ [2^(e−1), 2^e)
	s = max(0, min(48, scalePrecision-e+1))
	return ring.Reduce(int64(math.Round(math.Ldexp(c, s))), f.p.RingBits), s
}

// Scale is x·c for a public real c (see ScaleConst). It needs
// |x| < 2^(62−17) units.
func (f *Funcs) Scale(x uint64, c float64) uint64 {
	C, s := f.ScaleConst(c)
	return f.Trunc(x*C, s)
}

// Negative reports whether x < 0, read at CmpBits (see Params.CmpBits).
func (f *Funcs) Negative(x uint64) bool {
	return ring.Signed(x&f.cmpMask, f.p.CmpBits) < 0
}

// DReLU is 1 when x ≥ 0 (read at CmpBits), else 0.
func (f *Funcs) DReLU(x uint64) uint64 {
	if f.Negative(x) {
		return 0
	}
	return 1
}

// ReLU is x when x ≥ 0, else 0.
func (f *Funcs) ReLU(x uint64) uint64 {
	if f.Negative(x) {
		return 0
	}
	return x
}

// Abs is −x when x < 0, else x (sign read at CmpBits).
func (f *Funcs) Abs(x uint64) uint64 {
	if f.Negative(x) {
		return f.Wrap(-x)
	}
	return x
}

// Less is the comparison a < b, computed as the sign of a − b.
func (f *Funcs) Less(a, b uint64) bool { return f.Negative(a - b) }

// GeLU evaluates the chosen form: the accurate forms as a piecewise-
// linear table over signed buckets with the asymptotes 0 and x outside
// (see Segments), Quad as (x² + 2x)/8 + 1/2 with one truncation, ReLU as is.
func (f *Funcs) GeLU(x uint64, kind mpc.GeLUKind) uint64 {
	switch kind {
	case mpc.GeLUExact, mpc.GeLUTanh:
		return f.gelu[kind].Eval(f, x)
	case mpc.GeLUQuad:
		return f.Quad(x)
	case mpc.GeLUReLU:
		return f.ReLU(x)
	}
	panic(fmt.Sprintf("fxp: GeLU kind %v", kind))
}

// SiLU evaluates the chosen form (as GeLU, with the SiLU table).
func (f *Funcs) SiLU(x uint64, kind mpc.SiLUKind) uint64 {
	switch kind {
	case mpc.SiLUExact:
		return f.silu.Eval(f, x)
	case mpc.SiLUQuad:
		return f.Quad(x)
	case mpc.SiLUReLU:
		return f.ReLU(x)
	}
	panic(fmt.Sprintf("fxp: SiLU kind %v", kind))
}

// Quad is 0.125x² + 0.25x + 0.5 = Trunc(x² + x·2^(f+1), f+3) + enc(0.5).
func (f *Funcs) Quad(x uint64) uint64 {
	q := f.Trunc(x*x+x<<uint(f.p.FracBits+1), f.p.FracBits+3)
	return f.Wrap(q + f.one>>1)
}

// Tanh is a piecewise-linear table over signed buckets, ∓1 outside.
func (f *Funcs) Tanh(x uint64) uint64 { return f.tanh.Eval(f, x) }

// Exp is e^x for x ≤ 0 (x > 0 is taken as 0): z = −x clipped to
// 2^ExpBits − 1 ulps, split into ExpDigitBits digits, one table per digit,
// multiplied lowest digit first.
func (f *Funcs) Exp(x uint64) uint64 {
	z := f.Wrap(-x)
	if !f.Negative(x) {
		z = 0
	}
	return f.NegExp(z)
}

// NegExp is e^−z for z ≥ 0 (softmax calls it with z = max − x): z is
// floored to ExpFrac fractional bits, clipped to 2^ExpBits − 1 (z < 16),
// split into ExpDigitBits digits, one table per digit, multiplied lowest
// digit first.
func (f *Funcs) NegExp(z uint64) uint64 {
	if d := f.p.FracBits - f.p.ExpFrac; d > 0 {
		z = f.Floor(z, d)
	}
	limit := uint64(1)<<f.p.ExpBits() - 1
	if !f.Less(z, limit) {
		z = limit
	}
	d := uint(f.p.ExpDigitBits)
	dm := uint64(1)<<d - 1
	r := f.exp[0][z&dm]
	for j := 1; j < len(f.exp); j++ {
		r = f.Mul(r, f.exp[j][(z>>(uint(j)*d))&dm])
	}
	return r
}

// Normalize returns the exponent k and mantissa m of x > 0 read at width
// bits: k counts the thresholds 2^j (1 ≤ j ≤ width−2) that x reaches,
// which is ⌊log2 x⌋ for x ≥ 1, and m is the MantissaBits bits after the
// leading one. For x ≤ 0 the result is garbage, as in the secure protocol.
func (f *Funcs) Normalize(x uint64, width int) (k int, m uint64) {
	for j := 1; j <= width-2; j++ {
		if !f.lessAt(x, uint64(1)<<uint(j), width) {
			k++
		}
	}
	mb := f.p.MantissaBits
	var scaled uint64
	if k <= mb {
		scaled = x << uint(mb-k)
	} else {
		scaled = f.Floor(x, k-mb)
	}
	return k, (scaled - 1<<uint(mb)) & (1<<uint(mb) - 1)
}

// lessAt is a < b read at width bits.
func (f *Funcs) lessAt(a, b uint64, width int) bool {
	return ring.Signed((a-b)&ring.Mask(width), width) < 0
}

// newtonScale is the scale of the Newton corrections (2 − xy) and
// (3 − xy²): as fine as 2f when the ring leaves room for y·correction with
// y as large as 2^(hiScale+f) (inputs down to one ulp), and at least f.
// With the defaults (64-bit ring, f = 12) the corrections are taken at 2f.
func (f *Funcs) newtonScale() int {
	fb := f.p.FracBits
	return max(fb, min(2*fb, f.p.RingBits-3-f.hiScale()-fb))
}

// Reciprocal is 1/x for x > 0: ReciprocalHi brought to scale f.
func (f *Funcs) Reciprocal(x uint64) uint64 {
	return f.Trunc(f.ReciprocalHi(x), f.hiScale()-f.p.FracBits)
}

// ReciprocalHi is 1/x at HiScale for x > 0 at scale f (x < 2^(CmpBits−1)
// ulps): a table over (exponent, mantissa) followed by NewtonIters steps
// y ← y(2 − xy).
func (f *Funcs) ReciprocalHi(x uint64) uint64 {
	k, m := f.Normalize(x, f.p.CmpBits)
	y := f.recip[k<<uint(f.p.MantissaBits)|int(m)]
	ns := f.newtonScale()
	two := uint64(2) << uint(ns)
	for range f.p.NewtonIters {
		xy := f.Trunc(x*y, f.p.FracBits+f.hiScale()-ns) // scale ns
		y = f.MulShift(y, f.Wrap(two-xy), ns)
	}
	return y
}

// Rsqrt is 1/√x for x > 0 at scale f: RsqrtHi of x at scale 2f, brought to
// scale f.
func (f *Funcs) Rsqrt(x uint64) uint64 {
	return f.Trunc(f.RsqrtHi(f.Wrap(x<<uint(f.p.FracBits))), f.hiScale()-f.p.FracBits)
}

// RsqrtHi is 1/√x at HiScale for x > 0 given at scale 2f (as norms form
// their second moments, so that small activations keep their variance):
// a table over (exponent, mantissa) at NormBits followed by NewtonIters
// steps y ← y(3 − xy²)/2, with xy formed first so a small y does not
// vanish.
func (f *Funcs) RsqrtHi(x uint64) uint64 {
	k, m := f.Normalize(x, f.p.NormBits())
	y := f.rsqrt[k<<uint(f.p.MantissaBits)|int(m)]
	ns := f.newtonScale()
	hi := f.hiScale()
	three := uint64(3) << uint(ns)
	for range f.p.NewtonIters {
		xy := f.Trunc(x*y, 2*f.p.FracBits) // x at 2f, y at hi: scale hi
		xyy := f.Trunc(xy*y, 2*hi-ns)      // scale ns
		y = f.MulShift(y, f.Wrap(three-xyy), ns+1)
	}
	return y
}

// Max is the maximum of row by a tree of pairwise comparisons: pairs
// (0,1), (2,3), ... at each level, an odd last element passing through.
func (f *Funcs) Max(row []uint64) uint64 {
	v := append([]uint64(nil), row...)
	for len(v) > 1 {
		n := 0
		for i := 0; i+1 < len(v); i += 2 {
			a, b := v[i], v[i+1]
			if f.Less(a, b) {
				a = b
			}
			v[n] = a
			n++
		}
		if len(v)%2 == 1 {
			v[n] = v[len(v)-1]
			n++
		}
		v = v[:n]
	}
	return v[0]
}

// Sum adds the row in the ring.
func (f *Funcs) Sum(row []uint64) uint64 {
	var s uint64
	for _, x := range row {
		s += x
	}
	return f.Wrap(s)
}

// Softmax writes the chosen normalisation of the first valid entries of
// row into dst and zeros the rest (the causal mask); h is HiScale.
//
//	exact: e = NegExp(max − x), p = Trunc(e·ReciprocalHi(Σe), h)
//	2quad: q = (x + 5)², p = Trunc(q·ReciprocalHi(Σq), h)
//	2relu: q = ReLU(x) + 1 ulp, p = Trunc(q·ReciprocalHi(Σq), h)
func (f *Funcs) Softmax(dst, row []uint64, kind mpc.SoftmaxKind, valid int) {
	for j := valid; j < len(dst); j++ {
		dst[j] = 0
	}
	r, d := row[:valid], dst[:valid]
	var s uint64
	switch kind {
	case mpc.SoftmaxExact:
		m := f.Max(r)
		for j, x := range r {
			d[j] = f.NegExp(f.Wrap(m - x))
		}
		s = f.Sum(d)
	case mpc.Softmax2Quad:
		c := f.Encode(mpc.TwoQuadC)
		for j, x := range r {
			t := f.Wrap(x + c)
			d[j] = f.Mul(t, t)
		}
		s = f.Sum(d)
	case mpc.Softmax2ReLU:
		// MPCFormer's ε/n per element is one ulp here, so an all-negative
		// row is uniform as in the float definition.
		for j, x := range r {
			d[j] = f.Wrap(f.ReLU(x) + 1)
		}
		s = f.Sum(d)
	default:
		panic(fmt.Sprintf("fxp: softmax kind %v", kind))
	}
	inv := f.ReciprocalHi(s)
	for j := range d {
		d[j] = f.MulShift(d[j], inv, f.hiScale())
	}
}

// NormEps is a norm's ε at scale 2f, at least one unit so the reciprocal
// square root always sees a positive input.
func (f *Funcs) NormEps(eps float64) uint64 {
	e := f.encodeAt(eps, 2*f.p.FracBits)
	if e == 0 {
		e = 1
	}
	return e
}

// secondMoment is Σ v² / d at scale 2f: the squares are not truncated, so
// the variance of small activations survives, and the sum is floored by
// ⌊log2 d⌋ bits before the division so the product with the constant
// stays in the ring (variances up to 2^(RingBits−19−2f)).
func (f *Funcs) secondMoment(v []uint64) uint64 {
	var ss uint64
	for _, x := range v {
		ss += x * x
	}
	q := bits.Len(uint(len(v))) - 1
	return f.Scale(f.Floor(f.Wrap(ss), q), math.Ldexp(1/float64(len(v)), q))
}

// LayerNorm writes Trunc((x − μ)·RsqrtHi(σ² + ε), h)·γ + β into dst (h =
// HiScale),
// with μ = Scale(Σx, 1/d) and σ² = Scale(Σ(x−μ)², 1/d) at scale 2f.
func (f *Funcs) LayerNorm(dst, x, gamma, beta []uint64, eps float64) {
	mu := f.Scale(f.Sum(x), 1/float64(len(x)))
	for j, v := range x {
		dst[j] = f.Wrap(v - mu)
	}
	rs := f.RsqrtHi(f.Wrap(f.secondMoment(dst) + f.NormEps(eps)))
	for j := range dst {
		dst[j] = f.Wrap(f.Mul(f.MulShift(dst[j], rs, f.hiScale()), gamma[j]) + beta[j])
	}
}

// RMSNorm writes Trunc(x·RsqrtHi(Scale(Σx², 1/d) + ε), h)·γ into dst.
func (f *Funcs) RMSNorm(dst, x, gamma []uint64, eps float64) {
	rs := f.RsqrtHi(f.Wrap(f.secondMoment(x) + f.NormEps(eps)))
	for j, xv := range x {
		dst[j] = f.Mul(f.MulShift(xv, rs, f.hiScale()), gamma[j])
	}
}
