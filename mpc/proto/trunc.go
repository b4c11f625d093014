package proto

// truncMat is a party's share of ⌊r/2^k⌋ and of MSB(r) for one truncation.
type truncMat struct{ rk, msb []uint64 }

// Trunc divides by 2^k with stochastic rounding, lowering the scale by k.
//
// Functionality: [x] ↦ [⌊x/2^k⌋ + c] with c ∈ {0, 1} and E[c] the
// fractional part of x/2^k, so the result is unbiased and within one unit
// (fxp's Trunc rounds to nearest; the two differ by at most one ulp).
// Needs |x| < 2^62.
//
//  1. Open x if it has no opening: x̂ = x' + r with x' = x + 2^62 ∈ [0, 2^63).
//  2. The dealer sends shares of ⌊r/2^k⌋ and of MSB(r).
//  3. x' + r wraps past 2^64 exactly when MSB(r) = 1 and MSB(x̂) = 0, so
//     each party computes locally
//     [t] = ⌊x̂/2^k⌋ − 2^(62−k) − [⌊r/2^k⌋] + 2^(64−k)·(1 − MSB(x̂))·[MSB(r)].
//
// Rounds: 1, or 0 when x is already opened. Bytes per party: 8 per element
// for the opening (if needed). Offline per party: 16 per element, plus the
// opening's 8. The wrap correction removes the rare catastrophic error of
// purely local truncation (SecureML, ePrint 2017/396); the construction is
// the dealer variant of ABY3's truncation pair (ePrint 2018/403) with the
// MSB trick of Escudero et al. (CRYPTO 2020).
func (s *Session) Trunc(x *Shared, k int) *Shared {
	if k == 0 {
		return x
	}
	s.Open(x)
	out := &Shared{N: x.N, Scale: x.Scale - k}
	if s.failed() {
		return s.zeros(x.N, x.Scale-k)
	}
	if s.dealer() {
		rk, msb := make([]uint64, x.N), make([]uint64, x.N)
		for i, r := range x.mask {
			rk[i], msb[i] = r>>uint(k), r>>63
		}
		a0, a1 := s.rnd.split(rk)
		b0, b1 := s.rnd.split(msb)
		s.put(Client, truncMat{a0, b0}, 16*int64(x.N))
		s.put(Server, truncMat{a1, b1}, 16*int64(x.N))
		return out
	}
	m, ok := take[truncMat](s)
	if !ok {
		return s.zeros(x.N, x.Scale-k)
	}
	s.lastTrunc = m
	out.share = make([]uint64, x.N)
	off := Offset >> uint(k)
	for i, h := range x.hat {
		t := -m.rk[i] + (1-h>>63)<<uint(64-k)*m.msb[i]
		if s.Role == Client {
			t += h>>uint(k) - off
		}
		out.share[i] = t
	}
	return out
}

// TruncTo brings x to the given scale (no-op if it is already there).
func (s *Session) TruncTo(x *Shared, scale int) *Shared {
	if x.Scale <= scale {
		return s.Shift(x, scale-x.Scale)
	}
	return s.Trunc(x, x.Scale-scale)
}

// TruncView is Trunc that also keeps a masked opening of the result, valid
// modulo 2^(64−k): from x̂ = x + 2^62 + r, ⌊x̂/2^k⌋ − 2^(62−k) equals
// ⌊x/2^k⌋ + c + ⌊r/2^k⌋ modulo 2^(64−k), with the same c as the truncated
// shares. Comparisons, selections and table indices of the truncated value
// then need no new opening (SIGMA's truncate-reduce). Rounds: as Trunc.
func (s *Session) TruncView(x *Shared, k int) *Shared {
	t := s.Trunc(x, k)
	if s.failed() {
		return t
	}
	t.mod = 64 - k
	if s.dealer() {
		t.mask = make([]uint64, x.N)
		for i, r := range x.mask {
			t.mask[i] = r >> uint(k)
		}
		return t
	}
	t.rShare = s.lastTrunc.rk
	t.hat = make([]uint64, x.N)
	off := Offset >> uint(k)
	for i, h := range x.hat {
		t.hat[i] = h>>uint(k) - off + Offset
	}
	return t
}
