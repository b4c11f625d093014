package train

import (
	"context"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
)

// BenchmarkFineTuneStep times one optimizer step (32 sentiment examples,
// forward, backward and AdamW) of the 2-layer, 128-wide GPT-2-family
// classifier; examples/s is the training throughput.
func BenchmarkFineTuneStep(b *testing.B) {
	benchStep(b, marill.GPT2, "sentiment")
}

// BenchmarkFineTuneStepGeneration is the same for the plural generation
// task (longer sequences, language-model loss at every target position).
func BenchmarkFineTuneStepGeneration(b *testing.B) {
	benchStep(b, marill.GPT2, "plural")
}

func benchStep(b *testing.B, arch marill.Arch, taskName string) {
	ctx := context.Background()
	tok := data.BuiltinTokenizer()
	task, err := data.Builtin(taskName, data.Options{Train: 512, Dev: 1, Test: 1})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := DefaultShape(arch).TaskConfig(tok, task)
	if err != nil {
		b.Fatal(err)
	}
	pre, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	ft := pre.MustFineTune(marill.Knobs{})
	ft.Materialize()
	seqs, _ := encodeTask(cfg, tok, task.Kind, task.Train)
	o := Options{BatchSize: 32}.withDefaults()
	tr, err := newTrainer(o, Trainable(ft), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if _, err := tr.run(ctx, "bench", len(seqs), b.N, taskLoss(ft, task.Kind, seqs)); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*o.BatchSize)/b.Elapsed().Seconds(), "examples/s")
}
