package proto

import (
	"slices"

	"github.com/marill-go/marill/mpc/ring"
)

// openMat is a party's share of the masks of one opening.
type openMat struct{ r []uint64 }

// Open attaches a masked opening to each value that lacks one, in a single
// round.
//
// Functionality: given [x], both parties learn x̂ = x + Offset + r for a
// fresh uniform mask r known only to the dealer; each keeps its share of r.
//
//  1. The dealer samples r ∈ Z_2^64 per element and sends each party an
//     additive share of it.
//  2. Each party sends x_b + r_b (the client also adds Offset).
//  3. Both add the two messages.
//
// Rounds: 1. Bytes per party: 8 per element. Offline per party: 8 per
// element. x̂ is a one-time pad of x, so neither party learns anything;
// later protocols reuse x̂ (masked-value evaluation, as in SIGMA,
// ePrint 2023/1269, and Boyle et al., ePrint 2020/1392).
func (s *Session) Open(xs ...*Shared) { s.openFor(64, xs...) }

// openFor opens, in one round, every value whose opening (if any) is not
// valid for `bits`-bit use; a truncated view is replaced by a full opening.
func (s *Session) openFor(bits int, xs ...*Shared) {
	var todo []*Shared
	for _, x := range xs {
		if !x.viewed(bits) && !slices.Contains(todo, x) { // x·x opens x once
			x.hat, x.rShare, x.mask, x.mod = nil, nil, nil, 0
			todo = append(todo, x)
		}
	}
	if len(todo) == 0 || s.failed() {
		return
	}
	if s.dealer() {
		for _, x := range todo {
			r := s.rnd.words(x.N)
			r0, r1 := s.rnd.split(r)
			s.put(Client, openMat{r0}, 8*int64(x.N))
			s.put(Server, openMat{r1}, 8*int64(x.N))
			x.mask = r
		}
		return
	}
	total := 0
	for _, x := range todo {
		total += x.N
	}
	mine := make([]uint64, total)
	off := 0
	for _, x := range todo {
		m, ok := take[openMat](s)
		if !ok {
			return
		}
		x.rShare = m.r
		w := mine[off : off+x.N]
		ring.Add(w, x.share, m.r)
		if s.Role == Client {
			for i := range w {
				w[i] += Offset
			}
		}
		off += x.N
	}
	theirs := s.exchangeWords(mine, 64)
	if s.failed() {
		return
	}
	off = 0
	for _, x := range todo {
		x.hat = make([]uint64, x.N)
		ring.Add(x.hat, mine[off:off+x.N], theirs[off:off+x.N])
		off += x.N
	}
}

// public returns x̂ − Offset = x + r, the masked value without the offset.
func public(x *Shared, i int) uint64 { return x.hat[i] - Offset }
