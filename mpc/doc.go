// Package mpc is the seam between a transformer and the ways of running
// it: the Engine interface, tensor visibility, the rule that decides who
// computes each operation, and the Report every engine returns. It has no
// cryptography and no I/O; the engines live in its subpackages (plain,
// and the secure and simulated engines) and in package sim.
//
// # Threat model
//
// Two parties: the client (P0) holds a private prompt, the server (P1) a
// model fine-tuned from public pretrained weights whose fine-tuned parts
// are private. The client must learn the output and nothing else; the
// server learns nothing. Adversaries are semi-honest. In the 2PC-Dealer
// setting a trusted, input-independent dealer hands out correlated
// randomness before the run.
//
// # Visibility and placement
//
// Every tensor has a Visibility: Public (architecture constants,
// pretrained weights), Client (the prompt, frozen layers' activations),
// Server (fine-tuned weights) or Shared (additively secret-shared). An
// operation's placement follows from its operands:
//
//	public × anything          local (OnPublic, OnClient, OnServer, OnShares)
//	plaintexts of one owner    that owner, in plaintext (OnClient, OnServer)
//	linear mixes (add, shape)  local on shares (OnShares), no messages
//	products and non-linear    Interactive: an MPC protocol
//	functions of secrets
//
// PlaceLocal, PlaceProduct, PlaceNonlinear and PlaceReveal implement the
// table, and the Infer functions derive each operation's result shape,
// visibility and placement from its operands. Every engine calls them, so
// a plain run, a secure run and a simulation agree on where each operation
// runs — which is how Marill's layer freezing (frozen layers stay Client)
// and LoRA (x·W_pub is OnShares) show up without any special casing.
//
// # Engines
//
// An Engine works at protocol granularity: Input, Embed, Share, Reveal,
// Add, Sub, Mul, MatMul, Scale, softmax, norms, activations, Exp,
// Reciprocal, Rsqrt, Max, and free shape operations. Fixed-point rescaling
// after a product happens inside the product. Engines keep the first
// error (a shape mismatch, a foreign tensor, a lost peer) and turn later
// operations into no-ops, so model code checks Err once and never panics.
// Shape errors name both shapes.
//
// # Reports and their definitions
//
// Engines record each operation under the current Scope ("block3/attn")
// in a Report: one Row per scope, op and placement with the operation
// count, output elements, multiply-accumulates and a Cost:
//
//   - Rounds: causal depth of message flights. Every frame carries a stamp
//     of 1 + the highest stamp its sender had received; a run's rounds are
//     the highest stamp. A simultaneous exchange is 1 round, a ping-pong 2,
//     back-to-back sends add nothing.
//   - Bytes: online payload bytes sent by the client (SentClient) and by
//     the server (SentServer); frame headers are not counted. Never one
//     unlabelled number.
//   - Offline: correlated randomness the dealer ships, or would ship when
//     parties expand it from seeds, to each party.
//   - Time: Measured (plain and secure engines) or Estimated (simulator:
//     compute + rounds × latency + bytes ÷ bandwidth); Report.TimeKind says
//     which. In-process runs have no network delay unless shaped.
//
// A Report prints as a text table (String, Summary), Markdown, HTML, CSV
// and JSON (schema on Report), and aggregates by layer (ByLayer), by
// operation (ByOp) or by any key (Group).
package mpc
