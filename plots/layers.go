package plots

import (
	"fmt"
	"math"
	"strconv"

	"github.com/marill-go/marill/mpc"
)

// layerCosts is a report summed per layer and kind, layers in the order
// they first appear.
type layerCosts struct {
	layers []string
	value  [][]float64 // [layer][kind], in the metric's unit
	client []bool      // every row of the layer ran client-side
}

func sumLayers(r *mpc.Report, m Metric) layerCosts {
	var lc layerCosts
	pos := map[string]int{}
	var rows [][]mpc.Row
	for _, x := range r.Rows {
		l := x.Layer()
		i, ok := pos[l]
		if !ok {
			i = len(lc.layers)
			pos[l] = i
			lc.layers = append(lc.layers, l)
			lc.value = append(lc.value, make([]float64, len(kindNames)))
			rows = append(rows, nil)
		}
		lc.value[i][RowKind(x)] += m.Value(x.Cost)
		rows[i] = append(rows[i], x)
	}
	lc.client = make([]bool, len(rows))
	for i, rs := range rows {
		lc.client[i] = ClientLayer(rs)
	}
	return lc
}

func (lc layerCosts) total(i int) float64 {
	t := 0.0
	for _, v := range lc.value[i] {
		t += v
	}
	return t
}

func layerLabel(l string) string {
	if l == "" {
		return "(top)"
	}
	return l
}

// Layers draws metric m of a report per layer, one bar per layer stacked
// by operation kind (RowKind): linear layers, softmax, activations, norms,
// truncation, sharing, other, and client-side plaintext work. Layers the
// client runs in plaintext (every row OnClient or OnPublic) are shaded and
// drawn in the Client style. Time charts say whether times were measured
// or estimated. Layers are in the report's order; crowded labels are
// shortened and rotated.
func Layers(r *mpc.Report, m Metric, o Options) (*Figure, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if err := checkReport(r, m, "report"); err != nil {
		return nil, err
	}
	w, h, err := o.size()
	if err != nil {
		return nil, err
	}
	lc := sumLayers(r, m)
	present := make([]bool, len(kindNames))
	grand := 0.0
	for i := range lc.layers {
		for k, v := range lc.value[i] {
			if v > 0 {
				present[k] = true
			}
			grand += v
		}
	}
	if grand == 0 {
		return nil, fmt.Errorf("plots: report (engine %q) records no %s: every row is 0", r.Engine, m.label())
	}

	ax := m.Axis(r.TimeKind)
	if o.YLabel != "" {
		ax.Label = o.YLabel
	}
	bars := make([]bar, len(lc.layers))
	labels := make([]string, len(lc.layers))
	maxTotal, minPos := 0.0, math.Inf(1)
	for i, l := range lc.layers {
		labels[i] = layerLabel(l)
		bars[i] = bar{cat: i}
		for _, k := range Kinds() {
			if present[k] {
				bars[i].segs = append(bars[i].segs, seg{kind: k, style: KindStyle(k), value: lc.value[i][k]})
			}
		}
		t := lc.total(i)
		maxTotal = math.Max(maxTotal, t)
		if t > 0 {
			minPos = math.Min(minPos, t)
		}
	}

	legend := kindLegend(present, len(runs(lc.client)) > 0)
	place := o.Legend
	if place == LegendAuto {
		place = LegendRight
	}
	f := &Figure{name: "layers", width: w, height: h, legend: legend, legendPlace: place,
		cats: labels, bars: bars, bands: lc.client}
	title := m.title() + " per layer"
	if m == Time {
		title += " (" + r.TimeKind.String() + ")"
	}
	f.setTitle(o, append([]string{title}, modelParts(r.Meta)...), subtitle(r))
	f.build = barSpec{
		axis: ax, maxTotal: maxTotal, minPos: minPos, headroom: 0.04,
		cats: labels, xLabel: o.XLabel, dataWidth: estimateDataWidth(w, legend, place), maxExtent: h * 0.3,
		bands: lc.client, bars: bars, members: 1, logY: o.LogY,
	}.build
	return f, nil
}

// kindLegend lists the kinds present, top of the stack first, as the
// stack reads, then the client-layer shading.
func kindLegend(present []bool, clientLayers bool) []legendItem {
	var items []legendItem
	ks := Kinds()
	for i := len(ks) - 1; i >= 0; i-- {
		if present[ks[i]] {
			items = append(items, legendItem{label: ks[i].String(), thumb: thumb{kind: thumbSwatch, style: KindStyle(ks[i])}})
		}
	}
	if clientLayers {
		items = append(items, legendItem{label: "client-side layer (shaded)", thumb: thumb{kind: thumbBand}})
	}
	return items
}

// modelParts are the title parts naming the model: model and n.
func modelParts(m mpc.Meta) []string {
	var parts []string
	if m.Model != "" {
		parts = append(parts, m.Model)
	}
	if m.SeqLen > 0 {
		parts = append(parts, "n="+strconv.Itoa(m.SeqLen))
	}
	return parts
}

// subtitle names the setting: protocol, network, knobs and engine.
func subtitle(r *mpc.Report) string {
	return joinParts([]string{r.Meta.Protocol, r.Meta.Network, r.Meta.Knobs, engineName(r.Engine)})
}

func engineName(e string) string {
	if e == "" {
		return ""
	}
	return "engine " + e
}

func joinParts(parts []string) string {
	s := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if s != "" {
			s += " · "
		}
		s += p
	}
	return s
}
