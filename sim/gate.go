package sim

import (
	"math"

	"github.com/marill-go/marill/mpc"
)

// gate is a per-element protocol step: bits each party sends per element,
// the rounds it takes, offline bits each party receives per element, and
// the busiest party's work per element. Families build their operations
// from gates applied to counts of elements (steps).
type gate struct {
	p0, p1     float64 // online bits sent per element by P0, P1
	rounds     int64
	off0, off1 float64 // offline bits per element to P0, P1
	work       Work    // per element
}

// sym is a gate where both parties send bits per element in the same rounds.
func sym(bits float64, rounds int64) gate { return gate{p0: bits, p1: bits, rounds: rounds} }

// then composes g and h sequentially: bits and rounds add.
func (g gate) then(h gate) gate {
	g.p0 += h.p0
	g.p1 += h.p1
	g.rounds += h.rounds
	g.off0 += h.off0
	g.off1 += h.off1
	g.work.Add(h.work)
	return g
}

// times repeats g k times per element (k parallel instances: bits and
// work scale, rounds do not).
func (g gate) times(k float64) gate {
	g.p0 *= k
	g.p1 *= k
	g.off0 *= k
	g.off1 *= k
	g.work = scaleWork(g.work, k)
	return g
}

// repeat runs g k times in sequence (bits and rounds scale).
func (g gate) repeat(k int64) gate {
	r := g.times(float64(k))
	r.rounds = g.rounds * k
	return r
}

// offline adds offline bits per element for each party.
func (g gate) offline(b0, b1 float64) gate {
	g.off0 += b0
	g.off1 += b1
	return g
}

// withWork adds per-element work.
func (g gate) withWork(w Work) gate {
	g.work.Add(w)
	return g
}

func scaleWork(w Work, k float64) Work {
	out := Work{
		PlainMACs: w.PlainMACs * k, PlainOps: w.PlainOps * k,
		RingMACs: w.RingMACs * k, RingOps: w.RingOps * k,
		PRGBytes: w.PRGBytes * k, AESBlocks: w.AESBlocks * k,
		HEMuls: w.HEMuls * k, HEEncs: w.HEEncs * k, COTs: w.COTs * k,
	}
	for _, kw := range w.Kernels {
		out.Kernels = append(out.Kernels, KernelWork{kw.Name, kw.Count * k})
	}
	return out
}

// step is a gate applied to n elements.
type step struct {
	g gate
	n float64
}

// on applies g to n elements.
func (g gate) on(n int64) step { return step{g, float64(n)} }

// onf applies g to a fractional count of elements (averages).
func (g gate) onf(n float64) step { return step{g, n} }

// seq prices steps run one after another: rounds add; each step's bits
// are packed into whole bytes per party.
func seq(steps ...step) Quote {
	var q Quote
	for _, s := range steps {
		if s.n <= 0 {
			continue
		}
		q.Rounds += s.g.rounds
		q.SentClient += bytesOf(s.g.p0 * s.n)
		q.SentServer += bytesOf(s.g.p1 * s.n)
		q.OfflineClient += bytesOf(s.g.off0 * s.n)
		q.OfflineServer += bytesOf(s.g.off1 * s.n)
		q.Work.Add(scaleWork(s.g.work, s.n))
	}
	return q
}

// bytesOf rounds bits up to whole bytes.
func bytesOf(bits float64) int64 {
	if bits <= 0 {
		return 0
	}
	return int64(math.Ceil(bits/8 - 1e-9))
}

// plus adds q2's costs to q and its rounds sequentially.
func (q Quote) plus(q2 Quote) Quote {
	q.Cost.Add(q2.Cost)
	q.Work.Add(q2.Work)
	return q
}

// local is the quote of an operation with no interaction: plaintext work
// on the client (or server or both), or local work on shares.
func local(op Op) Quote {
	var w Work
	e := float64(op.Elements)
	switch op.Place {
	case mpc.OnShares:
		w.RingMACs = float64(op.MACs)
		if op.MACs == 0 {
			w.RingOps = e * float64(max(len(op.In), 1))
		}
	default:
		w.PlainMACs = float64(op.MACs)
		if op.MACs == 0 {
			w.PlainOps = e * plainCost(op)
		}
	}
	return Quote{Work: w}
}

// plainCost is the floating-point operations per output element of an
// operation computed in plaintext (non-linear functions cost a few dozen).
func plainCost(op Op) float64 {
	switch op.Op.Op {
	case mpc.OpGeLU, mpc.OpSiLU, mpc.OpTanh, mpc.OpExp:
		return 20
	case mpc.OpSoftmax:
		return 25
	case mpc.OpLayerNorm, mpc.OpRMSNorm:
		return 8
	case mpc.OpReciprocal, mpc.OpRsqrt:
		return 10
	case mpc.OpEmbed:
		return 1
	}
	return float64(max(len(op.In), 1))
}

// Shape helpers shared by the families.

// rowsOf is the number of rows an operation on the last dimension runs
// over (elements / last dimension of the input).
func rowsOf(op Op) int64 {
	if len(op.In) == 0 {
		return 1
	}
	s := op.In[0]
	return int64(s.Size() / max(s.Cols(), 1))
}

// rowLen is the length of the last dimension of the first input.
func rowLen(op Op) int64 {
	if len(op.In) == 0 {
		return 1
	}
	return int64(op.In[0].Cols())
}

// ceilLog2 is ⌈log₂ n⌉ for n ≥ 1 (0 for n = 1).
func ceilLog2(n int64) int64 {
	k := int64(0)
	for v := int64(1); v < n; v <<= 1 {
		k++
	}
	return k
}

// matmulDims returns batch, m, k, n of a product a·b and whether b is
// shared across the batch (a rank-2 right operand).
func matmulDims(op Op) (batch, m, k, n int64, sharedB bool) {
	a, b := op.In[0], op.In[1]
	batch = 1
	if len(a) == 3 {
		batch = int64(a[0])
	}
	m, k, n = int64(a.Rows()), int64(a.Cols()), int64(b.Cols())
	sharedB = len(b) == 2
	return
}

// maskedElements is the number of output elements a family computes for
// a product: all of them, or the lower triangles when op.Masked.
func maskedElements(op Op) int64 {
	if !op.Masked || len(op.Out) < 2 {
		return op.Elements
	}
	n := int64(op.Out.Cols())
	batch := op.Elements / (n * int64(op.Out.Rows()))
	return batch * n * (n + 1) / 2
}

// softmaxElements is the number of score elements a softmax normalises:
// the lower triangles for a causal mask in families that skip masked
// entries, else all.
func softmaxElements(op Op, skipMasked bool) (elems, rows, comparisons int64) {
	rows = rowsOf(op)
	n := rowLen(op)
	if op.Causal && skipMasked && op.In[0].Rows() == op.In[0].Cols() {
		mats := rows / n
		return mats * n * (n + 1) / 2, rows, mats * n * (n - 1) / 2
	}
	return rows * n, rows, rows * (n - 1)
}
