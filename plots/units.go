package plots

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// Unit says how an axis formats its values.
type Unit uint8

const (
	// Plain values are drawn as given.
	Plain Unit = iota
	// Bytes are shown in B, KiB, MiB, GiB or TiB, chosen from the largest
	// value on the axis.
	Bytes
	// Seconds are shown in ns, µs, ms or s, chosen from the largest value.
	Seconds
	// Count values are shown as they are up to 10⁴ and in thousands,
	// millions or billions above.
	Count
	// Percent values are fractions (0.9) shown as percentages (90).
	Percent
	numUnits
)

var unitNames = [numUnits]string{"plain", "bytes", "seconds", "count", "percent"}

func (u Unit) String() string {
	if u < numUnits {
		return unitNames[u]
	}
	return "Unit(" + strconv.Itoa(int(u)) + ")"
}

// Axis names a quantity and its unit. The label is the quantity alone
// ("online communication"); charts append the unit they choose ("(MiB)").
type Axis struct {
	Label string
	Unit  Unit
}

// scale is a unit chosen for one axis: values are divided by div and the
// suffix goes into the axis label.
type scale struct {
	div    float64
	suffix string
}

// pickScale chooses the display unit from the largest magnitude on an axis.
func pickScale(u Unit, maxAbs float64) scale {
	switch u {
	case Bytes:
		units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
		div := 1.0
		i := 0
		for i < len(units)-1 && maxAbs >= 1024*div {
			div *= 1024
			i++
		}
		return scale{div, units[i]}
	case Seconds:
		switch {
		case maxAbs >= 1:
			return scale{1, "s"}
		case maxAbs >= 1e-3:
			return scale{1e-3, "ms"}
		case maxAbs >= 1e-6:
			return scale{1e-6, "µs"}
		default:
			return scale{1e-9, "ns"}
		}
	case Count:
		switch {
		case maxAbs >= 1e10:
			return scale{1e9, "billions"}
		case maxAbs >= 1e7:
			return scale{1e6, "millions"}
		case maxAbs >= 1e4:
			return scale{1e3, "thousands"}
		}
	case Percent:
		return scale{0.01, "%"}
	}
	return scale{1, ""}
}

// axisLabel joins a quantity with its display unit.
func axisLabel(label string, s scale) string {
	switch {
	case s.suffix == "":
		return label
	case label == "":
		return s.suffix
	}
	return label + " (" + s.suffix + ")"
}

// formatValue prints v (in base units) in the scale, with up to three
// significant digits, for value labels on bars.
func formatValue(v float64, s scale) string {
	x := v / s.div
	var txt string
	switch a := math.Abs(x); {
	case a == 0:
		txt = "0"
	case a >= 100:
		txt = strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 10:
		txt = strconv.FormatFloat(x, 'f', 1, 64)
	case a >= 0.01:
		txt = strconv.FormatFloat(x, 'f', 2, 64)
	default:
		txt = strconv.FormatFloat(x, 'g', 2, 64)
	}
	switch s.suffix {
	case "":
		return txt
	case "%":
		return txt + "%"
	case "thousands":
		return txt + "k"
	case "millions":
		return txt + "M"
	case "billions":
		return txt + "G"
	}
	return txt + " " + s.suffix
}

// linearTicks returns about target ticks covering [lo, hi] at a step of
// 1, 2, 2.5 or 5 × 10^k, and the range widened to whole steps.
// Integer axes (plain counts, bytes) never step below 1.
func linearTicks(lo, hi float64, target int, integer bool) (ticks []plot.Tick, tlo, thi float64) {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(target)
	if integer {
		raw = math.Max(raw, 1)
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw*(1-1e-9) {
			step = f * mag
			break
		}
	}
	// Snap to the grid, with a tolerance so float noise does not add a step.
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	// As many decimals as the step needs: 0.25 needs two, 0.5 one.
	decimals := 0
	for decimals < 12 {
		x := step * math.Pow(10, float64(decimals))
		if math.Abs(x-math.Round(x)) < 1e-6*x {
			break
		}
		decimals++
	}
	useExp := step >= 1e6 || (step < 1e-4 && step > 0)
	for k := first; k <= last; k++ {
		v := k * step
		var lbl string
		if useExp {
			lbl = strconv.FormatFloat(v, 'g', 3, 64)
		} else {
			lbl = strconv.FormatFloat(v, 'f', decimals, 64)
		}
		if lbl == "-0" || strings.Trim(lbl, "-0.") == "" {
			lbl = "0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: lbl})
	}
	return ticks, first * step, last * step
}

var superscripts = map[rune]rune{'0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻'}

// decadeLabel prints 10^e as a decimal when short, else as 10 with a
// superscript exponent.
func decadeLabel(e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', max(0, -e), 64)
	}
	var b strings.Builder
	b.WriteString("10")
	for _, r := range strconv.Itoa(e) {
		b.WriteRune(superscripts[r])
	}
	return b.String()
}

// logTicks returns ticks for a log axis over [lo, hi] (both > 0): labelled
// decades and unlabelled minor ticks, with the range widened to decades.
// Narrow ranges (under two decades) also label 2× and 5×.
func logTicks(lo, hi float64) (ticks []plot.Tick, tlo, thi float64) {
	e0 := int(math.Floor(math.Log10(lo) + 1e-9))
	e1 := int(math.Ceil(math.Log10(hi) - 1e-9))
	if e1 <= e0 {
		e1 = e0 + 1
	}
	narrow := e1-e0 <= 2
	for e := e0; e <= e1; e++ {
		d := math.Pow(10, float64(e))
		ticks = append(ticks, plot.Tick{Value: d, Label: decadeLabel(e)})
		if e == e1 {
			break
		}
		for m := 2; m <= 9; m++ {
			t := plot.Tick{Value: float64(m) * d}
			if narrow && (m == 2 || m == 5) {
				t.Label = strconv.FormatFloat(float64(m)*d, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks, math.Pow(10, float64(e0)), math.Pow(10, float64(e1))
}

// valueTicks puts ticks exactly at the given values (sorted, distinct),
// for knob axes with few settings.
func valueTicks(vals []float64) []plot.Tick {
	ticks := make([]plot.Tick, len(vals))
	for i, v := range vals {
		ticks[i] = plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 4, 64)}
	}
	return ticks
}
