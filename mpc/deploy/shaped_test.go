package deploy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/sim"
)

// simulate is the simulator's estimate of spec's run on a network given
// as for ParseShaping, with compute priced by c.
func simulate(tb testing.TB, spec Spec, network string, c sim.Compute) (time.Duration, int64) {
	tb.Helper()
	_, n, err := ParseShaping(network)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := spec.Resolve()
	if err != nil {
		tb.Fatal(err)
	}
	m, err := r.PublicModel(true)
	if err != nil {
		tb.Fatal(err)
	}
	est, err := sim.Simulate(context.Background(), m, sim.Options{Family: sim.NewOurs(), Network: n, Compute: c})
	if err != nil {
		tb.Fatal(err)
	}
	return est.Total().Time, est.Total().Rounds
}

// shapedRun runs spec with the client–server link shaped to network in
// both directions and returns the client's measured online time, the run's
// rounds, which must be the simulator's, and the offline bytes that
// crossed the shaped link during the run (the server's masked weights:
// the parties' offline bytes less the dealer's material).
func shapedRun(tb testing.TB, spec Spec, network string) (time.Duration, int64, int64) {
	tb.Helper()
	sh, _, err := ParseShaping(network)
	if err != nil {
		tb.Fatal(err)
	}
	res := runThree(tb, spec, setup{adjust: func(role string, o *Options) { o.Shaping = sh }})
	if !res.ok() {
		tb.Fatal(res)
	}
	merged, err := Merge(res.client.Report, res.server.Report, res.dealer.Report)
	if err != nil {
		tb.Fatal(err)
	}
	rounds := merged.Total().Rounds
	if _, want := simulate(tb, spec, network, sim.NoCompute()); rounds != want {
		tb.Errorf("the shaped run took %d rounds, the simulator counts %d", rounds, want)
	}
	m, d := merged.Total(), res.dealer.Report.Total()
	// The client's report times its operations less their offline steps
	// (receiving the masked weights and precomputing with them), as the
	// in-process engine does: the online time the simulator estimates.
	return res.client.Report.Total().Time, rounds, m.OfflineClient - d.OfflineClient + m.OfflineServer - d.OfflineServer
}

// On a shaped WAN-like link (10 ms one-way, 100 Mbit/s) the run's time is
// dominated by rounds × latency, and the simulator's estimate of the same
// run on the same network (sim.Ours, network time only) is close to the
// measured time. The measured time is larger by the parties' compute and
// by the flights of the server's masked weights: offline messages (they
// add no round to the count) that cross the same link during the run.
func TestShapedRunAgreesWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("a shaped run takes about a second")
	}
	spec := Spec{Model: "tiny-bert", SeqLen: 6, Knobs: tinyKnobs, Pretrained: Pretrained{Seed: 42}, Preload: true}
	const network = "100mbps/10ms"
	measured, rounds, _ := shapedRun(t, spec, network)
	est, _ := simulate(t, spec, network, sim.NoCompute())
	ratio := measured.Seconds() / est.Seconds()
	t.Logf("tiny-bert, %d rounds, 10 ms one-way, 100 Mbit/s: measured %v, simulated %v (network only), measured/simulated %.3f",
		rounds, measured.Round(time.Millisecond), est.Round(time.Millisecond), ratio)
	// Below 1 the shaper would not delay; far above, the run would not
	// be dominated by its rounds (the bound leaves room for a loaded CI
	// machine: the figures above are from a quiet one).
	if ratio < 0.97 || ratio > 1.5 {
		t.Errorf("measured/simulated = %.3f, outside [0.97, 1.5]", ratio)
	}
}

var (
	calibrateOnce sync.Once
	calibrated    sim.Compute
	calibrateErr  error
)

// calibratedCompute measures this machine's kernels once (sim.Calibrate
// and the protocols' own kernels), as "marill bench" does.
func calibratedCompute() (sim.Compute, error) {
	calibrateOnce.Do(func() {
		ctx := context.Background()
		calibrated, calibrateErr = sim.Calibrate(ctx, sim.CalibrateOptions{Name: "deploy-bench"})
		if calibrateErr != nil {
			return
		}
		var k map[string]float64
		if k, calibrateErr = proto.Calibrate(ctx, fxp.MustNew(fxp.Default()), 1<<15); calibrateErr != nil {
			return
		}
		for name, sec := range k {
			calibrated = calibrated.SetKernel(name, sec)
		}
	})
	return calibrated, calibrateErr
}

// BenchmarkShapedVsSimulator runs models over shaped links between three
// parties on loopback and reports the client's measured time next to the
// simulator's estimates (network only, and with this machine's
// calibrated compute):
//
//	go test ./mpc/deploy -run '^$' -bench ShapedVsSimulator -benchtime 1x
func BenchmarkShapedVsSimulator(b *testing.B) {
	c, err := calibratedCompute()
	if err != nil {
		b.Fatal(err)
	}
	tiny := Spec{Model: "tiny-bert", SeqLen: 6, Knobs: tinyKnobs, Pretrained: Pretrained{Seed: 42}}
	gpt2 := Spec{Model: "tiny-gpt2", SeqLen: 8, Pretrained: Pretrained{Seed: 42}}
	bert := Spec{Model: "bert-base", Layers: 1, SeqLen: 16, Knobs: marill.Knobs{LoRARank: 8, MergeHeads: 4}, Pretrained: Pretrained{Seed: 42}}
	type bench struct {
		name    string
		spec    Spec
		network string
	}
	var cases []bench
	for _, c := range []bench{
		{"tiny-bert/10ms-100mbps", tiny, "100mbps/10ms"},
		{"tiny-bert/1ms-1gbps", tiny, "1gbps/1ms"},
		{"tiny-gpt2/10ms-100mbps", gpt2, "100mbps/10ms"},
		{"bert-base-1block/10ms-100mbps", bert, "100mbps/10ms"},
		{"bert-base-1block/1ms-1gbps", bert, "1gbps/1ms"},
		{"bert-base-1block/40ms-100mbps", bert, "100mbps/40ms"},
	} {
		c.spec.Preload = true
		cases = append(cases, bench{c.name + "/preload", c.spec, c.network})
		c.spec.Preload = false
		cases = append(cases, bench{c.name + "/streamed", c.spec, c.network})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var measured time.Duration
			var rounds, linkOffline int64
			for range b.N {
				measured, rounds, linkOffline = shapedRun(b, tc.spec, tc.network)
			}
			net, _ := simulate(b, tc.spec, tc.network, sim.NoCompute())
			full, _ := simulate(b, tc.spec, tc.network, c)
			b.ReportMetric(measured.Seconds(), "measured-s")
			b.ReportMetric(net.Seconds(), "sim-net-s")
			b.ReportMetric(full.Seconds(), "sim-calibrated-s")
			b.ReportMetric(measured.Seconds()/net.Seconds(), "measured/sim-net")
			b.ReportMetric(measured.Seconds()/full.Seconds(), "measured/sim-calibrated")
			b.ReportMetric(float64(rounds), "rounds")
			b.ReportMetric(float64(linkOffline)/1e6, "link-offline-MB")
		})
	}
}
