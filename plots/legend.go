package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendItem is one legend entry: a label and how to draw its key.
type legendItem struct {
	label string
	thumb thumb
}

type thumbKind uint8

const (
	thumbSwatch thumbKind = iota // a filled, hatched box
	thumbBand                    // the light band behind client layers
	thumbLine                    // a line with a marker
	thumbMarker                  // a marker alone
)

type thumb struct {
	kind   thumbKind
	style  Style
	dashes []vg.Length
	mark   marker
	filled bool
}

func (t thumb) width() vg.Length {
	if t.kind == thumbLine {
		return lineThumbW
	}
	return swatchW
}

// draw draws the key with its left edge at x, vertically centred on y.
func (t thumb) draw(c draw.Canvas, x, y vg.Length) {
	switch t.kind {
	case thumbSwatch, thumbBand:
		r := vg.Rectangle{Min: vg.Point{X: x, Y: y - swatchH/2}, Max: vg.Point{X: x + swatchW, Y: y + swatchH/2}}
		if t.kind == thumbBand {
			fillRect(c, r, bandColor)
			strokeRect(c, r, gridColor, 0.5)
			return
		}
		fillStyled(c, r, t.style)
		strokeRect(c, r, outlineGrey, 0.3)
	case thumbLine:
		sty := draw.LineStyle{Color: t.style.Color, Width: vg.Points(1.5), Dashes: t.dashes}
		c.StrokeLine2(sty, x, y, x+lineThumbW, y)
		t.mark.draw(c, vg.Point{X: x + lineThumbW/2, Y: y}, t.style.Color, true, vg.Points(3))
	case thumbMarker:
		t.mark.draw(c, vg.Point{X: x + swatchW/2, Y: y}, t.style.Color, t.filled, vg.Points(3))
	}
}

func legendText() text.Style {
	sty := textStyle(sansFont, legendSize, inkColor)
	sty.YAlign = text.YCenter
	return sty
}

// legendWidth is the width of a legend drawn as a column.
func legendWidth(items []legendItem) vg.Length {
	sty := legendText()
	var w vg.Length
	for _, it := range items {
		w = max(w, sty.Width(it.label))
	}
	return thumbColumn(items) + 4 + w
}

// thumbColumn is the widest key, so a column's labels line up.
func thumbColumn(items []legendItem) vg.Length {
	var w vg.Length
	for _, it := range items {
		w = max(w, it.thumb.width())
	}
	return w
}

func legendRowHeight() vg.Length {
	return max(legendText().Height("Mg"), swatchH) + legendRowGap
}

// drawLegendColumn draws items top-down from (x, top).
func drawLegendColumn(c draw.Canvas, items []legendItem, x, top vg.Length) {
	sty := legendText()
	rowH := legendRowHeight()
	y := top - rowH/2
	keys := thumbColumn(items)
	for _, it := range items {
		it.thumb.draw(c, x+(keys-it.thumb.width())/2, y)
		c.FillText(sty, vg.Point{X: x + keys + 4, Y: y}, it.label)
		y -= rowH
	}
}

// drawLegendRows flows items left to right between x0 and x1 from top
// down, and returns the height used.
func drawLegendRows(c draw.Canvas, items []legendItem, x0, x1, top vg.Length) vg.Length {
	sty := legendText()
	rowH := legendRowHeight()
	x, y := x0, top-rowH/2
	const itemGap = 12
	for _, it := range items {
		w := it.thumb.width() + 4 + sty.Width(it.label)
		if x > x0 && x+w > x1 {
			x = x0
			y -= rowH
		}
		it.thumb.draw(c, x, y)
		c.FillText(sty, vg.Point{X: x + it.thumb.width() + 4, Y: y}, it.label)
		x += w + itemGap
	}
	return top - (y - rowH/2)
}

func fillRect(c draw.Canvas, r vg.Rectangle, col color.Color) {
	c.SetColor(col)
	c.Fill(r.Path())
}

func strokeRect(c draw.Canvas, r vg.Rectangle, col color.Color, width float64) {
	c.SetLineStyle(draw.LineStyle{Color: col, Width: vg.Points(width)})
	c.Stroke(r.Path())
}

// fillStyled fills r with the style's colour and hatch.
func fillStyled(c draw.Canvas, r vg.Rectangle, s Style) {
	fillRect(c, r, s.Color)
	if s.Hatch == NoHatch || r.Max.X-r.Min.X < 0.5 || r.Max.Y-r.Min.Y < 0.5 {
		return
	}
	path := hatchPath(r, s.Hatch, vg.Points(3.2))
	if len(path) == 0 {
		return
	}
	col := hatchLight
	if s.Luminance() > 0.5 {
		col = hatchDark
	}
	c.SetLineStyle(draw.LineStyle{Color: col, Width: vg.Points(0.55)})
	c.Stroke(path)
}

// hatchPath is one path of hatch strokes clipped to r. Lines sit on a grid
// fixed to the page, so hatches of stacked segments line up.
func hatchPath(r vg.Rectangle, h Hatch, step vg.Length) vg.Path {
	var p vg.Path
	seg := func(x0, y0, x1, y1 vg.Length) {
		p.Move(vg.Point{X: x0, Y: y0})
		p.Line(vg.Point{X: x1, Y: y1})
	}
	x0, y0, x1, y1 := r.Min.X, r.Min.Y, r.Max.X, r.Max.Y
	first := func(lo vg.Length) vg.Length { return vg.Length(math.Ceil(float64(lo/step))) * step }
	diag := func() { // lines y = x - k
		for k := first(x0 - y1); k <= x1-y0; k += step {
			sx := max(x0, y0+k)
			ex := min(x1, y1+k)
			if ex > sx {
				seg(sx, sx-k, ex, ex-k)
			}
		}
	}
	anti := func() { // lines y = k - x
		for k := first(x0 + y0); k <= x1+y1; k += step {
			sx := max(x0, k-y1)
			ex := min(x1, k-y0)
			if ex > sx {
				seg(sx, k-sx, ex, k-ex)
			}
		}
	}
	switch h {
	case Diagonal:
		diag()
	case AntiDiagonal:
		anti()
	case Cross:
		diag()
		anti()
	case Horizontal:
		for y := first(y0); y <= y1; y += step {
			seg(x0, y, x1, y)
		}
	case Vertical:
		for x := first(x0); x <= x1; x += step {
			seg(x, y0, x, y1)
		}
	}
	return p
}
