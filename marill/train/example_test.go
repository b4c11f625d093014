package train_test

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train"
	"github.com/marill-go/marill/marill/train/data"
)

// Fine-tune a small model with half its blocks frozen and LoRA on the
// rest, evaluate it, and price secure inference of it.
func ExampleFineTune() {
	ctx := context.Background()
	tok := data.BuiltinTokenizer()
	task, _ := data.Builtin("subject", data.Options{Train: 200, Dev: 20, Test: 50})
	cfg, _ := train.TinyShape(marill.GPT2).PretrainConfig(tok)
	pre, _, _ := train.Pretrain(ctx, cfg, tok, data.Corpus(200, 1), train.PretrainOptions{Options: train.Options{Steps: 10}})
	base, _ := train.ForTask(pre, tok, task, 1) // the pretrained trunk, a new 4-class head

	res, err := train.FineTune(ctx, base, tok, task, marill.Knobs{FreezeFraction: 0.5, LoRARank: 4},
		train.FineTuneOptions{Options: train.Options{Steps: 20, BatchSize: 8}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Knobs, "trains", res.Trainable, "parameters")
	fmt.Println(res.Logs[0].Steps, "steps;", res.Test.N, "test examples, metric", res.Test.Metric)

	cfg = res.Model.Config
	cfg.SeqLen = train.TaskSeqLen(cfg, tok, task)
	c, _ := train.Price(ctx, cfg, res.Knobs, train.CostOptions{Protocol: "sigma", Network: "lan"})
	fmt.Println("priced at", c.SeqLen, "tokens with", c.Protocol)
	// Output:
	// freeze 0.5 · LoRA r=4 (all) trains 1924 parameters
	// 20 steps; 50 test examples, metric accuracy
	// priced at 12 tokens with sigma
}

// A lab caches the pretrained model and the standard fine-tuned baseline;
// a sweep fine-tunes every knob combination through marill/study and joins
// accuracy with cost.
func ExampleLab_Sweep() {
	lab, _ := train.NewLab(train.LabOptions{Layers: 2, Hidden: 16, Heads: 4, FFN: 32, MaxPositions: 40,
		Data: data.Options{Train: 32, Dev: 8, Test: 16}, CorpusSentences: 64,
		Pretrain: train.PretrainOptions{Options: train.Options{Steps: 2}}, FineTune: train.Options{Steps: 2, BatchSize: 8}})
	tab, err := lab.Sweep(context.Background(), train.SweepOptions{
		Tasks: []string{"sentiment"}, Models: []string{"gpt2"}, Freeze: []float64{0, 0.5}, LoRARanks: []int{0, 4}})
	if err != nil {
		panic(err)
	}
	for _, r := range tab.Rows {
		fmt.Printf("%-15s %s n=%d, %d trained parameters\n", r.Label(), r.Model, r.SeqLen, r.TrainableParams)
	}
	// Output:
	// standard        gpt2 n=128, 4514 trained parameters
	// r4              gpt2 n=128, 1826 trained parameters
	// freeze 0.5      gpt2 n=128, 2290 trained parameters
	// freeze 0.5 · r4 gpt2 n=128, 930 trained parameters
}
