package ring_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc/ring"
)

// Additive shares of a matrix product: each party multiplies its share by
// a public matrix locally, and the shares still add up to the product.
func ExampleMatMul() {
	x := []uint64{3, 5}                  // a 1×2 secret
	x0 := []uint64{123456789, 987654321} // party 0's share
	x1 := make([]uint64, 2)
	ring.Sub(x1, x, x0)       // party 1's share: x − x0 mod 2^64
	w := []uint64{1, 2, 3, 4} // public 2×2
	y0, y1 := make([]uint64, 2), make([]uint64, 2)
	ring.MatMul(y0, x0, w, 1, 2, 2)
	ring.MatMul(y1, x1, w, 1, 2, 2)
	y := make([]uint64, 2)
	ring.Add(y, y0, y1)
	fmt.Println(y)
	// Output: [18 26]
}
