package plots

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// newPlot returns a gonum plot with this package's look: sans-serif text,
// thin dark axes, short outward ticks, no title or legend (the Figure
// draws those outside the data).
func newPlot() *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(sansFont, labelSize, inkColor)
		a.Label.Padding = vg.Points(4)
		a.Tick.Label = textStyle(sansFont, tickSize, inkColor)
		a.LineStyle = draw.LineStyle{Color: inkColor, Width: vg.Points(0.6)}
		a.Tick.LineStyle = draw.LineStyle{Color: inkColor, Width: vg.Points(0.6)}
		a.Tick.Length = vg.Points(3)
		a.Padding = 0
	}
	p.X.Label.TextStyle.XAlign = text.XCenter
	p.X.Label.TextStyle.YAlign = text.YBottom
	p.X.Tick.Label.XAlign = text.XCenter
	p.X.Tick.Label.YAlign = text.YTop
	p.Y.Label.TextStyle.XAlign = text.XCenter
	p.Y.Label.TextStyle.YAlign = text.YBottom
	p.Y.Tick.Label.XAlign = text.XRight
	p.Y.Tick.Label.YAlign = text.YCenter
	return p
}

// horizontalGrid is drawn first, so it lies under the data.
func horizontalGrid() plot.Plotter {
	return gridLines{}
}

type gridLines struct{ vertical bool }

func (g gridLines) Plot(c draw.Canvas, p *plot.Plot) {
	sty := draw.LineStyle{Color: gridColor, Width: vg.Points(0.5)}
	trX, trY := p.Transforms(&c)
	for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if t.IsMinor() || t.Value < p.Y.Min || t.Value > p.Y.Max {
			continue
		}
		y := trY(t.Value)
		c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
	}
	if !g.vertical {
		return
	}
	for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if t.IsMinor() || t.Value < p.X.Min || t.Value > p.X.Max {
			continue
		}
		x := trX(t.Value)
		c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
	}
}

// valueAxis sets a numeric axis for values in [lo, hi] (base units; minPos
// the smallest positive value, for log axes) and returns the display scale
// the data must be divided by.
func valueAxis(a *plot.Axis, ax Axis, lo, hi, minPos float64, log bool, headroom float64, target int) (scale, error) {
	s := pickScale(ax.Unit, math.Max(math.Abs(lo), math.Abs(hi)))
	a.Label.Text = axisLabel(ax.Label, s)
	lo, hi, minPos = lo/s.div, hi/s.div, minPos/s.div
	if log {
		if !(minPos > 0) {
			return s, fmt.Errorf("plots: log scale for %q needs a positive value", ax.Label)
		}
		// The floor snaps down to a decade (bars rise from it); the top
		// stays near the data instead of wasting up to a decade.
		top := hi * math.Pow(math.Max(hi/minPos, 10), math.Max(headroom, 0.03))
		ticks, tlo, _ := logTicks(minPos, top)
		a.Scale = plot.LogScale{}
		a.Tick.Marker = plot.ConstantTicks(ticks)
		a.Min, a.Max = tlo, top
		return s, nil
	}
	hi += (hi - lo) * headroom
	integer := (ax.Unit == Count || ax.Unit == Bytes) && s.div == 1
	ticks, tlo, thi := linearTicks(lo, hi, target, integer)
	a.Tick.Marker = plot.ConstantTicks(ticks)
	a.Min, a.Max = tlo, thi
	return s, nil
}

// categoryAxis puts labels under x = 0, 1, …, n−1 and keeps every bar
// inside the frame. Crowded labels lose a shared prefix ("block7" → "7",
// the prefix moves to the axis label), then rotate 45°, then 90° with
// only every k-th label shown.
//
// maxExtent bounds how far rotated labels may reach below the axis;
// longer ones are cut in the middle.
func categoryAxis(p *plot.Plot, labels []string, dataWidth vg.Length, axisLabel string, maxExtent vg.Length) {
	n := len(labels)
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	p.X.Tick.Length = 0
	p.X.Label.Text = axisLabel
	sty := p.X.Tick.Label
	slot := dataWidth / vg.Length(max(n, 1))
	labels = shortenLabels(labels, 28)
	// fits: neighbouring labels do not touch.
	fits := func(ls []string) bool {
		for i := range ls {
			w := sty.Width(ls[i])
			if i+1 < len(ls) {
				w = (w + sty.Width(ls[i+1])) / 2
			}
			if w+vg.Points(4) > slot {
				return false
			}
		}
		return true
	}
	prefix := ""
	if !fits(labels) {
		var short []string
		if short, prefix = stripPrefix(labels); prefix != "" {
			labels = short
			if axisLabel == "" {
				p.X.Label.Text = "layer (" + prefix + " number)"
				if prefix == "layer" {
					p.X.Label.Text = "layer number"
				}
			}
		}
	}
	if !fits(labels) {
		if wrapped := wrapLabels(labels, slot-vg.Points(4), sty); fits(wrapped) {
			labels = wrapped
		}
	}
	shown := make([]bool, n)
	for i := range shown {
		shown[i] = true
	}
	shift := 0.0
	switch {
	case fits(labels):
	case prefix != "":
		// Numbered layers: keep labels level and show every k-th number.
		shown = thinNumbered(labels, slot, func(l string) vg.Length { return sty.Width(l) + vg.Points(4) })
	default:
		// Rotated labels hang from their top-right corner, so they never
		// cross the axis; shifting the anchor left by half a line height
		// (rotated) centres each label's end under its bar.
		angle, every := math.Pi/4, 1
		if sty.Height("0")*1.5 > slot {
			angle = math.Pi / 2
			every = int(math.Ceil(float64(sty.Height("0")*1.15) / float64(slot)))
		}
		p.X.Tick.Label.Rotation = angle
		p.X.Tick.Label.XAlign = text.XRight
		p.X.Tick.Label.YAlign = text.YTop
		for i, l := range labels {
			labels[i] = fitWidth(sty, l, maxExtent/vg.Length(math.Sin(angle)))
		}
		shift = -float64(sty.Height("0")/2) * math.Sin(angle) / float64(slot)
		for i := range shown {
			shown[i] = i%every == 0
		}
	}
	ticks := make([]plot.Tick, 0, n)
	for i, l := range labels {
		if shown[i] {
			ticks = append(ticks, plot.Tick{Value: float64(i) + shift, Label: l})
		}
	}
	// Level end labels wider than their slot get room inside the data
	// area, clear of the y axis' numbers.
	if p.X.Tick.Label.Rotation == 0 && len(ticks) > 0 {
		half := func(t plot.Tick) float64 { return float64(sty.Width(t.Label)/2+vg.Points(2)) / float64(slot) }
		p.X.Min = math.Min(p.X.Min, ticks[0].Value-half(ticks[0]))
		p.X.Max = math.Max(p.X.Max, ticks[len(ticks)-1].Value+half(ticks[len(ticks)-1]))
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
}

// fitWidth cuts l in the middle, with an ellipsis, until it is at most w
// wide.
func fitWidth(sty text.Style, l string, w vg.Length) string {
	r := []rune(l)
	for n := len(r) - 1; n > 3 && sty.Width(l) > w; n-- {
		l = string(r[:n*2/3]) + "…" + string(r[len(r)-(n-n*2/3):])
	}
	return l
}

// shortenLabels cuts labels longer than n runes in the middle, so one
// runaway scope name cannot take over the figure.
func shortenLabels(labels []string, n int) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		r := []rune(l)
		if len(r) > n && !strings.Contains(l, "\n") {
			keep := n - 1
			l = string(r[:keep*2/3]) + "…" + string(r[len(r)-(keep-keep*2/3):])
		}
		out[i] = l
	}
	return out
}

// thinNumbered picks which labels to show when numbered labels crowd:
// numbers at multiples of the smallest step k in 2, 5, 10, 20, 50, …
// that leaves room, and every unnumbered label ("embed", "head"), which
// wins over a clashing number.
func thinNumbered(labels []string, slot vg.Length, width func(string) vg.Length) []bool {
	n := len(labels)
	isNum := make([]bool, n)
	num := make([]int, n)
	var widest vg.Length
	for i, l := range labels {
		if v, err := strconv.Atoi(l); err == nil {
			isNum[i], num[i] = true, v
			widest = max(widest, width(l))
		}
	}
	k := 1
	for _, step := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		k = step
		if vg.Length(step)*slot >= widest {
			break
		}
	}
	shown := make([]bool, n)
	for i := range labels {
		shown[i] = !isNum[i] || num[i]%k == 0
	}
	clash := func(i, j int) bool {
		return (width(labels[i])+width(labels[j]))/2 > vg.Length(j-i)*slot
	}
	last := -1
	for i := 0; i < n; i++ {
		if !shown[i] {
			continue
		}
		for last >= 0 && clash(last, i) {
			if isNum[i] {
				shown[i] = false
				break
			}
			// An unnumbered label displaces the number before it.
			shown[last] = false
			last = previousShown(shown, last)
		}
		if shown[i] {
			last = i
		}
	}
	return shown
}

func previousShown(shown []bool, i int) int {
	for i--; i >= 0; i-- {
		if shown[i] {
			return i
		}
	}
	return -1
}

// wrapLabels breaks labels wider than width into two lines of about
// equal width, at a space or before a parenthesis.
func wrapLabels(labels []string, width vg.Length, sty text.Style) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = l
		if sty.Width(l) <= width {
			continue
		}
		best := len(l)
		for j, r := range l {
			if j == 0 || (r != ' ' && r != '(') {
				continue
			}
			first, rest := l[:j], l[j:]
			if r == ' ' {
				rest = l[j+1:]
			}
			if d := abs(len(first) - len(rest)); d < best {
				best = d
				out[i] = first + "\n" + rest
			}
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// stripPrefix finds the letters most labels share before a number
// ("block" in block0…block23) and drops them from those labels.
func stripPrefix(labels []string) ([]string, string) {
	counts := map[string]int{}
	for _, l := range labels {
		if pre, ok := numbered(l); ok {
			counts[pre]++
		}
	}
	best, bestN := "", 0
	for pre, c := range counts {
		if c > bestN || (c == bestN && pre < best) {
			best, bestN = pre, c
		}
	}
	if bestN*2 < len(labels) || best == "" {
		return labels, ""
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		if pre, ok := numbered(l); ok && pre == best {
			out[i] = l[len(pre):]
		} else {
			out[i] = l
		}
	}
	return out, best
}

// numbered splits "block12" into "block" and reports whether the rest is
// all digits.
func numbered(s string) (string, bool) {
	i := strings.IndexFunc(s, unicode.IsDigit)
	if i <= 0 {
		return "", false
	}
	for _, r := range s[i:] {
		if !unicode.IsDigit(r) {
			return "", false
		}
	}
	return s[:i], true
}

// estimateDataWidth guesses the data area's width before layout, for
// choosing label rotation: the figure minus margins, legend and y axis.
func estimateDataWidth(width vg.Length, legend []legendItem, place LegendPlace) vg.Length {
	w := width - 2*margin - vg.Points(48)
	if place == LegendRight && len(legend) > 0 {
		w -= legendWidth(legend) + legendGap
	}
	return max(w, vg.Points(40))
}
