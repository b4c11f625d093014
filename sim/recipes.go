package sim

import "github.com/marill-go/marill/mpc"

// prims are a secret-sharing family's primitive gates, per element and
// per party (both parties, or every party in 3PC, send the same bits).
// The composite operations (softmax, norms, activations) are built from
// them by the recipes below, the way CrypTen, SPU (PUMA, Cheetah) and SCI
// build theirs; each family's file states its primitives and sources.
type prims struct {
	ring int // ring bits of a share (reveal cost)

	mul    gate // elementwise product of two secrets, truncation included
	square gate // x², truncation included
	trunc  gate // truncation of a secret × public product (norm scale)
	cmp    gate // secret comparison to an arithmetic bit (DReLU / ltz)
	mux    gate // select a secret by a secret bit (no truncation)
	exp    gate // e^x for x ≤ 0
	recip  gate // 1/x, one element (softmax: one per row)
	rsqrt  gate // 1/√x, one element (norms: one per row)
	gelu   gate // the native GeLU (erf or tanh form)
	silu   gate // the native SiLU
	tanh   gate // tanh (BERT pooler)

	// expMask adds PUMA's comparison x − max > −14 and a select before the
	// row sum of an exact softmax.
	expMask bool
}

// relu is a comparison and a select.
func (p prims) relu() gate { return p.cmp.then(p.mux) }

// maxStep is the row maximum of rows of n by a ⌈log₂ n⌉-level tree of
// comparisons and selects: cmps comparisons in total.
func (p prims) maxStep(n, cmps int64) step {
	levels := max(ceilLog2(n), 1)
	return p.relu().repeat(levels).onf(float64(cmps) / float64(levels))
}

// compose prices the non-product operations of a secret-sharing family.
// ok is false for operations the recipe does not cover (products,
// reveals, local operations), which the family prices itself.
func (p prims) compose(op Op) (q Quote, ok bool) {
	e := op.Elements
	switch op.Op.Op {
	case mpc.OpSoftmax:
		elems, rows, cmps := softmaxElements(op, false)
		switch op.Softmax {
		case mpc.Softmax2Quad:
			return seq(p.square.on(elems), p.recip.on(rows), p.mul.on(elems)), true
		case mpc.Softmax2ReLU:
			return seq(p.relu().on(elems), p.recip.on(rows), p.mul.on(elems)), true
		}
		steps := []step{p.maxStep(rowLen(op), cmps), p.exp.on(elems)}
		if p.expMask {
			steps = append(steps, p.relu().on(elems))
		}
		return seq(append(steps, p.recip.on(rows), p.mul.on(elems))...), true
	case mpc.OpGeLU:
		switch op.GeLU {
		case mpc.GeLUQuad:
			return seq(p.square.on(e)), true
		case mpc.GeLUReLU:
			return seq(p.relu().on(e)), true
		}
		return seq(p.gelu.on(e)), true
	case mpc.OpSiLU:
		switch op.SiLU {
		case mpc.SiLUQuad:
			return seq(p.square.on(e)), true
		case mpc.SiLUReLU:
			return seq(p.relu().on(e)), true
		}
		return seq(p.silu.on(e)), true
	case mpc.OpTanh:
		return seq(p.tanh.on(e)), true
	case mpc.OpReLU:
		return seq(p.relu().on(e)), true
	case mpc.OpExp:
		return seq(p.exp.on(e)), true
	case mpc.OpReciprocal:
		return seq(p.recip.on(e)), true
	case mpc.OpRsqrt:
		return seq(p.rsqrt.on(e)), true
	case mpc.OpMax:
		return seq(p.maxStep(rowLen(op), rowsOf(op)*(rowLen(op)-1))), true
	case mpc.OpLayerNorm, mpc.OpRMSNorm:
		rows := rowsOf(op)
		last := p.mul
		if len(op.InVis) > 1 && op.InVis[1] == mpc.Public {
			last = p.trunc
		}
		return seq(p.square.on(e), p.rsqrt.on(rows), p.mul.on(e), last.on(e)), true
	}
	return Quote{}, false
}

// reveal opens a shared value of ring bits per element: the other party
// sends its share (both parties for a reveal to both).
func (p prims) reveal(op Op) Quote { return revealQuote(op, p.ring) }
