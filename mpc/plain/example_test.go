package plain_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

// The same computation in float64 and in the secure engine's fixed point.
func Example() {
	for _, e := range []*plain.Engine{plain.New(), plain.NewFixed()} {
		row, _ := mpc.FromRows([][]float64{{-1, 0.5, 2}})
		x := e.Share(e.Input(row, mpc.Client))
		y := e.Reveal(e.Softmax(x, mpc.SoftmaxExact, false), mpc.Client)
		v, err := e.Value(y)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-26s %.4f\n", e.Name(), v.Data())
	}
	// Output:
	// plain/float64              [0.0391 0.1753 0.7856]
	// plain/fixed(Z_2^64 f=16)   [0.0391 0.1753 0.7856]
}
