package fn_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fn"
)

func ExampleSoftmax() {
	row := []float64{1, 2, 3, 100} // the last key is masked out
	p := make([]float64, 4)
	fn.Softmax(p, row, mpc.Softmax2Quad, 3)
	fmt.Printf("%.3f\n", p)
	// Output: [0.242 0.329 0.430 0.000]
}
