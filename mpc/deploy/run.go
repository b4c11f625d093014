package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/secure"
	"github.com/marill-go/marill/mpc/transport"
	"github.com/marill-go/marill/mpc/transport/pki"
)

// DefaultWait is how long a party waits for its peers to connect.
const DefaultWait = 2 * time.Minute

// Options configure one party's run: how it reaches the others, and the
// private input of its role. Fields name the roles that use them.
type Options struct {
	// Identity is this party's certificate, key and deployment CA
	// (pki.LoadIdentity). Links are TLS 1.3 with mutual authentication:
	// a peer must present a certificate of the same deployment naming
	// the role expected at that end.
	Identity *pki.Identity
	// Insecure runs the links over plain TCP: no encryption, no
	// authentication, the secrets' masked values readable by anyone on
	// the path. For tests and demos on one machine only; Identity must
	// then be nil.
	Insecure bool

	// Listen is the address to listen on (host:port; port 0 picks one,
	// see Listening): the dealer's for both parties, the server's for
	// the client.
	Listen string
	// Dealer is the dealer's address (client, server).
	Dealer string
	// Server is the server's address (client).
	Server string
	// Wait bounds connecting: dialling, accepting and the handshakes
	// (0: DefaultWait). Parties may start in any order within it.
	Wait time.Duration
	// Listening, if set, is called with the bound address once the
	// party listens (dealer, server).
	Listening func(net.Addr)
	// Log receives progress lines and refused connections (nil: none).
	Log io.Writer

	// Shaping emulates a network on the client–server link (client,
	// server): each end delays what it sends, so shape both ends to
	// shape both directions. The zero value leaves the link as it is.
	Shaping transport.Shaping

	// DealerSeed seeds the dealer's randomness (dealer). nil draws a
	// fresh 32-byte seed from crypto/rand, as a deployment should; a
	// fixed seed reproduces a run bit for bit: SeedBytes(s) is the seed
	// secure.New(secure.Options{Seed: s}) uses in process.
	DealerSeed []byte
	// Weights are the server's private weights (server).
	Weights Weights
	// Input is the client's prompt (client): exactly the description's
	// sequence length of token ids.
	Input marill.Input

	// StallAfter and StallFor are a fault-injection hook for tests: after
	// StallAfter messages on its main link (the dealer's material, the
	// parties' link to each other), the party stops for StallFor, alive
	// (keepalives flow) but silent, as a busy or stopped process would
	// be. 0 disables it.
	StallAfter int
	StallFor   time.Duration
}

// Result is what one party's run produced.
type Result struct {
	// Role is "client", "server" or "dealer".
	Role string
	// Report is this party's own view of the run (secure.Party.Report):
	// Merge joins the client's and the server's (and checks the
	// dealer's) into the report the in-process engine gives.
	Report *mpc.Report
	// Output is the client's output (next-token or class logits).
	Output *mpc.Dense
	// Hash is the run description's hash, in hex.
	Hash string
	// Setup is the time spent building the model, connecting and
	// handshaking; Offline, with Spec.Preload, the time to receive all
	// of the dealer's material (the dealer: to make and send it); Run
	// the time of this party's part of the computation after that
	// (with Preload: the online phase alone).
	Setup, Offline, Run time.Duration
	// Wire counts everything this party put on and took off its links,
	// headers and control frames included: for the parties, the link to
	// each other; for the dealer, both links to the parties.
	Wire transport.WireStats
}

// SeedBytes returns the dealer seed the in-process engine derives from a
// numeric seed (secure.Options.Seed): its 8 little-endian bytes. A
// distributed run with DealerSeed SeedBytes(s) computes exactly what
// secure.New(secure.Options{Seed: s}) computes.
func SeedBytes(seed uint64) []byte { return binary.LittleEndian.AppendUint64(nil, seed) }

// Control messages between the dealer and the parties (payload frames on
// the dealer's links, outside the material stream): each party says ready
// once it is connected to the other, the dealer says start once both are
// ready, and each party says done when its part of the run has finished,
// so the dealer knows the run succeeded. Until start, every party reads
// its dealer link, so a party that fails to set up makes all three stop.
//
// With Spec.Preload the dealer marks the end of the material, each party
// reads it all and says preloaded, and the dealer says go once both have.
var (
	msgReady     = []byte("marill-go/ready")
	msgStart     = []byte("marill-go/start")
	msgDone      = []byte("marill-go/done")
	msgEnd       = []byte("marill-go/material-end")
	msgPreloaded = []byte("marill-go/preloaded")
	msgGo        = []byte("marill-go/go")
)

// LinkError is a failure of the link to one peer: it went away
// (transport.ErrPeerGone), stayed silent past the idle timeout
// (*transport.TimeoutError) or sent something malformed.
type LinkError struct {
	// Peer is the role at the other end.
	Peer string
	Err  error
}

func (e *LinkError) Error() string { return "link to the " + e.Peer + ": " + e.Err.Error() }

// Unwrap returns the transport's error.
func (e *LinkError) Unwrap() error { return e.Err }

// peerConn names its peer in the errors of its link.
type peerConn struct {
	transport.Conn
	peer string
}

func (c *peerConn) Send(p []byte) error {
	if err := c.Conn.Send(p); err != nil {
		return &LinkError{Peer: c.peer, Err: err}
	}
	return nil
}

func (c *peerConn) Recv() ([]byte, error) {
	p, err := c.Conn.Recv()
	if err != nil {
		return nil, &LinkError{Peer: c.peer, Err: err}
	}
	return p, nil
}

// stall is the fault-injection hook of Options.StallAfter: the party
// pauses once, before its StallAfter+1-th message on its main links.
type stall struct {
	ctx   context.Context
	mu    sync.Mutex
	left  int
	pause time.Duration
	log   func()
}

func (s *stall) before() {
	s.mu.Lock()
	s.left--
	now := s.left == -1
	s.mu.Unlock()
	if now {
		s.log()
		t := time.NewTimer(s.pause)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
		}
	}
}

// stallConn runs the stall hook before each send.
type stallConn struct {
	transport.Conn
	s *stall
}

func (c *stallConn) Send(p []byte) error {
	c.s.before()
	return c.Conn.Send(p)
}

// party is one role's run in progress.
type party struct {
	role  string
	spec  *Resolved
	opts  Options
	ctx   context.Context
	start time.Time

	mu    sync.Mutex
	links []transport.Conn // closed when the run ends
	stall *stall           // the test hook, or nil
}

func newParty(ctx context.Context, role string, spec Spec, opts Options) (*party, error) {
	r, err := spec.Resolve()
	if err != nil {
		return nil, (&party{role: role}).wrapErr(err)
	}
	switch {
	case opts.Insecure && opts.Identity != nil:
		return nil, fmt.Errorf("deploy: %s: both an identity and Insecure: choose TLS or plain TCP", role)
	case !opts.Insecure && opts.Identity == nil:
		return nil, fmt.Errorf("deploy: %s: no identity (pki.LoadIdentity) and not Insecure", role)
	case opts.Identity != nil && opts.Identity.Role != role:
		return nil, fmt.Errorf("deploy: %s: the certificate given is the %s's, not the %s's", role, opts.Identity.Role, role)
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	p := &party{role: role, spec: r, opts: opts, ctx: ctx, start: time.Now()}
	if opts.StallAfter > 0 {
		p.stall = &stall{ctx: ctx, left: opts.StallAfter, pause: opts.StallFor,
			log: func() { p.logf("stalling for %v after %d messages (test hook)", opts.StallFor, opts.StallAfter) }}
	}
	return p, nil
}

func (p *party) logf(format string, args ...any) {
	if p.opts.Log != nil {
		fmt.Fprintf(p.opts.Log, "marill-party %s: "+format+"\n", append([]any{p.role}, args...)...)
	}
}

func (p *party) errorf(format string, args ...any) error {
	return fmt.Errorf("deploy: %s: "+format, append([]any{p.role}, args...)...)
}

// keep registers a link to close when the run ends.
func (p *party) keep(c transport.Conn) {
	p.mu.Lock()
	p.links = append(p.links, c)
	p.mu.Unlock()
}

// replace makes a wrapper take over closing a link.
func (p *party) replace(old, wrapper transport.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, c := range p.links {
		if c == old {
			p.links[i] = wrapper
		}
	}
}

// wrapErr puts an error of the model or the description under this
// party's name.
func (p *party) wrapErr(err error) error {
	msg := strings.TrimPrefix(err.Error(), "deploy: ")
	msg = strings.TrimPrefix(msg, p.role+": ")
	return &roleError{msg: "deploy: " + p.role + ": " + msg, err: err}
}

type roleError struct {
	msg string
	err error
}

func (e *roleError) Error() string { return e.msg }
func (e *roleError) Unwrap() error { return e.err }

// closeAll closes every link (concurrently: each Close may linger for
// the peer).
func (p *party) closeAll() {
	p.mu.Lock()
	links := p.links
	p.links = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range links {
		wg.Add(1)
		go func() { defer wg.Done(); c.Close() }()
	}
	wg.Wait()
}

func (p *party) streamOptions() transport.StreamOptions {
	return transport.StreamOptions{Context: p.ctx, IdleTimeout: p.spec.Timeout}
}

func (p *party) listen() (*transport.Listener, error) {
	if p.opts.Listen == "" {
		return nil, p.errorf("no address to listen on")
	}
	var (
		l   *transport.Listener
		err error
	)
	if p.opts.Insecure {
		l, err = transport.ListenInsecure(p.opts.Listen)
	} else {
		l, err = transport.Listen(p.opts.Listen, p.opts.Identity)
	}
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	p.logf("listening on %v", l.Addr())
	if p.opts.Listening != nil {
		p.opts.Listening(l.Addr())
	}
	return l, nil
}

// dial connects to the peer at addr and runs the handshake.
func (p *party) dial(ctx context.Context, addr, peer string) (*transport.Stream, error) {
	if addr == "" {
		return nil, p.errorf("no address for the %s", peer)
	}
	var (
		nc  net.Conn
		err error
	)
	if p.opts.Insecure {
		nc, err = transport.DialInsecure(ctx, addr)
	} else {
		nc, err = transport.Dial(ctx, addr, p.opts.Identity, peer)
	}
	if err != nil {
		if ctx.Err() != nil && p.ctx.Err() == nil {
			return nil, p.errorf("could not reach the %s at %s within %v: %w", peer, addr, p.opts.Wait, err)
		}
		return nil, p.errorf("connecting to the %s at %s: %w", peer, addr, err)
	}
	s, err := transport.NewStream(nc, p.streamOptions())
	if err != nil {
		nc.Close()
		return nil, p.errorf("%w", err)
	}
	p.keep(s)
	if _, err := p.handshake(ctx, s, peer); err != nil {
		return nil, err
	}
	p.logf("connected to the %s at %s", peer, addr)
	return s, nil
}

// accept waits for a party playing one of roles, runs the handshake and
// returns its link and role. Connections refused by TLS (another
// deployment's certificate, an unexpected role) are logged and the wait
// goes on: a stray or hostile connection must not end a deployment.
func (p *party) accept(ctx context.Context, l *transport.Listener, roles ...string) (*transport.Stream, string, error) {
	for {
		nc, role, err := l.Accept(ctx, roles...)
		if err != nil {
			if ctx.Err() != nil {
				if p.ctx.Err() != nil {
					return nil, "", p.errorf("%w", p.ctx.Err())
				}
				return nil, "", p.errorf("no %s connected within %v", strings.Join(roles, " or "), p.opts.Wait)
			}
			p.logf("refused a connection: %v", err)
			continue
		}
		s, err := transport.NewStream(nc, p.streamOptions())
		if err != nil {
			nc.Close()
			return nil, "", p.errorf("%w", err)
		}
		p.keep(s)
		hello, err := p.handshake(ctx, s, role) // role is "" on an insecure listener
		if err != nil {
			return nil, "", err
		}
		if !contains(roles, hello.Role) {
			s.Close()
			p.logf("refused a connection from %v: it says it is the %q", nc.RemoteAddr(), hello.Role)
			continue
		}
		p.logf("the %s connected from %v", hello.Role, nc.RemoteAddr())
		return s, hello.Role, nil
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handshake compares protocol versions, roles and run hashes; when only
// the run hashes differ, both ends exchange their public descriptions to
// name the fields that differ.
func (p *party) handshake(ctx context.Context, s *transport.Stream, peer string) (transport.Hello, error) {
	mine := transport.Hello{Version: ProtocolVersion, Role: p.role, Run: p.spec.Hash()}
	theirs, err := transport.Handshake(ctx, s, mine, peer)
	if err == nil {
		return theirs, nil
	}
	if theirs.Version == mine.Version && theirs.Run != mine.Run {
		if diffs := p.exchangeDescriptions(s); len(diffs) > 0 {
			err = fmt.Errorf("%w; fields that differ: %s", err, strings.Join(diffs, "; "))
		}
		h := theirs.Run
		err = fmt.Errorf("%w (run hash ours %s, the %s's %x)", err, p.spec.HashString(), theirs.Role, h[:])
	}
	s.Close()
	if errors.Is(err, transport.ErrPeerGone) {
		who := peer
		if who == "" {
			who = "peer"
		}
		return theirs, p.errorf("the %s hung up during the handshake (its log says why): %w", who, err)
	}
	return theirs, p.errorf("%w", err)
}

// exchangeDescriptions sends our public description and reads the
// peer's, waiting a few seconds at most, and names the differences.
func (p *party) exchangeDescriptions(s *transport.Stream) []string {
	if err := s.Send(p.spec.Public()); err != nil {
		return nil
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := s.Recv()
		got <- b
	}()
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	var b []byte
	select {
	case b = <-got:
	case <-t.C:
		s.Close()
		return nil
	}
	diffs, err := DiffPublic(p.spec.Public(), b)
	if err != nil {
		return nil
	}
	return diffs
}

// awaitStart waits for the dealer's start signal.
func awaitStart(dl transport.Conn) error {
	b, err := dl.Recv()
	if err != nil {
		return err
	}
	if !bytes.Equal(b, msgStart) {
		return errors.New("unexpected message from the dealer before the start signal")
	}
	return nil
}

// connectWhileWaiting connects to the other party (connect), tells the
// dealer it is ready and waits for the dealer's start signal, reading the
// dealer's link all along: if the dealer ends the setup (the other party
// failed its handshake, or never came), connecting stops at once.
func (p *party) connectWhileWaiting(ctx context.Context, dl transport.Conn, connect func(context.Context) (*transport.Stream, error)) (*transport.Stream, error) {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := make(chan error, 1)
	go func() {
		err := awaitStart(dl)
		if err != nil {
			cancel()
		}
		started <- err
	}()
	dealerFailed := func(err error) error {
		return p.errorf("the dealer ended the setup before the run started (did another party fail to connect? see its log): %w", err)
	}
	s, err := connect(cctx)
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil, dealerFailed(<-started)
		}
		return nil, err
	}
	if err := dl.Send(msgReady); err != nil {
		return nil, dealerFailed(err)
	}
	select {
	case err := <-started:
		if err != nil {
			return nil, dealerFailed(err)
		}
	case <-ctx.Done():
		return nil, p.errorf("no start signal from the dealer within %v", p.opts.Wait)
	}
	return s, nil
}

// wrap names the peer in a link's errors and adds the stall hook.
func (p *party) wrap(c transport.Conn, peer string) transport.Conn {
	c = &peerConn{Conn: c, peer: peer}
	if p.stall != nil {
		c = &stallConn{Conn: c, s: p.stall}
	}
	return c
}

// fail explains a run's error: which peer went away or went silent.
func (p *party) fail(err error) error {
	if err == nil {
		return nil
	}
	if p.ctx.Err() != nil {
		return p.errorf("stopped (%v): %w", p.ctx.Err(), err)
	}
	var le *LinkError
	if !errors.As(err, &le) {
		return p.errorf("%w", err)
	}
	var te *transport.TimeoutError
	var what string
	switch {
	case errors.Is(le.Err, transport.ErrPeerGone):
		// It may have stopped because it lost a peer itself.
		what = fmt.Sprintf("the %s went away mid-run (its own log says why)", le.Peer)
	case errors.As(le.Err, &te):
		what = fmt.Sprintf("the %s sent nothing, not even a keepalive, for %v: presumed dead", le.Peer, te.After)
	case errors.Is(le.Err, transport.ErrClosed):
		what = fmt.Sprintf("the link to the %s was closed here", le.Peer)
	default:
		what = fmt.Sprintf("the link to the %s failed", le.Peer)
	}
	return p.errorf("%s: %w", what, err)
}

func (p *party) numerics() (*fxp.Funcs, error) {
	f, err := fxp.New(p.spec.Numerics)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	return f, nil
}

func (p *party) meta() mpc.Meta {
	network := "tcp (insecure)"
	if !p.opts.Insecure {
		network = "tls 1.3"
	}
	if p.opts.Shaping != (transport.Shaping{}) && p.role != pki.Dealer {
		network += ", shaped " + p.opts.Shaping.String()
	}
	return mpc.Meta{Model: p.spec.ModelConfig.Name, SeqLen: p.spec.ModelConfig.SeqLen, Protocol: Protocol, Network: network,
		Knobs: p.spec.Knobs.String()}
}

// report stamps a party's own view with the run's metadata.
func (p *party) report(r *mpc.Report, notes ...string) *mpc.Report {
	r.Schema = mpc.ReportSchema
	r.Meta = p.meta()
	r.Notes = append(r.Notes, notes...)
	r.Notes = append(r.Notes, "run hash "+p.spec.HashString()+" ("+ProtocolVersion+"); time: this party's wall time per operation, network waits included.")
	return r
}

// RunDealer runs the dealer: it listens on opts.Listen, waits for the
// client and the server, checks their handshakes, streams their
// correlated randomness as the model's operations need it, and returns
// once both parties report that they finished. The dealer sees no data:
// it builds the model from shapes alone.
func RunDealer(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	p, err := newParty(ctx, pki.Dealer, spec, opts)
	if err != nil {
		return nil, err
	}
	defer p.closeAll()
	m, err := p.spec.PublicModel(true)
	if err != nil {
		return nil, p.wrapErr(err)
	}
	f, err := p.numerics()
	if err != nil {
		return nil, err
	}
	seed := opts.DealerSeed
	if seed == nil {
		seed = make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return nil, p.errorf("%w", err)
		}
	}
	l, err := p.listen()
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, p.opts.Wait)
	defer cancel()
	links := map[string]*transport.Stream{}
	for len(links) < 2 {
		want := []string{pki.Client, pki.Server}
		if links[pki.Client] != nil {
			want = []string{pki.Server}
		} else if links[pki.Server] != nil {
			want = []string{pki.Client}
		}
		s, role, err := p.accept(wctx, l, want...)
		if err != nil {
			l.Close()
			return nil, err
		}
		links[role] = s
	}
	l.Close()
	// Both parties are here; wait until they are connected to each
	// other (each gives up within its own Wait if it cannot).
	if err := awaitBoth(links, msgReady, "its ready signal"); err != nil {
		return nil, p.errorf("a party left before the run started (see its log): %w", err)
	}
	setup := time.Since(p.start)
	if err := sendBoth(links, msgStart); err != nil {
		return nil, p.fail(err)
	}
	p.logf("both parties connected: run %s", p.spec.HashString())
	sender := proto.NewSender(p.wrap(links[pki.Client], pki.Client), p.wrap(links[pki.Server], pki.Server))
	dealer, err := secure.NewParty(proto.Dealer, nil, sender, f, seed)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	start := time.Now()
	if _, err := m.Apply(ctx, dealer, marill.Input{IDs: make([]int, m.Config.SeqLen)}); err != nil {
		return nil, p.fail(err)
	}
	p.logf("all material sent (client %s, server %s)", mpc.FormatBytes(sender.Bytes(proto.Client)), mpc.FormatBytes(sender.Bytes(proto.Server)))
	var offline time.Duration
	if p.spec.Preload {
		if err := sendBoth(links, msgEnd); err != nil {
			return nil, p.fail(err)
		}
		if err := awaitBoth(links, msgPreloaded, "the end of its preloading"); err != nil {
			return nil, p.fail(err)
		}
		offline = time.Since(start)
		if err := sendBoth(links, msgGo); err != nil {
			return nil, p.fail(err)
		}
		p.logf("both parties hold their material: online phase")
	}
	if err := awaitBoth(links, msgDone, "its end of run"); err != nil {
		return nil, p.fail(err)
	}
	run := time.Since(start)
	wire := links[pki.Client].Wire()
	ws := links[pki.Server].Wire()
	wire.BytesSent += ws.BytesSent
	wire.BytesReceived += ws.BytesReceived
	wire.FramesSent += ws.FramesSent
	wire.FramesReceived += ws.FramesReceived
	wire.KeepalivesSent += ws.KeepalivesSent
	wire.KeepalivesReceived += ws.KeepalivesReceived
	rep := p.report(dealer.Report(), fmt.Sprintf("dealer: material streamed over the links, %s to the client and %s to the server; run %v.",
		mpc.FormatBytes(sender.Bytes(proto.Client)), mpc.FormatBytes(sender.Bytes(proto.Server)), run.Round(time.Millisecond)))
	return &Result{Role: pki.Dealer, Report: rep, Hash: p.spec.HashString(), Setup: setup, Offline: offline, Run: run - offline, Wire: wire}, nil
}

// sendBoth sends msg to both parties.
func sendBoth(links map[string]*transport.Stream, msg []byte) error {
	for _, r := range []string{pki.Client, pki.Server} {
		if err := links[r].Send(msg); err != nil {
			return &LinkError{Peer: r, Err: err}
		}
	}
	return nil
}

// awaitBoth waits for msg from both parties, or the first failure.
func awaitBoth(links map[string]*transport.Stream, msg []byte, what string) error {
	got := make(chan error, 2)
	for _, r := range []string{pki.Client, pki.Server} {
		go func() {
			b, err := links[r].Recv()
			switch {
			case err != nil:
				err = &LinkError{Peer: r, Err: err}
			case !bytes.Equal(b, msg):
				err = fmt.Errorf("the %s sent an unexpected message instead of %s", r, what)
			}
			got <- err
		}()
	}
	for range 2 {
		if err := <-got; err != nil {
			return err // the other waiter ends when the links close
		}
	}
	return nil
}

// RunServer runs the server: it builds the model with its private
// weights, listens for the client on opts.Listen, connects to the dealer
// at opts.Dealer, and runs its part of the model. Its own view of the run
// is in the Result's Report.
func RunServer(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	p, err := newParty(ctx, pki.Server, spec, opts)
	if err != nil {
		return nil, err
	}
	defer p.closeAll()
	m, err := p.spec.ServerModel(opts.Weights)
	if err != nil {
		return nil, p.wrapErr(err)
	}
	materialize(m, p.role)
	l, err := p.listen()
	if err != nil {
		return nil, err
	}
	defer l.Close()
	wctx, cancel := context.WithTimeout(ctx, p.opts.Wait)
	defer cancel()
	dl, err := p.dial(wctx, opts.Dealer, pki.Dealer)
	if err != nil {
		return nil, err
	}
	link, err := p.connectWhileWaiting(wctx, dl, func(ctx context.Context) (*transport.Stream, error) {
		s, _, err := p.accept(ctx, l, pki.Client)
		return s, err
	})
	if err != nil {
		return nil, err
	}
	l.Close()
	return p.compute(m, dl, link, func(ctx context.Context, e *secure.Party) (*mpc.Dense, error) {
		_, err := m.Apply(ctx, e, marill.Input{IDs: make([]int, m.Config.SeqLen)}) // the prompt is the client's
		return nil, err
	})
}

// RunClient runs the client: it builds the public model, connects to the
// dealer at opts.Dealer and to the server at opts.Server, and runs the
// model on opts.Input. The Result's Output is what the client learns.
func RunClient(ctx context.Context, spec Spec, opts Options) (*Result, error) {
	p, err := newParty(ctx, pki.Client, spec, opts)
	if err != nil {
		return nil, err
	}
	defer p.closeAll()
	m, err := p.spec.PublicModel(false)
	if err != nil {
		return nil, p.wrapErr(err)
	}
	materialize(m, p.role)
	if n := len(opts.Input.IDs); n != m.Config.SeqLen {
		return nil, p.errorf("the prompt has %d tokens, the run description's sequence length is %d", n, m.Config.SeqLen)
	}
	if err := opts.Input.Validate(m.Config); err != nil {
		return nil, p.errorf("%w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, p.opts.Wait)
	defer cancel()
	dl, err := p.dial(wctx, opts.Dealer, pki.Dealer)
	if err != nil {
		return nil, err
	}
	link, err := p.connectWhileWaiting(wctx, dl, func(ctx context.Context) (*transport.Stream, error) {
		return p.dial(ctx, opts.Server, pki.Server)
	})
	if err != nil {
		return nil, err
	}
	return p.compute(m, dl, link, func(ctx context.Context, e *secure.Party) (*mpc.Dense, error) {
		return m.Forward(ctx, e, opts.Input)
	})
}

// materialize draws or reads the weights this party may read (public
// ones, and the server's own) before the run, as loading a model would:
// weights are otherwise made lazily, on first use, inside the run's time.
// The client never touches the private placeholders of its model.
func materialize(m *marill.Model, role string) {
	mine := func(p *marill.Param) bool {
		return p != nil && (p.Vis == mpc.Public || role == pki.Server && p.Vis == mpc.Server)
	}
	for _, p := range m.Params() {
		if mine(p) {
			p.Data()
		}
	}
	if m.Head.LMTied && m.Head.LM != nil && mine(m.Head.LM.Weight) {
		m.Head.LM.Weight.Data()
	}
}

// compute runs a party's part of the model over its links, then tells
// the dealer it finished.
func (p *party) compute(m *marill.Model, dl, link *transport.Stream, run func(context.Context, *secure.Party) (*mpc.Dense, error)) (*Result, error) {
	setup := time.Since(p.start)
	f, err := p.numerics()
	if err != nil {
		return nil, err
	}
	var conn transport.Conn = link
	peer := pki.Server
	if p.role == pki.Server {
		peer = pki.Client
	}
	if p.opts.Shaping != (transport.Shaping{}) {
		if conn, err = transport.Shape(link, p.opts.Shaping); err != nil {
			return nil, p.errorf("%w", err)
		}
		p.replace(link, conn) // closing the shaped conn delivers what it holds, then closes the stream
	}
	role := proto.Client
	if p.role == pki.Server {
		role = proto.Server
	}
	var material transport.Conn = &peerConn{Conn: dl, peer: pki.Dealer}
	var offline time.Duration
	if p.spec.Preload {
		start := time.Now()
		pre, err := preload(material)
		if err != nil {
			return nil, p.fail(err)
		}
		if err := material.Send(msgPreloaded); err != nil {
			return nil, p.fail(err)
		}
		if b, err := material.Recv(); err != nil {
			return nil, p.fail(err)
		} else if !bytes.Equal(b, msgGo) {
			return nil, p.errorf("unexpected message from the dealer instead of its go")
		}
		material = pre
		offline = time.Since(start)
		p.logf("preloaded %d messages of material in %v", len(pre.frames), offline.Round(time.Millisecond))
	}
	mat, err := proto.NewReceiver(role, material)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	e, err := secure.NewParty(role, p.wrap(conn, peer), mat, f, nil)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	p.logf("running %s (%s)", m.Config.Name, m.Knobs)
	start := time.Now()
	out, err := run(p.ctx, e)
	elapsed := time.Since(start)
	if err != nil {
		return nil, p.fail(err)
	}
	if err := dl.Send(msgDone); err != nil {
		return nil, p.fail(&LinkError{Peer: pki.Dealer, Err: err})
	}
	how := "plain TCP (insecure)"
	if !p.opts.Insecure {
		how = "TLS 1.3 with mutual authentication"
	}
	note := fmt.Sprintf("%s's view: link to the %s at %v over %s", p.role, peer, link.NetConn().RemoteAddr(), how)
	if p.opts.Shaping != (transport.Shaping{}) {
		note += fmt.Sprintf(", this end's sends shaped to %v", p.opts.Shaping)
	}
	note += fmt.Sprintf("; run %v.", elapsed.Round(time.Millisecond))
	res := &Result{Role: p.role, Report: p.report(e.Report(), note), Output: out, Hash: p.spec.HashString(),
		Setup: setup, Offline: offline, Run: elapsed}
	p.closeAll()
	res.Wire = link.Wire()
	p.logf("done in %v", elapsed.Round(time.Millisecond))
	return res, nil
}

// preloaded serves material frames read ahead (Spec.Preload) to a
// proto.Receiver, which decodes and counts each as it is taken.
type preloaded struct {
	transport.Conn
	frames [][]byte
}

// preload reads the dealer's material up to its end mark.
func preload(dl transport.Conn) (*preloaded, error) {
	p := &preloaded{Conn: dl}
	for {
		b, err := dl.Recv()
		if err != nil {
			return nil, err
		}
		if bytes.Equal(b, msgEnd) {
			return p, nil
		}
		p.frames = append(p.frames, b)
	}
}

func (p *preloaded) Recv() ([]byte, error) {
	if len(p.frames) == 0 {
		return nil, errors.New("the dealer's preloaded material ran out (the parties and the dealer ran different models)")
	}
	b := p.frames[0]
	p.frames[0] = nil
	p.frames = p.frames[1:]
	return b, nil
}
