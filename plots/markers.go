package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// marker is a point shape for lines and scatter charts. Shapes differ, so
// lines stay apart without colour.
type marker uint8

const (
	markCircle marker = iota
	markSquare
	markTriangle
	markDiamond
	markTriangleDown
	markPentagon
	numMarkers
)

// path is the marker outline around pt with "radius" r.
func (m marker) path(pt vg.Point, r vg.Length) vg.Path {
	var p vg.Path
	poly := func(n int, rot float64, scale vg.Length) {
		for i := 0; i < n; i++ {
			a := rot + 2*math.Pi*float64(i)/float64(n)
			q := vg.Point{X: pt.X + scale*vg.Length(math.Cos(a)), Y: pt.Y + scale*vg.Length(math.Sin(a))}
			if i == 0 {
				p.Move(q)
			} else {
				p.Line(q)
			}
		}
		p.Close()
	}
	switch m % numMarkers {
	case markCircle:
		p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		p.Arc(pt, r, 0, 2*math.Pi)
		p.Close()
	case markSquare:
		poly(4, math.Pi/4, r*1.25)
	case markTriangle:
		poly(3, math.Pi/2, r*1.35)
	case markDiamond:
		poly(4, 0, r*1.35)
	case markTriangleDown:
		poly(3, -math.Pi/2, r*1.35)
	case markPentagon:
		poly(5, math.Pi/2, r*1.2)
	}
	return p
}

// draw fills the marker (with a white rim, so it reads over lines and
// other markers) or, hollow, outlines it.
func (m marker) draw(c draw.Canvas, pt vg.Point, col color.Color, filled bool, r vg.Length) {
	p := m.path(pt, r)
	if filled {
		c.SetColor(col)
		c.Fill(p)
		c.SetLineStyle(draw.LineStyle{Color: color.White, Width: vg.Points(0.6)})
		c.Stroke(p)
		return
	}
	c.SetColor(color.White)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: col, Width: vg.Points(1)})
	c.Stroke(p)
}
