package trace_test

import (
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/trace"
)

// A toy cost model: 8 bytes per element each way for interactive ops.
func Example() {
	e := trace.New(trace.Options{
		Name:     "toy",
		TimeKind: mpc.Estimated,
		Price: func(op trace.Op) mpc.Cost {
			if op.Place != mpc.Interactive {
				return mpc.Cost{}
			}
			return mpc.Cost{Rounds: 1, SentClient: 8 * op.Elements, SentServer: 8 * op.Elements}
		},
	})
	x := e.Input(mpc.Zeros(128, 768), mpc.Client) // shapes only: nothing is read
	w := e.Input(mpc.Zeros(768, 768), mpc.Server)
	e.GeLU(e.MatMul(x, w), mpc.GeLUQuad)
	t := e.Report().Total()
	fmt.Println(t.Count, t.Rounds, mpc.FormatBytes(t.Sent()))
	// Output: 2 2 3.0 MiB
}
