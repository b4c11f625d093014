package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/secure"
	"github.com/marill-go/marill/sim"
)

type point struct {
	name  string
	cfg   marill.Config
	knobs marill.Knobs
	num   fxp.Params
}

func tiny(arch marill.Arch, n int) marill.Config {
	c := marill.Tiny(arch)
	c.SeqLen = n
	return c
}

func grid(short bool) []point {
	def := fxp.Default()
	narrow := def
	narrow.FracBits, narrow.CmpBits, narrow.ActFrac, narrow.ExpFrac = 12, 30, 4, 10
	fine := def
	fine.GeLUBits, fine.TanhBits, fine.SiLUBits, fine.MantissaBits, fine.NewtonIters = 9, 10, 10, 6, 2
	knobs := []marill.Knobs{
		{},
		{FreezeLayers: 1},
		{LoRARank: 2, LoRATargets: marill.ProjAll},
		{MergeHeads: 2},
		{FreezeLayers: 1, LoRARank: 2, MergeHeads: 2},
		{GeLU: mpc.GeLUQuad, Softmax: mpc.Softmax2Quad, SiLU: mpc.SiLUQuad},
		{GeLU: mpc.GeLUReLU, Softmax: mpc.Softmax2ReLU, SiLU: mpc.SiLUReLU},
		{GeLU: mpc.GeLUTanh, LoRARank: 1, LoRATargets: marill.ProjQ | marill.ProjV},
	}
	var ps []point
	for _, arch := range []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA} {
		for _, k := range knobs {
			if arch == marill.LLaMA && (k.GeLU != 0) && k.SiLU == 0 {
				continue // LLaMA has no GeLU knob
			}
			ps = append(ps, point{fmt.Sprintf("%v/%v", arch, k), tiny(arch, 5), k, def})
		}
		ps = append(ps,
			point{fmt.Sprintf("%v/n=1", arch), tiny(arch, 1), marill.Knobs{}, def},
			point{fmt.Sprintf("%v/narrow", arch), tiny(arch, 6), marill.Knobs{}, narrow},
			point{fmt.Sprintf("%v/fine", arch), tiny(arch, 4), marill.Knobs{LoRARank: 2}, fine},
		)
	}
	if !short {
		// Real widths: one BERT-base block and one GPT-2 block at a short
		// sequence (the costs of a block do not depend on the others).
		b := marill.BERTBase()
		b.Layers, b.SeqLen = 1, 4
		g := marill.GPT2Small()
		g.Layers, g.SeqLen = 1, 4
		ps = append(ps,
			point{"bert-base-block", b, marill.Knobs{}, def},
			point{"bert-base-block/lora+merge", b, marill.Knobs{LoRARank: 4, MergeHeads: 4}, def},
			point{"gpt2-block/2quad", g, marill.Knobs{GeLU: mpc.GeLUQuad, Softmax: mpc.Softmax2Quad}, def},
		)
	}
	return ps
}

type key struct {
	scope, op string
	place     mpc.Placement
}

func rows(r *mpc.Report) (map[key]mpc.Cost, []key) {
	m := map[key]mpc.Cost{}
	var order []key
	for _, row := range r.Rows {
		k := key{row.Scope, row.Op, row.Place}
		if _, ok := m[k]; !ok {
			order = append(order, k)
		}
		c := m[k]
		c.Add(row.Cost)
		m[k] = c
	}
	return m, order
}

func TestSimulatorMatchesSecureEngine(t *testing.T) {
	ctx := context.Background()
	for _, p := range grid(testing.Short()) {
		t.Run(p.name, func(t *testing.T) {
			pre, err := marill.NewPretrained(p.cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			m, err := pre.FineTune(p.knobs)
			if err != nil {
				t.Fatal(err)
			}
			eng, err := secure.New(secure.Options{Numerics: p.num, Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			if _, err := m.Forward(ctx, eng, marill.RandomInput(p.cfg, 5)); err != nil {
				t.Fatal(err)
			}
			fam, err := sim.NewOursWith(p.num)
			if err != nil {
				t.Fatal(err)
			}
			est, err := sim.Simulate(ctx, m, sim.Options{Family: fam})
			if err != nil {
				t.Fatal(err)
			}
			got, order := rows(est)
			want, wantOrder := rows(eng.Report())
			if len(got) != len(want) {
				t.Errorf("simulator has %d rows, secure engine %d", len(got), len(want))
			}
			for _, k := range wantOrder {
				w, g := want[k], got[k]
				if w.Rounds != g.Rounds || w.SentClient != g.SentClient || w.SentServer != g.SentServer ||
					w.OfflineClient != g.OfflineClient || w.OfflineServer != g.OfflineServer || w.Count != g.Count {
					t.Errorf("%s/%s (%v): secure count %d rounds %d sent %d/%d offline %d/%d; simulated count %d rounds %d sent %d/%d offline %d/%d",
						k.scope, k.op, k.place, w.Count, w.Rounds, w.SentClient, w.SentServer, w.OfflineClient, w.OfflineServer,
						g.Count, g.Rounds, g.SentClient, g.SentServer, g.OfflineClient, g.OfflineServer)
				}
			}
			for _, k := range order {
				if _, ok := want[k]; !ok {
					t.Errorf("simulator row %s/%s (%v) is not in the secure report", k.scope, k.op, k.place)
				}
			}
		})
	}
}

// The simulator counts Ours's work in the kernels proto.Calibrate times.
func TestKernelNamesAgree(t *testing.T) {
	got, want := sim.OursKernels(), proto.Kernels()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sim.OursKernels() = %v, proto.Kernels() = %v", got, want)
	}
}
