package sim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

// Every family prices every operation the three architectures use, with
// communication exactly on the interactive rows.
func TestEveryFamilyPricesEveryOperation(t *testing.T) {
	knobs := []marill.Knobs{
		{},
		{FreezeFraction: 0.5, LoRARank: 2, MergeHeads: 2},
		{GeLU: mpc.GeLUQuad, Softmax: mpc.Softmax2Quad, SiLU: mpc.SiLUQuad},
		{GeLU: mpc.GeLUReLU, Softmax: mpc.Softmax2ReLU, SiLU: mpc.SiLUReLU},
	}
	for _, f := range Families() {
		for _, arch := range []marill.Arch{marill.BERT, marill.GPT2, marill.LLaMA} {
			for _, k := range knobs {
				r := price(t, f, marill.Tiny(arch), k)
				_, ours := f.(Ours)
				for _, row := range r.Rows {
					comm := row.Sent() + row.Rounds
					switch {
					case row.Place == mpc.Interactive && comm+row.Offline() == 0:
						t.Errorf("%s %v %v: interactive %s/%s costs nothing", f.Name(), arch, k, row.Scope, row.Op)
					case row.Place == mpc.Interactive && comm == 0 && !ours:
						// Only our engine runs a product in an earlier one's
						// message (K and V reuse Q's masked activation).
						t.Errorf("%s %v %v: interactive %s/%s has no communication", f.Name(), arch, k, row.Scope, row.Op)
					case row.Place == mpc.OnShares && ours:
						// Our engine truncates lazily: a local product by a
						// public value pays for its operand's deferred
						// truncation when the scale would overflow.
					case row.Place != mpc.Interactive && comm+row.Offline() != 0:
						t.Errorf("%s %v %v: %v row %s/%s has communication", f.Name(), arch, k, row.Place, row.Scope, row.Op)
					}
				}
			}
		}
	}
}

// Approximations change the price in every family: 2Quad and Quad are
// cheaper than the exact forms.
func TestApproximationsChangeThePrice(t *testing.T) {
	for _, f := range Families() {
		for _, arch := range []marill.Arch{marill.BERT, marill.LLaMA} {
			cfg := marill.Tiny(arch)
			cfg.SeqLen = 16
			exact := price(t, f, cfg, marill.Knobs{})
			approx := price(t, f, cfg, marill.Knobs{GeLU: mpc.GeLUQuad, Softmax: mpc.Softmax2Quad, SiLU: mpc.SiLUQuad})
			act := mpc.OpGeLU
			if arch == marill.LLaMA {
				act = mpc.OpSiLU
			}
			for _, op := range []string{mpc.OpSoftmax, act} {
				e, a := BlocksOp(exact, op), BlocksOp(approx, op)
				if a.Sent() >= e.Sent() || a.Rounds >= e.Rounds {
					t.Errorf("%s %v %s: approximation %d B / %d rounds, exact %d B / %d rounds", f.Name(), arch, op, a.Sent(), a.Rounds, e.Sent(), e.Rounds)
				}
			}
		}
	}
}

// Head merging divides the softmax work by the merge factor (fewer score
// elements); freezing half the layers halves the blocks' cost.
func TestMarillKnobsMoveCosts(t *testing.T) {
	cfg := marill.BERTBase()
	for _, f := range []Family{NewSIGMA(), NewCrypTen(), NewPUMA()} {
		std := price(t, f, cfg, marill.Knobs{})
		merged := price(t, f, cfg, marill.Knobs{MergeHeads: 4})
		s, m := BlocksOp(std, mpc.OpSoftmax), BlocksOp(merged, mpc.OpSoftmax)
		if s.Elements != 4*m.Elements {
			t.Errorf("%s: merged softmax elements %d, want a quarter of %d", f.Name(), m.Elements, s.Elements)
		}
		within(t, f.Name()+" softmax bytes ratio under merging", float64(s.Sent())/float64(m.Sent()), 4, 0.02)
		frozen := price(t, f, cfg, marill.Knobs{FreezeFraction: 0.5})
		within(t, f.Name()+" blocks bytes ratio under freezing", float64(Blocks(std).Sent())/float64(Blocks(frozen).Sent()), 2, 0.02)
	}
}

// SIGMA batches the k and v projections with q (one fused QKV product)
// and computes only the lower triangle of causal score matrices.
func TestNeighbourFacts(t *testing.T) {
	m, err := fineTuned(marill.Tiny(marill.GPT2), marill.Knobs{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Family: NewSIGMA()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(context.Background(), e, marill.Input{IDs: make([]int, 8)}); err != nil {
		t.Fatal(err)
	}
	batched := map[string]bool{}
	masked := 0
	for _, op := range e.Ops() {
		if op.Op.Op != mpc.OpMatMul {
			continue
		}
		if op.Batched {
			batched[op.Scope[strings.LastIndexByte(op.Scope, '/')+1:]] = true
		}
		if op.Masked {
			masked++
			if !strings.HasSuffix(op.Scope, "attn/scores") {
				t.Errorf("masked product in %s", op.Scope)
			}
		}
	}
	if !batched["k"] || !batched["v"] || batched["q"] || batched["o"] || len(batched) != 2 {
		t.Errorf("batched projections %v, want k and v", batched)
	}
	if masked != 2 {
		t.Errorf("%d masked score products, want one per layer (2)", masked)
	}
	r := e.Report()
	q, _ := r.Row("block1/attn/q", mpc.OpMatMul)
	k, _ := r.Row("block1/attn/k", mpc.OpMatMul)
	if q.Rounds != 5 || k.Rounds != 0 || k.Sent() != q.Sent() {
		t.Errorf("q %d rounds %d B, k %d rounds %d B; want k batched with q", q.Rounds, q.Sent(), k.Rounds, k.Sent())
	}
	s, _ := r.Row("block1/attn/scores", mpc.OpMatMul)
	if want := int64(4*8*9/2) * 140 / 8 * 2; s.Sent() != want {
		t.Errorf("causal scores sent %d, want %d (lower triangles only)", s.Sent(), want)
	}
}

// Estimated time = compute + rounds × latency + the busiest link's bytes ÷
// bandwidth, per operation; 3PC charges each server's own link.
func TestTimeFormula(t *testing.T) {
	net, err := CustomNetwork("test", 8e6, time.Millisecond) // 1 MB/s
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Family{NewSIGMA(), NewPUMA()} {
		e, err := New(Options{Family: f, Network: net, Compute: NoCompute()})
		if err != nil {
			t.Fatal(err)
		}
		x := e.Share(e.Input(mpc.Zeros(4, 16), mpc.Client))
		y := e.Share(e.Input(mpc.Zeros(4, 16), mpc.Server))
		e.Mul(x, y)
		r := e.Report()
		row, ok := r.Row("", mpc.OpMul)
		if !ok {
			t.Fatalf("%s: no mul row in %v", f.Name(), r.Rows)
		}
		busiest := max(row.SentClient, row.SentServer)
		if f.Setting() == ThreePC {
			if row.SentServer != 2*row.SentClient {
				t.Errorf("PUMA: P1 column %d, want twice P0's %d", row.SentServer, row.SentClient)
			}
			busiest = row.SentClient
		}
		want := time.Duration(row.Rounds)*time.Millisecond + time.Duration(busiest)*time.Microsecond
		if row.Time != want {
			t.Errorf("%s: time %v, want %v (%d rounds, %d B)", f.Name(), row.Time, want, row.Rounds, busiest)
		}
		if r.TimeKind != mpc.Estimated || !strings.Contains(r.Meta.Protocol, f.Name()) || r.Meta.Network == "" {
			t.Errorf("%s: report header %v %q %q", f.Name(), r.TimeKind, r.Meta.Protocol, r.Meta.Network)
		}
	}
}

// Compute time comes from the profile: plaintext work of frozen layers is
// timed on the client, and a profile without rates says so in the notes.
func TestComputeTime(t *testing.T) {
	cfg := marill.Tiny(marill.LLaMA)
	k := marill.Knobs{FreezeFraction: 1}
	slow := DevVM2Core()
	fast := slow.Scaled(10)
	rs, err := SimulateConfig(context.Background(), cfg, k, Options{Family: NewSIGMA(), Compute: slow})
	if err != nil {
		t.Fatal(err)
	}
	rf, _ := SimulateConfig(context.Background(), cfg, k, Options{Family: NewSIGMA(), Compute: fast})
	ts, tf := rs.Where("block0").Total().Time, rf.Where("block0").Total().Time
	if ts == 0 || ts < 9*tf || ts > 11*tf {
		t.Errorf("frozen block time %v on the slow profile, %v on the 10× profile", ts, tf)
	}
	partial := Compute{Name: "partial", RingOpsPerSec: 1e9}
	r, _ := SimulateConfig(context.Background(), cfg, marill.Knobs{}, Options{Family: NewSIGMA(), Compute: partial})
	if !strings.Contains(strings.Join(r.Notes, " "), "no rate for") {
		t.Errorf("notes do not mention untimed work: %q", r.Notes)
	}
}

func TestEngineErrors(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "Family is nil") {
		t.Errorf("nil family: %v", err)
	}
	if _, err := New(Options{Family: NewSIGMA(), Network: Network{Name: "x"}}); err == nil || !strings.Contains(err.Error(), "bandwidth") {
		t.Errorf("zero bandwidth: %v", err)
	}
	if _, err := New(Options{Family: NewSIGMA(), Compute: Compute{Name: "neg", RingOpsPerSec: -1}}); err == nil {
		t.Errorf("negative rate accepted")
	}
	e, _ := New(Options{Family: NewCrypTen()})
	x := e.Input(mpc.Zeros(2, 3), mpc.Client)
	if _, err := e.Value(x); err == nil {
		t.Errorf("Value on a simulation succeeded")
	}
	e.MatMul(x, e.Input(mpc.Zeros(4, 2), mpc.Server))
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "inner dimensions") {
		t.Errorf("shape error: %v", err)
	}
	if _, err := Simulate(context.Background(), nil, Options{Family: NewSIGMA()}); err == nil {
		t.Errorf("nil model accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SimulateConfig(ctx, marill.Tiny(marill.BERT), marill.Knobs{}, Options{Family: NewSIGMA()}); err == nil {
		t.Errorf("cancelled context accepted")
	}
}

func TestNetworksAndSettings(t *testing.T) {
	n, err := ParseNetwork("1Gbps/0.5ms")
	if err != nil || n.BitsPerSecond != 1e9 || n.Latency != 500*time.Microsecond {
		t.Errorf("ParseNetwork = %+v, %v", n, err)
	}
	for _, bad := range []string{"fast", "0gbps/1ms", "1gbps/soon", "x/1ms"} {
		if _, err := ParseNetwork(bad); err == nil {
			t.Errorf("ParseNetwork(%q) accepted", bad)
		}
	}
	for _, p := range Networks() {
		if got, err := ParseNetwork(p.Name); err != nil || got != p {
			t.Errorf("preset %s: %v", p.Name, err)
		}
	}
	for _, s := range []Setting{TwoPC, ThreePC, TwoPCDealer} {
		got, err := ParseSetting(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSetting(%v) = %v, %v", s, got, err)
		}
		f, err := FamilyForSetting(s)
		if err != nil || f.Setting() != s {
			t.Errorf("FamilyForSetting(%v) = %v, %v", s, f, err)
		}
	}
	if _, err := ParseSetting("4pc"); err == nil {
		t.Errorf("4pc accepted")
	}
	for _, f := range Families() {
		g, err := FamilyByName(shortName(f))
		if err != nil || g.Name() != f.Name() {
			t.Errorf("FamilyByName(%s): %v", shortName(f), err)
		}
	}
	if _, err := FamilyByName("aby2"); err == nil {
		t.Errorf("unknown family accepted")
	}
}

func TestComputeProfiles(t *testing.T) {
	c := DevVM2Core().SetKernel("fss.dcf", 1e-7)
	b, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCompute(b)
	if err != nil || back.Kernels["fss.dcf"] != 1e-7 || back.RingMACsPerSec != c.RingMACsPerSec {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	d, missing := back.Time(Work{Kernels: []KernelWork{{"fss.dcf", 1e7}, {"other", 1}}})
	if d != time.Second || len(missing) != 1 || missing[0] != "kernel other" {
		t.Errorf("kernel time %v, missing %v", d, missing)
	}
	for _, bad := range []string{`{`, `{"name":""}`, `{"name":"x","ring_ops_per_sec":-1}`} {
		if _, err := ParseCompute([]byte(bad)); err == nil {
			t.Errorf("ParseCompute(%s) accepted", bad)
		}
	}
	if _, err := ComputeByName("cray"); err == nil {
		t.Errorf("unknown compute profile accepted")
	}
	m, err := Calibrate(context.Background(), CalibrateOptions{Name: "t", PerKernel: 3 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"plain MACs": m.PlainMACsPerSec, "ring MACs": m.RingMACsPerSec,
		"ring ops": m.RingOpsPerSec, "PRG": m.PRGBytesPerSec, "AES": m.AESBlocksPerSec} {
		if !(v > 1e6) {
			t.Errorf("calibrated %s rate %g", name, v)
		}
	}
}

// The operations models do not use directly (max, exp, reciprocal, rsqrt,
// ReLU, reveal to both) are priced too, with communication when secret.
func TestStandaloneOperations(t *testing.T) {
	for _, f := range Families() {
		e, err := New(Options{Family: f})
		if err != nil {
			t.Fatal(err)
		}
		x := e.Share(e.Input(mpc.Zeros(4, 8), mpc.Client))
		e.Max(x)
		e.Exp(x)
		e.Reciprocal(x)
		e.Rsqrt(x)
		e.ReLU(x)
		e.Reveal(x, mpc.Public)
		if err := e.Err(); err != nil {
			t.Fatal(err)
		}
		for _, op := range []string{mpc.OpMax, mpc.OpExp, mpc.OpReciprocal, mpc.OpRsqrt, mpc.OpReLU, mpc.OpReveal} {
			row, ok := e.Report().Row("", op)
			if !ok || row.Sent() == 0 || row.Rounds == 0 || row.Time == 0 {
				t.Errorf("%s %s: %+v", f.Name(), op, row)
			}
		}
	}
}

// TestDevVM2CoreTimesOurs checks that the default compute profile has a
// rate for every kernel the Ours family counts, so its estimates include
// compute without a calibration file.
func TestDevVM2CoreTimesOurs(t *testing.T) {
	c := DevVM2Core()
	var w Work
	for _, k := range OursKernels() {
		if c.Kernels[k] <= 0 {
			t.Errorf("dev-vm-2core has no rate for %s", k)
		}
		w.Kernels = append(w.Kernels, KernelWork{Name: k, Count: 1e6})
	}
	if d, missing := c.Time(w); len(missing) != 0 || d <= 0 {
		t.Errorf("Time = %v, missing %v", d, missing)
	}
	if s := Server32Core(); s.Kernels[KernelOpen] != c.Kernels[KernelOpen]/16 {
		t.Errorf("server-32core scales the kernels: open %g, want %g", s.Kernels[KernelOpen], c.Kernels[KernelOpen]/16)
	}
}
