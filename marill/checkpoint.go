package marill

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/marill-go/marill/mpc"
)

// hfEntry maps one tensor of a published checkpoint to our parameters:
// several parameters are concatenated along their last (output) axis
// (GPT-2's fused c_attn), and nn.Linear weights are stored transposed.
type hfEntry struct {
	name      string
	params    []*Param
	transpose bool
	optional  bool
}

// hfLayout lists the published names of m's parameters: GPT-2's as in
// OpenAI's release on the Hugging Face hub, BERT's as in
// BertForSequenceClassification, LLaMA's as in LlamaForCausalLM.
// LoRA adapters, which have no published name, are written as
// "marill.<canonical name>" in our orientation.
func hfLayout(m *Model) []hfEntry {
	var es []hfEntry
	add := func(name string, transpose, optional bool, ps ...*Param) {
		for _, p := range ps {
			if p == nil {
				return
			}
		}
		es = append(es, hfEntry{name: name, params: ps, transpose: transpose, optional: optional})
	}
	lora := func(l *Linear) {
		if l != nil && l.LoRAA != nil {
			add("marill."+l.LoRAA.Name, false, false, l.LoRAA)
			add("marill."+l.LoRAB.Name, false, false, l.LoRAB)
		}
	}
	cfg := m.Config
	switch cfg.Arch {
	case GPT2:
		add("wte.weight", false, false, m.Embed.Tokens)
		add("wpe.weight", false, false, m.Embed.Positions)
		for i, b := range m.Blocks {
			p := "h." + strconv.Itoa(i) + "."
			add(p+"ln_1.weight", false, false, b.Norm1.Gamma)
			add(p+"ln_1.bias", false, false, b.Norm1.Beta)
			add(p+"attn.c_attn.weight", false, false, b.Q.Weight, b.K.Weight, b.V.Weight)
			add(p+"attn.c_attn.bias", false, false, b.Q.Bias, b.K.Bias, b.V.Bias)
			add(p+"attn.c_proj.weight", false, false, b.O.Weight)
			add(p+"attn.c_proj.bias", false, false, b.O.Bias)
			add(p+"ln_2.weight", false, false, b.Norm2.Gamma)
			add(p+"ln_2.bias", false, false, b.Norm2.Beta)
			add(p+"mlp.c_fc.weight", false, false, b.Up.Weight)
			add(p+"mlp.c_fc.bias", false, false, b.Up.Bias)
			add(p+"mlp.c_proj.weight", false, false, b.Down.Weight)
			add(p+"mlp.c_proj.bias", false, false, b.Down.Bias)
		}
		add("ln_f.weight", false, false, m.FinalNorm.Gamma)
		add("ln_f.bias", false, false, m.FinalNorm.Beta)
	case BERT:
		add("bert.embeddings.word_embeddings.weight", false, false, m.Embed.Tokens)
		add("bert.embeddings.position_embeddings.weight", false, false, m.Embed.Positions)
		add("bert.embeddings.token_type_embeddings.weight", false, false, m.Embed.Types)
		add("bert.embeddings.LayerNorm.weight", false, false, m.Embed.Norm.Gamma)
		add("bert.embeddings.LayerNorm.bias", false, false, m.Embed.Norm.Beta)
		for i, b := range m.Blocks {
			p := "bert.encoder.layer." + strconv.Itoa(i) + "."
			for _, x := range []struct {
				n string
				l *Linear
			}{{"attention.self.query", b.Q}, {"attention.self.key", b.K}, {"attention.self.value", b.V},
				{"attention.output.dense", b.O}, {"intermediate.dense", b.Up}, {"output.dense", b.Down}} {
				add(p+x.n+".weight", true, false, x.l.Weight)
				add(p+x.n+".bias", false, false, x.l.Bias)
			}
			add(p+"attention.output.LayerNorm.weight", false, false, b.Norm1.Gamma)
			add(p+"attention.output.LayerNorm.bias", false, false, b.Norm1.Beta)
			add(p+"output.LayerNorm.weight", false, false, b.Norm2.Gamma)
			add(p+"output.LayerNorm.bias", false, false, b.Norm2.Beta)
		}
	case LLaMA:
		add("model.embed_tokens.weight", false, false, m.Embed.Tokens)
		for i, b := range m.Blocks {
			p := "model.layers." + strconv.Itoa(i) + "."
			for _, x := range []struct {
				n string
				l *Linear
			}{{"self_attn.q_proj", b.Q}, {"self_attn.k_proj", b.K}, {"self_attn.v_proj", b.V},
				{"self_attn.o_proj", b.O}, {"mlp.gate_proj", b.Gate}, {"mlp.up_proj", b.Up}, {"mlp.down_proj", b.Down}} {
				add(p+x.n+".weight", true, false, x.l.Weight)
			}
			add(p+"input_layernorm.weight", false, false, b.Norm1.Gamma)
			add(p+"post_attention_layernorm.weight", false, false, b.Norm2.Gamma)
		}
		add("model.norm.weight", false, false, m.FinalNorm.Gamma)
	}
	for _, b := range m.Blocks {
		for _, l := range []*Linear{b.Q, b.K, b.V, b.O, b.Up, b.Gate, b.Down} {
			lora(l)
		}
	}
	// Heads: task heads are optional in a pretrained checkpoint (they are
	// seeded when absent); a tied GPT-2 head has no tensor of its own.
	if h := m.Head.Pooler; h != nil {
		add("bert.pooler.dense.weight", true, true, h.Weight)
		add("bert.pooler.dense.bias", false, true, h.Bias)
	}
	if h := m.Head.Classifier; h != nil {
		add("classifier.weight", true, true, h.Weight)
		add("classifier.bias", false, true, h.Bias)
	}
	if h := m.Head.LM; h != nil && !m.Head.LMTied {
		add("lm_head.weight", true, cfg.Arch == GPT2, h.Weight)
	}
	return es
}

// fileNames finds how a file spells the names: published GPT-2 files have
// no prefix or "transformer.", BERT files "bert." or none. first is the
// first name of the layout.
func fileNames(s *Safetensors, first string) func(string) string {
	if _, ok := s.Info(first); ok {
		return func(n string) string { return n }
	}
	if _, ok := s.Info("transformer." + first); ok {
		return func(n string) string { return "transformer." + n }
	}
	if bare, ok := strings.CutPrefix(first, "bert."); ok {
		if _, ok := s.Info(bare); ok {
			return func(n string) string { return strings.TrimPrefix(n, "bert.") }
		}
	}
	return func(n string) string { return n }
}

// LoadPretrained reads a published checkpoint (safetensors, F32/F16/BF16)
// as the public pretrained model of cfg. Every tensor's shape is checked
// against cfg; a missing tensor is an error, except task heads, which are
// seeded from seed (Origin says which). Other tensors in the file (mask
// and position-id buffers, rotary frequencies) are ignored.
func LoadPretrained(cfg Config, path string, seed uint64) (*Model, error) {
	m, err := NewPretrained(cfg, seed)
	if err != nil {
		return nil, err
	}
	s, err := OpenSafetensors(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	layout := hfLayout(m)
	name := fileNames(s, layout[0].name)
	var missing, seeded []string
	for _, e := range layout {
		fileName := name(e.name)
		if _, ok := s.Info(fileName); !ok {
			if e.optional {
				for _, p := range e.params {
					seeded = append(seeded, p.Name)
				}
				continue
			}
			missing = append(missing, fileName)
			continue
		}
		if err := loadEntry(s, fileName, e); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		more := ""
		if len(missing) > 5 {
			more = fmt.Sprintf(" and %d more", len(missing)-5)
			missing = missing[:5]
		}
		return nil, fmt.Errorf("marill: %s is not a %v checkpoint of this shape: missing %s%s", path, cfg.Arch, strings.Join(missing, ", "), more)
	}
	m.Origin = "safetensors " + path
	if len(seeded) > 0 {
		m.Origin += " (seeded, not in the file: " + strings.Join(seeded, ", ") + ")"
	}
	return m, nil
}

// loadEntry reads one published tensor into its parameters.
func loadEntry(s *Safetensors, fileName string, e hfEntry) error {
	t, err := s.Tensor(fileName)
	if err != nil {
		return err
	}
	// Our orientation: concatenated along the last axis.
	rows := e.params[0].shape[0]
	cols := 0
	for _, p := range e.params {
		cols += p.shape.Cols()
	}
	var want mpc.Shape
	if len(e.params[0].shape) == 1 {
		want = mpc.Shape{cols}
	} else if e.transpose {
		want = mpc.Shape{cols, rows}
	} else {
		want = mpc.Shape{rows, cols}
	}
	if !t.Shape().Equal(want) {
		return fmt.Errorf("marill: checkpoint tensor %s has shape %v, the model needs %v", fileName, t.Shape(), want)
	}
	data := t.Data()
	if e.transpose {
		data = transpose(data, cols, rows)
	}
	if len(e.params[0].shape) == 1 {
		rows, cols = 1, len(data)
	}
	off := 0
	for _, p := range e.params {
		c := p.shape.Cols()
		v := make([]float64, 0, p.Size())
		for r := 0; r < rows; r++ {
			v = append(v, data[r*cols+off:r*cols+off+c]...)
		}
		if err := p.Set(v); err != nil {
			return err
		}
		off += c
	}
	return nil
}

// Metadata keys Save writes.
const (
	metaConfig    = "marill.config"
	metaKnobs     = "marill.knobs"
	metaFineTuned = "marill.fine_tuned"
)

// Save writes the model to a safetensors file in the published naming of
// its family (so a saved pretrained model loads in other tools), plus its
// LoRA adapters and, in the metadata, its config and knobs, which Load
// uses to rebuild it. dtype is F32, F16, BF16 or F64.
func (m *Model) Save(path, dtype string) error {
	var ts []NamedTensor
	for _, e := range hfLayout(m) {
		t, err := entryTensor(e)
		if err != nil {
			return err
		}
		ts = append(ts, NamedTensor{Name: e.name, Tensor: t})
	}
	cj, err := json.Marshal(m.Config)
	if err != nil {
		return fmt.Errorf("marill: %w", err)
	}
	kj, err := json.Marshal(m.Knobs)
	if err != nil {
		return fmt.Errorf("marill: %w", err)
	}
	meta := map[string]string{"format": "pt", metaConfig: string(cj), metaKnobs: string(kj),
		metaFineTuned: strconv.FormatBool(m.FineTuned)}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("marill: %w", err)
	}
	if err := WriteSafetensors(f, ts, dtype, meta); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("marill: %w", err)
	}
	return nil
}

// entryTensor assembles the published tensor of an entry.
func entryTensor(e hfEntry) (*mpc.Dense, error) {
	rows := e.params[0].shape[0]
	if len(e.params[0].shape) == 1 {
		rows = 1
	}
	cols := 0
	for _, p := range e.params {
		cols += p.shape.Cols()
	}
	data := make([]float64, rows*cols)
	off := 0
	for _, p := range e.params {
		c := p.shape.Cols()
		v := p.Data()
		for r := 0; r < rows; r++ {
			copy(data[r*cols+off:], v[r*c:(r+1)*c])
		}
		off += c
	}
	shape := mpc.Shape{rows, cols}
	if len(e.params[0].shape) == 1 {
		shape = mpc.Shape{cols}
	}
	if e.transpose {
		data = transpose(data, rows, cols)
		shape = mpc.Shape{cols, rows}
	}
	return mpc.NewDense(shape, data)
}

// Load reads a model written by Save: its config and knobs from the
// metadata, its weights from the tensors. A fine-tuned model is rebuilt by
// fine-tuning the loaded weights with the saved knobs and then restoring
// its private adapters and head.
func Load(path string) (*Model, error) {
	s, err := OpenSafetensors(path)
	if err != nil {
		return nil, err
	}
	meta := s.Metadata
	s.Close()
	if meta[metaConfig] == "" {
		return nil, fmt.Errorf("marill: %s has no %s metadata; use LoadPretrained with a Config for published checkpoints", path, metaConfig)
	}
	var cfg Config
	if err := json.Unmarshal([]byte(meta[metaConfig]), &cfg); err != nil {
		return nil, fmt.Errorf("marill: %s: bad %s: %w", path, metaConfig, err)
	}
	pre, err := LoadPretrained(cfg, path, 0)
	if err != nil {
		return nil, err
	}
	if meta[metaFineTuned] != "true" {
		return pre, nil
	}
	var k Knobs
	if err := json.Unmarshal([]byte(meta[metaKnobs]), &k); err != nil {
		return nil, fmt.Errorf("marill: %s: bad %s: %w", path, metaKnobs, err)
	}
	k.Perturb = 0 // the saved values already carry any perturbation
	ft, err := pre.FineTune(k)
	if err != nil {
		return nil, fmt.Errorf("marill: %s: %w", path, err)
	}
	ft.Knobs = k
	s, err = OpenSafetensors(path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	// Adapters and an untied head are the parameters LoadPretrained could
	// not place; read them into the fine-tuned model.
	for _, e := range hfLayout(ft) {
		if !strings.HasPrefix(e.name, "marill.") && e.name != "lm_head.weight" {
			continue
		}
		if _, ok := s.Info(e.name); !ok {
			return nil, fmt.Errorf("marill: %s lacks %s", path, e.name)
		}
		if err := loadEntry(s, e.name, e); err != nil {
			return nil, err
		}
	}
	ft.Origin = "safetensors " + path
	return ft, nil
}

// CheckpointNames lists the published tensor names a model of cfg reads
// and writes, sorted.
func CheckpointNames(cfg Config) ([]string, error) {
	m, err := NewPretrained(cfg, 0)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range hfLayout(m) {
		names = append(names, e.name)
	}
	sort.Strings(names)
	return names, nil
}
