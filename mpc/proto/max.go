package proto

import "fmt"

// RowMax returns the maximum of each group of elements of x (groups[g]
// lists positions of x), one element per group, at x's scale (≥ f).
//
// Functionality: fxp's Max: a tree of pairwise comparisons, pairs (0,1),
// (2,3), ... at each level, an odd last element passing through;
// comparisons read ⌊(a−b)/2^(s−f)⌋ at CmpBits.
//
// Each level, for all groups at once:
//  1. d = a − b locally; open d (1 round).
//  2. [d < 0] by a DCF on the opening; max = b + d·[d ≥ 0] by a selection
//     (1 round).
//
// Rounds: 2·⌈log2(group size)⌉. Bytes per party per comparison:
// 8 + 1/8. Offline per party per comparison: about 16·CmpBits + 32 bytes.
// SIGMA's maxpool-style tree (ePrint 2023/1269) with the ReLU gate.
func (s *Session) RowMax(x *Shared, groups [][]int) *Shared {
	f := s.F.Params().FracBits
	if x.Scale < f {
		s.fail(fmt.Errorf("proto: max at scale %d below f = %d", x.Scale, f))
	}
	// cand[g] are positions in cur of group g's remaining candidates.
	cur := x
	cand := make([][]int, len(groups))
	for g, gr := range groups {
		cand[g] = append([]int(nil), gr...)
	}
	for {
		var as, bs, pass []int
		var next [][]int
		done := true
		for _, c := range cand {
			if len(c) > 1 {
				done = false
			}
		}
		if done || s.failed() {
			break
		}
		// New layout: all pair results first, then the pass-throughs.
		next = make([][]int, len(cand))
		for g, c := range cand {
			for i := 0; i+1 < len(c); i += 2 {
				next[g] = append(next[g], len(as))
				as, bs = append(as, c[i]), append(bs, c[i+1])
			}
		}
		for g, c := range cand {
			if len(c)%2 == 1 {
				next[g] = append(next[g], len(as)+len(pass))
				pass = append(pass, c[len(c)-1])
			}
		}
		a, b := s.Gather(cur, as), s.Gather(cur, bs)
		d := s.Sub(a, b, nil)
		s.Open(d)
		neg := s.Less(d, d.Scale-f, s.F.Params().CmpBits, []int64{0})[0]
		m := s.Add(b, s.Select(SelectReq{X: d, D: s.Not(neg)})[0], nil)
		cur = s.Concat(m, s.Gather(cur, pass))
		cand = next
	}
	pos := make([]int, len(groups))
	for g, c := range cand {
		if len(c) != 1 {
			s.fail(fmt.Errorf("proto: max over an empty group"))
			return s.zeros(len(groups), x.Scale)
		}
		pos[g] = c[0]
	}
	return s.Gather(cur, pos)
}
