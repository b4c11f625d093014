package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/study"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
)

// EvaluatorOptions configure NewEvaluator.
type EvaluatorOptions struct {
	// Task is the task every point is fine-tuned on (built-in or added to
	// the lab).
	Task string
	// Distill fine-tunes every point by distillation from the baseline.
	Distill bool
	// Cost is the protocol and network of points that name none.
	Cost CostOptions
	// FixedPoint also evaluates the test split with the secure engine's
	// fixed-point numerics (metric fxp_metric).
	FixedPoint bool
	// Replicates fine-tunes each point this many times (default 1), with
	// different heads, adapters and example orders (Lab.RunReplicate), and
	// reports the mean (and the range) against the baselines' mean.
	Replicates int
}

// NewEvaluator returns the study evaluator of the accuracy side: for each
// point it fine-tunes the lab's model of the point's family (the family of
// the point's preset) on the task with the point's knobs, evaluates it, and
// prices secure inference with the same knobs. Its metrics:
//
//	metric, dev_metric        the task's test (dev) metric in [0, 1]:
//	                          accuracy, or exact match for generation
//	                          (the mean over replicates; with more than one,
//	                          replicates, metric_min and metric_max too)
//	token_accuracy            generation: per-token accuracy of the greedy output
//	baseline_metric, kept_pct the standard fine-tuned model's test metric, and
//	                          100 × metric ÷ baseline_metric (means over replicates)
//	trainable_params, train_seconds, final_loss
//	secure_seconds, online_bytes, offline_bytes, rounds
//	                          simulated cost of the point's preset at its
//	                          sequence length, with the same knobs
//	task_seq_len, task_secure_seconds, task_online_bytes, task_rounds
//	                          the same for the trained model itself at the
//	                          task's longest test input
//	fxp_metric                with FixedPoint: the metric under fixed point
//
// A knob is applied to both models as a fraction or a factor: freezing
// ⌊f·L⌋ of each model's L blocks, merging heads by m (which must divide
// both head counts), LoRA rank r. The evaluator is safe for concurrent use;
// the study's journal makes sweeps resumable.
func NewEvaluator(lab *Lab, opts EvaluatorOptions) study.Evaluator {
	name := "accuracy/" + opts.Task
	if opts.Distill {
		name += "/distill"
	}
	if opts.Replicates > 1 {
		name += fmt.Sprintf("/replicates=%d", opts.Replicates)
	}
	return study.NewEvaluator(name, func(ctx context.Context, p study.Point) ([]study.Metric, error) {
		return lab.evaluate(ctx, p, opts)
	})
}

func (l *Lab) evaluate(ctx context.Context, p study.Point, opts EvaluatorOptions) ([]study.Metric, error) {
	preset, err := p.Config()
	if err != nil {
		return nil, err
	}
	arch := preset.Arch
	k := p.Knobs()
	base, task, err := l.Base(ctx, arch, opts.Task)
	if err != nil {
		return nil, err
	}
	if err := k.Validate(base.Config); err != nil {
		return nil, fmt.Errorf("train: the %s task model cannot take the point's knobs: %w", arch, err)
	}
	reps := max(opts.Replicates, 1)
	var value, dev, tokens, baseValue, seconds, loss, fxp float64
	lo, hi := math.Inf(1), math.Inf(-1)
	var trainable int64
	for r := 0; r < reps; r++ {
		baseline, err := l.BaselineReplicate(ctx, arch, opts.Task, r)
		if err != nil {
			return nil, err
		}
		res, err := l.RunReplicate(ctx, arch, opts.Task, k, opts.Distill, r)
		if err != nil {
			return nil, err
		}
		v := res.Test.Value
		value += v / float64(reps)
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		dev += res.Dev.Value / float64(reps)
		tokens += res.Test.TokenAccuracy / float64(reps)
		baseValue += baseline.Test.Value / float64(reps)
		seconds += trainSeconds(res)
		loss += finalLoss(res) / float64(reps)
		trainable = res.Trainable
		if opts.FixedPoint {
			eo := l.opts.Eval
			eo.FixedPoint = true
			s, err := Evaluate(ctx, res.Model, l.tok, task, task.Test, eo)
			if err != nil {
				return nil, err
			}
			fxp += s.Value / float64(reps)
		}
	}
	co := opts.Cost
	if p.Protocol != "" {
		co.Protocol = p.Protocol
	}
	if p.Network != "" {
		co.Network = p.Network
	}
	atPreset, err := Price(ctx, preset, k, co)
	if err != nil {
		return nil, err
	}
	tcfg := base.Config
	tcfg.SeqLen = TaskSeqLen(tcfg, l.tok, task)
	atTask, err := Price(ctx, tcfg, k, co)
	if err != nil {
		return nil, err
	}
	ms := []study.Metric{
		{Name: "metric", Value: value},
		{Name: "dev_metric", Value: dev},
	}
	if reps > 1 {
		ms = append(ms, study.Metric{Name: "replicates", Value: float64(reps)},
			study.Metric{Name: "metric_min", Value: lo}, study.Metric{Name: "metric_max", Value: hi})
	}
	if task.Kind == data.Generation {
		ms = append(ms, study.Metric{Name: "token_accuracy", Value: tokens})
	}
	ms = append(ms, study.Metric{Name: "baseline_metric", Value: baseValue})
	if baseValue > 0 { // a baseline at 0 keeps no share to speak of
		ms = append(ms, study.Metric{Name: "kept_pct", Value: 100 * value / baseValue})
	}
	ms = append(ms,
		study.Metric{Name: "trainable_params", Value: float64(trainable)},
		study.Metric{Name: "train_seconds", Value: seconds})
	if !math.IsNaN(loss) {
		ms = append(ms, study.Metric{Name: "final_loss", Value: loss})
	}
	ms = append(ms,
		study.Metric{Name: "secure_seconds", Value: atPreset.Seconds},
		study.Metric{Name: "online_bytes", Value: float64(atPreset.Sent)},
		study.Metric{Name: "offline_bytes", Value: float64(atPreset.Offline)},
		study.Metric{Name: "rounds", Value: float64(atPreset.Rounds)},
		study.Metric{Name: "task_seq_len", Value: float64(tcfg.SeqLen)},
		study.Metric{Name: "task_secure_seconds", Value: atTask.Seconds},
		study.Metric{Name: "task_online_bytes", Value: float64(atTask.Sent)},
		study.Metric{Name: "task_rounds", Value: float64(atTask.Rounds)},
	)
	if opts.FixedPoint {
		ms = append(ms, study.Metric{Name: "fxp_metric", Value: fxp})
	}
	return ms, nil
}

func trainSeconds(r *Result) float64 {
	s := 0.0
	for _, l := range r.Logs {
		s += l.Seconds
	}
	return s
}

func finalLoss(r *Result) float64 {
	if len(r.Logs) == 0 {
		return math.NaN()
	}
	return r.Logs[len(r.Logs)-1].FinalLoss()
}

// SweepOptions describe an accuracy sweep: the knob grid (as study.Grid),
// the tasks, and where results go.
type SweepOptions struct {
	// Tasks are the tasks swept (default: sentiment, subject and plural).
	Tasks []string
	// Models are presets (study.Grid.Models): each names the family of the
	// task models and the size at which secure cost is priced (default
	// gpt2; bert-base prices the encoder, whose small models learn less
	// here, see the package documentation). Generation tasks skip encoder
	// presets.
	Models []string
	// SeqLens are the preset's priced lengths (default: the preset's).
	SeqLens []int
	// The knob grid, as in study.Grid.
	Freeze    []float64
	LoRARanks []int
	Merge     []int
	GeLU      []mpc.GeLUKind
	Softmax   []mpc.SoftmaxKind
	SiLU      []mpc.SiLUKind
	// Distill lists the distillation settings swept (default: without).
	Distill []bool
	// Cost is the protocol and network (default SIGMA on the LAN).
	Cost CostOptions
	// FixedPoint adds the fixed-point metric.
	FixedPoint bool
	// Replicates fine-tunes every point (and the baseline) this many times
	// with different seeds and averages (default 1).
	Replicates int
	// Out is the base path of the result files: each task's study writes
	// Out-<task>[-distill][-xR].jsonl (the journal; rerunning resumes), .csv,
	// .json and .md; the joined table goes to Out.csv and Out.md and each
	// task's Pareto chart to Out-<task>-pareto.svg. "" keeps results in
	// memory.
	Out string
	// Workers are points fine-tuned at once (default 1: each fine-tuning
	// already uses every core).
	Workers int
	// Progress receives a progress bar (nil: none).
	Progress io.Writer
}

// Sweep fine-tunes every point of the grid on every task (once per
// distillation setting) through marill/study, and joins the task metric,
// the share of standard fine-tuning kept and the simulated cost in one
// table. Each (task, distillation) pair is a study of its own, resumable
// from its journal.
func (l *Lab) Sweep(ctx context.Context, opts SweepOptions) (*Table, error) {
	tasks := opts.Tasks
	if len(tasks) == 0 {
		tasks = []string{"sentiment", "subject", "plural"}
	}
	distill := opts.Distill
	if len(distill) == 0 {
		distill = []bool{false}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 1
	}
	tab := &Table{}
	for _, name := range tasks {
		task, err := l.Task(name)
		if err != nil {
			return nil, err
		}
		models := opts.Models
		if len(models) == 0 {
			models = []string{"gpt2"}
		}
		if task.Kind == data.Generation {
			models, err = decoders(models)
			if err != nil {
				return nil, fmt.Errorf("train: task %s: %w", name, err)
			}
		}
		grid := study.Grid{Models: models, SeqLens: opts.SeqLens, Freeze: opts.Freeze, LoRARanks: opts.LoRARanks,
			Merge: opts.Merge, GeLU: opts.GeLU, Softmax: opts.Softmax, SiLU: opts.SiLU}
		for _, d := range distill {
			so := study.Options{Workers: workers}
			if opts.Out != "" {
				so.Out = opts.Out + "-" + name
				if d {
					so.Out += "-distill"
				}
				if opts.Replicates > 1 {
					so.Out += fmt.Sprintf("-x%d", opts.Replicates)
				}
			}
			if opts.Progress != nil {
				so.Progress = study.NewBar(opts.Progress)
			}
			ev := NewEvaluator(l, EvaluatorOptions{Task: name, Distill: d, Cost: opts.Cost, FixedPoint: opts.FixedPoint, Replicates: opts.Replicates})
			rs, err := study.Run(ctx, grid, ev, so)
			if rs != nil {
				tab.Rows = append(tab.Rows, Rows(name, task.Metric(), d, rs)...)
				tab.Files = append(tab.Files, rs.Files...)
			}
			if err != nil {
				return tab, err
			}
		}
	}
	if opts.Out != "" {
		files, err := tab.WriteFiles(opts.Out)
		tab.Files = append(tab.Files, files...)
		if err != nil {
			return tab, err
		}
	}
	return tab, nil
}

// decoders keeps the decoder presets of a list.
func decoders(models []string) ([]string, error) {
	var out []string
	for _, m := range models {
		c, err := marill.Preset(m)
		if err != nil {
			return nil, err
		}
		if c.Arch.Decoder() {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("a generation task needs a decoder preset (gpt2, llama-2-7b, ...); got %s", strings.Join(models, ", "))
	}
	return out, nil
}

// writeFile writes b to path atomically.
func writeFile(path string, b []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
