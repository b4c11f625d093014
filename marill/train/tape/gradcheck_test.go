package tape

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/marill-go/marill/mpc"
)

// An op case builds one operation from its inputs; every input is a
// trainable source, so the check covers the gradient of every operand.
type opCase struct {
	name   string
	shapes []mpc.Shape
	vis    []mpc.Visibility // default Shared... Public for tables
	// fill draws input i's values (default: standard normal).
	fill  func(r *rand.Rand, i int, v []float64)
	build func(e *Engine, in []mpc.Tensor) mpc.Tensor
}

func normal(r *rand.Rand, _ int, v []float64) {
	for j := range v {
		v[j] = r.NormFloat64()
	}
}

// awayFromZero draws |x| in [0.2, 2.2) with random sign: kinks (ReLU at 0)
// stay farther than the finite-difference step.
func awayFromZero(r *rand.Rand, _ int, v []float64) {
	for j := range v {
		x := 0.2 + 2*r.Float64()
		if r.IntN(2) == 0 {
			x = -x
		}
		v[j] = x
	}
}

func positive(r *rand.Rand, _ int, v []float64) {
	for j := range v {
		v[j] = 0.5 + 2*r.Float64()
	}
}

func opCases() []opCase {
	sh := func(d ...int) mpc.Shape { return mpc.Shape(d) }
	var cs []opCase
	for _, bc := range []struct {
		name string
		a, b mpc.Shape
	}{{"same", sh(3, 4), sh(3, 4)}, {"row", sh(3, 4), sh(4)}, {"batched-trailing", sh(2, 3, 4), sh(3, 4)}, {"column", sh(3, 4), sh(3, 1)}} {
		for _, op := range []string{"add", "sub", "mul"} {
			op := op
			cs = append(cs, opCase{name: op + "/" + bc.name, shapes: []mpc.Shape{bc.a, bc.b},
				build: func(e *Engine, in []mpc.Tensor) mpc.Tensor {
					switch op {
					case "add":
						return e.Add(in[0], in[1])
					case "sub":
						return e.Sub(in[0], in[1])
					}
					return e.Mul(in[0], in[1])
				}})
		}
	}
	unary := func(name string, fill func(*rand.Rand, int, []float64), f func(e *Engine, x mpc.Tensor) mpc.Tensor) {
		cs = append(cs, opCase{name: name, shapes: []mpc.Shape{sh(3, 5)}, fill: fill,
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return f(e, in[0]) }})
	}
	unary("neg", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Neg(x) })
	unary("scale", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Scale(x, -1.7) })
	unary("addconst", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.AddConst(x, 0.3) })
	unary("sum", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Sum(x) })
	unary("relu", awayFromZero, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.ReLU(x) })
	for _, k := range []mpc.GeLUKind{mpc.GeLUExact, mpc.GeLUTanh, mpc.GeLUQuad, mpc.GeLUReLU} {
		k := k
		unary("gelu/"+k.String(), awayFromZero, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.GeLU(x, k) })
	}
	for _, k := range []mpc.SiLUKind{mpc.SiLUExact, mpc.SiLUQuad, mpc.SiLUReLU} {
		k := k
		unary("silu/"+k.String(), awayFromZero, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.SiLU(x, k) })
	}
	unary("tanh", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Tanh(x) })
	unary("exp", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Exp(x) })
	unary("reciprocal", positive, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Reciprocal(x) })
	unary("rsqrt", positive, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Rsqrt(x) })
	unary("max", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Max(x) })
	unary("share", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Share(x) })
	unary("reveal", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Reveal(x, mpc.Client) })
	unary("transpose", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Transpose(x) })
	unary("rows", nil, func(e *Engine, x mpc.Tensor) mpc.Tensor { return e.Rows(x, 1, 3) })

	cs = append(cs,
		opCase{name: "matmul/2d", shapes: []mpc.Shape{sh(3, 4), sh(4, 5)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.MatMul(in[0], in[1]) }},
		opCase{name: "matmul/batched-shared", shapes: []mpc.Shape{sh(2, 3, 4), sh(4, 5)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.MatMul(in[0], in[1]) }},
		opCase{name: "matmul/batched", shapes: []mpc.Shape{sh(2, 3, 4), sh(2, 4, 5)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.MatMul(in[0], in[1]) }},
		opCase{name: "transpose/3d", shapes: []mpc.Shape{sh(2, 3, 4)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.Transpose(in[0]) }},
		opCase{name: "rows/3d", shapes: []mpc.Shape{sh(2, 4, 3)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.Rows(in[0], 2, 4) }},
		opCase{name: "splitheads", shapes: []mpc.Shape{sh(3, 8)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.SplitHeads(in[0], 2) }},
		opCase{name: "mergeheads", shapes: []mpc.Shape{sh(2, 3, 4)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.MergeHeads(in[0]) }},
		opCase{name: "rotatehalf", shapes: []mpc.Shape{sh(2, 3, 6)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.RotateHalf(in[0]) }},
		opCase{name: "max/3d", shapes: []mpc.Shape{sh(2, 3, 5)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.Max(in[0]) }},
		opCase{name: "layernorm", shapes: []mpc.Shape{sh(3, 6), sh(6), sh(6)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.LayerNorm(in[0], in[1], in[2], 1e-5) }},
		opCase{name: "rmsnorm", shapes: []mpc.Shape{sh(3, 6), sh(6)},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.RMSNorm(in[0], in[1], 1e-6) }},
		opCase{name: "embed", shapes: []mpc.Shape{sh(5, 3)}, vis: []mpc.Visibility{mpc.Public},
			build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.Embed(in[0], []int{4, 0, 4, 2}) }},
	)
	for _, k := range []mpc.SoftmaxKind{mpc.SoftmaxExact, mpc.Softmax2Quad, mpc.Softmax2ReLU} {
		for _, causal := range []bool{false, true} {
			k, causal := k, causal
			name := fmt.Sprintf("softmax/%v", k)
			if causal {
				name += "/causal"
			}
			cs = append(cs, opCase{name: name, shapes: []mpc.Shape{sh(2, 4, 4)}, fill: awayFromZero,
				build: func(e *Engine, in []mpc.Tensor) mpc.Tensor { return e.Softmax(in[0], k, causal) }})
		}
	}
	return cs
}

// run builds the case on a fresh engine with every input trainable and
// returns the weighted sum Σ w·out, the output, and the engine.
func (c opCase) run(t *testing.T, ins []*mpc.Dense, w []float64) (float64, *Engine, mpc.Tensor) {
	e := New()
	ts := make([]mpc.Tensor, len(ins))
	for i, d := range ins {
		e.Train(d)
		v := mpc.Shared
		if i < len(c.vis) {
			v = c.vis[i]
		}
		if v == mpc.Shared {
			ts[i] = e.Share(e.Input(d, mpc.Server))
		} else {
			ts[i] = e.Input(d, v)
		}
	}
	out := c.build(e, ts)
	vals, err := e.Data(out)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if w == nil {
		return 0, e, out
	}
	s := 0.0
	for i, v := range vals {
		s += w[i] * v
	}
	return s, e, out
}

// TestGradients checks every operation's gradient with respect to every
// operand against central finite differences of a random linear
// functional of its output.
func TestGradients(t *testing.T) {
	for ci, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(ci), 9))
			ins := make([]*mpc.Dense, len(c.shapes))
			for i, s := range c.shapes {
				ins[i] = mpc.Zeros(s...)
				fill := c.fill
				if fill == nil || (c.name == "layernorm" || c.name == "rmsnorm") && i > 0 {
					fill = normal
				}
				fill(r, i, ins[i].Data())
			}
			_, e, out := c.run(t, ins, nil)
			w := make([]float64, out.Shape().Size())
			normal(r, 0, w)
			if err := e.Seed(out, w); err != nil {
				t.Fatal(err)
			}
			if err := e.Backward(nil); err != nil {
				t.Fatal(err)
			}
			const h = 1e-5
			for i, d := range ins {
				got := e.Grad(d)
				if got == nil {
					t.Fatalf("input %d has no gradient", i)
				}
				v := d.Data()
				for j := range v {
					x := v[j]
					v[j] = x + h
					up, _, _ := c.run(t, ins, w)
					v[j] = x - h
					down, _, _ := c.run(t, ins, w)
					v[j] = x
					want := (up - down) / (2 * h)
					if diff := math.Abs(got[j] - want); diff > 1e-6+1e-5*math.Max(math.Abs(want), math.Abs(got[j])) {
						t.Errorf("input %d element %d: gradient %.10g, finite difference %.10g", i, j, got[j], want)
					}
				}
			}
		})
	}
}
