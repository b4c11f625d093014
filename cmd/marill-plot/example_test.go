package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/sim"
)

// A report priced by the simulator, drawn per layer as an SVG file.
func Example_layers() {
	dir, _ := os.MkdirTemp("", "marill-plot-example")
	defer os.RemoveAll(dir)
	r, _ := sim.SimulateConfig(context.Background(), marill.Tiny(marill.GPT2), marill.Knobs{FreezeLayers: 1}, sim.Options{Family: sim.NewSIGMA()})
	b, _ := r.JSON()
	in, out := filepath.Join(dir, "report.json"), filepath.Join(dir, "layers.svg")
	os.WriteFile(in, b, 0o644)
	var stdout bytes.Buffer
	if err := run([]string{"layers", "-o", out, in}, &stdout, os.Stderr); err != nil {
		fmt.Println(err)
	}
	svg, _ := os.ReadFile(out)
	fmt.Println(strings.HasPrefix(string(svg), "<?xml"), strings.Contains(string(svg), "block1"))
	// Output: true true
}
