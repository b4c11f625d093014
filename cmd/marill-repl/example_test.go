package main

import (
	"os"
)

// One expression, evaluated and printed.
func Example_eval() {
	run([]string{"-e", "cfg := marill.Tiny(marill.LLaMA); cfg.Heads"}, os.Stdin, os.Stdout, os.Stderr)
	// Output:
	// 4
}
