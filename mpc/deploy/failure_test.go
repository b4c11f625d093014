package deploy

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc/transport"
	"github.com/marill-go/marill/mpc/transport/pki"
)

var tinyKnobs = marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2}

func tinySpec() Spec {
	return Spec{Model: "tiny-bert", SeqLen: 6, Knobs: tinyKnobs, Pretrained: Pretrained{Seed: 42}}
}

// syncBuffer is a log the roles' goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustContain(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want one mentioning %q", what, parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not mention %q", what, err, p)
		}
	}
}

// A client whose description differs from the others' is refused at the
// handshake, before any computation, with both hashes and the fields
// that differ; the other parties stop too.
func TestRunDescriptionMismatch(t *testing.T) {
	spec := tinySpec()
	other := tinySpec()
	other.Knobs.MergeHeads = 1
	ro, err := other.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := runThree(t, spec, setup{adjust: func(role string, o *Options) {
		o.Wait = 10 * time.Second
		if role == pki.Client {
			o.Input = marill.RandomInput(ro.ModelConfig, 5)
		}
	}, roleSpec: map[string]Spec{pki.Client: other}})
	mustContain(t, "client", res.clientErr, "run description differs", "knobs.merge_heads: ours 1, the peer's 2", ro.HashString())
	mustContain(t, "dealer", res.dealerErr, "run description differs", "knobs.merge_heads: ours 2, the peer's 1")
	// The dealer may stop before or after the server's handshake.
	if e := res.serverErr; e == nil || !strings.Contains(e.Error(), "the dealer ended the setup") && !strings.Contains(e.Error(), "the dealer hung up during the handshake") {
		t.Errorf("server: %v", e)
	}
	if res.client != nil || res.server != nil || res.dealer != nil {
		t.Error("a party returned a result")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusing took %v", took)
	}
}

// A certificate of another deployment is refused, and so is a peer
// that holds a certificate for another role than the one expected; the
// listening party logs the refusal and keeps waiting.
func TestWrongCertificates(t *testing.T) {
	ca, err := pki.NewCA(0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewCA(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("another deployment", func(t *testing.T) {
		var log syncBuffer
		res := runThree(t, tinySpec(), setup{ca: ca, adjust: func(role string, o *Options) {
			o.Wait = 2 * time.Second
			o.Log = &log
			switch role {
			case pki.Server:
				o.Wait = 10 * time.Second // the dealer gives up first, and tells the server
			case pki.Client:
				id, err := other.Issue(pki.Client, nil, 0)
				if err != nil {
					panic(err)
				}
				o.Identity = id
			}
		}})
		mustContain(t, "client", res.clientErr, "deploy: client: connecting to the dealer")
		mustContain(t, "dealer", res.dealerErr, "no client connected within")
		mustContain(t, "server", res.serverErr, "the dealer ended the setup")
		if !strings.Contains(log.String(), "marill-party dealer: refused a connection") {
			t.Errorf("the dealer did not log the refusal:\n%s", log.String())
		}
		t.Logf("client: %v", res.clientErr)
	})
	t.Run("a dealer where the server should be", func(t *testing.T) {
		// A second dealer of the same deployment listens where the client
		// looks for the server.
		id, err := ca.Issue(pki.Dealer, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		impostor, err := transport.Listen("127.0.0.1:0", id)
		if err != nil {
			t.Fatal(err)
		}
		defer impostor.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for ctx.Err() == nil {
				impostor.Accept(ctx, pki.Client)
			}
		}()
		res := runThree(t, tinySpec(), setup{ca: ca, adjust: func(role string, o *Options) {
			o.Wait = 3 * time.Second
			if role == pki.Client {
				o.Server = impostor.Addr().String()
			}
		}})
		mustContain(t, "client", res.clientErr, "connecting to the server", "dealer")
		t.Logf("client: %v", res.clientErr)
	})
	t.Run("a certificate for another role", func(t *testing.T) {
		id, err := ca.Issue(pki.Server, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = RunClient(context.Background(), tinySpec(), Options{Identity: id, Dealer: "127.0.0.1:1"})
		mustContain(t, "client", err, "the certificate given is the server's, not the client's")
	})
}

// A party that stops for several idle timeouts while its links stay up
// (busy, or stalled) is not taken for a dead one.
func TestBusyPeerIsNotDead(t *testing.T) {
	spec := tinySpec()
	spec.IdleTimeout = Duration(200 * time.Millisecond)
	const stall = time.Second
	for _, role := range []string{pki.Server, pki.Dealer} {
		t.Run(role, func(t *testing.T) {
			start := time.Now()
			res := runThree(t, spec, setup{adjust: func(r string, o *Options) {
				if r == role {
					o.StallAfter, o.StallFor = 10, stall
				}
			}})
			if !res.ok() {
				t.Fatal(res)
			}
			if took := time.Since(start); took < stall {
				t.Errorf("the run took %v: the %s did not stall", took, role)
			}
		})
	}
}

// A party that goes away mid-run (its process ends: here its context is
// cancelled, which closes its links without a word) makes the others
// stop at once, each with an error that names the peer it lost; at least
// one of them names the party that went away (the other may see the
// first survivor leave before it).
func TestPartyGoesAwayMidRun(t *testing.T) {
	spec := tinySpec()
	spec.IdleTimeout = Duration(time.Second)
	for _, gone := range []string{pki.Server, pki.Dealer, pki.Client} {
		t.Run(gone, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stalled := make(chan struct{})
			var once sync.Once
			var killed time.Time
			go func() {
				<-stalled
				time.Sleep(200 * time.Millisecond) // mid-run: the stall has begun
				killed = time.Now()
				cancel()
			}()
			res := runThree(t, spec, setup{roleCtx: map[string]context.Context{gone: ctx}, adjust: func(r string, o *Options) {
				if r == gone {
					o.StallAfter, o.StallFor = 10, time.Minute
					o.Log = stallSignal(func() { once.Do(func() { close(stalled) }) })
				}
			}})
			errs := map[string]error{pki.Client: res.clientErr, pki.Server: res.serverErr, pki.Dealer: res.dealerErr}
			named := false
			for role, err := range errs {
				if role == gone {
					mustContain(t, role, err, "stopped (context canceled)")
					continue
				}
				mustContain(t, role, err, "deploy: "+role+": the ", "went away mid-run", "peer closed the connection")
				named = named || strings.Contains(err.Error(), "the "+gone+" went away mid-run")
				if took := res.ended[role].Sub(killed); took > time.Duration(spec.IdleTimeout)+2*time.Second {
					t.Errorf("the %s stopped %v after the %s went away", role, took, gone)
				}
			}
			if !named {
				t.Errorf("no party names the %s", gone)
			}
			t.Logf("client: %v\nserver: %v\ndealer: %v", res.clientErr, res.serverErr, res.dealerErr)
		})
	}
}

// stallSignal is a Log that calls f when the party reports its stall.
type stallSignal func()

func (f stallSignal) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("stalling")) {
		f()
	}
	return len(p), nil
}
