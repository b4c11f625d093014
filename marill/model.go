package marill

import (
	"fmt"
	"strconv"

	"github.com/marill-go/marill/mpc"
)

// Linear is a projection y = x·W (+ x·A·B) (+ b).
type Linear struct {
	Weight *Param // [in, out]
	Bias   *Param // [out]; nil without bias (LLaMA)
	LoRAA  *Param // [in, r]; nil without LoRA
	LoRAB  *Param // [r, out]
}

// Norm is a layer norm (Gamma, Beta) or an RMS norm (Beta nil).
type Norm struct {
	Gamma *Param
	Beta  *Param
}

// Block is one transformer layer.
type Block struct {
	Index int
	// Frozen blocks keep public pretrained weights and run on the client.
	Frozen bool
	// Heads is this block's head count (h/m in merged private blocks).
	Heads int
	// Non-linearities of this block.
	GeLU    mpc.GeLUKind
	SiLU    mpc.SiLUKind
	Softmax mpc.SoftmaxKind

	Q, K, V, O     *Linear
	Up, Down, Gate *Linear // Gate only in LLaMA
	Norm1, Norm2   Norm    // around attention and FFN
}

// Embeddings are the input tables; they always stay public.
type Embeddings struct {
	Tokens    *Param // [V, d]
	Positions *Param // [P, d]; nil for rotary models
	Types     *Param // [2, d]; BERT only
	Norm      Norm   // BERT only
}

// Head is the output layer.
type Head struct {
	Pooler     *Linear // BERT classifier: tanh(W·h_cls + b)
	Classifier *Linear // [d, labels]
	LM         *Linear // [d, V]
	// LMTied marks an LM head that is the transpose of the token
	// embeddings (GPT-2) rather than a parameter of its own.
	LMTied bool
}

// Model is a transformer with its weights. A pretrained model has only
// public weights; FineTune derives a fine-tuned-shaped model whose private
// parts belong to the server.
type Model struct {
	Config Config
	// Knobs are the fine-tuning choices applied (zero for a pretrained model).
	Knobs Knobs
	// FineTuned is false for a pretrained model.
	FineTuned bool
	// Origin says where the weights came from ("seed 42", a file).
	Origin string

	Embed     Embeddings
	Blocks    []*Block
	FinalNorm Norm // GPT-2 and LLaMA
	Head      Head

	seed uint64
}

// NewPretrained returns the public pretrained model of cfg with weights
// drawn deterministically from seed. The weights are generated lazily, per
// tensor, from (seed, name), so building even a 7B model is free until an
// engine needs its values.
func NewPretrained(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Config: cfg, seed: seed, Origin: "seed " + strconv.FormatUint(seed, 10)}
	d, ff := cfg.Hidden, cfg.FFN
	p := func(name string, shape mpc.Shape, role string) *Param {
		return newParam(name, shape, mpc.Public, initFor(seed, name, shape, role))
	}
	lin := func(name string, in, out int, bias bool) *Linear {
		l := &Linear{Weight: p(name+".weight", mpc.Shape{in, out}, "weight")}
		if bias {
			l.Bias = p(name+".bias", mpc.Shape{out}, "bias")
		}
		return l
	}
	norm := func(name string) Norm {
		n := Norm{Gamma: p(name+".gamma", mpc.Shape{d}, "gamma")}
		if cfg.Arch != LLaMA {
			n.Beta = p(name+".beta", mpc.Shape{d}, "beta")
		}
		return n
	}
	bias := cfg.Arch != LLaMA

	m.Embed.Tokens = p("embed.tokens", mpc.Shape{cfg.Vocab, d}, "embedding")
	if cfg.Arch != LLaMA {
		m.Embed.Positions = p("embed.positions", mpc.Shape{cfg.MaxPositions, d}, "embedding")
	}
	if cfg.Arch == BERT {
		m.Embed.Types = p("embed.types", mpc.Shape{2, d}, "embedding")
		m.Embed.Norm = norm("embed.norm")
	}
	for i := 0; i < cfg.Layers; i++ {
		pre := "block" + strconv.Itoa(i)
		b := &Block{
			Index: i, Heads: cfg.Heads,
			GeLU: cfg.NativeGeLU(), SiLU: mpc.SiLUExact, Softmax: mpc.SoftmaxExact,
			Q:     lin(pre+".attn.q", d, d, bias),
			K:     lin(pre+".attn.k", d, d, bias),
			V:     lin(pre+".attn.v", d, d, bias),
			O:     lin(pre+".attn.o", d, d, bias),
			Up:    lin(pre+".ffn.up", d, ff, bias),
			Down:  lin(pre+".ffn.down", ff, d, bias),
			Norm1: norm(pre + ".norm1"),
			Norm2: norm(pre + ".norm2"),
		}
		if cfg.Arch == LLaMA {
			b.Gate = lin(pre+".ffn.gate", d, ff, false)
		}
		m.Blocks = append(m.Blocks, b)
	}
	if cfg.Arch != BERT {
		m.FinalNorm = norm("final_norm")
	}
	switch cfg.OutputHead() {
	case Classifier:
		if cfg.Arch == BERT {
			m.Head.Pooler = lin("head.pooler", d, d, true)
		}
		m.Head.Classifier = lin("head.classifier", d, cfg.Labels, true)
	case LMHead:
		if cfg.Arch == GPT2 {
			// Tied to the token embeddings: the head is their transpose.
			tok := m.Embed.Tokens
			m.Head.LM = &Linear{Weight: newParam("head.lm.weight", mpc.Shape{d, cfg.Vocab}, mpc.Public,
				func() []float64 { return transpose(tok.Data(), cfg.Vocab, d) })}
			m.Head.LMTied = true
		} else {
			m.Head.LM = lin("head.lm", d, cfg.Vocab, false)
		}
	}
	return m, nil
}

// transpose returns the r×c matrix a as c×r.
func transpose(a []float64, r, c int) []float64 {
	t := make([]float64, len(a))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			t[j*r+i] = a[i*c+j]
		}
	}
	return t
}

// Params lists every parameter in a fixed order: embeddings, blocks, final
// norm, head.
func (m *Model) Params() []*Param {
	var ps []*Param
	add := func(p ...*Param) {
		for _, x := range p {
			if x != nil {
				ps = append(ps, x)
			}
		}
	}
	addLin := func(l *Linear) {
		if l != nil {
			add(l.Weight, l.Bias, l.LoRAA, l.LoRAB)
		}
	}
	addNorm := func(n Norm) { add(n.Gamma, n.Beta) }
	e := m.Embed
	add(e.Tokens, e.Positions, e.Types)
	addNorm(e.Norm)
	for _, b := range m.Blocks {
		addNorm(b.Norm1)
		for _, l := range []*Linear{b.Q, b.K, b.V, b.O} {
			addLin(l)
		}
		addNorm(b.Norm2)
		for _, l := range []*Linear{b.Up, b.Gate, b.Down} {
			addLin(l)
		}
	}
	addNorm(m.FinalNorm)
	addLin(m.Head.Pooler)
	addLin(m.Head.Classifier)
	if !m.Head.LMTied {
		addLin(m.Head.LM)
	}
	return ps
}

// Materialize generates every parameter's values now rather than on first
// use (so a timed run measures the run, not the seeded generation).
func (m *Model) Materialize() {
	for _, p := range m.Params() {
		p.Data()
	}
	if m.Head.LMTied {
		m.Head.LM.Weight.Data()
	}
}

// Param returns the parameter with the given canonical name (a tied LM
// head included).
func (m *Model) Param(name string) (*Param, error) {
	ps := m.Params()
	if m.Head.LMTied {
		ps = append(ps, m.Head.LM.Weight)
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("marill: %s has no parameter %q", m.Config.Name, name)
}

// ParamCount counts parameters (tied weights once), and how many of them
// are private to the server.
func (m *Model) ParamCount() (total, private int64) {
	for _, p := range m.Params() {
		n := int64(p.Size())
		total += n
		if p.Vis != mpc.Public {
			private += n
		}
	}
	return total, private
}

func (m *Model) String() string {
	total, private := m.ParamCount()
	kind := "pretrained"
	if m.FineTuned {
		kind = m.Knobs.describe(m.Config.Layers)
	}
	return fmt.Sprintf("%v, %s: %d parameters (%d private)", m.Config, kind, total, private)
}
