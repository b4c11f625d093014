package proto

import (
	"fmt"

	"github.com/marill-go/marill/mpc/fss"
)

// cmpMat is a party's DCF keys and its XOR share of the mask's top bit.
type cmpMat struct {
	keys *fss.DCFKeys
	msb  []uint8
}

// Less compares ⌊x/2^k⌋ with public thresholds.
//
// Functionality: [x] ↦ for each threshold c_j, XOR shares of
// [⌊x/2^k⌋ < c_j], read as n-bit signed integers (|⌊x/2^k⌋ − c_j| < 2^(n−1)).
// k > 0 compares a truncated value (SIGMA's truncate-reduce), which needs
// fewer bits and no extra opening; ⌊·⌋ may be one unit high, as in Trunc.
//
//  1. Open x if needed: x̂ = x + 2^62 + r. Then v̂ = (⌊x̂/2^k⌋ − 2^(62−k))
//     mod 2^n equals v + r_n for v = ⌊x/2^k⌋ and r_n = ⌊r/2^k⌋ mod 2^n.
//  2. The dealer sends keys of a distributed comparison function (DCF) for
//     [z < r_n mod 2^(n−1)] on n−1 bits, and XOR shares of MSB(r_n).
//  3. For y = v − c_j, ŷ = v̂ − c_j is public and
//     MSB(y) = MSB(ŷ) ⊕ MSB(r_n) ⊕ [ŷ mod 2^(n−1) < r_n mod 2^(n−1)]:
//     each party evaluates its key at ŷ mod 2^(n−1) and XORs.
//
// Rounds: 0 if x is opened, else 1. Bytes per party: 8 per element for
// the opening (if needed). Offline per party: 16·n bytes of key plus one
// bit per element, shared by every threshold. Online compute: n−1 AES
// blocks per element and threshold. DCF of Boyle, Chandran, Gilboa,
// Gupta, Ishai, Kumar, Rathee (ePrint 2020/1392), with one-bit outputs;
// the MSB decomposition is their DReLU gate; several thresholds on one key
// is their interval-containment trick.
func (s *Session) Less(x *Shared, k, n int, cs []int64) [][]uint8 {
	if n < 2 || n > 64-k {
		s.fail(fmt.Errorf("proto: comparison width %d outside 2..%d", n, 64-k))
	}
	s.openFor(k+n, x)
	out := make([][]uint8, len(cs))
	for j := range out {
		out[j] = make([]uint8, x.N)
	}
	if s.failed() {
		return out
	}
	nMask := uint64(1)<<uint(n) - 1
	if n == 64 {
		nMask = ^uint64(0)
	}
	low := uint64(1)<<uint(n-1) - 1
	if s.dealer() {
		alphas := make([]uint64, x.N)
		msb := make([]uint8, x.N)
		for i, r := range x.mask {
			rn := r >> uint(k) & nMask
			alphas[i] = rn & low
			msb[i] = uint8(rn >> uint(n-1) & 1)
		}
		k0, k1, err := fss.GenDCF(s.prg, s.rnd, alphas, n-1)
		if err != nil {
			s.fail(err)
			return out
		}
		m0 := make([]uint8, x.N)
		for i := range m0 {
			m0[i] = uint8(s.rnd.Uint64() & 1)
		}
		m1 := make([]uint8, x.N)
		for i := range m1 {
			m1[i] = msb[i] ^ m0[i]
		}
		bits := (int64(x.N) + 7) / 8
		s.put(Client, cmpMat{k0, m0}, k0.Bytes()+bits)
		s.put(Server, cmpMat{k1, m1}, k1.Bytes()+bits)
		return out
	}
	m, ok := take[cmpMat](s)
	if !ok {
		return out
	}
	vhat := make([]uint64, x.N)
	off := Offset >> uint(k)
	for i, h := range x.hat {
		vhat[i] = (h>>uint(k) - off) & nMask
	}
	ys := make([]uint64, x.N)
	d := make([]uint8, x.N)
	for j, c := range cs {
		for i, v := range vhat {
			ys[i] = (v - uint64(c)) & nMask
		}
		lows := make([]uint64, x.N)
		for i, y := range ys {
			lows[i] = y & low
		}
		fss.EvalDCF(s.prg, int(s.Role), m.keys, lows, d)
		for i := range d {
			b := d[i] ^ m.msb[i]
			if s.Role == Client {
				b ^= uint8(ys[i] >> uint(n-1) & 1)
			}
			out[j][i] = b
		}
	}
	return out
}
