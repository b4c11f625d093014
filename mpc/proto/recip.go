package proto

import (
	"fmt"
	"math/bits"
)

// ReciprocalHi computes 1/x at HiScale for x > 0 at scale f
// (x < 2^(CmpBits−1) ulps).
//
// Functionality: fxp's ReciprocalHi: a table over (exponent k, mantissa m)
// of x, then NewtonIters steps y ← y(2 − xy).
//
//  1. Open x (1 round). One DCF key evaluated at every power of two gives
//     b_j = [x ≥ 2^j]; the bits are monotone, so the one-hot e_j = [k = j]
//     is b_j ⊕ b_(j+1), locally.
//  2. One selection round: x·e_j for every j (x·2^(W−k) = Σ_j 2^(W−j)·x·e_j)
//     and e_j as arithmetic bits (k = Σ_j j·e_j).
//  3. Truncate x·2^(W−k) to its top MantissaBits+1 bits (1 round): m.
//  4. Look up y0 and y0·r_x at k·2^mb + m (1 round).
//  5. Newton: xy = X·[y0] − [y0·r_x] needs no opening; truncate it
//     (1 round), multiply by y0 with Beaver (1 round), truncate (1 round).
//
// Rounds: 4 + 3·NewtonIters. It runs once per softmax row, so its bytes
// are small next to the row's elements. The exponent search is SIGMA's
// floating-point decomposition for its inverse and rsqrt tables
// (ePrint 2023/1269), with the one-hot trick replacing a second lookup.
func (s *Session) ReciprocalHi(x *Shared) *Shared {
	p := s.F.Params()
	if x.Scale != p.FracBits {
		s.fail(fmt.Errorf("proto: reciprocal needs its input at scale f = %d, got %d", p.FracBits, x.Scale))
	}
	hs := s.F.HiScale()
	y, xy := s.normTable(x, p.CmpBits, s.F.RecipValue)
	ns := s.F.NewtonScale()
	for it := range p.NewtonIters {
		if it > 0 {
			xy = s.Mul(x, y, nil) // x's opening is reused
		}
		// xy at scale f + hs → ns; w = 2 − xy; y ← Trunc(y·w, ns).
		xy.Scale = p.FracBits + hs
		t := s.Trunc(xy, p.FracBits+hs-ns)
		w := s.Sub(s.Const(repeat(2<<uint(ns), x.N), ns), t, nil)
		y = s.Trunc(s.Mul(y, w, nil), ns)
		y.Scale = hs
	}
	return y
}

// RsqrtHi computes 1/√x at HiScale for x > 0 at scale 2f (a norm's second
// moment; x < 2^(NormBits−1)).
//
// Functionality: fxp's RsqrtHi: the (exponent, mantissa) table, then
// NewtonIters steps y ← y(3 − x·y²)/2 with xy formed first.
//
// Steps as ReciprocalHi; each Newton step truncates xy (1 round),
// multiplies it by y (1 round), truncates (1 round), multiplies by y
// again (1 round) and truncates (1 round). Rounds: 4 + 5·NewtonIters.
func (s *Session) RsqrtHi(x *Shared) *Shared {
	p := s.F.Params()
	f := p.FracBits
	if x.Scale != 2*f {
		s.fail(fmt.Errorf("proto: rsqrt needs its input at scale 2f = %d, got %d", 2*f, x.Scale))
	}
	hs, ns := s.F.HiScale(), s.F.NewtonScale()
	y, xy := s.normTable(x, p.NormBits(), s.F.RsqrtValue)
	for it := range p.NewtonIters {
		if it > 0 {
			xy = s.Mul(x, y, nil) // x's opening is reused
		}
		xy.Scale = 2*f + hs
		t := s.Trunc(xy, 2*f) // x·y at hs
		t.Scale = hs
		xyy := s.Trunc(s.Mul(t, y, nil), 2*hs-ns)
		xyy.Scale = ns
		w := s.Sub(s.Const(repeat(3<<uint(ns), x.N), ns), xyy, nil)
		y = s.Trunc(s.Mul(y, w, nil), ns+1)
		y.Scale = hs
	}
	return y
}

// normTable runs steps 1-4: it returns the table's y0 (at HiScale) and
// [x·y0], computed from the table's masked column without an opening.
func (s *Session) normTable(x *Shared, width int, value func(int, uint64) uint64) (y0, xy *Shared) {
	p := s.F.Params()
	mb := p.MantissaBits
	hs := s.F.HiScale()
	if s.failed() {
		return s.zeros(x.N, hs), s.zeros(x.N, 0)
	}
	s.Open(x)
	cs := make([]int64, width-2) // thresholds 2^1 .. 2^(width−2)
	for j := range cs {
		cs[j] = 1 << uint(j+1)
	}
	lt := s.Less(x, 0, width, cs)
	// b_j = [x ≥ 2^j] for j = 1..W−2; b_0 = 1 (x ≥ 1 ulp).
	b := make([][]uint8, width-1)
	b[0] = s.Not(make([]uint8, x.N))
	for j := 1; j <= width-2; j++ {
		b[j] = s.Not(lt[j-1])
	}
	var reqs []SelectReq
	for j := 0; j <= width-2; j++ {
		e := b[j]
		if j < width-2 {
			e = Xor(b[j], b[j+1])
		}
		reqs = append(reqs, SelectReq{X: x, D: e}, SelectReq{D: e})
	}
	sel := s.Select(reqs...)
	// x·2^(W−k) and k, from the one-hot.
	scaled := s.zeros(x.N, 0)
	k := s.zeros(x.N, 0)
	if !s.dealer() && !s.failed() {
		for j := 0; j <= width-2; j++ {
			xs, es := sel[2*j].share, sel[2*j+1].share
			for i := range scaled.share {
				scaled.share[i] += xs[i] << uint(width-j)
				k.share[i] += uint64(j) * es[i]
			}
		}
	}
	scaled.Scale = width
	m := s.Trunc(scaled, width-mb) // 2^mb + mantissa, possibly one unit high
	idx := s.zeros(x.N, 0)
	if !s.dealer() && !s.failed() {
		for i := range idx.share {
			idx.share[i] = k.share[i]<<uint(mb) + m.share[i]
			if s.Role == Client {
				idx.share[i] -= 1 << uint(mb)
			}
		}
	}
	entries := (width-1)<<uint(mb) + 1
	ib := bits.Len(uint(entries - 1))
	tab := make([]uint64, 1<<uint(ib))
	for j := range tab {
		kk, mm := j>>uint(mb), uint64(j&(1<<uint(mb)-1))
		tab[j] = value(kk, mm)
	}
	out := s.Lookup(LookupReq{Idx: idx, Bits: ib, Tables: []Table{{Values: tab}, {Values: tab, TimesMask: x}}})[0]
	y0 = out[0]
	y0.Scale = hs
	xy = s.zeros(x.N, 0)
	if !s.dealer() && !s.failed() {
		for i := range xy.share {
			xy.share[i] = public(x, i)*y0.share[i] - out[1].share[i]
		}
	}
	return y0, xy
}

func repeat(v uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
