package tape_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/tape"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/plain"
)

type knobCase struct {
	name  string
	knobs *marill.Knobs // nil: the pretrained model, every parameter trained
}

func knobCases() []knobCase {
	k := func(x marill.Knobs) *marill.Knobs { return &x }
	return []knobCase{
		{"pretrained", nil},
		{"full", k(marill.Knobs{Perturb: 1, Seed: 3})},
		{"freeze1", k(marill.Knobs{FreezeLayers: 1, Perturb: 1, Seed: 3})},
		{"lora2", k(marill.Knobs{LoRARank: 2, Perturb: 1, Seed: 3})},
		{"lora-qv", k(marill.Knobs{LoRARank: 3, LoRATargets: marill.ProjQ | marill.ProjV, Perturb: 1, Seed: 3})},
		{"merge2", k(marill.Knobs{MergeHeads: 2, Perturb: 1, Seed: 3})},
		{"quad", k(marill.Knobs{GeLU: marill.Quad, Softmax: marill.TwoQuad, SiLU: marill.SiLUQuad, Perturb: 1, Seed: 3})},
		{"relu", k(marill.Knobs{GeLU: marill.GeLUReLU, Softmax: marill.TwoReLU, SiLU: marill.SiLUReLU, Perturb: 1, Seed: 3})},
		{"all", k(marill.Knobs{FreezeLayers: 1, LoRARank: 2, MergeHeads: 4, Softmax: marill.TwoQuad, GeLU: marill.Quad, SiLU: marill.SiLUQuad, Perturb: 1, Seed: 3})},
	}
}

// model returns the model of a case and the parameters that are trained:
// every one of a pretrained model (a tied LM head counts as a source of
// its own here), the server's private ones of a fine-tuned model.
func model(t *testing.T, arch marill.Arch, c knobCase) (*marill.Model, []*marill.Param) {
	t.Helper()
	pre, err := marill.NewPretrained(marill.Tiny(arch), 11)
	if err != nil {
		t.Fatal(err)
	}
	if c.knobs == nil {
		ps := pre.Params()
		if pre.Head.LMTied {
			ps = append(ps, pre.Head.LM.Weight)
		}
		return pre, ps
	}
	ft, err := pre.FineTune(*c.knobs)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*marill.Param
	for _, p := range ft.Params() {
		if p.Vis == mpc.Server {
			ps = append(ps, p)
		}
	}
	return ft, ps
}

var families = []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA}

// TestForwardMatchesPlain runs every family and knob on the tape and on
// the plain engine: the outputs agree to rounding and the reports place
// and count every operation the same way.
func TestForwardMatchesPlain(t *testing.T) {
	ctx := context.Background()
	for _, arch := range families {
		for _, c := range knobCases() {
			t.Run(arch.String()+"/"+c.name, func(t *testing.T) {
				m, ps := model(t, arch, c)
				in := marill.RandomInput(m.Config, 5)
				pe := plain.New()
				want, err := m.Forward(ctx, pe, in)
				if err != nil {
					t.Fatal(err)
				}
				e := tape.New()
				for _, p := range ps {
					e.Train(p)
				}
				got, err := m.Forward(ctx, e, in)
				if err != nil {
					t.Fatal(err)
				}
				if abs, _, err := mpc.Compare(got, want); err != nil || abs > 1e-12 {
					t.Fatalf("tape output differs from plain by %g (%v)", abs, err)
				}
				pr, tr := pe.Report().Rows, e.Report().Rows
				if len(pr) != len(tr) {
					t.Fatalf("report has %d rows, plain's %d", len(tr), len(pr))
				}
				for i := range pr {
					a, b := pr[i], tr[i]
					if a.Scope != b.Scope || a.Op != b.Op || a.Place != b.Place || a.Count != b.Count || a.Elements != b.Elements || a.MACs != b.MACs {
						t.Fatalf("row %d: tape %s/%s %v %d×, plain %s/%s %v %d×", i, b.Scope, b.Op, b.Place, b.Count, a.Scope, a.Op, a.Place, a.Count)
					}
				}
			})
		}
	}
}

// TestModelGradients checks, for every family and knob, the gradient of a
// random linear functional of the output with respect to sampled entries
// of every trained parameter against central finite differences computed
// with the plain engine.
func TestModelGradients(t *testing.T) {
	ctx := context.Background()
	for fi, arch := range families {
		for ci, c := range knobCases() {
			t.Run(arch.String()+"/"+c.name, func(t *testing.T) {
				m, ps := model(t, arch, c)
				m.Materialize()
				if len(ps) == 0 {
					t.Fatal("no trained parameters")
				}
				r := rand.New(rand.NewPCG(uint64(fi), uint64(ci)))
				in := marill.RandomInput(m.Config, 5)
				e := tape.New()
				for _, p := range ps {
					e.Train(p)
				}
				out, err := m.Apply(ctx, e, in)
				if err != nil {
					t.Fatal(err)
				}
				w := make([]float64, out.Shape().Size())
				for i := range w {
					w[i] = r.NormFloat64()
				}
				if err := e.Seed(out, w); err != nil {
					t.Fatal(err)
				}
				if err := e.Backward(nil); err != nil {
					t.Fatal(err)
				}
				loss := func() float64 {
					y, err := m.Forward(ctx, plain.New(), in)
					if err != nil {
						t.Fatal(err)
					}
					s := 0.0
					for i, v := range y.Data() {
						s += w[i] * v
					}
					return s
				}
				// Small steps: with seeded weights the attention scores are
				// tiny, and 2ReLU's kink at 0 is close to many of them.
				const h = 1e-7
				checked := 0
				for _, p := range ps {
					g := e.Grad(p)
					v := append([]float64(nil), p.Data()...)
					for k := 0; k < 3; k++ {
						j := r.IntN(len(v))
						x := v[j]
						v[j] = x + h
						set(t, p, v)
						up := loss()
						v[j] = x - h
						set(t, p, v)
						down := loss()
						v[j] = x
						set(t, p, v)
						want := (up - down) / (2 * h)
						if math.Abs(g[j]-want) > 1e-8+1e-4*math.Max(math.Abs(want), math.Abs(g[j])) {
							t.Errorf("%s[%d]: gradient %.8g, finite difference %.8g", p.Name, j, g[j], want)
						}
						checked++
					}
				}
				if testing.Verbose() {
					fmt.Printf("%s/%s: %d entries of %d parameters checked\n", arch, c.name, checked, len(ps))
				}
			})
		}
	}
}

func set(t *testing.T, p *marill.Param, v []float64) {
	t.Helper()
	if err := p.Set(v); err != nil {
		t.Fatal(err)
	}
}
