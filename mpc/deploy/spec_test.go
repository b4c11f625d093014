package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
)

func resolve(t *testing.T, s Spec) *Resolved {
	t.Helper()
	r, err := s.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseSpec(t *testing.T) {
	huge := marill.Tiny(marill.GPT2)
	huge.Layers = 1e9
	s, err := ParseSpec([]byte(`{"model": "tiny-gpt2", "seq_len": 4, "knobs": {"lora_rank": 2, "softmax": "2quad"},
		"pretrained": {"seed": 42}, "idle_timeout": "2s"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := resolve(t, s)
	if r.ModelConfig.Name != "tiny-gpt2" || r.ModelConfig.SeqLen != 4 || r.Knobs.LoRARank != 2 || r.Knobs.Softmax != mpc.Softmax2Quad ||
		r.Timeout != 2*time.Second || r.Protocol != Protocol || r.Numerics.FracBits != 16 {
		t.Errorf("resolved %+v", r)
	}
	// The JSON form reads back to the same run.
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSpec(b)
	if err != nil {
		t.Fatal(err)
	}
	if resolve(t, back).HashString() != r.HashString() {
		t.Errorf("JSON round trip changed the hash:\n%s", b)
	}
	for _, bad := range []struct{ json, want string }{
		{`{"model": "tiny-gpt2", "knobs": {"lora_rnak": 2}}`, `unknown field "lora_rnak"`},
		{`{"model": "tiny-gpt2"} {}`, "trailing data"},
		{`{"model": "tiny-gpt2", "idle_timeout": "soon"}`, "idle_timeout"},
	} {
		if _, err := ParseSpec([]byte(bad.json)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want one mentioning %q", bad.json, err, bad.want)
		}
	}
	for _, bad := range []struct {
		spec Spec
		want string
	}{
		{Spec{}, "no model"},
		{Spec{Model: "gpt-5"}, "gpt-5"},
		{Spec{Model: "tiny-bert", Layers: 3}, "layers 3 outside 0..2"},
		{Spec{Config: &huge}, "model layers = 1000000000, more than 4096"},
		{Spec{Model: "tiny-bert", Knobs: marill.Knobs{Seed: 1}}, "give them to the server alone"},
		{Spec{Model: "tiny-bert", Knobs: marill.Knobs{Perturb: 0.1}}, "give them to the server alone"},
		{Spec{Model: "tiny-bert", Knobs: marill.Knobs{MergeHeads: 3}}, "MergeHeads = 3"},
		{Spec{Model: "tiny-bert", Protocol: "3pc"}, `protocol "3pc"`},
		{Spec{Model: "tiny-bert", Pretrained: Pretrained{SHA256: "abc"}}, "not a hex SHA-256"},
		{Spec{Model: "tiny-bert", Pretrained: Pretrained{Checkpoint: "/nonexistent.safetensors"}}, "needs its sha256"},
	} {
		if _, err := bad.spec.Resolve(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", bad.spec, err, bad.want)
		}
	}
}

// Equivalent knobs written differently describe the same run; anything
// that changes the exchanged bytes changes the hash, and DiffPublic names
// it.
func TestRunHash(t *testing.T) {
	base := Spec{Model: "tiny-bert", SeqLen: 6, Knobs: marill.Knobs{FreezeFraction: 0.5, LoRARank: 2}, Pretrained: Pretrained{Seed: 42}}
	same := base
	same.Knobs = marill.Knobs{FreezeLayers: 1, LoRARank: 2, LoRAAlpha: 2, LoRATargets: marill.ProjAll, MergeHeads: 1}
	same.IdleTimeout = Duration(5 * time.Second)
	if a, b := resolve(t, base), resolve(t, same); a.HashString() != b.HashString() {
		t.Errorf("equivalent descriptions hash differently:\n%s\n%s", a.Public(), b.Public())
	}
	for _, c := range []struct {
		change func(*Spec)
		field  string
	}{
		{func(s *Spec) { s.SeqLen = 5 }, "model.seq_len"},
		{func(s *Spec) { s.Knobs.MergeHeads = 2 }, "knobs.merge_heads"},
		{func(s *Spec) { s.Knobs.Softmax = mpc.Softmax2ReLU }, "knobs.softmax"},
		{func(s *Spec) { s.Pretrained.Seed = 1 }, "pretrained.seed"},
		{func(s *Spec) { s.Numerics = fxpWithFrac(12) }, "numerics.FracBits"},
		{func(s *Spec) { s.IdleTimeout = Duration(time.Second) }, "idle_timeout"},
		{func(s *Spec) { s.Model = "tiny-gpt2" }, "model.arch"},
	} {
		s := base
		c.change(&s)
		a, b := resolve(t, base), resolve(t, s)
		if a.HashString() == b.HashString() {
			t.Errorf("changing %s keeps the hash", c.field)
		}
		diffs, err := DiffPublic(a.Public(), b.Public())
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range diffs {
			found = found || strings.HasPrefix(d, c.field+":")
		}
		if !found {
			t.Errorf("changing %s: differences %q", c.field, diffs)
		}
	}
}

func fxpWithFrac(f int) fxp.Params {
	p := fxp.Default()
	p.FracBits = f
	return p
}

// A pretrained checkpoint is identified by its SHA-256: computed from the
// file when the description has none, checked when it has one, and
// enough for the dealer, which needs no weights.
func TestPretrainedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pre.safetensors")
	cfg := marill.Tiny(marill.GPT2)
	pre, err := marill.NewPretrained(cfg, 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Save(path, "F32"); err != nil {
		t.Fatal(err)
	}
	s := Spec{Model: "tiny-gpt2", Pretrained: Pretrained{Checkpoint: path}}
	r := resolve(t, s)
	sum := r.Pretrained.SHA256
	if len(sum) != 64 {
		t.Fatalf("digest %q", sum)
	}
	s.Pretrained.SHA256 = strings.ToUpper(sum)
	if resolve(t, s).HashString() != r.HashString() {
		t.Error("the given digest and the computed one hash differently")
	}
	dealer := s
	dealer.Pretrained.Checkpoint = filepath.Join(dir, "not-on-this-host.safetensors")
	if resolve(t, dealer).HashString() != r.HashString() {
		t.Error("the dealer without the file describes another run")
	}
	m, err := r.PublicModel(false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Embed.Tokens.Data()[3], float64(float32(pre.Embed.Tokens.Data()[3])); got != want {
		t.Errorf("public weights not from the checkpoint: %g, want %g", got, want)
	}
	if err := os.WriteFile(path, append(mustRead(t, path), 0), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(); err == nil || !strings.Contains(err.Error(), "not the same file") {
		t.Errorf("a changed checkpoint: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The server's private weights from a checkpoint written by Model.Save:
// private tensors from the file, public ones from the pretrained weights
// (bit-identical to the client's); checkpoints of another model, other
// knobs or other pretrained weights are refused.
func TestServerCheckpoint(t *testing.T) {
	spec := tinySpec()
	r := resolve(t, spec)
	dir := t.TempDir()
	seeded, err := r.ServerModel(Weights{Seed: 3, Perturb: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ft.safetensors")
	if err := seeded.Save(path, "F32"); err != nil {
		t.Fatal(err)
	}
	m, err := r.ServerModel(Weights{Checkpoint: path})
	if err != nil {
		t.Fatal(err)
	}
	public, err := r.PublicModel(false)
	if err != nil {
		t.Fatal(err)
	}
	private := 0
	for i, p := range m.Params() {
		want := public.Params()[i].Data()
		if p.Vis == mpc.Server {
			private++
			want = seeded.Params()[i].Data()
		}
		for j, v := range p.Data() {
			w := want[j]
			if p.Vis == mpc.Server {
				w = float64(float32(w))
			}
			if v != w {
				t.Fatalf("%s[%d] = %g, want %g", p.Name, j, v, w)
			}
		}
	}
	if private == 0 {
		t.Fatal("no private weights")
	}

	// The checkpoint's weights run distributed exactly as in process.
	res := runThree(t, spec, setup{adjust: func(role string, o *Options) {
		if role == "server" {
			o.Weights = Weights{Checkpoint: path}
		}
	}})
	if !res.ok() {
		t.Fatal(res)
	}
	want, _ := inProcess(t, spec, Weights{Checkpoint: path})
	if abs, _, err := mpc.Compare(res.client.Output, want); err != nil || abs != 0 {
		t.Errorf("checkpoint run differs from in process by %g (%v)", abs, err)
	}

	save := func(name string, m *marill.Model) string {
		p := filepath.Join(dir, name)
		if err := m.Save(p, "F64"); err != nil {
			t.Fatal(err)
		}
		return p
	}
	otherKnobs := tinySpec()
	otherKnobs.Knobs.MergeHeads = 1
	ok := resolve(t, otherKnobs)
	mk, err := ok.ServerModel(Weights{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	otherBase := tinySpec()
	otherBase.Pretrained.Seed = 43
	mb, err := resolve(t, otherBase).ServerModel(Weights{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	otherModel := tinySpec()
	otherModel.Model = "tiny-gpt2"
	mm, err := resolve(t, otherModel).ServerModel(Weights{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	pre, err := marill.NewPretrained(r.ModelConfig, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		w    Weights
		want string
	}{
		{Weights{Checkpoint: save("knobs.safetensors", mk)}, "fine-tuned with knobs"},
		{Weights{Checkpoint: save("base.safetensors", mb)}, "not fine-tuned from the run's pretrained weights"},
		{Weights{Checkpoint: save("model.safetensors", mm)}, "is a"},
		{Weights{Checkpoint: save("pre.safetensors", pre)}, "not a fine-tuned one"},
		{Weights{Checkpoint: path, Seed: 3}, "not both"},
		{Weights{Checkpoint: filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
	} {
		if _, err := r.ServerModel(c.w); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.w, err, c.want)
		}
	}
	_, err = RunServer(context.Background(), spec, Options{Insecure: true, Weights: Weights{Checkpoint: filepath.Join(dir, "missing.safetensors")}})
	mustContain(t, "server", err, "deploy: server: ", "missing.safetensors")
}

// A run description from anyone cannot make Resolve, Public or
// DiffPublic panic.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(`{"model": "tiny-gpt2", "seq_len": 4, "knobs": {"lora_rank": 2, "softmax": "2quad"}, "idle_timeout": "2s"}`))
	f.Add([]byte(`{"config": {"name": "x", "arch": "bert", "layers": 1, "hidden": 8, "heads": 2, "ffn": 16, "vocab": 8, "max_positions": 8, "seq_len": 2, "norm_eps": 1e-5}}`))
	f.Add([]byte(`{"model": "bert-base", "layers": 1, "knobs": {"frozen": [true]}, "numerics": {"FracBits": 12}}`))
	base, err := (Spec{Model: "tiny-bert"}).Resolve()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec(b)
		if err != nil {
			return
		}
		r, err := s.Resolve()
		if err != nil {
			return
		}
		if _, err := DiffPublic(base.Public(), r.Public()); err != nil {
			t.Fatal(err)
		}
		if r.HashString() == "" {
			t.Fatal("no hash")
		}
	})
}
