package proto

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/marill-go/marill/mpc/fxp"
)

// Kernel names: the units in which the cost simulator (sim.Ours) counts
// the parties' online work. Calibrate measures seconds per unit of each on
// this machine.
const (
	// KernelRound is one message flight: a party sends and waits for its
	// peer (the fixed cost of a round on the in-memory link).
	KernelRound = "ours/round"
	// KernelOpen is one element opened: masked, packed, sent, added.
	KernelOpen = "ours/open"
	// KernelTrunc is one element truncated (the local part of Trunc).
	KernelTrunc = "ours/trunc"
	// KernelMul is one output element of a Beaver product (local part).
	KernelMul = "ours/mul"
	// KernelDCFBit is one DCF level: an element compared at n bits costs
	// n−1 units per threshold.
	KernelDCFBit = "ours/dcf-bit"
	// KernelSelect is one element selected or injected (local part).
	KernelSelect = "ours/select"
	// KernelLookup is one element looked up in one table (local part).
	KernelLookup = "ours/lookup"
	// KernelLocal is one element of a local linear operation on shares.
	KernelLocal = "ours/local"
	// KernelWeightMAC is one multiply-accumulate of the server's online
	// weight product (MatMulWeight; the client waits, so it may use every
	// core).
	KernelWeightMAC = "ours/weight-mac"
	// KernelBeaverMAC is one multiply-accumulate of a Beaver matrix
	// product of opened operands (the client's three local products).
	KernelBeaverMAC = "ours/beaver-mac"
	// KernelLocalMAC is one multiply-accumulate of a secret by a public
	// matrix, local on shares (both parties at once).
	KernelLocalMAC = "ours/local-mac"
)

// Kernels lists the kernel names Calibrate measures.
func Kernels() []string {
	return []string{KernelRound, KernelOpen, KernelTrunc, KernelMul, KernelDCFBit, KernelSelect, KernelLookup, KernelLocal,
		KernelWeightMAC, KernelBeaverMAC, KernelLocalMAC}
}

// Calibrate times the protocols' kernels on this machine with a dealer and
// two parties in memory (each party on its own goroutine, as the secure
// engine runs them) and returns seconds per unit of each kernel (see
// Kernels). Each figure is the best of three runs at n elements (lookups
// at n/8, their tables being large); a unit's time is the slower party's.
func Calibrate(ctx context.Context, f *fxp.Funcs, n int) (map[string]float64, error) {
	if f == nil {
		return nil, fmt.Errorf("proto: Calibrate needs fixed-point functions")
	}
	if n < 64 {
		return nil, fmt.Errorf("proto: Calibrate needs at least 64 elements, got %d", n)
	}
	p := f.Params()
	out := map[string]float64{}
	best := func(name string, units float64, body func(s *Session, step func(func()))) error {
		var fastest time.Duration
		for rep := 0; rep < 3; rep++ {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("proto: calibrate: %w", err)
			}
			l, err := NewLocal(f, fmt.Sprintf("calibrate %s %d", name, rep))
			if err != nil {
				return err
			}
			var mu sync.Mutex
			var slowest time.Duration
			err = l.RunContext(ctx, func(s *Session) {
				body(s, func(g func()) {
					start := time.Now()
					g()
					if s.Role == Dealer {
						return
					}
					d := time.Since(start)
					mu.Lock()
					slowest = max(slowest, d)
					mu.Unlock()
				})
			})
			l.Close()
			if err != nil {
				return fmt.Errorf("proto: calibrate %s: %w", name, err)
			}
			if rep == 0 || slowest < fastest {
				fastest = slowest
			}
		}
		out[name] = fastest.Seconds() / units
		return nil
	}
	in := func(s *Session, m int) *Shared {
		v := make([]uint64, m)
		for i := range v {
			v[i] = uint64(i*7919) << uint(p.FracBits-4)
		}
		return s.Input(Client, v, m, p.FracBits)
	}
	const flights = 200
	if err := best(KernelRound, flights, func(s *Session, step func(func())) {
		xs := make([]*Shared, flights)
		for i := range xs {
			xs[i] = in(s, 1)
		}
		step(func() {
			for _, x := range xs {
				s.Open(x)
			}
		})
	}); err != nil {
		return nil, err
	}
	round := out[KernelRound]
	minus := func(name string, units float64) {
		out[name] = max(out[name]-round/units, out[name]/10)
	}
	if err := best(KernelOpen, float64(n), func(s *Session, step func(func())) {
		x := in(s, n)
		step(func() { s.Open(x) })
	}); err != nil {
		return nil, err
	}
	minus(KernelOpen, float64(n))
	local := []struct {
		name  string
		units float64
		run   func(s *Session, x, y *Shared)
	}{
		{KernelTrunc, float64(n), func(s *Session, x, _ *Shared) { s.Trunc(x, p.FracBits) }},
		{KernelMul, float64(n), func(s *Session, x, y *Shared) { s.Mul(x, y, nil) }},
		{KernelDCFBit, float64(n * (p.CmpBits - 1)), func(s *Session, x, _ *Shared) { s.Less(x, 0, p.CmpBits, []int64{0}) }},
		{KernelLocal, float64(n), func(s *Session, x, y *Shared) { s.Add(x, y, nil) }},
	}
	for _, k := range local {
		if err := best(k.name, k.units, func(s *Session, step func(func())) {
			x, y := in(s, n), in(s, n)
			s.Open(x, y)
			step(func() { k.run(s, x, y) })
		}); err != nil {
			return nil, err
		}
	}
	if err := best(KernelSelect, float64(n), func(s *Session, step func(func())) {
		x := in(s, n)
		s.Open(x)
		d := make([]uint8, n)
		for i := range d {
			d[i] = uint8(i & 1)
		}
		step(func() { s.Select(SelectReq{X: x, D: d}) })
	}); err != nil {
		return nil, err
	}
	minus(KernelSelect, float64(n))
	const bits = 9 // between GeLU's 8-bit and the exponential's 10-bit tables
	m := max(n/8, 64)
	tab := make([]uint64, 1<<bits)
	for i := range tab {
		tab[i] = uint64(i) * 3
	}
	if err := best(KernelLookup, float64(m), func(s *Session, step func(func())) {
		idx := in(s, m)
		step(func() { s.Lookup(LookupReq{Idx: idx, Bits: bits, Tables: []Table{{Values: tab}}}) })
	}); err != nil {
		return nil, err
	}
	minus(KernelLookup, float64(m))

	// Matrix kernels at a transformer's shapes (n/1024 rows, 8 to 128, of
	// width 768; attention heads 64 wide; local products at the FFN's
	// 768 × 3072).
	rows := min(128, max(8, n/1024))
	const d, head = 768, 64
	w := make([]uint64, d*d)
	for i := range w {
		w[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	if err := bestWeight(ctx, f, rows, d, w, out); err != nil {
		return nil, err
	}
	if err := best(KernelBeaverMAC, float64(12*rows*head*rows), func(s *Session, step func(func())) {
		x, y := in(s, 12*rows*head), in(s, 12*head*rows)
		s.Open(x, y)
		step(func() { s.MatMul(x, y, Dims{Batch: 12, M: rows, K: head, N: rows}) })
	}); err != nil {
		return nil, err
	}
	// Local products are timed at the FFN's shape (d × 4d): the public
	// base weights of LoRA blocks are mostly FFN weights, too large for
	// the cache, and both parties stream them at once.
	ffn := make([]uint64, d*4*d)
	for i := range ffn {
		ffn[i] = uint64(i) * 0xbf58476d1ce4e5b9
	}
	if err := best(KernelLocalMAC, float64(rows*d*4*d), func(s *Session, step func(func())) {
		x := in(s, rows*d)
		step(func() {
			s.MatMulPublic(x, ffn, p.FracBits, Dims{Batch: 1, M: rows, K: d, N: 4 * d, BShared: true}, false)
		})
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// bestWeight times the server's online part of a weight product: the
// server's wall time for the step less its offline part (sending the
// masked weight and waiting for the client's preprocessing), best of
// three.
func bestWeight(ctx context.Context, f *fxp.Funcs, rows, d int, w []uint64, out map[string]float64) error {
	var fastest time.Duration
	for rep := 0; rep < 3; rep++ {
		l, err := NewLocal(f, fmt.Sprintf("calibrate weight %d", rep))
		if err != nil {
			return err
		}
		var mu sync.Mutex
		var server, serverOffline time.Duration
		err = l.RunContext(ctx, func(s *Session) {
			x := s.Input(Client, make([]uint64, rows*d), rows*d, f.Params().FracBits)
			off := s.OfflineTime()
			start := time.Now()
			s.MatMulWeight(x, w, f.Params().FracBits, d, d)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if s.Role == Server {
				server, serverOffline = took, s.OfflineTime()-off
			}
		})
		l.Close()
		if err != nil {
			return fmt.Errorf("proto: calibrate %s: %w", KernelWeightMAC, err)
		}
		t := max(server-serverOffline, server/10)
		if rep == 0 || t < fastest {
			fastest = t
		}
	}
	out[KernelWeightMAC] = fastest.Seconds() / float64(rows*d*d)
	return nil
}
