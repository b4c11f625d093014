package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/study"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/repl"
)

func main() {
	fs := flag.NewFlagSet("knobs", flag.ContinueOnError)
	out := fs.String("out", "knobs", "base path of the result files")
	workers := fs.Int("workers", 0, "points evaluated at once (0: one per core)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	grid := study.Grid{
		Models:    []string{"bert-base", "gpt2", "llama-2-7b"},
		SeqLens:   []int{128, 512, 1024},
		Freeze:    []float64{0, 0.25, 0.5, 0.75},
		LoRARanks: []int{0, 8, 32},
		Merge:     []int{1, 2, 4},
		Softmax:   []mpc.SoftmaxKind{marill.Exact, marill.TwoQuad},
		GeLU:      []mpc.GeLUKind{mpc.GeLUUnset, marill.Quad},
	}
	opts := study.Options{Out: *out, Workers: *workers}
	if !*quiet {
		opts.Progress = study.NewBar(os.Stderr)
	}
	res, err := study.Run(repl.Context(), grid, study.PlanEvaluator(), opts)
	if res != nil {
		fmt.Println(res)
		fmt.Println(res.Summary())
		for _, f := range res.Files {
			fmt.Println("wrote", f)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "knobs:", err)
		os.Exit(1)
	}
	if res.Failed() > 0 {
		os.Exit(1)
	}
}
