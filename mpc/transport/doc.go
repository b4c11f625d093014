// Package transport carries framed messages between two parties and counts
// everything it carries. Protocols (mpc/proto) and the secure engine
// (mpc/secure) talk to a Conn and never see sockets; this package gives
// them an in-memory link for one process and a TCP/TLS link for parties on
// separate hosts, plus a shaper that makes either behave like a LAN or a
// WAN.
//
// # Conns
//
// A Conn sends and receives whole messages (frames) in order:
//
//	Send(p)   queues p and returns; it never waits for the peer to read,
//	          so "both parties send, then both receive" cannot deadlock.
//	Recv()    blocks until the next frame, the peer goes away
//	          (ErrPeerGone), the link times out (*TimeoutError), the
//	          context is cancelled, or this end is closed (ErrClosed).
//	Meter()   the endpoint's counters.
//	Close()   releases the link; frames already sent still reach the peer,
//	          whose Recv then returns ErrPeerGone.
//
// Every error this package returns starts with "transport:"; test for the
// sentinels with errors.Is and for timeouts with errors.As(err,
// new(*TimeoutError)).
//
// # Counting and rounds
//
// The Meter counts always; it cannot be turned off. Counters hold payload
// bytes sent and received (frame headers excluded) split into online and
// offline by the Meter's Phase, the number of frames each way, and the
// causal stamp. Rounds are defined as in DESIGN §4: every frame carries a
// stamp of 1 + the highest stamp its sender had received (through Recv)
// before sending, and a run's rounds are the highest stamp. A simultaneous
// exchange is one round, a ping-pong two, back-to-back sends add nothing.
// Offline frames (preprocessing) carry stamp 0 and add no rounds.
// Counters.Sub gives the traffic of a stretch of the run, with Stamp
// becoming the rounds it added.
//
// Stamps are fixed when the protocol calls Send and taken into account
// when it calls Recv, never when bytes happen to move, so every link in
// this package — Pipe, Stream, shaped or not — counts a given protocol
// identically, byte for byte and round for round. Control traffic (the
// handshake hello, keepalives) is not payload and never reaches the Meter;
// Stream.Wire counts it with the headers.
//
// # In-memory and stream conns
//
// Pipe returns the two ends of a buffered in-memory link: frames are
// copied and passed over channels. It is what tests and the in-process
// secure engine use.
//
// NewStream runs a Conn over any net.Conn (TCP, TLS, a Unix socket). Each
// frame has a FrameHeaderSize-byte header — a version byte, flags (offline,
// keepalive, hello), the payload length, the stamp and a per-direction
// sequence number — and its payload. A writer goroutine drains a send
// queue into a buffered writer and flushes whenever the queue empties; a
// reader goroutine decodes frames into a receive queue. Both queues are
// bounded by StreamOptions.MaxQueued (256 MiB by default): Send blocks
// beyond it, which is what lets a dealer stream tens of GiB of correlated
// randomness without holding it. MaxFrame (1 GiB by default) caps a
// single message; a longer length prefix is rejected before anything is
// allocated. A frame with a wrong version, unknown flags, an inconsistent
// stamp or an unexpected sequence number (replayed, lost, reordered) stops
// the stream with an error; nothing the peer sends can make it panic.
//
// # Liveness
//
// A Stream fails a Recv with a *TimeoutError only when not a single byte
// arrived from the peer for StreamOptions.IdleTimeout (5 s by default).
// Each end sends a keepalive frame after IdleTimeout/3 without other
// traffic, so a peer that is busy computing for minutes, or a slow peer
// whose bytes are still flowing, is never mistaken for a dead one, while a
// hung one is detected. A peer that closes or is killed gives ErrPeerGone
// as soon as the kernel reports the closed connection; frames it sent
// before are delivered first. Cancelling StreamOptions.Context closes the
// stream at once; Close flushes what was sent (waiting at most the idle
// timeout for the peer to take it), closes and waits for the stream's
// goroutines, and is idempotent.
//
// # TCP, TLS and the deployment PKI
//
// Listen and Dial connect parties over TCP with TLS 1.3 and mutual
// authentication: each party holds a pki.Identity (its role's certificate
// and key, and the deployment's CA) and names the role it expects at the
// other end ("client", "server", "dealer"). A certificate from another CA,
// or from the right CA for the wrong role, is refused with an error that
// says which; Dial also learns when the listener refused its own
// certificate. Dial retries until its context ends, so parties may start
// in any order. ListenInsecure and DialInsecure are plain TCP, for tests
// and benchmarks on one machine.
//
// Package pki makes a deployment: pki.WriteDeployment(dir, hosts) writes a
// fresh ECDSA P-256 CA certificate and a certificate and key per role as
// PEM files (keys mode 0600), and pki.LoadIdentity(dir, role) loads one.
//
// A typical party:
//
//	id, err := pki.LoadIdentity(dir, pki.Client)
//	nc, err := transport.Dial(ctx, "10.0.0.2:7000", id, pki.Server)
//	conn, err := transport.NewStream(nc, transport.StreamOptions{Context: ctx})
//	peer, err := transport.Handshake(ctx, conn, transport.Hello{
//		Version: "marill-go/1", Role: pki.Client, Run: transport.RunHash(description)}, pki.Server)
//	// conn is ready for proto.NewSession.
//
// # Handshake
//
// Right after connecting, both ends run Handshake: each sends a Hello (a
// protocol version string, its role, a hash of the public run description)
// and checks the peer's, refusing with an error that names every
// difference — version, run description, or unexpected role. Hellos travel
// as control frames and are not counted as payload.
//
// # Shaper
//
// Shape wraps a Conn so that its sends behave like a link with a one-way
// latency, a bandwidth and optional seeded jitter: a frame becomes visible
// to the peer no earlier than its send time plus queueing behind earlier
// frames (serialization at the bandwidth), plus the latency. Send stays
// non-blocking, frames keep their order and their stamps, and counting is
// unchanged. Shape both ends to shape both directions. It reproduces LAN
// and WAN runs on one machine without root; a ping-pong of k round trips
// at 10 ms one-way takes k×20 ms, 100 MiB at 1 Gbit/s about 0.84 s (see
// BenchmarkShaped for measured figures). On a real network, tc netem does
// the same in the kernel (see TestNetem).
package transport
