// Package plain is the reference engine: it computes every operation in
// the clear, with the visibility and placement rules of package mpc, so
// its Report shows where each operation would run, with counts and
// measured local times, and no communication.
//
// New gives float64 ground truth, using the definitions of package fn.
// NewFixed (or NewWith and Options.FixedPoint) emulates the secure
// engine's numerics: every shared value is a ring element computed with
// the functionalities of package fxp, while plaintext values (public
// weights, the client's frozen layers) stay float64, as they would in a
// real run. The difference between the two modes is the error of the
// fixed-point numerics alone; the difference between fixed-point mode and
// the secure engine should be nothing at all.
//
// Inputs are not copied; engines never modify them.
package plain
