package fxp

import "fmt"

// Params fixes the ring, the fixed-point scale and the shape of every
// table-driven approximation. The secure engine and the plain engine's
// fixed-point emulation take the same Params, so they compute the same
// functions.
type Params struct {
	// RingBits is k: values live in Z_2^k (16..64).
	RingBits int
	// FracBits is f: a real x is stored as round(x·2^f).
	FracBits int
	// CmpBits is the width comparisons work at: a comparison of x with 0
	// looks at x mod 2^CmpBits, which is right while |x| < 2^(CmpBits−1)
	// ulps. Narrow comparisons are cheaper (a secure engine reduces its
	// shares to this width locally before comparing).
	CmpBits int
	// ActFrac is the resolution of the GeLU tables: they are piecewise
	// linear on buckets of width 2^−ActFrac.
	ActFrac int
	// GeLUBits and TanhBits are the index widths of the GeLU and tanh
	// tables: 2^(bits−1)−1 buckets on each side of zero (GeLU |x| < 3.97,
	// tanh |x| < 7.99 at the defaults); beyond them the function is its
	// asymptote (0 or x for GeLU, ∓1 for tanh).
	GeLUBits int
	TanhBits int
	// TanhFrac is the resolution of the tanh table. Tanh runs once per
	// classification (BERT's pooler), right before the logits, so it gets
	// a finer table than GeLU: its error reaches the output undamped.
	TanhFrac int
	// SiLUFrac and SiLUBits are the same for SiLU, whose gap to ReLU decays
	// more slowly (|x| < 15.9 at the defaults).
	SiLUFrac int
	SiLUBits int
	// ExpFrac is the precision of the negative exponential's input: z is
	// floored to ExpFrac fractional bits (a relative error below 2^−ExpFrac
	// in e^−z) so the tables stay small at any FracBits.
	ExpFrac int
	// ExpDigitBits is the digit width of the negative exponential: e^−z for
	// 0 ≤ z < 16 (ExpFrac+4 bits) is a product of one table entry per digit.
	ExpDigitBits int
	// MantissaBits is the mantissa width of the reciprocal and reciprocal
	// square root tables, indexed by (exponent, mantissa) of the input.
	MantissaBits int
	// NewtonIters is the number of Newton–Raphson refinements after the
	// reciprocal and reciprocal-square-root table lookups.
	NewtonIters int
}

// Default returns the numerics the secure engine uses unless told
// otherwise: Z_2^64 with 16 fractional bits (CrypTen's scale), comparisons
// at 36 bits (|x| < 2^19), piecewise-linear tables: GeLU at 1/32 with 256
// entries (|x| < 3.97), SiLU at 1/16 with 512 (|x| < 15.9), tanh at 1/128
// with 2048 (|x| < 7.99); SIGMA's exponential input at 12 fractional bits
// in two 8-bit digits, 7-bit mantissas and one Newton step.
func Default() Params {
	return Params{
		RingBits:     64,
		FracBits:     16,
		CmpBits:      36,
		ActFrac:      5,
		GeLUBits:     8,
		TanhBits:     11,
		TanhFrac:     7,
		SiLUFrac:     4,
		SiLUBits:     9,
		ExpFrac:      12,
		ExpDigitBits: 8,
		MantissaBits: 7,
		NewtonIters:  1,
	}
}

// Validate reports the first field out of its range.
func (p Params) Validate() error {
	check := func(name string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("fxp: Params.%s = %d, want %d..%d", name, v, lo, hi)
		}
		return nil
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"RingBits", p.RingBits, 16, 64},
		{"FracBits", p.FracBits, 2, (p.RingBits - 16) / 3},
		{"CmpBits", p.CmpBits, p.FracBits + 6, p.RingBits - 8},
		{"ActFrac", p.ActFrac, 0, p.FracBits},
		{"GeLUBits", p.GeLUBits, 2, 14},
		{"TanhBits", p.TanhBits, 2, 14},
		{"TanhFrac", p.TanhFrac, 0, p.FracBits},
		{"SiLUFrac", p.SiLUFrac, 0, p.FracBits},
		{"SiLUBits", p.SiLUBits, 2, 14},
		{"ExpFrac", p.ExpFrac, 1, p.FracBits},
		{"ExpDigitBits", p.ExpDigitBits, 2, 16},
		{"MantissaBits", p.MantissaBits, 2, 12},
		{"NewtonIters", p.NewtonIters, 0, 4},
	} {
		if err := check(c.name, c.v, c.lo, c.hi); err != nil {
			return err
		}
	}
	return nil
}

// String is a compact description, e.g. "Z_2^64 f=12".
func (p Params) String() string { return fmt.Sprintf("Z_2^%d f=%d", p.RingBits, p.FracBits) }

// ExpBits is the input width of the negative exponential: ExpFrac + 4
// bits, so z < 16; beyond it e^−z is taken as e^−16 ≈ 1.1e-7, an absolute
// error below 2^−23.
func (p Params) ExpBits() int { return p.ExpFrac + 4 }

// NormBits is the width of the exponent search of the reciprocal square
// root inside norms, whose input is a second moment at scale 2f:
// CmpBits + f, capped at the ring.
func (p Params) NormBits() int { return min(p.RingBits, p.CmpBits+p.FracBits) }

// ExpDigits is the number of table lookups in one exponential.
func (p Params) ExpDigits() int { return (p.ExpBits() + p.ExpDigitBits - 1) / p.ExpDigitBits }
