// Package ring is arithmetic in the ring Z_2^k on uint64 vectors, the
// substrate of additive secret sharing: the kernels the fixed-point
// emulation and the secure engine run on.
//
// Values live in the low k bits of a uint64 (k ≤ 64). Addition,
// subtraction and multiplication wrap modulo 2^64, which is also correct
// modulo 2^k; mask with ReduceVec when a narrower ring must be canonical
// (before sending, comparing or printing). Signed reads the low k bits as
// a two's-complement integer, which is how fixed-point values are decoded.
//
// MatMul is a cache-blocked i-k-j kernel with a four-way unrolled inner
// loop; it runs on one core (callers parallelise across parties or rows).
// MatMulFloat64 is the same kernel over float64 for plaintext engines.
// MatMulParallel and MatMulFloat64Parallel split a's rows over goroutines,
// for a party whose peer is idle; every output element is computed as the
// one-core kernel computes it, so results do not depend on the core count.
package ring
