package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/marill-go/marill/marill"
)

func TestWhatIf(t *testing.T) {
	cfg := marill.OpenLLaMA3Bv2()
	for _, s := range []Setting{TwoPC, ThreePC, TwoPCDealer} {
		f, _ := FamilyForSetting(s)
		w, err := RunWhatIf(context.Background(), cfg, Options{Family: f, Compute: NoCompute()}, WhatIfOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Variants) != 10 || w.Setting != s {
			t.Fatalf("%v: %d variants, setting %v", s, len(w.Variants), w.Setting)
		}
		std, _ := w.Variant("standard", false)
		if std.TimeGain != 1 || std.CommGain != 1 {
			t.Errorf("%v: standard gains %g %g", s, std.TimeGain, std.CommGain)
		}
		// Freezing half the layers removes half the blocks' MPC work.
		fr, _ := w.Variant("freeze", false)
		within(t, s.String()+" freeze comm gain", fr.CommGain, 2, 0.02)
		all, _ := w.Variant("all", false)
		if all.TimeGain <= fr.TimeGain || all.CommGain <= fr.CommGain {
			t.Errorf("%v: all three (%.2f×, %.2f×) no better than freezing alone (%.2f×, %.2f×)", s, all.TimeGain, all.CommGain, fr.TimeGain, fr.CommGain)
		}
		tg, cg, _, _ := w.Marill()
		t.Logf("%v: all three vs standard: time %.2f×, comm %.2f× (network time only)", s, tg, cg)
		text := w.String()
		for _, want := range []string{"standard +approx", "all +approx", "Paper: time 3.6–11.3×", cfg.Name} {
			if !strings.Contains(text, want) {
				t.Errorf("%v: table lacks %q", s, want)
			}
		}
		if !strings.Contains(w.Markdown(), "| all |") || !strings.Contains(w.HTML(), "<table") {
			t.Errorf("%v: markdown or HTML rendering missing rows", s)
		}
		if l := w.Layers(); !strings.Contains(l, "block25") || !strings.Contains(l, "all +approx sent") {
			t.Errorf("%v: per-layer table incomplete", s)
		}
	}
	if _, err := RunWhatIf(context.Background(), cfg, Options{}, WhatIfOptions{}); err == nil {
		t.Errorf("nil family accepted")
	}
	if _, err := RunWhatIf(context.Background(), cfg, Options{Family: NewSIGMA()}, WhatIfOptions{MergeHeads: 5}); err == nil {
		t.Errorf("merge 5 of 32 heads accepted")
	}
}
