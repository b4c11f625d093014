// Package deploy runs the secure engine's three roles — the dealer, the
// server and the client — as separate parties, normally on three hosts,
// over TLS 1.3 links with mutual authentication. Command marill-party is
// a thin layer of flags over it; Go programs call it directly (see the
// Example: three roles in one process over loopback).
//
// # Topology
//
//	            dealer                the dealer listens (Options.Listen);
//	          ↙        ↘              both parties dial it (Options.Dealer)
//	 material            material
//	      ↙                  ↘
//	client ←── online link ──→ server  the server listens; the client
//	(prompt, output)     (private weights)  dials it (Options.Server)
//
// The dealer sees no data: it builds the model from shapes alone and
// streams each party's correlated randomness (proto.Sender/Receiver) as
// the operations need it, a bounded amount ahead of them (the links'
// backpressure). The server holds the fine-tuned weights; the client
// holds the prompt and alone learns the output.
//
// # The run description
//
// A Spec is the public description the three parties must share: the
// model (a preset, or a full marill.Config), the sequence length, the
// knobs, the public pretrained weights (a seed, or a checkpoint and its
// SHA-256), the fixed-point numerics, the protocol, the idle timeout, and
// whether the offline phase comes first (Preload). It is a small JSON
// file ("marill-party hash -describe" writes one) that can be copied to
// every host, because nothing private is in it: the server's weights
// (Weights), the client's prompt (Options.Input) and the dealer's seed
// (Options.DealerSeed, random unless given) are options of their role
// alone. Knobs.Seed and Knobs.Perturb, which draw private weights, are
// refused in a Spec.
//
// Resolve checks a Spec and derives its canonical public form (Public):
// the full config, the knobs written one way (freezing as the list of
// frozen blocks, default LoRA targets and scale filled in), the
// checkpoint's digest instead of its path. Right after connecting, each
// link runs transport.Handshake with the protocol version
// (ProtocolVersion) and the hash of that form; two parties whose hashes
// differ exchange their public forms and both stop with an error that
// gives both hashes and names every field that differs, e.g.
//
//	deploy: client: transport: handshake with the dealer refused: run description
//	differs (ours e3e0946d76d8…, the peer's 2e884a8449d3…); fields that differ:
//	knobs.merge_heads: ours 1, the peer's 2 (run hash ours e3e0…, the dealer's 2e88…)
//
// # The model at each party
//
// Every party builds the fine-tuned-shaped model from the public
// description (Resolved.PublicModel). The client's private weights are
// placeholders it never reads: the engine hands server-owned values to
// the server alone. The server's private weights come from a checkpoint
// written by marill's Model.Save or from a seed (Resolved.ServerModel).
// Its public weights always come from the pretrained weights, exactly as
// the client's do — both parties multiply their shares by them, so they
// must be bit-identical — and a checkpoint whose config or knobs differ
// from the description, or that was fine-tuned from other pretrained
// weights, is refused. Each party draws or reads the weights it may read
// before connecting, so the run's time does not include making them.
//
// # Connecting
//
// The dealer listens and waits for both parties; each party dials it
// (retrying until Options.Wait), then the server accepts the client.
// A party tells the dealer it is ready once it is connected to the other;
// the dealer says start once both are; each party says done when its
// part has finished, so the dealer returns only from a complete run.
// Until start every party watches its dealer link, so a party that fails
// to set up makes all three stop at once instead of waiting out
// Options.Wait.
//
// Links are TLS 1.3 with mutual authentication (Options.Identity, from
// pki.LoadIdentity): a peer must present a certificate from the same
// deployment naming the role expected at that end. A refused connection
// (another deployment's certificate, the wrong role) is logged and the
// listening party keeps waiting — a stray connection cannot end a
// deployment — while the refused party stops with the TLS error.
// Options.Insecure runs plain TCP for tests on one machine.
//
// # Shaping
//
// Options.Shaping emulates a network on the client–server link at the
// end that has it: each end delays what it sends, so give the same
// shaping to both ends to shape both directions (an asymmetric link gets
// two different ones). ParseShaping reads the simulator's network syntax,
// "100mbps/10ms" (latency one-way) or a preset, with an optional jitter
// bound: "100mbps/10ms/1ms". The dealer's links are not shaped. On real
// networks, or to shape the kernel's links, use tc netem (the transport
// package's TestNetem shows how, in network namespaces).
//
// # Failures
//
// Every error names the party that reports it and, when a link failed,
// the peer at its other end (LinkError): "the server went away mid-run"
// when the peer's process ended (its connection closed, seen at once),
// "the dealer sent nothing, not even a keepalive, for 5s: presumed dead"
// when the peer hung. Liveness is per byte (transport.StreamOptions
// IdleTimeout, the description's idle_timeout): a busy peer keeps sending
// keepalives and a slow link keeps delivering bytes, so neither is taken
// for a dead one. A failed party closes its links, so the others stop
// within the idle timeout at worst and at once when the kernel reports
// the closed connection. Options.StallAfter and StallFor pause a party
// mid-run for failure tests ("marill-party -stall-after N -stall D").
//
// # Reports
//
// Each party's Result carries its own view (secure.Party.Report): the
// rounds it saw, the bytes it sent and received, the offline bytes it
// received (the dealer's material as it took it, and the server's masked
// weights on the client), and its wall time per operation, network
// included. Merge joins the client's and the server's views into the
// report the in-process engine (secure.New with the same dealer seed:
// SeedBytes) gives for the same run, row for row in rounds and bytes; it
// checks the dealer's view, when given, against the parties' (the
// material the dealer sent each party is that party's offline bytes less
// what the other party sent it). Times are measured, so they differ.
//
// # Time against the simulator
//
// With Preload the parties receive all of the dealer's material first and
// start the online phase together, so Result.Run is the online time that
// sim.Simulate (family sim.NewOurs()) estimates. On one 2-core machine,
// three parties on loopback, the client–server link shaped at both ends
// (go test ./mpc/deploy -run '^$' -bench ShapedVsSimulator -benchtime 1x):
//
//	model, knobs                   network            rounds  measured  simulated: network only  calibrated  ratio
//	tiny-bert, freeze 1·LoRA 2·×2  10 ms, 100 Mbit/s      86   1.01 s    0.862 s                  0.864 s     1.17
//	tiny-gpt2, standard            10 ms, 100 Mbit/s     154   1.69 s    1.547 s                  1.553 s     1.09
//	tiny-bert, freeze 1·LoRA 2·×2   1 ms, 1 Gbit/s        86   0.113 s   0.086 s                  0.088 s     1.28
//	bert-base 1 block, 16 tokens,  10 ms, 100 Mbit/s      90   2.33 s    1.174 s                  1.423 s     1.64
//	  LoRA 8·merge ×4              40 ms, 100 Mbit/s      90   5.07 s    3.874 s                  4.123 s     1.23
//
// The ratio is measured over the calibrated estimate; the rounds are
// always the simulator's. (The bert-base rows need a fix in
// fss.ReadDCFKeys, whose size check refuses more than about 500
// comparison keys in one message.) Where rounds × latency dominates, the
// measured time is within 8–17% of the estimate. The rest is the
// parties' compute, which the simulator's calibrated profile
// underestimates for this engine (bert-base, one block, 16 tokens:
// 0.33–0.46 s online in process, 0.43–0.46 s between processes without
// shaping, against 0.13 s estimated), and the server's masked weights:
// offline bytes by the Report's definition, but sent over the
// client–server link during the run, so each costs a latency and its
// bytes' transfer time on the critical path. Each millisecond of latency
// adds 95–100 ms to tiny-bert's run of 86 rounds; bert-base's masked
// weights are 5.6 MB, 0.45 s at 100 Mbit/s.
package deploy
