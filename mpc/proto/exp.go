package proto

import "fmt"

// NegExp computes e^(−z) for z ≥ 0 at any scale ≥ ExpFrac, giving scale f.
//
// Functionality: fxp's NegExp: z floored to ExpFrac bits (z_t), clipped
// below 16, e^(−z) = T_hi[⌊z_t/2^D⌋]·T_lo[z_t mod 2^D] with D =
// ExpDigitBits (two digits).
//
//  1. Open z (1 round). Its truncated views z_t = ⌊z/2^k⌋ and
//     h = ⌊z/2^(k+D)⌋ need no opening; lo = z_t − 2^D·h ∈ [−2^D, 2^D] makes
//     z_t = 2^D·h + lo exact even though each view may be one unit high,
//     so T_hi[h]·T_lo[lo] is exact with a lo table over [−2^D, 2^D].
//  2. A DCF on z_t gives in = [z_t < 2^(ExpFrac+4)] (z < 16).
//  3. One selection round: h·in and ¬in as an arithmetic bit; the high index
//     is h·in + 2^(D'+1)·¬in, whose table is 0 (e^(−z) < 2^−23) there.
//  4. One lookup round: T_lo[lo + 2^D] and T_hi[index], both lookups at once.
//  5. Beaver product of the two (1 round, both opened), truncated by f
//     (1 round).
//
// Rounds: 5. Bytes per party: 8 + 1/4 + (D+2 + D'+2)/8 + 16 + 8 per
// element. Offline per party: about 16·CmpBits + 8·2^(D+2) + 8·2^(D'+2)
// + 120 bytes per element. SIGMA's nExp (two 8-bit lookups and a
// product, ePrint 2023/1269) with exact digit recombination.
func (s *Session) NegExp(z *Shared) *Shared {
	p := s.F.Params()
	f, D := p.FracBits, p.ExpDigitBits
	if p.ExpDigits() != 2 {
		s.fail(fmt.Errorf("proto: the exponential supports two table digits, Params give %d", p.ExpDigits()))
	}
	if z.Scale < p.ExpFrac {
		s.fail(fmt.Errorf("proto: exponential input at scale %d below ExpFrac = %d", z.Scale, p.ExpFrac))
	}
	if s.failed() {
		return s.zeros(z.N, f)
	}
	Dh := p.ExpBits() - D // high digit width
	k := z.Scale - p.ExpFrac
	s.Open(z)
	zt := s.TruncView(z, k)
	h := s.TruncView(z, k+D)
	w := p.CmpBits - (f - p.ExpFrac)
	in := s.Less(zt, 0, w, []int64{1 << uint(p.ExpBits())})[0]
	sel := s.Select(SelectReq{X: h, D: in}, SelectReq{D: s.Not(in)})
	sel[0].Scale = 0 // an index from here on
	hiIdx := s.Add(sel[0], s.MulPublic(sel[1], []uint64{1 << uint(Dh+1)}, 0, zeroIdx), nil)
	lo := s.Sub(zt, s.MulPublic(h, []uint64{1 << uint(D)}, D, zeroIdx), nil)
	loIdx := s.AddPublic(lo, []uint64{1 << uint(D)}, zeroIdx)
	loTab := make([]uint64, 1<<uint(D+2))
	for j := range loTab {
		loTab[j] = s.F.ExpDigitValue(0, int64(j)-1<<uint(D))
	}
	hiTab := make([]uint64, 1<<uint(Dh+2))
	for j := 0; j <= 1<<uint(Dh); j++ {
		hiTab[j] = s.F.ExpDigitValue(1, int64(j))
	}
	tabs := s.Lookup(
		LookupReq{Idx: loIdx, Bits: D + 2, Tables: []Table{{Values: loTab}}},
		LookupReq{Idx: hiIdx, Bits: Dh + 2, Tables: []Table{{Values: hiTab}}},
	)
	tl, th := tabs[0][0], tabs[1][0]
	tl.Scale, th.Scale = f, f
	return s.Trunc(s.Mul(tl, th, nil), f)
}
