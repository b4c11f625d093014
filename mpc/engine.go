package mpc

// Tensor is an engine's handle to a value: plaintext floats in the plain
// engine, a party's shares in the secure engine, a bare shape in the
// simulator. Only the engine that made a tensor may consume it.
type Tensor interface {
	Shape() Shape
	Vis() Visibility
}

// Engine is the one seam between the transformer and the ways of running
// it. The model is written once against it; the plain engine computes
// ground truth (float64 or fixed-point emulation), the secure engine runs
// real two-party computation, and the simulator prices shapes.
//
// Operations are at protocol granularity: each method is what one MPC
// protocol computes, so its cost can be measured (secure), declared (sim)
// and attributed (Report) one for one. Fixed-point rescaling after a
// product happens inside the product.
//
// Where an operation runs follows from its operands' visibility (see
// PlaceLocal, PlaceProduct, PlaceNonlinear): public × secret is local on
// shares, plaintext of one owner stays with that owner, and anything that
// mixes secrets is interactive. Engines record every operation in their
// Report under the current scope.
//
// Errors are sticky: the first failure (a shape mismatch, a tensor from
// another engine, a lost peer, a cancelled context) is kept, Err returns
// it, and later operations return placeholder tensors without computing.
// Model code therefore checks Err once, at the end, and never panics.
type Engine interface {
	// Name identifies the engine and its settings, e.g. "plain/float64".
	Name() string

	// Input brings a plaintext value into the engine, owned by Public,
	// Client or Server.
	Input(src Source, owner Visibility) Tensor
	// Embed gathers rows ids of a public table; the ids belong to the
	// client, so the result is the client's.
	Embed(table Tensor, ids []int) Tensor
	// Share turns a plaintext into a secret-shared value.
	Share(x Tensor) Tensor
	// Reveal opens x to Client, Server, or Public (both).
	Reveal(x Tensor, to Visibility) Tensor
	// Value returns x's plaintext if the client may see it (Public or
	// Client): the client's view of the run's output.
	Value(x Tensor) (*Dense, error)

	// Add, Sub and Mul combine a with b elementwise; b may broadcast (see
	// BroadcastShape). Mul is a secure product when both are secret.
	Add(a, b Tensor) Tensor
	Sub(a, b Tensor) Tensor
	Mul(a, b Tensor) Tensor
	// Neg, Scale and AddConst are local: -a, c·a and a+c for a public c.
	Neg(a Tensor) Tensor
	Scale(a Tensor, c float64) Tensor
	AddConst(a Tensor, c float64) Tensor
	// MatMul is a·b (see MatMulShape); a secure product when both are
	// secret, local when either is public.
	MatMul(a, b Tensor) Tensor
	// Sum adds along the last dimension, keeping it as size 1.
	Sum(a Tensor) Tensor

	// Shape operations: free on shares.
	Transpose(a Tensor) Tensor
	SplitHeads(a Tensor, heads int) Tensor
	MergeHeads(a Tensor) Tensor
	Rows(a Tensor, from, to int) Tensor
	// RotateHalf maps the last dimension [x1, x2] to [-x2, x1] (rotary
	// position embeddings).
	RotateHalf(a Tensor) Tensor

	// Non-linear functions, elementwise unless stated.
	ReLU(a Tensor) Tensor
	GeLU(a Tensor, kind GeLUKind) Tensor
	SiLU(a Tensor, kind SiLUKind) Tensor
	Tanh(a Tensor) Tensor
	// Exp is e^x; fixed-point engines compute it on x ≤ 0 (as softmax
	// needs) and treat positive inputs as 0.
	Exp(a Tensor) Tensor
	// Reciprocal and Rsqrt need positive inputs.
	Reciprocal(a Tensor) Tensor
	Rsqrt(a Tensor) Tensor
	// Max is the row maximum along the last dimension (size 1 kept).
	Max(a Tensor) Tensor
	// Softmax normalises along the last dimension; causal masks key j > query i.
	Softmax(a Tensor, kind SoftmaxKind, causal bool) Tensor
	// LayerNorm normalises the last dimension and applies gamma, beta.
	LayerNorm(a, gamma, beta Tensor, eps float64) Tensor
	// RMSNorm divides by the root mean square and applies gamma.
	RMSNorm(a, gamma Tensor, eps float64) Tensor

	// Scope opens a named scope ("block3", then "attn", ...) that the
	// Report attributes operations to; call the returned func to close it.
	Scope(name string) (end func())
	// Report returns the costs recorded so far.
	Report() *Report
	// Err returns the first error, if any.
	Err() error
	// Fail records err as the engine's error if none is set yet.
	Fail(err error)
}
