package proto

import (
	"fmt"

	"github.com/marill-go/marill/mpc/fxp"
)

// ReLU computes max(x, 0) at x's scale (≥ f).
//
// Functionality: fxp's ReLU (sign read at CmpBits after truncating to
// scale f).
//
//  1. Open x (1 round, unless already opened).
//  2. d = [⌊x/2^(s−f)⌋ < 0] by a DCF on the opening (Less, no round).
//  3. Select x by ¬d (1 round, one bit per element).
//
// Rounds: 2. Bytes per party: 8 + 1/8 per element. Offline per party:
// ≈ 16·CmpBits + 8 + 16 + 1/4 bytes per element. The DReLU and select
// gates of Boyle et al. (ePrint 2020/1392) as SIGMA uses them.
func (s *Session) ReLU(x *Shared) *Shared {
	p := s.F.Params()
	if x.Scale < p.FracBits {
		s.fail(fmt.Errorf("proto: ReLU input at scale %d below f = %d", x.Scale, p.FracBits))
	}
	s.Open(x)
	neg := s.Less(x, x.Scale-p.FracBits, p.CmpBits, []int64{0})[0]
	return s.Select(SelectReq{X: x, D: s.Not(neg)})[0]
}

// Segments evaluates a piecewise-linear table (fxp.Segments: GeLU, SiLU,
// tanh) at x, which must be at scale f.
//
// Functionality: fxp's Segments.Eval: α_j + Trunc(β_j·x, ActSlopeScale)
// with j the bucket of ⌊x·2^Frac⌋ in [−L, L), or the lower or upper
// asymptote outside.
//
//  1. Open x (1 round). Its truncated view i = ⌊x/2^(f−Frac)⌋ needs no
//     opening of its own (TruncView).
//  2. One DCF key, evaluated at two points, gives lo = [i < −L] and
//     lt = [i < L]; in-range = lt ⊕ lo and hi = ¬lt, locally.
//  3. One selection round: (i + L)·in-range, and lo, hi as arithmetic bits;
//     the index j = (i + L)·in + 2L·lo + (2L + 1)·hi.
//  4. One lookup round returns [α_j], [β_j] and [β_j·r_x], r_x being x's
//     mask, so that β_j·x = X·[β_j] − [β_j·r_x] needs no opening.
//  5. Truncate α_j·2^b + β_j·x by b (1 round).
//
// Rounds: 4. Bytes per party: 8 (opening) + 3 bits (selection) + Bits bits
// (index) + 8 (truncation) per element. Offline per party: about
// 16·CmpBits + 24·2^Bits + 72 bytes per element. SIGMA's GeLU
// (ePrint 2023/1269: clip, then a lookup) made piecewise linear, with the
// lookup of the one-time truth table (see Lookup).
func (s *Session) Segments(x *Shared, seg fxp.Segments) *Shared {
	p := s.F.Params()
	f := p.FracBits
	if x.Scale != f {
		s.fail(fmt.Errorf("proto: table activation needs its input at scale f = %d, got %d", f, x.Scale))
		return s.zeros(x.N, f)
	}
	sh := f - seg.Frac
	s.Open(x)
	iv := s.TruncView(x, sh)
	w := p.CmpBits - sh
	lt := s.Less(iv, 0, w, []int64{-int64(seg.L), int64(seg.L)})
	lo, ltL := lt[0], lt[1]
	in := Xor(ltL, lo)
	hi := s.Not(ltL)
	sel := s.Select(SelectReq{X: s.withPublic(iv, uint64(seg.L)), D: in}, SelectReq{D: lo}, SelectReq{D: hi})
	L := uint64(seg.L)
	sel[0].Scale = 0 // from here on, integers: a table index
	idx := s.Add(s.Add(sel[0], s.MulPublic(sel[1], []uint64{2 * L}, 0, zeroIdx), nil),
		s.MulPublic(sel[2], []uint64{2*L + 1}, 0, zeroIdx), nil)
	tabs := s.Lookup(LookupReq{Idx: idx, Bits: seg.Bits, Tables: []Table{
		{Values: seg.Alpha}, {Values: seg.Beta}, {Values: seg.Beta, TimesMask: x},
	}})[0]
	b := s.F.ActSlopeScale()
	y := s.zeros(x.N, f+b)
	if !s.dealer() && !s.failed() {
		for i := range y.share {
			v := public(x, i)*tabs[1].share[i] - tabs[2].share[i] + tabs[0].share[i]<<uint(b)
			y.share[i] = v
		}
	}
	return s.Trunc(y, b)
}

// zeroIdx broadcasts a one-element public constant.
func zeroIdx(int) int { return 0 }

// Quad computes MPCFormer's 0.125x² + 0.25x + 0.5 for x at scale f.
//
// Functionality: fxp's Quad: Trunc(x² + x·2^(f+1), f+3) + ½.
//
//  1. Open x; [x²] by Beaver with the opening reused (Mul): 1 round.
//  2. Add x·2^(f+1) locally, truncate by f+3 (1 round), add ½.
//
// Rounds: 2. Bytes per party: 16 per element. Offline per party: 48 bytes
// per element.
func (s *Session) Quad(x *Shared) *Shared {
	f := s.F.Params().FracBits
	if x.Scale != f {
		s.fail(fmt.Errorf("proto: Quad needs its input at scale f = %d, got %d", f, x.Scale))
		return s.zeros(x.N, f)
	}
	sq := s.Mul(x, x, nil)
	q := s.Add(sq, s.MulPublic(x, []uint64{1 << uint(f+1)}, f, zeroIdx), nil)
	out := s.Trunc(q, f+3)
	out.Scale = f
	return s.AddPublic(out, []uint64{s.F.One() >> 1}, zeroIdx)
}
