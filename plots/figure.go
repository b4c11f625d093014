package plots

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// PNGDPI is the resolution of PNG output: twice the 96 dpi of a CSS
// pixel, so images stay sharp on high-density screens and in print.
const PNGDPI = 192

// LegendPlace says where a chart puts its legend. Legends never cover
// data: they sit beside or above the plotting area.
type LegendPlace uint8

const (
	// LegendAuto is the chart's default: right of the data for stacked
	// bars and lines, above it for grouped bars.
	LegendAuto LegendPlace = iota
	// LegendRight stacks entries in a column right of the data.
	LegendRight
	// LegendTop flows entries in rows between the title and the data.
	LegendTop
	// LegendHidden draws no legend.
	LegendHidden
)

// Options tune a chart. The zero value gives the chart's defaults; fields
// a chart has no use for are ignored.
type Options struct {
	// Title replaces the generated title (metric, model, n, protocol,
	// network) and Subtitle the generated second line (knobs, engine).
	// NoTitle drops both.
	Title, Subtitle string
	NoTitle         bool
	// XLabel and YLabel replace the generated axis quantities; the unit a
	// chart picks is still appended, e.g. "(MiB)".
	XLabel, YLabel string
	// Width and Height are the figure's size in inches; zero picks the
	// chart's default (7 × 3.8, a two-column paper width).
	Width, Height float64
	// LogX and LogY draw that axis on a log scale. Values must then be
	// positive; stacked bars keep exact totals but their segments are
	// drawn from the axis floor.
	LogX, LogY bool
	// Legend places the legend.
	Legend LegendPlace
}

const (
	defaultWidth  = 7.0
	defaultHeight = 3.8
	maxInches     = 40.0
)

func (o Options) size() (w, h vg.Length, err error) {
	wi, hi := o.Width, o.Height
	if wi == 0 {
		wi = defaultWidth
	}
	if hi == 0 {
		hi = defaultHeight
	}
	if !(wi >= 1 && wi <= maxInches) || !(hi >= 1 && hi <= maxInches) {
		return 0, 0, fmt.Errorf("plots: figure size %g × %g in out of range [1, %g] inches", o.Width, o.Height, maxInches)
	}
	if o.Legend > LegendHidden {
		return 0, 0, fmt.Errorf("plots: unknown legend place %d", o.Legend)
	}
	return vg.Length(wi) * vg.Inch, vg.Length(hi) * vg.Inch, nil
}

// Figure is a finished chart. It renders on demand, errors as values:
// PNG and SVG (the methods the REPL and Jupyter kernel look for, so a
// Figure left as a cell's value displays itself), PDF, and Save to a
// file. A Figure is immutable and safe for concurrent use.
//
// Charts are validated when built, so rendering does not fail in
// practice; should gonum fail while drawing, the error is returned.
// Nothing panics.
type Figure struct {
	name          string
	width, height vg.Length
	title         []string
	subtitle      string
	legend        []legendItem
	legendPlace   LegendPlace
	// build returns a fresh plot: gonum plots change while drawing.
	build func() (*plot.Plot, error)

	// What bar charts draw, in base units, kept for tests.
	cats  []string
	bars  []bar
	bands []bool
}

// String describes the figure in one line, for REPLs.
func (f *Figure) String() string {
	w, h := f.DisplaySize()
	return fmt.Sprintf("plots.Figure{%s: %q, %.3g×%.3g in, %d×%d px at 96 dpi (PNG at %d dpi)}",
		f.name, strings.Join(f.title, " "), f.width/vg.Inch, f.height/vg.Inch, w, h, PNGDPI)
}

// DisplaySize is the figure's size in CSS pixels (96 per inch). The PNG
// has twice as many pixels each way; notebooks should display it at this
// size (Jupyter: metadata {"image/png": {"width": w, "height": h}}).
func (f *Figure) DisplaySize() (width, height int) {
	return int(math.Round(f.width.Dots(96))), int(math.Round(f.height.Dots(96)))
}

// PNG renders the figure as a PNG at PNGDPI, with the resolution recorded
// in the file so documents place it at its size in inches; DisplaySize is
// the size to show it at on screen.
func (f *Figure) PNG() ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.width, f.height), vgimg.UseDPI(PNGDPI))
	if err := f.drawOn(draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("plots: encode PNG: %w", err)
	}
	return withPHYs(buf.Bytes(), PNGDPI), nil
}

// SVG renders the figure as an SVG document. Text is measured with
// Liberation Sans and names Arial, Helvetica and sans-serif as fallbacks;
// the output is deterministic byte for byte.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.width, f.height)
	if err := f.drawOn(draw.New(c)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: encode SVG: %w", err)
	}
	return fontFallback(buf.Bytes()), nil
}

// PDF renders the figure as a PDF with embedded fonts, for papers.
func (f *Figure) PDF() ([]byte, error) {
	c := vgpdf.New(f.width, f.height)
	if err := f.drawOn(draw.New(pdfCanvas{c})); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plots: encode PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// Save writes the figure to path, in the format its extension names:
// .png, .svg or .pdf.
func (f *Figure) Save(path string) error {
	var b []byte
	var err error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		b, err = f.PNG()
	case ".svg":
		b, err = f.SVG()
	case ".pdf":
		b, err = f.PDF()
	default:
		return fmt.Errorf("plots: cannot save %q: unknown extension %q (want .png, .svg or .pdf)", path, ext)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}

// pdfCanvas works around vgpdf (v0.17) registering every font under the
// plain style and then asking for bold ones under "B": a bold face is
// passed on as a regular face of its own family name.
type pdfCanvas struct{ *vgpdf.Canvas }

func (c pdfCanvas) FillString(f font.Face, pt vg.Point, s string) {
	if f.Font.Weight != xfont.WeightNormal {
		f.Font.Variant += "Bold"
		f.Font.Weight = xfont.WeightNormal
	}
	c.Canvas.FillString(f, pt, s)
}

// fontFallback names fallbacks after the embedded font's family, so
// viewers without Liberation Sans use a metric-compatible font.
func fontFallback(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}

// withPHYs inserts a pHYs chunk (pixels per metre) after the PNG's IHDR.
func withPHYs(p []byte, dpi int) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, length, type, data, CRC
	if len(p) < ihdrEnd {
		return p
	}
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	out := make([]byte, 0, len(p)+len(chunk))
	out = append(out, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

// Layout constants, in points.
const (
	margin       = 8
	titleGap     = 3
	legendGap    = 10
	legendRowGap = 3
	swatchW      = 11
	swatchH      = 8
	lineThumbW   = 22
)

// drawOn draws the whole figure; gonum panics (it has a few) become errors.
func (f *Figure) drawOn(c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: render %s: %v", f.name, r)
		}
	}()
	p, err := f.build()
	if err != nil {
		return err
	}
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	area := draw.Crop(c, margin, -margin, margin, -margin)
	top := area.Max.Y
	titleSty := textStyle(boldFont, titleSize, inkColor)
	titleSty.YAlign = text.YTop
	for _, line := range f.title {
		area.FillText(titleSty, vg.Point{X: area.Min.X, Y: top}, line)
		top -= titleSty.Height(line) + 1
	}
	if f.subtitle != "" {
		sub := textStyle(sansFont, subtitleSize, mutedColor)
		sub.YAlign = text.YTop
		for _, line := range wrapText(sub, f.subtitle, area.Max.X-area.Min.X) {
			area.FillText(sub, vg.Point{X: area.Min.X, Y: top}, line)
			top -= sub.Height(line) + 1
		}
	}
	if len(f.title) > 0 || f.subtitle != "" {
		top -= titleGap + 4
	}
	plotArea := area
	plotArea.Max.Y = top

	if len(f.legend) > 0 {
		switch f.legendPlace {
		case LegendRight:
			w := legendWidth(f.legend)
			plotArea.Max.X -= w + legendGap
			dataTop := p.DataCanvas(plotArea).Max.Y
			drawLegendColumn(area, f.legend, plotArea.Max.X+legendGap, dataTop)
		case LegendTop:
			h := drawLegendRows(area, f.legend, area.Min.X, area.Max.X, top)
			plotArea.Max.Y -= h + legendGap
		}
	}
	p.X.Label.Text = fitLabel(p.X.Label.TextStyle, p.X.Label.Text, (plotArea.Max.X-plotArea.Min.X)*0.9)
	p.Y.Label.Text = fitLabel(p.Y.Label.TextStyle, p.Y.Label.Text, (plotArea.Max.Y-plotArea.Min.Y)*0.8)
	p.Draw(plotArea)
	return nil
}

// fitLabel breaks an axis label longer than length into two lines: after
// a comma, before a parenthesis, or at the middle space.
func fitLabel(sty text.Style, label string, length vg.Length) string {
	if sty.Width(label) <= length {
		return label
	}
	if i := strings.LastIndex(label, ", "); i > 0 {
		return label[:i+1] + "\n" + label[i+2:]
	}
	if i := strings.LastIndex(label, " ("); i > 0 {
		return label[:i] + "\n" + label[i+1:]
	}
	best, at := len(label), -1
	for i, r := range label {
		if r == ' ' {
			if d := abs(len(label) - 2*i); d < best {
				best, at = d, i
			}
		}
	}
	if at < 0 {
		return label
	}
	return label[:at] + "\n" + label[at+1:]
}

// wrapText breaks txt at " · " separators (then at spaces) to fit width.
func wrapText(sty text.Style, txt string, width vg.Length) []string {
	if txt == "" || sty.Width(txt) <= width {
		return []string{txt}
	}
	sep := " · "
	parts := strings.Split(txt, sep)
	if len(parts) == 1 {
		sep = " "
		parts = strings.Split(txt, sep)
	}
	var lines []string
	cur := ""
	for _, part := range parts {
		next := part
		if cur != "" {
			next = cur + sep + part
		}
		if cur != "" && sty.Width(next) > width {
			lines = append(lines, cur)
			next = part
		}
		cur = next
	}
	return append(lines, cur)
}

// titleLines joins title parts with " · " and wraps them to the figure.
func titleLines(parts []string, width vg.Length) []string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	sty := textStyle(boldFont, titleSize, inkColor)
	return wrapText(sty, strings.Join(keep, " · "), width-2*margin)
}

// figureTitle fills a figure's title and subtitle from generated parts
// and the options.
func (f *Figure) setTitle(o Options, parts []string, subtitle string) {
	if o.NoTitle {
		return
	}
	if o.Title != "" {
		parts = []string{o.Title}
	}
	if o.Subtitle != "" {
		subtitle = o.Subtitle
	}
	f.title = titleLines(parts, f.width)
	f.subtitle = subtitle
}
