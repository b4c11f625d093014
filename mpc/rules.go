package mpc

import "fmt"

// The functions in this file are the single source of truth for shapes and
// for who computes what. Every engine calls them, so the plain, secure and
// simulated engines cannot disagree on where an operation runs.

// PlaceLocal gives the result visibility and placement of an operation that
// needs no interaction on any input (shape ops, addition, scaling by a
// public constant): secret-shared inputs stay shared and are handled on
// shares, plaintext inputs stay with their owner.
//
// Two plaintexts owned by different parties combine into a shared value
// without messages: each party's plaintext is its share.
func PlaceLocal(vs ...Visibility) (Visibility, Placement) {
	out := Public
	for _, v := range vs {
		out = joinVis(out, v)
	}
	return out, placeOf(out, false)
}

// PlaceProduct gives the result visibility and placement of a bilinear
// operation (elementwise or matrix product) of a and b. A public operand
// makes it local; two plaintexts of the same owner stay with that owner;
// anything else is an interactive secure product.
func PlaceProduct(a, b Visibility) (Visibility, Placement) {
	switch {
	case a == Public || b == Public:
		return PlaceLocal(a, b)
	case a == b && a != Shared:
		return a, placeOf(a, false)
	default:
		return Shared, Interactive
	}
}

// PlaceNonlinear gives the result visibility and placement of a non-linear
// function of the inputs (softmax, norms, activations, exp, ...): plaintext
// inputs of one owner stay with that owner, public stays public, and any
// secret input makes it an interactive protocol with a shared result.
func PlaceNonlinear(vs ...Visibility) (Visibility, Placement) {
	out := Public
	for _, v := range vs {
		out = joinVis(out, v)
	}
	if out == Shared {
		return Shared, Interactive
	}
	return out, placeOf(out, false)
}

// PlaceReveal gives the placement of revealing a value of visibility v to
// the party or parties named by to (Client, Server, or Public for both).
// It is an error to reveal to Shared.
func PlaceReveal(v, to Visibility) (Visibility, Placement, error) {
	if to == Shared {
		return 0, 0, fmt.Errorf("mpc: cannot reveal to %v; reveal to client, server or public", to)
	}
	switch {
	case v == Public || v == to:
		return v, placeOf(v, false), nil
	default:
		return to, Interactive, nil
	}
}

// PlaceShare gives the placement of turning a plaintext into a shared value.
// Sharing needs no message: the owner's share is x minus a pseudorandom
// value the other party derives from a seed they both hold.
func PlaceShare(v Visibility) (Visibility, Placement) {
	return Shared, OnShares
}

// joinVis is the visibility of a value computed from inputs of visibilities
// a and b.
func joinVis(a, b Visibility) Visibility {
	switch {
	case a == b:
		return a
	case a == Public:
		return b
	case b == Public:
		return a
	default:
		return Shared
	}
}

func placeOf(v Visibility, interactive bool) Placement {
	switch v {
	case Public:
		return OnPublic
	case Client:
		return OnClient
	case Server:
		return OnServer
	default:
		if interactive {
			return Interactive
		}
		return OnShares
	}
}

// BroadcastShape checks that b can be combined elementwise with a and
// returns the result shape (always a's). b must have a's shape, or a's
// trailing dimensions (a row vector repeated over rows and heads), or a's
// shape with the last dimension 1 (a column repeated over columns).
func BroadcastShape(a, b Shape) (Shape, error) {
	if a.Equal(b) {
		return a.Clone(), nil
	}
	if len(b) < len(a) && a[len(a)-len(b):].Equal(b) {
		return a.Clone(), nil
	}
	if len(b) == len(a) && b[len(b)-1] == 1 && a[:len(a)-1].Equal(b[:len(b)-1]) {
		return a.Clone(), nil
	}
	return nil, fmt.Errorf("mpc: shapes %v and %v do not broadcast (the second must equal the first, its trailing dimensions, or the first with last dimension 1)", a, b)
}

// MatMulShape checks a matrix product a·b and returns the result shape.
// a is [m,k] or [batch,m,k]; b is [k,n] (shared by every batch) or
// [batch,k,n].
func MatMulShape(a, b Shape) (Shape, error) {
	if len(a) < 2 || len(a) > 3 || len(b) < 2 || len(b) > 3 {
		return nil, fmt.Errorf("mpc: matmul needs rank-2 or rank-3 operands, got %v and %v", a, b)
	}
	if a.Cols() != b.Rows() {
		return nil, fmt.Errorf("mpc: matmul inner dimensions differ: %v · %v", a, b)
	}
	switch {
	case len(a) == 2 && len(b) == 2:
		return Shape{a[0], b[1]}, nil
	case len(a) == 3 && len(b) == 2:
		return Shape{a[0], a[1], b[1]}, nil
	case len(a) == 3 && len(b) == 3 && a[0] == b[0]:
		return Shape{a[0], a[1], b[2]}, nil
	default:
		return nil, fmt.Errorf("mpc: matmul batch dimensions differ: %v · %v", a, b)
	}
}

// MatMulMACs is the number of multiply-accumulates in a·b.
func MatMulMACs(a, b Shape) int64 {
	out, err := MatMulShape(a, b)
	if err != nil {
		return 0
	}
	return int64(out.Size()) * int64(a.Cols())
}

// TransposeShape swaps the last two dimensions.
func TransposeShape(a Shape) (Shape, error) {
	if len(a) < 2 {
		return nil, fmt.Errorf("mpc: transpose needs rank ≥ 2, got %v", a)
	}
	t := a.Clone()
	t[len(t)-1], t[len(t)-2] = t[len(t)-2], t[len(t)-1]
	return t, nil
}

// SplitHeadsShape maps [n, h·d] to [h, n, d].
func SplitHeadsShape(a Shape, heads int) (Shape, error) {
	if len(a) != 2 {
		return nil, fmt.Errorf("mpc: split heads needs a [rows, cols] matrix, got %v", a)
	}
	if heads < 1 || a[1]%heads != 0 {
		return nil, fmt.Errorf("mpc: %d heads do not divide %d columns", heads, a[1])
	}
	return Shape{heads, a[0], a[1] / heads}, nil
}

// MergeHeadsShape maps [h, n, d] to [n, h·d].
func MergeHeadsShape(a Shape) (Shape, error) {
	if len(a) != 3 {
		return nil, fmt.Errorf("mpc: merge heads needs a [heads, rows, cols] tensor, got %v", a)
	}
	return Shape{a[1], a[0] * a[2]}, nil
}

// RowsShape is the shape of rows [from, to) of a (along the second-to-last
// dimension).
func RowsShape(a Shape, from, to int) (Shape, error) {
	if len(a) < 2 {
		return nil, fmt.Errorf("mpc: row slice needs rank ≥ 2, got %v", a)
	}
	if from < 0 || to > a.Rows() || from >= to {
		return nil, fmt.Errorf("mpc: row range [%d, %d) is outside %v", from, to, a)
	}
	s := a.Clone()
	s[len(s)-2] = to - from
	return s, nil
}

// ReduceShape is a's shape with the last dimension reduced to 1 (row max,
// row sum).
func ReduceShape(a Shape) Shape {
	s := a.Clone()
	s[len(s)-1] = 1
	return s
}

// NormShapes checks the scale (and optional shift) vectors of a layer or RMS
// norm over the last dimension of x.
func NormShapes(x, gamma Shape, beta Shape) error {
	d := x.Cols()
	if !gamma.Equal(Shape{d}) {
		return fmt.Errorf("mpc: norm scale has shape %v, want [%d]", gamma, d)
	}
	if beta != nil && !beta.Equal(Shape{d}) {
		return fmt.Errorf("mpc: norm shift has shape %v, want [%d]", beta, d)
	}
	return nil
}

// SoftmaxShape checks a causal softmax input: the mask needs square score
// matrices (queries × keys).
func SoftmaxShape(a Shape, causal bool) error {
	if causal && a.Rows() != a.Cols() {
		return fmt.Errorf("mpc: causal softmax needs square score matrices, got %v", a)
	}
	return nil
}
