// Package fn defines, in float64, every non-linear function the engines
// compute and every MPC-friendly approximation of them: GeLU (erf and tanh
// forms, MPCFormer's Quad, ReLU), SiLU (exact, Quad, ReLU), softmax
// (exact, MPCFormer's 2Quad and 2ReLU, with causal masking), layer and RMS
// norm. It is the mathematical ground truth: the plain engine's float64
// mode calls it, the fixed-point tables of package fxp are built from it,
// and training differentiates the same definitions.
package fn
