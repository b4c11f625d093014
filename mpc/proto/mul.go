package proto

import "fmt"

// mulMat is a party's share of r_x ∘ r_y.
type mulMat struct{ rxy []uint64 }

// Mul multiplies elementwise: [x]∘[y], y broadcast through idx (nil: the
// same position). The result carries scale x.Scale + y.Scale, untruncated.
//
// Functionality: [x], [y] ↦ [x∘y].
//
//  1. Open whichever of x, y lacks an opening (one round for both).
//  2. The dealer sends shares of r_x ∘ r_y.
//  3. With X = x̂ − 2^62 = x + r_x (public), each party computes
//     [z] = X∘Y − X∘[r_y] − Y∘[r_x] + [r_x∘r_y] (the client adds X∘Y).
//
// Rounds: 1 if an opening is needed, else 0. Bytes per party: 8 per
// element of each operand opened here. Offline per party: 8 per output
// element (+ 8 per element opened). This is Beaver multiplication
// (CRYPTO 1991) with the masked values reused: an operand opened once
// (for a comparison, a truncation, an earlier product) is never opened
// again, so x² opens x once.
func (s *Session) Mul(x, y *Shared, idx func(int) int) *Shared {
	if idx == nil && x.N != y.N {
		s.fail(fmt.Errorf("proto: product of %d and %d elements", x.N, y.N))
	}
	s.Open(x, y)
	scale := x.Scale + y.Scale
	if s.failed() {
		return s.zeros(x.N, scale)
	}
	at := func(i int) int {
		if idx == nil {
			return i
		}
		return idx(i)
	}
	if s.dealer() {
		rxy := make([]uint64, x.N)
		for i := range rxy {
			rxy[i] = x.mask[i] * y.mask[at(i)]
		}
		a0, a1 := s.rnd.split(rxy)
		s.put(Client, mulMat{a0}, 8*int64(x.N))
		s.put(Server, mulMat{a1}, 8*int64(x.N))
		return s.zeros(x.N, scale)
	}
	m, ok := take[mulMat](s)
	if !ok {
		return s.zeros(x.N, scale)
	}
	z := make([]uint64, x.N)
	for i := range z {
		j := at(i)
		X, Y := public(x, i), public(y, j)
		v := -X*y.rShare[j] - Y*x.rShare[i] + m.rxy[i]
		if s.Role == Client {
			v += X * Y
		}
		z[i] = v
	}
	return &Shared{N: x.N, Scale: scale, share: z}
}
