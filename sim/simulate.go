package sim

import (
	"context"
	"fmt"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

// Simulate prices one forward pass of m at its configured sequence length:
// it adapts the family to the model (ForModel), runs m on a simulator
// engine and returns the priced report with the model, length and knobs
// in its metadata.
func Simulate(ctx context.Context, m *marill.Model, opts Options) (*mpc.Report, error) {
	if m == nil {
		return nil, fmt.Errorf("sim: Simulate needs a model")
	}
	if opts.Family == nil {
		return nil, fmt.Errorf("sim: Options.Family is nil; pick one of sim.Families() or sim.FamilyForSetting")
	}
	opts.Family = ForModel(opts.Family, m.Config)
	e, err := New(opts)
	if err != nil {
		return nil, err
	}
	knobs := "pretrained (public)"
	if m.FineTuned {
		knobs = m.Knobs.String()
	}
	e.SetMeta(mpc.Meta{Model: m.Config.Name, SeqLen: m.Config.SeqLen, Knobs: knobs})
	if _, err := m.Apply(ctx, e, marill.Input{IDs: make([]int, m.Config.SeqLen)}); err != nil {
		return nil, fmt.Errorf("sim: %s: %w", m.Config.Name, err)
	}
	return e.Report(), nil
}

// SimulateConfig builds cfg's pretrained model (weights are never
// generated: the simulator reads no values), fine-tunes it with k and
// prices it. Standard fine-tuning is the zero Knobs.
func SimulateConfig(ctx context.Context, cfg marill.Config, k marill.Knobs, opts Options) (*mpc.Report, error) {
	m, err := fineTuned(cfg, k)
	if err != nil {
		return nil, err
	}
	return Simulate(ctx, m, opts)
}

func fineTuned(cfg marill.Config, k marill.Knobs) (*marill.Model, error) {
	pre, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		return nil, err
	}
	return pre.FineTune(k)
}

// Blocks sums the rows of a report whose layer is a transformer block
// ("block0", "block1", ...): what published figures that start from
// embedded inputs and stop before the head cover.
func Blocks(r *mpc.Report) mpc.Row {
	t := mpc.Row{Scope: "blocks", Op: "*", Place: mpc.Interactive}
	for _, x := range r.Rows {
		if strings.HasPrefix(x.Layer(), "block") {
			t.Cost.Add(x.Cost)
		}
	}
	return t
}

// BlocksOp sums the block rows of one operation (e.g. "softmax").
func BlocksOp(r *mpc.Report, op string) mpc.Row {
	t := mpc.Row{Scope: "blocks", Op: op, Place: mpc.Interactive}
	for _, x := range r.Rows {
		if x.Op == op && strings.HasPrefix(x.Layer(), "block") {
			t.Cost.Add(x.Cost)
		}
	}
	return t
}
