package proto

import (
	"math/rand/v2"
	"testing"

	"github.com/marill-go/marill/mpc/ring"
)

// edgeValues are signed ring values that stress the protocols: zero,
// ±1, ±2^k boundaries and magnitudes near the comparison range.
func edgeValues(r *rand.Rand, n int, bound int64) []uint64 {
	base := []int64{0, 1, -1, 2, -2, 1 << 16, -(1 << 16), bound - 1, -bound, bound / 2, -bound / 2, 12345, -12345}
	v := make([]uint64, n)
	for i := range v {
		if i < len(base) {
			v[i] = uint64(base[i])
		} else {
			v[i] = uint64(r.Int64N(2*bound) - bound)
		}
	}
	return v
}

func TestOpenAndTrunc(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "trunc")
	r := rand.New(rand.NewPCG(1, 1))
	x := edgeValues(r, 2000, 1<<50)
	var got collector
	ss.run(t, func(s *Session) {
		sx := input(s, x, 32, 7)
		got.add(s, s.Trunc(sx, 16))
	})
	v := got.value()
	for i, xi := range x {
		want := int64(xi) >> 16 // floor
		d := int64(v[i]) - want
		if d != 0 && d != 1 {
			t.Fatalf("Trunc(%d, 16) = %d, want %d or %d", int64(xi), int64(v[i]), want, want+1)
		}
	}
	if ss.rounds() != 1 {
		t.Errorf("trunc took %d rounds, want 1", ss.rounds())
	}
	c, sv := ss.sent()
	if c != 8*2000 || sv != 8*2000 {
		t.Errorf("trunc sent %d/%d bytes, want 16000 each", c, sv)
	}
	if b := ss.mat.Bytes(Client); b != 24*2000 {
		t.Errorf("offline bytes to the client %d, want 24 per element", b)
	}
}

// TestTruncIsUnbiased checks that the stochastic rounding averages out.
func TestTruncIsUnbiased(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "bias")
	const n = 20000
	x := make([]uint64, n)
	for i := range x {
		x[i] = 3 // 3/16 = 0.1875 per element
	}
	var got collector
	ss.run(t, func(s *Session) { got.add(s, s.Trunc(input(s, x, 4, 3), 4)) })
	sum := 0
	for _, v := range got.value() {
		sum += int(v)
	}
	if mean := float64(sum) / n; mean < 0.17 || mean > 0.205 {
		t.Errorf("mean of stochastic ⌊3/16⌉ = %g, want ≈ 0.1875", mean)
	}
}

func TestMulAndMatMul(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "mul")
	r := rand.New(rand.NewPCG(2, 2))
	x := edgeValues(r, 300, 1<<30)
	y := edgeValues(r, 300, 1<<30)
	row := edgeValues(r, 3, 1<<30)
	const b, m, k, n = 2, 5, 6, 10 // x as [2,5,6] (60 elems), y as [6,10]
	var prod, sq, bc, mm collector
	ss.run(t, func(s *Session) {
		sx, sy := input(s, x, 0, 3), input(s, y, 0, 4)
		prod.add(s, s.Mul(sx, sy, nil))
		sq.add(s, s.Mul(sx, sx, nil))
		sr := input(s, row, 0, 5)
		bc.add(s, s.Mul(sx, sr, func(i int) int { return i % 3 }))
		a := input(s, x[:b*m*k], 0, 6)
		w := input(s, y[:k*n], 0, 8)
		mm.add(s, s.MatMul(a, w, Dims{Batch: b, M: m, K: k, N: n, BShared: true}))
	})
	for i := range x {
		if got, want := prod.value()[i], x[i]*y[i]; got != want {
			t.Fatalf("mul %d: got %d, want %d", i, int64(got), int64(want))
		}
		if got, want := sq.value()[i], x[i]*x[i]; got != want {
			t.Fatalf("square %d: got %d, want %d", i, int64(got), int64(want))
		}
		if got, want := bc.value()[i], x[i]*row[i%3]; got != want {
			t.Fatalf("broadcast mul %d", i)
		}
	}
	want := make([]uint64, b*m*n)
	for h := 0; h < b; h++ {
		ring.MatMul(want[h*m*n:(h+1)*m*n], x[h*m*k:(h+1)*m*k], y[:k*n], m, k, n)
	}
	for i, v := range mm.value() {
		if v != want[i] {
			t.Fatalf("matmul %d: got %d, want %d", i, int64(v), int64(want[i]))
		}
	}
	// x and y were each opened once: the square and the broadcast reuse them.
	if ss.rounds() != 3 {
		t.Errorf("%d rounds, want 3 (x,y; the row; a and w)", ss.rounds())
	}
}

func TestWeightProducts(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "weight")
	r := rand.New(rand.NewPCG(3, 3))
	const rows, k, n = 7, 9, 5
	x := edgeValues(r, rows*k, 1<<30)
	w1 := edgeValues(r, k*n, 1<<20)
	w2 := edgeValues(r, k*n, 1<<20)
	g := edgeValues(r, k, 1<<20)
	var y1, y2, yg collector
	ss.run(t, func(s *Session) {
		sx := input(s, x, 0, 11)
		var a, b, c []uint64
		if s.Role == Server {
			a, b, c = w1, w2, g
		}
		y1.add(s, s.MatMulWeight(sx, a, 0, k, n))
		y2.add(s, s.MatMulWeight(sx, b, 0, k, n))
		yg.add(s, s.MulWeight(sx, c, 0, k))
	})
	want := make([]uint64, rows*n)
	ring.MatMul(want, x, w1, rows, k, n)
	for i, v := range y1.value() {
		if v != want[i] {
			t.Fatalf("X·W1 %d", i)
		}
	}
	ring.MatMul(want, x, w2, rows, k, n)
	for i, v := range y2.value() {
		if v != want[i] {
			t.Fatalf("X·W2 %d", i)
		}
	}
	for i, v := range yg.value() {
		if v != x[i]*g[i%k] {
			t.Fatalf("X∘g %d", i)
		}
	}
	// One online message, from the client, for all three products.
	c, sv := ss.sent()
	if ss.rounds() != 1 || c != 8*rows*k || sv != 0 {
		t.Errorf("weight products: %d rounds, client sent %d, server %d; want 1, %d, 0", ss.rounds(), c, sv, 8*rows*k)
	}
	off := ss.conns[0].Meter().Snapshot().ReceivedOffline
	if off != 8*(2*k*n+k) {
		t.Errorf("the client received %d bytes of masked weights, want %d", off, 8*(2*k*n+k))
	}
}

func TestLess(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "less")
	r := rand.New(rand.NewPCG(4, 4))
	const n = 28
	x := edgeValues(r, 3000, 1<<26) // values at the comparison's scale
	cs := []int64{0, 5, -(1 << 20)}
	var got [3]collector
	var trunc collector
	ss.run(t, func(s *Session) {
		sx := input(s, x, 0, 13)
		out := s.Less(sx, 0, n, cs)
		for j := range cs {
			got[j].addBits(s, out[j])
		}
		// A truncated comparison of the same opening: ⌊x/2^6⌋ < 0.
		trunc.addBits(s, s.Less(sx, 6, n-6, []int64{0})[0])
	})
	for j, c := range cs {
		b := got[j].bitValue()
		for i, xi := range x {
			want := uint8(0)
			if int64(xi) < c {
				want = 1
			}
			if b[i] != want {
				t.Fatalf("[%d < %d] = %d, want %d", int64(xi), c, b[i], want)
			}
		}
	}
	tb := trunc.bitValue()
	for i, xi := range x {
		want := uint8(0)
		if int64(xi) < 0 {
			want = 1
		}
		// ⌊x/64⌋ may be one unit high: only x ∈ [−64, 0) may differ.
		if tb[i] != want && !(int64(xi) >= -64 && int64(xi) < 0) {
			t.Fatalf("truncated [⌊%d/64⌋ < 0] = %d", int64(xi), tb[i])
		}
	}
	if ss.rounds() != 1 {
		t.Errorf("comparisons took %d rounds, want 1 (the opening)", ss.rounds())
	}
}

func TestSelectAndBits(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "select")
	r := rand.New(rand.NewPCG(5, 5))
	x := edgeValues(r, 500, 1<<40)
	var sel, bits collector
	ss.run(t, func(s *Session) {
		sx := input(s, x, 0, 17)
		d := s.Less(sx, 0, 48, []int64{0})[0] // d = [x < 0]
		out := s.Select(SelectReq{X: sx, D: d}, SelectReq{D: d})
		sel.add(s, out[0])
		bits.add(s, out[1])
	})
	for i, xi := range x {
		neg := int64(xi) < 0
		want := uint64(0)
		if neg {
			want = xi
		}
		if sel.value()[i] != want {
			t.Fatalf("select %d: got %d, want %d", int64(xi), int64(sel.value()[i]), int64(want))
		}
		wb := uint64(0)
		if neg {
			wb = 1
		}
		if bits.value()[i] != wb {
			t.Fatalf("bit injection of [%d < 0] = %d", int64(xi), bits.value()[i])
		}
	}
	c, _ := ss.sent()
	if want := int64(8*500 + (2*500+7)/8); c != want {
		t.Errorf("client sent %d bytes, want %d (opening + one bit per selection)", c, want)
	}
	if ss.rounds() != 2 {
		t.Errorf("%d rounds, want 2", ss.rounds())
	}
}

func TestLookupAndReveal(t *testing.T) {
	f := defaultFuncs(t)
	ss := newSessions(t, f, "lut")
	const m = 5
	tab := make([]uint64, 1<<m)
	for j := range tab {
		tab[j] = uint64(j*j + 7)
	}
	r := rand.New(rand.NewPCG(6, 6))
	idx := make([]uint64, 400)
	for i := range idx {
		idx[i] = uint64(r.IntN(1 << m))
	}
	x := edgeValues(r, 400, 1<<30)
	var plainOut, masked collector
	var revealed [2][]uint64
	ss.run(t, func(s *Session) {
		si := input(s, idx, 0, 19)
		sx := input(s, x, 0, 23)
		s.Open(sx)
		out := s.Lookup(LookupReq{Idx: si, Bits: m, Tables: []Table{{Values: tab}, {Values: tab, TimesMask: sx}}})[0]
		plainOut.add(s, out[0])
		// T[i]·x = x̂'·T[i] − T[i]·r_x, local given the masked table.
		if s.Role != Dealer {
			z := make([]uint64, sx.N)
			for e := range z {
				z[e] = public(sx, e)*out[0].share[e] - out[1].share[e]
			}
			masked.add(s, &Shared{N: sx.N, share: z})
		}
		v := s.Reveal(out[0], true, false)
		if s.Role != Dealer {
			revealed[s.Role] = v
		}
	})
	for i := range idx {
		want := tab[idx[i]]
		if plainOut.value()[i] != want || revealed[0][i] != want {
			t.Fatalf("T[%d] = %d (revealed %d), want %d", idx[i], plainOut.value()[i], revealed[0][i], want)
		}
		if masked.value()[i] != want*x[i] {
			t.Fatalf("T[i]·x via the masked table: %d, want %d", int64(masked.value()[i]), int64(want*x[i]))
		}
	}
	if revealed[1] != nil {
		t.Errorf("revealing to the client must leave the server with nothing")
	}
	c, sv := ss.sent()
	// opening x (8 B), the index (5 bits packed), the server's reveal (8 B).
	if c != 8*400+(5*400+7)/8 || sv != 8*400+(5*400+7)/8+8*400 {
		t.Errorf("bytes sent %d/%d", c, sv)
	}
}
