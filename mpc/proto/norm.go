package proto

import (
	"fmt"
	"math"
	"math/bits"
)

// Param is a norm's scale or shift: public (both parties hold Values) or
// the server's (only the server holds Values), at the given scale.
type Param struct {
	Public bool
	Values []uint64
	Scale  int
}

// LayerNorm normalises each row of x ([rows, d]) and applies gamma and
// beta; the result is at scale f + gamma.Scale, untruncated.
//
// Functionality: fxp's LayerNorm: μ = Scale(Σx, 1/d), c = x − μ,
// σ² = Scale(⌊Σc²/2^q⌋, 2^q/d) at scale 2f, y = c·RsqrtHi(σ² + ε)·γ + β.
//
//  1. Truncate x to f if needed (1 round); μ by a public product and a
//     truncation per row (1 round).
//  2. Open c (1 round); [c²] reuses the opening; row sums locally; two
//     per-row truncations (2 rounds).
//  3. RsqrtHi per row (9 rounds).
//  4. c·(1/σ) reuses c's opening (the row value is opened: 1 round), then
//     a truncation (1 round).
//  5. γ: local if public, the weight product if the server's (1 round); β
//     is added by whoever holds it.
//
// Rounds: about 16. Bytes per party per element: 8 (c) + 8 (truncation)
// + 8 (the client's masked row for a private γ), plus per-row terms.
func (s *Session) LayerNorm(x *Shared, rows, d int, gamma, beta *Param, eps float64) *Shared {
	if x.N != rows*d {
		s.fail(fmt.Errorf("proto: layer norm of %d elements as %d×%d", x.N, rows, d))
		return s.zeros(x.N, 0)
	}
	f := s.F.Params().FracBits
	x = s.TruncTo(x, f)
	row := func(i int) int { return i / d }
	groups := rowGroups(rows, d)
	mu := s.scaleBy(s.GroupSum(x, groups), 1/float64(d), f)
	c := s.Sub(x, mu, row)
	return s.normalise(c, rows, d, groups, gamma, beta, eps)
}

// RMSNorm divides each row of x by its root mean square and applies
// gamma; the result is at scale f + gamma.Scale. Steps as LayerNorm
// without the mean. Rounds: about 15.
func (s *Session) RMSNorm(x *Shared, rows, d int, gamma *Param, eps float64) *Shared {
	if x.N != rows*d {
		s.fail(fmt.Errorf("proto: RMS norm of %d elements as %d×%d", x.N, rows, d))
		return s.zeros(x.N, 0)
	}
	x = s.TruncTo(x, s.F.Params().FracBits)
	return s.normalise(x, rows, d, rowGroups(rows, d), gamma, nil, eps)
}

func rowGroups(rows, d int) [][]int {
	g := make([][]int, rows)
	for r := range g {
		g[r] = make([]int, d)
		for j := range g[r] {
			g[r][j] = r*d + j
		}
	}
	return g
}

// scaleBy multiplies by a public real (ScaleConst) and truncates, giving
// the value at scale `to`.
func (s *Session) scaleBy(x *Shared, c float64, to int) *Shared {
	C, sh := s.F.ScaleConst(c)
	y := s.Trunc(s.MulPublic(x, []uint64{C}, sh, zeroIdx), sh)
	y.Scale = to
	return y
}

func (s *Session) normalise(c *Shared, rows, d int, groups [][]int, gamma, beta *Param, eps float64) *Shared {
	f := s.F.Params().FracBits
	row := func(i int) int { return i / d }
	s.Open(c)
	ss := s.GroupSum(s.Mul(c, c, nil), groups) // scale 2f
	q := bits.Len(uint(d)) - 1
	v := s.scaleBy(s.Trunc(ss, q), math.Ldexp(1/float64(d), q), 2*f)
	v = s.AddPublic(v, []uint64{s.F.NormEps(eps)}, zeroIdx)
	rs := s.RsqrtHi(v)
	n := s.Trunc(s.Mul(c, rs, row), s.F.HiScale())
	n.Scale = f
	col := func(i int) int { return i % d }
	var y *Shared
	if gamma.Public {
		y = s.MulPublic(n, gamma.Values, gamma.Scale, col)
	} else {
		y = s.MulWeight(n, gamma.Values, gamma.Scale, d)
	}
	if beta != nil {
		shift := y.Scale - beta.Scale
		if shift < 0 {
			s.fail(fmt.Errorf("proto: norm shift at scale %d above the output's %d", beta.Scale, y.Scale))
			return y
		}
		b := make([]uint64, len(beta.Values))
		for i, v := range beta.Values {
			b[i] = v << uint(shift)
		}
		if beta.Public {
			y = s.AddPublic(y, b, col)
		} else {
			y = s.AddOwned(Server, y, b, col)
		}
	}
	return y
}

// AddOwned adds a plaintext held by one party to its share (local).
func (s *Session) AddOwned(owner Role, x *Shared, v []uint64, idx func(int) int) *Shared {
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale}
	}
	out := append([]uint64(nil), x.share...)
	if s.Role == owner {
		for i := range out {
			j := i
			if idx != nil {
				j = idx(i)
			}
			out[i] += v[j]
		}
	}
	return &Shared{N: x.N, Scale: x.Scale, share: out}
}
