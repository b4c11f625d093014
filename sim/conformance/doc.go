// Package conformance checks that the simulator's Ours family prices the
// secure engine exactly: it runs both on the same models and requires
// rounds, bytes sent by each party and offline bytes to be equal, row by
// row (scope, operation, placement). It is a test-only package because
// sim must not import the engine it models.
package conformance
