package train

import "math"

// softmaxInto writes softmax(z/temp) into p.
func softmaxInto(p, z []float64, temp float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v/temp)
	}
	s := 0.0
	for i, v := range z {
		p[i] = math.Exp(v/temp - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
}

// crossEntropy returns −log softmax(z)[y] and adds its gradient
// (softmax(z) − onehot(y))·scale into grad.
func crossEntropy(z []float64, y int, scale float64, grad []float64) float64 {
	p := make([]float64, len(z))
	softmaxInto(p, z, 1)
	for i, v := range p {
		grad[i] += scale * v
	}
	grad[y] -= scale
	return -math.Log(math.Max(p[y], 1e-300))
}

// softCrossEntropy is the distillation loss on logits: the cross-entropy
// −Σ q·log p of the student's p = softmax(z/T) against the teacher's
// probabilities q = softmax(zt/T), times T² (so gradients keep their size
// as T changes, as Hinton et al. do). It adds the gradient, (p − q)·T·
// scale, into grad.
func softCrossEntropy(z, zt []float64, temp, scale float64, grad []float64) float64 {
	p := make([]float64, len(z))
	q := make([]float64, len(z))
	softmaxInto(p, z, temp)
	softmaxInto(q, zt, temp)
	loss := 0.0
	for i := range p {
		loss -= q[i] * math.Log(math.Max(p[i], 1e-300))
		grad[i] += scale * temp * (p[i] - q[i])
	}
	return loss * temp * temp
}

// meanSquared returns mean((x − t)²) and adds its gradient, 2(x − t)/n ·
// scale, into grad.
func meanSquared(x, t []float64, scale float64, grad []float64) float64 {
	n := float64(len(x))
	s := 0.0
	for i, v := range x {
		d := v - t[i]
		s += d * d
		grad[i] += scale * 2 * d / n
	}
	return s / n
}

// argmax is the index of the largest value (the first on ties).
func argmax(z []float64) int {
	best := 0
	for i, v := range z {
		if v > z[best] {
			best = i
		}
	}
	return best
}
