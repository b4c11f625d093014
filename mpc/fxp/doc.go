// Package fxp defines the fixed-point functionalities of the secure
// engine: exactly which function of ring elements each protocol computes.
// The plain engine's fixed-point mode evaluates them directly (no secret
// sharing), so its error against float64 is the error of the numerics
// alone, and any further difference in a secure run is a protocol bug.
//
// # Representation
//
// A real x is the ring element round(x·2^f) of Z_2^k (Params.RingBits k,
// Params.FracBits f; defaults 64 and 16), held in the low k bits of a
// uint64. After a product, Trunc divides by 2^f rounding to nearest: the
// protocol adds 2^(f−1) locally and truncates, so rounding costs nothing
// over flooring and removes the −½-ulp bias a floor would add to every
// product. Floor is the plain arithmetic shift used to extract bits
// (table indices, mantissas). A public real c is applied with 16-17
// significant bits whatever f is (ScaleConst): 1/768 keeps its precision
// and a power of two is a single truncation.
//
// # Comparisons
//
// Every comparison (signs, clipping, the max tree, the exponent search of
// Normalize) reads its input modulo 2^CmpBits. A secure engine reduces its
// shares to that width locally, which makes comparisons cheaper; inputs
// must satisfy |x| < 2^(CmpBits−1) ulps (2^19 at the defaults). The
// emulation reproduces what happens beyond that range instead of hiding
// it.
//
// # Functions
//
//	GeLU, SiLU, Tanh       α_j + β_j·x on the bucket j = ⌊x·2^Frac⌋ ∈ [−L, L)
//	(accurate forms)       (Frac = ActFrac, SiLUFrac or TanhFrac; L = 2^(bits−1)−1),
//	                       the function's asymptote outside (0 or x, ∓1): a
//	                       minimax line per bucket, slopes at ActSlopeScale.
//	                       SIGMA's clipped lookup made piecewise linear.
//	Quad                   Trunc(x² + x·2^(f+1), f+3) + ½ = 0.125x² + 0.25x + 0.5
//	Exp (x ≤ 0)            −x floored to ExpFrac bits, clipped below 16, one
//	                       table per ExpDigitBits digit, digits multiplied
//	Reciprocal, Rsqrt      table over (⌊log2 x⌋, next MantissaBits bits), then
//	                       NewtonIters Newton–Raphson steps, at the high scale h
//	Max                    pairwise comparison tree
//	Softmax                exact (max, NegExp, Reciprocal), 2Quad, 2ReLU; the
//	                       normaliser at scale h so 1/Σ(x+5)² keeps its digits
//	LayerNorm, RMSNorm     second moment Σx²/d kept at scale 2f (small
//	                       activations keep their variance), RsqrtHi, products
//
// h (HiScale) is 2f when the ring leaves headroom (24 bits at f = 12, 22
// at the default f = 16 in a 64-bit ring). The tables are built from the
// float64 definitions in package fn, so the float64 and fixed-point
// engines approximate the same functions.
//
// # Accuracy
//
// With the defaults the hidden states of BERT-base at 128 tokens stay
// within 0.1% of float64 through all twelve blocks; the logits' error is
// set by the head (BERT's pooler tanh, hence its finer table). "marill
// bench" measures it layer by layer (marill's MeasureAccuracy) and prints
// it; package marill tests short sequences against a bound of 0.5%.
//
// # Limits
//
// FracBits ≤ (RingBits − 16)/3 (16 for a 64-bit ring): beyond that, the
// norms' scale-2f second moments times a 16-bit constant leave the ring.
// Norm variances must stay below 2^(RingBits−19−2f) (2^13 at the defaults).
package fxp
