package proto

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
)

// Softmax normalises each row of x ([rows, cols], flattened). With causal,
// row r of each block of `block` rows keeps its first (r mod block) + 1
// entries (the attention mask); the others are 0 and take no part.
//
// Functionality: fxp's Softmax for the kind:
//
//	exact: p = e·ReciprocalHi(Σe), e = NegExp(max − x)
//	2quad: p = q·ReciprocalHi(Σq), q = Trunc((x + 5)², f)
//	2relu: p = q·ReciprocalHi(Σq), q = ReLU(x) + 1 ulp
//
// Steps (exact): RowMax over the unmasked entries (2·⌈log2 cols⌉ rounds),
// z = max − x locally, NegExp (5 rounds), row sums locally, ReciprocalHi
// per row (7 rounds), a Beaver product e·(1/Σ) with x's opening already
// spent (1 round) and a truncation (1 round). 2Quad replaces max and exp
// by a square (1 round to open, 1 to truncate); 2ReLU by ReLU (2 rounds).
// Masked entries cost nothing: only the lower triangle is computed (as
// SIGMA does for GPT-2). Bytes: see the parts.
func (s *Session) Softmax(x *Shared, rows, cols int, kind mpc.SoftmaxKind, causal bool, block int) *Shared {
	f := s.F.Params().FracBits
	if x.N != rows*cols {
		s.fail(fmt.Errorf("proto: softmax of %d elements as %d×%d", x.N, rows, cols))
	}
	if x.Scale < f {
		s.fail(fmt.Errorf("proto: softmax input at scale %d below f = %d", x.Scale, f))
	}
	if s.failed() {
		return s.zeros(x.N, f)
	}
	var pos []int
	groups := make([][]int, rows)
	gidx := make([]int, 0, x.N)
	for r := 0; r < rows; r++ {
		valid := cols
		if causal {
			valid = r%block + 1
		}
		for j := 0; j < valid; j++ {
			groups[r] = append(groups[r], len(pos))
			pos = append(pos, r*cols+j)
			gidx = append(gidx, r)
		}
	}
	at := func(i int) int { return gidx[i] }
	xv := s.Gather(x, pos)
	var q *Shared
	switch kind {
	case mpc.SoftmaxExact:
		m := s.RowMax(xv, groups)
		q = s.NegExp(s.Negate(s.Sub(xv, m, at)))
	case mpc.Softmax2Quad:
		t := s.AddPublic(s.TruncTo(xv, f), []uint64{s.F.Encode(mpc.TwoQuadC)}, zeroIdx)
		q = s.Trunc(s.Mul(t, t, nil), f)
	case mpc.Softmax2ReLU:
		q = s.AddPublic(s.TruncTo(s.ReLU(xv), f), []uint64{1}, zeroIdx)
	default:
		s.fail(fmt.Errorf("proto: softmax kind %v", kind))
		return s.zeros(x.N, f)
	}
	sum := s.GroupSum(q, groups)
	inv := s.ReciprocalHi(sum)
	p := s.Trunc(s.Mul(q, inv, at), s.F.HiScale())
	return s.Scatter(p, pos, x.N)
}

// GroupSum adds the elements of each group (local).
func (s *Session) GroupSum(x *Shared, groups [][]int) *Shared {
	out := s.zeros(len(groups), x.Scale)
	if !s.dealer() {
		for g, gr := range groups {
			var v uint64
			for _, i := range gr {
				v += x.share[i]
			}
			out.share[g] = v
		}
	}
	return out
}
