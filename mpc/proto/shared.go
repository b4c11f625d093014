package proto

import "fmt"

// Shared is one role's handle to a secret-shared vector of ring elements
// (tensors are flattened; shapes live in the engine). A party holds its
// additive share; the dealer holds no data, only what it generated: the
// masks of the openings it served. Once opened, the masked value x̂ stays
// attached and later protocols reuse it instead of opening again.
type Shared struct {
	N int
	// Scale is the number of fractional bits the value carries (f after a
	// truncation, 2f after a product).
	Scale int

	share []uint64 // party: my additive share

	hat    []uint64 // parties: x + Offset + r, public to both, once opened
	rShare []uint64 // parties: my share of r
	mask   []uint64 // dealer: r

	wA []uint64 // client and dealer: the mask A of weight products
	wU []uint64 // server: X − A, received once

	// mod, when non-zero, says the opening is valid modulo 2^mod only (a
	// truncated view, see TruncView): usable for comparisons, selections
	// and table indices of at most mod bits, not for products.
	mod int
}

// NewShared wraps a party's share (nil for the dealer, with n elements).
func NewShared(share []uint64, n, scale int) *Shared {
	if share != nil {
		n = len(share)
	}
	return &Shared{N: n, Scale: scale, share: share}
}

// Share returns the party's share (nil for the dealer).
func (x *Shared) Share() []uint64 { return x.share }

// Opened reports whether x has a masked opening valid in the whole ring.
func (x *Shared) Opened() bool { return (x.hat != nil || x.mask != nil) && x.mod == 0 }

// viewed reports whether x has an opening valid for values of `bits` bits.
func (x *Shared) viewed(bits int) bool {
	return (x.hat != nil || x.mask != nil) && (x.mod == 0 || bits <= x.mod)
}

// zeros returns a Shared of n elements with a zero share (dealer: no share).
func (s *Session) zeros(n, scale int) *Shared {
	if s.dealer() {
		return &Shared{N: n, Scale: scale}
	}
	return &Shared{N: n, Scale: scale, share: make([]uint64, n)}
}

// result wraps a party's share or the dealer's placeholder.
func (s *Session) result(share []uint64, n, scale int) *Shared {
	if s.dealer() || share == nil {
		return s.zeros(n, scale)
	}
	return &Shared{N: n, Scale: scale, share: share}
}

// Const is a public constant as a shared value: the client holds it, the
// server holds zero (a trivial sharing; no communication).
func (s *Session) Const(v []uint64, scale int) *Shared {
	if s.dealer() {
		return &Shared{N: len(v), Scale: scale}
	}
	out := make([]uint64, len(v))
	if s.Role == Client {
		copy(out, v)
	}
	return &Shared{N: len(v), Scale: scale, share: out}
}

// Input is a plaintext owned by one party as a shared value: the owner's
// share is the value, the other's zero. The later openings use fresh dealer
// masks, so the trivial sharing reveals nothing (no communication).
func (s *Session) Input(owner Role, v []uint64, n, scale int) *Shared {
	if s.dealer() {
		return &Shared{N: n, Scale: scale}
	}
	out := make([]uint64, n)
	if s.Role == owner {
		if len(v) != n {
			s.fail(fmt.Errorf("proto: input has %d values, want %d", len(v), n))
			return s.zeros(n, scale)
		}
		copy(out, v)
	}
	return &Shared{N: n, Scale: scale, share: out}
}

// Linear combination helpers: local on shares (the client adds public
// constants). They drop any attached opening: the new value has no mask.

// Add returns x + y (equal scales and lengths, or y broadcast by idx).
func (s *Session) Add(x, y *Shared, idx func(int) int) *Shared {
	return s.combine(x, y, idx, func(a, b uint64) uint64 { return a + b })
}

// Sub returns x − y.
func (s *Session) Sub(x, y *Shared, idx func(int) int) *Shared {
	return s.combine(x, y, idx, func(a, b uint64) uint64 { return a - b })
}

func (s *Session) combine(x, y *Shared, idx func(int) int, op func(a, b uint64) uint64) *Shared {
	if x.Scale != y.Scale {
		s.fail(fmt.Errorf("proto: combining values at scales %d and %d", x.Scale, y.Scale))
		return s.zeros(x.N, x.Scale)
	}
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale}
	}
	out := make([]uint64, x.N)
	for i := range out {
		j := i
		if idx != nil {
			j = idx(i)
		}
		out[i] = op(x.share[i], y.share[j])
	}
	return &Shared{N: x.N, Scale: x.Scale, share: out}
}

// AddPublic returns x + c (c at x's scale; the client adds it).
func (s *Session) AddPublic(x *Shared, c []uint64, idx func(int) int) *Shared {
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale}
	}
	out := append([]uint64(nil), x.share...)
	if s.Role == Client {
		for i := range out {
			j := i
			if idx != nil {
				j = idx(i)
			}
			out[i] += c[j]
		}
	}
	return &Shared{N: x.N, Scale: x.Scale, share: out}
}

// MulPublic returns c·x for public integers c (scale adds cScale).
func (s *Session) MulPublic(x *Shared, c []uint64, cScale int, idx func(int) int) *Shared {
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale + cScale}
	}
	out := make([]uint64, x.N)
	for i := range out {
		j := i
		if idx != nil {
			j = idx(i)
		}
		out[i] = x.share[i] * c[j]
	}
	return &Shared{N: x.N, Scale: x.Scale + cScale, share: out}
}

// Shift returns x·2^k (k ≥ 0), raising its scale by k: exact and local,
// used to align scales before adding.
func (s *Session) Shift(x *Shared, k int) *Shared {
	if k == 0 {
		return x
	}
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale + k}
	}
	out := make([]uint64, x.N)
	for i, v := range x.share {
		out[i] = v << uint(k)
	}
	return &Shared{N: x.N, Scale: x.Scale + k, share: out}
}

// Gather returns the elements at positions idx (a shape operation: local).
// The opening, if any, moves with the elements.
func (s *Session) Gather(x *Shared, idx []int) *Shared {
	out := &Shared{N: len(idx), Scale: x.Scale}
	pick := func(v []uint64) []uint64 {
		if v == nil {
			return nil
		}
		w := make([]uint64, len(idx))
		for i, j := range idx {
			w[i] = v[j]
		}
		return w
	}
	out.share = pick(x.share)
	out.hat = pick(x.hat)
	out.rShare = pick(x.rShare)
	out.mask = pick(x.mask)
	out.mod = x.mod
	return out
}

// Negate returns −x; negating the opening too would need −r, so it is
// dropped.
func (s *Session) Negate(x *Shared) *Shared {
	if s.dealer() {
		return &Shared{N: x.N, Scale: x.Scale}
	}
	out := make([]uint64, x.N)
	for i, v := range x.share {
		out[i] = -v
	}
	return &Shared{N: x.N, Scale: x.Scale, share: out}
}

// Concat joins values end to end (local; openings are dropped unless every
// part has one of the same kind).
func (s *Session) Concat(parts ...*Shared) *Shared {
	out := &Shared{}
	if len(parts) == 0 {
		return out
	}
	out.Scale, out.mod = parts[0].Scale, parts[0].mod
	keep := true
	for _, p := range parts {
		out.N += p.N
		if p.Scale != out.Scale {
			s.fail(fmt.Errorf("proto: concatenating values at scales %d and %d", out.Scale, p.Scale))
		}
		keep = keep && (p.hat != nil || p.mask != nil) && p.mod == out.mod
	}
	for _, p := range parts {
		out.share = append(out.share, p.share...)
		if keep {
			out.hat = append(out.hat, p.hat...)
			out.rShare = append(out.rShare, p.rShare...)
			out.mask = append(out.mask, p.mask...)
		}
	}
	if !keep {
		out.mod = 0
	}
	if s.dealer() {
		out.share = nil
	}
	return out
}

// Scatter places x's elements at positions pos of a zero vector of n
// elements (local).
func (s *Session) Scatter(x *Shared, pos []int, n int) *Shared {
	out := s.zeros(n, x.Scale)
	if !s.dealer() {
		for i, p := range pos {
			out.share[p] = x.share[i]
		}
	}
	return out
}

// withPublic returns x + c with x's opening kept: the opened value moves by
// the same public c (the mask is unchanged).
func (s *Session) withPublic(x *Shared, c uint64) *Shared {
	out := *x
	if !s.dealer() {
		out.share = append([]uint64(nil), x.share...)
		if s.Role == Client {
			for i := range out.share {
				out.share[i] += c
			}
		}
		if x.hat != nil {
			out.hat = make([]uint64, x.N)
			for i, h := range x.hat {
				out.hat[i] = h + c
			}
		}
	}
	return &out
}
