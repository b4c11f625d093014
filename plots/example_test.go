package plots_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

// report is a small hand-written report: an embedding the client runs in
// plaintext and two secure blocks.
func report(model string, scale int64) *mpc.Report {
	row := func(scope, op string, p mpc.Placement, mib, rounds int64, ms time.Duration) mpc.Row {
		b := mib * scale << 20
		return mpc.Row{Scope: scope, Op: op, Place: p, Cost: mpc.Cost{Count: 1, Rounds: rounds,
			SentClient: b / 2, SentServer: b / 2, Time: ms * time.Millisecond}}
	}
	return &mpc.Report{
		Engine:   "example",
		TimeKind: mpc.Estimated,
		Meta:     mpc.Meta{Model: model, SeqLen: 128, Protocol: "2PC-Dealer", Network: "LAN"},
		Rows: []mpc.Row{
			row("embed", "embed", mpc.OnClient, 0, 0, 1),
			row("block0", "share", mpc.Interactive, 1, 1, 2),
			row("block0/attn", "matmul", mpc.Interactive, 20, 1, 30),
			row("block0/attn", "softmax", mpc.Interactive, 40, 9, 50),
			row("block0/ffn", "gelu", mpc.Interactive, 30, 6, 40),
			row("block1/attn", "matmul", mpc.Interactive, 20, 1, 30),
			row("block1/attn", "softmax", mpc.Interactive, 40, 9, 50),
			row("block1/norm", "layernorm", mpc.Interactive, 10, 6, 12),
			row("head", "reveal", mpc.Interactive, 1, 1, 1),
		},
	}
}

// contains reports whether f's SVG holds text.
func contains(f *plots.Figure, text string) bool {
	svg, err := f.SVG()
	return err == nil && strings.Contains(string(svg), text)
}

// Charts are values: build one, then render it as PNG or SVG bytes, or
// save it. In a notebook, a Figure displays itself.
func Example() {
	f, err := plots.Layers(report("bert-base", 1), plots.Comm, plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	img, err := f.PNG()
	if err != nil {
		fmt.Println(err)
		return
	}
	w, h := f.DisplaySize()
	cfg, _ := png.DecodeConfig(bytes.NewReader(img))
	fmt.Printf("display %d×%d px, PNG %d×%d px\n", w, h, cfg.Width, cfg.Height)
	svg, _ := f.SVG()
	fmt.Println(bytes.Contains(svg, []byte("online communication, P0+P1 (MiB)")))
	// Output:
	// display 672×365 px, PNG 1344×730 px
	// true
}

func ExampleLayers() {
	r := report("bert-base", 1)
	f, err := plots.Layers(r, plots.Time, plots.Options{Width: 5, Height: 3, LogY: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(contains(f, "time, estimated (ms)"))
	// Output: true
}

func ExampleCompare() {
	names := []string{"standard", "Marill"}
	reports := []*mpc.Report{report("bert-base", 4), report("bert-base", 1)}
	f, err := plots.Compare(names, reports, plots.Comm, plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(contains(f, "0.25×")) // Marill's bar is labelled with its ratio
	// Output: true
}

func ExampleCompareLayers() {
	measured := report("bert-base", 1)
	measured.TimeKind = mpc.Measured
	simulated := report("bert-base", 1)
	f, err := plots.CompareLayers([]string{"secure", "simulator"}, []*mpc.Report{measured, simulated}, plots.Time, plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(contains(f, "secure (measured)"))
	// Output: true
}

func ExampleAblation() {
	// One report per knob value; Totals turns them into Y values.
	var reports []*mpc.Report
	for scale := int64(1); scale <= 4; scale++ {
		reports = append(reports, report("bert-base", scale))
	}
	y, err := plots.Totals(reports, plots.Comm)
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := []plots.Line{{Name: "LoRA r=8", X: []float64{1, 2, 3, 4}, Y: y}}
	f, err := plots.Ablation(lines, plots.Axis{Label: "private layers"}, plots.Comm.Axis(mpc.Estimated), plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plots.Comm.Axis(mpc.Estimated).Label, f.String() != "")
	// Output: online communication, P0+P1 true
}

func ExamplePareto() {
	points := []plots.Point{
		{Name: "standard", Cost: 3.0, Quality: 0.91},
		{Name: "2Quad", Cost: 1.8, Quality: 0.90},
		{Name: "2ReLU", Cost: 1.9, Quality: 0.88},
		{Name: "Marill", Cost: 0.4, Quality: 0.89},
	}
	front, _ := plots.Frontier(points, plots.HigherIsBetter)
	var names []string
	for _, i := range front {
		names = append(names, points[i].Name)
	}
	fmt.Println(strings.Join(names, " "))
	_, err := plots.Pareto(points, plots.Axis{Label: "time", Unit: plots.Seconds},
		plots.Axis{Label: "accuracy", Unit: plots.Percent}, plots.HigherIsBetter, plots.Options{})
	fmt.Println(err)
	// Output:
	// Marill 2Quad standard
	// <nil>
}

func ExampleOpKind() {
	for _, op := range []string{"matmul", "exp", "silu", "rsqrt", "trunc", "reveal", "lut"} {
		fmt.Printf("%s: %v\n", op, plots.OpKind(op))
	}
	fmt.Println(plots.RowKind(mpc.Row{Op: "matmul", Place: mpc.OnClient}))
	// Output:
	// matmul: linear layers
	// exp: softmax
	// silu: activation (GeLU/SiLU)
	// rsqrt: norms
	// trunc: truncation
	// reveal: sharing
	// lut: other
	// client (plaintext)
}

func ExampleFigure_Save() {
	f, err := plots.Layers(report("bert-base", 1), plots.Rounds, plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "plots")
	defer os.RemoveAll(dir)
	for _, name := range []string{"rounds.png", "rounds.svg", "rounds.pdf"} {
		path := filepath.Join(dir, name)
		if err := f.Save(path); err != nil {
			fmt.Println(err)
			return
		}
		st, _ := os.Stat(path)
		fmt.Println(name, st.Size() > 4<<10)
	}
	// Output:
	// rounds.png true
	// rounds.svg true
	// rounds.pdf true
}
