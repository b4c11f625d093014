package proto

import (
	"fmt"
	"runtime"

	"github.com/marill-go/marill/mpc/ring"
)

// weightClientMat is the client's material for one weight product: the
// activation mask A (only with the activation's first weight product) and
// its share C0 of A·B.
type weightClientMat struct{ a, c0 []uint64 }

// weightServerMat is the server's: the weight mask B and its share C1.
type weightServerMat struct{ b, c1 []uint64 }

// sent marks, on the client, an activation whose masked form the server
// already holds.
var sent = []uint64{}

// MatMulWeight multiplies a secret activation by the server's plaintext
// weight: [X]·W for X [rows, k] (rows = batch·m) and W [k, n] known only to
// the server, scale X.Scale + wScale.
//
// Functionality: [X], W (server) ↦ [X·W]; W never leaves the server in
// the clear.
//
//  1. Offline, the dealer sends the client A (a uniform mask of X's shape,
//     shared by all of X's weight products) and C0, and the server B (a
//     uniform mask of W's shape) and C1 = A·B − C0.
//  2. Offline, the server sends Ŵ = W + B; the client precomputes
//     Y0 = A·Ŵ − C0 and answers with an empty message. (Ŵ is a one-time
//     pad of W; in a deployment the exchange happens once per model,
//     before any prompt. The empty answer keeps the server's online
//     product from overlapping the client's preprocessing, so a run's
//     measured online time is what it would be after preprocessing.)
//  3. Online, the client sends U0 = X0 − A; the server forms U = U0 + X1 =
//     X − A (a one-time pad of X) and computes Y1 = U·W − C1. Then
//     Y0 + Y1 = A·W + A·B − C0 + (X − A)·W − A·B + C0 = X·W.
//
// Rounds: 1 for an activation's first weight product, 0 for the next ones
// (Q, K, V share one message). Bytes: client 8·rows·k once per activation;
// server 0. Offline: client 8·(rows·k once + rows·n), server 8·(k·n +
// rows·n), plus the server's masked weight 8·k·n received by the client.
// Online compute: one rows×k×n product on the server; the client's is
// offline. This is a dealer-assisted variant of the "one operand known to
// one party" products of Delphi/SecureML preprocessing.
func (s *Session) MatMulWeight(x *Shared, w []uint64, wScale, k, n int) *Shared {
	rows := x.N / k
	if rows*k != x.N || (s.Role == Server && len(w) != k*n) {
		s.fail(fmt.Errorf("proto: weight product of %d elements by a %d×%d weight", x.N, k, n))
	}
	// The peer waits for this product (the client has sent its message;
	// the server cannot start before it), so it may use every core.
	workers := runtime.GOMAXPROCS(0)
	return s.weightProduct(x, w, wScale, rows*n, k*n, func(dst, a, b []uint64) {
		ring.MatMulParallel(dst, a, b, rows, k, n, workers)
	})
}

// MulWeight multiplies elementwise by the server's plaintext vector w,
// repeated over rows: [X]∘w for X [rows, d], w [d]. Same protocol as
// MatMulWeight with ∘ for ·. Rounds and bytes as there with k = n = d.
func (s *Session) MulWeight(x *Shared, w []uint64, wScale, d int) *Shared {
	if x.N%d != 0 || (s.Role == Server && len(w) != d) {
		s.fail(fmt.Errorf("proto: weight product of %d elements by a %d-vector", x.N, d))
	}
	return s.weightProduct(x, w, wScale, x.N, d, func(dst, a, b []uint64) {
		for i := range dst {
			dst[i] = a[i] * b[i%d]
		}
	})
}

// weightProduct runs the protocol for a bilinear product `mul` of an
// activation (x.N elements) and a weight (wn elements) into out elements.
func (s *Session) weightProduct(x *Shared, w []uint64, wScale, out, wn int, mul func(dst, a, b []uint64)) *Shared {
	scale := x.Scale + wScale
	if s.failed() {
		return s.zeros(out, scale)
	}
	if s.dealer() {
		var a []uint64
		if x.wA == nil {
			x.wA = s.rnd.words(x.N)
			a = x.wA
		}
		b := s.rnd.words(wn)
		c := make([]uint64, out)
		mul(c, x.wA, b)
		c0, c1 := s.rnd.split(c)
		s.put(Client, weightClientMat{a, c0}, 8*int64(len(a)+out))
		s.put(Server, weightServerMat{b, c1}, 8*int64(wn+out))
		return s.zeros(out, scale)
	}
	y := make([]uint64, out)
	if s.Role == Client {
		m, ok := take[weightClientMat](s)
		if !ok {
			return s.zeros(out, scale)
		}
		if m.a != nil {
			x.wA = m.a
		}
		s.offlineStep(func() {
			what := s.unpack(s.recv(), wn, 64)
			mul(y, x.wA, what)
			ring.Sub(y, y, m.c0)
			s.send(nil) // preprocessed
		})
		if x.wU == nil {
			u0 := make([]uint64, x.N)
			ring.Sub(u0, x.share, x.wA)
			s.send(ring.Pack(nil, u0, 64))
			x.wU = sent
		}
		return &Shared{N: out, Scale: scale, share: y}
	}
	m, ok := take[weightServerMat](s)
	if !ok {
		return s.zeros(out, scale)
	}
	s.offlineStep(func() {
		what := make([]uint64, wn)
		ring.Add(what, w, m.b)
		s.send(ring.Pack(nil, what, 64))
		s.recv() // the client's preprocessing is done
	})
	if x.wU == nil {
		u := s.unpack(s.recv(), x.N, 64)
		ring.Add(u, u, x.share)
		x.wU = u
	}
	mul(y, x.wU, w)
	ring.Sub(y, y, m.c1)
	return &Shared{N: out, Scale: scale, share: y}
}
