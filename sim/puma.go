package sim

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// PUMA prices PUMA, "Secure Inference of LLaMA-7B in Five Minutes"
// (Dong et al., arXiv 2307.12533), Marill's 3PC setting: SecretFlow-SPU's
// ABY3 protocol, replicated secret sharing over Z_2^64 with 18 fractional
// bits, three computing servers with an honest majority.
//
// # Primitives (papers.md §5.1, §7; SPU libspu/mpc/aby3 @ 02ac612)
//
// Bits sent per element by every server, rounds:
//
//	product, matmul   reshare: 1 ring element per output (code-derived:
//	                  MulAA and MatMulAA send one element per output, so
//	                  a matmul costs the same for any inner dimension), 1
//	                  round; then truncation, modelled as one more element
//	                  and round (ABY3 §5.1.1 reveals x − r; SPU's exact
//	                  truncation message pattern was not read: derived)
//	A2B / MSB         rotate (1 word) + a 6-level parallel-prefix adder of
//	                  2 word-ANDs per level + 1 (SPU: "latency 2 + log(nbits)"):
//	                  14 words = 896 bits, 8 rounds; then the bit back to
//	                  arithmetic (2 elements, 2 rounds): 1,024 bits, 10
//	                  rounds per comparison (derived)
//	select by a bit   1 element, 1 round (no truncation)
//	exp               PUMA's benchmark config: Taylor/limit exp with
//	                  fxp_exp_iters = 5 squarings (code-derived)
//	reciprocal        SPU division: bit decomposition for the normalising
//	                  shift (one comparison's cost), a 2-product initial
//	                  guess, Goldschmidt 2 iterations of 2 products (derived)
//	rsqrt             the same normalisation and initial guess, 2 Newton
//	                  iterations of 3 products (derived)
//	softmax (PUMA)    row max, exp, exp kept only where x − max > −14 (a
//	                  comparison and a select), row sum, reciprocal per
//	                  row, product (hack_softmax, code-derived)
//	GeLU (PUMA)       3 comparisons (−4, −1.95, 3) in parallel, powers x²,
//	                  x³, x⁴, x⁶ in 2 product levels, 3 selects
//	                  (hack_gelu, code-derived structure)
//	SiLU, tanh        priced as PUMA's GeLU (same piecewise structure;
//	                  modelling choice: PUMA's LLaMA SiLU was not read)
//	LayerNorm         square, rsqrt per row, product, product by γ (a
//	                  truncation only when γ is public)
//
// Three parties, two report columns: SentClient is the first server's
// bytes and SentServer the other two servers' together (twice the first,
// protocols being symmetric), so Sent() is every byte on the wire. The
// client and the model owner secret-share their inputs once; that input
// sharing is not charged. Causal masks are applied to the full score
// matrix (JAX adds −∞), so a decoder's softmax costs the same as an
// encoder's.
type PUMA struct {
	// Ring is the share width in bits (default 64).
	Ring int
	// ExpIters is the number of squarings of the limit exp (default 5).
	ExpIters int
}

// NewPUMA returns PUMA with its benchmark configuration (FM64, 5 exp iterations).
func NewPUMA() PUMA { return PUMA{Ring: 64, ExpIters: 5} }

// Name is "puma(k=64)".
func (p PUMA) Name() string { return fmt.Sprintf("puma(k=%d)", p.Ring) }

// Setting is 3PC.
func (p PUMA) Setting() Setting { return ThreePC }

func (p PUMA) prims() prims {
	k := float64(p.Ring)
	work := Work{RingOps: 6, PRGBytes: k / 8}
	mul := sym(2*k, 2).withWork(work)
	sel := sym(k, 1).withWork(work)
	cmp := sym(16*k, 10).withWork(Work{RingOps: 60, PRGBytes: 16 * k / 8})
	exp := mul.repeat(int64(max(p.ExpIters, 1)))
	recip := cmp.then(mul.repeat(2)).then(mul.times(2).repeat(2))
	rsqrt := cmp.then(mul.repeat(2)).then(mul.times(3).repeat(2))
	gelu := cmp.times(3).then(mul.times(2).repeat(2)).then(sel.times(3))
	return prims{
		ring: p.Ring, mul: mul, square: mul, trunc: sym(k, 1), cmp: cmp, mux: sel,
		exp: exp, recip: recip, rsqrt: rsqrt, gelu: gelu, silu: gelu, tanh: gelu,
		expMask: true,
	}
}

// Price returns PUMA's cost of op.
func (p PUMA) Price(op Op) Quote {
	if op.Place != mpc.Interactive {
		return local(op)
	}
	pr := p.prims()
	if op.Op.Op == mpc.OpReveal {
		// Each of two servers sends the share the receiver lacks.
		q := revealQuote(op, p.Ring)
		q.SentClient = bytesOf(float64(op.Elements) * float64(p.Ring))
		q.SentServer = q.SentClient
		return q
	}
	var q Quote
	switch op.Op.Op {
	case mpc.OpMatMul:
		q = seq(sym(2*float64(p.Ring), 2).on(op.Elements))
		q.Work = Work{RingMACs: 3 * float64(op.MACs), RingOps: 4 * float64(op.Elements)}
	case mpc.OpMul:
		q = seq(pr.mul.on(op.Elements))
	default:
		var ok bool
		if q, ok = pr.compose(op); !ok {
			q = seq(pr.mul.on(op.Elements))
		}
	}
	// The other two servers send what the first sends.
	q.SentServer = 2 * q.SentClient
	q.OfflineServer = 2 * q.OfflineClient
	return q
}
