package train

import (
	"fmt"
	"math"
)

// Schedule is the shape of the learning rate after warm-up.
type Schedule uint8

const (
	// Linear decays the rate linearly to zero at the last step (BERT's).
	Linear Schedule = iota
	// Cosine decays it along half a cosine to zero.
	Cosine
	// Constant keeps it.
	Constant
)

func (s Schedule) String() string {
	switch s {
	case Linear:
		return "linear"
	case Cosine:
		return "cosine"
	case Constant:
		return "constant"
	}
	return fmt.Sprintf("Schedule(%d)", int(s))
}

// ParseSchedule is the inverse of Schedule.String.
func ParseSchedule(s string) (Schedule, error) {
	for _, k := range []Schedule{Linear, Cosine, Constant} {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("train: unknown schedule %q (want linear, cosine or constant)", s)
}

// LearningRate is the rate at step (0-based) of total: a linear warm-up
// from lr/warmup to lr over the first warmup steps, then the schedule.
func LearningRate(lr float64, step, total, warmup int, s Schedule) float64 {
	if step < warmup {
		return lr * float64(step+1) / float64(warmup)
	}
	if s == Constant || total <= warmup {
		return lr
	}
	frac := float64(step-warmup) / float64(total-warmup)
	if s == Cosine {
		return lr * 0.5 * (1 + math.Cos(math.Pi*frac))
	}
	return lr * (1 - frac)
}

// adamW is Adam with decoupled weight decay (Loshchilov & Hutter), over
// parameters laid out one after another in a flat vector.
type adamW struct {
	beta1, beta2, eps float64
	m, v              []float64
	t                 int
}

func newAdamW(n int, beta1, beta2, eps float64) *adamW {
	return &adamW{beta1: beta1, beta2: beta2, eps: eps, m: make([]float64, n), v: make([]float64, n)}
}

// step updates w in place from gradient g (both spanning [off, off+len)
// of the optimizer's state) at learning rate lr; decay is the weight decay
// for this parameter (0 for norms and biases).
func (a *adamW) step(w, g []float64, off int, lr, decay float64) {
	c1 := 1 - math.Pow(a.beta1, float64(a.t))
	c2 := 1 - math.Pow(a.beta2, float64(a.t))
	m, v := a.m[off:off+len(w)], a.v[off:off+len(w)]
	for i, gi := range g {
		m[i] = a.beta1*m[i] + (1-a.beta1)*gi
		v[i] = a.beta2*v[i] + (1-a.beta2)*gi*gi
		w[i] -= lr * ((m[i]/c1)/(math.Sqrt(v[i]/c2)+a.eps) + decay*w[i])
	}
}

// clipNorm scales g so its L2 norm is at most limit (limit ≤ 0: no
// clipping) and returns the norm before clipping.
func clipNorm(g []float64, limit float64) float64 {
	s := 0.0
	for _, v := range g {
		s += v * v
	}
	n := math.Sqrt(s)
	if limit > 0 && n > limit {
		f := limit / n
		for i := range g {
			g[i] *= f
		}
	}
	return n
}
