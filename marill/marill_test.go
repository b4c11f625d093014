package marill

import (
	"context"
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func pretrained(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := NewPretrained(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func forwardPlain(t testing.TB, m *Model, in Input) []float64 {
	t.Helper()
	out, err := m.Forward(context.Background(), plain.New(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.Data()
}

func TestForwardMatchesReference(t *testing.T) {
	for _, c := range []struct {
		arch  Arch
		knobs Knobs
	}{
		{GPT2, Knobs{}},
		{GPT2, Knobs{FreezeLayers: 1, MergeHeads: 2, LoRARank: 2, Perturb: 1, Seed: 3}},
		{GPT2, Knobs{Softmax: mpc.Softmax2Quad, Perturb: 0.5}},
		{BERT, Knobs{}},
		{BERT, Knobs{MergeHeads: 4, LoRARank: 3, Perturb: 2}},
		{LLaMA, Knobs{}},
		{LLaMA, Knobs{MergeHeads: 2, LoRARank: 2, Perturb: 1}},
	} {
		cfg := Tiny(c.arch)
		m := pretrained(t, cfg, 11).MustFineTune(c.knobs)
		in := RandomInput(cfg, 5)
		got := forwardPlain(t, m, in)
		var want []float64
		switch c.arch {
		case GPT2:
			want = gpt2Reference(t, m, in.IDs)
		case BERT:
			want = bertReference(t, m, in.IDs)
		case LLaMA:
			want = llamaReference(t, m, in.IDs)
		}
		assertClose(t, c.arch.String()+" "+c.knobs.String(), got, want, 1e-9)
	}
}

func TestMergeFactorOneIsIdentity(t *testing.T) {
	for _, a := range []Arch{BERT, GPT2, LLaMA} {
		cfg := Tiny(a)
		pre := pretrained(t, cfg, 2)
		in := RandomInput(cfg, 9)
		base := forwardPlain(t, pre, in)
		for _, m := range []int{0, 1} {
			ft := pre.MustFineTune(Knobs{MergeHeads: m})
			assertClose(t, a.String()+" merge ×"+itoa(m), forwardPlain(t, ft, in), base, 0)
		}
	}
}

func itoa(i int) string { return Knobs{MergeHeads: i}.String() }

func TestMergingKeepsParameters(t *testing.T) {
	for _, cfg := range []Config{BERTBase(), GPT2Small(), Llama2_7B()} {
		pre := pretrained(t, cfg, 1)
		ft := pre.MustFineTune(Knobs{MergeHeads: 4})
		pt, _ := pre.ParamCount()
		ftTotal, ftPrivate := ft.ParamCount()
		// GPT-2's fine-tuned head is untied (private), so it counts once more.
		want := pt
		if cfg.Arch == GPT2 {
			want += int64(cfg.Hidden * cfg.Vocab)
		}
		if ftTotal != want {
			t.Errorf("%s: merged model has %d parameters, pretrained %d (+ untied head: %d)", cfg.Name, ftTotal, pt, want)
		}
		if ftPrivate == 0 {
			t.Errorf("%s: standard fine-tuning left nothing private", cfg.Name)
		}
		if pt != cfg.ParamCount() {
			t.Errorf("%s: Config.ParamCount %d disagrees with the model's %d", cfg.Name, cfg.ParamCount(), pt)
		}
		for i, b := range ft.Blocks {
			if b.Heads != cfg.Heads/4 || b.Q.Weight.Shape().Cols() != cfg.Hidden {
				t.Fatalf("%s block %d: %d heads, Q %v", cfg.Name, i, b.Heads, b.Q.Weight.Shape())
			}
		}
	}
	// Published sizes: BERT-base 109.5M (with pooler, 2-label classifier), GPT-2 124.4M.
	if n := BERTBase().ParamCount(); n != 109_483_778 {
		t.Errorf("BERT-base parameters = %d, want 109,483,778", n)
	}
	if n := GPT2Small().ParamCount(); n != 124_439_808 {
		t.Errorf("GPT-2 parameters = %d, want 124,439,808", n)
	}
	if n := Llama2_7B().ParamCount(); n != 6_738_415_616 {
		t.Errorf("Llama-2-7B parameters = %d, want 6,738,415,616", n)
	}
}

func TestLoRAWithZeroBEqualsBase(t *testing.T) {
	for _, a := range []Arch{BERT, GPT2, LLaMA} {
		cfg := Tiny(a)
		pre := pretrained(t, cfg, 4)
		in := RandomInput(cfg, 1)
		base := forwardPlain(t, pre, in)
		ft := pre.MustFineTune(Knobs{LoRARank: 4, Seed: 8})
		if ft.Blocks[0].Q.LoRAA == nil {
			t.Fatalf("%v: no adapters", a)
		}
		assertClose(t, a.String()+" LoRA B=0", forwardPlain(t, ft, in), base, 0)
		perturbed := pre.MustFineTune(Knobs{LoRARank: 4, Seed: 8, Perturb: 1})
		got := forwardPlain(t, perturbed, in)
		same := true
		for i := range got {
			same = same && got[i] == base[i]
		}
		if same {
			t.Errorf("%v: perturbed adapters left the output unchanged", a)
		}
	}
}

func TestFreezingPlans(t *testing.T) {
	for _, cfg := range []Config{BERTBase(), GPT2Small(), OpenLLaMA3Bv2()} {
		pre := pretrained(t, cfg, 1)
		all := pre.MustFineTune(Knobs{FreezeFraction: 1}).Plan()
		if !all.ClientOnly() || all.MPCLayers() != 0 || all.ClientLayers() != cfg.Layers {
			t.Errorf("%s: freezing every layer should give a client-only plan:\n%s", cfg.Name, all)
		}
		none := pre.MustFineTune(Knobs{}).Plan()
		if none.MPCLayers() != cfg.Layers || none.ClientLayers() != 0 {
			t.Errorf("%s: freezing nothing: %d MPC layers, want %d", cfg.Name, none.MPCLayers(), cfg.Layers)
		}
		for _, l := range none.Layers {
			want := mpc.Interactive
			if l.Name == "embed" {
				want = mpc.OnClient
			}
			if l.Where != want {
				t.Errorf("%s: standard fine-tuning runs %s on %v, want %v", cfg.Name, l.Name, l.Where, want)
			}
		}
		for k := 0; k <= cfg.Layers; k += 5 {
			p := pre.MustFineTune(Knobs{FreezeLayers: k}).Plan()
			if p.MPCLayers() != cfg.Layers-k {
				t.Errorf("%s freeze %d: %d MPC layers, want L−k = %d", cfg.Name, k, p.MPCLayers(), cfg.Layers-k)
			}
		}
	}
}

// TestPlanFormulas checks the plan's counts against closed forms:
// softmax elements (h/m)·n² per MPC layer, L − k MPC layers, and secure
// matmul MACs n(d_in·r + r·d_out) per adapted projection plus the two
// attention products 2·n²·d (secret × secret), nothing else.
func TestPlanFormulas(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		knobs Knobs
	}{
		{BERTBase(), Knobs{FreezeLayers: 4, LoRARank: 8, MergeHeads: 4}},
		{BERTBase(), Knobs{MergeHeads: 2}},
		{GPT2Small(), Knobs{FreezeFraction: 0.5, LoRARank: 16, LoRATargets: ProjQ | ProjV, MergeHeads: 3}},
		{OpenLLaMA3Bv2(), Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4}},
		{Llama2_7B(), Knobs{}},
	} {
		cfg, k := c.cfg, c.knobs
		p := pretrained(t, cfg, 1).MustFineTune(k).Plan()
		n, d, ff, h := int64(cfg.SeqLen), int64(cfg.Hidden), int64(cfg.FFN), int64(cfg.Heads)
		frozen := int64(0)
		for _, f := range k.FrozenLayers(cfg.Layers) {
			if f {
				frozen++
			}
		}
		if got := int64(p.MPCLayers()); got != int64(cfg.Layers)-frozen {
			t.Errorf("%s %s: %d MPC layers, want %d", cfg.Name, k, got, int64(cfg.Layers)-frozen)
		}
		r := int64(k.LoRARank)
		type proj struct {
			p       Proj
			in, out int64
		}
		projs := []proj{{ProjQ, d, d}, {ProjK, d, d}, {ProjV, d, d}, {ProjO, d, d}, {ProjUp, d, ff}, {ProjDown, ff, d}}
		if cfg.Arch == LLaMA {
			projs = append(projs, proj{ProjGate, d, ff})
		}
		var perBlock int64 = 2 * n * n * d // QKᵀ and AV
		for _, pr := range projs {
			switch {
			case r == 0:
				perBlock += n * pr.in * pr.out
			case k.Targets(cfg.Arch)&pr.p != 0:
				perBlock += n * (pr.in*r + r*pr.out)
			}
		}
		for _, l := range p.Layers {
			if !strings.HasPrefix(l.Name, "block") || l.Where != mpc.Interactive {
				continue
			}
			if want := (h / int64(k.Merge())) * n * n; l.SoftmaxElements != want {
				t.Errorf("%s %s %s: %d softmax elements, want (h/m)n² = %d", cfg.Name, k, l.Name, l.SoftmaxElements, want)
			}
			if l.SecureMACs != perBlock {
				t.Errorf("%s %s %s: %d secure MACs, want %d", cfg.Name, k, l.Name, l.SecureMACs, perBlock)
			}
		}
	}
}

func TestFineTuneVisibility(t *testing.T) {
	cfg := Tiny(GPT2)
	pre := pretrained(t, cfg, 1)
	for _, p := range pre.Params() {
		if p.Vis != mpc.Public {
			t.Fatalf("pretrained %s is %v", p.Name, p.Vis)
		}
	}
	ft := pre.MustFineTune(Knobs{FreezeLayers: 1})
	if ft.Blocks[0].Q.Weight != pre.Blocks[0].Q.Weight {
		t.Errorf("a frozen block should share the pretrained public weights")
	}
	if ft.Blocks[1].Q.Weight.Vis != mpc.Server || ft.Blocks[1].Norm1.Gamma.Vis != mpc.Server {
		t.Errorf("a private block's weights should belong to the server")
	}
	if ft.Head.LMTied || ft.Head.LM.Weight.Vis != mpc.Server || ft.FinalNorm.Gamma.Vis != mpc.Server {
		t.Errorf("fine-tuning should untie and privatise the head and final norm")
	}
	lora := pre.MustFineTune(Knobs{FreezeLayers: 1, LoRARank: 2, LoRATargets: ProjQ | ProjV})
	b := lora.Blocks[1]
	if b.Q.Weight.Vis != mpc.Public || b.Q.LoRAA.Vis != mpc.Server || b.K.LoRAA != nil || b.V.LoRAB == nil {
		t.Errorf("LoRA on q,v: base weights public, adapters private on q and v only")
	}
	if !lora.Head.LMTied || lora.FinalNorm.Gamma.Vis != mpc.Public {
		t.Errorf("LoRA trains only adapters: the LM head and final norm stay public")
	}
	if pre.FineTuned || pre.Blocks[1].Q.Weight.Vis != mpc.Public {
		t.Errorf("FineTune changed the pretrained model")
	}
	if _, err := ft.FineTune(Knobs{}); err == nil {
		t.Errorf("fine-tuning a fine-tuned model should be refused")
	}
}

func TestValidationNamesTheField(t *testing.T) {
	base := BERTBase()
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Heads = 7 }, "Config.Heads = 7 does not divide Hidden = 768"},
		{func(c *Config) { c.SeqLen = 0 }, "Config.SeqLen"},
		{func(c *Config) { c.SeqLen = 513 }, "exceeds MaxPositions"},
		{func(c *Config) { c.Layers = 0 }, "Config.Layers"},
		{func(c *Config) { c.Arch = 0 }, "Config.Arch"},
		{func(c *Config) { c.Labels = 0 }, "Config.Labels"},
		{func(c *Config) { c.Vocab = -1 }, "Config.Vocab"},
	} {
		cfg := base
		c.mod(&cfg)
		_, err := NewPretrained(cfg, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error containing %q, got %v", c.want, err)
		}
	}
	pre := pretrained(t, base, 0)
	for _, c := range []struct {
		k    Knobs
		want string
	}{
		{Knobs{FreezeFraction: 1.5}, "Knobs.FreezeFraction = 1.5 is outside [0, 1]"},
		{Knobs{FreezeFraction: -0.1}, "Knobs.FreezeFraction"},
		{Knobs{FreezeLayers: 13}, "Knobs.FreezeLayers = 13"},
		{Knobs{FreezeLayers: 2, FreezeFraction: 0.5}, "set only one"},
		{Knobs{MergeHeads: 5}, "Knobs.MergeHeads = 5 does not divide Heads = 12"},
		{Knobs{LoRARank: -1}, "Knobs.LoRARank = -1, rank must be ≥ 1"},
		{Knobs{LoRATargets: ProjQ}, "LoRARank is 0"},
		{Knobs{LoRARank: 4, LoRATargets: ProjGate}, "gate, which only LLaMA has"},
		{Knobs{Frozen: []bool{true, false, true, false, false, false, false, false, false, false, false, false}}, "only a prefix of layers can leave MPC"},
		{Knobs{Frozen: []bool{true}}, "Knobs.Frozen has 1 entries for 12 layers"},
	} {
		_, err := pre.FineTune(c.k)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want an error containing %q, got %v", c.k, c.want, err)
		}
	}
}

func TestBadInputs(t *testing.T) {
	cfg := Tiny(GPT2)
	m := pretrained(t, cfg, 0)
	ctx := context.Background()
	for _, c := range []struct {
		in   Input
		want string
	}{
		{Input{}, "no tokens"},
		{Input{IDs: []int{1, 64}}, "outside the vocabulary"},
		{Input{IDs: make([]int, 33)}, "MaxPositions"},
	} {
		_, err := m.Forward(ctx, plain.New(), c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: want %q, got %v", c.in.IDs, c.want, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Forward(cancelled, plain.New(), RandomInput(cfg, 1)); err == nil || !strings.Contains(err.Error(), "stopped before block 0") {
		t.Errorf("a cancelled context should stop the forward pass, got %v", err)
	}
}
