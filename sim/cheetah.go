package sim

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// Cheetah prices a Cheetah/BumbleBee-style two-party protocol (Huang et
// al., USENIX Security 2022; BumbleBee, NDSS 2025), Marill's 2PC setting:
// linear layers with RLWE homomorphic encryption, non-linear layers with
// silent (VOLE/Ferret) OT, shares in Z_2^ℓ (ℓ = 64, 12 fractional bits).
//
// # Primitives (papers.md §3, §5.2, §7; go-ecosystem.md §6a)
//
//	comparison (DReLU)  690.5 bits both ways at ℓ = 64, 348.4 at ℓ = 32,
//	                    interpolated linearly between (confirmed: SPU
//	                    Cheetah README); split evenly between the parties
//	                    (modelling choice); 6 rounds (radix-4 millionaire
//	                    tree of depth log₂(ℓ/4) plus 2: derived)
//	truncation          723.8 bits at ℓ = 64, f = 12 (unknown sign),
//	                    369.5 at ℓ = 32 (confirmed, same README); 7 rounds
//	                    (a comparison and one more OT: derived)
//	select by a bit     two correlated OTs of ℓ-bit strings: ℓ + 1 bits
//	                    per party, 2 rounds (derived)
//	matmul              HE with Cheetah's coefficient encoding: the holder
//	                    of the left operand encrypts blocks (mw·kw ≤ N),
//	                    the other multiplies by plaintext blocks and
//	                    returns masked results, packed densely as
//	                    BumbleBee does (⌈m·n/N⌉ result ciphertexts); the
//	                    partition sending the fewest bytes is chosen. With
//	                    both operands secret the two cross products run
//	                    in parallel. N = 4096, ciphertext sizes from
//	                    lattigo (see CheetahHE). Then truncation.
//	elementwise product HE on packed vectors both ways (SPU Cheetah
//	                    MulAA), then truncation
//	exp                 limit exp with 5 squarings (BumbleBee tests'
//	                    fxp_exp_iters; code-derived)
//	reciprocal, rsqrt   SPU's division/rsqrt: normalisation by a
//	                    comparison, a 2-product initial guess, 2
//	                    iterations (2 and 3 products) (derived)
//	GeLU (native)       BumbleBee's seg3: comparisons x < −3, x > 3 and the
//	                    sign (for |x|), |x| by a select, x² then x³ and x⁴,
//	                    two selects (code-derived structure), on a
//	                    32-bit ring as BumbleBee casts shares down
//	                    (GeLURing; the cast itself is not charged)
//	SiLU, tanh          priced as GeLU (modelling choice)
//	softmax             row max (comparison + select tree), exp, reciprocal
//	                    per row, product; causal masks on the full matrix
//
// Everything is online: without a dealer the correlations (silent OT, HE
// keys) are produced by the parties in the same session, so offline bytes
// are 0 and the base OTs and key setup are not charged.
type Cheetah struct {
	// Ring is the share width ℓ in bits (default 64).
	Ring int
	// HE are the linear layers' parameters (default CheetahHE()).
	HE HEParams
	// GeLURing is the ring width of the activation functions (BumbleBee
	// casts shares down to 32 bits for GeLU; default 32).
	GeLURing int
}

// NewCheetah returns the BumbleBee-style defaults (ℓ = 64, N = 4096, dense outputs).
func NewCheetah() Cheetah { return Cheetah{Ring: 64, HE: CheetahHE(), GeLURing: 32} }

// Name is "cheetah(l=64,N=4096)".
func (c Cheetah) Name() string { return fmt.Sprintf("cheetah(l=%d,N=%d)", c.Ring, c.HE.N) }

// Setting is 2PC.
func (c Cheetah) Setting() Setting { return TwoPC }

// interp interpolates a figure measured at 32 and 64 bits.
func interp(at32, at64 float64, l int) float64 {
	return at32 + (at64-at32)*float64(l-32)/32
}

// ComparisonBits is the bits both parties send per comparison (SPU
// Cheetah README: 690.5 at ℓ = 64, 348.4 at ℓ = 32).
func (c Cheetah) ComparisonBits() float64 { return interp(348.4, 690.5, c.Ring) }

// TruncationBits is the bits both parties send per truncation of unknown
// sign (SPU Cheetah README: 723.8 at ℓ = 64, 369.5 at ℓ = 32, f = 12).
func (c Cheetah) TruncationBits() float64 { return interp(369.5, 723.8, c.Ring) }

func (c Cheetah) prims() prims {
	p := c.ringPrims(c.Ring)
	if c.GeLURing > 0 && c.GeLURing != c.Ring {
		act := c.ringPrims(c.GeLURing)
		p.gelu, p.silu, p.tanh = act.gelu, act.silu, act.tanh
	}
	return p
}

func (c Cheetah) ringPrims(ring int) prims {
	c.Ring = ring
	l := float64(c.Ring)
	cmp := sym(c.ComparisonBits()/2, 6).withWork(Work{COTs: 2 * l, RingOps: 20})
	trunc := sym(c.TruncationBits()/2, 7).withWork(Work{COTs: 2 * l, RingOps: 20})
	mux := sym(l+1, 2).withWork(Work{COTs: 2, RingOps: 4})
	mul := heMulGate(c.HE, trunc)
	recip := cmp.then(mul.repeat(2)).then(mul.times(2).repeat(2))
	rsqrt := cmp.then(mul.repeat(2)).then(mul.times(3).repeat(2))
	gelu := cmp.times(3).then(mux).then(mul).then(mul.times(2)).then(mux.times(2))
	return prims{
		ring: c.Ring, mul: mul, square: mul, trunc: trunc, cmp: cmp, mux: mux,
		exp: mul.repeat(5), recip: recip, rsqrt: rsqrt, gelu: gelu, silu: gelu, tanh: gelu,
	}
}

// Price returns the cost of op.
func (c Cheetah) Price(op Op) Quote {
	p := c.prims()
	return priceHE2PC(op, p, c.HE, func(op Op) Quote { return heElementwise(op, c.HE, p.trunc) })
}

// priceHE2PC prices op in a two-party family with HE linear layers:
// matmuls by HE, elementwise products by mul, the rest by the recipes.
func priceHE2PC(op Op, p prims, he HEParams, mul func(Op) Quote) Quote {
	if op.Place != mpc.Interactive {
		return local(op)
	}
	switch op.Op.Op {
	case mpc.OpMatMul:
		return heMatMul(op, he, p.trunc)
	case mpc.OpMul:
		return mul(op)
	case mpc.OpReveal:
		return p.reveal(op)
	}
	if q, ok := p.compose(op); ok {
		return q
	}
	return mul(op)
}
