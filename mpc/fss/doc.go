// Package fss implements the function secret sharing the secure engine's
// comparisons are built on: a distributed comparison function (DCF) with
// one-bit outputs.
//
// # What a DCF is
//
// For a secret threshold α of n bits, GenDCF produces two keys k0, k1 such
// that for every public x, EvalDCF(k0, x) ⊕ EvalDCF(k1, x) = [x < α], while
// each key alone is pseudorandom: a party holding one key learns nothing
// about α. The dealer of 2PC-Dealer generates the keys (α is the mask of
// an opened value), the parties evaluate at the public masked value, and
// the XOR of their outputs is a comparison result neither of them sees
// (package proto's Less).
//
// # Construction
//
// The tree construction of Boyle, Chandran, Gilboa, Gupta, Ishai, Kumar
// and Rathee ("Function Secret Sharing for Mixed-Mode and Fixed-Point
// Secure Computation", ePrint 2020/1392), specialised to one output bit so
// the value correction words are single bits: each level expands a 128-bit
// seed into two children and a control bit, and a correction word per
// level keeps the parties' paths equal off the path to α. Key size: 16·(n+1)
// bytes plus one bit per key (Bytes); evaluation: n PRG calls per point.
//
// The PRG is fixed-key AES in Matyas–Meyer–Oseas mode with one key: the
// left child is π(s) ⊕ s and the right child π(s ⊕ 1) ⊕ (s ⊕ 1), so
// one AES key schedule serves the whole tree. On amd64 with AES-NI an
// assembly kernel encrypts blocks (about 1.5 ns each here); elsewhere the
// pure Go path uses crypto/aes. Keys are stored level-major so that a
// batch of evaluations walks memory in order: a 28-bit DCF evaluates in
// about 176 ns on this 2-core machine (go test -bench DCF ./mpc/fss).
//
// # Use
//
//	prg := fss.NewPRG()
//	k0, k1, err := fss.GenDCF(prg, rand.Reader, alphas, n) // dealer
//	fss.EvalDCF(prg, 0, k0, xs, out0)                      // party 0
//	fss.EvalDCF(prg, 1, k1, xs, out1)                      // party 1
//	// out0[i] ^ out1[i] == [xs[i] < alphas[i]]
//
// Each key set holds one key per threshold; EvalDCF evaluates key i at
// xs[i]. A PRG is not safe for concurrent use: give each goroutine its own.
package fss
