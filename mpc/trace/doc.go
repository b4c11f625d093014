// Package trace is a shape-and-visibility engine: it checks every
// operation exactly as a real engine does (shapes, kinds, ownership),
// decides where it runs with the rules of package mpc, and records it,
// without touching a value. A Llama-2-7B forward pass at 2048 tokens
// traces in milliseconds because weights are never materialised.
//
// Marill's placement plans are traces (marill.Model.Plan). A cost model
// turns a trace into a priced report by passing Options.Price, which sees
// each operation (Op: scope, shapes, visibilities, placement, kinds) and
// returns its Cost; Options.Observe sees every operation including the
// free shape operations that reports omit.
package trace
