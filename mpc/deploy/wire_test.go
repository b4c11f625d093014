package deploy

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/transport/pki"
)

// findWord returns the first secret word found in the payloads of
// recorded streams, at any alignment within a payload (frame headers are
// public metadata: lengths, stamps, sequence numbers).
func findWord(t *testing.T, secrets map[uint64]string, control bool, streams ...[]byte) (uint64, string, bool) {
	t.Helper()
	for _, stream := range streams {
		ps, err := frames(stream, control)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range ps {
			for i := 0; i+8 <= len(b); i++ {
				w := binary.LittleEndian.Uint64(b[i:])
				if what, ok := secrets[w]; ok {
					return w, what, true
				}
			}
		}
	}
	return 0, "", false
}

// Neither the client's prompt nor the server's weights cross the wire in
// the clear, even over plain TCP: TCP proxies record every byte each
// party receives from the other and from the dealer, and no 8-byte ring
// word of the prompt's embeddings appears in the server's bytes, nor any
// word of a private weight in the client's. The run hash of the hellos,
// which does cross in the clear, is found in the same bytes: the search
// would see a secret if one were there.
func TestNoSecretCrossesTheWire(t *testing.T) {
	spec := Spec{Model: "tiny-bert", SeqLen: 6, Pretrained: Pretrained{Seed: 42}} // standard fine-tuning: every weight private
	r, err := spec.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	taps := map[string]*tap{} // "client-server", "client-dealer", "server-dealer"
	tapped := func(name, target string) string {
		p := newTap(t, target, 0)
		mu.Lock()
		taps[name] = p
		mu.Unlock()
		return p.addr()
	}
	res := runThree(t, spec, setup{adjust: func(role string, o *Options) {
		switch role {
		case pki.Server:
			o.Dealer = tapped("server-dealer", o.Dealer)
		case pki.Client:
			o.Dealer = tapped("client-dealer", o.Dealer)
			o.Server = tapped("client-server", o.Server)
		}
	}})
	if !res.ok() {
		t.Fatal(res)
	}
	fromClient, fromServer := taps["client-server"].received()
	_, dealerToClient := taps["client-dealer"].received()
	_, dealerToServer := taps["server-dealer"].received()

	total := res.client.Report.Total()
	if int64(len(fromClient)) < total.SentClient || len(dealerToClient) == 0 || len(dealerToServer) == 0 {
		t.Fatalf("the taps saw %d bytes from the client (it sent %d of payload), %d and %d from the dealer",
			len(fromClient), total.SentClient, len(dealerToClient), len(dealerToServer))
	}
	// Control: the hellos carry the run hash in the clear, and the same
	// search finds it when it looks into control frames too.
	hash := r.Hash()
	for _, b := range [][]byte{fromClient, fromServer, dealerToClient, dealerToServer} {
		hw := map[uint64]string{binary.LittleEndian.Uint64(hash[5:]): "the run hash"}
		if _, _, ok := findWord(t, hw, true, b); !ok {
			t.Fatal("control: the run hash the hellos carry in the clear is not found in the recorded bytes")
		}
	}

	f := fxp.MustNew(r.Numerics)
	client, err := r.PublicModel(false)
	if err != nil {
		t.Fatal(err)
	}
	in := marill.RandomInput(r.ModelConfig, 5) // runThree's prompt
	emb, d := client.Embed.Tokens.Data(), r.ModelConfig.Hidden
	prompt := map[uint64]string{}
	for _, id := range in.IDs {
		for _, v := range emb[id*d : (id+1)*d] {
			if w := f.Encode(v); w != 0 {
				prompt[w] = "the prompt's embeddings"
			}
		}
	}
	if w, what, ok := findWord(t, prompt, false, fromClient, dealerToServer); ok {
		t.Fatalf("the server received a word %#x of %s in the clear", w, what)
	}
	server, err := r.ServerModel(Weights{Seed: 3, Perturb: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	weights := map[uint64]string{}
	for _, p := range server.Params() {
		if p.Vis != mpc.Server {
			continue
		}
		for _, v := range p.Data() {
			if w := f.Encode(v); w != 0 && w != f.Encode(1) {
				weights[w] = "the server's " + p.Name
			}
		}
	}
	if w, what, ok := findWord(t, weights, false, fromServer, dealerToClient); ok {
		t.Fatalf("the client received a word %#x of %s in the clear", w, what)
	}
	checked := len(prompt) + len(weights)
	t.Logf("%d secret words checked against %d bytes the server received and %d the client received",
		checked, len(fromClient)+len(dealerToServer), len(fromServer)+len(dealerToClient))
	if checked < 1000 {
		t.Fatalf("only %d secret words checked", checked)
	}
}

// Over TLS nothing crosses in the clear, not even what plain TCP shows:
// the hellos' run hash is in none of the recorded bytes.
func TestTLSHidesTheHellos(t *testing.T) {
	ca, err := pki.NewCA(0)
	if err != nil {
		t.Fatal(err)
	}
	spec := tinySpec()
	var mu sync.Mutex
	var taps []*tap
	tapped := func(target string) string {
		p := newTap(t, target, 0)
		mu.Lock()
		taps = append(taps, p)
		mu.Unlock()
		return p.addr()
	}
	res := runThree(t, spec, setup{ca: ca, adjust: func(role string, o *Options) {
		switch role {
		case pki.Server:
			o.Dealer = tapped(o.Dealer)
		case pki.Client:
			o.Dealer, o.Server = tapped(o.Dealer), tapped(o.Server)
		}
	}})
	if !res.ok() {
		t.Fatal(res)
	}
	h := resolve(t, spec).Hash()
	recorded := 0
	for _, p := range taps {
		a, b := p.received()
		for _, rec := range [][]byte{a, b} {
			recorded += len(rec)
			if bytes.Contains(rec, h[:8]) {
				t.Fatal("the run hash crossed a TLS link in the clear")
			}
		}
	}
	if len(taps) != 3 || recorded < 1<<20 {
		t.Fatalf("%d taps recorded %d bytes", len(taps), recorded)
	}
}

// A slow link is not a dead one: a proxy throttles the client–server
// link so that its largest frames take several idle timeouts to cross,
// with bytes trickling all along, and the run completes.
func TestSlowLinkIsNotDead(t *testing.T) {
	if testing.Short() {
		t.Skip("a throttled run takes seconds")
	}
	// One wide block, standard fine-tuning: the server's masked FFN
	// weights are single messages of 128 KiB, large next to the rest.
	cfg := marill.Tiny(marill.BERT)
	cfg.Layers, cfg.Hidden, cfg.FFN, cfg.SeqLen = 1, 64, 256, 2
	spec := Spec{Config: &cfg, Pretrained: Pretrained{Seed: 42}, IdleTimeout: Duration(250 * time.Millisecond)}
	const rate = 128 << 10 // bytes per second each way
	var link *tap
	start := time.Now()
	res := runThree(t, spec, setup{adjust: func(role string, o *Options) {
		if role == pki.Client {
			link = newTap(t, o.Server, rate)
			o.Server = link.addr()
		}
	}})
	if !res.ok() {
		t.Fatal(res)
	}
	largest, total := 0, 0
	a, b := link.received()
	for _, stream := range [][]byte{a, b} {
		ps, err := frames(stream, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			largest = max(largest, len(p))
			total += len(p)
		}
	}
	crossing := time.Duration(float64(largest) / rate * float64(time.Second))
	t.Logf("run %v; %d bytes of messages, the largest %d bytes took ≈ %v to cross at %d KiB/s; idle timeout %v",
		time.Since(start).Round(time.Millisecond), total, largest, crossing, rate>>10, time.Duration(spec.IdleTimeout))
	if crossing < 2*time.Duration(spec.IdleTimeout) {
		t.Fatalf("the test has no power: the largest message crosses in %v", crossing)
	}
	if !strings.Contains(res.client.Report.Notes[len(res.client.Report.Notes)-1], "run hash") {
		t.Errorf("report notes: %q", res.client.Report.Notes)
	}
}
