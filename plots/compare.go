package plots

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot/vg"

	"github.com/marill-go/marill/mpc"
)

// checkNamed validates names paired with reports.
func checkNamed(names []string, reports []*mpc.Report, m Metric) error {
	if err := m.check(); err != nil {
		return err
	}
	if len(reports) == 0 {
		return fmt.Errorf("plots: no reports to compare")
	}
	if len(names) != len(reports) {
		return fmt.Errorf("plots: %d names for %d reports", len(names), len(reports))
	}
	seen := map[string]bool{}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("plots: report %d has an empty name", i)
		}
		if seen[n] {
			return fmt.Errorf("plots: two reports are named %q", n)
		}
		seen[n] = true
		if err := checkReport(reports[i], m, fmt.Sprintf("report %q", n)); err != nil {
			return err
		}
	}
	return nil
}

// timeLabels appends each report's time kind to its name when a time
// chart mixes measured and estimated reports.
func timeLabels(names []string, reports []*mpc.Report, m Metric) ([]string, bool) {
	out := append([]string(nil), names...)
	if m != Time {
		return out, false
	}
	mixed := false
	for _, r := range reports {
		mixed = mixed || r.TimeKind != reports[0].TimeKind
	}
	if mixed {
		for i, r := range reports {
			out[i] += " (" + r.TimeKind.String() + ")"
		}
	}
	return out, mixed
}

// commonMeta keeps the metadata fields every report agrees on.
func commonMeta(reports []*mpc.Report) (mpc.Meta, string) {
	meta, engine := reports[0].Meta, reports[0].Engine
	for _, r := range reports[1:] {
		if r.Meta.Model != meta.Model {
			meta.Model = ""
		}
		if r.Meta.SeqLen != meta.SeqLen {
			meta.SeqLen = 0
		}
		if r.Meta.Protocol != meta.Protocol {
			meta.Protocol = ""
		}
		if r.Meta.Network != meta.Network {
			meta.Network = ""
		}
		if r.Meta.Knobs != meta.Knobs {
			meta.Knobs = ""
		}
		if r.Engine != engine {
			engine = ""
		}
	}
	return meta, engine
}

// timeAxisLabel says measured, estimated or both.
func timeAxis(m Metric, reports []*mpc.Report, mixed bool) Axis {
	ax := m.Axis(reports[0].TimeKind)
	if m == Time && mixed {
		ax.Label = "time, measured and estimated"
	}
	return ax
}

// Compare draws one stacked bar per report (by operation kind, as in
// Layers), named by names, with each bar's total above it and, from the
// second bar on, its ratio to the first: standard fine-tuning against
// each Marill knob and all of them, one model under several protocol
// families, or a secure run against the simulator.
func Compare(names []string, reports []*mpc.Report, m Metric, o Options) (*Figure, error) {
	if err := checkNamed(names, reports, m); err != nil {
		return nil, err
	}
	w, h, err := o.size()
	if err != nil {
		return nil, err
	}
	labels, mixed := timeLabels(names, reports, m)
	present := make([]bool, len(kindNames))
	values := make([][]float64, len(reports))
	totals := make([]float64, len(reports))
	for i, r := range reports {
		values[i] = make([]float64, len(kindNames))
		for _, x := range r.Rows {
			values[i][RowKind(x)] += m.Value(x.Cost)
		}
		for k, v := range values[i] {
			totals[i] += v
			if v > 0 {
				present[k] = true
			}
		}
	}
	maxTotal, minPos := 0.0, math.Inf(1)
	for _, t := range totals {
		maxTotal = math.Max(maxTotal, t)
		if t > 0 {
			minPos = math.Min(minPos, t)
		}
	}
	if maxTotal == 0 {
		return nil, fmt.Errorf("plots: no report records any %s", m.label())
	}
	ax := timeAxis(m, reports, mixed)
	if o.YLabel != "" {
		ax.Label = o.YLabel
	}
	disp := pickScale(ax.Unit, maxTotal)
	bars := make([]bar, len(reports))
	for i := range reports {
		bars[i] = bar{cat: i, label: formatValue(totals[i], disp)}
		for _, k := range Kinds() {
			if present[k] {
				bars[i].segs = append(bars[i].segs, seg{kind: k, style: KindStyle(k), value: values[i][k]})
			}
		}
	}

	legend := kindLegend(present, false)
	place := o.Legend
	if place == LegendAuto {
		place = LegendRight
	}
	f := &Figure{name: "compare", width: w, height: h, legend: legend, legendPlace: place,
		cats: labels, bars: bars}
	meta, engine := commonMeta(reports)
	title := m.title()
	if m == Time && !mixed {
		title += " (" + reports[0].TimeKind.String() + ")"
	}
	sub := joinParts([]string{meta.Protocol, meta.Network, meta.Knobs, engineName(engine)})
	if len(reports) > 1 && totals[0] > 0 {
		sub = joinParts([]string{sub, "× = relative to " + names[0]})
	}
	f.setTitle(o, append([]string{title}, modelParts(meta)...), sub)
	dataWidth := estimateDataWidth(w, legend, place)
	// Totals name their unit unless that makes them wider than a bar's
	// slot; the axis label carries it anyway.
	labelSty := textStyle(sansFont, noteSize, inkColor)
	slot := dataWidth / vg.Length(len(reports))
	for i := range bars {
		if labelSty.Width(bars[i].label) > slot*0.95 {
			bars[i].label = formatValue(totals[i], scale{div: disp.div})
		}
		if i > 0 && totals[0] > 0 {
			bars[i].label += "\n" + formatRatio(totals[i]/totals[0])
		}
	}

	f.build = barSpec{
		axis: ax, maxTotal: maxTotal, minPos: minPos, headroom: 0.16,
		cats: labels, xLabel: o.XLabel, dataWidth: dataWidth, maxExtent: h * 0.3,
		bars: bars, members: 1, logY: o.LogY,
	}.build
	return f, nil
}

// formatRatio prints a ratio with two or three significant digits.
func formatRatio(r float64) string {
	switch {
	case r >= 100:
		return strconv.FormatFloat(r, 'f', 0, 64) + "×"
	case r >= 10:
		return strconv.FormatFloat(r, 'f', 1, 64) + "×"
	case r >= 0.1:
		return strconv.FormatFloat(r, 'f', 2, 64) + "×"
	}
	return strconv.FormatFloat(r, 'g', 2, 64) + "×"
}

// CompareLayers draws metric m per layer for several reports side by
// side: one group per layer, one bar per report (secure measured against
// simulated, or two configurations). Each bar's client-side plaintext
// work (RowKind Client) is stacked on top in the Client style, so a layer
// one configuration freezes shows grey in that configuration's bar.
// Layers appear in the first report's order, then any new ones from later
// reports; layers client-side in every report that has them are shaded.
func CompareLayers(names []string, reports []*mpc.Report, m Metric, o Options) (*Figure, error) {
	if err := checkNamed(names, reports, m); err != nil {
		return nil, err
	}
	w, h, err := o.size()
	if err != nil {
		return nil, err
	}
	legendNames, mixed := timeLabels(names, reports, m)
	var layers []string
	pos := map[string]int{}
	per := make([]layerCosts, len(reports))
	for j, r := range reports {
		per[j] = sumLayers(r, m)
		for _, l := range per[j].layers {
			if _, ok := pos[l]; !ok {
				pos[l] = len(layers)
				layers = append(layers, l)
			}
		}
	}
	client := make([]bool, len(layers))
	seen := make([]bool, len(layers))
	for i := range client {
		client[i] = true
	}
	var bars []bar
	maxTotal, minPos := 0.0, math.Inf(1)
	anyClientWork := false
	for j, lc := range per {
		for li, l := range lc.layers {
			i := pos[l]
			seen[i] = true
			client[i] = client[i] && lc.client[li]
			t := lc.total(li)
			cl := lc.value[li][Client]
			anyClientWork = anyClientWork || cl > 0
			bars = append(bars, bar{cat: i, member: j, segs: []seg{
				{kind: noKind, style: SeriesStyle(j), value: t - cl},
				{kind: Client, style: KindStyle(Client), value: cl},
			}})
			maxTotal = math.Max(maxTotal, t)
			if t > 0 {
				minPos = math.Min(minPos, t)
			}
		}
	}
	anyClient := false
	for i := range client {
		client[i] = client[i] && seen[i]
		anyClient = anyClient || client[i]
	}
	if maxTotal == 0 {
		return nil, fmt.Errorf("plots: no report records any %s", m.label())
	}
	labels := make([]string, len(layers))
	for i, l := range layers {
		labels[i] = layerLabel(l)
	}
	var legend []legendItem
	for j, n := range legendNames {
		legend = append(legend, legendItem{label: n, thumb: thumb{kind: thumbSwatch, style: SeriesStyle(j)}})
	}
	if anyClientWork {
		legend = append(legend, legendItem{label: Client.String(), thumb: thumb{kind: thumbSwatch, style: KindStyle(Client)}})
	}
	if anyClient {
		legend = append(legend, legendItem{label: "client-side layer (shaded)", thumb: thumb{kind: thumbBand}})
	}
	place := o.Legend
	if place == LegendAuto {
		place = LegendTop
	}
	ax := timeAxis(m, reports, mixed)
	if o.YLabel != "" {
		ax.Label = o.YLabel
	}
	f := &Figure{name: "compare-layers", width: w, height: h, legend: legend, legendPlace: place,
		cats: labels, bars: bars, bands: client}
	meta, engine := commonMeta(reports)
	title := m.title() + " per layer"
	if m == Time && !mixed {
		title += " (" + reports[0].TimeKind.String() + ")"
	}
	f.setTitle(o, append([]string{title}, modelParts(meta)...),
		joinParts([]string{meta.Protocol, meta.Network, meta.Knobs, engineName(engine)}))
	f.build = barSpec{
		axis: ax, maxTotal: maxTotal, minPos: minPos, headroom: 0.04,
		cats: labels, xLabel: o.XLabel, dataWidth: estimateDataWidth(w, legend, place), maxExtent: h * 0.3,
		bands: client, bars: bars, members: len(reports), logY: o.LogY,
	}.build
	return f, nil
}
