package plots

import (
	"testing"

	"github.com/marill-go/marill/marill"
)

// benchLayers24 is the per-layer chart of a 24-layer model (BERT-large:
// embedding, 24 blocks, head), half of them frozen.
func benchLayers24(b *testing.B) *Figure {
	r := traceReport(b, marill.BERTLarge(), marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4, Softmax: marill.TwoQuad}, 128)
	f, err := Layers(r, Time, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func BenchmarkLayers24PNG(b *testing.B) {
	f := benchLayers24(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLayers24SVG(b *testing.B) {
	f := benchLayers24(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.SVG(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLayers24PDF(b *testing.B) {
	f := benchLayers24(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.PDF(); err != nil {
			b.Fatal(err)
		}
	}
}
