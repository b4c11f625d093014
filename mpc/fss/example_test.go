package fss_test

import (
	"crypto/rand"
	"fmt"

	"github.com/marill-go/marill/mpc/fss"
)

// A dealer shares the comparison [x < α] for a secret α; each party
// evaluates its key at public points, and only the XOR of their bits is
// the answer.
func ExampleGenDCF() {
	prg := fss.NewPRG()
	alphas := []uint64{100, 100, 100}
	k0, k1, err := fss.GenDCF(prg, rand.Reader, alphas, 8)
	if err != nil {
		panic(err)
	}
	xs := []uint64{99, 100, 200}
	out0, out1 := make([]uint8, 3), make([]uint8, 3)
	fss.EvalDCF(prg, 0, k0, xs, out0)
	fss.EvalDCF(prg, 1, k1, xs, out1)
	for i, x := range xs {
		fmt.Printf("[%d < 100] = %d\n", x, out0[i]^out1[i])
	}
	fmt.Println("key bytes per party:", k0.Bytes())
	// Output:
	// [99 < 100] = 1
	// [100 < 100] = 0
	// [200 < 100] = 0
	// key bytes per party: 433
}
