// Package study runs ablation studies: it sweeps a grid of Marill's knobs
// (model, sequence length, freeze fraction, LoRA rank, head-merge factor,
// GeLU/softmax/SiLU approximations, protocol family, network profile)
// through an evaluator, in parallel, with a progress bar, and writes the
// results as CSV, JSON and Markdown. Runs are resumable.
//
// # A study
//
//	grid := study.Grid{
//		Models:    []string{"bert-base", "gpt2"},
//		SeqLens:   []int{128, 512},
//		Freeze:    []float64{0, 0.25, 0.5, 0.75},
//		LoRARanks: []int{0, 8, 32},
//		Merge:     []int{1, 2, 4},
//		Softmax:   []mpc.SoftmaxKind{marill.Exact, marill.TwoQuad},
//	}
//	res, err := study.Run(ctx, grid, study.PlanEvaluator(), study.Options{
//		Out:      "results/knobs",          // knobs.jsonl, .csv, .json, .md
//		Progress: study.NewBar(os.Stderr),
//	})
//	fmt.Println(res)                          // a table; res.Markdown(), res.CSV()
//
// Grid.Points expands the cross product in a fixed order and skips, with a
// recorded reason, the combinations a model cannot take (a merge factor
// that does not divide its heads, a sequence longer than its position
// table, ...) and those that collapse onto another point (a GeLU knob on
// LLaMA, whose FFN uses SiLU). Each point has a stable Key built from its
// knob values.
//
// # Evaluators
//
// An Evaluator turns a Point into named metrics. Available:
//
//   - PlanEvaluator: exact counts from the model's placement plan (MPC
//     layers, secure/local/client MACs, softmax and other non-linear
//     elements in MPC, interactive operations, private parameters). About a
//     millisecond per point, even for Llama-2-7B: it runs the forward pass
//     through the shape-only engine.
//   - AccuracyEvaluator: measured error of the fixed-point numerics against
//     float64, and of the fine-tuned model's merged heads and approximations
//     against the pretrained model, by running the plain engine. Slow; for
//     small models.
//   - NewEvaluator wraps a function, e.g. one written in a marill-repl cell.
//
// The cost simulator and the secure engine plug in as Evaluators of their
// own; Point.Protocol and Point.Network are there for them.
//
// # Running
//
// Run evaluates points on Options.Workers goroutines (default: one per
// core) and reports to Options.Progress after every point: NewBar draws a
// bar with rate and ETA on any writer (terminal, pipe, notebook stream); a
// ProgressFunc receives the Status for a front end of its own. A panic in
// an evaluator, compiled or interpreted, becomes that point's error; an
// error is a result too (Result.Error), and Options.Retry evaluates failed
// points again on the next run.
//
// # Files and resuming
//
// With Options.Out set, every finished point is appended at once, as one
// JSON line, to Out+".jsonl" (the journal), and when the run ends, or is
// cancelled, Out+".csv", ".json" and ".md" are written atomically. Rerunning
// the same study skips every point whose key is in the journal, so a study
// killed halfway resumes where it stopped; a line cut short by the kill is
// dropped. A journal belongs to one evaluator: reusing it with another is an
// error. Two runs must not share a journal at the same time.
//
// Options.Plot receives the results after the files are written and returns
// the paths of the plots it drew; that is where the plotting package plugs
// in. The CSV file has one column per knob and per metric, for other tools.
//
// # Shipped studies
//
// studies/knobs.go sweeps model × sequence length × freeze × LoRA × merge
// × approximations with the plan evaluator: 1,296 combinations, of which
// 936 points are evaluated (in well under a second on two cores):
//
//	marill-repl run marill/study/studies/knobs.go -out /tmp/knobs
//	go run ./marill/study/studies -out /tmp/knobs     # the same, compiled
package study
