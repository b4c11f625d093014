package marill

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/plain"
)

// MeasureAccuracy runs m on e and on the two plain references (float64,
// and the fixed-point emulation of the functions the secure protocols
// compute, with the given numerics; the zero Params mean fxp.Default) and
// returns e's report with Accuracy filled in: per layer (the embedding,
// every block, the head), the largest absolute and relative error of e's
// hidden state against each reference.
//
// e must implement mpc.Peeker: the plain engines and the in-process secure
// engine do (it reconstructs values from both parties' shares, which costs
// no communication and leaves the report's costs unchanged). A run
// measured this way is a diagnosis, not a deployment: no party could see
// the intermediate values.
func (m *Model) MeasureAccuracy(ctx context.Context, e mpc.Engine, in Input, numerics fxp.Params) (*mpc.Report, error) {
	peek, ok := e.(mpc.Peeker)
	if !ok {
		return nil, fmt.Errorf("marill: engine %s cannot reconstruct intermediate values (it is not an mpc.Peeker); accuracy needs the in-process secure engine or a plain one", e.Name())
	}
	if numerics == (fxp.Params{}) {
		numerics = fxp.Default()
	}
	fixedEngine, err := plain.NewWith(plain.Options{FixedPoint: true, Numerics: numerics})
	if err != nil {
		return nil, fmt.Errorf("marill: %w", err)
	}
	floatEngine := plain.New()
	layers := func(eng mpc.Engine, p mpc.Peeker) (*probe, error) {
		pr := &probe{Engine: eng, peek: p, values: map[string]*mpc.Dense{}}
		if _, err := m.Apply(ctx, pr, in); err != nil {
			return nil, err
		}
		return pr, pr.err
	}
	got, err := layers(e, peek)
	if err != nil {
		return nil, err
	}
	float, err := layers(floatEngine, floatEngine)
	if err != nil {
		return nil, err
	}
	fixed, err := layers(fixedEngine, fixedEngine)
	if err != nil {
		return nil, err
	}
	r := e.Report()
	for _, name := range got.order {
		le, err := mpc.LayerErrorOf(name, got.values[name], float.values[name], fixed.values[name])
		if err != nil {
			return nil, err
		}
		r.Accuracy = append(r.Accuracy, le)
	}
	return r, nil
}

// probe wraps an engine and keeps the value of every probed layer.
type probe struct {
	mpc.Engine
	peek   mpc.Peeker
	values map[string]*mpc.Dense
	order  []string
	err    error
}

func (p *probe) Probe(layer string, x mpc.Tensor) {
	if p.err != nil {
		return
	}
	v, err := p.peek.Peek(x)
	if err != nil {
		p.err = fmt.Errorf("marill: accuracy probe at %s: %w", layer, err)
		return
	}
	if _, seen := p.values[layer]; !seen {
		p.order = append(p.order, layer)
	}
	p.values[layer] = v
}
