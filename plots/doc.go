// Package plots draws the charts researchers put in papers from engine
// reports (mpc.Report): per-layer costs stacked by operation kind,
// comparisons of configurations, protocols and engines, ablations, and
// Pareto fronts of cost against quality. Charts come out ready to publish
// (colour-blind-safe palette that survives greyscale, units chosen by
// magnitude, legends beside the data, titles that name the model,
// sequence length, protocol and network) as PNG, SVG or PDF, from
// programs, the REPL and notebooks alike.
//
// # Charts
//
// Every chart is a function returning a *Figure and an error. Input is
// checked when the chart is built: a nil or empty report, a time chart of
// a report without times, a metric every row has as zero, mismatched
// names, non-finite or (on log axes) non-positive values are errors that
// name the problem. Nothing panics.
//
//	Layers(r, m, o)                 one bar per layer, stacked by kind
//	Compare(names, reports, m, o)   one stacked bar per report, with ratios
//	CompareLayers(names, reports, m, o)  per layer, a bar per report
//	Ablation(lines, x, y, o)        cost against a knob, a line per setting
//	Pareto(points, cost, q, better, o)   quality against cost, frontier drawn
//
// A Metric picks what to draw from a report: Comm (online bytes, client
// P0 plus server P1), CommClient, CommServer, Offline (correlated
// randomness), Time (measured or estimated, as the report says), Rounds
// or MACs.
//
// Per-layer costs, with the frozen layers the client runs in plaintext
// shaded:
//
//	f, err := plots.Layers(report, plots.Comm, plots.Options{})
//
// Standard fine-tuning against each Marill knob and all of them (the
// README's chart), each bar labelled with its total and its ratio to the
// first:
//
//	names := []string{"standard", "freeze 1/2", "LoRA r=8", "merge ×4", "all"}
//	f, err := plots.Compare(names, reports, plots.Comm, plots.Options{})
//
// A secure run against the simulator, layer by layer (times are labelled
// measured and estimated):
//
//	f, err := plots.CompareLayers([]string{"secure", "sim"}, []*mpc.Report{run, est}, plots.Time, plots.Options{})
//
// Cost against one knob, a line per setting of another; Totals turns one
// report per knob value into Y values, and Metric.Axis labels the axis:
//
//	y, err := plots.Totals(reportsPerFrozenCount, plots.Comm)
//	lines := []plots.Line{{Name: "LoRA r=8", X: []float64{0, 2, 4, 6}, Y: y}}
//	f, err := plots.Ablation(lines, plots.Axis{Label: "frozen layers"}, plots.Comm.Axis(mpc.Estimated), plots.Options{})
//
// Cost against quality. Whether higher or lower quality is better has no
// default and must be given; the quality axis says which:
//
//	pts := []plots.Point{{Name: "standard", Cost: 3.1e9, Quality: 0.021}, …}
//	f, err := plots.Pareto(pts, plots.Comm.Axis(mpc.Estimated),
//		plots.Axis{Label: "approximation error"}, plots.LowerIsBetter, plots.Options{})
//
// # Operation kinds
//
// OpKind sorts operation names into Kinds: linear layers (matmul, mul,
// add, sub, neg, scale, addconst, sum and the shape operations), softmax
// (softmax, exp, max, reciprocal), activation (gelu, silu, relu, tanh),
// norms (layernorm, rmsnorm, rsqrt), truncation ("trunc"), sharing (share,
// reveal, input, embed) and other — any operation not listed, such as a
// protocol's "select" or "lut", is drawn and labelled as other, never
// dropped. RowKind puts client-side plaintext work (rows placed OnClient
// or OnPublic) in its own Client kind, drawn in neutral grey with a hatch;
// a layer whose rows are all client-side (ClientLayer) is a frozen layer,
// and charts shade it and say "client (plaintext)". Stacks read bottom-up
// in the order of Kinds, and legends list them top-down, as the stack
// reads.
//
// # Style
//
// Colours are the Okabe–Ito palette, which stays distinct under the
// common colour-vision deficiencies. Kinds whose grey levels are close
// also differ in hatching (KindStyle, SeriesStyle), and neighbours in a
// stack differ in grey level, so greyscale prints stay readable; lines
// differ in colour, dash and marker. Axes show bytes in B, KiB, MiB, GiB or
// TiB, times in ns, µs, ms or s, and large counts in thousands, millions
// or billions, each chosen from the largest value on the axis; the unit is
// in the axis label. Grids lie under the data, bars never touch the
// frame, and crowded layer labels lose their shared prefix (block7 → 7,
// with the axis saying "layer (block number)"), then show every k-th
// number, or rotate.
//
// Options tune a chart: Title and Subtitle (replacing the generated ones,
// which come from the report's Meta and Engine), NoTitle, XLabel and
// YLabel, Width and Height in inches (default 7 × 3.8, a two-column paper
// width), LogX and LogY, and Legend (right of the data, above it, or
// hidden). On a log axis stacked bars keep their exact totals but their
// bottom segments start at the axis floor.
//
// # Output
//
// A Figure renders on demand and is safe for concurrent use:
//
//	f.PNG() ([]byte, error)   PNG at PNGDPI (192, twice a CSS pixel), resolution recorded
//	f.SVG() ([]byte, error)   SVG, deterministic byte for byte
//	f.PDF() ([]byte, error)   PDF with embedded fonts
//	f.Save("fig.pdf")         by extension: .png, .svg or .pdf
//	f.DisplaySize()           the size in CSS pixels, for hi-DPI display
//
// PNG and SVG are the methods the REPL and the Jupyter kernel look for, so
// a Figure left as a cell's value displays itself; a kernel should send
// DisplaySize as the PNG's width and height metadata so the 2x image shows
// at its size. SVG text uses Liberation Sans (the font the charts are
// measured with) with Arial, Helvetica and sans-serif as fallbacks; PDFs
// embed it.
//
// The API is plain functions, structs and constants, with no generics and
// no package variables to set, so interpreted notebook code (yaegi) can
// use all of it; notebooks/07-plots.ipynb (at the repository root) draws every chart from the
// simulator's reports.
//
// # From the command line
//
// marill-plot (cmd/marill-plot) draws the report charts from JSON
// reports, as marill-sim price -format json writes them:
//
//	marill-plot compare -o knobs.svg standard=std.json "LoRA r=8=lora.json" all=all.json
//	marill-plot layers -metric time -o layers.png all.json
//
// # Tests
//
// Golden SVGs in testdata cover every chart type; after an intended
// change, regenerate them with
//
//	go test ./plots -run TestGoldenSVG -update
//
// (PLOTS_PNG_DIR=dir also writes the PNGs there, to look at).
package plots
