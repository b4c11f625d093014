package proto

import "fmt"

// selMat is a party's material for one batch of selections: XOR shares of
// random bits ρ, arithmetic shares of ρ, and (for selections) of r_x·ρ.
type selMat struct {
	rho   []uint8
	rhoA  []uint64
	rxRho []uint64
}

// SelectReq asks for [x∘d] (X set, opened) or for [d] as arithmetic
// shares (X nil), d being XOR-shared bits.
type SelectReq struct {
	X *Shared
	D []uint8
}

// Select answers several requests in one round. A selection of a
// truncated view (TruncView) is valid modulo the view's width.
//
// Functionality: for XOR-shared bits d, [x∘d] (selection, x opened) or
// [d] (bit injection).
//
//  1. The dealer sends XOR shares of random bits ρ and arithmetic shares
//     of ρ and of r_x·ρ.
//  2. Each party sends d_b ⊕ ρ_b; both learn c = d ⊕ ρ, a one-time pad of d.
//  3. Since d = c + ρ − 2cρ and x = X − r_x with X = x̂ − 2^62 public:
//     [x·d] = c·[x] + (1 − 2c)·(X·[ρ] − [r_x·ρ]), [d] = c + (1 − 2c)·[ρ].
//
// Rounds: 1 for the whole batch. Bytes per party: one bit per element,
// packed. Offline per party: 8 (injection) or 16 (selection) bytes plus one
// bit per element. This is the bit-injection/select gate of the FSS line
// (Boyle et al., ePrint 2020/1392; SIGMA) in dealer form.
func (s *Session) Select(reqs ...SelectReq) []*Shared {
	out := make([]*Shared, len(reqs))
	for i, r := range reqs {
		n := len(r.D)
		if r.X != nil && r.X.N != n {
			s.fail(fmt.Errorf("proto: select of %d values by %d bits", r.X.N, n))
		}
		if r.X != nil && !r.X.viewed(1) {
			s.fail(fmt.Errorf("proto: select needs an opened value"))
		}
		scale := 0
		if r.X != nil {
			scale = r.X.Scale
		}
		out[i] = s.zeros(n, scale)
	}
	if s.failed() {
		return out
	}
	if s.dealer() {
		for _, r := range reqs {
			n := len(r.D) // bit vectors have their length in every role
			rho := make([]uint64, n)
			b0, b1 := make([]uint8, n), make([]uint8, n)
			for i := range rho {
				rho[i] = s.rnd.Uint64() & 1
				b0[i] = uint8(s.rnd.Uint64() & 1)
				b1[i] = b0[i] ^ uint8(rho[i])
			}
			a0, a1 := s.rnd.split(rho)
			m0, m1 := selMat{rho: b0, rhoA: a0}, selMat{rho: b1, rhoA: a1}
			bytes := 8*int64(n) + (int64(n)+7)/8
			if r.X != nil {
				rr := make([]uint64, n)
				for i := range rr {
					rr[i] = r.X.mask[i] * rho[i]
				}
				m0.rxRho, m1.rxRho = s.rnd.split(rr)
				bytes += 8 * int64(n)
			}
			s.put(Client, m0, bytes)
			s.put(Server, m1, bytes)
		}
		return out
	}
	mats := make([]selMat, len(reqs))
	total := 0
	for _, r := range reqs {
		total += len(r.D)
	}
	mine := make([]uint64, 0, total)
	for i, r := range reqs {
		m, ok := take[selMat](s)
		if !ok {
			return out
		}
		mats[i] = m
		for j, d := range r.D {
			mine = append(mine, uint64(d^m.rho[j]))
		}
	}
	theirs := s.exchangeWords(mine, 1)
	if s.failed() {
		return out
	}
	pos := 0
	for i, r := range reqs {
		m := mats[i]
		z := make([]uint64, len(r.D))
		for j := range r.D {
			c := mine[pos] ^ theirs[pos]
			pos++
			sign := 1 - 2*c // 1 or −1 mod 2^64
			if r.X == nil {
				v := sign * m.rhoA[j]
				if s.Role == Client {
					v += c
				}
				z[j] = v
				continue
			}
			z[j] = c*r.X.share[j] + sign*(public(r.X, j)*m.rhoA[j]-m.rxRho[j])
		}
		scale, mod := 0, 0
		if r.X != nil {
			scale, mod = r.X.Scale, r.X.mod
		}
		out[i] = &Shared{N: len(z), Scale: scale, share: z, mod: mod}
	}
	return out
}

// Not returns the XOR shares of ¬d (the client flips its share).
func (s *Session) Not(d []uint8) []uint8 {
	out := append([]uint8(nil), d...)
	if s.Role == Client {
		for i := range out {
			out[i] ^= 1
		}
	}
	return out
}

// Xor returns the XOR shares of a ⊕ b (local).
func Xor(a, b []uint8) []uint8 {
	out := make([]uint8, len(a))
	for i := range out {
		out[i] = a[i] ^ b[i]
	}
	return out
}
