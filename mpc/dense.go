package mpc

import (
	"fmt"
	"math"
	"strings"
)

// Source is a plaintext value handed to an engine: a weight, a constant or
// an input. Engines that compute on values call Data; engines that only
// price shapes (the simulator) never do, so a Source may produce its data
// lazily and a 7-billion-parameter model can be priced without being
// allocated.
type Source interface {
	Shape() Shape
	Data() []float64
}

// Dense is a plaintext tensor in row-major order. It is the Source engines
// accept and the value they return.
type Dense struct {
	shape Shape
	data  []float64
}

var _ Source = (*Dense)(nil)

// NewDense returns a tensor of the given shape over data (not copied). A nil
// data allocates zeros. It returns an error when the sizes disagree.
func NewDense(shape Shape, data []float64) (*Dense, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	if data == nil {
		data = make([]float64, shape.Size())
	}
	if len(data) != shape.Size() {
		return nil, fmt.Errorf("mpc: %d values do not fill shape %v (%d elements)", len(data), shape, shape.Size())
	}
	return &Dense{shape: shape.Clone(), data: data}, nil
}

// Zeros returns a zero tensor. It panics on an invalid shape (a programmer
// error, as in gonum).
func Zeros(shape ...int) *Dense {
	d, err := NewDense(Shape(shape), nil)
	if err != nil {
		panic(err)
	}
	return d
}

// FromRows builds a matrix from equal-length rows.
func FromRows(rows [][]float64) (*Dense, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("mpc: FromRows needs at least one non-empty row")
	}
	c := len(rows[0])
	data := make([]float64, 0, len(rows)*c)
	for i, r := range rows {
		if len(r) != c {
			return nil, fmt.Errorf("mpc: row %d has %d values, row 0 has %d", i, len(r), c)
		}
		data = append(data, r...)
	}
	return NewDense(Shape{len(rows), c}, data)
}

// Vector builds a rank-1 tensor.
func Vector(v ...float64) *Dense {
	d, err := NewDense(Shape{len(v)}, append([]float64(nil), v...))
	if err != nil {
		panic(err)
	}
	return d
}

// Shape returns the dimensions.
func (d *Dense) Shape() Shape { return d.shape }

// Data returns the backing slice (row-major).
func (d *Dense) Data() []float64 { return d.data }

// Len is the number of elements.
func (d *Dense) Len() int { return len(d.data) }

// At returns the element at the given index (one coordinate per dimension).
func (d *Dense) At(idx ...int) float64 { return d.data[d.offset(idx)] }

// Set stores v at the given index.
func (d *Dense) Set(v float64, idx ...int) { d.data[d.offset(idx)] = v }

func (d *Dense) offset(idx []int) int {
	if len(idx) != len(d.shape) {
		panic(fmt.Sprintf("mpc: index %v has %d coordinates for shape %v", idx, len(idx), d.shape))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= d.shape[i] {
			panic(fmt.Sprintf("mpc: index %v out of range for shape %v", idx, d.shape))
		}
		off = off*d.shape[i] + x
	}
	return off
}

// Row returns row i of a matrix as a slice of the backing data.
func (d *Dense) Row(i int) []float64 {
	c := d.shape.Cols()
	return d.data[i*c : (i+1)*c]
}

// Clone returns a deep copy.
func (d *Dense) Clone() *Dense {
	return &Dense{shape: d.shape.Clone(), data: append([]float64(nil), d.data...)}
}

// Argmax returns the index of the largest element (the first on ties).
func (d *Dense) Argmax() int {
	best := 0
	for i, v := range d.data {
		if v > d.data[best] {
			best = i
		}
	}
	return best
}

// MaxAbs is the largest absolute value.
func (d *Dense) MaxAbs() float64 {
	m := 0.0
	for _, v := range d.data {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// Compare measures how far got is from want: the largest absolute
// difference, and that difference relative to want's largest magnitude
// (the measure used for logits throughout this project).
func Compare(got, want *Dense) (maxAbs, relToMax float64, err error) {
	if !got.shape.Equal(want.shape) {
		return 0, 0, fmt.Errorf("mpc: compare shapes %v and %v", got.shape, want.shape)
	}
	for i := range got.data {
		maxAbs = math.Max(maxAbs, math.Abs(got.data[i]-want.data[i]))
	}
	if m := want.MaxAbs(); m > 0 {
		relToMax = maxAbs / m
	} else {
		relToMax = maxAbs
	}
	return maxAbs, relToMax, nil
}

// String prints small tensors in full and large ones abbreviated.
func (d *Dense) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Dense%v", d.shape)
	c := d.shape.Cols()
	rows := len(d.data) / c
	const maxRows, maxCols = 8, 8
	for r := 0; r < rows && r < maxRows; r++ {
		b.WriteString("\n ")
		for j := 0; j < c && j < maxCols; j++ {
			fmt.Fprintf(&b, " %9.4f", d.data[r*c+j])
		}
		if c > maxCols {
			fmt.Fprintf(&b, " … (%d cols)", c)
		}
	}
	if rows > maxRows {
		fmt.Fprintf(&b, "\n  … (%d rows)", rows)
	}
	return b.String()
}
