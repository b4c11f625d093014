package plots

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Line is one series of an ablation chart: Y against X, in the units of
// the chart's axes (bytes, seconds, counts, or plain values).
type Line struct {
	Name string
	X, Y []float64
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Ablation draws cost against one knob, one line per setting of another
// (e.g. communication against the number of frozen layers, one line per
// LoRA rank). x and y name the axes and their units (Comm.Axis(k) gives a
// metric's); Totals turns one report per knob value into Y values.
// Points are joined in X order; lines differ in colour, dash and marker.
func Ablation(lines []Line, x, y Axis, o Options) (*Figure, error) {
	w, h, err := o.size()
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("plots: ablation needs at least one line")
	}
	seen := map[string]bool{}
	var xs, ys []float64
	for i, l := range lines {
		if l.Name == "" {
			return nil, fmt.Errorf("plots: line %d has no name", i)
		}
		if seen[l.Name] {
			return nil, fmt.Errorf("plots: two lines are named %q", l.Name)
		}
		seen[l.Name] = true
		if len(l.X) == 0 || len(l.X) != len(l.Y) {
			return nil, fmt.Errorf("plots: line %q has %d X and %d Y values (want equal, at least one)", l.Name, len(l.X), len(l.Y))
		}
		for k := range l.X {
			if !finite(l.X[k]) || !finite(l.Y[k]) {
				return nil, fmt.Errorf("plots: line %q point %d is (%g, %g), not finite", l.Name, k, l.X[k], l.Y[k])
			}
			if o.LogX && l.X[k] <= 0 {
				return nil, fmt.Errorf("plots: line %q has X[%d] = %g; a log X axis needs positive values", l.Name, k, l.X[k])
			}
			if o.LogY && l.Y[k] <= 0 {
				return nil, fmt.Errorf("plots: line %q has Y[%d] = %g; a log Y axis needs positive values", l.Name, k, l.Y[k])
			}
		}
		xs = append(xs, l.X...)
		ys = append(ys, l.Y...)
	}
	if o.XLabel != "" {
		x.Label = o.XLabel
	}
	if o.YLabel != "" {
		y.Label = o.YLabel
	}
	if err := checkUnit(x); err != nil {
		return nil, err
	}
	if err := checkUnit(y); err != nil {
		return nil, err
	}

	var legend []legendItem
	for i, l := range lines {
		legend = append(legend, legendItem{label: l.Name, thumb: lineThumb(i)})
	}
	place := o.Legend
	if place == LegendAuto {
		place = LegendRight
	}
	f := &Figure{name: "ablation", width: w, height: h, legend: legend, legendPlace: place}
	f.setTitle(o, []string{versus(y.Label, x.Label)}, "")

	f.build = func() (*plot.Plot, error) {
		p := newPlot()
		sx, err := knobAxis(&p.X, x, xs, o.LogX)
		if err != nil {
			return nil, err
		}
		lo, hi := span(ys)
		minPos := minPositive(ys)
		if !o.LogY && lo > 0 && (y.Unit == Bytes || y.Unit == Seconds || y.Unit == Count) {
			lo = 0 // costs start at zero, so ratios read true
		}
		sy, err := valueAxis(&p.Y, y, lo, hi, minPos, o.LogY, 0, 5)
		if err != nil {
			return nil, err
		}
		padRange(&p.Y, 0.03, o.LogY)
		p.Add(gridLines{vertical: true})
		p.Add(linesPlot{lines: lines, sx: sx, sy: sy})
		return p, nil
	}
	return f, nil
}

// padRange widens an axis by frac of its span at both ends, so markers
// on the extreme values clear the axes.
func padRange(a *plot.Axis, frac float64, log bool) {
	if log {
		f := math.Pow(a.Max/a.Min, frac)
		a.Min, a.Max = a.Min/f, a.Max*f
		return
	}
	d := (a.Max - a.Min) * frac
	a.Min, a.Max = a.Min-d, a.Max+d
}

func checkUnit(a Axis) error {
	if a.Unit >= numUnits {
		return fmt.Errorf("plots: axis %q has unknown unit %d", a.Label, a.Unit)
	}
	return nil
}

// versus titles a chart of y against x: "Time (estimated) vs frozen
// layers" from the axis labels "time, estimated" and "frozen layers".
func versus(y, x string) string {
	return capitalize(qualify(y)) + " vs " + qualify(x)
}

// qualify turns an axis label's ", qualifier" into " (qualifier)".
func qualify(label string) string {
	if i := strings.Index(label, ", "); i > 0 && !strings.Contains(label[i+2:], ", ") && !strings.ContainsAny(label, "()") {
		return label[:i] + " (" + label[i+2:] + ")"
	}
	return label
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func span(vs []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

func minPositive(vs []float64) float64 {
	m := math.Inf(1)
	for _, v := range vs {
		if v > 0 {
			m = math.Min(m, v)
		}
	}
	return m
}

// knobAxis sets an axis for knob values: ticks exactly at the values
// when there are few (at most 12 distinct), nice ticks otherwise.
func knobAxis(a *plot.Axis, ax Axis, vals []float64, log bool) (scale, error) {
	lo, hi := span(vals)
	s := pickScale(ax.Unit, math.Max(math.Abs(lo), math.Abs(hi)))
	a.Label.Text = axisLabel(ax.Label, s)
	distinct := map[float64]bool{}
	for _, v := range vals {
		distinct[v/s.div] = true
	}
	if len(distinct) > 12 {
		return valueAxis(a, ax, lo, hi, minPositive(vals), log, 0, 6)
	}
	ds := make([]float64, 0, len(distinct))
	for v := range distinct {
		ds = append(ds, v)
	}
	sort.Float64s(ds)
	a.Tick.Marker = plot.ConstantTicks(valueTicks(ds))
	lo, hi = ds[0], ds[len(ds)-1]
	if log {
		a.Scale = plot.LogScale{}
		if hi == lo {
			lo, hi = lo/2, hi*2
		}
		pad := math.Pow(hi/lo, 0.04)
		a.Min, a.Max = lo/pad, hi*pad
		return s, nil
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.04
	a.Min, a.Max = lo-pad, hi+pad
	return s, nil
}

func lineThumb(i int) thumb {
	return thumb{kind: thumbLine, style: SeriesStyle(i), dashes: lineDashes[i%len(lineDashes)], mark: marker(i % int(numMarkers))}
}

// linesPlot draws lines with markers, in display units sx, sy.
type linesPlot struct {
	lines  []Line
	sx, sy scale
}

func (lp linesPlot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, l := range lp.lines {
		idx := make([]int, len(l.X))
		for k := range idx {
			idx[k] = k
		}
		sort.SliceStable(idx, func(a, b int) bool { return l.X[idx[a]] < l.X[idx[b]] })
		pts := make([]vg.Point, len(idx))
		for k, j := range idx {
			pts[k] = vg.Point{X: trX(l.X[j] / lp.sx.div), Y: trY(l.Y[j] / lp.sy.div)}
		}
		t := lineThumb(i)
		if len(pts) > 1 {
			c.StrokeLines(draw.LineStyle{Color: t.style.Color, Width: vg.Points(1.6), Dashes: t.dashes}, pts)
		}
		for _, pt := range pts {
			t.mark.draw(c, pt, t.style.Color, true, vg.Points(3.2))
		}
	}
}
