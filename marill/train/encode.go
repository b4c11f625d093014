package train

import (
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
)

// sequence is one training example as token ids. For classification,
// label is the class; for language modelling and generation, targets[i]
// is the token to predict at position i (−1: no prediction there).
type sequence struct {
	ids     []int
	label   int
	targets []int
}

// encodeText is how a classifier reads a text: [CLS] words [SEP] for the
// encoder, whose classifier reads [CLS]; [BOS] words for decoders, whose
// classifier reads the last word (as GPT-2's sequence classifier reads the
// last token), where pretraining taught the model to carry what the text
// says forward. Texts longer than the position table are cut.
func encodeText(arch marill.Arch, tok *data.Tokenizer, text string, maxLen int) []int {
	w := tok.Encode(text)
	if arch != marill.BERT {
		if len(w) > maxLen-1 {
			w = w[:maxLen-1]
		}
		return append([]int{data.BOS}, w...)
	}
	if len(w) > maxLen-2 {
		w = w[:maxLen-2]
	}
	ids := make([]int, 0, len(w)+2)
	ids = append(ids, data.CLS)
	ids = append(ids, w...)
	return append(ids, data.SEP)
}

// encodePrompt is a generation prompt: [BOS] prompt [SEP]; the model then
// writes the target and [EOS].
func encodePrompt(tok *data.Tokenizer, prompt string) []int {
	w := tok.Encode(prompt)
	ids := make([]int, 0, len(w)+2)
	ids = append(ids, data.BOS)
	ids = append(ids, w...)
	return append(ids, data.SEP)
}

// encodeGeneration is [BOS] prompt [SEP] target [EOS], predicting the
// target and [EOS] from the [SEP] on.
func encodeGeneration(tok *data.Tokenizer, prompt, target string) sequence {
	ids := encodePrompt(tok, prompt)
	t := append(tok.Encode(target), data.EOS)
	start := len(ids) - 1 // the [SEP] predicts the target's first token
	ids = append(ids, t[:len(t)-1]...)
	targets := make([]int, len(ids))
	for i := range targets {
		targets[i] = -1
	}
	for i, id := range t {
		targets[start+i] = id
	}
	return sequence{ids: ids, targets: targets}
}

// encodeTask turns a task's examples into sequences for a model of cfg,
// dropping (and counting) generation examples longer than its positions.
func encodeTask(cfg marill.Config, tok *data.Tokenizer, kind data.Kind, xs []data.Example) ([]sequence, int) {
	out := make([]sequence, 0, len(xs))
	dropped := 0
	for _, x := range xs {
		if kind == data.Classification {
			out = append(out, sequence{ids: encodeText(cfg.Arch, tok, x.Text, cfg.MaxPositions), label: x.Label})
			continue
		}
		s := encodeGeneration(tok, x.Prompt, x.Target)
		if len(s.ids) > cfg.MaxPositions {
			dropped++
			continue
		}
		out = append(out, s)
	}
	return out, dropped
}

// encodeCorpus turns sentences into language-model sequences: a decoder
// predicts every next token of [BOS] sentence [EOS]; the encoder (BERT)
// gets [CLS] sentence [SEP], whose words Pretrain masks (maskSequence).
func encodeCorpus(arch marill.Arch, tok *data.Tokenizer, sentences []string, maxLen int) []sequence {
	out := make([]sequence, 0, len(sentences))
	for _, s := range sentences {
		w := tok.Encode(s)
		if len(w) > maxLen-2 {
			w = w[:maxLen-2]
		}
		if arch == marill.BERT {
			ids := append(append([]int{data.CLS}, w...), data.SEP)
			out = append(out, sequence{ids: ids})
			continue
		}
		ids := append([]int{data.BOS}, w...)
		targets := append(append([]int(nil), w...), data.EOS)
		out = append(out, sequence{ids: ids, targets: targets})
	}
	return out
}

// checkFits reports a split none of whose examples fit the model.
func checkFits(cfg marill.Config, seqs []sequence, what string) error {
	if len(seqs) == 0 {
		return fmt.Errorf("train: no %s examples fit the model (%d positions)", what, cfg.MaxPositions)
	}
	return nil
}
