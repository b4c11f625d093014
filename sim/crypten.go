package sim

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// CrypTen prices CrypTen (Knott et al., NeurIPS 2021) as MPCFormer runs it:
// two parties with additive shares in Z_2^64 (16 fractional bits) and a
// trusted third party that deals Beaver triples from seeds it shares with
// each party, sending only the correction share to party 0.
//
// # Primitives (code-derived, facebookresearch/CrypTen @ 775868a;
// papers.md §6, §7)
//
// Bits sent per element by each party, rounds:
//
//	Beaver product        open ε and δ: 2·64 = 128, 1 round; truncation is
//	                      local (SecureML-style share division) in 2PC
//	square                open ε only: 64, 1
//	matmul [m×k]·[k×n]    each party opens (mk + kn) elements: 64(mk + kn),
//	                      1 round (a public operand makes it local)
//	A2B                   13 word-ANDs (one AND, then a 6-level Kogge–Stone
//	                      adder of 2 ANDs per level), each opening 2 words:
//	                      1,664 bits, 7 rounds (3,328 bits both ways)
//	ltz (x < 0)           A2B, the MSB, B2A of one bit (1 word): 1,728, 8
//	ReLU                  ltz + product: 1,856, 9
//	exp                   (1 + x/2⁸)^(2⁸): 8 squarings, 512, 8
//	reciprocal            init 3·exp(1−2x)+0.003 (an exp), then 10 Newton
//	                      steps y ← 2y − x·y² (square + product): 2,432, 28
//	inv_sqrt              init from an exp, 3 Newton steps y·(3 − x·y²)/2
//	                      (square + 2 products): 1,472, 17
//	sigmoid / tanh        sign by ltz, |x| by a product, exp with 9
//	                      iterations, 3 Newton reciprocal steps from 0.75,
//	                      a select: 3,136, 25 (tanh(x) = 2σ(2x) − 1)
//	max (log reduction)   ⌈log₂ n⌉ levels of ltz + select, n − 1 per row
//	softmax               max, x − max, exp, row sum, reciprocal per row,
//	                      product: the causal mask adds −∞ to the full
//	                      matrix, so masked entries cost the same
//	GeLU (erf form)       x², then 8 Taylor terms of erf (8 products),
//	                      then x·(1 + erf)/2: 1,216, 10 (modelling choice:
//	                      CrypTen's erf uses 8 Taylor iterations; the
//	                      product schedule is ours)
//	GeLU (tanh form)      x³ (square + product) + tanh + product: 3,456, 28
//	LayerNorm             square, row sum, inv_sqrt per row, product, and a
//	                      product by γ when γ is secret (public γ is local)
//
// Offline (TTP): party 0 receives the correction share c₀ of every triple
// (one ring element per product output, 14 words per comparison); party 1
// expands everything from its seed (0 bytes).
//
// MPCFormer's approximations: Quad is one square; 2Quad a square, the row
// sum, a reciprocal per row and a product; 2ReLU a ReLU instead of the
// square (MPCFormer's softmax_2quad / softmax_2relu, papers.md §2).
type CrypTen struct {
	// Ring is the share width in bits (default 64).
	Ring int
}

// NewCrypTen returns CrypTen with its defaults (Z_2^64, 16 fractional bits).
func NewCrypTen() CrypTen { return CrypTen{Ring: 64} }

// Name is "crypten(k=64)".
func (c CrypTen) Name() string { return fmt.Sprintf("crypten(k=%d)", c.Ring) }

// Setting is 2PC with a trusted third party dealing triples; it is the
// dealer setting in Marill's terms.
func (c CrypTen) Setting() Setting { return TwoPCDealer }

// A2BBits is the bits both parties send for one arithmetic-to-binary
// conversion, and its rounds (papers.md §6: 3,328 bits, 7 rounds at k = 64).
func (c CrypTen) A2BBits() (bits float64, rounds int64) {
	g := c.a2b()
	return g.p0 + g.p1, g.rounds
}

// LtzBits is the bits both parties send for one comparison x < 0 and its
// rounds (papers.md §6: ≈ 3,456 bits, 8 rounds).
func (c CrypTen) LtzBits() (bits float64, rounds int64) {
	g := c.prims().cmp
	return g.p0 + g.p1, g.rounds
}

func (c CrypTen) a2b() gate {
	k := float64(c.Ring)
	levels := ceilLog2(int64(c.Ring))
	ands := 1 + 2*float64(levels)
	return sym(ands*2*k, 1+levels).offline(ands*k, 0)
}

func (c CrypTen) prims() prims {
	k := float64(c.Ring)
	work := Work{RingOps: 6, PRGBytes: 3 * k / 8}
	mul := sym(2*k, 1).offline(k, 0).withWork(work)
	square := sym(k, 1).offline(k, 0).withWork(work)
	b2a := sym(k, 1).offline(k, 0).withWork(work)
	ltz := c.a2b().withWork(Work{RingOps: 40, PRGBytes: 26 * k / 8}).then(b2a)
	exp := square.repeat(8)
	newtonRecip := square.then(mul)
	recip := exp.then(newtonRecip.repeat(10))
	rsqrt := exp.then(square.then(mul).then(mul).repeat(3))
	sigmoid := ltz.then(mul).then(square.repeat(9)).then(newtonRecip.repeat(3)).then(mul)
	return prims{
		ring: c.Ring, mul: mul, square: square, trunc: gate{}, cmp: ltz, mux: mul,
		exp: exp, recip: recip, rsqrt: rsqrt,
		gelu: square.then(mul.repeat(8)).then(mul),
		silu: sigmoid.then(mul),
		tanh: sigmoid,
	}
}

// Price returns CrypTen's cost of op.
func (c CrypTen) Price(op Op) Quote {
	if op.Place != mpc.Interactive {
		return local(op)
	}
	p := c.prims()
	switch op.Op.Op {
	case mpc.OpMatMul:
		return c.matmul(op)
	case mpc.OpMul:
		return beaverMul(op, float64(c.Ring))
	case mpc.OpReveal:
		return p.reveal(op)
	case mpc.OpGeLU:
		if op.GeLU == mpc.GeLUTanh {
			tanhGeLU := p.square.then(p.mul).then(p.tanh).then(p.mul)
			return seq(tanhGeLU.on(op.Elements))
		}
	}
	if q, ok := p.compose(op); ok {
		return q
	}
	return beaverMul(op, float64(c.Ring))
}

// matmul is a Beaver matrix product: both operands are opened masked.
func (c CrypTen) matmul(op Op) Quote {
	k := float64(c.Ring)
	opened := float64(op.In[0].Size() + op.In[1].Size())
	q := Quote{}
	q.Rounds = 1
	q.SentClient = bytesOf(opened * k)
	q.SentServer = q.SentClient
	q.OfflineClient = bytesOf(float64(op.Elements) * k)
	q.Work = Work{RingMACs: 3 * float64(op.MACs), PRGBytes: opened * k / 8, RingOps: 2 * opened}
	return q
}

// beaverMul is an elementwise Beaver product: each party opens both
// operands' masked shares (a broadcast operand once).
func beaverMul(op Op, k float64) Quote {
	opened := float64(op.Elements)
	if len(op.In) == 2 {
		opened = float64(op.In[0].Size() + op.In[1].Size())
	}
	q := Quote{}
	q.Rounds = 1
	q.SentClient = bytesOf(opened * k)
	q.SentServer = q.SentClient
	q.OfflineClient = bytesOf(float64(op.Elements) * k)
	q.Work = Work{RingOps: 4 * float64(op.Elements), PRGBytes: opened * k / 8}
	return q
}
