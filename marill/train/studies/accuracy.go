// Accuracy fine-tunes small models with Marill's knobs on the built-in
// tasks and joins what each knob keeps of standard fine-tuning with what
// secure inference costs under it: freezing and LoRA rank, head merging,
// MPC-friendly approximations with and without distillation, and all of
// Marill's knobs together. The accuracy comes from 2-layer, 128-wide
// GPT-2-family models pretrained and fine-tuned here; the cost is the
// simulator's price of GPT-2 (124M) at 128 tokens with the same knobs,
// SIGMA on the LAN (2PC-Dealer).
//
//	marill-repl run marill/train/studies/accuracy.go -out /tmp/acc
//	go run ./marill/train/studies -out /tmp/acc
//	go run ./marill/train/studies -quick -out /tmp/acc-quick   # minutes, not hours
//
// Pretrained models and the standard fine-tuned baselines are cached in
// -dir; each task's results are journalled in OUT-<task>[-distill].jsonl,
// so an interrupted run resumes where it stopped. The joined table goes to
// OUT.csv and OUT.md, and each task's Pareto chart of the share of standard
// fine-tuning kept against online communication to OUT-<task>-pareto.svg.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/repl"
)

func main() {
	fs := flag.NewFlagSet("accuracy", flag.ContinueOnError)
	out := fs.String("out", "accuracy", "base path of the result files")
	dir := fs.String("dir", "marill-train-cache", "cache of pretrained models and baselines")
	tasks := fs.String("tasks", "sentiment,subject,plural", "tasks")
	model := fs.String("model", "gpt2", "preset giving the family and the priced size")
	examples := fs.Int("examples", 5000, "training examples per task")
	testExamples := fs.Int("test-examples", 1000, "dev and test examples per task")
	sentences := fs.Int("sentences", 20000, "pretraining sentences")
	hidden := fs.Int("hidden", 128, "width of the trained models (FFN 4×)")
	epochs := fs.Float64("epochs", 3, "fine-tuning epochs")
	replicates := fs.Int("replicates", 1, "fine-tune every point this many times, with other seeds, and average")
	quick := fs.Bool("quick", false, "a small, fast setup: 1,000 examples, 300 test examples, 4,000 sentences, 64-wide models")
	quiet := fs.Bool("quiet", false, "no progress output")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *quick {
		*examples, *testExamples, *sentences, *hidden = 1000, 300, 4000, 64
	}
	lo := train.LabOptions{Dir: *dir, Hidden: *hidden, FFN: 4 * *hidden, CorpusSentences: *sentences,
		Data:     data.Options{Train: *examples, Dev: *testExamples, Test: *testExamples},
		FineTune: train.Options{Epochs: *epochs}}
	if !*quiet {
		lo.Log = os.Stderr
	}
	lab, err := train.NewLab(lo)
	if err != nil {
		fmt.Fprintln(os.Stderr, "accuracy:", err)
		os.Exit(1)
	}
	grids := []train.SweepOptions{
		// Freezing against LoRA rank.
		{Freeze: []float64{0, 0.5}, LoRARanks: []int{0, 2, 8}},
		// Head merging.
		{Merge: []int{1, 2, 4}},
		// MPCFormer's approximations, fine-tuned directly and distilled
		// from the standard fine-tuned model.
		{GeLU: []mpc.GeLUKind{mpc.GeLUUnset, marill.Quad}, Softmax: []mpc.SoftmaxKind{mpc.SoftmaxUnset, marill.TwoQuad},
			Distill: []bool{false, true}},
		// Everything together, as Marill deploys it.
		{Freeze: []float64{0.5}, LoRARanks: []int{8}, Merge: []int{2}, GeLU: []mpc.GeLUKind{marill.Quad},
			Softmax: []mpc.SoftmaxKind{marill.TwoQuad}, Distill: []bool{false, true}},
	}
	all := &train.Table{}
	for _, g := range grids {
		g.Tasks = strings.Split(*tasks, ",")
		g.Models = []string{*model}
		g.Out = *out
		g.Replicates = *replicates
		if !*quiet {
			g.Progress = os.Stderr
		}
		tab, err := lab.Sweep(repl.Context(), g)
		all.Merge(tab)
		if err != nil {
			fmt.Fprintln(os.Stderr, "accuracy:", err)
			os.Exit(1)
		}
	}
	files, err := all.WriteFiles(*out)
	fmt.Println(all)
	for _, f := range files {
		fmt.Println("wrote", f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "accuracy:", err)
		os.Exit(1)
	}
}
