package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bar is one drawn bar: segments stacked bottom first, in display units.
type bar struct {
	cat, member int
	segs        []seg
	label       string // drawn above the bar
}

// noKind marks a segment drawn in a series style rather than a kind's.
const noKind Kind = 255

type seg struct {
	kind  Kind
	style Style
	value float64
}

func (b bar) total() float64 {
	t := 0.0
	for _, s := range b.segs {
		t += s.value
	}
	return t
}

// barPlot draws bars at category x positions; members share a category
// side by side (grouped bars). It is added after the grid, so the grid
// stays under it.
type barPlot struct {
	bars    []bar
	members int
	logY    bool
}

const groupWidth = 0.78

// rect is a segment's rectangle in data coordinates.
type rect struct {
	x0, x1, y0, y1 float64
}

// segmentRects lays out every segment: the geometry Plot draws and tests
// check. floor is the log axis' bottom (0 for linear).
func (b *barPlot) segmentRects(floor float64) [][]rect {
	slot := groupWidth / float64(b.members)
	gap := 0.0
	if b.members > 1 {
		gap = slot * 0.1
	}
	out := make([][]rect, len(b.bars))
	for i, br := range b.bars {
		x0 := float64(br.cat) - groupWidth/2 + float64(br.member)*slot + gap/2
		x1 := x0 + slot - gap
		cum := 0.0
		out[i] = make([]rect, len(br.segs))
		for k, s := range br.segs {
			lo, hi := cum, cum+s.value
			cum = hi
			if b.logY {
				lo = math.Max(lo, floor)
				hi = math.Max(hi, lo)
			}
			out[i][k] = rect{x0, x1, lo, hi}
		}
	}
	return out
}

func (b *barPlot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	floor := 0.0
	if b.logY {
		floor = p.Y.Min
	}
	clampY := func(y vg.Length) vg.Length { return max(c.Min.Y, min(c.Max.Y, y)) }
	sep := draw.LineStyle{Color: color.White, Width: vg.Points(0.6)}
	for i, rs := range b.segmentRects(floor) {
		br := b.bars[i]
		drawn := false
		for k, r := range rs {
			if !(r.y1 > r.y0) {
				continue
			}
			box := vg.Rectangle{
				Min: vg.Point{X: trX(r.x0), Y: clampY(trY(r.y0))},
				Max: vg.Point{X: trX(r.x1), Y: clampY(trY(r.y1))},
			}
			fillStyled(c, box, br.segs[k].style)
			if drawn && box.Max.Y-box.Min.Y > 1.2 {
				c.StrokeLine2(sep, box.Min.X, box.Min.Y, box.Max.X, box.Min.Y)
			}
			drawn = true
		}
		if br.label != "" && len(rs) > 0 {
			top := math.Max(rs[len(rs)-1].y1, floor)
			if b.logY && top <= floor {
				top = p.Y.Min
			}
			sty := textStyle(sansFont, noteSize, inkColor)
			sty.XAlign = text.XCenter
			sty.YAlign = text.YBottom
			x := trX((rs[0].x0 + rs[0].x1) / 2)
			c.FillText(sty, vg.Point{X: x, Y: trY(top) + vg.Points(2)}, br.label)
		}
	}
}

// bandPlot shades categories run on the client in plaintext, full height,
// behind grid and bars, and names the shading when it fits.
type bandPlot struct {
	runs  [][2]int // inclusive category ranges
	label string
}

func (b bandPlot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := textStyle(sansFont, noteSize, mutedColor)
	sty.XAlign = text.XCenter
	sty.YAlign = text.YTop
	for _, r := range b.runs {
		x0 := max(c.Min.X, trX(float64(r[0])-0.5))
		x1 := min(c.Max.X, trX(float64(r[1])+0.5))
		box := vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}
		fillRect(c, box, bandColor)
		if b.label != "" && sty.Width(b.label) < x1-x0-vg.Points(4) {
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: c.Max.Y - vg.Points(2)}, b.label)
		}
	}
}

// runs turns per-category flags into inclusive index ranges.
func runs(flags []bool) [][2]int {
	var out [][2]int
	for i := 0; i < len(flags); i++ {
		if !flags[i] {
			continue
		}
		j := i
		for j+1 < len(flags) && flags[j+1] {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// barSpec is what a bar chart's plot is built from, in base units.
type barSpec struct {
	axis             Axis
	maxTotal, minPos float64
	headroom         float64
	cats             []string
	xLabel           string
	dataWidth        vg.Length // estimated, for label layout
	maxExtent        vg.Length // how far rotated labels may reach
	bands            []bool    // categories to shade as client-side, or nil
	bars             []bar
	members          int
	logY             bool
}

// build makes a fresh plot: shading first, then the grid, then bars.
func (s barSpec) build() (*plot.Plot, error) {
	p := newPlot()
	headroom := s.headroom
	anyBand := len(runs(s.bands)) > 0
	if anyBand {
		headroom = math.Max(headroom, 0.1) // room for the band's label
	}
	sc, err := valueAxis(&p.Y, s.axis, 0, s.maxTotal, s.minPos, s.logY, headroom, 5)
	if err != nil {
		return nil, err
	}
	categoryAxis(p, s.cats, s.dataWidth, s.xLabel, s.maxExtent)
	if anyBand {
		p.Add(bandPlot{runs: runs(s.bands), label: "client (plaintext)"})
	}
	p.Add(horizontalGrid())
	p.Add(&barPlot{bars: scaleBars(s.bars, sc), members: s.members, logY: s.logY})
	return p, nil
}

// scaleBars converts bar values to display units.
func scaleBars(bars []bar, s scale) []bar {
	out := make([]bar, len(bars))
	for i, b := range bars {
		out[i] = b
		out[i].segs = make([]seg, len(b.segs))
		for k, sg := range b.segs {
			sg.value /= s.div
			out[i].segs[k] = sg
		}
	}
	return out
}
