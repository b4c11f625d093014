package marill

import (
	"context"
	"testing"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
	"github.com/marill-go/marill/mpc/trace"
)

// TestTraceAgreesWithPlain runs the same models through the shape-only
// trace engine (which plans and prices) and the plain engine (which
// computes): every row — scope, op, placement, count, elements, MACs —
// must be identical.
func TestTraceAgreesWithPlain(t *testing.T) {
	ctx := context.Background()
	for _, a := range []Arch{BERT, GPT2, LLaMA} {
		cfg := Tiny(a)
		pre := pretrained(t, cfg, 1)
		for _, k := range []Knobs{{}, {FreezeLayers: 1, LoRARank: 2, MergeHeads: 2, Softmax: mpc.Softmax2ReLU}, {FreezeFraction: 1}} {
			m := pre.MustFineTune(k)
			in := RandomInput(cfg, 2)
			p := plain.New()
			if _, err := m.Forward(ctx, p, in); err != nil {
				t.Fatal(err)
			}
			tr := trace.New(trace.Options{})
			if _, err := m.Apply(ctx, tr, in); err != nil {
				t.Fatal(err)
			}
			pr, trr := p.Report().Rows, tr.Report().Rows
			if len(pr) != len(trr) {
				t.Fatalf("%v %s: plain has %d rows, trace %d", a, k, len(pr), len(trr))
			}
			for i := range pr {
				x, y := pr[i], trr[i]
				x.Time, y.Time = 0, 0
				if x != y {
					t.Fatalf("%v %s row %d: plain %+v, trace %+v", a, k, i, x, y)
				}
			}
		}
	}
}
