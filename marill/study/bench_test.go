package study

import (
	"context"
	"testing"

	"github.com/marill-go/marill/mpc"
)

// BenchmarkPlanStudy runs a 288-point study of BERT-base and GPT-2 knobs with
// the plan evaluator on every core and reports points per second.
func BenchmarkPlanStudy(b *testing.B) {
	g := Grid{
		Models:    []string{"bert-base", "gpt2"},
		SeqLens:   []int{128, 512},
		Freeze:    []float64{0, 0.25, 0.5, 0.75},
		LoRARanks: []int{0, 8, 32},
		Merge:     []int{1, 2, 4},
		Softmax:   []mpc.SoftmaxKind{mpc.SoftmaxExact, mpc.Softmax2Quad},
	}
	points := 0
	for b.Loop() {
		rs, err := Run(context.Background(), g, PlanEvaluator(), Options{})
		if err != nil || rs.Failed() > 0 {
			b.Fatal(err)
		}
		points += len(rs.Results)
	}
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
}
