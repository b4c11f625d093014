package plots

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func TestOpKind(t *testing.T) {
	want := map[string]Kind{
		mpc.OpMatMul: Linear, mpc.OpMul: Linear, mpc.OpAdd: Linear, mpc.OpSub: Linear, mpc.OpNeg: Linear,
		mpc.OpScale: Linear, mpc.OpAddConst: Linear, mpc.OpSum: Linear, mpc.OpTranspose: Linear,
		mpc.OpSplitHeads: Linear, mpc.OpMergeHeads: Linear, mpc.OpRows: Linear, mpc.OpRotateHalf: Linear,
		mpc.OpSoftmax: Softmax, mpc.OpExp: Softmax, mpc.OpMax: Softmax, mpc.OpReciprocal: Softmax,
		mpc.OpGeLU: Activation, mpc.OpSiLU: Activation, mpc.OpReLU: Activation, mpc.OpTanh: Activation,
		mpc.OpLayerNorm: Norms, mpc.OpRMSNorm: Norms, mpc.OpRsqrt: Norms,
		"trunc":     Truncation,
		mpc.OpShare: Sharing, mpc.OpReveal: Sharing, mpc.OpInput: Sharing, mpc.OpEmbed: Sharing,
		"select": Other, "drelu": Other, "lut": Other, "": Other,
	}
	for op, k := range want {
		if got := OpKind(op); got != k {
			t.Errorf("OpKind(%q) = %v, want %v", op, got, k)
		}
	}
	for _, p := range []mpc.Placement{mpc.OnClient, mpc.OnPublic} {
		if got := RowKind(mpc.Row{Op: mpc.OpSoftmax, Place: p}); got != Client {
			t.Errorf("RowKind(softmax on %v) = %v, want Client", p, got)
		}
	}
	for _, p := range []mpc.Placement{mpc.OnServer, mpc.OnShares, mpc.Interactive} {
		if got := RowKind(mpc.Row{Op: mpc.OpSoftmax, Place: p}); got != Softmax {
			t.Errorf("RowKind(softmax on %v) = %v, want Softmax", p, got)
		}
	}
	if len(Kinds()) != len(kindNames) {
		t.Errorf("Kinds() lists %d kinds, %d are named", len(Kinds()), len(kindNames))
	}
	if ClientLayer(nil) {
		t.Error("an empty layer is not a client layer")
	}
}

// TestPaletteGreyscale: in greyscale, two series styles must differ by
// 0.1 in luminance or have different hatches; stack neighbours must
// differ by 0.12 in luminance whatever their hatch.
func TestPaletteGreyscale(t *testing.T) {
	check := func(name string, styles []Style, labels []string) {
		for i := range styles {
			for j := i + 1; j < len(styles); j++ {
				d := math.Abs(styles[i].Luminance() - styles[j].Luminance())
				if d < 0.1 && styles[i].Hatch == styles[j].Hatch {
					t.Errorf("%s: %s and %s are %.3f apart in grey with the same hatch %v", name, labels[i], labels[j], d, styles[i].Hatch)
				}
			}
			if i > 0 {
				if d := math.Abs(styles[i].Luminance() - styles[i-1].Luminance()); d < 0.12 {
					t.Errorf("%s: neighbours %s and %s are only %.3f apart in grey", name, labels[i-1], labels[i], d)
				}
			}
		}
	}
	var ks []Style
	var kl []string
	for _, k := range Kinds() {
		ks = append(ks, KindStyle(k))
		kl = append(kl, k.String())
	}
	check("kinds", ks, kl)
	var ss []Style
	var sl []string
	for i := range 8 {
		ss = append(ss, SeriesStyle(i))
		sl = append(sl, "series "+itoa(i))
	}
	check("series", ss, sl)
	if a, b := SeriesStyle(1), SeriesStyle(9); a.Color != b.Color || a.Hatch == b.Hatch {
		t.Errorf("series 9 should repeat series 1's colour with another hatch: %v vs %v", a, b)
	}
	// Client work must read as neutral grey: no hue.
	c := KindStyle(Client).Color
	if c.R != c.G || c.G != c.B {
		t.Errorf("client style %v is not grey", c)
	}
}

func TestPickScale(t *testing.T) {
	cases := []struct {
		u    Unit
		max  float64
		want string
	}{
		{Bytes, 0, "B"}, {Bytes, 1023, "B"}, {Bytes, 1024, "KiB"}, {Bytes, 5 << 20, "MiB"},
		{Bytes, 3 << 30, "GiB"}, {Bytes, 2 << 40, "TiB"}, {Bytes, 1 << 60, "TiB"},
		{Seconds, 2.5, "s"}, {Seconds, 0.25, "ms"}, {Seconds, 4e-5, "µs"}, {Seconds, 3e-8, "ns"},
		{Count, 9999, ""}, {Count, 12345, "thousands"}, {Count, 3e8, "millions"}, {Count, 2e10, "billions"},
		{Percent, 0.9, "%"}, {Plain, 1e9, ""},
	}
	for _, c := range cases {
		if got := pickScale(c.u, c.max).suffix; got != c.want {
			t.Errorf("pickScale(%v, %g) = %q, want %q", c.u, c.max, got, c.want)
		}
	}
	if got := formatValue(3<<30, pickScale(Bytes, 3<<30)); got != "3.00 GiB" {
		t.Errorf("formatValue = %q", got)
	}
	if got := formatValue(0.195, pickScale(Seconds, 0.2)); got != "195 ms" {
		t.Errorf("formatValue = %q", got)
	}
	if got := formatValue(0.9, pickScale(Percent, 0.9)); got != "90.0%" {
		t.Errorf("formatValue = %q", got)
	}
}

func TestLinearTicks(t *testing.T) {
	cases := []struct {
		lo, hi   float64
		labels   string
		tlo, thi float64
	}{
		{0, 131, "0 50 100 150", 0, 150},
		{0, 108, "0 25 50 75 100 125", 0, 125},
		{0, 1, "0 0.2 0.4 0.6 0.8 1.0", 0, 1},
		{0, 0.9, "0 0.2 0.4 0.6 0.8 1.0", 0, 1},
		{0.012, 0.128, "0 0.025 0.050 0.075 0.100 0.125 0.150", 0, 0.15},
		{-3, 7, "-4 -2 0 2 4 6 8", -4, 8},
		{0, 3e9, "0 1e+09 2e+09 3e+09", 0, 3e9},
		{5, 5, "5.0 5.2 5.4 5.6 5.8 6.0", 5, 6},
	}
	if ticks, _, thi := linearTicks(0, 1.1, 5, true); len(ticks) != 3 || thi != 2 {
		t.Errorf("integer ticks over [0, 1.1]: %v up to %g, want 0 1 2", ticks, thi)
	}
	for _, c := range cases {
		ticks, tlo, thi := linearTicks(c.lo, c.hi, 5, false)
		var ls []string
		for _, tk := range ticks {
			ls = append(ls, tk.Label)
		}
		if got := strings.Join(ls, " "); got != c.labels || math.Abs(tlo-c.tlo) > 1e-12 || math.Abs(thi-c.thi) > 1e-12*math.Max(1, c.thi) {
			t.Errorf("linearTicks(%g, %g) = %q over [%g, %g], want %q over [%g, %g]", c.lo, c.hi, got, tlo, thi, c.labels, c.tlo, c.thi)
		}
	}
}

func TestLogTicks(t *testing.T) {
	ticks, lo, hi := logTicks(0.03, 420)
	if lo != 0.01 || hi != 1000 {
		t.Errorf("range [%g, %g], want [0.01, 1000]", lo, hi)
	}
	var major []string
	for _, tk := range ticks {
		if !tk.IsMinor() {
			major = append(major, tk.Label)
		}
	}
	if got := strings.Join(major, " "); got != "0.01 0.1 1 10 100 1000" {
		t.Errorf("major ticks %q", got)
	}
	ticks, _, _ = logTicks(2e6, 3e7)
	if got := ticks[0].Label; got != "10⁶" {
		t.Errorf("decade label %q, want 10⁶", got)
	}
	if got := decadeLabel(-7); got != "10⁻⁷" {
		t.Errorf("decadeLabel(-7) = %q", got)
	}
}

func TestLabelHelpers(t *testing.T) {
	short, prefix := stripPrefix([]string{"embed", "block0", "block1", "block10", "head"})
	if prefix != "block" || strings.Join(short, ",") != "embed,0,1,10,head" {
		t.Errorf("stripPrefix = %v, %q", short, prefix)
	}
	if _, prefix := stripPrefix([]string{"embed", "block0", "head", "pool"}); prefix != "" {
		t.Errorf("a prefix on a minority of labels was stripped: %q", prefix)
	}
	labels := []string{"embed"}
	for i := range 32 {
		labels = append(labels, itoa(i))
	}
	labels = append(labels, "head")
	shown := thinNumbered(labels, 8, func(l string) vg.Length { return vg.Length(len(l)) * 5 })
	for i, l := range labels {
		n := -1
		if i > 0 && i < len(labels)-1 {
			n = i - 1
		}
		if n < 0 && !shown[i] {
			t.Errorf("unnumbered label %q hidden", l)
		}
		if n > 0 && n%2 != 0 && shown[i] {
			t.Errorf("label %q shown between steps of 2", l)
		}
	}
	if shown[1] { // "0" clashes with "embed"
		t.Error(`"0" should give way to "embed"`)
	}
	if got := runs([]bool{true, true, false, true, false, false, true}); len(got) != 3 || got[0] != [2]int{0, 1} || got[2] != [2]int{6, 6} {
		t.Errorf("runs = %v", got)
	}
}

func segmentTotalsMatch(t *testing.T, r *mpc.Report, m Metric, f *Figure) {
	t.Helper()
	byLayer := r.ByLayer()
	if len(f.bars) != len(byLayer) {
		t.Fatalf("%d bars for %d layers", len(f.bars), len(byLayer))
	}
	for i, row := range byLayer {
		want := m.Value(row.Cost)
		got := f.bars[i].total()
		if math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("%s: stacked %s = %g, report's layer total %g", row.Scope, m, got, want)
		}
		if f.cats[i] != layerLabel(row.Scope) {
			t.Errorf("bar %d labelled %q, layer is %q", i, f.cats[i], row.Scope)
		}
	}
}

// TestLayersProperties checks what Layers draws against the report: every
// stack sums to the layer's total, each segment holds exactly its kind's
// rows, and client layers are shaded and drawn in the client style only.
func TestLayersProperties(t *testing.T) {
	reports := []*mpc.Report{
		handReport(),
		traceReport(t, marill.BERTBase(), marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Softmax: marill.TwoQuad}, 32),
		traceReport(t, marill.Tiny(marill.LLaMA), marill.Knobs{FreezeLayers: 1, LoRARank: 2}, 8),
	}
	for _, r := range reports {
		for _, m := range []Metric{Comm, CommClient, CommServer, Offline, Time, Rounds, MACs} {
			f, err := Layers(r, m, Options{})
			if err != nil {
				if strings.Contains(err.Error(), "records no") {
					continue // e.g. no MACs in the hand report
				}
				t.Fatalf("%s %v: %v", r.Meta.Model, m, err)
			}
			segmentTotalsMatch(t, r, m, f)
			for i, b := range f.bars {
				layer := r.Where(r.ByLayer()[i].Scope)
				for _, s := range b.segs {
					want := 0.0
					for _, x := range layer.Rows {
						if x.Layer() == r.ByLayer()[i].Scope && RowKind(x) == s.kind {
							want += m.Value(x.Cost)
						}
					}
					if math.Abs(s.value-want) > 1e-9*math.Max(1, want) {
						t.Errorf("%s %s %v segment = %g, rows of that kind sum to %g", b.label, f.cats[i], s.kind, s.value, want)
					}
					if s.style != KindStyle(s.kind) {
						t.Errorf("%s segment %v not in its kind's style", f.cats[i], s.kind)
					}
					if f.bands[i] && s.kind != Client && s.value != 0 {
						t.Errorf("client layer %s has %v %v in kind %v", f.cats[i], s.value, m, s.kind)
					}
				}
				if f.bands[i] != ClientLayer(layer.Rows) {
					t.Errorf("layer %s shaded=%v, ClientLayer=%v", f.cats[i], f.bands[i], ClientLayer(layer.Rows))
				}
			}
		}
	}
	// The hand report has two client layers (embed, block0), an unknown op
	// and client work inside a secure layer.
	f, err := Layers(handReport(), Time, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := runs(f.bands); len(got) != 1 || got[0] != [2]int{0, 1} {
		t.Errorf("client bands %v, want embed..block0", got)
	}
	found := map[Kind]bool{}
	for _, b := range f.bars {
		for _, s := range b.segs {
			if s.value > 0 {
				found[s.kind] = true
			}
		}
	}
	for _, k := range Kinds() {
		if !found[k] {
			t.Errorf("kind %v missing from the hand report's chart", k)
		}
	}
	svg := svgText(t, f)
	for _, want := range []string{"client (plaintext)", "other", "time, measured (ms)", "Time per layer (measured)", "tiny-bert", "n=16", "2PC-Dealer", "loopback",
		"fill:#BDBDBD", "fill:#EEEEEE"} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// TestSegmentGeometry: stacked segments touch, start at zero, and on a log
// axis start at the floor with the stack's top still at the total.
func TestSegmentGeometry(t *testing.T) {
	f, err := Layers(handReport(), Comm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bp := barPlot{bars: f.bars, members: 1}
	for i, rs := range bp.segmentRects(0) {
		if len(rs) == 0 {
			continue
		}
		if rs[0].y0 != 0 {
			t.Errorf("bar %d starts at %g", i, rs[0].y0)
		}
		for k := 1; k < len(rs); k++ {
			if rs[k].y0 != rs[k-1].y1 {
				t.Errorf("bar %d: segment %d starts at %g, previous ends at %g", i, k, rs[k].y0, rs[k-1].y1)
			}
		}
		if top := rs[len(rs)-1].y1; math.Abs(top-f.bars[i].total()) > 1e-6 {
			t.Errorf("bar %d top %g, total %g", i, top, f.bars[i].total())
		}
		if rs[0].x0 < float64(i)-0.5 || rs[0].x1 > float64(i)+0.5 {
			t.Errorf("bar %d spills out of its slot: [%g, %g]", i, rs[0].x0, rs[0].x1)
		}
	}
	bp.logY = true
	floor := float64(1 << 20)
	for i, rs := range bp.segmentRects(floor) {
		for _, r := range rs {
			if r.y0 < floor {
				t.Errorf("log bar %d segment below the floor: %g", i, r.y0)
			}
		}
		if len(rs) > 0 && f.bars[i].total() > floor && math.Abs(rs[len(rs)-1].y1-f.bars[i].total()) > 1e-6 {
			t.Errorf("log bar %d top %g, total %g", i, rs[len(rs)-1].y1, f.bars[i].total())
		}
	}
	// Grouped bars of one category do not overlap.
	g := barPlot{members: 3, bars: []bar{{cat: 0, member: 0, segs: []seg{{value: 1}}}, {cat: 0, member: 1, segs: []seg{{value: 1}}}, {cat: 0, member: 2, segs: []seg{{value: 1}}}}}
	rs := g.segmentRects(0)
	for k := 1; k < 3; k++ {
		if rs[k][0].x0 < rs[k-1][0].x1 {
			t.Errorf("grouped bars %d and %d overlap", k-1, k)
		}
	}
}

func TestCompareProperties(t *testing.T) {
	rs := knobReports(t)
	f, err := Compare(knobNames, rs, Comm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		want := float64(r.Total().Sent())
		if got := f.bars[i].total(); math.Abs(got-want) > 1e-6*want {
			t.Errorf("%s: bar %g, report total %g", knobNames[i], got, want)
		}
		if i > 0 && !strings.Contains(f.bars[i].label, "×") {
			t.Errorf("%s: label %q has no ratio", knobNames[i], f.bars[i].label)
		}
	}
	if strings.Contains(f.bars[0].label, "×") {
		t.Errorf("the baseline's label %q has a ratio", f.bars[0].label)
	}
	if !strings.Contains(svgText(t, f), "relative to standard fine-tuning") {
		t.Error("the subtitle does not name the baseline")
	}

	// CompareLayers: per report and layer, the bar is the layer total and
	// its client part is the report's client-side rows.
	g, err := CompareLayers([]string{"standard", "Marill"}, []*mpc.Report{rs[0], rs[5]}, Time, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range g.bars {
		r := []*mpc.Report{rs[0], rs[5]}[b.member]
		layer := r.Where(g.cats[b.cat])
		want, client := 0.0, 0.0
		for _, x := range layer.Rows {
			want += x.Time.Seconds()
			if RowKind(x) == Client {
				client += x.Time.Seconds()
			}
		}
		if math.Abs(b.total()-want) > 1e-9 || math.Abs(b.segs[1].value-client) > 1e-9 || b.segs[1].style != KindStyle(Client) {
			t.Errorf("%s member %d: bar %g (client %g), want %g (client %g)", g.cats[b.cat], b.member, b.total(), b.segs[1].value, want, client)
		}
	}
	// Only the embedding is client-side in both reports.
	if got := runs(g.bands); len(got) != 1 || got[0] != [2]int{0, 0} {
		t.Errorf("bands %v, want the embedding only", got)
	}
}

func TestMixedTimeKinds(t *testing.T) {
	r := handReport()
	f, err := Compare([]string{"secure", "sim"}, []*mpc.Report{r, asEstimated(r)}, Time, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.cats[0] != "secure (measured)" || f.cats[1] != "sim (estimated)" {
		t.Errorf("categories %q", f.cats)
	}
	if !strings.Contains(svgText(t, f), "time, measured and estimated") {
		t.Error("the axis does not say times are mixed")
	}
}

// TestPlainEngineReport charts a real run of the plain engine: measured
// times, no communication.
func TestPlainEngineReport(t *testing.T) {
	cfg := marill.Tiny(marill.BERT)
	pre, err := marill.NewPretrained(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := pre.FineTune(marill.Knobs{FreezeFraction: 0.5, LoRARank: 2})
	if err != nil {
		t.Fatal(err)
	}
	e := plain.New()
	if _, err := ft.Forward(t.Context(), e, marill.RandomInput(cfg, 1)); err != nil {
		t.Fatal(err)
	}
	r := e.Report()
	f, err := Layers(r, Time, Options{})
	if err != nil {
		t.Fatal(err)
	}
	segmentTotalsMatch(t, r, Time, f)
	if !strings.Contains(svgText(t, f), "time, measured") {
		t.Error("a plain run's time axis should say measured")
	}
	if _, err := Layers(r, Comm, Options{}); err == nil || !strings.Contains(err.Error(), "records no online communication") {
		t.Errorf("charting a plain run's communication: %v", err)
	}
}

func TestErrors(t *testing.T) {
	r := handReport()
	noTime := handReport()
	noTime.TimeKind = mpc.NoTime
	neg := handReport()
	neg.Rows[3].SentClient = -1
	line := func(n string, x, y []float64) Line { return Line{Name: n, X: x, Y: y} }
	one := []float64{1}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil report", second(Layers(nil, Comm, Options{})), "report is nil"},
		{"no rows", second(Layers(&mpc.Report{Engine: "x"}, Comm, Options{})), "has no rows"},
		{"no times", second(Layers(noTime, Time, Options{})), "has no times"},
		{"negative", second(Layers(neg, Comm, Options{})), "negative cost"},
		{"bad metric", second(Layers(r, Metric(99), Options{})), "unknown metric"},
		{"bad size", second(Layers(r, Comm, Options{Width: 0.5})), "out of range"},
		{"huge size", second(Layers(r, Comm, Options{Height: 100})), "out of range"},
		{"bad legend", second(Layers(r, Comm, Options{Legend: 9})), "unknown legend place"},
		{"zero metric", second(Layers(r, MACs, Options{})), "records no multiply-accumulates"},
		{"names mismatch", second(Compare([]string{"a"}, []*mpc.Report{r, r}, Comm, Options{})), "1 names for 2 reports"},
		{"no reports", second(Compare(nil, nil, Comm, Options{})), "no reports"},
		{"duplicate names", second(Compare([]string{"a", "a"}, []*mpc.Report{r, r}, Comm, Options{})), `two reports are named "a"`},
		{"empty name", second(CompareLayers([]string{""}, []*mpc.Report{r}, Comm, Options{})), "empty name"},
		{"nil in compare", second(CompareLayers([]string{"a", "b"}, []*mpc.Report{r, nil}, Comm, Options{})), `report "b" is nil`},
		{"no lines", second(Ablation(nil, Axis{}, Axis{}, Options{})), "at least one line"},
		{"unnamed line", second(Ablation([]Line{line("", one, one)}, Axis{}, Axis{}, Options{})), "no name"},
		{"uneven line", second(Ablation([]Line{line("a", one, []float64{1, 2})}, Axis{}, Axis{}, Options{})), "1 X and 2 Y"},
		{"NaN", second(Ablation([]Line{line("a", one, []float64{math.NaN()})}, Axis{}, Axis{}, Options{})), "not finite"},
		{"log zero", second(Ablation([]Line{line("a", one, []float64{0})}, Axis{}, Axis{}, Options{LogY: true})), "log Y axis needs positive"},
		{"bad unit", second(Ablation([]Line{line("a", one, one)}, Axis{Unit: 42}, Axis{}, Options{})), "unknown unit"},
		{"no direction", second(Pareto([]Point{{"a", 1, 1}}, Axis{}, Axis{}, 0, Options{})), "higher or lower"},
		{"no points", second(Pareto(nil, Axis{}, Axis{}, HigherIsBetter, Options{})), "at least one point"},
		{"dup points", second(Pareto([]Point{{"a", 1, 1}, {"a", 2, 2}}, Axis{}, Axis{}, HigherIsBetter, Options{})), `two points are named "a"`},
		{"inf point", second(Pareto([]Point{{"a", math.Inf(1), 1}}, Axis{}, Axis{}, HigherIsBetter, Options{})), "not finite"},
		{"totals nil", second(Totals([]*mpc.Report{nil}, Comm)), "report 0 is nil"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) || !strings.HasPrefix(c.err.Error(), "plots: ") {
			t.Errorf("%s: error %v, want one starting with \"plots: \" containing %q", c.name, c.err, c.want)
		}
	}
	f, err := Layers(r, Comm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Save(filepath.Join(t.TempDir(), "x.gif")); err == nil || !strings.Contains(err.Error(), "unknown extension") {
		t.Errorf("Save to .gif: %v", err)
	}
	if err := f.Save(filepath.Join(t.TempDir(), "missing", "x.png")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
	if _, err := ParseMetric("bandwidth"); err == nil {
		t.Error("ParseMetric accepted an unknown name")
	}
	for m := Metric(0); m < numMetrics; m++ {
		if got, err := ParseMetric(m.String()); err != nil || got != m {
			t.Errorf("ParseMetric(%q) = %v, %v", m.String(), got, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestFrontier(t *testing.T) {
	pts := []Point{{"a", 10, 0.9}, {"b", 5, 0.8}, {"c", 7, 0.7}, {"d", 5, 0.85}, {"e", 12, 0.9}, {"f", 3, 0.5}}
	got, err := Frontier(pts, HigherIsBetter)
	if err != nil {
		t.Fatal(err)
	}
	if names := pickNames(pts, got); names != "f d a" {
		t.Errorf("higher is better: frontier %q, want \"f d a\"", names)
	}
	got, _ = Frontier(pts, LowerIsBetter)
	if names := pickNames(pts, got); names != "f" {
		t.Errorf("lower is better: frontier %q, want \"f\"", names)
	}
	// Brute force on a grid of points: a point is on the frontier iff no
	// other is at most as costly and strictly better, or equal and earlier.
	var grid []Point
	for i := range 40 {
		grid = append(grid, Point{Name: itoa(i), Cost: float64((i * 7) % 11), Quality: float64((i * 5) % 13)})
	}
	front, _ := Frontier(grid, HigherIsBetter)
	on := map[int]bool{}
	for _, i := range front {
		on[i] = true
	}
	for i, p := range grid {
		dominated := false
		for j, q := range grid {
			if j != i && q.Cost <= p.Cost && (q.Quality > p.Quality || (q.Quality == p.Quality && (q.Cost < p.Cost || j < i))) {
				dominated = true
			}
		}
		if on[i] == dominated {
			t.Errorf("point %d (%g, %g): on frontier %v, dominated %v", i, p.Cost, p.Quality, on[i], dominated)
		}
	}
	for k := 1; k < len(front); k++ {
		if grid[front[k]].Cost <= grid[front[k-1]].Cost || grid[front[k]].Quality <= grid[front[k-1]].Quality {
			t.Errorf("frontier not increasing in cost and quality at %d", k)
		}
	}
}

func pickNames(pts []Point, idx []int) string {
	var s []string
	for _, i := range idx {
		s = append(s, pts[i].Name)
	}
	return strings.Join(s, " ")
}

// TestOutputs checks each format: PNG at twice the display size with its
// resolution recorded, SVG sized in points, PDF, and Save by extension.
func TestOutputs(t *testing.T) {
	f, err := Layers(handReport(), Comm, Options{Width: 5, Height: 3})
	if err != nil {
		t.Fatal(err)
	}
	w, h := f.DisplaySize()
	if w != 480 || h != 288 {
		t.Errorf("display size %d×%d, want 480×288", w, h)
	}
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != 2*w || got.Y != 2*h {
		t.Errorf("PNG is %v, want %d×%d", got, 2*w, 2*h)
	}
	i := bytes.Index(b, []byte("pHYs"))
	if i < 0 || i > 64 {
		t.Fatal("no pHYs chunk after IHDR")
	}
	if ppm := binary.BigEndian.Uint32(b[i+4:]); ppm != 7559 || b[i+12] != 1 {
		t.Errorf("pHYs %d px/m unit %d, want 7559 (192 dpi) in metres", ppm, b[i+12])
	}
	svg := svgText(t, f)
	if !strings.HasPrefix(svg, "<?xml") || !strings.Contains(svg, `width="360pt" height="216pt"`) || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("SVG header or size wrong: %.200s", svg)
	}
	if strings.Contains(svg, "font-family:Liberation Sans;") {
		t.Error("SVG fonts have no fallback")
	}
	pdf, err := f.PDF()
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("PDF: %v, %.8q", err, pdf)
	}
	dir := t.TempDir()
	for _, ext := range []string{".png", ".svg", ".pdf", ".PNG"} {
		path := filepath.Join(dir, "chart"+ext)
		if err := f.Save(path); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if len(got) < 1000 {
			t.Errorf("%s: %d bytes", ext, len(got))
		}
	}
	if s := f.String(); !strings.Contains(s, "layers") || !strings.Contains(s, "480×288 px") {
		t.Errorf("String() = %q", s)
	}
}

// TestRenderPanicBecomesError: a plot that panics inside gonum yields an
// error, never a crash.
func TestRenderPanicBecomesError(t *testing.T) {
	f, err := Layers(handReport(), Comm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := *f
	g.build = func() (*plot.Plot, error) {
		p := newPlot()
		p.Y.Scale = plot.LogScale{} // with a range through 0: gonum panics
		p.Y.Min, p.Y.Max = -1, 1
		return p, nil
	}
	if _, err := g.SVG(); err == nil || !strings.Contains(err.Error(), "plots: render") {
		t.Errorf("SVG of a panicking plot: %v", err)
	}
	if b, err := g.PNG(); err == nil || b != nil {
		t.Errorf("PNG of a panicking plot: %d bytes, %v", len(b), err)
	}
}

// TestEdgeLayouts renders unusual shapes: one layer, 200 numbered layers,
// long unnumbered scope names, a dozen compared reports, single points.
func TestEdgeLayouts(t *testing.T) {
	mk := func(scopes []string) *mpc.Report {
		r := &mpc.Report{Engine: "edge", TimeKind: mpc.Estimated}
		for i, s := range scopes {
			r.Rows = append(r.Rows, mpc.Row{Scope: s, Op: "matmul", Place: mpc.Interactive,
				Cost: mpc.Cost{Count: 1, Rounds: 1, SentClient: int64(1000 * (i + 1)), Time: time.Duration(i+1) * time.Millisecond}})
		}
		return r
	}
	var many, long []string
	for i := range 200 {
		many = append(many, "layer"+itoa(i))
	}
	for i := range 30 {
		long = append(long, "encoder_stack_with_a_very_long_name_part_"+string(rune('a'+i%26))+itoa(i)+"_x")
	}
	var figs []*Figure
	add := func(f *Figure, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		figs = append(figs, f)
	}
	add(Layers(mk([]string{""}), Comm, Options{}))
	add(Layers(mk(many), Time, Options{LogY: true}))
	add(Layers(mk(long), Rounds, Options{Width: 3.3, Height: 2.5}))
	var names []string
	var reps []*mpc.Report
	for i := range 12 {
		names = append(names, "config "+itoa(i))
		reps = append(reps, mk([]string{"a", "b"}))
	}
	add(Compare(names, reps, Comm, Options{}))
	add(CompareLayers(names, reps, Comm, Options{}))
	add(Ablation([]Line{{Name: "one", X: []float64{3}, Y: []float64{5}}}, Axis{Label: "k"}, Axis{Label: "y"}, Options{LogX: true, LogY: true}))
	add(Pareto([]Point{{"only", 1, 1}}, Axis{Label: "c"}, Axis{Label: "q"}, HigherIsBetter, Options{}))
	add(Pareto([]Point{{"a", 2, 1}, {"b", 2, 2}, {"c", 2, 2}}, Axis{Label: "c", Unit: Bytes}, Axis{Label: "q", Unit: Percent}, LowerIsBetter, Options{LogX: true}))
	for i, f := range figs {
		if _, err := f.PNG(); err != nil {
			t.Errorf("figure %d (%s): PNG: %v", i, f.name, err)
		}
		if svg := svgText(t, f); len(svg) < 2000 {
			t.Errorf("figure %d (%s): SVG of %d bytes", i, f.name, len(svg))
		}
	}
	if got := shortenLabels([]string{"short", "encoder_stack_with_a_very_long_name"}, 20); got[0] != "short" || len([]rune(got[1])) != 20 || !strings.Contains(got[1], "…") {
		t.Errorf("shortenLabels = %q", got)
	}
}
