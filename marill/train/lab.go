package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
)

// LabOptions fix everything an accuracy experiment needs besides the
// knobs: the data, the model shape, and how models are pretrained and
// fine-tuned. The zero value is the built-in setup: the built-in grammar's
// tokenizer and corpus, DefaultShape models, built-in tasks of 10,000
// training examples, and the default training options.
type LabOptions struct {
	// Dir caches pretrained models and standard fine-tuned baselines as
	// safetensors checkpoints (with a JSON summary), so a rerun or a
	// resumed study trains them once. "" keeps them in memory only.
	// Cached files are named after a hash of every option they depend on.
	Dir string
	// Layers, Hidden, Heads, FFN and MaxPositions shape the models (zero:
	// DefaultShape's 2, 128, 4, 512, 64).
	Layers, Hidden, Heads, FFN, MaxPositions int
	// Data sizes and seeds the built-in tasks (zero: 10,000/1,000/1,000,
	// seed 0).
	Data data.Options
	// Corpus is the pretraining text (nil: CorpusSentences sentences of the
	// built-in grammar, default 20,000).
	Corpus          []string
	CorpusSentences int
	// Tokenizer maps words to ids (nil: the built-in grammar's, or one
	// built from Corpus when a corpus is given).
	Tokenizer *data.Tokenizer
	// Pretrain configures pretraining (zero: 2 epochs at LR 1e-3, batches
	// of 32).
	Pretrain PretrainOptions
	// FineTune configures fine-tuning (zero: 3 epochs at LR 1e-3, batches
	// of 16, adapters at 5× the rate).
	FineTune Options
	// Distill sets the distillation stages' lengths and temperature (its
	// Teacher is ignored: the lab's standard fine-tuned model teaches).
	Distill DistillOptions
	// Eval configures evaluation.
	Eval EvalOptions
	// Seed draws the initial weights of pretraining, new heads and LoRA
	// adapters.
	Seed uint64
	// Log receives progress lines (nil: none).
	Log io.Writer
}

func (o LabOptions) withDefaults() LabOptions {
	d := DefaultShape(marill.GPT2)
	def := func(v *int, x int) {
		if *v == 0 {
			*v = x
		}
	}
	def(&o.Layers, d.Layers)
	def(&o.Hidden, d.Hidden)
	def(&o.Heads, d.Heads)
	def(&o.FFN, d.FFN)
	def(&o.MaxPositions, d.MaxPositions)
	def(&o.CorpusSentences, 20_000)
	o.Data = o.Data.WithDefaults()
	if o.Pretrain.Epochs == 0 && o.Pretrain.Steps == 0 {
		o.Pretrain.Epochs = 2
	}
	if o.FineTune.BatchSize == 0 {
		o.FineTune.BatchSize = 16
	}
	if o.FineTune.LoRALR == 0 {
		lr := o.FineTune.LR
		if lr == 0 {
			lr = 1e-3
		}
		o.FineTune.LoRALR = 5 * lr
	}
	return o
}

// Lab runs accuracy experiments: it pretrains the public model of each
// family, builds and fine-tunes task models with any knobs, and keeps the
// standard fine-tuned model of each (family, task) as the baseline and
// distillation teacher. Its methods are safe for concurrent use; each
// model is trained once.
type Lab struct {
	opts  LabOptions
	tok   *data.Tokenizer
	mu    sync.Mutex
	tasks map[string]*data.Task
	once  map[string]*entry
}

// entry is a cached result, computed once.
type entry struct {
	once sync.Once
	val  any
	err  error
}

// NewLab checks the options and returns a lab.
func NewLab(opts LabOptions) (*Lab, error) {
	o := opts.withDefaults()
	if err := o.Pretrain.Validate(); err != nil {
		return nil, err
	}
	if err := o.FineTune.Validate(); err != nil {
		return nil, err
	}
	tok := o.Tokenizer
	if tok == nil {
		if o.Corpus != nil {
			tok = data.BuildTokenizer(o.Corpus, 0)
		} else {
			tok = data.BuiltinTokenizer()
		}
	}
	l := &Lab{opts: o, tok: tok, tasks: map[string]*data.Task{}, once: map[string]*entry{}}
	if _, err := l.Shape(marill.GPT2).PretrainConfig(tok); err != nil {
		return nil, err
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	return l, nil
}

// Options returns the lab's options with defaults filled in.
func (l *Lab) Options() LabOptions { return l.opts }

// Tokenizer is the lab's tokenizer.
func (l *Lab) Tokenizer() *data.Tokenizer { return l.tok }

// Shape is the lab's model shape for a family.
func (l *Lab) Shape(arch marill.Arch) Shape {
	o := l.opts
	return Shape{Arch: arch, Layers: o.Layers, Hidden: o.Hidden, Heads: o.Heads, FFN: o.FFN, MaxPositions: o.MaxPositions}
}

// AddTask registers a task (from files, see data.LoadTask) under its name,
// replacing a built-in task of the same name. It fails if the tokenizer
// knows none of its words.
func (l *Lab) AddTask(t *data.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if r := l.tok.UnknownRate(t.Texts()); r == 1 {
		return fmt.Errorf("train: the tokenizer knows none of task %s's words; pretrain on a corpus of its text (LabOptions.Corpus)", t.Name)
	} else if r > 0.2 && l.opts.Log != nil {
		fmt.Fprintf(l.opts.Log, "warning: %.0f%% of task %s's words are unknown to the tokenizer\n", 100*r, t.Name)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tasks[t.Name] = t
	return nil
}

// Task returns a registered task, or draws the built-in task of that name.
func (l *Lab) Task(name string) (*data.Task, error) {
	l.mu.Lock()
	t, ok := l.tasks[name]
	l.mu.Unlock()
	if ok {
		return t, nil
	}
	v, err := l.cached("task/"+name, func() (any, error) { return data.Builtin(name, l.opts.Data) })
	if err != nil {
		return nil, err
	}
	return v.(*data.Task), nil
}

// cached computes f once per key. A computation stopped by a cancelled
// context is forgotten, so a later call computes it again.
func (l *Lab) cached(key string, f func() (any, error)) (any, error) {
	l.mu.Lock()
	e, ok := l.once[key]
	if !ok {
		e = &entry{}
		l.once[key] = e
	}
	l.mu.Unlock()
	e.once.Do(func() { e.val, e.err = f() })
	if errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded) {
		l.mu.Lock()
		if l.once[key] == e {
			delete(l.once, key)
		}
		l.mu.Unlock()
	}
	return e.val, e.err
}

// fingerprint hashes the options a cached model depends on.
func fingerprint(parts ...any) string {
	h := fnv.New64a()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		if err := enc.Encode(p); err != nil {
			panic(err) // options are plain data
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())[:12]
}

// trainingKey is what a run's result depends on in Options: the options
// with defaults resolved, without threads and logging.
func trainingKey(o Options) Options {
	o = o.withDefaults()
	o.Threads, o.Log, o.LogEvery = 0, nil, 0
	return o
}

func (l *Lab) corpus() []string {
	if l.opts.Corpus != nil {
		return l.opts.Corpus
	}
	return data.Corpus(l.opts.CorpusSentences, l.opts.Seed)
}

func (l *Lab) pretrainKey(arch marill.Arch) string {
	o := l.opts
	corpus := any(o.CorpusSentences)
	if o.Corpus != nil {
		corpus = o.Corpus
	}
	p := o.Pretrain
	p.Options = trainingKey(p.Options)
	return fingerprint(l.Shape(arch), l.tok, corpus, p, o.Seed)
}

func (l *Lab) path(name string) string {
	if l.opts.Dir == "" {
		return ""
	}
	return filepath.Join(l.opts.Dir, name)
}

// Pretrained returns the public pretrained model of a family, pretraining
// it on the corpus (see Pretrain) the first time and reading it from the
// cache directory afterwards.
func (l *Lab) Pretrained(ctx context.Context, arch marill.Arch) (*marill.Model, error) {
	key := l.pretrainKey(arch)
	v, err := l.cached("pretrained/"+arch.String(), func() (any, error) {
		path := l.path(fmt.Sprintf("pretrained-%s-%s.safetensors", l.Shape(arch).Name(), key))
		if m, err := loadModel(path); m != nil || err != nil {
			return m, err
		}
		cfg, err := l.Shape(arch).PretrainConfig(l.tok)
		if err != nil {
			return nil, err
		}
		po := l.opts.Pretrain
		po.Seed = l.opts.Seed
		po.Log = l.opts.Log
		l.logf("pretraining %s on %d sentences", cfg.Name, len(l.corpus()))
		m, log, err := Pretrain(ctx, cfg, l.tok, l.corpus(), po)
		if err != nil {
			return nil, err
		}
		l.logf("%v", log)
		if path != "" {
			if err := m.Save(path, "F64"); err != nil {
				return nil, err
			}
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*marill.Model), nil
}

func (l *Lab) logf(format string, args ...any) {
	if l.opts.Log != nil {
		fmt.Fprintf(l.opts.Log, format+"\n", args...)
	}
}

// loadModel reads a cached checkpoint; a missing file is (nil, nil).
func loadModel(path string) (*marill.Model, error) {
	if path == "" {
		return nil, nil
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	m, err := marill.Load(path)
	if err != nil {
		return nil, fmt.Errorf("train: cached model %s: %w (delete it to retrain)", path, err)
	}
	return m, nil
}

// Base returns the public model a task's fine-tuning starts from: the
// pretrained trunk with the task's head (see ForTask).
func (l *Lab) Base(ctx context.Context, arch marill.Arch, task string) (*marill.Model, *data.Task, error) {
	return l.base(ctx, arch, task, 0)
}

// base is Base with the new head drawn for a replicate.
func (l *Lab) base(ctx context.Context, arch marill.Arch, task string, replicate int) (*marill.Model, *data.Task, error) {
	t, err := l.Task(task)
	if err != nil {
		return nil, nil, err
	}
	if t.Kind == data.Generation && !arch.Decoder() {
		return nil, nil, fmt.Errorf("train: generation task %s needs a decoder (gpt2 or llama), not %v", task, arch)
	}
	pre, err := l.Pretrained(ctx, arch)
	if err != nil {
		return nil, nil, err
	}
	b, err := ForTask(pre, l.tok, t, l.opts.Seed+uint64(replicate))
	return b, t, err
}

// fineTuneOptions are the lab's options for one run of a replicate.
func (l *Lab) fineTuneOptions(replicate int) FineTuneOptions {
	o := FineTuneOptions{Options: l.opts.FineTune, Distill: l.opts.Distill, Eval: l.opts.Eval}
	o.Distill.Teacher = nil
	o.Seed += uint64(replicate)
	if o.Log == nil {
		o.Log = l.opts.Log
	}
	return o
}

// summary is the JSON kept beside a cached baseline checkpoint.
type summary struct {
	Task      string  `json:"task"`
	Dev       Score   `json:"dev"`
	Test      Score   `json:"test"`
	Trainable int64   `json:"trainable"`
	Seconds   float64 `json:"seconds"`
	Logs      []*Log  `json:"logs"`
}

// Baseline returns the standard fine-tuned model of a family on a task
// (zero knobs, every private parameter trained): the reference for "% of
// standard fine-tuning kept" and the distillation teacher. It is trained
// once and cached.
func (l *Lab) Baseline(ctx context.Context, arch marill.Arch, task string) (*Result, error) {
	return l.BaselineReplicate(ctx, arch, task, 0)
}

// BaselineReplicate is the baseline of replicate r (see RunReplicate).
func (l *Lab) BaselineReplicate(ctx context.Context, arch marill.Arch, task string, r int) (*Result, error) {
	if r < 0 {
		return nil, fmt.Errorf("train: replicate %d is negative", r)
	}
	t, err := l.Task(task)
	if err != nil {
		return nil, err
	}
	ft := l.fineTuneOptions(r)
	parts := []any{l.pretrainKey(arch), t, trainingKey(ft.Options), ft.Eval.FixedPoint, ft.Eval.Max}
	if r > 0 {
		parts = append(parts, "replicate", r, l.opts.Seed)
	}
	key := fingerprint(parts...)
	v, err := l.cached(fmt.Sprintf("baseline/%v/%s/%d", arch, task, r), func() (any, error) {
		name := fmt.Sprintf("baseline-%s-%s-%s", l.Shape(arch).Name(), task, key)
		ckpt, js := l.path(name+".safetensors"), l.path(name+".json")
		if m, err := loadModel(ckpt); err != nil {
			return nil, err
		} else if m != nil {
			var s summary
			b, err := os.ReadFile(js)
			if err == nil {
				err = json.Unmarshal(b, &s)
			}
			if err != nil {
				return nil, fmt.Errorf("train: cached baseline summary %s: %v (delete %s to retrain)", js, err, ckpt)
			}
			return &Result{Model: m, Task: task, Dev: s.Dev, Test: s.Test, Trainable: s.Trainable, Logs: s.Logs, Seconds: s.Seconds}, nil
		}
		base, t, err := l.base(ctx, arch, task, r)
		if err != nil {
			return nil, err
		}
		l.logf("fine-tuning the %s baseline on %s (replicate %d)", arch, task, r)
		res, err := FineTune(ctx, base, l.tok, t, marill.Knobs{Seed: l.opts.Seed + uint64(r)}, ft)
		if err != nil {
			return nil, err
		}
		if ckpt != "" {
			if err := res.Model.Save(ckpt, "F64"); err != nil {
				return nil, err
			}
			b, err := json.MarshalIndent(summary{Task: task, Dev: res.Dev, Test: res.Test, Trainable: res.Trainable, Seconds: res.Seconds, Logs: res.Logs}, "", " ")
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(js, b, 0o644); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
		}
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Result), nil
}

// Run fine-tunes a family's model on a task with the knobs, from the
// pretrained model, and evaluates it; with distill, the baseline teaches
// (DistillOptions). Zero knobs without distillation return the baseline.
func (l *Lab) Run(ctx context.Context, arch marill.Arch, task string, k marill.Knobs, distill bool) (*Result, error) {
	return l.RunReplicate(ctx, arch, task, k, distill, 0)
}

// RunReplicate is Run for replicate r ≥ 0: replicate 0 is Run; replicate r
// draws the new head and the adapters from the lab's seed + r and orders
// the examples by the fine-tuning seed + r (the pretrained model and the
// data are the same), with replicate r's baseline as the teacher. Sweeps
// average over replicates (SweepOptions.Replicates) because small models
// escape the early plateau of fine-tuning at different times.
func (l *Lab) RunReplicate(ctx context.Context, arch marill.Arch, task string, k marill.Knobs, distill bool, r int) (*Result, error) {
	if isStandard(k) && !distill {
		return l.BaselineReplicate(ctx, arch, task, r)
	}
	if r < 0 {
		return nil, fmt.Errorf("train: replicate %d is negative", r)
	}
	base, t, err := l.base(ctx, arch, task, r)
	if err != nil {
		return nil, err
	}
	if k.Seed == 0 {
		k.Seed = l.opts.Seed + uint64(r)
	}
	o := l.fineTuneOptions(r)
	if distill {
		b, err := l.BaselineReplicate(ctx, arch, task, r)
		if err != nil {
			return nil, err
		}
		o.Distill.Teacher = b.Model
	}
	return FineTune(ctx, base, l.tok, t, k, o)
}

func isStandard(k marill.Knobs) bool {
	return k.FreezeLayers == 0 && k.FreezeFraction == 0 && !anyTrue(k.Frozen) && k.LoRARank == 0 &&
		k.Merge() == 1 && k.GeLU == 0 && k.Softmax == 0 && k.SiLU == 0 && k.Perturb == 0
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}
