package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// The kernelspec "marill-kernel install" writes: Jupyter starts the kernel
// with the connection file and interrupts it by message.
func Example_spec() {
	var out bytes.Buffer
	run([]string{"spec"}, &out, os.Stderr)
	var spec struct {
		Argv          []string `json:"argv"`
		DisplayName   string   `json:"display_name"`
		Language      string   `json:"language"`
		InterruptMode string   `json:"interrupt_mode"`
	}
	if err := json.Unmarshal(out.Bytes(), &spec); err != nil {
		fmt.Println(err)
	}
	fmt.Println(spec.Argv[1:], spec.DisplayName, spec.Language, spec.InterruptMode)
	// Output: [run {connection_file}] Go (Marill) go message
}
