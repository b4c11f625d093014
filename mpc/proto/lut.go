package proto

import (
	"fmt"

	"github.com/marill-go/marill/mpc/ring"
)

// Table is one output of a lookup: entry j is Values[j], or
// Values[j]·r_x[e] for element e when TimesMask is set (the dealer folds
// the mask of an opened x into the table so that a later product with x
// needs no opening: see GeLU).
type Table struct {
	Values    []uint64
	TimesMask *Shared
}

// lutMat is a party's share of the index masks and of the rotated tables:
// the server's tables in full, the client's as the key of a keystream
// (its shares are pseudorandom, so it reads the one entry it needs).
type lutMat struct {
	rl   []uint64 // share of the index mask
	tabs []uint64 // server: tables × N × 2^m shares, table- then element-major
	key  []byte   // client: the keystream of its shares, in the same order
}

// LookupReq asks for tables T_t (2^Bits entries each) at the secret index Idx.
type LookupReq struct {
	Idx    *Shared
	Bits   int
	Tables []Table
}

// Lookup evaluates public tables at secret indices, all requests in one
// round; out[q][t] is request q's table t.
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
// element and table. This is the one-time truth table of Ishai,
// Kushilevitz, Meldgaard, Orlandi, Paskin-Cherniavsky (TCC 2013): SIGMA's
// DPF lookups (ePrint 2023/1269) send the same m bits online with
// λ·m-bit keys but evaluate 2^m tree leaves per lookup; the truth table
// trades offline size for O(1) online work, which suits CPUs.
func (s *Session) Lookup(reqs ...LookupReq) [][]*Shared {
	out := make([][]*Shared, len(reqs))
	for q, rq := range reqs {
		out[q] = make([]*Shared, len(rq.Tables))
		for t := range out[q] {
			out[q][t] = s.zeros(rq.Idx.N, 0)
		}
		if rq.Bits < 1 || rq.Bits > 16 {
			s.fail(fmt.Errorf("proto: lookup index width %d outside 1..16", rq.Bits))
		}
		for _, t := range rq.Tables {
			if len(t.Values) != 1<<uint(rq.Bits) {
				s.fail(fmt.Errorf("proto: a %d-bit lookup needs %d entries, got %d", rq.Bits, 1<<uint(rq.Bits), len(t.Values)))
			}
			if t.TimesMask != nil && (t.TimesMask.N != rq.Idx.N || !t.TimesMask.Opened()) {
				s.fail(fmt.Errorf("proto: a masked table needs an opened value of the index's length"))
			}
		}
	}
	if s.failed() {
		return out
	}
	if s.dealer() {
		for _, rq := range reqs {
			s.dealLookup(rq)
		}
		return out
	}
	mats := make([]lutMat, len(reqs))
	total := 0
	for _, rq := range reqs {
		total += rq.Idx.N
	}
	mine := make([]uint64, 0, total)
	var widths []int
	for q, rq := range reqs {
		mt, ok := take[lutMat](s)
		if !ok {
			return out
		}
		mats[q] = mt
		mask := uint64(1)<<uint(rq.Bits) - 1
		for i, v := range rq.Idx.share {
			mine = append(mine, (v+mt.rl[i])&mask)
		}
		widths = append(widths, rq.Bits)
	}
	// One message: every request's masked indices at its own width.
	var msg []byte
	pos := 0
	for q, rq := range reqs {
		msg = ring.Pack(msg, mine[pos:pos+rq.Idx.N], widths[q])
		pos += rq.Idx.N
	}
	got := s.exchange(msg)
	if s.failed() {
		return out
	}
	pos = 0
	bytePos := 0
	for q, rq := range reqs {
		n := rq.Idx.N
		nb := ring.PackedLen(n, rq.Bits)
		if bytePos+nb > len(got) {
			s.fail(fmt.Errorf("proto: malformed lookup message from the peer"))
			return out
		}
		theirs := s.unpack(got[bytePos:bytePos+nb], n, rq.Bits)
		bytePos += nb
		size := 1 << uint(rq.Bits)
		mask := uint64(size - 1)
		for t := range rq.Tables {
			z := make([]uint64, n)
			base := t * n * size
			if s.Role == Client {
				ks := newKeystream(mats[q].key)
				for e := 0; e < n; e++ {
					z[e] = ks.word(uint64(base+e*size) + (mine[pos+e]+theirs[e])&mask)
				}
			} else {
				tab := mats[q].tabs[base:]
				for e := 0; e < n; e++ {
					z[e] = tab[e*size+int((mine[pos+e]+theirs[e])&mask)]
				}
			}
			out[q][t] = &Shared{N: n, share: z}
		}
		pos += n
	}
	if bytePos != len(got) {
		s.fail(fmt.Errorf("proto: malformed lookup message from the peer"))
	}
	return out
}

func (s *Session) dealLookup(rq LookupReq) {
	size := 1 << uint(rq.Bits)
	mask := uint64(size - 1)
	n := rq.Idx.N
	r := make([]uint64, n)
	for i := range r {
		r[i] = s.rnd.Uint64() & mask
	}
	r0, r1 := s.rnd.split(r)
	key := s.rnd.key()
	// The server's share of R_t[j] = T_t[j − r] is R_t[j] minus the client's
	// keystream word; each row is a rotation: two copies.
	tabs := make([]uint64, len(rq.Tables)*n*size)
	newKeystream(key).fill(tabs, 0)
	row := make([]uint64, size)
	for t, tab := range rq.Tables {
		for e := 0; e < n; e++ {
			re := int(r[e])
			copy(row[re:], tab.Values[:size-re])
			copy(row[:re], tab.Values[size-re:])
			if tab.TimesMask != nil {
				m := tab.TimesMask.mask[e]
				for j := range row {
					row[j] *= m
				}
			}
			dst := tabs[(t*n+e)*size : (t*n+e+1)*size]
			for j, v := range row {
				dst[j] = v - dst[j]
			}
		}
	}
	bytes := 8*int64(n) + int64(len(rq.Tables))*8*int64(n)*int64(size)
	s.put(Client, lutMat{rl: r0, key: key}, bytes)
	s.put(Server, lutMat{rl: r1, tabs: tabs}, bytes)
}
