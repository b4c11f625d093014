package proto

import (
	"fmt"

	"github.com/marill-go/marill/mpc/ring"
)

// matMat is a party's share of R_x·R_y.
type matMat struct{ rxy []uint64 }

// Dims describes a (batched) matrix product [batch, m, k] · [k, n] (BShared
// false: one right matrix for every batch) or [batch, k, n].
type Dims struct {
	Batch, M, K, N int
	BShared        bool
}

func (d Dims) bOff(h int) int {
	if d.BShared {
		return 0
	}
	return h * d.K * d.N
}

// MatMul multiplies secret matrices: [X]·[Y], scale X.Scale + Y.Scale.
//
// Functionality: [X], [Y] ↦ [X·Y].
//
//  1. Open whichever of X, Y lacks an opening (one round for both).
//  2. The dealer sends shares of R_x·R_y (it computes the product).
//  3. With X' = X̂ − 2^62 and Y' likewise, each party computes
//     [Z] = X'·Y' − X'·[R_y] − [R_x]·Y' + [R_x·R_y] (the client adds X'·Y').
//
// Rounds: 1 if an opening is needed. Bytes per party: 8·(mk + kn) per batch
// for the openings. Offline per party: 8·mn per batch (+ the openings').
// Beaver's matrix triples (as CrypTen's, with masked-value reuse).
func (s *Session) MatMul(x, y *Shared, d Dims) *Shared {
	if x.N != d.Batch*d.M*d.K || (d.BShared && y.N != d.K*d.N) || (!d.BShared && y.N != d.Batch*d.K*d.N) {
		s.fail(fmt.Errorf("proto: matmul dims %+v do not fit %d and %d elements", d, x.N, y.N))
	}
	s.Open(x, y)
	out := d.Batch * d.M * d.N
	scale := x.Scale + y.Scale
	if s.failed() {
		return s.zeros(out, scale)
	}
	mn, mk, kn := d.M*d.N, d.M*d.K, d.K*d.N
	if s.dealer() {
		rxy := make([]uint64, out)
		for h := 0; h < d.Batch; h++ {
			ring.MatMul(rxy[h*mn:(h+1)*mn], x.mask[h*mk:(h+1)*mk], y.mask[d.bOff(h):d.bOff(h)+kn], d.M, d.K, d.N)
		}
		a0, a1 := s.rnd.split(rxy)
		s.put(Client, matMat{a0}, 8*int64(out))
		s.put(Server, matMat{a1}, 8*int64(out))
		return s.zeros(out, scale)
	}
	m, ok := take[matMat](s)
	if !ok {
		return s.zeros(out, scale)
	}
	xp := unoffset(x.hat)
	yp := unoffset(y.hat)
	z := append([]uint64(nil), m.rxy...)
	tmp := make([]uint64, mn)
	for h := 0; h < d.Batch; h++ {
		zh := z[h*mn : (h+1)*mn]
		X, Rx := xp[h*mk:(h+1)*mk], x.rShare[h*mk:(h+1)*mk]
		Y, Ry := yp[d.bOff(h):d.bOff(h)+kn], y.rShare[d.bOff(h):d.bOff(h)+kn]
		ring.MatMul(tmp, X, Ry, d.M, d.K, d.N)
		ring.Sub(zh, zh, tmp)
		ring.MatMul(tmp, Rx, Y, d.M, d.K, d.N)
		ring.Sub(zh, zh, tmp)
		if s.Role == Client {
			ring.MatMul(tmp, X, Y, d.M, d.K, d.N)
			ring.Add(zh, zh, tmp)
		}
	}
	return &Shared{N: out, Scale: scale, share: z}
}

func unoffset(h []uint64) []uint64 {
	out := make([]uint64, len(h))
	for i, v := range h {
		out[i] = v - Offset
	}
	return out
}

// MatMulPublic multiplies a shared matrix by a public one locally: X·W
// (publicLeft false) or W·X (publicLeft true), each party on its share.
// The scale adds wScale. Rounds 0, bytes 0, no offline material.
func (s *Session) MatMulPublic(x *Shared, w []uint64, wScale int, d Dims, publicLeft bool) *Shared {
	out := d.Batch * d.M * d.N
	scale := x.Scale + wScale
	if s.dealer() || s.failed() {
		return s.zeros(out, scale)
	}
	z := make([]uint64, out)
	mn, mk, kn := d.M*d.N, d.M*d.K, d.K*d.N
	for h := 0; h < d.Batch; h++ {
		if publicLeft {
			ring.MatMul(z[h*mn:(h+1)*mn], w[h*mk:(h+1)*mk], x.share[d.bOff(h):d.bOff(h)+kn], d.M, d.K, d.N)
		} else {
			ring.MatMul(z[h*mn:(h+1)*mn], x.share[h*mk:(h+1)*mk], w[d.bOff(h):d.bOff(h)+kn], d.M, d.K, d.N)
		}
	}
	return &Shared{N: out, Scale: scale, share: z}
}
