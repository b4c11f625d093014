// Command marill-train is the accuracy side of Marill-Go: it pretrains the
// small "public" models, fine-tunes them with Marill's knobs on built-in or
// your own tasks, sweeps knob grids into a table and Pareto chart of
// accuracy against simulated secure cost, and benchmarks training speed.
//
//	marill-train tasks    [-show N] [-write DIR]             the built-in tasks
//	marill-train pretrain -arch A -out PRE.safetensors       a public pretrained model
//	marill-train finetune -pretrained PRE -task T [knobs]    fine-tune, evaluate, price
//	marill-train eval     -model FT -task T                  evaluate a fine-tuned model
//	marill-train sweep    -dir CACHE -out BASE [grid]        accuracy vs cost, resumable
//	marill-train bench    [-examples 10000]                  training speed
//
// Run "marill-train help" for the flags. Checkpoints are safetensors files
// written by marill's Save; the tokenizer travels beside them as
// FILE.vocab.json.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "marill-train:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "tasks":
		return tasks(args, stdout, stderr)
	case "pretrain":
		return pretrain(ctx, args, stdout, stderr)
	case "finetune":
		return finetune(ctx, args, stdout, stderr)
	case "eval":
		return eval(ctx, args, stdout, stderr)
	case "sweep":
		return sweep(ctx, args, stdout, stderr)
	case "bench":
		return bench(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  marill-train tasks    [-show N] [-write DIR] [-train N -dev N -test N -seed S]
        list the built-in tasks; -show prints examples, -write writes DIR/<task>-{train,dev,test}.jsonl
  marill-train pretrain -arch bert|gpt2|llama -out PRE.safetensors [shape] [-corpus FILE | -sentences N] [training]
        pretrain a public model on the built-in corpus (or FILE, one text per line)
  marill-train finetune -pretrained PRE.safetensors (-task NAME [-examples N] [-test-examples N] | -train FILE [-dev FILE] [-test FILE])
        [knobs] [training]
        [-distill TEACHER.safetensors] [-fxp] [-protocol P] [-network N] [-preset NAME] [-out FT.safetensors]
        fine-tune with Marill's knobs, evaluate, and price secure inference of the result
  marill-train eval     -model FT.safetensors (-task NAME | -train/-dev/-test FILES) [-fxp]
  marill-train sweep    [-dir CACHE] [-out BASE] [-tasks t1,t2] [-models gpt2,bert-base] [-replicates R] [grid] [lab]
        fine-tune every grid point (resumable), join accuracy and cost, draw Pareto charts
  marill-train bench    [-examples 10000] [-epochs 1] [-task sentiment] [-arch gpt2] [-all]
        time fine-tuning of the 2-layer, 128-wide model and print a table

shape:    -layers 2 -hidden 128 -heads 4 -ffn 512 -positions 64
knobs:    -freeze F (fraction) | -freeze-layers K, -lora R, -lora-targets q,v,..., -merge M,
          -gelu exact|tanh|quad|relu, -softmax exact|2quad|2relu, -silu exact|quad|relu
training: -epochs E -steps S -batch B -lr LR -lora-lr LR -warmup F -schedule linear|cosine|constant
          -decay W -clip C -seed S -threads N -log (progress lines)
grid:     -freeze-grid 0,0.5 -lora-grid 0,8 -merge-grid 1,2,4 -gelu-grid unset,quad
          -softmax-grid unset,2quad -silu-grid unset,quad -distill-grid false,true
`

// trainingFlags registers the optimiser flags on fs.
func trainingFlags(fs *flag.FlagSet, o *train.Options, logOn *bool) {
	fs.Float64Var(&o.Epochs, "epochs", 0, "epochs over the training examples (default 3)")
	fs.IntVar(&o.Steps, "steps", 0, "optimizer steps (overrides -epochs)")
	fs.IntVar(&o.BatchSize, "batch", 0, "examples per step (default 32; the lab's 16)")
	fs.Float64Var(&o.LR, "lr", 0, "peak learning rate (default 1e-3)")
	fs.Float64Var(&o.LoRALR, "lora-lr", 0, "learning rate of LoRA adapters (default: -lr)")
	fs.Float64Var(&o.Warmup, "warmup", 0, "fraction of steps of linear warm-up (default 0.06)")
	fs.Func("schedule", "learning-rate decay: linear, cosine or constant", func(s string) error {
		v, err := train.ParseSchedule(s)
		o.Schedule = v
		return err
	})
	fs.Float64Var(&o.WeightDecay, "decay", 0, "AdamW weight decay (default 0.01, negative for none)")
	fs.Float64Var(&o.ClipNorm, "clip", 0, "gradient norm clip (default 1, negative for none)")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of weights, example order and masks")
	fs.IntVar(&o.Threads, "threads", 0, "threads (default: one per core)")
	fs.BoolVar(logOn, "log", false, "print progress lines")
}

// shapeFlags registers the model shape flags.
func shapeFlags(fs *flag.FlagSet, s *train.Shape) {
	d := train.DefaultShape(marill.GPT2)
	fs.IntVar(&s.Layers, "layers", d.Layers, "transformer blocks")
	fs.IntVar(&s.Hidden, "hidden", d.Hidden, "model width")
	fs.IntVar(&s.Heads, "heads", d.Heads, "attention heads")
	fs.IntVar(&s.FFN, "ffn", d.FFN, "feed-forward width")
	fs.IntVar(&s.MaxPositions, "positions", d.MaxPositions, "longest sequence")
}

// knobFlags registers the Marill knob flags.
func knobFlags(fs *flag.FlagSet, k *marill.Knobs) {
	fs.Float64Var(&k.FreezeFraction, "freeze", 0, "freeze the bottom ⌊F·L⌋ blocks")
	fs.IntVar(&k.FreezeLayers, "freeze-layers", 0, "freeze the bottom K blocks")
	fs.IntVar(&k.LoRARank, "lora", 0, "LoRA rank (0: fine-tune every private weight)")
	fs.Func("lora-targets", "projections with adapters: q,k,v,o,up,down,gate or all", func(s string) error {
		p, err := marill.ParseProj(s)
		k.LoRATargets = p
		return err
	})
	fs.IntVar(&k.MergeHeads, "merge", 0, "merge adjacent heads by M in private blocks")
	fs.Func("gelu", "GeLU of private blocks: exact, tanh, quad, relu", func(s string) error {
		v, err := mpc.ParseGeLUKind(s)
		k.GeLU = v
		return err
	})
	fs.Func("softmax", "softmax of private blocks: exact, 2quad, 2relu", func(s string) error {
		v, err := mpc.ParseSoftmaxKind(s)
		k.Softmax = v
		return err
	})
	fs.Func("silu", "SiLU of private blocks (LLaMA): exact, quad, relu", func(s string) error {
		v, err := mpc.ParseSiLUKind(s)
		k.SiLU = v
		return err
	})
}

// taskFlags registers the task selection flags and returns a loader.
func taskFlags(fs *flag.FlagSet) func(seed uint64, sizes data.Options) (*data.Task, error) {
	name := fs.String("task", "", "built-in task: "+strings.Join(data.TaskNames(), ", "))
	var files data.Files
	fs.StringVar(&files.Train, "train", "", "training examples (.jsonl or .csv)")
	fs.StringVar(&files.Dev, "dev", "", "dev examples (default: a tenth of -train)")
	fs.StringVar(&files.Test, "test", "", "test examples (default: a tenth of -train)")
	n := fs.Int("examples", 0, "built-in training examples (default 10,000)")
	testN := fs.Int("test-examples", 0, "built-in dev and test examples (default 1,000 each)")
	return func(seed uint64, sizes data.Options) (*data.Task, error) {
		switch {
		case *name != "" && files.Train != "":
			return nil, errors.New("give -task or -train, not both")
		case files.Train != "":
			return data.LoadTask(baseName(files.Train), files, seed)
		case *name != "":
			if *n > 0 {
				sizes.Train = *n
			}
			if *testN > 0 {
				sizes.Dev, sizes.Test = *testN, *testN
			}
			return data.Builtin(*name, sizes)
		}
		return nil, errors.New("choose a task with -task NAME or -train FILE")
	}
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		p = p[:i]
	}
	return p
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func tasks(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tasks", stderr)
	show := fs.Int("show", 0, "print N examples of each task")
	write := fs.String("write", "", "write each task's splits as JSONL into this directory")
	var sizes data.Options
	fs.IntVar(&sizes.Train, "train", 0, "training examples (default 10,000)")
	fs.IntVar(&sizes.Dev, "dev", 0, "dev examples (default 1,000)")
	fs.IntVar(&sizes.Test, "test", 0, "test examples (default 1,000)")
	fs.Uint64Var(&sizes.Seed, "seed", 0, "seed")
	if err := parse(fs, args); err != nil {
		return err
	}
	tok := data.BuiltinTokenizer()
	fmt.Fprintf(stdout, "built-in grammar: %d words (+%d special tokens)\n\n", tok.Size()-len(data.Specials()), len(data.Specials()))
	for _, name := range data.TaskNames() {
		d, _ := data.Describe(name)
		fmt.Fprintln(stdout, d)
		if *show == 0 && *write == "" {
			continue
		}
		t, err := data.Builtin(name, sizes)
		if err != nil {
			return err
		}
		for _, x := range t.Train[:min(*show, len(t.Train))] {
			if t.Kind == data.Classification {
				fmt.Fprintf(stdout, "  %-12s %s\n", t.Labels[x.Label], x.Text)
			} else {
				fmt.Fprintf(stdout, "  %s  →  %s\n", x.Prompt, x.Target)
			}
		}
		if *write != "" {
			if err := os.MkdirAll(*write, 0o755); err != nil {
				return err
			}
			for _, s := range []struct {
				name string
				xs   []data.Example
			}{{"train", t.Train}, {"dev", t.Dev}, {"test", t.Test}} {
				p := fmt.Sprintf("%s/%s-%s.jsonl", *write, name, s.name)
				f, err := os.Create(p)
				if err != nil {
					return err
				}
				err = data.WriteJSONL(f, s.xs, t.Kind, t.Labels)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return err
				}
				fmt.Fprintln(stdout, "  wrote", p)
			}
		}
	}
	return nil
}

func vocabPath(model string) string { return model + ".vocab.json" }

// loadModel reads a checkpoint and its tokenizer (the built-in one when
// the checkpoint has none beside it and the sizes agree).
func loadModel(path string) (*marill.Model, *data.Tokenizer, error) {
	m, err := marill.Load(path)
	if err != nil {
		return nil, nil, err
	}
	tok, err := data.LoadTokenizer(vocabPath(path))
	if errors.Is(err, os.ErrNotExist) {
		tok = data.BuiltinTokenizer()
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	if tok.Size() != m.Config.Vocab {
		return nil, nil, fmt.Errorf("%s has a vocabulary of %d, its tokenizer %d (%s)", path, m.Config.Vocab, tok.Size(), vocabPath(path))
	}
	return m, tok, nil
}

func save(m *marill.Model, tok *data.Tokenizer, path string, stdout io.Writer) error {
	if err := m.Save(path, "F32"); err != nil {
		return err
	}
	if err := tok.Save(vocabPath(path)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", path, vocabPath(path))
	return nil
}

func pretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pretrain", stderr)
	archName := fs.String("arch", "gpt2", "family: bert, gpt2 or llama")
	out := fs.String("out", "", "checkpoint to write (required)")
	corpusFile := fs.String("corpus", "", "pretraining text, one sentence per line (default: the built-in grammar)")
	sentences := fs.Int("sentences", 20_000, "built-in corpus sentences")
	vocab := fs.Int("vocab", 0, "with -corpus: keep the N most frequent words (0: all)")
	var shape train.Shape
	shapeFlags(fs, &shape)
	var o train.PretrainOptions
	var logOn bool
	trainingFlags(fs, &o.Options, &logOn)
	fs.Float64Var(&o.MaskRate, "mask", 0, "BERT's masked-word rate (default 0.15)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("pretrain: -out is required")
	}
	arch, err := marill.ParseArch(*archName)
	if err != nil {
		return err
	}
	shape.Arch = arch
	corpus := data.Corpus(*sentences, o.Seed)
	tok := data.BuiltinTokenizer()
	if *corpusFile != "" {
		b, err := os.ReadFile(*corpusFile)
		if err != nil {
			return err
		}
		corpus = nil
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				corpus = append(corpus, l)
			}
		}
		if len(corpus) == 0 {
			return fmt.Errorf("pretrain: %s has no text", *corpusFile)
		}
		tok = data.BuildTokenizer(corpus, *vocab)
	}
	if o.Epochs == 0 && o.Steps == 0 {
		o.Epochs = 2
	}
	if logOn {
		o.Log = stderr
	}
	cfg, err := shape.PretrainConfig(tok)
	if err != nil {
		return err
	}
	m, log, err := train.Pretrain(ctx, cfg, tok, corpus, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, log)
	return save(m, tok, *out, stdout)
}

func finetune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("finetune", stderr)
	preFile := fs.String("pretrained", "", "pretrained checkpoint (required)")
	teacherFile := fs.String("distill", "", "distil from this standard fine-tuned checkpoint (MPCFormer's two stages)")
	out := fs.String("out", "", "write the fine-tuned model here")
	fxp := fs.Bool("fxp", false, "also evaluate with the secure engine's fixed-point numerics")
	protocol := fs.String("protocol", "sigma", "simulator family pricing secure inference")
	network := fs.String("network", "lan", "network profile")
	preset := fs.String("preset", "", "also price this preset (e.g. bert-base) with the same knobs")
	var k marill.Knobs
	knobFlags(fs, &k)
	load := taskFlags(fs)
	var o train.FineTuneOptions
	var logOn bool
	trainingFlags(fs, &o.Options, &logOn)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *preFile == "" {
		return errors.New("finetune: -pretrained is required (make one with marill-train pretrain)")
	}
	pre, tok, err := loadModel(*preFile)
	if err != nil {
		return err
	}
	task, err := load(o.Seed, data.Options{Seed: o.Seed})
	if err != nil {
		return err
	}
	base, err := train.ForTask(pre, tok, task, o.Seed)
	if err != nil {
		return err
	}
	if *teacherFile != "" {
		t, _, err := loadModel(*teacherFile)
		if err != nil {
			return err
		}
		o.Distill.Teacher = t
	}
	if logOn {
		o.Log = stderr
	}
	res, err := train.FineTune(ctx, base, tok, task, k, o)
	if err != nil {
		return err
	}
	for _, l := range res.Logs {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintln(stdout, res)
	if *fxp {
		s, err := train.Evaluate(ctx, res.Model, tok, task, task.Test, train.EvalOptions{FixedPoint: true})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "fixed point (secure numerics): test", s)
	}
	co := train.CostOptions{Protocol: *protocol, Network: *network}
	cfg := res.Model.Config
	cfg.SeqLen = train.TaskSeqLen(cfg, tok, task)
	c, err := train.Price(ctx, cfg, k, co)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "secure inference of this model:", c)
	if *preset != "" {
		pc, err := marill.Preset(*preset)
		if err != nil {
			return err
		}
		c, err := train.Price(ctx, pc, k, co)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "secure inference of the preset with the same knobs:", c)
	}
	if *out != "" {
		return save(res.Model, tok, *out, stdout)
	}
	return nil
}

func eval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	model := fs.String("model", "", "fine-tuned checkpoint (required)")
	fxp := fs.Bool("fxp", false, "use the secure engine's fixed-point numerics")
	seed := fs.Uint64("seed", 0, "seed of built-in tasks and held-out splits")
	load := taskFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" {
		return errors.New("eval: -model is required")
	}
	m, tok, err := loadModel(*model)
	if err != nil {
		return err
	}
	task, err := load(*seed, data.Options{Seed: *seed})
	if err != nil {
		return err
	}
	s, err := train.Evaluate(ctx, m, tok, task, task.Test, train.EvalOptions{FixedPoint: *fxp})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s on %s (%s): test %v\n", m.Config.Name, task.Name, m.Knobs, s)
	return nil
}

// listFlag parses comma-separated values.
func listFlag(fs *flag.FlagSet, name, usage string, parse func(string) error) {
	fs.Func(name, usage, func(s string) error {
		for _, p := range strings.Split(s, ",") {
			if err := parse(strings.TrimSpace(p)); err != nil {
				return err
			}
		}
		return nil
	})
}

func sweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", stderr)
	var so train.SweepOptions
	var lo train.LabOptions
	fs.StringVar(&lo.Dir, "dir", "marill-train-cache", "cache of pretrained models and baselines")
	fs.StringVar(&so.Out, "out", "accuracy", "base path of the result files")
	fs.IntVar(&lo.Data.Train, "examples", 0, "training examples per built-in task (default 10,000)")
	testExamples := fs.Int("test-examples", 0, "dev and test examples per built-in task (default 1,000 each)")
	fs.IntVar(&lo.CorpusSentences, "sentences", 0, "pretraining sentences (default 20,000)")
	fs.IntVar(&lo.Layers, "layers", 0, "blocks of the task models (default 2)")
	fs.IntVar(&lo.Hidden, "hidden", 0, "width of the task models (default 128)")
	fs.Float64Var(&lo.FineTune.Epochs, "epochs", 0, "fine-tuning epochs (default 3)")
	fs.Float64Var(&lo.FineTune.LR, "lr", 0, "fine-tuning learning rate (default 1e-3)")
	fs.Uint64Var(&lo.Seed, "seed", 0, "seed")
	fs.StringVar(&so.Cost.Protocol, "protocol", "", "simulator family (default sigma)")
	fs.StringVar(&so.Cost.Network, "network", "", "network profile (default lan)")
	fs.BoolVar(&so.FixedPoint, "fxp", false, "also evaluate with fixed-point numerics")
	fs.IntVar(&so.Replicates, "replicates", 1, "fine-tune every point this many times with other seeds and average")
	quiet := fs.Bool("quiet", false, "no progress output")
	listFlag(fs, "tasks", "tasks (default sentiment,subject,plural)", func(s string) error { so.Tasks = append(so.Tasks, s); return nil })
	listFlag(fs, "models", "presets giving family and priced size (default gpt2)", func(s string) error { so.Models = append(so.Models, s); return nil })
	listFlag(fs, "seq-grid", "priced sequence lengths", func(s string) error {
		v, err := strconv.Atoi(s)
		so.SeqLens = append(so.SeqLens, v)
		return err
	})
	listFlag(fs, "freeze-grid", "freeze fractions", func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		so.Freeze = append(so.Freeze, v)
		return err
	})
	listFlag(fs, "lora-grid", "LoRA ranks (0: none)", func(s string) error {
		v, err := strconv.Atoi(s)
		so.LoRARanks = append(so.LoRARanks, v)
		return err
	})
	listFlag(fs, "merge-grid", "head-merge factors", func(s string) error {
		v, err := strconv.Atoi(s)
		so.Merge = append(so.Merge, v)
		return err
	})
	kind := func(s string, parse func(string) error) error {
		if s == "unset" || s == "native" {
			return parse("")
		}
		return parse(s)
	}
	listFlag(fs, "gelu-grid", "GeLU forms (unset: native)", func(s string) error {
		return kind(s, func(s string) error {
			var k mpc.GeLUKind
			err := k.UnmarshalText([]byte(s))
			so.GeLU = append(so.GeLU, k)
			return err
		})
	})
	listFlag(fs, "softmax-grid", "softmax forms (unset: exact)", func(s string) error {
		return kind(s, func(s string) error {
			var k mpc.SoftmaxKind
			err := k.UnmarshalText([]byte(s))
			so.Softmax = append(so.Softmax, k)
			return err
		})
	})
	listFlag(fs, "silu-grid", "SiLU forms (unset: native)", func(s string) error {
		return kind(s, func(s string) error {
			var k mpc.SiLUKind
			err := k.UnmarshalText([]byte(s))
			so.SiLU = append(so.SiLU, k)
			return err
		})
	})
	listFlag(fs, "distill-grid", "distillation settings (false,true)", func(s string) error {
		v, err := strconv.ParseBool(s)
		so.Distill = append(so.Distill, v)
		return err
	})
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*quiet {
		so.Progress = stderr
		lo.Log = stderr
	}
	lo.Data.Dev, lo.Data.Test = *testExamples, *testExamples
	lab, err := train.NewLab(lo)
	if err != nil {
		return err
	}
	tab, err := lab.Sweep(ctx, so)
	if tab != nil {
		fmt.Fprintln(stdout, tab)
		for _, f := range tab.Files {
			fmt.Fprintln(stdout, "wrote", f)
		}
	}
	return err
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	n := fs.Int("examples", 10_000, "training examples")
	epochs := fs.Float64("epochs", 1, "epochs")
	taskName := fs.String("task", "sentiment", "built-in task")
	archName := fs.String("arch", "gpt2", "family")
	all := fs.Bool("all", false, "also time LoRA r=8 and half the layers frozen")
	threads := fs.Int("threads", 0, "threads (default: one per core)")
	batch := fs.Int("batch", 16, "examples per step")
	var shape train.Shape
	shapeFlags(fs, &shape)
	if err := parse(fs, args); err != nil {
		return err
	}
	arch, err := marill.ParseArch(*archName)
	if err != nil {
		return err
	}
	shape.Arch = arch
	tok := data.BuiltinTokenizer()
	task, err := data.Builtin(*taskName, data.Options{Train: *n, Dev: 1, Test: 200})
	if err != nil {
		return err
	}
	cfg, err := shape.TaskConfig(tok, task)
	if err != nil {
		return err
	}
	base, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		return err
	}
	total, longest := 0, 0
	for _, x := range task.Train {
		l := len(tok.Encode(x.Text+" "+x.Prompt+" "+x.Target)) + 2
		total += l
		longest = max(longest, l)
	}
	nThreads := *threads
	if nThreads <= 0 {
		nThreads = runtime.NumCPU()
	}
	knobs := []marill.Knobs{{}}
	if *all {
		knobs = append(knobs, marill.Knobs{LoRARank: 8}, marill.Knobs{FreezeFraction: 0.5})
	}
	fmt.Fprintf(stdout, "fine-tuning %s (%s, %d parameters) on %d %s examples (tokens per example: mean %.1f, max %d), %g epoch(s), batches of %d, %d threads on %d cores\n",
		cfg.Name, shape, cfg.ParamCount(), *n, task.Name, float64(total)/float64(*n), longest, *epochs, *batch, nThreads, runtime.NumCPU())
	fmt.Fprintf(stdout, "%-24s %10s %12s %8s %12s %12s %s\n", "knobs", "trained", "train time", "steps", "examples/s", "test", "target (< 5 min for 10,000)")
	for _, k := range knobs {
		res, err := train.FineTune(ctx, base, tok, task, k, train.FineTuneOptions{
			Options: train.Options{Epochs: *epochs, BatchSize: *batch, Threads: nThreads},
			Eval:    train.EvalOptions{Max: 200}})
		if err != nil {
			return err
		}
		l := res.Logs[0]
		d := time.Duration(l.Seconds * float64(time.Second))
		perTenK := d.Seconds() / (float64(l.Examples) / 10_000)
		verdict := "ok"
		if perTenK > 300 {
			verdict = "MISSED"
		}
		fmt.Fprintf(stdout, "%-24s %10d %12s %8d %12.0f %12s %s (%.0f s per 10,000 examples)\n",
			k.String(), res.Trainable, d.Round(time.Millisecond), l.Steps, l.ExamplesPerSecond(), pct(res.Test.Value), verdict, perTenK)
	}
	return nil
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }
