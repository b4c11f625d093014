package main

import (
	"context"
	"os"
)

// The hash the three parties compare before computing, for a run description given by flags.
func Example_hash() {
	run(context.Background(), []string{"hash", "-model", "tiny-gpt2", "-seq", "8", "-lora", "2", "-pretrained-seed", "42"}, os.Stdout, os.Stderr)
	// Output:
	// c533d58e2a01902638a0f34ed0864f1139310c29dbd36978e6822933ab2dc0a5  marill-go/2pc-dealer/1 (tiny-gpt2, LoRA r=2 (all))
}
