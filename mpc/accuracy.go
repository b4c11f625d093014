package mpc

import (
	"fmt"

	"github.com/marill-go/marill/internal/table"
)

// Prober is implemented by engines that watch the model's hidden state
// between layers. The model calls Probe after the embedding ("embed"),
// after every block ("block<i>") and on its output ("head"); engines that
// do not implement it are not asked.
type Prober interface {
	Probe(layer string, x Tensor)
}

// Peeker is implemented by engines that can reconstruct any value for
// diagnosis: the plain engines, and the in-process secure engine, which
// holds both parties' shares. It exists to measure accuracy; no party of a
// real deployment can peek.
type Peeker interface {
	Peek(x Tensor) (*Dense, error)
}

// LayerError is one layer's accuracy: how far an engine's hidden state is
// from the float64 reference and from the fixed-point emulation (the
// functionality the secure protocols realise). Relative errors divide by
// the reference's largest magnitude.
type LayerError struct {
	Layer       string  `json:"layer"`
	Elements    int     `json:"elements"`
	MaxAbs      float64 `json:"max_abs"`
	MaxRel      float64 `json:"max_rel"`
	MaxAbsFixed float64 `json:"max_abs_fixed"`
	MaxRelFixed float64 `json:"max_rel_fixed"`
}

// accuracyTable renders the report's per-layer errors (nil if the report
// has none).
func (r *Report) accuracyTable() *table.Table {
	if len(r.Accuracy) == 0 {
		return nil
	}
	t := &table.Table{
		Title:  "accuracy of " + r.Engine + " per layer",
		Header: []string{"layer", "elements", "max abs vs float64", "max rel vs float64", "max abs vs fixed-point", "max rel vs fixed-point"},
		Align:  []table.Align{table.Left, table.Right, table.Right, table.Right, table.Right, table.Right},
		Notes: []string{"relative error: max |engine − reference| / max |reference| over the layer's output.",
			"fixed-point: the plain engine's emulation of the functions the protocols compute (mpc/plain.NewFixed)."},
	}
	for _, a := range r.Accuracy {
		t.AddRow(a.Layer, fmt.Sprint(a.Elements), fmt.Sprintf("%.3g", a.MaxAbs), fmt.Sprintf("%.3g%%", 100*a.MaxRel),
			fmt.Sprintf("%.3g", a.MaxAbsFixed), fmt.Sprintf("%.3g%%", 100*a.MaxRelFixed))
	}
	return t
}

// LayerErrorOf compares an engine's layer output with the float64 and
// fixed-point references.
func LayerErrorOf(layer string, got, float, fixed *Dense) (LayerError, error) {
	e := LayerError{Layer: layer, Elements: got.Shape().Size()}
	var err error
	if e.MaxAbs, e.MaxRel, err = Compare(got, float); err != nil {
		return e, fmt.Errorf("mpc: layer %s: %w", layer, err)
	}
	if e.MaxAbsFixed, e.MaxRelFixed, err = Compare(got, fixed); err != nil {
		return e, fmt.Errorf("mpc: layer %s: %w", layer, err)
	}
	return e, nil
}
