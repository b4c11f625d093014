package sim

import (
	"context"
	"testing"

	"github.com/marill-go/marill/marill"
)

// Pricing speed: BERT-base at 128 tokens (target < 50 ms) and Llama-2-7B
// at 2048 tokens (target < 1 s) under every family, with Marill's knobs.
//
//	go test -run '^$' -bench Price ./sim
func benchPrice(b *testing.B, cfg marill.Config, k marill.Knobs) {
	m, err := fineTuned(cfg, k)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range Families() {
		b.Run(shortName(f), func(b *testing.B) {
			opts := Options{Family: f}
			for range b.N {
				r, err := Simulate(context.Background(), m, opts)
				if err != nil || len(r.Rows) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPriceBERTBase(b *testing.B) { benchPrice(b, marill.BERTBase(), marill.Knobs{}) }

func BenchmarkPriceLlama2_7B2048(b *testing.B) {
	cfg := marill.Llama2_7B()
	cfg.SeqLen = 2048
	benchPrice(b, cfg, marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4})
}

// BenchmarkWhatIfOpenLLaMA3B prices the ten variants of the what-if table.
func BenchmarkWhatIfOpenLLaMA3B(b *testing.B) {
	for range b.N {
		if _, err := RunWhatIf(context.Background(), marill.OpenLLaMA3Bv2(), Options{Family: NewSIGMA()}, WhatIfOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
