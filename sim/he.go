package sim

import "github.com/marill-go/marill/mpc"

// HEParams describe the RLWE parameters of an HE-based linear layer.
type HEParams struct {
	// N is the ring degree (coefficients per ciphertext).
	N int
	// InBytes is a fresh ciphertext as sent (seed-compressed: one
	// polynomial at the full modulus).
	InBytes int
	// OutBytes is a result ciphertext as sent back (two polynomials after
	// modulus switching).
	OutBytes int
	// PackOutputs packs the results of several ciphertexts densely before
	// sending them back (BumbleBee's interleaving): ⌈rows·cols / N⌉ result
	// ciphertexts instead of one per output block (Cheetah).
	PackOutputs bool
	// CostUnit is the cost of one operation at this N relative to N = 4096
	// (Work counts N = 4096 equivalents).
	CostUnit float64
}

// CheetahHE are N = 4096 parameters: lattigo's measured ciphertext at
// N = 4096, log QP = 109 is 131,406 bytes (go-ecosystem.md §6a); a fresh
// seed-compressed ciphertext is half of it, and a result after modulus
// switching to ≈ 55 bits is taken as half of it too (assumption).
func CheetahHE() HEParams {
	return HEParams{N: 4096, InBytes: 131406 / 2, OutBytes: 131406 / 2, PackOutputs: true, CostUnit: 1}
}

// blocks chooses Cheetah's coefficient-encoding partition of an
// [m×k]·[k×n] product: an input polynomial holds an mw×kw block of the
// left operand, a weight polynomial a kw×nw block, with mw·kw·nw ≤ N; it
// returns the input ciphertexts, result ciphertexts and ct×pt products,
// choosing the partition that sends the fewest bytes.
func (h HEParams) blocks(m, k, n int64) (in, out, products int64) {
	best := int64(-1)
	N := int64(h.N)
	for mw := int64(1); mw <= min(m, N); mw *= 2 {
		for kw := int64(1); kw <= min(k, N/mw); kw *= 2 {
			nw := max(min(n, N/(mw*kw)), 1)
			// round nw down to a power of two
			p := int64(1)
			for p*2 <= nw {
				p *= 2
			}
			nw = p
			ci := ceilDiv(m, mw) * ceilDiv(k, kw)
			co := ceilDiv(m, mw) * ceilDiv(n, nw)
			if h.PackOutputs {
				co = ceilDiv(m*n, N)
			}
			bytes := ci*int64(h.InBytes) + co*int64(h.OutBytes)
			if best < 0 || bytes < best {
				best = bytes
				in, out, products = ci, co, ceilDiv(m, mw)*ceilDiv(k, kw)*ceilDiv(n, nw)
			}
		}
	}
	return in, out, products
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// heMatMul prices a product with HE for the linear algebra: the holder of
// the left operand's (share) encrypts it, the other party multiplies by
// its plaintext (weights or share) and returns masked results. With both
// operands secret there are two cross products, one each way, in the same
// two rounds. trunc (per output element) is appended.
func heMatMul(op Op, h HEParams, trunc gate) Quote {
	batch, m, k, n, _ := matmulDims(op)
	in, out, prods := h.blocks(m, k, n)
	in, out, prods = in*batch, out*batch, prods*batch
	q := Quote{}
	q.Rounds = 2
	q.SentClient = in * int64(h.InBytes)
	q.SentServer = out * int64(h.OutBytes)
	q.Work = Work{HEMuls: float64(prods) * h.CostUnit, HEEncs: float64(in) * h.CostUnit, RingOps: float64(op.Elements)}
	secretRight := len(op.InVis) > 1 && op.InVis[1] == mpc.Shared
	secretLeft := op.InVis[0] == mpc.Shared
	if secretLeft && secretRight {
		// Cross terms x0·y1 and x1·y0: the mirror image in the same rounds.
		q.SentClient += out * int64(h.OutBytes)
		q.SentServer += in * int64(h.InBytes)
		q.Work.HEMuls *= 2
	}
	return q.plus(seq(trunc.on(op.Elements)))
}

// heElementwise prices an elementwise product of two secrets with HE
// (SPU Cheetah's MulAA: each party encrypts its share, packed N per
// ciphertext, the other multiplies and returns masked results; both
// directions at once): two rounds, then truncation.
func heElementwise(op Op, h HEParams, trunc gate) Quote {
	cts := ceilDiv(op.Elements, int64(h.N))
	q := Quote{}
	q.Rounds = 2
	q.SentClient = cts * int64(h.InBytes+h.OutBytes)
	q.SentServer = q.SentClient
	q.Work = Work{HEMuls: 2 * float64(cts) * h.CostUnit, HEEncs: float64(cts) * h.CostUnit, RingOps: 4 * float64(op.Elements)}
	return q.plus(seq(trunc.on(op.Elements)))
}

// heMulGate is heElementwise per element, for use inside recipes.
func heMulGate(h HEParams, trunc gate) gate {
	bits := 8 * float64(h.InBytes+h.OutBytes) / float64(h.N)
	return sym(bits, 2).withWork(Work{HEMuls: 2 * h.CostUnit / float64(h.N), HEEncs: h.CostUnit / float64(h.N), RingOps: 4}).then(trunc)
}
