package secure_test

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
	"github.com/marill-go/marill/mpc/secure"
)

// A fine-tuned model runs under real two-party computation; the client
// learns the logits, which agree with plaintext inference.
func Example() {
	cfg := marill.Tiny(marill.BERT)
	pre, _ := marill.NewPretrained(cfg, 1)
	m, _ := pre.FineTune(marill.Knobs{FreezeLayers: 1, LoRARank: 2})
	in := marill.RandomInput(cfg, 7)

	e := secure.MustNew()
	defer e.Close()
	got, err := m.Forward(context.Background(), e, in)
	if err != nil {
		panic(err)
	}
	want, _ := m.Forward(context.Background(), plain.New(), in)
	_, rel, _ := mpc.Compare(got, want)
	t := e.Report().Total()
	fmt.Println("logits:", got.Shape())
	fmt.Println("within 1% of float64:", rel < 0.01)
	fmt.Println("both parties sent bytes:", t.SentClient > 0 && t.SentServer > 0)
	fmt.Println("rounds:", t.Rounds > 0)
	// Output:
	// logits: [1×2]
	// within 1% of float64: true
	// both parties sent bytes: true
	// rounds: true
}

// Two plaintexts of different owners multiplied: the result is shared and
// revealed to the client only.
func ExampleEngine_Mul() {
	e := secure.MustNew()
	defer e.Close()
	x := e.Input(mpc.Vector(1.5, -2), mpc.Client)
	y := e.Input(mpc.Vector(4, 0.25), mpc.Server)
	z := e.Reveal(e.Mul(x, y), mpc.Client)
	v, err := e.Value(z)
	fmt.Println(v.Data(), err)
	// Output: [6 -0.5] <nil>
}
