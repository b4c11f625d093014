package marill

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/marill-go/marill/mpc"
)

// Input is the client's prompt as token ids.
type Input struct {
	IDs []int
}

// RandomInput returns cfg.SeqLen token ids drawn from seed.
func RandomInput(cfg Config, seed uint64) Input {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	ids := make([]int, cfg.SeqLen)
	for i := range ids {
		ids[i] = r.IntN(max(cfg.Vocab, 1))
	}
	return Input{IDs: ids}
}

// Validate checks the prompt against the model.
func (in Input) Validate(c Config) error {
	if len(in.IDs) == 0 {
		return fmt.Errorf("marill: the input has no tokens")
	}
	if len(in.IDs) > c.MaxPositions {
		return fmt.Errorf("marill: the input has %d tokens, more than MaxPositions = %d", len(in.IDs), c.MaxPositions)
	}
	for i, id := range in.IDs {
		if id < 0 || id >= c.Vocab {
			return fmt.Errorf("marill: token %d at position %d is outside the vocabulary [0, %d)", id, i, c.Vocab)
		}
	}
	return nil
}

// Forward runs the model on e and returns the output the client learns:
// next-token logits [1, V] for an LM head, class logits [1, labels] for a
// classifier. Engines without values (the simulator) return an error from
// Value; use Apply with them.
func (m *Model) Forward(ctx context.Context, e mpc.Engine, in Input) (*mpc.Dense, error) {
	out, err := m.Apply(ctx, e, in)
	if err != nil {
		return nil, err
	}
	return e.Value(out)
}

// Apply runs the model on e and returns the revealed output's handle.
// Scopes: "embed", "block<i>" (with "attn", "ffn", "norm1", "norm2" and
// their projections below), "head".
func (m *Model) Apply(ctx context.Context, e mpc.Engine, in Input) (mpc.Tensor, error) {
	if err := in.Validate(m.Config); err != nil {
		return nil, err
	}
	f := &forward{m: m, e: e, n: len(in.IDs)}
	probe, _ := e.(mpc.Prober)
	x := f.embed(in.IDs)
	if probe != nil && e.Err() == nil {
		probe.Probe("embed", x)
	}
	for _, b := range m.Blocks {
		if err := ctx.Err(); err != nil {
			e.Fail(fmt.Errorf("marill: forward pass stopped before block %d: %w", b.Index, err))
		}
		if e.Err() != nil {
			break
		}
		x = f.block(x, b)
		if probe != nil && e.Err() == nil {
			probe.Probe(fmt.Sprintf("block%d", b.Index), x)
		}
	}
	out := f.head(x)
	if probe != nil && e.Err() == nil {
		probe.Probe("head", out)
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

type forward struct {
	m *Model
	e mpc.Engine
	n int
	// cos and sin are the rotary tables, built once per pass and only if
	// an engine reads them (a shape-only engine never does).
	cos, sin *lazyTable
}

// lazyTable is a public constant whose values are computed on first use.
type lazyTable struct {
	shape mpc.Shape
	once  sync.Once
	data  []float64
	fill  func() []float64
}

func (t *lazyTable) Shape() mpc.Shape { return t.shape }

func (t *lazyTable) Data() []float64 {
	t.once.Do(func() { t.data = t.fill() })
	return t.data
}

func (f *forward) scope(name string) func() { return f.e.Scope(name) }

func (f *forward) param(p *Param) mpc.Tensor { return f.e.Input(p, p.Vis) }

func (f *forward) linear(name string, x mpc.Tensor, l *Linear) mpc.Tensor {
	defer f.scope(name)()
	e := f.e
	y := e.MatMul(x, f.param(l.Weight))
	if l.LoRAA != nil {
		y = e.Add(y, e.MatMul(e.MatMul(x, f.param(l.LoRAA)), f.param(l.LoRAB)))
	}
	if l.Bias != nil {
		y = e.Add(y, f.param(l.Bias))
	}
	return y
}

func (f *forward) norm(name string, x mpc.Tensor, n Norm) mpc.Tensor {
	defer f.scope(name)()
	if n.Beta == nil {
		return f.e.RMSNorm(x, f.param(n.Gamma), f.m.Config.NormEps)
	}
	return f.e.LayerNorm(x, f.param(n.Gamma), f.param(n.Beta), f.m.Config.NormEps)
}

func (f *forward) embed(ids []int) mpc.Tensor {
	defer f.scope("embed")()
	e, m := f.e, f.m
	x := e.Embed(f.param(m.Embed.Tokens), ids)
	if m.Embed.Positions != nil {
		x = e.Add(x, e.Embed(f.param(m.Embed.Positions), positions(len(ids))))
	}
	if m.Embed.Types != nil {
		x = e.Add(x, e.Embed(f.param(m.Embed.Types), make([]int, len(ids))))
		x = f.norm("norm", x, m.Embed.Norm)
	}
	return x
}

func positions(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = i
	}
	return v
}

func (f *forward) block(x mpc.Tensor, b *Block) mpc.Tensor {
	defer f.scope("block" + strconv.Itoa(b.Index))()
	e := f.e
	if f.m.Config.Arch == BERT { // post-LN
		x = f.norm("norm1", e.Add(x, f.attention(x, b)), b.Norm1)
		return f.norm("norm2", e.Add(x, f.ffn(x, b)), b.Norm2)
	}
	x = e.Add(x, f.attention(f.norm("norm1", x, b.Norm1), b))
	return e.Add(x, f.ffn(f.norm("norm2", x, b.Norm2), b))
}

func (f *forward) attention(x mpc.Tensor, b *Block) mpc.Tensor {
	defer f.scope("attn")()
	e, cfg := f.e, f.m.Config
	q := f.linear("q", x, b.Q)
	k := f.linear("k", x, b.K)
	v := f.linear("v", x, b.V)
	if cfg.Arch == LLaMA {
		end := f.scope("rotary")
		q, k = f.rotary(q), f.rotary(k)
		end()
	}
	hq, hk, hv := e.SplitHeads(q, b.Heads), e.SplitHeads(k, b.Heads), e.SplitHeads(v, b.Heads)
	end := f.scope("scores")
	s := e.Scale(e.MatMul(hq, e.Transpose(hk)), 1/math.Sqrt(float64(cfg.Hidden/b.Heads)))
	end()
	p := e.Softmax(s, b.Softmax, cfg.Arch.Decoder())
	end = f.scope("context")
	c := e.MergeHeads(e.MatMul(p, hv))
	end()
	return f.linear("o", c, b.O)
}

// rotary applies rotary position embeddings to x [n, d] per pretrained
// head (HF's rotate-half convention). It works on the pretrained head
// width even in merged blocks: rotary is a position-dependent linear map
// of each original head's slice, so merging heads leaves it unchanged.
func (f *forward) rotary(x mpc.Tensor) mpc.Tensor {
	e, cfg := f.e, f.m.Config
	if f.cos == nil {
		shape := mpc.Shape{f.n, cfg.HeadDim()}
		var tables sync.Once
		var cos, sin *mpc.Dense
		build := func() { cos, sin = RotaryTables(cfg, f.n) }
		f.cos = &lazyTable{shape: shape, fill: func() []float64 { tables.Do(build); return cos.Data() }}
		f.sin = &lazyTable{shape: shape, fill: func() []float64 { tables.Do(build); return sin.Data() }}
	}
	h := e.SplitHeads(x, cfg.Heads)
	r := e.Add(e.Mul(h, e.Input(f.cos, mpc.Public)), e.Mul(e.RotateHalf(h), e.Input(f.sin, mpc.Public)))
	return e.MergeHeads(r)
}

// RotaryTables returns the cos and sin tables [n, head_dim] of rotary
// position embeddings: angle(p, i) = p·base^(−2i/head_dim) for the first
// half of the head, repeated for the second.
func RotaryTables(cfg Config, n int) (cos, sin *mpc.Dense) {
	dh := cfg.HeadDim()
	cos, sin = mpc.Zeros(n, dh), mpc.Zeros(n, dh)
	for p := 0; p < n; p++ {
		for i := 0; i < dh/2; i++ {
			a := float64(p) * math.Pow(cfg.RopeBase, -2*float64(i)/float64(dh))
			c, s := math.Cos(a), math.Sin(a)
			cos.Set(c, p, i)
			cos.Set(c, p, i+dh/2)
			sin.Set(s, p, i)
			sin.Set(s, p, i+dh/2)
		}
	}
	return cos, sin
}

func (f *forward) ffn(x mpc.Tensor, b *Block) mpc.Tensor {
	defer f.scope("ffn")()
	e := f.e
	var h mpc.Tensor
	if b.Gate != nil {
		g := f.linear("gate", x, b.Gate)
		u := f.linear("up", x, b.Up)
		h = e.Mul(e.SiLU(g, b.SiLU), u)
	} else {
		h = e.GeLU(f.linear("up", x, b.Up), b.GeLU)
	}
	return f.linear("down", h, b.Down)
}

func (f *forward) head(x mpc.Tensor) mpc.Tensor {
	defer f.scope("head")()
	e, m := f.e, f.m
	var logits mpc.Tensor
	if m.Config.Arch == BERT {
		cls := e.Rows(x, 0, 1)
		pooled := f.linear("pooler", cls, m.Head.Pooler)
		end := f.scope("pooler")
		pooled = e.Tanh(pooled)
		end()
		logits = f.linear("classifier", pooled, m.Head.Classifier)
	} else {
		last := f.norm("final_norm", e.Rows(x, f.n-1, f.n), m.FinalNorm)
		if m.Head.LM != nil {
			logits = f.linear("lm", last, m.Head.LM)
		} else {
			logits = f.linear("classifier", last, m.Head.Classifier)
		}
	}
	return e.Reveal(logits, mpc.Client)
}
