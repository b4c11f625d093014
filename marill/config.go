package marill

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/marill-go/marill/mpc"
)

// Arch is an architecture family.
type Arch uint8

const (
	// BERT is an encoder with post-LayerNorm blocks, learned positions,
	// token types, exact GeLU and a pooler + classifier head.
	BERT Arch = iota + 1
	// GPT2 is a decoder with pre-LayerNorm blocks, learned positions, a
	// causal mask, tanh GeLU and a language-model head tied to the token
	// embeddings.
	GPT2
	// LLaMA is a decoder with pre-RMSNorm blocks, rotary positions, a
	// causal mask, a SiLU-gated FFN, no biases and an untied LM head.
	LLaMA
)

var archNames = [...]string{"", "bert", "gpt2", "llama"}

func (a Arch) String() string {
	if int(a) > 0 && int(a) < len(archNames) {
		return archNames[a]
	}
	return "Arch(" + strconv.Itoa(int(a)) + ")"
}

// ParseArch is the inverse of Arch.String.
func ParseArch(s string) (Arch, error) {
	for i, n := range archNames[1:] {
		if strings.EqualFold(n, s) {
			return Arch(i + 1), nil
		}
	}
	return 0, fmt.Errorf("marill: unknown architecture %q (want bert, gpt2 or llama)", s)
}

// Decoder reports whether the family is causal.
func (a Arch) Decoder() bool { return a == GPT2 || a == LLaMA }

// HeadKind is what the model outputs.
type HeadKind uint8

const (
	// HeadDefault is the family's own: Classifier for BERT, LM otherwise.
	HeadDefault HeadKind = iota
	// LMHead gives next-token logits at the last position.
	LMHead
	// Classifier gives Labels logits (from the first token for encoders,
	// the last for decoders).
	Classifier
)

var headNames = [...]string{"default", "lm", "classifier"}

func (h HeadKind) String() string {
	if int(h) < len(headNames) {
		return headNames[h]
	}
	return "HeadKind(" + strconv.Itoa(int(h)) + ")"
}

// Config describes a transformer's shape. The zero value is invalid; start
// from a preset (BERTBase, GPT2Small, ...) and change fields.
type Config struct {
	// Name labels reports and plots ("bert-base").
	Name string `json:"name"`
	Arch Arch   `json:"arch"`
	// Layers is the number of transformer blocks L.
	Layers int `json:"layers"`
	// Hidden is the model width d.
	Hidden int `json:"hidden"`
	// Heads is the number of attention heads h of the pretrained model.
	Heads int `json:"heads"`
	// FFN is the feed-forward width d_ff.
	FFN int `json:"ffn"`
	// Vocab is the vocabulary size.
	Vocab int `json:"vocab"`
	// MaxPositions bounds the sequence length (learned position tables).
	MaxPositions int `json:"max_positions"`
	// SeqLen is the prompt length n the model is planned and priced at.
	SeqLen int `json:"seq_len"`
	// NormEps is the layer/RMS norm ε.
	NormEps float64 `json:"norm_eps"`
	// RopeBase is the rotary frequency base (LLaMA).
	RopeBase float64 `json:"rope_base,omitempty"`
	// Activation is the native GeLU form (BERT: exact, GPT-2: tanh).
	Activation mpc.GeLUKind `json:"activation,omitempty"`
	// Head selects the output; Labels is the classifier's class count.
	Head   HeadKind `json:"head,omitempty"`
	Labels int      `json:"labels,omitempty"`
}

// HeadDim is d/h of the pretrained model.
func (c Config) HeadDim() int {
	if c.Heads == 0 {
		return 0
	}
	return c.Hidden / c.Heads
}

// OutputHead resolves HeadDefault.
func (c Config) OutputHead() HeadKind {
	if c.Head != HeadDefault {
		return c.Head
	}
	if c.Arch == BERT {
		return Classifier
	}
	return LMHead
}

// NativeGeLU resolves the activation.
func (c Config) NativeGeLU() mpc.GeLUKind {
	if c.Activation != mpc.GeLUUnset {
		return c.Activation
	}
	if c.Arch == GPT2 {
		return mpc.GeLUTanh
	}
	return mpc.GeLUExact
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("marill: Config.%s %s", field, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Arch < BERT || c.Arch > LLaMA:
		return bad("Arch", "= %v is not bert, gpt2 or llama", c.Arch)
	case c.Layers < 1:
		return bad("Layers", "= %d, need at least 1", c.Layers)
	case c.Hidden < 1:
		return bad("Hidden", "= %d, need at least 1", c.Hidden)
	case c.Heads < 1:
		return bad("Heads", "= %d, need at least 1", c.Heads)
	case c.Hidden%c.Heads != 0:
		return bad("Heads", "= %d does not divide Hidden = %d", c.Heads, c.Hidden)
	case c.Arch == LLaMA && c.HeadDim()%2 != 0:
		return bad("Heads", "= %d gives an odd head dimension %d; rotary positions need it even", c.Heads, c.HeadDim())
	case c.FFN < 1:
		return bad("FFN", "= %d, need at least 1", c.FFN)
	case c.Vocab < 1:
		return bad("Vocab", "= %d, need at least 1", c.Vocab)
	case c.MaxPositions < 1:
		return bad("MaxPositions", "= %d, need at least 1", c.MaxPositions)
	case c.SeqLen < 1:
		return bad("SeqLen", "= %d, need at least 1 token", c.SeqLen)
	case c.SeqLen > c.MaxPositions:
		return bad("SeqLen", "= %d exceeds MaxPositions = %d", c.SeqLen, c.MaxPositions)
	case c.NormEps < 0:
		return bad("NormEps", "= %g is negative", c.NormEps)
	case c.Arch == LLaMA && c.RopeBase <= 1:
		return bad("RopeBase", "= %g, need > 1 for rotary positions", c.RopeBase)
	case c.Head > Classifier:
		return bad("Head", "= %v is not default, lm or classifier", c.Head)
	case c.Arch == BERT && c.Head == LMHead:
		return bad("Head", "= lm is not supported for the bert encoder; use classifier")
	case c.OutputHead() == Classifier && c.Labels < 1:
		return bad("Labels", "= %d, a classifier needs at least 1 class", c.Labels)
	case c.Activation > mpc.GeLUReLU:
		return bad("Activation", "= %v is not a GeLU kind", c.Activation)
	}
	return nil
}

// ParamCount is the number of parameters of the pretrained model
// (embeddings, blocks, final norm and head; tied weights counted once).
func (c Config) ParamCount() int64 {
	d, ff, L := int64(c.Hidden), int64(c.FFN), int64(c.Layers)
	var n int64
	n += int64(c.Vocab) * d
	var block int64
	switch c.Arch {
	case BERT:
		n += int64(c.MaxPositions)*d + 2*d + 2*d
		block = 4*(d*d+d) + (d*ff + ff) + (ff*d + d) + 4*d
	case GPT2:
		n += int64(c.MaxPositions) * d
		block = 4*(d*d+d) + (d*ff + ff) + (ff*d + d) + 4*d
		n += 2 * d
	case LLaMA:
		block = 4*d*d + 3*d*ff + 2*d
		n += d
	}
	n += L * block
	switch c.OutputHead() {
	case Classifier:
		if c.Arch == BERT {
			n += d*d + d
		}
		n += d*int64(c.Labels) + int64(c.Labels)
	case LMHead:
		if c.Arch != GPT2 { // GPT-2 ties the head to the token embeddings
			n += d * int64(c.Vocab)
		}
	}
	return n
}

func (c Config) String() string {
	return fmt.Sprintf("%s (%v: L=%d d=%d h=%d d_ff=%d V=%d n=%d)", c.Name, c.Arch, c.Layers, c.Hidden, c.Heads, c.FFN, c.Vocab, c.SeqLen)
}

// BERTBase is bert-base-uncased: 12 layers, d 768, 12 heads, d_ff 3072.
func BERTBase() Config {
	return Config{Name: "bert-base", Arch: BERT, Layers: 12, Hidden: 768, Heads: 12, FFN: 3072,
		Vocab: 30522, MaxPositions: 512, SeqLen: 128, NormEps: 1e-12, Activation: mpc.GeLUExact,
		Head: Classifier, Labels: 2}
}

// BERTLarge is bert-large-uncased: 24 layers, d 1024, 16 heads, d_ff 4096.
func BERTLarge() Config {
	c := BERTBase()
	c.Name, c.Layers, c.Hidden, c.Heads, c.FFN = "bert-large", 24, 1024, 16, 4096
	return c
}

// GPT2Small is GPT-2 (124M): 12 layers, d 768, 12 heads, d_ff 3072.
func GPT2Small() Config {
	return Config{Name: "gpt2", Arch: GPT2, Layers: 12, Hidden: 768, Heads: 12, FFN: 3072,
		Vocab: 50257, MaxPositions: 1024, SeqLen: 128, NormEps: 1e-5, Activation: mpc.GeLUTanh, Head: LMHead}
}

// GPTNeo13B is GPT-Neo 1.3B's shape (24 layers, d 2048, 16 heads,
// d_ff 8192) in the GPT-2 family: its alternating local attention is
// modelled as global attention, which is what its cost is usually quoted
// for.
func GPTNeo13B() Config {
	c := GPT2Small()
	c.Name, c.Layers, c.Hidden, c.Heads, c.FFN, c.MaxPositions = "gpt-neo-1.3b", 24, 2048, 16, 8192, 2048
	return c
}

// Llama2_7B is Llama-2-7B: 32 layers, d 4096, 32 heads, d_ff 11008.
func Llama2_7B() Config {
	return Config{Name: "llama-2-7b", Arch: LLaMA, Layers: 32, Hidden: 4096, Heads: 32, FFN: 11008,
		Vocab: 32000, MaxPositions: 4096, SeqLen: 128, NormEps: 1e-5, RopeBase: 10000, Head: LMHead}
}

// OpenLLaMA3Bv2 is OpenLLaMA-3B-v2: 26 layers, d 3200, 32 heads, d_ff 8640.
func OpenLLaMA3Bv2() Config {
	return Config{Name: "open-llama-3b-v2", Arch: LLaMA, Layers: 26, Hidden: 3200, Heads: 32, FFN: 8640,
		Vocab: 32000, MaxPositions: 2048, SeqLen: 128, NormEps: 1e-6, RopeBase: 10000, Head: LMHead}
}

// Tiny returns a small model of the given family for tests and examples:
// 2 layers, d 16, 4 heads, d_ff 32, vocabulary 64, 8 tokens.
func Tiny(a Arch) Config {
	c := Config{Name: "tiny-" + a.String(), Arch: a, Layers: 2, Hidden: 16, Heads: 4, FFN: 32,
		Vocab: 64, MaxPositions: 32, SeqLen: 8, NormEps: 1e-5}
	switch a {
	case BERT:
		c.Activation, c.Head, c.Labels, c.NormEps = mpc.GeLUExact, Classifier, 2, 1e-12
	case GPT2:
		c.Activation, c.Head = mpc.GeLUTanh, LMHead
	case LLaMA:
		c.RopeBase, c.Head, c.NormEps = 10000, LMHead, 1e-6
	}
	return c
}

// Presets lists the named configurations.
func Presets() []Config {
	return []Config{BERTBase(), BERTLarge(), GPT2Small(), GPTNeo13B(), Llama2_7B(), OpenLLaMA3Bv2(),
		Tiny(BERT), Tiny(GPT2), Tiny(LLaMA)}
}

// Preset returns the preset with the given name.
func Preset(name string) (Config, error) {
	var names []string
	for _, c := range Presets() {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
		names = append(names, c.Name)
	}
	return Config{}, fmt.Errorf("marill: no preset %q (have %s)", name, strings.Join(names, ", "))
}

// MarshalText writes the family name.
func (a Arch) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a family name.
func (a *Arch) UnmarshalText(b []byte) error {
	v, err := ParseArch(string(b))
	*a = v
	return err
}

// MarshalText writes the head name.
func (h HeadKind) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses a head name.
func (h *HeadKind) UnmarshalText(b []byte) error {
	for i, n := range headNames {
		if n == string(b) {
			*h = HeadKind(i)
			return nil
		}
	}
	return fmt.Errorf("marill: unknown head %q (want default, lm or classifier)", b)
}
