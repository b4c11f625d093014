// Knobs sweeps Marill's fine-tuning knobs over three model families with the
// plan evaluator: 3 models × 3 sequence lengths × 4 freeze fractions × 3 LoRA
// ranks × 3 head-merge factors × 2 softmax forms × 2 GeLU forms = 1,296
// combinations, of which 936 are evaluated (BERT has 512 positions, and
// LLaMA's FFN has no GeLU, so those combinations are skipped with a reason).
//
//	marill-repl run marill/study/studies/knobs.go -out /tmp/knobs
//	go run ./marill/study/studies -out /tmp/knobs
//
// Results go to OUT.jsonl (the journal: rerunning skips the points already
// there), OUT.csv, OUT.json and OUT.md.
package main
