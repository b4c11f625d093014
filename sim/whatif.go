package sim

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/marill-go/marill/internal/table"
	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

// WhatIfOptions are Marill's knob values for a what-if table. Zero fields
// take the defaults: freeze half the layers, LoRA rank 8, merge heads by
// 4, and MPCFormer's Quad GeLU, 2Quad softmax and Quad SiLU as the
// approximations.
type WhatIfOptions struct {
	Freeze     float64
	LoRARank   int
	MergeHeads int
	GeLU       mpc.GeLUKind
	Softmax    mpc.SoftmaxKind
	SiLU       mpc.SiLUKind
}

func (o WhatIfOptions) withDefaults() WhatIfOptions {
	if o.Freeze == 0 {
		o.Freeze = 0.5
	}
	if o.LoRARank == 0 {
		o.LoRARank = 8
	}
	if o.MergeHeads == 0 {
		o.MergeHeads = 4
	}
	if o.GeLU == mpc.GeLUUnset {
		o.GeLU = mpc.GeLUQuad
	}
	if o.Softmax == mpc.SoftmaxUnset {
		o.Softmax = mpc.Softmax2Quad
	}
	if o.SiLU == mpc.SiLUUnset {
		o.SiLU = mpc.SiLUQuad
	}
	return o
}

// PaperClaim is Marill's headline (arXiv 2408.03561 v1 abstract, papers.md
// §1.1, confirmed): secure inference of models fine-tuned with its
// techniques runs 3.6–11.3× faster and communicates 2.4–6.9× less than
// standard fine-tuning, across 2PC, 3PC and 2PC-Dealer.
var paperClaim = struct{ TimeLow, TimeHigh, CommLow, CommHigh float64 }{3.6, 11.3, 2.4, 6.9}

// PaperClaim returns Marill's claimed ranges: runtime improvement
// [timeLow, timeHigh] and communication improvement [commLow, commHigh].
func PaperClaim() (timeLow, timeHigh, commLow, commHigh float64) {
	return paperClaim.TimeLow, paperClaim.TimeHigh, paperClaim.CommLow, paperClaim.CommHigh
}

// Variant is one row of a what-if table: a fine-tuning choice, priced.
type Variant struct {
	// Name is "standard", "freeze", "+LoRA", "+merge" or "all".
	Name string
	// Approx says whether MPC-friendly approximations are on.
	Approx bool
	Knobs  marill.Knobs
	Report *mpc.Report
	// Total sums every row of Report.
	Total mpc.Row
	// TimeGain and CommGain are the standard model's (no approximations)
	// estimated time and online bytes divided by this variant's.
	TimeGain, CommGain float64
	// TimeGainSame and CommGainSame divide the standard model with the
	// same approximation setting by this variant.
	TimeGainSame, CommGainSame float64
}

// Label is the variant's name with "+approx" when approximations are on.
func (v Variant) Label() string {
	if v.Approx {
		return v.Name + " +approx"
	}
	return v.Name
}

// WhatIf is Marill's what-if table for one model and protocol family:
// standard fine-tuning, freezing, LoRA, head merging and all three, each
// with and without approximations, priced by the simulator.
type WhatIf struct {
	Model    string
	SeqLen   int
	Family   string
	Setting  Setting
	Network  string
	Compute  string
	Options  WhatIfOptions
	Variants []Variant
}

// RunWhatIf prices the ten variants of cfg under opts' family, network and
// compute profile. (Named RunWhatIf because WhatIf is the result type.)
func RunWhatIf(ctx context.Context, cfg marill.Config, opts Options, w WhatIfOptions) (*WhatIf, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Family == nil {
		return nil, fmt.Errorf("sim: Options.Family is nil; pick one of sim.Families() or sim.FamilyForSetting")
	}
	w = w.withDefaults()
	pre, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		return nil, err
	}
	fam := ForModel(opts.Family, cfg)
	net := opts.Network
	if net.Name == "" {
		net = LAN()
	}
	comp := opts.Compute
	if comp.Name == "" {
		comp = DevVM2Core()
	}
	out := &WhatIf{Model: cfg.Name, SeqLen: cfg.SeqLen, Family: fam.Name(), Setting: fam.Setting(),
		Network: net.String(), Compute: comp.Name, Options: w}
	base := []struct {
		name string
		k    marill.Knobs
	}{
		{"standard", marill.Knobs{}},
		{"freeze", marill.Knobs{FreezeFraction: w.Freeze}},
		{"+LoRA", marill.Knobs{LoRARank: w.LoRARank}},
		{"+merge", marill.Knobs{MergeHeads: w.MergeHeads}},
		{"all", marill.Knobs{FreezeFraction: w.Freeze, LoRARank: w.LoRARank, MergeHeads: w.MergeHeads}},
	}
	for _, approx := range []bool{false, true} {
		for _, b := range base {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("sim: what-if stopped: %w", err)
			}
			k := b.k
			if approx {
				k.GeLU, k.Softmax, k.SiLU = w.GeLU, w.Softmax, w.SiLU
			}
			m, err := pre.FineTune(k)
			if err != nil {
				return nil, err
			}
			r, err := Simulate(ctx, m, Options{Family: fam, Network: net, Compute: comp})
			if err != nil {
				return nil, err
			}
			out.Variants = append(out.Variants, Variant{Name: b.name, Approx: approx, Knobs: k, Report: r, Total: r.Total()})
		}
	}
	std := out.Variants[0].Total
	for i := range out.Variants {
		v := &out.Variants[i]
		same := out.Variants[0].Total
		if v.Approx {
			same = out.Variants[len(base)].Total
		}
		v.TimeGain, v.CommGain = gain(std.Time, v.Total.Time), gain(time.Duration(std.Sent()), time.Duration(v.Total.Sent()))
		v.TimeGainSame, v.CommGainSame = gain(same.Time, v.Total.Time), gain(time.Duration(same.Sent()), time.Duration(v.Total.Sent()))
	}
	return out, nil
}

func gain(base, v time.Duration) float64 {
	if v <= 0 {
		return 0
	}
	return float64(base) / float64(v)
}

// Variant returns the named variant ("all", "standard", ...).
func (w *WhatIf) Variant(name string, approx bool) (Variant, bool) {
	for _, v := range w.Variants {
		if v.Name == name && v.Approx == approx {
			return v, true
		}
	}
	return Variant{}, false
}

// Marill returns the gains of all three techniques over standard
// fine-tuning: without approximations, and with approximations on both.
func (w *WhatIf) Marill() (timeGain, commGain, timeGainApprox, commGainApprox float64) {
	a, _ := w.Variant("all", false)
	b, _ := w.Variant("all", true)
	return a.TimeGain, a.CommGain, b.TimeGainSame, b.CommGainSame
}

func (w *WhatIf) title() string {
	return fmt.Sprintf("Marill what-if · %s · n=%d · %s [%s] · %s · compute %s · freeze %g, LoRA r=%d, merge ×%d, approx = gelu %v, softmax %v, silu %v",
		w.Model, w.SeqLen, w.Family, w.Setting, w.Network, w.Compute, w.Options.Freeze, w.Options.LoRARank, w.Options.MergeHeads,
		w.Options.GeLU, w.Options.Softmax, w.Options.SiLU)
}

func (w *WhatIf) table() *table.Table {
	t := &table.Table{
		Title:  w.title(),
		Header: []string{"variant", "time (estimated)", "sent (online)", "offline", "rounds", "time ×", "comm ×", "time × (same approx)", "comm × (same approx)"},
		Align:  []table.Align{table.Left, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right},
	}
	for i, v := range w.Variants {
		if i == len(w.Variants)/2 {
			t.AddSeparator()
		}
		t.AddRow(v.Label(), fmtDur(v.Total.Time), mpc.FormatBytes(v.Total.Sent()), mpc.FormatBytes(v.Total.Offline()),
			strconv.FormatInt(v.Total.Rounds, 10), fmtGain(v.TimeGain), fmtGain(v.CommGain), fmtGain(v.TimeGainSame), fmtGain(v.CommGainSame))
	}
	tg, cg, tga, cga := w.Marill()
	tl, th, cl, ch := PaperClaim()
	t.Notes = []string{
		fmt.Sprintf("all three vs standard: time %s, comm %s (no approximations); %s, %s (approximations on both). Paper: time %.1f–%.1f×, comm %.1f–%.1f×.",
			fmtGain(tg), fmtGain(cg), fmtGain(tga), fmtGain(cga), tl, th, cl, ch),
		"× = the standard model's value divided by the variant's (higher is better); time = compute + rounds × latency + bytes ÷ bandwidth.",
	}
	return t
}

// String renders the table as aligned text.
func (w *WhatIf) String() string { return w.table().Text() }

// Markdown renders the table as Markdown.
func (w *WhatIf) Markdown() string { return w.table().Markdown() }

// HTML renders the table as HTML (notebook display).
func (w *WhatIf) HTML() string { return w.table().HTML() }

// Layers renders per-layer estimated time and online bytes of every
// variant side by side (one row per layer of the standard model).
func (w *WhatIf) Layers() string {
	t := &table.Table{Title: w.title() + " · per layer", Header: []string{"layer"}}
	t.Align = []table.Align{table.Left}
	var layers []string
	seen := map[string]bool{}
	per := make([]map[string]mpc.Row, len(w.Variants))
	for i, v := range w.Variants {
		t.Header = append(t.Header, v.Label()+" time", v.Label()+" sent")
		t.Align = append(t.Align, table.Right, table.Right)
		per[i] = map[string]mpc.Row{}
		for _, r := range v.Report.ByLayer() {
			per[i][r.Scope] = r
			if !seen[r.Scope] {
				seen[r.Scope] = true
				layers = append(layers, r.Scope)
			}
		}
	}
	for _, l := range layers {
		row := []string{l}
		for i := range w.Variants {
			r := per[i][l]
			row = append(row, fmtDur(r.Time), mpc.FormatBytes(r.Sent()))
		}
		t.AddRow(row...)
	}
	return t.Text()
}

func fmtGain(g float64) string {
	if g == 0 {
		return "-"
	}
	return strconv.FormatFloat(g, 'f', 2, 64) + "×"
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// Summary is one line: model, family and the gains of all three
// techniques set against the paper's ranges.
func (w *WhatIf) Summary() string {
	tg, cg, tga, cga := w.Marill()
	tl, th, cl, ch := PaperClaim()
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] %s n=%d: all three vs standard: time %s comm %s; with approximations on both: time %s comm %s (paper: time %.1f–%.1f×, comm %.1f–%.1f×)",
		w.Family, w.Setting, w.Model, w.SeqLen, fmtGain(tg), fmtGain(cg), fmtGain(tga), fmtGain(cga), tl, th, cl, ch)
	return b.String()
}
