package train

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

// EvalOptions configure Evaluate.
type EvalOptions struct {
	// Threads evaluate examples at once (default: one per core).
	Threads int
	// FixedPoint runs the model with the secure engine's fixed-point
	// numerics (plain.NewFixed) instead of float64: the accuracy a secure
	// run would get.
	FixedPoint bool
	// Max evaluates at most this many examples (0: all).
	Max int
}

// Score is a model's result on a split.
type Score struct {
	// Metric is the task's: "accuracy" or "exact_match".
	Metric string
	// Value is the metric, in [0, 1].
	Value float64
	// TokenAccuracy (generation) is the fraction of target tokens (and the
	// final [EOS]) the greedy output has at the right position.
	TokenAccuracy float64
	// N is the number of examples evaluated.
	N int
}

func (s Score) String() string {
	if s.N == 0 {
		return "-"
	}
	if s.Metric == "exact_match" {
		return fmt.Sprintf("exact match %.2f%% (tokens %.2f%%, n=%d)", 100*s.Value, 100*s.TokenAccuracy, s.N)
	}
	return fmt.Sprintf("%s %.2f%% (n=%d)", s.Metric, 100*s.Value, s.N)
}

// Evaluate scores m on examples of the task: classification accuracy
// (argmax of the class logits), or for generation the exact match of the
// greedy continuation of [BOS] prompt [SEP] up to [EOS] (or the target's
// length plus two tokens) with the target, and its token accuracy. Every
// prediction is a forward pass of marill's model code, so it is what the
// client of a secure run would learn (in float64, or in fixed point with
// FixedPoint).
func Evaluate(ctx context.Context, m *marill.Model, tok *data.Tokenizer, task *data.Task, xs []data.Example, opts EvalOptions) (Score, error) {
	sc := Score{Metric: task.Metric()}
	if opts.Max > 0 && len(xs) > opts.Max {
		xs = xs[:opts.Max]
	}
	if len(xs) == 0 {
		return sc, nil
	}
	if task.Kind == data.Generation && m.Config.OutputHead() != marill.LMHead {
		return sc, fmt.Errorf("train: generation task %s needs a model with an LM head", task.Name)
	}
	if task.Kind == data.Classification && m.Config.Labels != len(task.Labels) {
		return sc, fmt.Errorf("train: the model has %d classes, task %s has %d", m.Config.Labels, task.Name, len(task.Labels))
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	threads = min(threads, len(xs))
	type tally struct {
		right, tokRight, tokTotal int
		err                       error
	}
	tallies := make([]tally, threads)
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			t := &tallies[w]
			var te *tape.Engine
			engine := func() mpc.Engine {
				if opts.FixedPoint {
					return plain.NewFixed()
				}
				if te == nil {
					te = tape.New()
				}
				te.Reset()
				te.ResetReport()
				return te
			}
			forward := func(ids []int) ([]float64, error) {
				out, err := m.Forward(ctx, engine(), marill.Input{IDs: ids})
				if err != nil {
					return nil, err
				}
				return out.Data(), nil
			}
			for i := w * len(xs) / threads; i < (w+1)*len(xs)/threads; i++ {
				x := xs[i]
				if task.Kind == data.Classification {
					z, err := forward(encodeText(m.Config.Arch, tok, x.Text, m.Config.MaxPositions))
					if err != nil {
						t.err = err
						return
					}
					if argmax(z) == x.Label {
						t.right++
					}
					continue
				}
				want := append(tok.Encode(x.Target), data.EOS)
				got, err := greedy(m.Config, encodePrompt(tok, x.Prompt), len(want)+2, forward)
				if err != nil {
					t.err = err
					return
				}
				if slices.Equal(got, want) {
					t.right++
				}
				for j, id := range want {
					if j < len(got) && got[j] == id {
						t.tokRight++
					}
				}
				t.tokTotal += len(want)
			}
		}(w)
	}
	wg.Wait()
	right, tokRight, tokTotal := 0, 0, 0
	for _, t := range tallies {
		if t.err != nil {
			return sc, t.err
		}
		right += t.right
		tokRight += t.tokRight
		tokTotal += t.tokTotal
	}
	sc.N = len(xs)
	sc.Value = float64(right) / float64(len(xs))
	if tokTotal > 0 {
		sc.TokenAccuracy = float64(tokRight) / float64(tokTotal)
	}
	return sc, nil
}

// greedy extends ids one argmax token at a time until [EOS], limit new
// tokens, or the position table is full; it returns the new tokens.
func greedy(cfg marill.Config, ids []int, limit int, forward func([]int) ([]float64, error)) ([]int, error) {
	var out []int
	for len(out) < limit && len(ids) < cfg.MaxPositions {
		z, err := forward(ids)
		if err != nil {
			return nil, err
		}
		next := argmax(z)
		out = append(out, next)
		if next == data.EOS {
			break
		}
		ids = append(ids, next)
	}
	return out, nil
}

// Generate continues a prompt greedily (at most limit tokens) and returns
// the decoded text, without [EOS].
func Generate(ctx context.Context, m *marill.Model, tok *data.Tokenizer, prompt string, limit int) (string, error) {
	if m.Config.OutputHead() != marill.LMHead {
		return "", fmt.Errorf("train: Generate needs a model with an LM head")
	}
	e := tape.New()
	out, err := greedy(m.Config, encodePrompt(tok, prompt), limit, func(ids []int) ([]float64, error) {
		e.Reset()
		y, err := m.Forward(ctx, e, marill.Input{IDs: ids})
		if err != nil {
			return nil, err
		}
		return y.Data(), nil
	})
	if err != nil {
		return "", err
	}
	return tok.Decode(out), nil
}

// Classify returns the class of a text (its label name) and the class
// probabilities.
func Classify(ctx context.Context, m *marill.Model, tok *data.Tokenizer, task *data.Task, text string) (string, []float64, error) {
	if m.Config.OutputHead() != marill.Classifier || m.Config.Labels != len(task.Labels) {
		return "", nil, fmt.Errorf("train: Classify needs a classifier with the task's %d labels", len(task.Labels))
	}
	y, err := m.Forward(ctx, tape.New(), marill.Input{IDs: encodeText(m.Config.Arch, tok, text, m.Config.MaxPositions)})
	if err != nil {
		return "", nil, err
	}
	p := make([]float64, y.Len())
	softmaxInto(p, y.Data(), 1)
	return task.Labels[argmax(p)], p, nil
}
