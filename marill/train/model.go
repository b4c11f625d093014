package train

import (
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
)

// Shape is the size of the small models trained here. The vocabulary
// comes from the tokenizer and the head from the task.
type Shape struct {
	Arch         marill.Arch
	Layers       int
	Hidden       int
	Heads        int
	FFN          int
	MaxPositions int
}

// DefaultShape is the 2-layer, 128-wide model of the speed target: 4
// heads of 32 (so heads merge by 2 or 4), a 512-wide FFN and 64
// positions.
func DefaultShape(arch marill.Arch) Shape {
	return Shape{Arch: arch, Layers: 2, Hidden: 128, Heads: 4, FFN: 512, MaxPositions: 64}
}

// TinyShape is a 2-layer, 32-wide model with 4 heads of 8, for tests and
// examples that must run in a second.
func TinyShape(arch marill.Arch) Shape {
	return Shape{Arch: arch, Layers: 2, Hidden: 32, Heads: 4, FFN: 64, MaxPositions: 48}
}

func (s Shape) String() string {
	return fmt.Sprintf("%v L=%d d=%d h=%d d_ff=%d", s.Arch, s.Layers, s.Hidden, s.Heads, s.FFN)
}

// Name is the model's name in configs and reports, e.g. "gpt2-2x128".
func (s Shape) Name() string { return fmt.Sprintf("%v-%dx%d", s.Arch, s.Layers, s.Hidden) }

// config returns the marill config of the shape with a vocabulary and a
// head; SeqLen is set to the longest sequence (the length priced by
// default).
func (s Shape) config(vocab int, head marill.HeadKind, labels int) (marill.Config, error) {
	c := marill.Config{Name: s.Name(), Arch: s.Arch, Layers: s.Layers, Hidden: s.Hidden, Heads: s.Heads,
		FFN: s.FFN, Vocab: vocab, MaxPositions: s.MaxPositions, SeqLen: s.MaxPositions, Head: head, Labels: labels}
	switch s.Arch {
	case marill.BERT:
		c.NormEps, c.Activation = 1e-12, mpc.GeLUExact
	case marill.GPT2:
		c.NormEps, c.Activation = 1e-5, mpc.GeLUTanh
	case marill.LLaMA:
		c.NormEps, c.RopeBase = 1e-6, 10000
	}
	if err := c.Validate(); err != nil {
		return marill.Config{}, fmt.Errorf("train: shape %v: %w", s, err)
	}
	return c, nil
}

// PretrainConfig is the config of the public pretrained model: a language-
// model head for the decoders (GPT2, LLaMA); BERT, whose config has no LM
// head, keeps a two-class classifier that pretraining leaves untouched
// (masked-language-model logits use the token embeddings, see Pretrain).
func (s Shape) PretrainConfig(tok *data.Tokenizer) (marill.Config, error) {
	if s.Arch == marill.BERT {
		return s.config(tok.Size(), marill.Classifier, 2)
	}
	return s.config(tok.Size(), marill.LMHead, 0)
}

// TaskConfig is the config of a model fine-tuned for the task: a
// classifier with the task's labels, or an LM head for generation (which
// needs a decoder).
func (s Shape) TaskConfig(tok *data.Tokenizer, task *data.Task) (marill.Config, error) {
	if task.Kind == data.Generation {
		if !s.Arch.Decoder() {
			return marill.Config{}, fmt.Errorf("train: generation task %s needs a decoder (gpt2 or llama), not %v", task.Name, s.Arch)
		}
		return s.config(tok.Size(), marill.LMHead, 0)
	}
	return s.config(tok.Size(), marill.Classifier, len(task.Labels))
}

// ShapeOf recovers the shape of a model.
func ShapeOf(c marill.Config) Shape {
	return Shape{Arch: c.Arch, Layers: c.Layers, Hidden: c.Hidden, Heads: c.Heads, FFN: c.FFN, MaxPositions: c.MaxPositions}
}

// ForTask returns the public pretrained model of the task's config: pre's
// weights wherever a parameter of the same name and shape exists (the
// whole trunk, and an LM head for generation), and a head seeded from
// seed otherwise (a new classifier). pre is not changed; the two share
// no parameter.
func ForTask(pre *marill.Model, tok *data.Tokenizer, task *data.Task, seed uint64) (*marill.Model, error) {
	if pre.FineTuned {
		return nil, fmt.Errorf("train: ForTask needs a pretrained model, got a fine-tuned one (%s)", pre.Knobs)
	}
	if pre.Config.Vocab != tok.Size() {
		return nil, fmt.Errorf("train: the model's vocabulary (%d) is not the tokenizer's (%d)", pre.Config.Vocab, tok.Size())
	}
	cfg, err := ShapeOf(pre.Config).TaskConfig(tok, task)
	if err != nil {
		return nil, err
	}
	m, err := marill.NewPretrained(cfg, seed)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	src := map[string]*marill.Param{}
	for _, p := range allParams(pre) {
		src[p.Name] = p
	}
	var seeded []string
	for _, p := range allParams(m) {
		q, ok := src[p.Name]
		if !ok || !q.Shape().Equal(p.Shape()) {
			seeded = append(seeded, p.Name)
			continue
		}
		if err := p.Set(q.Data()); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	m.Origin = pre.Origin
	if len(seeded) > 0 {
		m.Origin += fmt.Sprintf(" + seeded %v", seeded)
	}
	return m, nil
}

// allParams lists a model's parameters, a tied LM head included.
func allParams(m *marill.Model) []*marill.Param {
	ps := m.Params()
	if m.Head.LMTied && m.Head.LM != nil {
		ps = append(ps, m.Head.LM.Weight)
	}
	return ps
}

// Trainable lists the parameters fine-tuning updates: those the fine-
// tuned model keeps private (mpc.Server). That is exactly what each knob
// makes trainable: every weight of the private blocks, the final norm and
// the head under full fine-tuning; nothing of frozen blocks; only the
// adapters (and a task classifier) under LoRA. Embeddings stay public and
// are never fine-tuned. For a pretrained model (pretraining) it is every
// parameter.
func Trainable(m *marill.Model) []*marill.Param {
	if !m.FineTuned {
		return m.Params()
	}
	var out []*marill.Param
	for _, p := range m.Params() {
		if p.Vis == mpc.Server {
			out = append(out, p)
		}
	}
	return out
}

// CountParams adds up the sizes of ps.
func CountParams(ps []*marill.Param) int64 {
	var n int64
	for _, p := range ps {
		n += int64(p.Size())
	}
	return n
}
