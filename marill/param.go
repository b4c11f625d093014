package marill

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/marill-go/marill/mpc"
)

// Param is one weight tensor: a name, a shape, who owns it, and its values,
// produced on first use. Engines that only price shapes never ask for the
// values, so a Llama-2-7B model costs nothing to build. Param implements
// mpc.Source.
type Param struct {
	// Name is the canonical name, e.g. "block3.attn.q.weight".
	Name  string
	shape mpc.Shape
	// Vis is Public for pretrained weights, Server for fine-tuned ones.
	Vis mpc.Visibility

	mu   sync.Mutex
	data []float64
	gen  func() []float64
}

var _ mpc.Source = (*Param)(nil)

// newParam returns a parameter whose values come from gen on first use.
func newParam(name string, shape mpc.Shape, vis mpc.Visibility, gen func() []float64) *Param {
	return &Param{Name: name, shape: shape, Vis: vis, gen: gen}
}

// Shape returns the dimensions ([in, out] for projections: y = x·W).
func (p *Param) Shape() mpc.Shape { return p.shape }

// Size is the number of values.
func (p *Param) Size() int { return p.shape.Size() }

// Data returns the values, generating them on first call. The slice is
// shared: do not modify it; use Set.
func (p *Param) Data() []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.data == nil {
		p.data = p.gen()
		p.gen = nil
	}
	return p.data
}

// Materialized reports whether the values exist in memory.
func (p *Param) Materialized() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data != nil
}

// Set replaces the values (copied).
func (p *Param) Set(v []float64) error {
	if len(v) != p.shape.Size() {
		return fmt.Errorf("marill: %s has shape %v (%d values), got %d", p.Name, p.shape, p.shape.Size(), len(v))
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("marill: %s value %d is %g", p.Name, i, x)
		}
	}
	p.mu.Lock()
	p.data = append([]float64(nil), v...)
	p.gen = nil
	p.mu.Unlock()
	return nil
}

// Dense returns a copy of the values as a tensor.
func (p *Param) Dense() *mpc.Dense {
	d, _ := mpc.NewDense(p.shape, append([]float64(nil), p.Data()...))
	return d
}

func (p *Param) String() string { return fmt.Sprintf("%s %v %v", p.Name, p.shape, p.Vis) }

// rng returns a generator determined by a seed and a name, so every tensor
// has its own reproducible stream regardless of the order of generation.
func rng(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// gaussian returns a generator of n values mean + std·N(0, 1).
func gaussian(seed uint64, name string, n int, mean, std float64) func() []float64 {
	return func() []float64 {
		r := rng(seed, name)
		v := make([]float64, n)
		for i := range v {
			v[i] = mean + std*r.NormFloat64()
		}
		return v
	}
}

// InitStd is the standard deviation of the seeded initialisation of
// weights and embeddings (BERT's and GPT-2's 0.02).
const InitStd = 0.02

// initFor gives the seeded initialisation of a pretrained parameter by its
// role: projections, embeddings and biases N(0, 0.02²), norm scales
// N(1, 0.05²), norm shifts N(0, 0.02²).
func initFor(seed uint64, name string, shape mpc.Shape, role string) func() []float64 {
	n := shape.Size()
	switch role {
	case "gamma":
		return gaussian(seed, name, n, 1, 0.05)
	default:
		return gaussian(seed, name, n, 0, InitStd)
	}
}
