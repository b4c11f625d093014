package marill

import (
	"context"
	"testing"

	"github.com/marill-go/marill/mpc/trace"
)

func benchTrace(b *testing.B, cfg Config, k Knobs) {
	m, err := NewPretrained(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	ft := m.MustFineTune(k)
	in := Input{IDs: make([]int, cfg.SeqLen)}
	b.ResetTimer()
	for range b.N {
		e := trace.New(trace.Options{})
		if _, err := ft.Apply(context.Background(), e, in); err != nil {
			b.Fatal(err)
		}
		e.Report()
	}
}

// BenchmarkTraceBERTBase traces BERT-base at 128 tokens (the simulator's
// base cost; target for pricing: under 50 ms).
func BenchmarkTraceBERTBase(b *testing.B) { benchTrace(b, BERTBase(), Knobs{}) }

// BenchmarkTraceLlama2_7B2048 traces Llama-2-7B at 2048 tokens (target for
// pricing: under 1 s).
func BenchmarkTraceLlama2_7B2048(b *testing.B) {
	cfg := Llama2_7B()
	cfg.SeqLen = 2048
	benchTrace(b, cfg, Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4})
}
