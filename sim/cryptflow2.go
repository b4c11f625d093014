package sim

import (
	"fmt"
)

// CrypTFlow2 prices CrypTFlow2 (Rathee et al., CCS 2020) with SIRNN's
// lookup-table math functions (Rathee et al., IEEE S&P 2021) as in
// EzPC's SCI: non-linear layers with IKNP/KKOT oblivious transfer,
// linear layers with HE (SCI_HE, N = 8192), shares in Z_2^ℓ (ℓ = 64).
//
// # Primitives (papers.md §3, §7; EzPC SCI @ f24bf3e)
//
//	millionaire       ℓ split into q = ℓ/4 digits; each leaf a (16 choose 1)
//	                  KKOT of 2 bits (2λ + 32 = 288 bits); the AND tree
//	                  uses ⌊log₂ q⌋+1 standard triples (144 bits each) and
//	                  2q − 2 − 2(⌊log₂ q⌋+1) correlated ones (136 bits), plus
//	                  ≈ 6 bits per AND to open: 3,738 bits at ℓ = 32
//	                  (papers.md: ≈ 3.7 kbit), 7,866 at ℓ = 64 (≈ 8.1 kbit);
//	                  2 + ⌈log₂ q⌉ rounds (code-derived structure, derived
//	                  sizes); split evenly between the parties
//	comparison        millionaire + the bit to arithmetic (one COT, λ + ℓ)
//	truncation        about one comparison on ℓ bits (papers.md: faithful
//	                  truncation from the millionaire; unconfirmed)
//	select by a bit   two IKNP OTs of ℓ-bit strings: λ + 2ℓ bits each
//	product           Gilboa: ℓ COTs per cross term with (λ + ℓ/2)-bit
//	                  average messages, two cross terms; then truncation
//	LUT (2^m → n)     (2^m choose 1)-OT_n: 2λ + 2^m·n bits (code-derived)
//	exp               SIRNN: two 8-bit digit LUTs with 16-bit outputs and
//	                  their product (code-derived structure)
//	reciprocal        MSNZB normalisation (a comparison), a 7-bit LUT,
//	                  one Goldschmidt iteration (2 products)
//	rsqrt             MSNZB, a 9-bit LUT, 2 Newton iterations (3 products)
//	GeLU, SiLU, tanh  not in SCI: modelled as SIGMA's construction with OT —
//	                  DReLU, a truncation, an 8-bit (SiLU: 10-bit) LUT of
//	                  ReLU − f with ℓ-bit outputs and a select
//	matmul            HE as in Cheetah's encoding, N = 8192 (SEAL in SCI):
//	                  lattigo's N = 8192 ciphertext is 393,566 bytes (half
//	                  sent each way), products cost 2.9× an N = 4096 one
//	                  (73.7 µs vs 25.3 µs, go-ecosystem.md §6a); results
//	                  are not packed densely (one per output block)
//
// Everything is online (no dealer; IKNP base OTs not charged).
type CrypTFlow2 struct {
	// Ring is the share width ℓ in bits (default 64).
	Ring int
	// HE are the linear layers' parameters.
	HE HEParams
}

// NewCrypTFlow2 returns the defaults (ℓ = 64, SEAL-like N = 8192).
func NewCrypTFlow2() CrypTFlow2 {
	return CrypTFlow2{Ring: 64, HE: HEParams{N: 8192, InBytes: 393566 / 2, OutBytes: 393566 / 2, CostUnit: 73.7 / 25.3}}
}

// Name is "cryptflow2(l=64)".
func (c CrypTFlow2) Name() string { return fmt.Sprintf("cryptflow2(l=%d)", c.Ring) }

// Setting is 2PC.
func (c CrypTFlow2) Setting() Setting { return TwoPC }

// MillionaireBits is the bits both parties send for one comparison of
// ℓ-bit values, and its rounds.
func (c CrypTFlow2) MillionaireBits() (bits float64, rounds int64) {
	q := int64(max(c.Ring/4, 1))
	logq := int64(0)
	for v := q; v > 1; v >>= 1 {
		logq++
	}
	std := logq + 1
	corr := max(2*q-2-2*std, 0)
	bits = float64(q*(2*lambda+32)) + float64(std)*144 + float64(corr)*136 + 6*float64(q-1)
	return bits, 2 + ceilLog2(q)
}

func lutBits(m int, out int) float64 { return 2*lambda + float64(int64(1)<<m)*float64(out) }

func (c CrypTFlow2) prims() prims {
	l := float64(c.Ring)
	mb, mr := c.MillionaireBits()
	aesPerBit := Work{AESBlocks: 1.0 / 64, RingOps: 1.0 / 64}
	mill := sym(mb/2, mr).withWork(scaleWork(aesPerBit, mb))
	cmp := mill.then(sym((lambda+l)/2, 1))
	trunc := cmp
	mux := sym(lambda+2*l, 2).withWork(Work{AESBlocks: 4, RingOps: 4})
	mul := sym(l*(lambda+l/2), 2).withWork(Work{AESBlocks: 2 * l, RingOps: 4 * l}).then(trunc)
	lut := func(m, out int) gate {
		b := lutBits(m, out)
		return sym(b/2, 2).withWork(Work{AESBlocks: float64(int64(1) << m), RingOps: float64(int64(1) << m)})
	}
	exp := lut(8, 16).times(2).then(mul)
	recip := cmp.then(lut(7, 16)).then(mul.repeat(2))
	rsqrt := cmp.then(lut(9, 16)).then(mul.times(2).then(mul).repeat(2))
	act := func(bits int) gate { return cmp.then(trunc).then(lut(bits, c.Ring)).then(mux) }
	return prims{
		ring: c.Ring, mul: mul, square: mul, trunc: trunc, cmp: cmp, mux: mux,
		exp: exp, recip: recip, rsqrt: rsqrt, gelu: act(8), silu: act(10), tanh: act(8),
	}
}

// Price returns the cost of op.
func (c CrypTFlow2) Price(op Op) Quote {
	p := c.prims()
	return priceHE2PC(op, p, c.HE, func(op Op) Quote { return seq(p.mul.on(op.Elements)) })
}
