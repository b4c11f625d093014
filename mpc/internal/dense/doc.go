// Package dense computes every engine operation on float64 plaintexts. The
// plain engine and the secure engine's plaintext paths (the client's
// frozen layers, public constants) share it, so plaintext results are the
// same wherever they are computed. It also holds the index maps of the
// shape operations and broadcasts, which the secure engine applies to
// shares.
package dense
