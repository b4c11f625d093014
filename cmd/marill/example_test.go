package main

import (
	"context"
	"os"
)

// The placement plan of a tiny GPT-2 with its bottom block frozen.
func Example_plan() {
	run(context.Background(), []string{"plan", "-model", "tiny-gpt2", "-seq", "4", "-freeze", "0.5", "-lora", "0", "-merge", "1", "-softmax", "exact"}, os.Stdout, os.Stderr)
	// Output:
	// tiny-gpt2 (gpt2: L=2 d=16 h=4 d_ff=32 V=64 n=4), freeze 1/2 · softmax exact: 7040 parameters (3280 private)
	// plan · tiny-gpt2 · n=4 · freeze 1/2 · softmax exact
	// layer   runs                     heads×dim  LoRA  non-linearities           softmax elems (MPC)  secure MACs  local MACs  client MACs
	// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
	// embed   client (plaintext)                                                                    -            -           -            -
	// block0  client (plaintext)       4×4              gelu tanh, softmax exact                    -            -           -         8704
	// block1  MPC                      4×4              gelu tanh, softmax exact                   64         8704           -            -
	// head    MPC                                                                                   -         1024           -            -
	// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
	// total   1 MPC / 1 client blocks                                                              64         9728           -         8704
}
