package train

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
)

// DistillOptions turn on knowledge distillation from a teacher, MPCFormer's
// recipe in two stages: first the student's hidden state after every
// block and its attention probabilities are pulled towards the teacher's
// (mean squared error, summed over blocks), then its output distribution
// towards the teacher's (soft-label cross-entropy on the logits). The
// teacher is the model fine-tuned with the standard recipe (no knobs).
type DistillOptions struct {
	// Teacher is the standard fine-tuned model; nil turns distillation off.
	Teacher *marill.Model
	// LayerEpochs and LogitEpochs are the lengths of the two stages
	// (default: Options.Epochs each). A negative value skips the stage.
	LayerEpochs, LogitEpochs float64
	// Temperature softens both distributions in the logit stage
	// (default 1).
	Temperature float64
	// AttentionWeight weighs the attention term against the hidden-state
	// term in the layer stage (default 1).
	AttentionWeight float64
}

// FineTuneOptions configure FineTune.
type FineTuneOptions struct {
	Options
	Distill DistillOptions
	// Eval configures the dev and test evaluation after training.
	Eval EvalOptions
}

// Result is a fine-tuned model and how it did.
type Result struct {
	// Model is the fine-tuned model (knobs applied, trained parameters set).
	Model *marill.Model
	Task  string
	Knobs marill.Knobs
	// Distilled says whether the model learnt from a teacher.
	Distilled bool
	// Trainable counts the parameters trained.
	Trainable int64
	// Logs are the optimisation runs (one, or the two distillation stages).
	Logs []*Log
	// Dev and Test are the evaluations after training.
	Dev, Test Score
	// Dropped counts training examples longer than the model's positions.
	Dropped int
	// Seconds is the wall time of training and evaluation.
	Seconds float64
}

func (r *Result) String() string {
	s := fmt.Sprintf("%s, %s", r.Task, r.Knobs)
	if r.Distilled {
		s += " (distilled)"
	}
	return fmt.Sprintf("%s: test %v, dev %v; %d parameters trained in %.1fs", s, r.Test, r.Dev, r.Trainable, r.Seconds)
}

// FineTune applies the knobs to base (a pretrained model of the task's
// config, see ForTask), trains the parameters the knobs make private (see
// Trainable) on the task's training split, and evaluates the result on
// the dev and test splits. base is not changed.
//
// Without a teacher the loss is the task's: cross-entropy of the class for
// classification; for generation, the mean cross-entropy of every target
// token and [EOS] given [BOS] prompt [SEP] and the target so far.
func FineTune(ctx context.Context, base *marill.Model, tok *data.Tokenizer, task *data.Task, k marill.Knobs, opts FineTuneOptions) (*Result, error) {
	start := time.Now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := task.Validate(); err != nil {
		return nil, err
	}
	o := opts.Options.withDefaults()
	cfg, err := ShapeOf(base.Config).TaskConfig(tok, task)
	if err != nil {
		return nil, err
	}
	// The name and the priced length may differ; the shape and head may not.
	cfg.Name, cfg.SeqLen = base.Config.Name, base.Config.SeqLen
	if base.Config != cfg {
		return nil, fmt.Errorf("train: the model's config (%v, head %v) is not the task's (head %v, %d labels); build it with ForTask", base.Config, base.Config.OutputHead(), cfg.OutputHead(), cfg.Labels)
	}
	ft, err := base.FineTune(k)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ft.Materialize()
	params := Trainable(ft)
	if len(params) == 0 {
		return nil, fmt.Errorf("train: the knobs (%s) leave nothing to fine-tune: every block is frozen, so the whole model stays public", k)
	}
	seqs, dropped := encodeTask(cfg, tok, task.Kind, task.Train)
	if err := checkFits(cfg, seqs, "training"); err != nil {
		return nil, err
	}
	res := &Result{Model: ft, Task: task.Name, Knobs: k, Trainable: CountParams(params), Dropped: dropped}
	run := func(what string, epochs float64, loss lossFunc) error {
		ro := o
		if epochs > 0 {
			ro.Epochs, ro.Steps = epochs, 0
		}
		tr, err := newTrainer(ro, params, nil)
		if err != nil {
			return err
		}
		log, err := tr.run(ctx, what, len(seqs), ro.stepsFor(len(seqs)), loss)
		if err != nil {
			return err
		}
		res.Logs = append(res.Logs, log)
		return nil
	}
	if t := opts.Distill.Teacher; t == nil {
		if err := run("finetune", 0, taskLoss(ft, task.Kind, seqs)); err != nil {
			return nil, err
		}
	} else {
		d := opts.Distill
		tc := t.Config
		tc.Name, tc.SeqLen = cfg.Name, cfg.SeqLen
		if tc != cfg || len(t.Blocks) != len(ft.Blocks) {
			return nil, fmt.Errorf("train: the teacher's config (%v) is not the task's", t.Config)
		}
		for i, b := range t.Blocks {
			if s := ft.Blocks[i].Heads; b.Heads%s != 0 {
				return nil, fmt.Errorf("train: the teacher's block %d has %d heads, not a multiple of the student's %d (the teacher should be the standard fine-tuned model)", i, b.Heads, s)
			}
		}
		t.Materialize()
		res.Distilled = true
		teachers := make([]*tape.Engine, o.Threads)
		for i := range teachers {
			teachers[i] = tape.New()
		}
		if d.LayerEpochs >= 0 {
			if err := run("distill/layers", d.LayerEpochs, layerLoss(ft, t, teachers, seqs, d)); err != nil {
				return nil, err
			}
		}
		if d.LogitEpochs >= 0 {
			if err := run("distill/logits", d.LogitEpochs, logitLoss(ft, t, teachers, task.Kind, seqs, d)); err != nil {
				return nil, err
			}
		}
	}
	eo := opts.Eval
	if eo.Threads == 0 {
		eo.Threads = o.Threads
	}
	if len(task.Dev) > 0 {
		if res.Dev, err = Evaluate(ctx, ft, tok, task, task.Dev, eo); err != nil {
			return nil, err
		}
	}
	if res.Test, err = Evaluate(ctx, ft, tok, task, task.Test, eo); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// taskLoss is the supervised loss of a task.
func taskLoss(m *marill.Model, kind data.Kind, seqs []sequence) lossFunc {
	return func(ctx context.Context, e *tape.Engine, _, i int, scale float64) (float64, error) {
		s := seqs[i]
		out, err := m.Apply(ctx, e, marill.Input{IDs: s.ids})
		if err != nil {
			return 0, err
		}
		if kind == data.Generation {
			logits, err := lmLogits(e, m)
			if err != nil {
				return 0, err
			}
			return tokenLoss(e, logits, s.targets, scale)
		}
		z, err := e.Data(out)
		if err != nil {
			return 0, err
		}
		grad := make([]float64, len(z))
		l := crossEntropy(z, s.label, scale, grad)
		return l, e.Seed(out, grad)
	}
}

// internals are the hidden state after each block and the attention
// probabilities of each block, read off a tape after a forward pass.
type internals struct {
	hidden, attn []mpc.Tensor
}

func readInternals(e *tape.Engine, layers int) (internals, error) {
	var in internals
	for i := 0; i < layers; i++ {
		b := "block" + strconv.Itoa(i)
		h, ok := e.Output(b)
		if !ok {
			return in, fmt.Errorf("train: the tape has no output of %s", b)
		}
		a := e.Find(mpc.OpSoftmax, b)
		if len(a) != 1 {
			return in, fmt.Errorf("train: %s has %d softmax operations, want 1", b, len(a))
		}
		in.hidden = append(in.hidden, h)
		in.attn = append(in.attn, a[0])
	}
	return in, nil
}

// copyOut copies tensors' values off a tape (before it is reset).
func copyOut(e *tape.Engine, ts []mpc.Tensor) ([][]float64, error) {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		v, err := e.Data(t)
		if err != nil {
			return nil, err
		}
		out[i] = append([]float64(nil), v...)
	}
	return out, nil
}

// groupMean averages a teacher's attention [h, n, n] over adjacent groups
// of m heads, the target of a student whose heads were merged by m.
func groupMean(a []float64, heads, m int) []float64 {
	per := len(a) / heads
	out := make([]float64, len(a)/m)
	for g := 0; g < heads/m; g++ {
		dst := out[g*per : (g+1)*per]
		for h := g * m; h < (g+1)*m; h++ {
			addInto(dst, a[h*per:(h+1)*per])
		}
		for j := range dst {
			dst[j] /= float64(m)
		}
	}
	return out
}

// layerLoss is the first distillation stage: Σ over blocks of
// MSE(hidden) + AttentionWeight·MSE(attention).
func layerLoss(student, teacher *marill.Model, teachers []*tape.Engine, seqs []sequence, d DistillOptions) lossFunc {
	aw := d.AttentionWeight
	if aw == 0 {
		aw = 1
	}
	layers := len(student.Blocks)
	return func(ctx context.Context, e *tape.Engine, w, i int, scale float64) (float64, error) {
		in := marill.Input{IDs: seqs[i].ids}
		te := teachers[w]
		defer te.Reset()
		if _, err := teacher.Apply(ctx, te, in); err != nil {
			return 0, err
		}
		ti, err := readInternals(te, layers)
		if err != nil {
			return 0, err
		}
		th, err := copyOut(te, ti.hidden)
		if err != nil {
			return 0, err
		}
		ta, err := copyOut(te, ti.attn)
		if err != nil {
			return 0, err
		}
		if _, err := student.Apply(ctx, e, in); err != nil {
			return 0, err
		}
		si, err := readInternals(e, layers)
		if err != nil {
			return 0, err
		}
		loss := 0.0
		for l := 0; l < layers; l++ {
			for _, term := range []struct {
				t      mpc.Tensor
				target []float64
				weight float64
			}{{si.hidden[l], th[l], 1}, {si.attn[l], ta[l], aw}} {
				x, err := e.Data(term.t)
				if err != nil {
					return 0, err
				}
				target := term.target
				if len(target) != len(x) { // merged heads
					m := teacher.Blocks[l].Heads / student.Blocks[l].Heads
					target = groupMean(target, teacher.Blocks[l].Heads, m)
				}
				grad := make([]float64, len(x))
				loss += term.weight * meanSquared(x, target, scale*term.weight, grad)
				if err := e.Seed(term.t, grad); err != nil {
					return 0, err
				}
			}
		}
		return loss, nil
	}
}

// logitLoss is the second distillation stage: soft-label cross-entropy
// against the teacher's logits (the class logits, or the next-token
// logits at every target position).
func logitLoss(student, teacher *marill.Model, teachers []*tape.Engine, kind data.Kind, seqs []sequence, d DistillOptions) lossFunc {
	temp := d.Temperature
	if temp == 0 {
		temp = 1
	}
	return func(ctx context.Context, e *tape.Engine, w, i int, scale float64) (float64, error) {
		s := seqs[i]
		in := marill.Input{IDs: s.ids}
		te := teachers[w]
		defer te.Reset()
		tout, err := teacher.Apply(ctx, te, in)
		if err != nil {
			return 0, err
		}
		out, err := student.Apply(ctx, e, in)
		if err != nil {
			return 0, err
		}
		if kind == data.Classification {
			zt, err := te.Data(tout)
			if err != nil {
				return 0, err
			}
			z, err := e.Data(out)
			if err != nil {
				return 0, err
			}
			grad := make([]float64, len(z))
			l := softCrossEntropy(z, zt, temp, scale, grad)
			return l, e.Seed(out, grad)
		}
		tl, err := lmLogits(te, teacher)
		if err != nil {
			return 0, err
		}
		sl, err := lmLogits(e, student)
		if err != nil {
			return 0, err
		}
		zt, err := te.Data(tl)
		if err != nil {
			return 0, err
		}
		z, err := e.Data(sl)
		if err != nil {
			return 0, err
		}
		v := sl.Shape().Cols()
		count := 0
		for _, t := range s.targets {
			if t >= 0 {
				count++
			}
		}
		grad := make([]float64, len(z))
		loss := 0.0
		for p, t := range s.targets {
			if t >= 0 {
				loss += softCrossEntropy(z[p*v:(p+1)*v], zt[p*v:(p+1)*v], temp, scale/float64(count), grad[p*v:(p+1)*v])
			}
		}
		return loss / float64(count), e.Seed(sl, grad)
	}
}
