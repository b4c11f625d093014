package tape_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

func TestErrorsAreSticky(t *testing.T) {
	e := tape.New()
	a := e.Input(mpc.Zeros(2, 3), mpc.Public)
	b := e.Input(mpc.Zeros(4, 5), mpc.Public)
	c := e.MatMul(a, b) // inner dimensions differ
	if e.Err() == nil || !strings.Contains(e.Err().Error(), "inner dimensions") {
		t.Fatalf("error %v, want a matmul shape error", e.Err())
	}
	d := e.Add(c, a) // a placeholder: no computation, the first error kept
	if _, ok := d.(mpc.Placeholder); !ok {
		t.Fatalf("after a failure got %T, want a placeholder", d)
	}
	if !strings.Contains(e.Err().Error(), "inner dimensions") {
		t.Fatalf("error replaced by %v", e.Err())
	}
	if err := e.Backward(nil); err == nil {
		t.Fatal("Backward on a failed tape succeeded")
	}
	e.Reset()
	if e.Err() != nil {
		t.Fatalf("Reset kept the error %v", e.Err())
	}
}

func TestForeignTensor(t *testing.T) {
	e1, e2 := tape.New(), tape.New()
	x := e1.Input(mpc.Zeros(2, 2), mpc.Public)
	e2.Neg(x)
	if e2.Err() == nil || !strings.Contains(e2.Err().Error(), "does not belong") {
		t.Fatalf("error %v, want a foreign operand", e2.Err())
	}
	// A tensor of a reset tape is foreign too.
	e1.Reset()
	e1.Neg(x)
	if e1.Err() == nil {
		t.Fatal("a tensor of a reset tape was accepted")
	}
}

func TestSeedAndBackwardChecks(t *testing.T) {
	e := tape.New()
	w := mpc.Zeros(2, 2)
	e.Train(w)
	x := e.Input(w, mpc.Server)
	y := e.Scale(x, 2)
	if err := e.Seed(y, []float64{1}); err == nil {
		t.Error("Seed with the wrong length succeeded")
	}
	if err := e.Seed(y, []float64{1, 2, 3, math.Inf(1)}); err == nil {
		t.Error("Seed with an infinite gradient succeeded")
	}
	if err := e.Backward(y); err == nil {
		t.Error("Backward from a 4-element tensor succeeded")
	}
	if err := e.Backward(e.Sum(e.Transpose(e.Sum(y)))); err != nil {
		t.Fatal(err)
	}
	for i, g := range e.Grad(w) {
		if g != 2 {
			t.Fatalf("gradient %d = %g, want 2", i, g)
		}
	}
}

func TestValueVisibility(t *testing.T) {
	e := tape.New()
	x := e.Share(e.Input(mpc.Vector(1, 2), mpc.Server))
	if _, err := e.Value(x); err == nil {
		t.Fatal("Value of a shared tensor succeeded")
	}
	if v, err := e.Data(x); err != nil || v[1] != 2 {
		t.Fatalf("Data = %v, %v", v, err)
	}
	r, err := e.Value(e.Reveal(x, mpc.Client))
	if err != nil || r.Data()[0] != 1 {
		t.Fatalf("Value of the revealed tensor = %v, %v", r, err)
	}
}

// TestResetReuse runs the same pass many times on one engine (buffers are
// recycled) and checks outputs and accumulated gradients.
func TestResetReuse(t *testing.T) {
	ctx := context.Background()
	pre, err := marill.NewPretrained(marill.Tiny(marill.GPT2), 3)
	if err != nil {
		t.Fatal(err)
	}
	in := marill.RandomInput(pre.Config, 1)
	want, err := pre.Forward(ctx, plain.New(), in)
	if err != nil {
		t.Fatal(err)
	}
	e := tape.New()
	p := pre.Blocks[1].Up.Weight
	e.Train(p)
	var first []float64
	for i := 0; i < 5; i++ {
		out, err := pre.Apply(ctx, e, in)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.Data(out)
		if abs, _, _ := mpc.Compare(mpc.Vector(got...), mpc.Vector(want.Data()...)); abs > 1e-12 {
			t.Fatalf("pass %d differs from plain by %g", i, abs)
		}
		w := make([]float64, len(got))
		w[0] = 1
		if err := e.Seed(out, w); err != nil {
			t.Fatal(err)
		}
		if err := e.Backward(nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = append([]float64(nil), e.Grad(p)...)
		}
		e.Reset()
	}
	for j, g := range e.Grad(p) {
		if d := g - 5*first[j]; d > 1e-12 || d < -1e-12 {
			t.Fatalf("gradient %d after 5 passes is %g, want 5 × %g", j, g, first[j])
		}
	}
}

func TestOutputAndFind(t *testing.T) {
	ctx := context.Background()
	pre, err := marill.NewPretrained(marill.Tiny(marill.LLaMA), 3)
	if err != nil {
		t.Fatal(err)
	}
	e := tape.New()
	in := marill.RandomInput(pre.Config, 1)
	if _, err := pre.Apply(ctx, e, in); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pre.Config.Layers; i++ {
		b := "block" + string(rune('0'+i))
		h, ok := e.Output(b)
		if !ok || !h.Shape().Equal(mpc.Shape{len(in.IDs), pre.Config.Hidden}) {
			t.Fatalf("Output(%s) = %v, %v", b, h, ok)
		}
		a := e.Find(mpc.OpSoftmax, b)
		if len(a) != 1 || !a[0].Shape().Equal(mpc.Shape{pre.Config.Heads, len(in.IDs), len(in.IDs)}) {
			t.Fatalf("Find(softmax, %s) = %v", b, a)
		}
	}
	if _, ok := e.Output("block9"); ok {
		t.Fatal("Output of a scope that never ran")
	}
	if n := len(e.Find(mpc.OpSoftmax, "")); n != pre.Config.Layers {
		t.Fatalf("%d softmax operations in all, want %d", n, pre.Config.Layers)
	}
	// The hidden state of block 1 feeds the final norm: it is what the
	// head reads (the last row of it).
	h, _ := e.Output("block1")
	v, _ := e.Data(h)
	if len(v) != len(in.IDs)*pre.Config.Hidden {
		t.Fatalf("block1 output has %d values", len(v))
	}
}

// TestNilOperands checks that nil tensors are an error, not a panic.
func TestNilOperands(t *testing.T) {
	e := tape.New()
	for name, f := range map[string]func(){
		"transpose": func() { e.Transpose(nil) }, "splitheads": func() { e.SplitHeads(nil, 2) },
		"mergeheads": func() { e.MergeHeads(nil) }, "rows": func() { e.Rows(nil, 0, 1) },
		"rotatehalf": func() { e.RotateHalf(nil) }, "add": func() { e.Add(nil, nil) },
		"softmax": func() { e.Softmax(nil, mpc.SoftmaxExact, false) }, "gelu": func() { e.GeLU(nil, mpc.GeLUExact) },
		"gelu-unset": func() { e.GeLU(nil, mpc.GeLUUnset) }, "silu-unset": func() { e.SiLU(nil, 0) },
		"layernorm": func() { e.LayerNorm(nil, nil, nil, 1e-5) }, "matmul": func() { e.MatMul(nil, nil) },
	} {
		e.Reset()
		f()
		if e.Err() == nil {
			t.Errorf("%s of nil: no error", name)
		}
	}
}
