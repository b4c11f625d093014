// Package proto holds the secure engine's two-party protocols with a
// dealer (2PC-Dealer): party-local functions over a counted transport and a
// stream of correlated randomness. They never open sockets and never reach
// globals; the secure engine (package mpc/secure) composes them into the
// operations of mpc.Engine.
//
// # Roles and sessions
//
// A Session is one role's side of a run: the Client (P0, holds the prompt,
// learns the output), the Server (P1, holds the fine-tuned weights) or the
// Dealer (trusted, input-independent: it sees no data). Every protocol is a
// method that all three roles call in the same order with the same shapes:
// the dealer's call produces the parties' correlated randomness (Material),
// the parties' calls consume it and exchange messages over
// Session.Conn. Because protocols are data-oblivious, the dealer can run
// ahead of the parties — operation by operation in one process (Queue), or
// as its own process streaming material over a link.
//
// # Values
//
// A Shared is one party's additive share of a vector over Z_2^64 and the
// scale (fractional bits) its value carries. Products leave their scale at
// the sum of their operands' (2f); the engine truncates when an operation
// needs scale f, so sums of products truncate once. Once a value is opened
// as x̂ = x + 2^62 + r (r a fresh dealer mask: a one-time pad), the opening
// stays attached and every later protocol that needs it — a comparison, a
// truncation, a Beaver product, a lookup's masked table — reuses it: x·x,
// ReLU(x)·y and the GeLU of x open x once. A truncated view (TruncView)
// keeps an opening valid modulo 2^(64−k), which comparisons and table
// indices of the truncated value use without a new round (SIGMA's
// truncate-reduce).
//
// # Protocols
//
// One file each; each function's comment states its functionality, its
// numbered steps, its rounds and bytes per party as a formula, and the
// paper it follows.
//
//	file          protocol                         rounds   online bytes / element / party
//	open.go       Open (masked opening)            1        8
//	reveal.go     Reveal                           1        8 (senders)
//	trunc.go      Trunc, TruncTo, TruncView        0 or 1   (the opening)
//	mul.go        Mul (Beaver, masks reused)       0 or 1   (the openings)
//	matmul.go     MatMul, MatMulPublic             0 or 1   (the openings)
//	weight.go     MatMulWeight, MulWeight          1 once   client: the activation, once
//	compare.go    Less (DCF, several thresholds)   0 or 1   (the opening)
//	selectbit.go  Select (selection, injection)    1        1 bit
//	lut.go        Lookup (one-time truth tables)   1        m bits (m-bit index)
//	activation.go ReLU, Segments (GeLU, SiLU,      2, 4     8 + 1/8; 16 + (3+m)/8
//	              tanh), Quad                      2        16
//	exp.go        NegExp                           5        ≈ 34.8
//	recip.go      ReciprocalHi, RsqrtHi            7, 9     per row
//	max.go        RowMax                           2·⌈log2 d⌉  8 + 1/8 per comparison
//	softmax.go    Softmax (exact, 2Quad, 2ReLU),   see file
//	              causal mask
//	norm.go       LayerNorm, RMSNorm               ≈ 16     ≈ 24 + per row
//	shared.go     local linear algebra (Add, Sub, AddPublic, MulPublic,
//	              Shift, Gather, Concat, Scatter, GroupSum, AddOwned)
//
// Comparisons are distributed comparison functions (package fss) on the
// opened value, as in SIGMA (ePrint 2023/1269) and Boyle et al. (ePrint
// 2020/1392); lookups are one-time truth tables (Ishai et al., TCC 2013),
// which send the same m bits online as SIGMA's DPF lookups and trade
// larger offline material for O(1) online work per element; products are
// Beaver triples with masked-value reuse; the server's weights enter
// through a dealer-assisted one-sided product whose online cost is one
// message of the activation's size, shared by all of the activation's
// products (Q, K and V).
//
// Costs are counted by the transport (rounds as causal depth: DESIGN §4)
// and by the Material (offline bytes per party), never by the protocols
// themselves. The simulator's Ours family (package sim) mirrors every
// protocol here step for step, and a conformance test holds the two equal.
//
// # By hand
//
// Local links a dealer and two parties in memory for running protocols by
// hand, in tests, notebooks or the REPL:
//
//	l, _ := proto.NewLocal(fxp.MustNew(fxp.Default()), "seed")
//	err := l.Run(func(s *proto.Session) {
//		x := s.Input(proto.Client, xs, n, 16)
//		y := s.Input(proto.Server, ys, n, 16)
//		l.Keep(s, "xy", s.Trunc(s.Mul(x, y, nil), 16))
//	})
//	v, scale, _ := l.Value("xy") // what a trusted observer would see
//	fmt.Println(l.Counters(), l.Rounds(), l.OfflineBytes())
//
// Calibrate times the protocols' kernels on this machine for the
// simulator's time estimates ("marill-sim calibrate").
package proto
