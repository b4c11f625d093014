package mpc

import "fmt"

// Operation names, as they appear in report rows.
const (
	OpInput      = "input"
	OpEmbed      = "embed"
	OpShare      = "share"
	OpReveal     = "reveal"
	OpAdd        = "add"
	OpSub        = "sub"
	OpMul        = "mul"
	OpNeg        = "neg"
	OpScale      = "scale"
	OpAddConst   = "addconst"
	OpMatMul     = "matmul"
	OpSum        = "sum"
	OpTranspose  = "transpose"
	OpSplitHeads = "splitheads"
	OpMergeHeads = "mergeheads"
	OpRows       = "rows"
	OpRotateHalf = "rotatehalf"
	OpReLU       = "relu"
	OpGeLU       = "gelu"
	OpSiLU       = "silu"
	OpTanh       = "tanh"
	OpExp        = "exp"
	OpReciprocal = "reciprocal"
	OpRsqrt      = "rsqrt"
	OpMax        = "max"
	OpSoftmax    = "softmax"
	OpLayerNorm  = "layernorm"
	OpRMSNorm    = "rmsnorm"
)

// IsShapeOp reports whether op only rearranges data (free on shares).
func IsShapeOp(op string) bool {
	switch op {
	case OpTranspose, OpSplitHeads, OpMergeHeads, OpRows, OpRotateHalf:
		return true
	}
	return false
}

// Unreported reports whether engines leave op out of their reports: shape
// operations, and inputs (plaintext entering the engine), which cost
// nothing and would only swell element counts with weights.
func Unreported(op string) bool { return op == OpInput || IsShapeOp(op) }

// OpInfo is what an operation produces and where it runs, derived from its
// operands alone. Every engine computes it the same way (the Infer
// functions below) before doing its own work.
type OpInfo struct {
	Op       string
	Out      Shape
	Vis      Visibility
	Place    Placement
	Elements int64
	MACs     int64
}

func info(op string, out Shape, v Visibility, p Placement) OpInfo {
	return OpInfo{Op: op, Out: out, Vis: v, Place: p, Elements: int64(out.Size())}
}

// InferInput checks an input's owner and shape.
func InferInput(shape Shape, owner Visibility) (OpInfo, error) {
	if err := shape.Validate(); err != nil {
		return OpInfo{}, err
	}
	if owner == Shared {
		return OpInfo{}, fmt.Errorf("mpc: an input is owned by public, client or server, not %v; share it afterwards", owner)
	}
	return info(OpInput, shape.Clone(), owner, placeOf(owner, false)), nil
}

// InferEmbed checks a row gather from a public (or client) table.
func InferEmbed(table Shape, vis Visibility, ids []int) (OpInfo, error) {
	if len(table) != 2 {
		return OpInfo{}, fmt.Errorf("mpc: embedding table must be [rows, cols], got %v", table)
	}
	if vis != Public && vis != Client {
		return OpInfo{}, fmt.Errorf("mpc: embedding lookups need a public table, got a %v one", vis)
	}
	if len(ids) == 0 {
		return OpInfo{}, fmt.Errorf("mpc: embedding lookup of no ids")
	}
	for i, id := range ids {
		if id < 0 || id >= table[0] {
			return OpInfo{}, fmt.Errorf("mpc: token %d at position %d is outside the vocabulary [0, %d)", id, i, table[0])
		}
	}
	return info(OpEmbed, Shape{len(ids), table[1]}, Client, OnClient), nil
}

// InferShare describes turning x into a shared value.
func InferShare(x Tensor) OpInfo {
	v, p := PlaceShare(x.Vis())
	return info(OpShare, x.Shape().Clone(), v, p)
}

// InferReveal checks a reveal of x to the named party.
func InferReveal(x Tensor, to Visibility) (OpInfo, error) {
	v, p, err := PlaceReveal(x.Vis(), to)
	if err != nil {
		return OpInfo{}, err
	}
	return info(OpReveal, x.Shape().Clone(), v, p), nil
}

// InferElementwise checks add, sub or mul of a and b (b may broadcast).
func InferElementwise(op string, a, b Tensor) (OpInfo, error) {
	out, err := BroadcastShape(a.Shape(), b.Shape())
	if err != nil {
		return OpInfo{}, fmt.Errorf("%w (in %s)", err, op)
	}
	var v Visibility
	var p Placement
	if op == OpMul {
		v, p = PlaceProduct(a.Vis(), b.Vis())
	} else {
		v, p = PlaceLocal(a.Vis(), b.Vis())
	}
	return info(op, out, v, p), nil
}

// InferLocal describes a unary local operation (neg, scale, addconst).
func InferLocal(op string, a Tensor) OpInfo {
	v, p := PlaceLocal(a.Vis())
	return info(op, a.Shape().Clone(), v, p)
}

// InferSum describes a row sum.
func InferSum(a Tensor) OpInfo {
	v, p := PlaceLocal(a.Vis())
	return info(OpSum, ReduceShape(a.Shape()), v, p)
}

// InferMatMul checks a·b.
func InferMatMul(a, b Tensor) (OpInfo, error) {
	out, err := MatMulShape(a.Shape(), b.Shape())
	if err != nil {
		return OpInfo{}, err
	}
	v, p := PlaceProduct(a.Vis(), b.Vis())
	o := info(OpMatMul, out, v, p)
	o.MACs = MatMulMACs(a.Shape(), b.Shape())
	return o, nil
}

// InferShapeOp checks transpose, split/merge heads, row slices and rotate
// half; arg is the head count or the row range.
func InferShapeOp(op string, a Tensor, args ...int) (OpInfo, error) {
	s := a.Shape()
	var out Shape
	var err error
	switch op {
	case OpTranspose:
		out, err = TransposeShape(s)
	case OpSplitHeads:
		out, err = SplitHeadsShape(s, args[0])
	case OpMergeHeads:
		out, err = MergeHeadsShape(s)
	case OpRows:
		out, err = RowsShape(s, args[0], args[1])
	case OpRotateHalf:
		if s.Cols()%2 != 0 {
			err = fmt.Errorf("mpc: rotate half needs an even last dimension, got %v", s)
		}
		out = s.Clone()
	default:
		err = fmt.Errorf("mpc: %q is not a shape operation", op)
	}
	if err != nil {
		return OpInfo{}, err
	}
	v, p := PlaceLocal(a.Vis())
	return info(op, out, v, p), nil
}

// InferNonlinear describes an elementwise or row-wise non-linear function.
func InferNonlinear(op string, a Tensor) OpInfo {
	v, p := PlaceNonlinear(a.Vis())
	out := a.Shape().Clone()
	if op == OpMax {
		out = ReduceShape(out)
	}
	return info(op, out, v, p)
}

// InferSoftmax checks a softmax input.
func InferSoftmax(a Tensor, kind SoftmaxKind, causal bool) (OpInfo, error) {
	if kind == SoftmaxUnset || kind > Softmax2ReLU {
		return OpInfo{}, fmt.Errorf("mpc: softmax kind %v is not one of exact, 2quad, 2relu", kind)
	}
	if err := SoftmaxShape(a.Shape(), causal); err != nil {
		return OpInfo{}, err
	}
	return InferNonlinear(OpSoftmax, a), nil
}

// InferNorm checks a layer norm (beta non-nil) or RMS norm (beta nil).
func InferNorm(op string, a, gamma, beta Tensor) (OpInfo, error) {
	var bs Shape
	vs := []Visibility{a.Vis(), gamma.Vis()}
	if beta != nil {
		bs = beta.Shape()
		vs = append(vs, beta.Vis())
	}
	if err := NormShapes(a.Shape(), gamma.Shape(), bs); err != nil {
		return OpInfo{}, err
	}
	v, p := PlaceNonlinear(vs...)
	return info(op, a.Shape().Clone(), v, p), nil
}

// CheckGeLU, CheckSiLU reject unset or unknown kinds.
func CheckGeLU(k GeLUKind) error {
	if k == GeLUUnset || k > GeLUReLU {
		return fmt.Errorf("mpc: GeLU kind %v is not one of exact, tanh, quad, relu", k)
	}
	return nil
}

// CheckSiLU rejects unset or unknown SiLU kinds.
func CheckSiLU(k SiLUKind) error {
	if k == SiLUUnset || k > SiLUReLU {
		return fmt.Errorf("mpc: SiLU kind %v is not one of exact, quad, relu", k)
	}
	return nil
}
