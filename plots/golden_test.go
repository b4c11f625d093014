package plots

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata/")

// knobNames and knobSets are standard fine-tuning, each Marill knob alone,
// and all of them: the comparison the README shows.
var knobNames = []string{"standard fine-tuning", "freeze 1/2", "LoRA r=8", "merge heads ×4", "2Quad + Quad", "all (Marill)"}

func knobSets() []marill.Knobs {
	return []marill.Knobs{
		{},
		{FreezeFraction: 0.5},
		{LoRARank: 8},
		{MergeHeads: 4},
		{Softmax: marill.TwoQuad, GeLU: marill.Quad},
		{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Softmax: marill.TwoQuad, GeLU: marill.Quad},
	}
}

func knobReports(t testing.TB) []*mpc.Report {
	var out []*mpc.Report
	for _, k := range knobSets() {
		out = append(out, traceReport(t, marill.BERTBase(), k, 128))
	}
	return out
}

// asEstimated copies a report as a simulator would describe the same run:
// estimated times 10% above the measured ones.
func asEstimated(r *mpc.Report) *mpc.Report {
	c := *r
	c.Engine = "sim (hand)"
	c.TimeKind = mpc.Estimated
	c.Rows = append([]mpc.Row(nil), r.Rows...)
	for i := range c.Rows {
		c.Rows[i].Time = c.Rows[i].Time * 11 / 10
	}
	return &c
}

// ablationLines: online communication of BERT-base against frozen
// layers, one line per LoRA rank, from traced runs.
func ablationLines(t testing.TB) []Line {
	var lines []Line
	for _, rank := range []int{0, 4, 16} {
		l := Line{Name: "no LoRA"}
		if rank > 0 {
			l.Name = "LoRA r=" + itoa(rank)
		}
		for frozen := 0; frozen <= 12; frozen += 2 {
			rep := traceReport(t, marill.BERTBase(), marill.Knobs{FreezeLayers: frozen, LoRARank: rank}, 128)
			tot, err := Totals([]*mpc.Report{rep}, Comm)
			if err != nil {
				t.Fatal(err)
			}
			l.X = append(l.X, float64(frozen))
			l.Y = append(l.Y, tot[0])
		}
		lines = append(lines, l)
	}
	return lines
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

type golden struct {
	name  string
	build func(t testing.TB) (*Figure, error)
}

// goldens covers every chart type and the options that change layout.
var goldens = []golden{
	{"layers_comm_bertlarge", func(t testing.TB) (*Figure, error) {
		r := traceReport(t, marill.BERTLarge(), marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Softmax: marill.TwoQuad}, 128)
		return Layers(r, Comm, Options{})
	}},
	{"layers_time_hand", func(t testing.TB) (*Figure, error) {
		return Layers(handReport(), Time, Options{})
	}},
	{"layers_rounds_log", func(t testing.TB) (*Figure, error) {
		return Layers(knobReports(t)[5], Rounds, Options{LogY: true, Legend: LegendTop})
	}},
	{"layers_llama_offline", func(t testing.TB) (*Figure, error) {
		r := traceReport(t, marill.Llama2_7B(), marill.Knobs{FreezeFraction: 0.25, LoRARank: 8}, 64)
		return Layers(r, Offline, Options{Width: 7, Height: 3})
	}},
	{"compare_knobs_comm", func(t testing.TB) (*Figure, error) {
		return Compare(knobNames, knobReports(t), Comm, Options{})
	}},
	{"compare_measured_vs_simulated", func(t testing.TB) (*Figure, error) {
		r := handReport()
		return Compare([]string{"secure", "simulator"}, []*mpc.Report{r, asEstimated(r)}, Time, Options{Width: 4.5, Height: 3.4})
	}},
	{"comparelayers_time", func(t testing.TB) (*Figure, error) {
		rs := knobReports(t)
		return CompareLayers([]string{"standard fine-tuning", "all (Marill)"}, []*mpc.Report{rs[0], rs[5]}, Time, Options{})
	}},
	{"ablation_freeze_lora", func(t testing.TB) (*Figure, error) {
		return Ablation(ablationLines(t), Axis{Label: "frozen layers"}, Comm.Axis(mpc.Estimated), Options{})
	}},
	{"ablation_log", func(t testing.TB) (*Figure, error) {
		lines := []Line{
			{Name: "n=128", X: []float64{1, 2, 4, 8, 16, 32, 64}, Y: []float64{0.21, 0.22, 0.24, 0.29, 0.37, 0.55, 0.9}},
			{Name: "n=512", X: []float64{1, 2, 4, 8, 16, 32, 64}, Y: []float64{2.9, 2.95, 3.0, 3.2, 3.5, 4.2, 5.6}},
		}
		return Ablation(lines, Axis{Label: "LoRA rank"}, Time.Axis(mpc.Estimated), Options{LogX: true, LogY: true, Title: "Estimated time against LoRA rank (hand-made data)"})
	}},
	{"pareto_error", func(t testing.TB) (*Figure, error) {
		tot, err := Totals(knobReports(t), Comm)
		if err != nil {
			return nil, err
		}
		errs := []float64{0.02, 0.05, 0.03, 0.035, 0.09, 0.12} // hand-made errors
		pts := make([]Point, len(tot))
		for i := range tot {
			pts[i] = Point{Name: knobNames[i], Cost: tot[i], Quality: errs[i]}
		}
		return Pareto(pts, Comm.Axis(mpc.Estimated), Axis{Label: "approximation error (max |Δlogit|)"}, LowerIsBetter, Options{})
	}},
	{"pareto_accuracy", func(t testing.TB) (*Figure, error) {
		pts := []Point{ // hand-made figures, for layout only
			{"baseline", 120, 0.912}, {"2Quad", 70, 0.897}, {"2ReLU", 64, 0.885},
			{"Quad GeLU", 90, 0.905}, {"2Quad+Quad", 40, 0.871}, {"freeze 1/2", 62, 0.902},
		}
		return Pareto(pts, Axis{Label: "time", Unit: Seconds}, Axis{Label: "accuracy", Unit: Percent}, HigherIsBetter, Options{Width: 5, Height: 3.6, Legend: LegendTop})
	}},
}

// TestGoldenSVG renders every golden chart and compares it byte for byte
// with testdata/<name>.svg. Run go test ./plots -run TestGoldenSVG -update
// to rewrite them (and look at the PNGs it leaves next to them).
func TestGoldenSVG(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			f, err := g.build(t)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", g.name+".svg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				if dir := os.Getenv("PLOTS_PNG_DIR"); dir != "" {
					if err := f.Save(filepath.Join(dir, g.name+".png")); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./plots -run TestGoldenSVG -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				out := filepath.Join(t.TempDir(), g.name+".svg")
				os.WriteFile(out, got, 0o644)
				t.Errorf("%s differs from %s (got %d bytes, want %d); new output in %s; if the change is intended, rerun with -update",
					g.name, path, len(got), len(want), out)
			}
		})
	}
}

// svgText renders f's SVG or fails the test.
func svgText(t testing.TB, f *Figure) string {
	b, err := f.SVG()
	if err != nil {
		t.Error(err)
	}
	return string(b)
}

// TestSVGDeterministic renders each chart twice, concurrently.
func TestSVGDeterministic(t *testing.T) {
	f, err := goldens[0].build(t)
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan string, 2)
	for range 2 {
		go func() { res <- svgText(t, f) }()
	}
	a, b := <-res, <-res
	if a == "" || a != b {
		t.Fatalf("two renders differ or are empty (%d and %d bytes)", len(a), len(b))
	}
}
