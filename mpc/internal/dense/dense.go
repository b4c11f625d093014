package dense

import (
	"fmt"
	"math"
	"runtime"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
	"github.com/marill-go/marill/mpc/ring"
)

// Args describe one operation: its name (mpc.Op*), operands, result shape
// and attributes.
type Args struct {
	Op      string
	In      [][]float64
	Shapes  []mpc.Shape
	Out     mpc.Shape
	GeLU    mpc.GeLUKind
	SiLU    mpc.SiLUKind
	Softmax mpc.SoftmaxKind
	Causal  bool
	Eps     float64
	C       float64 // Scale and AddConst
	Args    []int   // heads, or the row range
	IDs     []int   // Embed
}

// Compute evaluates the operation.
func Compute(a Args) ([]float64, error) {
	x := a.In[0]
	switch a.Op {
	case mpc.OpAdd, mpc.OpSub, mpc.OpMul:
		bi := BroadcastIndex(a.Shapes[0], a.Shapes[1])
		y := a.In[1]
		out := make([]float64, len(x))
		for i, u := range x {
			v := y[bi(i)]
			switch a.Op {
			case mpc.OpAdd:
				out[i] = u + v
			case mpc.OpSub:
				out[i] = u - v
			default:
				out[i] = u * v
			}
		}
		return out, nil
	case mpc.OpNeg:
		return Map(x, func(v float64) float64 { return -v }), nil
	case mpc.OpScale:
		return Map(x, func(v float64) float64 { return a.C * v }), nil
	case mpc.OpAddConst:
		return Map(x, func(v float64) float64 { return v + a.C }), nil
	case mpc.OpMatMul:
		return MatMul(x, a.In[1], a.Shapes[0], a.Shapes[1]), nil
	case mpc.OpSum:
		return Rowwise(x, a.Shapes[0].Cols(), 1, func(_ int, dst, row []float64) {
			s := 0.0
			for _, v := range row {
				s += v
			}
			dst[0] = s
		}), nil
	case mpc.OpEmbed:
		d := a.Out[1]
		out := make([]float64, 0, a.Out.Size())
		for _, id := range a.IDs {
			out = append(out, x[id*d:(id+1)*d]...)
		}
		return out, nil
	case mpc.OpTranspose, mpc.OpSplitHeads, mpc.OpMergeHeads, mpc.OpRows, mpc.OpRotateHalf:
		src, neg := GatherIndex(a.Op, a.Shapes[0], a.Out, a.Args)
		out := make([]float64, len(src))
		for i, s := range src {
			out[i] = x[s]
			if neg != nil && neg(i) {
				out[i] = -out[i]
			}
		}
		return out, nil
	case mpc.OpReLU:
		return Map(x, fn.ReLU), nil
	case mpc.OpGeLU:
		return Map(x, func(v float64) float64 { return fn.GeLU(v, a.GeLU) }), nil
	case mpc.OpSiLU:
		return Map(x, func(v float64) float64 { return fn.SiLU(v, a.SiLU) }), nil
	case mpc.OpTanh:
		return Map(x, math.Tanh), nil
	case mpc.OpExp:
		return Map(x, math.Exp), nil
	case mpc.OpReciprocal:
		return Map(x, func(v float64) float64 { return 1 / v }), nil
	case mpc.OpRsqrt:
		return Map(x, func(v float64) float64 { return 1 / math.Sqrt(v) }), nil
	case mpc.OpMax:
		return Rowwise(x, a.Shapes[0].Cols(), 1, func(_ int, dst, row []float64) {
			m := math.Inf(-1)
			for _, v := range row {
				m = math.Max(m, v)
			}
			dst[0] = m
		}), nil
	case mpc.OpSoftmax:
		c, rows := a.Shapes[0].Cols(), a.Shapes[0].Rows()
		return Rowwise(x, c, c, func(r int, dst, row []float64) {
			valid := c
			if a.Causal {
				valid = r%rows + 1
			}
			fn.Softmax(dst, row, a.Softmax, valid)
		}), nil
	case mpc.OpLayerNorm:
		g, b := a.In[1], a.In[2]
		d := a.Shapes[0].Cols()
		return Rowwise(x, d, d, func(_ int, dst, row []float64) { fn.LayerNorm(dst, row, g, b, a.Eps) }), nil
	case mpc.OpRMSNorm:
		g := a.In[1]
		d := a.Shapes[0].Cols()
		return Rowwise(x, d, d, func(_ int, dst, row []float64) { fn.RMSNorm(dst, row, g, a.Eps) }), nil
	}
	return nil, fmt.Errorf("mpc: no plaintext rule for %q", a.Op)
}

// Map applies f elementwise.
func Map(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// Rowwise applies f to each row of cols values, writing outCols per row.
func Rowwise(x []float64, cols, outCols int, f func(r int, dst, row []float64)) []float64 {
	rows := len(x) / cols
	out := make([]float64, rows*outCols)
	for r := 0; r < rows; r++ {
		f(r, out[r*outCols:(r+1)*outCols], x[r*cols:(r+1)*cols])
	}
	return out
}

// MatMul multiplies [batch?, m, k] by [k, n] or [batch, k, n]. A large
// product uses every core: the plaintext engines and the client's frozen
// layers (whose peer is idle) are its callers, and the result is the same
// on any number of cores.
func MatMul(x, y []float64, as, bs mpc.Shape) []float64 {
	m, k, n := as.Rows(), as.Cols(), bs.Cols()
	batch := 1
	if len(as) == 3 {
		batch = as[0]
	}
	bStride := 0
	if len(bs) == 3 {
		bStride = k * n
	}
	out := make([]float64, batch*m*n)
	for h := 0; h < batch; h++ {
		ring.MatMulFloat64Parallel(out[h*m*n:(h+1)*m*n], x[h*m*k:(h+1)*m*k], y[h*bStride:h*bStride+k*n], m, k, n, runtime.NumCPU())
	}
	return out
}

// BroadcastIndex maps an output index to b's index for the broadcasts
// mpc.BroadcastShape allows.
func BroadcastIndex(a, b mpc.Shape) func(int) int {
	switch {
	case a.Equal(b):
		return func(i int) int { return i }
	case len(b) < len(a):
		n := b.Size()
		return func(i int) int { return i % n }
	default: // column: b is a with last dimension 1
		c := a.Cols()
		return func(i int) int { return i / c }
	}
}

// GatherIndex computes, for each output element of a shape operation, the
// input element it comes from, and whether it is negated (rotate half).
func GatherIndex(op string, in, out mpc.Shape, args []int) ([]int, func(int) bool) {
	src := make([]int, out.Size())
	switch op {
	case mpc.OpTranspose:
		r, c := in.Rows(), in.Cols()
		for b := 0; b < in.Size()/(r*c); b++ {
			for i := 0; i < c; i++ {
				for j := 0; j < r; j++ {
					src[b*r*c+i*r+j] = b*r*c + j*c + i
				}
			}
		}
	case mpc.OpSplitHeads:
		h, n, d := out[0], out[1], out[2]
		for hh := 0; hh < h; hh++ {
			for i := 0; i < n; i++ {
				for j := 0; j < d; j++ {
					src[(hh*n+i)*d+j] = i*h*d + hh*d + j
				}
			}
		}
	case mpc.OpMergeHeads:
		h, n, d := in[0], in[1], in[2]
		for i := 0; i < n; i++ {
			for hh := 0; hh < h; hh++ {
				for j := 0; j < d; j++ {
					src[i*h*d+hh*d+j] = (hh*n+i)*d + j
				}
			}
		}
	case mpc.OpRows:
		from, to := args[0], args[1]
		r, c := in.Rows(), in.Cols()
		k := 0
		for b := 0; b < in.Size()/(r*c); b++ {
			for i := from; i < to; i++ {
				for j := 0; j < c; j++ {
					src[k] = b*r*c + i*c + j
					k++
				}
			}
		}
	case mpc.OpRotateHalf:
		c := in.Cols()
		half := c / 2
		for i := range src {
			row, j := i/c, i%c
			if j < half {
				src[i] = row*c + j + half
			} else {
				src[i] = row*c + j - half
			}
		}
		return src, func(i int) bool { return i%c < half }
	}
	return src, nil
}
