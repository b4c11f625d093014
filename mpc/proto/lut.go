package proto

import "fmt"

// Table is one output of a lookup: entry j is Values[j], or
// Values[j]·r_x[e] for element e when TimesMask is set (the dealer folds
// the mask of an opened x into the table so that a later product with x
// needs no opening: see GeLU).
type Table struct {
	Values    []uint64
	TimesMask *Shared
}

// lutMat is a party's share of the index masks and of the rotated tables.
type lutMat struct {
	rl   []uint64   // share of the index mask
	tabs [][]uint64 // per table: N·2^m shares, element-major
}

// Lookup evaluates public tables at a secret index.
//
// Functionality: [i] (0 ≤ i < 2^m) ↦ [T_t[i]] for each table t.
//
//  1. The dealer samples a mask r ∈ Z_2^m per element and sends each party
//     a share of r and a share of every rotated table R_t[j] = T_t[j − r].
//  2. Each party sends (i_b + r_b) mod 2^m; both learn î = i + r mod 2^m.
//  3. Each party outputs its share of R_t[î] = T_t[i].
//
// Rounds: 1. Bytes per party: m bits per element, packed. Offline per
// party: 8 + 8·2^m per element and table. Online compute: one read per
// element and table. This is the one-time truth table of Ishai, Kushilevitz,
// Meldgaard, Orlandi, Paskin-Cherniavsky (TCC 2013): SIGMA's DPF lookups
// (ePrint 2023/1269) send the same m bits online with λ·m-bit keys but
// evaluate 2^m tree leaves per lookup; the truth table trades offline
// size for O(1) online work, which suits CPUs.
func (s *Session) Lookup(idx *Shared, m int, tables []Table) []*Shared {
	out := make([]*Shared, len(tables))
	for t := range out {
		out[t] = s.zeros(idx.N, 0)
	}
	if m < 1 || m > 16 {
		s.fail(fmt.Errorf("proto: lookup index width %d outside 1..16", m))
	}
	size := 1 << uint(m)
	for _, t := range tables {
		if len(t.Values) != size {
			s.fail(fmt.Errorf("proto: a %d-bit lookup needs %d entries, got %d", m, size, len(t.Values)))
		}
		if t.TimesMask != nil && (t.TimesMask.N != idx.N || !t.TimesMask.Opened()) {
			s.fail(fmt.Errorf("proto: a masked table needs an opened value of the index's length"))
		}
	}
	if s.failed() {
		return out
	}
	mask := uint64(size - 1)
	n := idx.N
	if s.dealer() {
		r := make([]uint64, n)
		for i := range r {
			r[i] = s.rnd.Uint64() & mask
		}
		r0, r1 := s.rnd.split(r)
		m0 := lutMat{rl: r0, tabs: make([][]uint64, len(tables))}
		m1 := lutMat{rl: r1, tabs: make([][]uint64, len(tables))}
		for t, tab := range tables {
			rot := make([]uint64, n*size)
			for e := 0; e < n; e++ {
				row := rot[e*size : (e+1)*size]
				for j := range row {
					v := tab.Values[(uint64(j)-r[e])&mask]
					if tab.TimesMask != nil {
						v *= tab.TimesMask.mask[e]
					}
					row[j] = v
				}
			}
			m0.tabs[t], m1.tabs[t] = s.rnd.split(rot)
		}
		bytes := 8*int64(n) + int64(len(tables))*8*int64(n)*int64(size)
		s.put(Client, m0, bytes)
		s.put(Server, m1, bytes)
		return out
	}
	mt, ok := take[lutMat](s)
	if !ok {
		return out
	}
	mine := make([]uint64, n)
	for i, v := range idx.share {
		mine[i] = (v + mt.rl[i]) & mask
	}
	theirs := s.exchangeWords(mine, m)
	if s.failed() {
		return out
	}
	for t := range tables {
		z := make([]uint64, n)
		for e := 0; e < n; e++ {
			z[e] = mt.tabs[t][e*size+int((mine[e]+theirs[e])&mask)]
		}
		out[t] = &Shared{N: n, share: z}
	}
	return out
}
