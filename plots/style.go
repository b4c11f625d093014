package plots

import (
	"image/color"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// Hatch is a fill pattern drawn over a bar's colour, so series stay
// apart where colours do not: in greyscale prints and for readers with
// colour-vision deficiencies.
type Hatch uint8

const (
	NoHatch Hatch = iota
	// Diagonal lines rise to the right (/).
	Diagonal
	// AntiDiagonal lines fall to the right (\).
	AntiDiagonal
	// Cross is both diagonals (x).
	Cross
	// Horizontal lines (-).
	Horizontal
	// Vertical lines (|).
	Vertical
)

var hatchNames = [...]string{"none", "/", "\\", "x", "-", "|"}

func (h Hatch) String() string {
	if int(h) < len(hatchNames) {
		return hatchNames[h]
	}
	return "Hatch(" + strconv.Itoa(int(h)) + ")"
}

// Style is how one series is drawn: a fill colour and a hatch.
type Style struct {
	Color color.RGBA
	Hatch Hatch
}

// Luminance is the style's grey level in [0, 1] (ITU-R BT.601 luma, the
// weights greyscale conversion and most printers use).
func (s Style) Luminance() float64 { return luma(s.Color) }

func luma(c color.RGBA) float64 {
	return (0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)) / 255
}

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 255}
}

// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
// designed to stay distinguishable under the common colour-vision
// deficiencies.
var (
	okBlue      = rgb(0x0072B2)
	okOrange    = rgb(0xE69F00)
	okGreen     = rgb(0x009E73)
	okSky       = rgb(0x56B4E9)
	okVermilion = rgb(0xD55E00)
	okYellow    = rgb(0xF0E442)
	okPurple    = rgb(0xCC79A7)
	neutralGrey = rgb(0xBDBDBD)
	darkGrey    = rgb(0x595959)
)

// kindStyles: colours whose grey levels are close (orange, sky blue and
// purple; green and vermilion) get different hatches, and stack neighbours
// differ in grey level; TestPaletteGreyscale checks both.
var kindStyles = [...]Style{
	Linear:     {okBlue, NoHatch},
	Softmax:    {okOrange, NoHatch},
	Activation: {okGreen, Diagonal},
	Norms:      {okSky, AntiDiagonal},
	Truncation: {okVermilion, NoHatch},
	Sharing:    {okYellow, NoHatch},
	Other:      {okPurple, Cross},
	Client:     {neutralGrey, Diagonal},
}

// KindStyle is the style charts draw a kind in.
func KindStyle(k Kind) Style {
	if int(k) < len(kindStyles) {
		return kindStyles[k]
	}
	return Style{Color: neutralGrey, Hatch: Horizontal}
}

// seriesStyles are for compared reports and ablation lines; neighbours
// (bars side by side in a group) differ in grey level too.
var seriesStyles = [...]Style{
	{okBlue, NoHatch},
	{okOrange, NoHatch},
	{okGreen, Diagonal},
	{okSky, AntiDiagonal},
	{okVermilion, NoHatch},
	{okPurple, Cross},
	{okYellow, NoHatch},
	{darkGrey, Horizontal},
}

// SeriesStyle is the style of the i-th compared report or line. Past the
// eighth, colours repeat with another hatch.
func SeriesStyle(i int) Style {
	if i < 0 {
		i = 0
	}
	s := seriesStyles[i%len(seriesStyles)]
	if round := i / len(seriesStyles); round > 0 {
		s.Hatch = Hatch(1 + (int(s.Hatch)+round-1)%5)
	}
	return s
}

// Line dashes and markers for ablation lines, so lines stay apart in
// greyscale too.
var lineDashes = [][]vg.Length{
	nil,
	{vg.Points(5), vg.Points(2.5)},
	{vg.Points(1.5), vg.Points(1.5)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// Chart furniture.
var (
	inkColor    = color.RGBA{0x1A, 0x1A, 0x1A, 0xFF}
	mutedColor  = color.RGBA{0x55, 0x55, 0x55, 0xFF}
	gridColor   = color.RGBA{0xDD, 0xDD, 0xDD, 0xFF}
	bandColor   = color.RGBA{0xEE, 0xEE, 0xEE, 0xFF}
	hatchDark   = color.NRGBA{0x26, 0x26, 0x26, 0xB0}
	hatchLight  = color.NRGBA{0xFF, 0xFF, 0xFF, 0xC8}
	outlineGrey = color.RGBA{0x80, 0x80, 0x80, 0xFF}
)

const (
	titleSize    = 11
	subtitleSize = 8.5
	labelSize    = 9.5
	tickSize     = 8.5
	legendSize   = 8.5
	noteSize     = 7.5
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// textStyle builds a text style with the plain handler over the fonts
// gonum/plot embeds, so charts render on machines without fonts.
func textStyle(f font.Font, size float64, c color.Color) text.Style {
	f.Size = vg.Points(size)
	return text.Style{Color: c, Font: f, Handler: textHandler}
}

var textHandler = text.Plain{Fonts: font.DefaultCache}
