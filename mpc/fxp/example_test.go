package fxp_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
)

func ExampleFuncs_GeLU() {
	f := fxp.MustNew(fxp.Default())
	for _, x := range []float64{-2, 0.5, 3} {
		exact := f.Decode(f.GeLU(f.Encode(x), mpc.GeLUExact))
		quad := f.Decode(f.GeLU(f.Encode(x), mpc.GeLUQuad))
		fmt.Printf("x=%4.1f  gelu≈%.4f  quad=%.4f\n", x, exact, quad)
	}
	// Output:
	// x=-2.0  gelu≈-0.0455  quad=0.5000
	// x= 0.5  gelu≈0.3459  quad=0.6562
	// x= 3.0  gelu≈2.9959  quad=2.3750
}
