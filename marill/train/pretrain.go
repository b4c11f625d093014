package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
)

// PretrainOptions configure Pretrain.
type PretrainOptions struct {
	Options
	// MaskRate is the fraction of words the encoder's masked-language-model
	// objective hides (default 0.15).
	MaskRate float64
}

// Pretrain trains a freshly seeded model of cfg (weights drawn from
// opts.Seed) on a corpus, every parameter, and returns it as a public
// pretrained model: the stand-in for a published checkpoint.
//
// Decoders (GPT2, LLaMA) learn causal language modelling: every next token
// of [BOS] sentence [EOS]. The encoder (BERT) learns masked language
// modelling: each word of [CLS] sentence [SEP] is replaced by [MASK] with
// probability MaskRate (at least one per sentence; the masks are fixed per
// sentence, as in the original BERT's static masking) and predicted from
// the last block's hidden state through the transposed token embeddings.
// Decoders' next-token logits are the model's own head (final norm and LM
// head) applied at every position.
func Pretrain(ctx context.Context, cfg marill.Config, tok *data.Tokenizer, corpus []string, opts PretrainOptions) (*marill.Model, *Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	o := opts.Options.withDefaults()
	if opts.MaskRate == 0 {
		opts.MaskRate = 0.15
	}
	if opts.MaskRate < 0 || opts.MaskRate > 1 {
		return nil, nil, fmt.Errorf("train: PretrainOptions.MaskRate = %g is outside [0, 1]", opts.MaskRate)
	}
	if cfg.Vocab != tok.Size() {
		return nil, nil, fmt.Errorf("train: config vocabulary %d is not the tokenizer's %d", cfg.Vocab, tok.Size())
	}
	m, err := marill.NewPretrained(cfg, o.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	seqs := encodeCorpus(cfg.Arch, tok, corpus, cfg.MaxPositions)
	if len(seqs) == 0 {
		return nil, nil, fmt.Errorf("train: the corpus is empty")
	}
	if cfg.Arch == marill.BERT {
		for i := range seqs {
			maskSequence(&seqs[i], opts.MaskRate, rand.New(rand.NewPCG(o.Seed, uint64(i))))
		}
	}
	var ties []tie
	if m.Head.LMTied {
		ties = append(ties, tie{derived: m.Head.LM.Weight, base: m.Embed.Tokens})
	}
	tr, err := newTrainer(o, m.Params(), ties)
	if err != nil {
		return nil, nil, err
	}
	loss := func(ctx context.Context, e *tape.Engine, _, i int, scale float64) (float64, error) {
		s := seqs[i]
		if _, err := m.Apply(ctx, e, marill.Input{IDs: s.ids}); err != nil {
			return 0, err
		}
		logits, err := lmLogits(e, m)
		if err != nil {
			return 0, err
		}
		return tokenLoss(e, logits, s.targets, scale)
	}
	log, err := tr.run(ctx, "pretrain", len(seqs), o.stepsFor(len(seqs)), loss)
	if err != nil {
		return nil, nil, err
	}
	m.Origin = fmt.Sprintf("pretrained here on %d sentences, seed %d", len(corpus), o.Seed)
	return m, log, nil
}

// maskSequence hides words of an encoder sequence ([CLS] … [SEP]) and sets
// the targets to the hidden words.
func maskSequence(s *sequence, rate float64, r *rand.Rand) {
	s.targets = make([]int, len(s.ids))
	for i := range s.targets {
		s.targets[i] = -1
	}
	n := len(s.ids) - 2
	if n <= 0 {
		return
	}
	masked := 0
	for i := 1; i <= n; i++ {
		if r.Float64() < rate {
			s.targets[i], s.ids[i] = s.ids[i], data.MASK
			masked++
		}
	}
	if masked == 0 {
		i := 1 + r.IntN(n)
		s.targets[i], s.ids[i] = s.ids[i], data.MASK
	}
}

// lmLogits returns next-token (decoders) or masked-token (BERT) logits
// [n, V] at every position, from the hidden state of the model's last
// block on the tape. marill's forward pass computes the head at the last
// position only (what a client learns); training a language model needs
// every position, so this applies the same head — the final norm and the
// LM head's weight (tied or not) for decoders, the transposed token
// embeddings for BERT — to all rows. A test checks that its last row is
// the forward pass's output.
func lmLogits(e *tape.Engine, m *marill.Model) (mpc.Tensor, error) {
	h, ok := e.Output("block" + strconv.Itoa(len(m.Blocks)-1))
	if !ok {
		return nil, fmt.Errorf("train: the tape has no hidden state of the last block")
	}
	in := func(p *marill.Param) mpc.Tensor { return e.Input(p, p.Vis) }
	if m.Config.Arch == marill.BERT {
		return e.MatMul(h, e.Transpose(in(m.Embed.Tokens))), e.Err()
	}
	if m.Head.LM == nil {
		return nil, fmt.Errorf("train: %s has no language-model head", m.Config.Name)
	}
	n := m.FinalNorm
	if n.Beta == nil {
		h = e.RMSNorm(h, in(n.Gamma), m.Config.NormEps)
	} else {
		h = e.LayerNorm(h, in(n.Gamma), in(n.Beta), m.Config.NormEps)
	}
	logits := e.MatMul(h, in(m.Head.LM.Weight))
	if m.Head.LM.Bias != nil {
		logits = e.Add(logits, in(m.Head.LM.Bias))
	}
	return logits, e.Err()
}

// tokenLoss is the mean cross-entropy of the rows of logits [n, V] at the
// positions with a target (−1: none); it seeds the gradient times scale.
func tokenLoss(e *tape.Engine, logits mpc.Tensor, targets []int, scale float64) (float64, error) {
	z, err := e.Data(logits)
	if err != nil {
		return 0, err
	}
	v := logits.Shape().Cols()
	count := 0
	for _, t := range targets {
		if t >= 0 {
			count++
		}
	}
	if count == 0 {
		return 0, nil
	}
	grad := make([]float64, len(z))
	loss := 0.0
	for i, t := range targets {
		if t >= 0 {
			loss += crossEntropy(z[i*v:(i+1)*v], t, scale/float64(count), grad[i*v:(i+1)*v])
		}
	}
	return loss / float64(count), e.Seed(logits, grad)
}
