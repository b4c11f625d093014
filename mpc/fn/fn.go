package fn

import (
	"math"

	"github.com/marill-go/marill/mpc"
)

// GeLU applies the chosen GeLU form to x.
func GeLU(x float64, kind mpc.GeLUKind) float64 {
	switch kind {
	case mpc.GeLUTanh:
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	case mpc.GeLUQuad:
		return Quad(x)
	case mpc.GeLUReLU:
		return ReLU(x)
	default:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	}
}

// SiLU applies the chosen SiLU form to x.
func SiLU(x float64, kind mpc.SiLUKind) float64 {
	switch kind {
	case mpc.SiLUQuad:
		return Quad(x)
	case mpc.SiLUReLU:
		return ReLU(x)
	default:
		return x * Sigmoid(x)
	}
}

// Quad is MPCFormer's 0.125x² + 0.25x + 0.5.
func Quad(x float64) float64 { return 0.125*x*x + 0.25*x + 0.5 }

// ReLU is max(x, 0).
func ReLU(x float64) float64 {
	if x > 0 {
		return x
	}
	return 0
}

// Sigmoid is 1/(1+e^−x), computed without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Softmax writes the normalised row into dst. Only the first valid entries
// take part (a causal mask sets valid = query index + 1); the rest of dst
// is zero.
func Softmax(dst, row []float64, kind mpc.SoftmaxKind, valid int) {
	for j := valid; j < len(row); j++ {
		dst[j] = 0
	}
	r := row[:valid]
	d := dst[:valid]
	switch kind {
	case mpc.Softmax2Quad:
		s := 0.0
		for j, x := range r {
			q := (x + mpc.TwoQuadC) * (x + mpc.TwoQuadC)
			d[j] = q
			s += q
		}
		for j := range d {
			d[j] /= s
		}
	case mpc.Softmax2ReLU:
		s := 0.0
		for _, x := range r {
			s += ReLU(x)
		}
		n := float64(valid) // masked keys take no part, not even ε
		for j, x := range r {
			d[j] = (ReLU(x) + mpc.TwoReLUEps/n) / (s + mpc.TwoReLUEps)
		}
	default:
		m := math.Inf(-1)
		for _, x := range r {
			m = math.Max(m, x)
		}
		s := 0.0
		for j, x := range r {
			d[j] = math.Exp(x - m)
			s += d[j]
		}
		for j := range d {
			d[j] /= s
		}
	}
}

// LayerNorm writes (x−μ)/√(σ²+ε)·γ + β into dst.
func LayerNorm(dst, x, gamma, beta []float64, eps float64) {
	n := float64(len(x))
	mu := 0.0
	for _, v := range x {
		mu += v
	}
	mu /= n
	v2 := 0.0
	for _, v := range x {
		v2 += (v - mu) * (v - mu)
	}
	rs := 1 / math.Sqrt(v2/n+eps)
	for j, v := range x {
		dst[j] = (v-mu)*rs*gamma[j] + beta[j]
	}
}

// RMSNorm writes x/√(mean(x²)+ε)·γ into dst.
func RMSNorm(dst, x, gamma []float64, eps float64) {
	ss := 0.0
	for _, v := range x {
		ss += v * v
	}
	rs := 1 / math.Sqrt(ss/float64(len(x))+eps)
	for j, v := range x {
		dst[j] = v * rs * gamma[j]
	}
}

// GeLUGap is ReLU(u) − GeLU(u) at u = |x|: the correction the
// table-driven GeLU subtracts from ReLU. Every smooth activation here is
// ReLU minus an even function, so one table over |x| serves both signs.
func GeLUGap(u float64, kind mpc.GeLUKind) float64 {
	u = math.Abs(u)
	return u - GeLU(u, kind)
}

// SiLUGap is ReLU(u) − SiLU(u) at u = |x| = u·σ(−u).
func SiLUGap(u float64) float64 {
	u = math.Abs(u)
	return u * Sigmoid(-u)
}
