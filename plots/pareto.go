package plots

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one configuration on a Pareto chart: its cost (in the cost
// axis' unit) and its quality (accuracy, or approximation error while
// accuracy is not available).
type Point struct {
	Name          string
	Cost, Quality float64
}

// Better says which way quality improves. It has no default: a Pareto
// chart must be told.
type Better uint8

const (
	// HigherIsBetter: accuracy, F1, agreement.
	HigherIsBetter Better = iota + 1
	// LowerIsBetter: approximation error, perplexity, loss.
	LowerIsBetter
)

func (b Better) String() string {
	switch b {
	case HigherIsBetter:
		return "higher is better"
	case LowerIsBetter:
		return "lower is better"
	}
	return fmt.Sprintf("Better(%d)", int(b))
}

// Frontier returns the indices of the Pareto-optimal points, cheapest
// first: those no other point beats on quality at equal or lower cost.
// Of points with equal cost and quality only the first is kept.
func Frontier(points []Point, better Better) ([]int, error) {
	if better != HigherIsBetter && better != LowerIsBetter {
		return nil, fmt.Errorf("plots: say whether higher or lower quality is better (plots.HigherIsBetter or plots.LowerIsBetter)")
	}
	for _, p := range points {
		if !finite(p.Cost) || !finite(p.Quality) {
			return nil, fmt.Errorf("plots: point %q is (%g, %g), not finite", p.Name, p.Cost, p.Quality)
		}
	}
	q := func(i int) float64 {
		if better == LowerIsBetter {
			return -points[i].Quality
		}
		return points[i].Quality
	}
	idx := make([]int, len(points))
	for i := range idx {
		idx[i] = i
	}
	// Cheapest first; at equal cost the best first.
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := points[idx[a]], points[idx[b]]
		if pa.Cost != pb.Cost {
			return pa.Cost < pb.Cost
		}
		return q(idx[a]) > q(idx[b])
	})
	var out []int
	best := math.Inf(-1)
	for _, i := range idx {
		if q(i) > best {
			out = append(out, i)
			best = q(i)
		}
	}
	return out, nil
}

// Pareto draws quality against cost for a set of configurations, each
// labelled with its name, and highlights the Pareto frontier as a
// staircase through the optimal points. cost and quality name the axes;
// better (required) says which way quality improves, and the quality
// axis says so.
func Pareto(points []Point, cost, quality Axis, better Better, o Options) (*Figure, error) {
	w, h, err := o.size()
	if err != nil {
		return nil, err
	}
	if len(points) == 0 {
		return nil, fmt.Errorf("plots: Pareto chart needs at least one point")
	}
	seen := map[string]bool{}
	for i, p := range points {
		if p.Name == "" {
			return nil, fmt.Errorf("plots: point %d has no name", i)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("plots: two points are named %q", p.Name)
		}
		seen[p.Name] = true
		if o.LogX && p.Cost <= 0 {
			return nil, fmt.Errorf("plots: point %q costs %g; a log cost axis needs positive values", p.Name, p.Cost)
		}
		if o.LogY && p.Quality <= 0 {
			return nil, fmt.Errorf("plots: point %q has quality %g; a log quality axis needs positive values", p.Name, p.Quality)
		}
	}
	front, err := Frontier(points, better)
	if err != nil {
		return nil, err
	}
	if o.XLabel != "" {
		cost.Label = o.XLabel
	}
	if o.YLabel != "" {
		quality.Label = o.YLabel
	}
	if err := checkUnit(cost); err != nil {
		return nil, err
	}
	if err := checkUnit(quality); err != nil {
		return nil, err
	}
	onFront := make([]bool, len(points))
	for _, i := range front {
		onFront[i] = true
	}
	legend := []legendItem{
		{label: "Pareto frontier", thumb: thumb{kind: thumbLine, style: SeriesStyle(0), mark: markCircle}},
	}
	if len(front) < len(points) {
		legend = append(legend, legendItem{label: "dominated", thumb: thumb{kind: thumbMarker, style: Style{Color: darkGrey}, mark: markCircle}})
	}
	place := o.Legend
	if place == LegendAuto {
		place = LegendRight
	}
	f := &Figure{name: "pareto", width: w, height: h, legend: legend, legendPlace: place}
	f.setTitle(o, []string{versus(quality.Label, cost.Label)}, "Pareto frontier: no other configuration is at least as cheap and better ("+better.String()+")")

	costs := make([]float64, len(points))
	quals := make([]float64, len(points))
	for i, p := range points {
		costs[i], quals[i] = p.Cost, p.Quality
	}
	f.build = func() (*plot.Plot, error) {
		p := newPlot()
		// Both axes span the data (with a margin), not zero: configurations
		// cluster, and the frontier is what the chart is for.
		lo, hi := dataRange(costs, cost.Unit, o.LogX)
		sx, err := valueAxis(&p.X, cost, lo, hi, minPositive(costs), o.LogX, 0, 6)
		if err != nil {
			return nil, err
		}
		padRange(&p.X, 0.03, o.LogX)
		qlo, qhi := dataRange(quals, quality.Unit, o.LogY)
		sy, err := valueAxis(&p.Y, quality, qlo, qhi, minPositive(quals), o.LogY, 0, 5)
		if err != nil {
			return nil, err
		}
		padRange(&p.Y, 0.03, o.LogY)
		p.Y.Label.Text += ", " + better.String()
		p.Add(gridLines{vertical: true})
		p.Add(paretoPlot{points: points, front: front, onFront: onFront, sx: sx, sy: sy, better: better})
		return p, nil
	}
	return f, nil
}

// dataRange is the span of vs widened by 8%, kept at or above zero when
// every value is, and at or below 100% for percentages.
func dataRange(vs []float64, u Unit, log bool) (lo, hi float64) {
	lo, hi = span(vs)
	if log {
		return lo, hi
	}
	pad := (hi - lo) * 0.08
	if pad == 0 {
		pad = math.Max(math.Abs(hi)*0.05, 1e-9)
	}
	nlo, nhi := lo-pad, hi+pad
	if lo >= 0 && nlo < 0 {
		nlo = 0
	}
	if u == Percent && hi <= 1 && nhi > 1 {
		nhi = 1
	}
	return nlo, nhi
}

type paretoPlot struct {
	points  []Point
	front   []int
	onFront []bool
	sx, sy  scale
	better  Better
}

func (pp paretoPlot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	at := func(i int) vg.Point {
		return vg.Point{X: trX(pp.points[i].Cost / pp.sx.div), Y: trY(pp.points[i].Quality / pp.sy.div)}
	}
	blue := SeriesStyle(0).Color
	const r = 3.2
	var taken []vg.Rectangle
	// The staircase: from each optimal point, level until the next one's
	// cost, then up (or down) to its quality. Labels keep off it.
	if len(pp.front) > 1 {
		var pts []vg.Point
		for k, i := range pp.front {
			q := at(i)
			if k > 0 {
				pts = append(pts, vg.Point{X: q.X, Y: pts[len(pts)-1].Y})
			}
			pts = append(pts, q)
		}
		c.StrokeLines(draw.LineStyle{Color: blue, Width: vg.Points(1.4)}, pts)
		for k := 1; k < len(pts); k++ {
			a, b := pts[k-1], pts[k]
			taken = append(taken, vg.Rectangle{
				Min: vg.Point{X: min(a.X, b.X) - 1, Y: min(a.Y, b.Y) - 1},
				Max: vg.Point{X: max(a.X, b.X) + 1, Y: max(a.Y, b.Y) + 1},
			})
		}
	}
	for i := range pp.points {
		if !pp.onFront[i] {
			markCircle.draw(c, at(i), darkGrey, false, vg.Points(r))
		}
	}
	for _, i := range pp.front {
		markCircle.draw(c, at(i), blue, true, vg.Points(r))
	}
	// Labels: the first of eight places around each point that overlaps
	// no marker and no earlier label and stays inside the data area.
	sty := textStyle(sansFont, noteSize, inkColor)
	for i := range pp.points {
		q := at(i)
		taken = append(taken, vg.Rectangle{Min: vg.Point{X: q.X - r, Y: q.Y - r}, Max: vg.Point{X: q.X + r, Y: q.Y + r}})
	}
	type place struct {
		dx, dy float64
		xa     text.XAlignment
		ya     text.YAlignment
	}
	places := []place{
		{5, 0, text.XLeft, text.YCenter}, {-5, 0, text.XRight, text.YCenter},
		{0, 5, text.XCenter, text.YBottom}, {0, -5, text.XCenter, text.YTop},
		{4, 4, text.XLeft, text.YBottom}, {-4, 4, text.XRight, text.YBottom},
		{4, -4, text.XLeft, text.YTop}, {-4, -4, text.XRight, text.YTop},
	}
	inside := func(b vg.Rectangle) bool {
		return b.Min.X >= c.Min.X && b.Max.X <= c.Max.X && b.Min.Y >= c.Min.Y && b.Max.Y <= c.Max.Y
	}
	for i, pt := range pp.points {
		q := at(i)
		chosen := -1
		var box vg.Rectangle
		for k, pl := range places {
			s := sty
			s.XAlign, s.YAlign = pl.xa, pl.ya
			anchor := vg.Point{X: q.X + vg.Points(pl.dx), Y: q.Y + vg.Points(pl.dy)}
			b := s.Rectangle(pt.Name).Add(anchor)
			if !inside(b) {
				continue
			}
			if chosen < 0 {
				chosen, box = k, b // fallback: the first that fits the area
			}
			if !overlapsAny(b, taken) {
				chosen, box = k, b
				break
			}
		}
		if chosen < 0 {
			chosen = 0
			box = sty.Rectangle(pt.Name).Add(vg.Point{X: q.X + 5, Y: q.Y})
		}
		s := sty
		s.XAlign, s.YAlign = places[chosen].xa, places[chosen].ya
		c.FillText(s, vg.Point{X: q.X + vg.Points(places[chosen].dx), Y: q.Y + vg.Points(places[chosen].dy)}, pt.Name)
		taken = append(taken, box)
	}
}

func overlapsAny(b vg.Rectangle, rs []vg.Rectangle) bool {
	for _, r := range rs {
		if b.Min.X < r.Max.X && r.Min.X < b.Max.X && b.Min.Y < r.Max.Y && r.Min.Y < b.Max.Y {
			return true
		}
	}
	return false
}
