// Package fxp defines the fixed-point functionalities of the secure
// engine: exactly which function of ring elements each protocol computes.
// The plain engine's fixed-point mode evaluates them directly (no secret
// sharing), so its error against float64 is the error of the
// approximations alone, and any further difference in a secure run is a
// protocol bug (or the ±1-ulp slack of a probabilistic truncation).
//
// # Representation
//
// A real x is the ring element round(x·2^f) of Z_2^k (Params.RingBits k,
// Params.FracBits f), held in the low k bits of a uint64. Products are
// followed by an exact arithmetic right shift (Trunc). Multiplying by a
// public real c uses extra fractional bits for c (ScaleConst) so that small
// constants such as 1/768 keep their precision.
//
// # Comparisons
//
// Every comparison (signs for ReLU, clipping, the max tree, the exponent
// search of Normalize) reads its input modulo 2^CmpBits. A secure engine
// reduces its shares to that width locally, which makes comparisons
// cheaper; the price is that inputs must satisfy |x| < 2^(CmpBits−1) ulps
// (2^19 = 524288 at the defaults). The emulation reproduces what happens
// beyond that range instead of hiding it.
//
// # Functions
//
//	GeLU, SiLU (accurate)  ReLU(x) − T[min(⌊|x|·2^ActFrac⌋, 2^bits−1)], T the gap
//	                       ReLU − f at bucket midpoints (SIGMA's construction)
//	Quad                   Trunc(x² + x·2^(f+1), f+3) + ½ = 0.125x² + 0.25x + 0.5
//	Tanh                   sign(x)·T[|x|]
//	Exp (x ≤ 0)            product of one table per ExpDigitBits digit of −x
//	Reciprocal, Rsqrt      table over (⌊log2 x⌋, next MantissaBits bits),
//	                       then NewtonIters Newton–Raphson steps
//	Max                    pairwise comparison tree
//	Softmax                exact (max, NegExp, Reciprocal), 2Quad, 2ReLU
//	LayerNorm, RMSNorm     Scale(Σ, 1/d) moments, Rsqrt, two products
//
// The tables are built from the float64 definitions in package fn, so the
// float64 and fixed-point engines approximate the same functions.
package fxp
