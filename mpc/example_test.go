package mpc_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

// Placement follows from visibility: the client's activation times the
// server's private weight is an MPC product; multiplying the shared result
// by a public weight is local on shares.
func Example_placement() {
	e := plain.New()
	w, _ := mpc.FromRows([][]float64{{1, 0}, {0, 1}, {1, 1}})
	xr, _ := mpc.FromRows([][]float64{{1, 2, 3}})
	a := e.Input(xr, mpc.Client)
	y := e.MatMul(a, e.Input(w, mpc.Server))               // client × server
	z := e.MatMul(y, e.Input(mpc.Zeros(2, 2), mpc.Public)) // shared × public
	fmt.Println(y.Vis(), z.Vis())
	for _, r := range e.Report().Rows {
		if r.Op == mpc.OpMatMul {
			fmt.Println(r.Op, r.Place, r.MACs)
		}
	}
	// Output:
	// shared shared
	// matmul mpc 6
	// matmul local 4
}

func ExampleReport_ByLayer() {
	r := &mpc.Report{Rows: []mpc.Row{
		{Scope: "block0/attn", Op: mpc.OpSoftmax, Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, SentClient: 100, SentServer: 80}},
		{Scope: "block0/ffn", Op: mpc.OpGeLU, Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, SentClient: 50, SentServer: 50}},
		{Scope: "block1/attn", Op: mpc.OpSoftmax, Place: mpc.Interactive, Cost: mpc.Cost{Count: 1, SentClient: 100, SentServer: 80}},
	}}
	for _, l := range r.ByLayer() {
		fmt.Println(l.Scope, l.SentClient, l.SentServer)
	}
	// Output:
	// block0 150 130
	// block1 100 80
}
