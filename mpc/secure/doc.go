// Package secure is the real two-party engine of Marill's 2PC-Dealer
// setting: the client and the server run the MPC part of a model by
// exchanging bytes, with a trusted, input-independent dealer supplying
// their correlated randomness. It implements mpc.Engine, so a model runs
// under MPC unchanged:
//
//	e := secure.MustNew()
//	defer e.Close()
//	logits, err := model.Forward(ctx, e, marill.Input{IDs: ids})
//	fmt.Println(e.Report()) // rounds, bytes per party, offline bytes, time
//
// # Who computes what
//
// Every operation is placed by the rules of package mpc from its operands'
// visibility: public and client-owned values are computed by their owner
// in the clear (frozen layers run on the client, which then shares the
// hidden state), a secret times a public value is local on shares (the
// LoRA base product x·W), and everything else is interactive, run by the
// protocols of package mpc/proto:
//
//	operation              protocol
//	secret × secret        Beaver products and matrix triples (Mul, MatMul)
//	secret × server weight MatMulWeight / MulWeight: one message of the
//	                       activation's size online, shared by Q, K and V
//	ReLU, max              DCF comparison + selection (Less, Select)
//	GeLU, SiLU, tanh       clipped piecewise-linear tables (Segments);
//	                       Quad and ReLU forms
//	exp                    NegExp (two-digit tables and a product)
//	reciprocal, rsqrt      ReciprocalHi, RsqrtHi (table + Newton)
//	softmax                exact (max, exp, reciprocal), 2Quad, 2ReLU;
//	                       causal masks compute only the lower triangle
//	layer norm, RMS norm   LayerNorm, RMSNorm (private γ by MulWeight)
//
// Values are fixed point in Z_2^64 with Options.Numerics (fxp.Default:
// 16 fractional bits); products stay at scale 2f until an operation needs
// them truncated, and every opening is reused by later protocols.
//
// # The in-process engine and separate parties
//
// Engine runs the three roles in one process: for each operation the
// dealer runs first (its material queued in memory, so a BERT-base run
// never holds more than one operation's keys), then the client and the
// server run concurrently on two goroutines linked by a buffered in-memory
// transport. Value returns what the client sees. Party is one role's
// engine on its own: three Parties given a link between the client and the
// server and a Material stream from the dealer run the same model in
// three processes (cmd/marill-party), with the same reports.
//
// # Reports
//
// Every operation is metered at the transport: rounds (the causal depth of
// message flights, DESIGN §4), online bytes sent by the client (P0) and by
// the server (P1), and offline bytes per party (the dealer's material,
// reported in full even where a party expands it from a seed, plus the
// server's masked weights the client receives before the run). Times are
// measured: Times splits online time (the parties' wall time less
// input-independent steps), offline party work and dealer time. The
// in-process run has no network delay; the simulator (package sim, family
// Ours) prices the same run on any network and agrees with these counts
// exactly.
//
// # Accuracy
//
// Engine implements mpc.Peeker: it can rebuild any value from both
// parties' shares without communication, which marill's MeasureAccuracy
// uses to put each layer's error against float64 and the fixed-point
// emulation into the Report. With the defaults, BERT-base at 128 tokens
// keeps its hidden states within 0.1% of float64 ("marill bench" prints
// the figures).
//
// # Failures
//
// A party that fails (a protocol error, a malformed message, a peer that
// hangs up or stays silent past Options.Timeout) records the error, closes
// its link so the peer stops at once, and returns the error from Forward.
// Nothing panics; a cancelled context stops a run between operations.
package secure
