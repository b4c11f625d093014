package marill

import (
	"fmt"
	"math"

	"github.com/marill-go/marill/mpc"
)

// FineTune derives the fine-tuned-shaped model the knobs describe from a
// pretrained model. It is a pure function: m is not changed, and public
// weights are shared between the two.
//
//   - Frozen blocks keep m's public weights, the pretrained head count and
//     native non-linearities; the client runs them in plaintext.
//   - Private blocks belong to the server. Without LoRA all their weights
//     are private copies. With LoRA of rank r every weight stays public
//     and unmerged, and each targeted projection gains private adapters
//     A [in, r] and B [r, out] (B zero unless Perturb is set, so the
//     fine-tuned model starts equal to the pretrained one, as LoRA does).
//   - Private blocks merge adjacent groups of MergeHeads heads: the Q/K/V/O
//     column slices of the merged heads sit side by side, so the weights
//     and the parameter count are unchanged and only the grouping (the
//     softmax count and the score scale) changes.
//   - Private blocks use the knobs' GeLU, SiLU and softmax forms.
//   - The final norm is private unless every block is frozen or LoRA is on
//     (LoRA trains only adapters). The head is private unless every block
//     is frozen, or LoRA is on and the head is a language-model head (a
//     task classifier is always trained). Embeddings always stay public.
func (m *Model) FineTune(k Knobs) (*Model, error) {
	if m.FineTuned {
		return nil, fmt.Errorf("marill: FineTune needs a pretrained model; this one is already fine-tuned (%s)", m.Knobs)
	}
	cfg := m.Config
	if err := k.Validate(cfg); err != nil {
		return nil, err
	}
	k.Frozen = append([]bool(nil), k.Frozen...)
	if len(k.Frozen) == 0 {
		k.Frozen = nil
	}
	ft := &Model{Config: cfg, Knobs: k, FineTuned: true, Embed: m.Embed, seed: m.seed, Origin: m.Origin}
	frozen := k.FrozenLayers(cfg.Layers)
	anyPrivate := false
	for _, f := range frozen {
		anyPrivate = anyPrivate || !f
	}
	lora := k.LoRARank > 0
	targets := k.Targets(cfg.Arch)

	private := func(p *Param) *Param {
		if p == nil {
			return nil
		}
		base := p
		std := k.Perturb * InitStd
		name := p.Name
		return newParam(name, p.shape, mpc.Server, func() []float64 {
			v := append([]float64(nil), base.Data()...)
			if std > 0 {
				r := rng(k.Seed, "perturb/"+name)
				for i := range v {
					v[i] += std * r.NormFloat64()
				}
			}
			return v
		})
	}
	privateLinear := func(l *Linear) *Linear {
		if l == nil {
			return nil
		}
		return &Linear{Weight: private(l.Weight), Bias: private(l.Bias)}
	}
	privateNorm := func(n Norm) Norm { return Norm{Gamma: private(n.Gamma), Beta: private(n.Beta)} }
	adapt := func(l *Linear, proj Proj, prefix string) *Linear {
		if l == nil || targets&proj == 0 {
			return l
		}
		in, out := l.Weight.shape[0], l.Weight.shape[1]
		r := k.LoRARank
		scale := 1.0
		if k.LoRAAlpha > 0 {
			scale = k.LoRAAlpha / float64(r)
		}
		a := newParam(prefix+".lora_a", mpc.Shape{in, r}, mpc.Server,
			gaussian(k.Seed, prefix+".lora_a", in*r, 0, 1/math.Sqrt(float64(in))))
		b := newParam(prefix+".lora_b", mpc.Shape{r, out}, mpc.Server,
			gaussian(k.Seed, prefix+".lora_b", r*out, 0, k.Perturb*InitStd*scale))
		return &Linear{Weight: l.Weight, Bias: l.Bias, LoRAA: a, LoRAB: b}
	}

	merge := k.Merge()
	for i, b := range m.Blocks {
		nb := *b
		nb.Frozen = frozen[i]
		if !nb.Frozen {
			nb.Heads = cfg.Heads / merge
			if k.GeLU != mpc.GeLUUnset {
				nb.GeLU = k.GeLU
			}
			if k.SiLU != mpc.SiLUUnset {
				nb.SiLU = k.SiLU
			}
			if k.Softmax != mpc.SoftmaxUnset {
				nb.Softmax = k.Softmax
			}
			pre := fmt.Sprintf("block%d", i)
			if lora {
				nb.Q = adapt(b.Q, ProjQ, pre+".attn.q")
				nb.K = adapt(b.K, ProjK, pre+".attn.k")
				nb.V = adapt(b.V, ProjV, pre+".attn.v")
				nb.O = adapt(b.O, ProjO, pre+".attn.o")
				nb.Up = adapt(b.Up, ProjUp, pre+".ffn.up")
				nb.Down = adapt(b.Down, ProjDown, pre+".ffn.down")
				nb.Gate = adapt(b.Gate, ProjGate, pre+".ffn.gate")
			} else {
				nb.Q, nb.K, nb.V, nb.O = privateLinear(b.Q), privateLinear(b.K), privateLinear(b.V), privateLinear(b.O)
				nb.Up, nb.Down, nb.Gate = privateLinear(b.Up), privateLinear(b.Down), privateLinear(b.Gate)
				nb.Norm1, nb.Norm2 = privateNorm(b.Norm1), privateNorm(b.Norm2)
			}
		}
		ft.Blocks = append(ft.Blocks, &nb)
	}

	ft.FinalNorm = m.FinalNorm
	if anyPrivate && !lora {
		ft.FinalNorm = privateNorm(m.FinalNorm)
	}
	ft.Head = m.Head
	if anyPrivate && !(lora && cfg.OutputHead() == LMHead) {
		ft.Head = Head{Pooler: privateLinear(m.Head.Pooler), Classifier: privateLinear(m.Head.Classifier),
			LM: privateLinear(m.Head.LM)}
	}
	return ft, nil
}

// MustFineTune is FineTune for knobs known to be valid; it panics otherwise.
func (m *Model) MustFineTune(k Knobs) *Model {
	ft, err := m.FineTune(k)
	if err != nil {
		panic(err)
	}
	return ft
}
