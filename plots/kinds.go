package plots

import (
	"strconv"

	"github.com/marill-go/marill/mpc"
)

// Kind is the class of work a report row belongs to. Per-layer and
// comparison charts stack one segment per kind, in the order of Kinds.
type Kind uint8

const (
	// Linear layers: matmul, mul, add, sub, neg, scale, addconst, sum and
	// the free shape operations (transpose, splitheads, mergeheads, rows,
	// rotatehalf), which are linear maps too.
	Linear Kind = iota
	// Softmax: softmax and its parts exp, max and reciprocal.
	Softmax
	// Activation: gelu, silu, relu, tanh.
	Activation
	// Norms: layernorm, rmsnorm and their rsqrt.
	Norms
	// Truncation: "trunc", the fixed-point rescaling the secure engine
	// records as its own operation.
	Truncation
	// Sharing: share, reveal, input and embed — values entering or leaving
	// secret sharing.
	Sharing
	// Other holds every operation this package does not know (a protocol
	// may record "select", "drelu", "lut", ...). It is drawn and labelled,
	// never dropped.
	Other
	// Client is plaintext work on the client's side: rows placed OnClient
	// or OnPublic, whatever their operation (see RowKind).
	Client
)

var kindNames = [...]string{
	Linear:     "linear layers",
	Softmax:    "softmax",
	Activation: "activation (GeLU/SiLU)",
	Norms:      "norms",
	Truncation: "truncation",
	Sharing:    "sharing",
	Other:      "other",
	Client:     "client (plaintext)",
}

// String is the kind's legend label.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Kinds lists every kind in stacking order, bottom first.
func Kinds() []Kind {
	return []Kind{Linear, Softmax, Activation, Norms, Truncation, Sharing, Other, Client}
}

// OpKind classifies an operation name, as it appears in mpc.Row.Op:
//
//	matmul mul add sub neg scale addconst sum (and shape ops)  Linear
//	softmax exp max reciprocal                                 Softmax
//	gelu silu relu tanh                                        Activation
//	layernorm rmsnorm rsqrt                                    Norms
//	trunc                                                      Truncation
//	share reveal input embed                                   Sharing
//	anything else                                              Other
//
// OpKind never returns Client: where an operation ran is the row's
// placement, which RowKind looks at.
func OpKind(op string) Kind {
	switch op {
	case mpc.OpMatMul, mpc.OpMul, mpc.OpAdd, mpc.OpSub, mpc.OpNeg, mpc.OpScale, mpc.OpAddConst, mpc.OpSum,
		mpc.OpTranspose, mpc.OpSplitHeads, mpc.OpMergeHeads, mpc.OpRows, mpc.OpRotateHalf:
		return Linear
	case mpc.OpSoftmax, mpc.OpExp, mpc.OpMax, mpc.OpReciprocal:
		return Softmax
	case mpc.OpGeLU, mpc.OpSiLU, mpc.OpReLU, mpc.OpTanh:
		return Activation
	case mpc.OpLayerNorm, mpc.OpRMSNorm, mpc.OpRsqrt:
		return Norms
	case "trunc":
		return Truncation
	case mpc.OpShare, mpc.OpReveal, mpc.OpInput, mpc.OpEmbed:
		return Sharing
	}
	return Other
}

// RowKind classifies a report row: client-side plaintext work (placement
// OnClient or OnPublic) is Client whatever the operation; every other row
// gets OpKind of its operation.
func RowKind(r mpc.Row) Kind {
	if clientSide(r.Place) {
		return Client
	}
	return OpKind(r.Op)
}

func clientSide(p mpc.Placement) bool { return p == mpc.OnClient || p == mpc.OnPublic }

// ClientLayer reports whether every row of a layer ran on the client's
// side in plaintext (a frozen layer): charts shade such layers and draw
// their cost in the Client style.
func ClientLayer(rows []mpc.Row) bool {
	if len(rows) == 0 {
		return false
	}
	for _, r := range rows {
		if !clientSide(r.Place) {
			return false
		}
	}
	return true
}
