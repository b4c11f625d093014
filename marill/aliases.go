package marill

import "github.com/marill-go/marill/mpc"

// Approximation kinds, re-exported so notebook cells can write
// marill.TwoQuad without importing mpc.
const (
	Exact   = mpc.SoftmaxExact
	TwoQuad = mpc.Softmax2Quad
	TwoReLU = mpc.Softmax2ReLU

	GeLUExact = mpc.GeLUExact
	GeLUTanh  = mpc.GeLUTanh
	Quad      = mpc.GeLUQuad
	GeLUReLU  = mpc.GeLUReLU

	SiLUExact = mpc.SiLUExact
	SiLUQuad  = mpc.SiLUQuad
	SiLUReLU  = mpc.SiLUReLU
)
