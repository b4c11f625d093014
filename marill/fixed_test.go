package marill

import (
	"context"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

// FixedPointLogitTolerance is the documented bound on the fixed-point
// emulation's logits against float64, relative to the largest logit, for
// BERT-base- and GPT-2-shaped models at short sequences with the default
// numerics (measured: 0.03%–0.21%; see TestFixedPointEmulationAccuracy).
const FixedPointLogitTolerance = 0.005

// TestFixedPointEmulationAccuracy runs BERT-base- and GPT-2-shaped models
// (full width and depth, 8 tokens) through the float64 and fixed-point
// plain engines, with and without the Marill knobs and the MPC-friendly
// approximations, and bounds the logits' error.
func TestFixedPointEmulationAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("full-size models (about 20 s)")
	}
	ctx := context.Background()
	for _, cfg := range []Config{BERTBase(), GPT2Small()} {
		cfg.SeqLen = 8
		pre := pretrained(t, cfg, 42)
		in := RandomInput(cfg, 7)
		for _, k := range []Knobs{
			{},
			{Softmax: mpc.Softmax2Quad, GeLU: mpc.GeLUQuad},
			{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Perturb: 1},
		} {
			m := pre.MustFineTune(k)
			want, err := m.Forward(ctx, plain.New(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Forward(ctx, plain.NewFixed(), in)
			if err != nil {
				t.Fatal(err)
			}
			_, rel, err := mpc.Compare(got, want)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, %s: logits within %.3g%% of float64", cfg.Name, k, 100*rel)
			if rel > FixedPointLogitTolerance {
				t.Errorf("%s, %s: fixed-point logits are %.3g%% off float64, bound %.2g%%", cfg.Name, k, 100*rel, 100*FixedPointLogitTolerance)
			}
		}
	}
}
