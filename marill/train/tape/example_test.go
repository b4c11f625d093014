package tape_test

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
)

// The gradient of f(w) = Σ tanh(x·w) with respect to w.
func ExampleEngine() {
	x, _ := mpc.FromRows([][]float64{{1, 2}, {0, -1}})
	w := mpc.Vector(0.5, -0.25)
	w2, _ := mpc.NewDense(mpc.Shape{2, 1}, w.Data())

	e := tape.New()
	e.Train(w2)
	y := e.Tanh(e.MatMul(e.Input(x, mpc.Client), e.Input(w2, mpc.Server))) // [2, 1]
	loss := e.Sum(e.Transpose(y))                                          // [1, 1]
	if err := e.Backward(loss); err != nil {
		panic(err)
	}
	fmt.Printf("dL/dw = %.4f\n", e.Grad(w2))
	// Output:
	// dL/dw = [1.0000 1.0600]
}

// Gradients of a whole model: the tape runs marill's forward pass.
func ExampleEngine_model() {
	pre, _ := marill.NewPretrained(marill.Tiny(marill.LLaMA), 1)
	ft := pre.MustFineTune(marill.Knobs{FreezeLayers: 1, LoRARank: 2})

	e := tape.New()
	for _, p := range ft.Params() {
		if p.Vis == mpc.Server {
			e.Train(p)
		}
	}
	out, _ := ft.Apply(context.Background(), e, marill.RandomInput(ft.Config, 1))
	g := make([]float64, out.Shape().Size())
	g[7] = 1 // d(logit 7)
	e.Seed(out, g)
	e.Backward(nil)
	a, _ := ft.Param("block1.attn.q.lora_a")
	b, _ := ft.Param("block1.attn.q.lora_b")
	fmt.Println(len(e.Sources()), "trainable tensors; block 0 is frozen")
	fmt.Println("gradients:", len(e.Grad(a)), "for A,", len(e.Grad(b)), "for B")
	// Output:
	// 14 trainable tensors; block 0 is frozen
	// gradients: 32 for A, 32 for B
}
