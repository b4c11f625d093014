// Package tape is reverse-mode differentiation for models written against
// mpc.Engine. Its Engine computes every operation in float64, exactly as
// the plain engine does (same shapes, visibility and placement rules, same
// float64 definitions from mpc/fn), and records on a tape how each result
// sends gradients back to its operands. A marill model runs on it
// unchanged — the transformer is written once — and training code reads
// gradients off the tape.
//
// # Use
//
//	e := tape.New()
//	for _, p := range model.Params() {
//		if p.Vis == mpc.Server { // the fine-tuned parts
//			e.Train(p)
//		}
//	}
//	out, _ := model.Apply(ctx, e, marill.Input{IDs: ids})
//	logits, _ := e.Data(out)
//	grad := lossGradient(logits)   // computed in Go: the engine has no log
//	e.Seed(out, grad)
//	e.Backward(nil)                // gradients now in e.Grad(p)
//	e.Reset()                      // next example; gradients accumulate
//
// Train marks a source (a marill.Param, an mpc.Dense) as trainable: every
// Input of it becomes a leaf whose gradient is added into Grad(src),
// summed over uses and over passes until ZeroGrad. Only operations that
// depend on a trainable source record a backward step, so frozen layers
// and evaluation cost nothing extra. Losses are computed outside the tape
// and enter through Seed (any tensor, any number of times); Backward(loss)
// seeds a one-element loss with 1 for convenience.
//
// Scope outputs let losses reach inside a model: Output("block2") is the
// last tensor produced inside the most recent "block2" scope — for a
// marill model, block 2's hidden state — and Find("softmax", "block2")
// lists block 2's attention probabilities. Distillation reads both.
//
// # Gradients
//
// Every Engine operation has its gradient: Add, Sub and Mul with every
// broadcast mpc.BroadcastShape allows; Neg, Scale, AddConst; MatMul in
// its three batched forms; Sum; the shape operations (Transpose,
// SplitHeads, MergeHeads, Rows, RotateHalf); Embed (rows scattered back
// into the table); Share and Reveal (identity); ReLU; GeLU exact, tanh,
// Quad and ReLU; SiLU exact, Quad and ReLU; Tanh, Exp, Reciprocal, Rsqrt;
// Max (to the first maximal entry); Softmax exact, 2Quad and 2ReLU with or
// without a causal mask (masked entries get none); LayerNorm and RMSNorm
// (input, scale and shift). ReLU-like kinks take derivative 0 at 0.
//
// Tests check each operation with respect to every operand against
// central finite differences of a random linear functional of its output,
// and whole tiny BERT, GPT-2 and LLaMA models under every Marill knob
// (freezing, LoRA on all or some projections, head merging, Quad and 2Quad,
// ReLU and 2ReLU) against finite differences computed with the plain
// engine; forward passes equal the plain engine's to 1e-12 and place and
// count every operation the same way.
//
// # Speed
//
// Values live in float64 buffers recycled between passes (Reset). Forward
// products use mpc/ring's blocked float64 kernel; their gradients use
// kernels that read both operands along rows (g·Wᵀ as row dot products,
// xᵀ·g as row updates of cache-sized panels), so nothing is transposed.
// An Engine is single-threaded; trainers run one per core and add their
// gradients in a fixed order (see package train).
package tape
