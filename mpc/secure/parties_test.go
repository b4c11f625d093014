package secure

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/plain"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/transport"
)

// recorder is a Conn that keeps a copy of every frame its endpoint
// receives: the party's view of the run.
type recorder struct {
	transport.Conn
	mu   sync.Mutex
	seen [][]byte
}

func (r *recorder) Recv() ([]byte, error) {
	p, err := r.Conn.Recv()
	if err == nil {
		r.mu.Lock()
		r.seen = append(r.seen, append([]byte(nil), p...))
		r.mu.Unlock()
	}
	return p, err
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []byte
	for _, p := range r.seen {
		all = append(all, p...)
	}
	return all
}

// runResult is what a run of three separate parties produced.
type runResult struct {
	out            *mpc.Dense
	client, server error
	dealer         error
	views          [2]*recorder // what the client and the server received
}

// runParties runs m as three separate parties, the way three processes
// would: the dealer first (its material queued in memory), then the client
// and the server concurrently, each with only its own view. wrap, if set,
// may replace a party's connection (to inject faults).
func runParties(t *testing.T, m *marill.Model, in marill.Input, seed uint64, timeout time.Duration,
	wrap func(r proto.Role, c transport.Conn) transport.Conn) runResult {
	t.Helper()
	f := fxp.MustNew(fxp.Default())
	q := &proto.Queue{}
	a, b := transport.Pipe(transport.MemOptions{Timeout: timeout})
	ra, rb := &recorder{Conn: a}, &recorder{Conn: b}
	var ca, cb transport.Conn = ra, rb
	if wrap != nil {
		ca, cb = wrap(proto.Client, ca), wrap(proto.Server, cb)
	}
	s := make([]byte, 8)
	binary.LittleEndian.PutUint64(s, seed)
	dealer, err := NewParty(proto.Dealer, nil, q, f, s)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := NewParty(proto.Client, ca, q, f, nil)
	server, _ := NewParty(proto.Server, cb, q, f, nil)
	ctx := context.Background()
	var res runResult
	res.views = [2]*recorder{ra, rb}
	dummy := marill.Input{IDs: make([]int, len(in.IDs))} // only the client knows the prompt
	if _, err := m.Apply(ctx, dealer, dummy); err != nil {
		res.dealer = err
		return res
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		res.out, res.client = m.Forward(ctx, client, in)
		if res.client != nil {
			ca.Close() // a failed party hangs up, as a process exiting would
		}
	}()
	go func() {
		defer wg.Done()
		_, res.server = m.Apply(ctx, server, dummy)
		if res.server != nil {
			cb.Close()
		}
	}()
	wg.Wait()
	return res
}

func tinyModel(t *testing.T, arch marill.Arch, k marill.Knobs) *marill.Model {
	t.Helper()
	cfg := marill.Tiny(arch)
	cfg.SeqLen = 6
	pre, err := marill.NewPretrained(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	m, err := pre.FineTune(k)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Three separate parties compute what the in-process engine computes,
// bit for bit (same dealer seed).
func TestSeparatePartiesMatchTheEngine(t *testing.T) {
	m := tinyModel(t, marill.GPT2, marill.Knobs{LoRARank: 2, MergeHeads: 2})
	in := marill.RandomInput(m.Config, 4)
	res := runParties(t, m, in, 77, 10*time.Second, nil)
	if res.dealer != nil || res.client != nil || res.server != nil {
		t.Fatalf("dealer %v, client %v, server %v", res.dealer, res.client, res.server)
	}
	e, err := New(Options{Seed: 77})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	want, err := m.Forward(context.Background(), e, in)
	if err != nil {
		t.Fatal(err)
	}
	if abs, _, err := mpc.Compare(res.out, want); err != nil || abs != 0 {
		t.Errorf("separate parties differ from the in-process engine by %g (%v)", abs, err)
	}
}

// chiSquare is Pearson's statistic of the byte values of b against the
// uniform distribution (255 degrees of freedom).
func chiSquare(b []byte) float64 {
	var n [256]float64
	for _, v := range b {
		n[v]++
	}
	e := float64(len(b)) / 256
	var x float64
	for _, o := range n {
		x += (o - e) * (o - e) / e
	}
	return x
}

// The server's view is independent of the client's prompt: for two very
// different prompts, what the server receives has the same length and
// frame sizes and is uniformly distributed bytes (the openings are
// one-time pads); the client's view of the server's weights is likewise
// uniform. A chi-square test with 255 degrees of freedom has mean 255 and
// standard deviation 22.6; uniform data stays below 400 except with
// probability ~1e-11, while the unmasked data of the negative control
// scores in the hundreds of thousands.
func TestViewsAreIndependentOfSecrets(t *testing.T) {
	m := tinyModel(t, marill.BERT, marill.Knobs{LoRARank: 2})
	zeros := marill.Input{IDs: make([]int, m.Config.SeqLen)}
	other := marill.RandomInput(m.Config, 5)
	var lengths [2][]int
	var views [2][]byte
	for i, in := range []marill.Input{zeros, other} {
		for seed := uint64(1); seed <= 6; seed++ {
			res := runParties(t, m, in, seed, 10*time.Second, nil)
			if res.client != nil || res.server != nil {
				t.Fatalf("client %v, server %v", res.client, res.server)
			}
			sv := res.views[1]
			sv.mu.Lock()
			for _, p := range sv.seen {
				lengths[i] = append(lengths[i], len(p))
			}
			sv.mu.Unlock()
			views[i] = append(views[i], sv.bytes()...)
			if i == 0 && seed == 1 {
				if x := chiSquare(res.views[0].bytes()); x > 400 {
					t.Errorf("the client's view of the server is not uniform: χ² = %.0f", x)
				}
			}
		}
	}
	if len(lengths[0]) != len(lengths[1]) {
		t.Fatalf("the server received %d frames for one prompt and %d for another", len(lengths[0]), len(lengths[1]))
	}
	for i := range lengths[0] {
		if lengths[0][i] != lengths[1][i] {
			t.Fatalf("frame %d: %d bytes for one prompt, %d for another", i, lengths[0][i], lengths[1][i])
		}
	}
	for i, v := range views {
		t.Logf("prompt %d: server view %d bytes, χ² = %.0f", i, len(v), chiSquare(v))
		if x := chiSquare(v); x > 400 {
			t.Errorf("prompt %d: the server's view is not uniform: χ² = %.0f over %d bytes", i, x, len(v))
		}
	}
	// Negative control: the same statistic on the prompt's embeddings as
	// the ring words an unmasked protocol would send.
	f := fxp.MustNew(fxp.Default())
	emb := m.Embed.Tokens.Data()
	var leak []byte
	for rep := 0; len(leak) < len(views[0]); rep++ {
		for _, v := range emb[:min(len(emb), 4096)] {
			leak = binary.LittleEndian.AppendUint64(leak, f.Encode(v))
		}
	}
	t.Logf("negative control: χ² = %.0f", chiSquare(leak))
	if x := chiSquare(leak); x < 10000 {
		t.Errorf("negative control: unmasked embeddings score only χ² = %.0f; the test has no power", x)
	}
}

// Neither the client's prompt nor the server's weights cross the link in
// the clear: no 8-byte ring word of the embedded prompt appears in what
// the server received, and no word of a private weight in what the client
// received (online or offline).
func TestNoSecretCrossesTheLinkInTheClear(t *testing.T) {
	m := tinyModel(t, marill.BERT, marill.Knobs{})
	in := marill.RandomInput(m.Config, 12)
	res := runParties(t, m, in, 3, 10*time.Second, nil)
	if res.client != nil || res.server != nil {
		t.Fatalf("client %v, server %v", res.client, res.server)
	}
	f := fxp.MustNew(fxp.Default())
	words := func(b []byte) map[uint64]bool {
		w := map[uint64]bool{}
		for i := 0; i+8 <= len(b); i++ { // every alignment
			w[binary.LittleEndian.Uint64(b[i:])] = true
		}
		return w
	}
	serverSaw, clientSaw := words(res.views[1].bytes()), words(res.views[0].bytes())
	emb := m.Embed.Tokens.Data()
	d := m.Config.Hidden
	checked := 0
	for _, id := range in.IDs {
		for _, v := range emb[id*d : (id+1)*d] {
			if w := f.Encode(v); w != 0 && serverSaw[w] {
				t.Fatalf("the server received the prompt's embedding word %#x in the clear", w)
			}
			checked++
		}
	}
	for _, p := range m.Params() {
		if p.Vis != mpc.Server {
			continue
		}
		for _, v := range p.Data() {
			if w := f.Encode(v); w != 0 && w != f.Encode(1) && clientSaw[w] {
				t.Fatalf("the client received a word %#x of the server's %s in the clear", w, p.Name)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d secret words checked", checked)
	}
}

// dropAfter is a Conn that stops working after n sends: the peer process
// dies mid-run.
type dropAfter struct {
	transport.Conn
	mu sync.Mutex
	n  int
}

func (d *dropAfter) Send(p []byte) error {
	d.mu.Lock()
	d.n--
	dead := d.n < 0
	d.mu.Unlock()
	if dead {
		d.Conn.Close()
		return transport.ErrClosed
	}
	return d.Conn.Send(p)
}

// corrupt truncates the k-th frame the party receives.
type corrupt struct {
	transport.Conn
	mu sync.Mutex
	k  int
}

func (c *corrupt) Recv() ([]byte, error) {
	p, err := c.Conn.Recv()
	c.mu.Lock()
	c.k--
	hit := c.k == 0
	c.mu.Unlock()
	if hit && len(p) > 1 {
		p = p[:len(p)/2]
	}
	return p, err
}

// silent never sends: a peer that hangs.
type silent struct{ transport.Conn }

func (silent) Send([]byte) error { return nil }

func TestFailuresStopTheOtherParty(t *testing.T) {
	m := tinyModel(t, marill.LLaMA, marill.Knobs{})
	in := marill.RandomInput(m.Config, 1)
	cases := []struct {
		name    string
		wrap    func(r proto.Role, c transport.Conn) transport.Conn
		timeout time.Duration
		want    string // in the client's error
	}{
		{"server dies mid-run", func(r proto.Role, c transport.Conn) transport.Conn {
			if r == proto.Server {
				return &dropAfter{Conn: c, n: 5}
			}
			return c
		}, 10 * time.Second, "peer closed"},
		{"truncated frame", func(r proto.Role, c transport.Conn) transport.Conn {
			if r == proto.Client {
				return &corrupt{Conn: c, k: 3}
			}
			return c
		}, 10 * time.Second, "malformed"},
		{"server hangs", func(r proto.Role, c transport.Conn) transport.Conn {
			if r == proto.Server {
				return silent{c}
			}
			return c
		}, 300 * time.Millisecond, "no message from the peer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			res := runParties(t, m, in, 1, c.timeout, c.wrap)
			took := time.Since(start)
			if res.client == nil || !strings.Contains(res.client.Error(), c.want) {
				t.Errorf("client error %v, want one mentioning %q", res.client, c.want)
			}
			if res.server == nil {
				t.Errorf("the server finished although the run failed")
			}
			if took > c.timeout+5*time.Second {
				t.Errorf("stopping took %v", took)
			}
		})
	}
}

// The whole model under MPC agrees with the fixed-point functionality it
// realises, for every family and the Marill knobs, and with float64 within
// the approximation error.
func TestModelsAgreeWithPlaintext(t *testing.T) {
	knobs := []marill.Knobs{
		{},
		{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2},
		{GeLU: mpc.GeLUQuad, Softmax: mpc.Softmax2Quad, SiLU: mpc.SiLUQuad},
		{GeLU: mpc.GeLUTanh, Softmax: mpc.Softmax2ReLU, SiLU: mpc.SiLUReLU, LoRARank: 1},
	}
	ctx := context.Background()
	for _, arch := range []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA} {
		for _, k := range knobs {
			m := tinyModel(t, arch, k)
			in := marill.RandomInput(m.Config, 8)
			e := MustNew()
			got, err := m.Forward(ctx, e, in)
			e.Close()
			if err != nil {
				t.Fatalf("%v %v: %v", arch, k, err)
			}
			fixed, err := m.Forward(ctx, plain.NewFixed(), in)
			if err != nil {
				t.Fatal(err)
			}
			float, err := m.Forward(ctx, plain.New(), in)
			if err != nil {
				t.Fatal(err)
			}
			if _, rel, _ := mpc.Compare(got, fixed); rel > 2e-3 {
				t.Errorf("%v %v: secure vs fixed-point functionality: relative error %.2g", arch, k, rel)
			}
			// Against float64 the fixed-point approximations themselves
			// differ (2ReLU's 1-ulp floor, the tables' resolution): the
			// secure run may not add much to that.
			_, approx, _ := mpc.Compare(fixed, float)
			if _, rel, _ := mpc.Compare(got, float); rel > max(2e-2, 2*approx) || math.IsNaN(rel) {
				t.Errorf("%v %v: secure vs float64: relative error %.2g (fixed-point vs float64 %.2g)", arch, k, rel, approx)
			}
		}
	}
}

// A cancelled context stops an in-process run with the context's error.
func TestCancelledRun(t *testing.T) {
	m := tinyModel(t, marill.BERT, marill.Knobs{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := MustNew()
	defer e.Close()
	_, err := m.Forward(ctx, e, marill.RandomInput(m.Config, 1))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

// At real widths (one BERT-base block and one GPT-2 block, a short
// prompt) the secure logits stay within 1% of float64.
func TestRealWidthBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("real-width blocks take a few seconds")
	}
	ctx := context.Background()
	for _, cfg := range []marill.Config{marill.BERTBase(), marill.GPT2Small()} {
		cfg.Layers, cfg.SeqLen = 1, 8
		pre, err := marill.NewPretrained(cfg, 42)
		if err != nil {
			t.Fatal(err)
		}
		m, err := pre.FineTune(marill.Knobs{}) // standard fine-tuning: every block private
		if err != nil {
			t.Fatal(err)
		}
		in := marill.RandomInput(cfg, 3)
		e := MustNew()
		got, err := m.Forward(ctx, e, in)
		rounds := e.Report().Total().Rounds
		e.Close()
		if err != nil {
			t.Fatal(err)
		}
		if rounds == 0 {
			t.Fatalf("%s: nothing ran under MPC", cfg.Name)
		}
		want, err := m.Forward(ctx, plain.New(), in)
		if err != nil {
			t.Fatal(err)
		}
		_, rel, _ := mpc.Compare(got, want)
		t.Logf("%s, 1 block, n=8: relative error %.2g", cfg.Name, rel)
		if rel > 1e-2 {
			t.Errorf("%s: secure vs float64 relative error %.2g", cfg.Name, rel)
		}
	}
}

// MeasureAccuracy puts per-layer errors in the Report without changing
// its costs.
func TestAccuracyReport(t *testing.T) {
	m := tinyModel(t, marill.GPT2, marill.Knobs{FreezeLayers: 1})
	in := marill.RandomInput(m.Config, 2)
	ctx := context.Background()
	e := MustNew()
	defer e.Close()
	r, err := m.MeasureAccuracy(ctx, e, in, fxp.Params{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"embed", "block0", "block1", "head"}
	if len(r.Accuracy) != len(want) {
		t.Fatalf("accuracy rows %v, want layers %v", r.Accuracy, want)
	}
	for i, a := range r.Accuracy {
		if a.Layer != want[i] || a.Elements == 0 {
			t.Errorf("row %d: %+v", i, a)
		}
		if a.MaxRel > 1e-2 || a.MaxRelFixed > 2e-3 {
			t.Errorf("%s: error vs float64 %.2g, vs fixed %.2g", a.Layer, a.MaxRel, a.MaxRelFixed)
		}
	}
	// block0 is frozen: the client computes it in the clear, exactly as
	// the float64 reference does.
	if r.Accuracy[1].MaxAbs != 0 {
		t.Errorf("frozen block0 differs from float64 by %g", r.Accuracy[1].MaxAbs)
	}
	if r.Accuracy[2].MaxAbs == 0 {
		t.Errorf("private block1 is exactly float64: was it run under MPC?")
	}
	plainRun := MustNew()
	defer plainRun.Close()
	if _, err := m.Forward(ctx, plainRun, in); err != nil {
		t.Fatal(err)
	}
	if !sameTotals(r.Total(), plainRun.Report().Total()) {
		t.Errorf("measuring accuracy changed the costs: %+v vs %+v", r.Total().Cost, plainRun.Report().Total().Cost)
	}
	if s := r.String(); !strings.Contains(s, "accuracy of") || !strings.Contains(s, "block1") {
		t.Errorf("the report's text has no accuracy table:\n%s", s)
	}
	if _, err := m.MeasureAccuracy(ctx, noPeek{e}, in, fxp.Params{}); err == nil {
		t.Error("an engine that cannot peek was accepted")
	}
}

type noPeek struct{ mpc.Engine }

func sameTotals(a, b mpc.Row) bool {
	return a.Rounds == b.Rounds && a.SentClient == b.SentClient && a.SentServer == b.SentServer &&
		a.OfflineClient == b.OfflineClient && a.OfflineServer == b.OfflineServer
}

// The parties' own reports, merged, are the in-process engine's report
// (costs; times are measured separately).
func TestMergedViewsMatchTheEngine(t *testing.T) {
	m := tinyModel(t, marill.BERT, marill.Knobs{LoRARank: 2, FreezeLayers: 1})
	in := marill.RandomInput(m.Config, 4)
	f := fxp.MustNew(fxp.Default())
	q := &proto.Queue{}
	a, b := transport.Pipe(transport.MemOptions{Timeout: 10 * time.Second})
	dealer, _ := NewParty(proto.Dealer, nil, q, f, []byte{7, 0, 0, 0, 0, 0, 0, 0})
	client, _ := NewParty(proto.Client, a, q, f, nil)
	server, _ := NewParty(proto.Server, b, q, f, nil)
	ctx := context.Background()
	dummy := marill.Input{IDs: make([]int, len(in.IDs))}
	if _, err := m.Apply(ctx, dealer, dummy); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.Forward(ctx, client, in) }()
	go func() { defer wg.Done(); m.Apply(ctx, server, dummy) }()
	wg.Wait()
	if client.Err() != nil || server.Err() != nil {
		t.Fatal(client.Err(), server.Err())
	}
	// In the queue run the dealer put everything before the parties
	// started, so the parties' views hold no material: add the dealer's.
	merged, err := MergeViews(client.Report(), server.Report())
	if err != nil {
		t.Fatal(err)
	}
	dr := dealer.Report()
	for i := range merged.Rows {
		merged.Rows[i].OfflineClient += dr.Rows[i].OfflineClient
		merged.Rows[i].OfflineServer += dr.Rows[i].OfflineServer
	}
	e, _ := New(Options{Seed: 7})
	defer e.Close()
	if _, err := m.Forward(ctx, e, in); err != nil {
		t.Fatal(err)
	}
	want := e.Report()
	if len(want.Rows) != len(merged.Rows) {
		t.Fatalf("%d merged rows, %d in-process", len(merged.Rows), len(want.Rows))
	}
	for i, w := range want.Rows {
		g := merged.Rows[i]
		if g.Scope != w.Scope || g.Op != w.Op || !sameTotals(g, w) {
			t.Errorf("row %d: merged %s/%s %+v, in-process %s/%s %+v", i, g.Scope, g.Op, g.Cost, w.Scope, w.Op, w.Cost)
		}
	}
	if _, err := MergeViews(client.Report(), &mpc.Report{}); err == nil {
		t.Error("views of different runs merged")
	}
}

// A shaped in-process link adds its latency to every round.
func TestShapedLink(t *testing.T) {
	m := tinyModel(t, marill.GPT2, marill.Knobs{})
	const lat = 2 * time.Millisecond
	e, err := New(Options{Shaping: &transport.Shaping{Latency: lat}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := m.Forward(context.Background(), e, marill.RandomInput(m.Config, 1)); err != nil {
		t.Fatal(err)
	}
	r := e.Report()
	on, _, _ := e.Times()
	rounds := r.Total().Rounds
	if on < time.Duration(rounds)*lat {
		t.Errorf("online %v for %d rounds at %v one-way latency", on, rounds, lat)
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "shaped link") {
		t.Errorf("the report does not say the link was shaped: %v", r.Notes)
	}
	if _, err := New(Options{Shaping: &transport.Shaping{Latency: -1}}); err == nil {
		t.Error("a negative latency was accepted")
	}
}
