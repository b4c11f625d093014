package dense_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/internal/dense"
)

// A product and a transpose's index map, as the engines use them.
func Example() {
	x := []float64{1, 2, 3, 4, 5, 6} // 2×3
	w := []float64{1, 0, 0, 1, 1, 1} // 3×2
	fmt.Println(dense.MatMul(x, w, mpc.Shape{2, 3}, mpc.Shape{3, 2}))
	src, _ := dense.GatherIndex(mpc.OpTranspose, mpc.Shape{2, 3}, mpc.Shape{3, 2}, nil)
	fmt.Println(src)
	// Output:
	// [4 5 10 11]
	// [0 3 1 4 2 5]
}
