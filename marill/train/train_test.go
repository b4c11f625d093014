package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

// TestFineTuneReachesAccuracy is the accuracy criterion: a 2-layer,
// 64-wide GPT-2-family classifier, from seeded weights, learns the subject
// task (4 classes, chance 25%) to at least 60% test accuracy within 400
// steps of 16 examples.
func TestFineTuneReachesAccuracy(t *testing.T) {
	ctx := context.Background()
	tok := data.BuiltinTokenizer()
	task, err := data.Builtin("subject", data.Options{Train: 2000, Dev: 100, Test: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	shape := Shape{Arch: marill.GPT2, Layers: 2, Hidden: 64, Heads: 4, FFN: 128, MaxPositions: 48}
	cfg, err := shape.TaskConfig(tok, task)
	if err != nil {
		t.Fatal(err)
	}
	base, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := FineTune(ctx, base, tok, task, marill.Knobs{}, FineTuneOptions{Options: Options{Steps: 400, BatchSize: 16, LR: 2e-3, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Test.Value < 0.6 {
		t.Fatalf("test accuracy %.1f%% after 400 steps, want at least 60%%", 100*res.Test.Value)
	}
	l := res.Logs[0]
	if l.Steps != 400 || l.Examples != 6400 || l.FinalLoss() > 0.8*l.Loss[0] {
		t.Fatalf("log %v: loss %.3f → %.3f", l, l.Loss[0], l.FinalLoss())
	}
	t.Logf("%v", res)
}

func tinyTask(t *testing.T, name string, n int) (*data.Tokenizer, *data.Task) {
	t.Helper()
	task, err := data.Builtin(name, data.Options{Train: n, Dev: 20, Test: 40, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return data.BuiltinTokenizer(), task
}

func tinyBase(t *testing.T, arch marill.Arch, tok *data.Tokenizer, task *data.Task) *marill.Model {
	t.Helper()
	cfg, err := TinyShape(arch).TaskConfig(tok, task)
	if err != nil {
		t.Fatal(err)
	}
	m, err := marill.NewPretrained(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeterministic checks that a run's weights depend on the seed only,
// not on the number of threads.
func TestDeterministic(t *testing.T) {
	ctx := context.Background()
	tok, task := tinyTask(t, "plural", 64)
	base := tinyBase(t, marill.LLaMA, tok, task)
	run := func(threads int, seed uint64) []float64 {
		res, err := FineTune(ctx, base, tok, task, marill.Knobs{LoRARank: 2, MergeHeads: 2},
			FineTuneOptions{Options: Options{Steps: 6, BatchSize: 8, Threads: threads, Seed: seed}, Eval: EvalOptions{Max: 4}})
		if err != nil {
			t.Fatal(err)
		}
		var all []float64
		for _, p := range Trainable(res.Model) {
			all = append(all, p.Data()...)
		}
		return all
	}
	one, two := run(1, 5), run(2, 5)
	if !slices.Equal(one, two) {
		t.Fatal("one and two threads gave different weights")
	}
	if slices.Equal(one, run(2, 6)) {
		t.Fatal("seeds 5 and 6 gave the same weights")
	}
}

// TestKnobsTrainWhatTheyShould fine-tunes with each knob and checks that
// exactly the private parameters moved: frozen blocks, LoRA base weights
// and the embeddings keep their pretrained values.
func TestKnobsTrainWhatTheyShould(t *testing.T) {
	ctx := context.Background()
	tok, task := tinyTask(t, "sentiment", 64)
	for _, arch := range []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA} {
		base := tinyBase(t, arch, tok, task)
		base.Materialize()
		before := map[string][]float64{}
		for _, p := range base.Params() {
			before[p.Name] = append([]float64(nil), p.Data()...)
		}
		for _, k := range []marill.Knobs{{}, {FreezeLayers: 1}, {LoRARank: 2}, {MergeHeads: 2, Softmax: marill.TwoQuad, GeLU: marill.Quad, SiLU: marill.SiLUQuad}} {
			res, err := FineTune(ctx, base, tok, task, k, FineTuneOptions{Options: Options{Steps: 3, BatchSize: 4}, Eval: EvalOptions{Max: 2}})
			if err != nil {
				t.Fatalf("%v %v: %v", arch, k, err)
			}
			trained := map[*marill.Param]bool{}
			for _, p := range Trainable(res.Model) {
				trained[p] = true
			}
			for _, p := range res.Model.Params() {
				old, existed := before[p.Name]
				moved := !existed || !slices.Equal(old, p.Data())
				if strings.HasSuffix(p.Name, "lora_b") {
					moved = !slices.Equal(make([]float64, p.Size()), p.Data()) // B starts at zero
				}
				if trained[p] != moved && !(trained[p] && strings.HasSuffix(p.Name, "lora_a")) {
					t.Errorf("%v %v: %s trained=%v but moved=%v", arch, k, p.Name, trained[p], moved)
				}
				if p.Vis == mpc.Public && moved {
					t.Errorf("%v %v: public %s changed", arch, k, p.Name)
				}
			}
			// The pretrained model itself is untouched.
			for _, p := range base.Params() {
				if !slices.Equal(before[p.Name], p.Data()) {
					t.Fatalf("%v %v: fine-tuning changed the pretrained %s", arch, k, p.Name)
				}
			}
		}
	}
}

func TestFineTuneErrors(t *testing.T) {
	ctx := context.Background()
	tok, task := tinyTask(t, "subject", 16)
	base := tinyBase(t, marill.GPT2, tok, task)
	if _, err := FineTune(ctx, base, tok, task, marill.Knobs{FreezeFraction: 1}, FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "nothing to fine-tune") {
		t.Fatalf("every block frozen: %v", err)
	}
	if _, err := FineTune(ctx, base, tok, task, marill.Knobs{MergeHeads: 3}, FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "MergeHeads") {
		t.Fatalf("merge 3 of 4 heads: %v", err)
	}
	_, other := tinyTask(t, "sentiment", 16)
	if _, err := FineTune(ctx, base, tok, other, marill.Knobs{}, FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "ForTask") {
		t.Fatalf("a 4-class model on a 2-class task: %v", err)
	}
	if _, err := FineTune(ctx, base, tok, task, marill.Knobs{}, FineTuneOptions{Options: Options{LR: -1}}); err == nil || !strings.Contains(err.Error(), "Options.LR") {
		t.Fatalf("negative learning rate: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := FineTune(cancelled, base, tok, task, marill.Knobs{}, FineTuneOptions{}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled context: %v", err)
	}
}

// TestPretrain checks that pretraining lowers the loss and keeps GPT-2's
// tied head equal to the token embeddings, for the three families.
func TestPretrain(t *testing.T) {
	ctx := context.Background()
	tok := data.BuiltinTokenizer()
	corpus := data.Corpus(200, 1)
	for _, arch := range []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA} {
		cfg, err := TinyShape(arch).PretrainConfig(tok)
		if err != nil {
			t.Fatal(err)
		}
		m, log, err := Pretrain(ctx, cfg, tok, corpus, PretrainOptions{Options: Options{Steps: 25, BatchSize: 16, LR: 3e-3}})
		if err != nil {
			t.Fatal(err)
		}
		first := (log.Loss[0] + log.Loss[1]) / 2
		if log.FinalLoss() > first-0.5 {
			t.Errorf("%v: loss %.3f → %.3f", arch, first, log.FinalLoss())
		}
		if m.Head.LMTied {
			tokens, head := m.Embed.Tokens.Data(), m.Head.LM.Weight.Data()
			v, d := cfg.Vocab, cfg.Hidden
			for i := 0; i < v; i++ {
				for j := 0; j < d; j++ {
					if tokens[i*d+j] != head[j*v+i] {
						t.Fatalf("%v: the tied head drifted from the embeddings", arch)
					}
				}
			}
		}
	}
	cfg, _ := TinyShape(marill.GPT2).PretrainConfig(tok)
	if _, _, err := Pretrain(ctx, cfg, data.BuildTokenizer(corpus, 10), corpus, PretrainOptions{}); err == nil {
		t.Fatal("a tokenizer of another size was accepted")
	}
}

// TestDistill runs both stages of distillation into a student with merged
// heads and MPC-friendly approximations, and checks that the layer stage
// pulls the student's internals towards the teacher's.
func TestDistill(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"subject", "reverse"} {
		tok, task := tinyTask(t, name, 48)
		base := tinyBase(t, marill.GPT2, tok, task)
		teacher, err := FineTune(ctx, base, tok, task, marill.Knobs{}, FineTuneOptions{Options: Options{Steps: 5, BatchSize: 8}, Eval: EvalOptions{Max: 2}})
		if err != nil {
			t.Fatal(err)
		}
		k := marill.Knobs{MergeHeads: 2, GeLU: marill.Quad, Softmax: marill.TwoQuad, LoRARank: 4}
		res, err := FineTune(ctx, base, tok, task, k, FineTuneOptions{
			Options: Options{Steps: 12, BatchSize: 8, LR: 3e-3},
			Distill: DistillOptions{Teacher: teacher.Model, Temperature: 2},
			Eval:    EvalOptions{Max: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Distilled || len(res.Logs) != 2 || res.Logs[0].What != "distill/layers" || res.Logs[1].What != "distill/logits" {
			t.Fatalf("%s: logs %v", name, res.Logs)
		}
		l := res.Logs[0]
		if l.FinalLoss() >= l.Loss[0] {
			t.Errorf("%s: layer loss %.4f → %.4f", name, l.Loss[0], l.FinalLoss())
		}
		if _, err := FineTune(ctx, base, tok, task, k, FineTuneOptions{Distill: DistillOptions{Teacher: tinyBase(t, marill.LLaMA, tok, task)}}); err == nil {
			t.Fatalf("%s: a LLaMA teacher for a GPT-2 student was accepted", name)
		}
	}
}

// TestGroupMean checks the attention target of merged heads.
func TestGroupMean(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8} // 4 heads of 2 values
	if got := groupMean(a, 4, 2); !slices.Equal(got, []float64{2, 3, 6, 7}) {
		t.Fatalf("groupMean = %v", got)
	}
}

func TestEvaluateFixedPoint(t *testing.T) {
	ctx := context.Background()
	tok, task := tinyTask(t, "sentiment", 16)
	m := tinyBase(t, marill.BERT, tok, task).MustFineTune(marill.Knobs{Perturb: 1})
	f, err := Evaluate(ctx, m, tok, task, task.Test, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Evaluate(ctx, m, tok, task, task.Test, EvalOptions{FixedPoint: true, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if f.N != 40 || x.N != 40 || math.Abs(f.Value-x.Value) > 0.1 {
		t.Fatalf("float64 %v, fixed point %v", f, x)
	}
	label, p, err := Classify(ctx, m, tok, task, "the movie was great .")
	if err != nil || (label != "negative" && label != "positive") || math.Abs(p[0]+p[1]-1) > 1e-12 {
		t.Fatalf("Classify = %q %v %v", label, p, err)
	}
	if _, err := Generate(ctx, m, tok, "a b", 3); err == nil {
		t.Fatal("Generate with a classifier succeeded")
	}
}

// TestLab checks that the lab pretrains and fine-tunes the baseline once,
// reads them back from its directory, and that a sweep through study is
// resumable and joins metrics and costs.
func TestLab(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := LabOptions{Dir: dir, Layers: 2, Hidden: 16, Heads: 4, FFN: 32, MaxPositions: 40,
		Data: data.Options{Train: 48, Dev: 8, Test: 16}, CorpusSentences: 64,
		Pretrain: PretrainOptions{Options: Options{Steps: 4}}, FineTune: Options{Steps: 4, BatchSize: 8}}
	lab, err := NewLab(opts)
	if err != nil {
		t.Fatal(err)
	}
	// A cancelled computation is not cached: the next call retries.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := lab.Baseline(cancelled, marill.GPT2, "reverse"); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled baseline: %v", err)
	}
	b1, err := lab.Baseline(ctx, marill.GPT2, "reverse")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 3 { // pretrained checkpoint, baseline checkpoint and summary
		t.Fatalf("lab directory holds %v", files)
	}
	// A new lab with the same options reads both back.
	lab2, _ := NewLab(opts)
	b2, err := lab2.Baseline(ctx, marill.GPT2, "reverse")
	if err != nil {
		t.Fatal(err)
	}
	if b2.Test != b1.Test || len(b2.Logs) != 1 || b2.Model.Origin == b1.Model.Origin {
		t.Fatalf("cached baseline %v (origin %q), trained %v", b2, b2.Model.Origin, b1)
	}
	for i, p := range Trainable(b1.Model) {
		if q := Trainable(b2.Model)[i]; !slices.Equal(p.Data(), q.Data()) {
			t.Fatalf("cached %s differs", p.Name)
		}
	}
	// Other options, other files.
	opts.FineTune.LR = 2e-3
	lab3, _ := NewLab(opts)
	if _, err := lab3.Baseline(ctx, marill.GPT2, "reverse"); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 5 {
		t.Fatalf("a changed learning rate reused the cache: %v", files)
	}
	if _, err := lab.Run(ctx, marill.BERT, "reverse", marill.Knobs{}, false); err == nil || !strings.Contains(err.Error(), "decoder") {
		t.Fatalf("BERT on a generation task: %v", err)
	}

	out := filepath.Join(dir, "sweep")
	so := SweepOptions{Tasks: []string{"subject"}, Models: []string{"gpt2"}, Freeze: []float64{0, 0.5},
		LoRARanks: []int{0, 2}, Merge: []int{1, 3}, Distill: []bool{false, true}, Out: out}
	tab, err := lab.Sweep(ctx, so)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 16 {
		t.Fatalf("%d rows, want 16", len(tab.Rows))
	}
	failed := 0
	for _, r := range tab.Rows {
		if r.Merge == 3 {
			if !strings.Contains(r.Error, "MergeHeads") {
				t.Errorf("merge 3 of the model's 4 heads: error %q", r.Error)
			}
			failed++
			continue
		}
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Label(), r.Error)
		}
		if r.Label() == "standard" && r.KeptPct != 100 && r.Baseline > 0 {
			t.Errorf("standard fine-tuning keeps %.1f%% of itself", r.KeptPct)
		}
		if r.OnlineBytes <= 0 || r.TaskOnlineBytes <= 0 || r.TaskSeqLen <= 0 || r.TaskSeqLen > 40 {
			t.Errorf("%s: costs %d, %d at n=%d", r.Label(), r.OnlineBytes, r.TaskOnlineBytes, r.TaskSeqLen)
		}
	}
	if failed != 8 {
		t.Fatalf("%d failed points, want the 8 with merge 3", failed)
	}
	for _, f := range []string{out + ".csv", out + ".md", out + "-subject.jsonl", out + "-subject-distill.jsonl", out + "-subject-pareto.svg"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("sweep did not write %s", f)
		}
	}
	// Rerun: every point is read back from the journals, none retrained.
	lab4, _ := NewLab(LabOptions{Dir: t.TempDir(), Layers: 2, Hidden: 16, Heads: 4, FFN: 32, MaxPositions: 40,
		Data: data.Options{Train: 48, Dev: 8, Test: 16}, CorpusSentences: 64, FineTune: Options{Steps: 4, BatchSize: 8},
		Pretrain: PretrainOptions{Options: Options{Steps: 4}}})
	again, err := lab4.Sweep(ctx, so)
	if err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(lab4.Options().Dir, "*")); len(files) != 0 {
		t.Fatalf("a resumed sweep trained models: %v", files)
	}
	if again.CSV() != tab.CSV() {
		t.Fatal("the resumed sweep's table differs")
	}
	fig, err := tab.Pareto("subject", SecureTime, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if svg, err := fig.SVG(); err != nil || !strings.Contains(string(svg), "standard") {
		t.Fatalf("Pareto SVG: %v", err)
	}
	if _, err := tab.Pareto("reverse", OnlineBytes, plots.Options{}); err == nil {
		t.Fatal("a Pareto chart of a task with no rows")
	}
	if !strings.Contains(tab.String(), "kept") || !strings.Contains(tab.Markdown(), "| subject |") {
		t.Fatal("table renderings lack their columns")
	}

	// Replicates: every point and baseline trained twice, with other seeds.
	before, _ := filepath.Glob(filepath.Join(dir, "baseline-*.json"))
	rep, err := lab.Sweep(ctx, SweepOptions{Tasks: []string{"subject"}, Models: []string{"gpt2"}, LoRARanks: []int{0, 2},
		Replicates: 2, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "baseline-*.json"))
	if len(after) != len(before)+1 {
		t.Fatalf("replicate 1 of the baseline: %d summaries before, %d after", len(before), len(after))
	}
	for _, r := range rep.Rows {
		if r.Replicates != 2 || r.ValueMin > r.Value || r.Value > r.ValueMax {
			t.Fatalf("%s: %d replicates, %g in [%g, %g]", r.Label(), r.Replicates, r.Value, r.ValueMin, r.ValueMax)
		}
	}
	if _, err := os.Stat(out + "-subject-x2.jsonl"); err != nil {
		t.Fatal(err)
	}
	a, _ := lab.RunReplicate(ctx, marill.GPT2, "subject", marill.Knobs{LoRARank: 2}, false, 0)
	b, _ := lab.RunReplicate(ctx, marill.GPT2, "subject", marill.Knobs{LoRARank: 2}, false, 1)
	if slices.Equal(Trainable(a.Model)[0].Data(), Trainable(b.Model)[0].Data()) {
		t.Fatal("replicates 0 and 1 trained the same adapters")
	}
}

// TestLabUserTask brings a task of one's own into the lab.
func TestLabUserTask(t *testing.T) {
	ctx := context.Background()
	var recs []data.Record
	for i := 0; i < 60; i++ {
		r := data.Record{Text: "the movie was good .", Label: "up"}
		if i%2 == 1 {
			r = data.Record{Text: "the dinner was awful .", Label: "down"}
		}
		recs = append(recs, r)
	}
	task, err := data.FromRecords("mine", recs, nil, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	lab, err := NewLab(LabOptions{Layers: 1, Hidden: 16, Heads: 2, FFN: 32, MaxPositions: 24, CorpusSentences: 32,
		Pretrain: PretrainOptions{Options: Options{Steps: 2}}, FineTune: Options{Steps: 3, BatchSize: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.AddTask(task); err != nil {
		t.Fatal(err)
	}
	res, err := lab.Run(ctx, marill.LLaMA, "mine", marill.Knobs{LoRARank: 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Task != "mine" || res.Test.N != 6 || res.Model.Config.Labels != 2 {
		t.Fatalf("result %v", res)
	}
	foreign, _ := data.FromRecords("foreign", []data.Record{{Text: "zzz qqq", Label: "a"}, {Text: "xxx", Label: "b"}, {Text: "yyy", Label: "a"}}, nil, nil, 1)
	if err := lab.AddTask(foreign); err == nil || !strings.Contains(err.Error(), "knows none") {
		t.Fatalf("a task of unknown words: %v", err)
	}
}
