package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestLearningRate(t *testing.T) {
	const lr = 1e-3
	for _, c := range []struct {
		step, total, warmup int
		s                   Schedule
		want                float64
	}{
		{0, 100, 10, Linear, lr / 10},
		{9, 100, 10, Linear, lr},
		{10, 100, 10, Linear, lr},
		{55, 100, 10, Linear, lr / 2},
		{99, 100, 10, Linear, lr / 90},
		{55, 100, 10, Cosine, lr / 2},
		{10, 100, 10, Cosine, lr},
		{70, 100, 10, Constant, lr},
		{0, 1, 0, Linear, lr},
	} {
		if got := LearningRate(lr, c.step, c.total, c.warmup, c.s); !near(got, c.want, 1e-12) {
			t.Errorf("LearningRate(step %d of %d, warmup %d, %v) = %g, want %g", c.step, c.total, c.warmup, c.s, got, c.want)
		}
	}
	for _, s := range []Schedule{Linear, Cosine, Constant} {
		if p, err := ParseSchedule(s.String()); err != nil || p != s {
			t.Errorf("ParseSchedule(%v) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseSchedule("step"); err == nil {
		t.Error("ParseSchedule accepted an unknown schedule")
	}
}

// TestAdamW checks two steps against the update written out by hand.
func TestAdamW(t *testing.T) {
	a := newAdamW(2, 0.9, 0.999, 1e-8)
	w := []float64{1, -2}
	g1 := []float64{0.5, -0.1}
	a.t = 1
	a.step(w, g1, 0, 0.01, 0.1)
	// Step 1: m̂ = g, v̂ = g², so the step is lr·(sign(g) + decay·w).
	want := []float64{1 - 0.01*(1+0.1*1), -2 - 0.01*(-1+0.1*-2)}
	for i := range w {
		if !near(w[i], want[i], 1e-9) {
			t.Fatalf("after step 1 w[%d] = %.12g, want %.12g", i, w[i], want[i])
		}
	}
	g2 := []float64{-0.2, 0.3}
	a.t = 2
	prev := append([]float64(nil), w...)
	a.step(w, g2, 0, 0.01, 0)
	for i := range w {
		m := 0.9*(0.1*g1[i]) + 0.1*g2[i]
		v := 0.999*(0.001*g1[i]*g1[i]) + 0.001*g2[i]*g2[i]
		mh, vh := m/(1-0.81), v/(1-0.999*0.999)
		if want := prev[i] - 0.01*mh/(math.Sqrt(vh)+1e-8); !near(w[i], want, 1e-9) {
			t.Fatalf("after step 2 w[%d] = %.12g, want %.12g", i, w[i], want)
		}
	}
}

func TestClipNorm(t *testing.T) {
	g := []float64{3, 4}
	if n := clipNorm(g, 1); n != 5 || !near(g[0], 0.6, 1e-12) || !near(g[1], 0.8, 1e-12) {
		t.Fatalf("clipNorm = %g, g = %v", n, g)
	}
	g = []float64{0.3, 0.4}
	if clipNorm(g, 1); g[0] != 0.3 {
		t.Fatal("a gradient under the limit was scaled")
	}
	g = []float64{3, 4}
	if clipNorm(g, 0); g[0] != 3 {
		t.Fatal("limit 0 clipped")
	}
}

// TestLossGradients checks the losses' gradients against finite
// differences.
func TestLossGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, 6)
	zt := make([]float64, 6)
	for i := range z {
		z[i], zt[i] = r.NormFloat64(), r.NormFloat64()
	}
	losses := map[string]func(z, grad []float64) float64{
		"cross-entropy":      func(z, g []float64) float64 { return crossEntropy(z, 4, 0.5, g) * 0.5 },
		"soft cross-entropy": func(z, g []float64) float64 { return softCrossEntropy(z, zt, 2, 0.5, g) * 0.5 / 4 },
		"mean squared":       func(z, g []float64) float64 { return meanSquared(z, zt, 0.5, g) * 0.5 },
	}
	for name, f := range losses {
		g := make([]float64, len(z))
		f(z, g)
		for i := range z {
			x := z[i]
			z[i] = x + 1e-6
			up := f(z, make([]float64, len(z)))
			z[i] = x - 1e-6
			down := f(z, make([]float64, len(z)))
			z[i] = x
			want := (up - down) / 2e-6
			if name == "soft cross-entropy" {
				want *= 4 // the gradient excludes the T² factor the loss carries
			}
			if !near(g[i], want, 1e-6) {
				t.Errorf("%s: gradient %d = %.9g, finite difference %.9g", name, i, g[i], want)
			}
		}
	}
}

// TestLMLogitsMatchTheForwardPass checks that the language-model head
// applied at every position gives, at the last position, what marill's
// forward pass returns.
func TestLMLogitsMatchTheForwardPass(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		arch  marill.Arch
		knobs *marill.Knobs
	}{{marill.GPT2, nil}, {marill.LLaMA, nil}, {marill.GPT2, &marill.Knobs{Perturb: 1, Seed: 2}},
		{marill.LLaMA, &marill.Knobs{LoRARank: 2, FreezeLayers: 1, Perturb: 1}}} {
		m, err := marill.NewPretrained(marill.Tiny(c.arch), 5)
		if err != nil {
			t.Fatal(err)
		}
		if c.knobs != nil {
			m = m.MustFineTune(*c.knobs)
		}
		in := marill.RandomInput(m.Config, 3)
		want, err := m.Forward(ctx, plain.New(), in)
		if err != nil {
			t.Fatal(err)
		}
		e := tape.New()
		if _, err := m.Apply(ctx, e, in); err != nil {
			t.Fatal(err)
		}
		lg, err := lmLogits(e, m)
		if err != nil {
			t.Fatal(err)
		}
		z, _ := e.Data(lg)
		v := m.Config.Vocab
		last := z[len(z)-v:]
		for j := range last {
			if !near(last[j], want.Data()[j], 1e-12) {
				t.Fatalf("%v %v: logit %d is %g, the forward pass says %g", c.arch, c.knobs, j, last[j], want.Data()[j])
			}
		}
	}
	// BERT: masked-token logits are the last hidden state times the
	// transposed token embeddings.
	m, _ := marill.NewPretrained(marill.Tiny(marill.BERT), 5)
	e := tape.New()
	in := marill.RandomInput(m.Config, 3)
	m.Apply(ctx, e, in)
	h, _ := e.Output("block1")
	hv, _ := e.Data(h)
	lg, err := lmLogits(e, m)
	if err != nil {
		t.Fatal(err)
	}
	z, _ := e.Data(lg)
	d, v, tok := m.Config.Hidden, m.Config.Vocab, m.Embed.Tokens.Data()
	for i := 0; i < len(in.IDs); i++ {
		for j := 0; j < v; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				s += hv[i*d+k] * tok[j*d+k]
			}
			if !near(z[i*v+j], s, 1e-12) {
				t.Fatalf("BERT logit [%d,%d] = %g, want %g", i, j, z[i*v+j], s)
			}
		}
	}
}

func TestForTaskAndTrainable(t *testing.T) {
	tok := data.BuiltinTokenizer()
	task, err := data.Builtin("subject", data.Options{Train: 10, Dev: 2, Test: 2})
	if err != nil {
		t.Fatal(err)
	}
	shape := TinyShape(marill.GPT2)
	cfg, _ := shape.PretrainConfig(tok)
	pre, _ := marill.NewPretrained(cfg, 1)
	m, err := ForTask(pre, tok, task, 9)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.OutputHead() != marill.Classifier || m.Config.Labels != 4 {
		t.Fatalf("task model head %v with %d labels", m.Config.OutputHead(), m.Config.Labels)
	}
	for _, name := range []string{"embed.tokens", "block1.ffn.down.weight", "final_norm.gamma"} {
		p, _ := m.Param(name)
		q, _ := pre.Param(name)
		if !slices.Equal(p.Data(), q.Data()) {
			t.Fatalf("%s was not copied from the pretrained model", name)
		}
	}
	if !strings.Contains(m.Origin, "head.classifier.weight") {
		t.Fatalf("origin %q does not say the classifier is seeded", m.Origin)
	}
	if _, err := ForTask(pre.MustFineTune(marill.Knobs{}), tok, task, 1); err == nil {
		t.Fatal("ForTask accepted a fine-tuned model")
	}
	gen, _ := data.Builtin("reverse", data.Options{Train: 10, Dev: 2, Test: 2})
	bert, _ := TinyShape(marill.BERT).PretrainConfig(tok)
	bpre, _ := marill.NewPretrained(bert, 1)
	if _, err := ForTask(bpre, tok, gen, 1); err == nil || !strings.Contains(err.Error(), "decoder") {
		t.Fatalf("a BERT generation model: %v", err)
	}

	// What each knob trains.
	d, ff, L, labels := shape.Hidden, shape.FFN, shape.Layers, 4
	block := 4*(d*d+d) + d*ff + ff + ff*d + d + 4*d
	head := d*labels + labels
	for _, c := range []struct {
		k    marill.Knobs
		want int64
	}{
		{marill.Knobs{}, int64(L*block + 2*d + head)},
		{marill.Knobs{FreezeLayers: 1}, int64(block + 2*d + head)},
		{marill.Knobs{LoRARank: 2}, int64(L*(4*(d*2+2*d)+(d*2+2*ff)+(ff*2+2*d)) + head)},
		{marill.Knobs{LoRARank: 2, LoRATargets: marill.ProjQ | marill.ProjV}, int64(L*2*(d*2+2*d) + head)},
		{marill.Knobs{MergeHeads: 2, Softmax: marill.TwoQuad}, int64(L*block + 2*d + head)},
	} {
		if got := CountParams(Trainable(m.MustFineTune(c.k))); got != c.want {
			t.Errorf("%v trains %d parameters, want %d", c.k, got, c.want)
		}
	}
	if got := CountParams(Trainable(pre)); got != cfg.ParamCount() {
		t.Errorf("pretraining trains %d parameters, want all %d", got, cfg.ParamCount())
	}
	if ps := Trainable(m.MustFineTune(marill.Knobs{FreezeFraction: 1})); len(ps) != 0 {
		t.Errorf("freezing every block leaves %d parameters trainable", len(ps))
	}
}

func TestGreedy(t *testing.T) {
	cfg := marill.Config{MaxPositions: 8}
	// A scripted model: it answers 10, 11, then EOS.
	script := []int{10, 11, data.EOS}
	calls := 0
	forward := func(ids []int) ([]float64, error) {
		if len(ids) != 3+calls {
			t.Fatalf("call %d got %d ids", calls, len(ids))
		}
		z := make([]float64, 12)
		z[script[calls]] = 1
		calls++
		return z, nil
	}
	got, err := greedy(cfg, []int{data.BOS, 7, data.SEP}, 10, forward)
	if err != nil || !slices.Equal(got, script) {
		t.Fatalf("greedy = %v, %v", got, err)
	}
	// The position table bounds the output.
	calls = 0
	script = []int{9, 9, 9, 9, 9, 9, 9, 9}
	got, _ = greedy(cfg, []int{data.BOS, 7, data.SEP}, 10, forward)
	if len(got) != 5 {
		t.Fatalf("greedy wrote %d tokens into 8 positions after a 3-token prompt", len(got))
	}
}

func TestEncodeGeneration(t *testing.T) {
	tok := data.BuiltinTokenizer()
	s := encodeGeneration(tok, "dog cat", "cat dog")
	want := []int{data.BOS, tok.ID("dog"), tok.ID("cat"), data.SEP, tok.ID("cat"), tok.ID("dog")}
	if !slices.Equal(s.ids, want) {
		t.Fatalf("ids %v, want %v", s.ids, want)
	}
	wantT := []int{-1, -1, -1, tok.ID("cat"), tok.ID("dog"), data.EOS}
	if !slices.Equal(s.targets, wantT) {
		t.Fatalf("targets %v, want %v", s.targets, wantT)
	}
	if ids := encodeText(marill.BERT, tok, "the dog runs", 4); !slices.Equal(ids, []int{data.CLS, tok.ID("the"), tok.ID("dog"), data.SEP}) {
		t.Fatalf("BERT text cut to 4 positions: %v", ids)
	}
}

func TestPrice(t *testing.T) {
	ctx := context.Background()
	cfg := marill.GPT2Small()
	std, err := Price(ctx, cfg, marill.Knobs{}, CostOptions{})
	if err != nil {
		t.Fatal(err)
	}
	frozen, err := Price(ctx, cfg, marill.Knobs{FreezeFraction: 0.5}, CostOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if std.Protocol != "sigma" || std.Sent <= 0 || std.Seconds <= 0 || frozen.Sent >= std.Sent {
		t.Fatalf("standard %v, half frozen %v", std, frozen)
	}
	if _, err := Price(ctx, cfg, marill.Knobs{}, CostOptions{Protocol: "nope"}); err == nil {
		t.Fatal("an unknown protocol was accepted")
	}
	if _, err := Price(ctx, cfg, marill.Knobs{}, CostOptions{Network: "fast"}); err == nil {
		t.Fatal("an unknown network was accepted")
	}
	_ = mpc.Shared
}
