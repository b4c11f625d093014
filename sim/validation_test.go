package sim

import (
	"context"
	"math"
	"testing"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

// Validation of the published families against the figures collected in
// ../shared/reference/papers.md. Each check states its source, the
// source's status label and the tolerance.

const gib = 1 << 30

func price(t *testing.T, f Family, cfg marill.Config, k marill.Knobs) *mpc.Report {
	t.Helper()
	r, err := SimulateConfig(context.Background(), cfg, k, Options{Family: f, Compute: NoCompute()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	rel := math.Abs(got-want) / math.Abs(want)
	if rel > tol {
		t.Errorf("%s = %.4g, want %.4g within %.1f%% (off by %.2f%%)", what, got, want, 100*tol, 100*rel)
	} else {
		t.Logf("%s = %.4g vs %.4g (%.2f%%, tolerance %.1f%%)", what, got, want, 100*rel, 100*tol)
	}
}

// SIGMA, official code run by a third party on 2× RTX 5090 (SUF_new
// reproduction, papers.md §4 and §8 anchors 2–6b, status "reproduction"):
// online bytes sent + received over the transformer blocks (SIGMA starts
// from embedded inputs and its counters stop before the head), rounds,
// FSS key size per party. Tolerance 1% for bytes and key sizes: the model
// is built from the code's message and key layouts, so only rounding of
// the figures (three or four digits) separates them.
func TestSIGMAPublishedFigures(t *testing.T) {
	cases := []struct {
		cfg           marill.Config
		onlineGiB     float64
		rounds        int64
		keyGiBPerSide float64
	}{
		{marill.BERTBase(), 0.989, 1128, 16.835},
		{marill.GPT2Small(), 0.824, 1128, 14.292},
		{marill.BERTLarge(), 2.638, 2256, 45.448},
	}
	for _, c := range cases {
		r := price(t, NewSIGMA(), c.cfg, marill.Knobs{})
		b := Blocks(r)
		within(t, c.cfg.Name+" online GiB", float64(b.Sent())/gib, c.onlineGiB, 0.01)
		within(t, c.cfg.Name+" key GiB per party", float64(b.OfflineClient)/gib, c.keyGiBPerSide, 0.01)
		// The published count starts after the client's masked input;
		// our first block adds that one flight.
		if b.Rounds != c.rounds+1 {
			t.Errorf("%s rounds = %d, want %d + 1 (the client's masked input)", c.cfg.Name, b.Rounds, c.rounds)
		}
	}
}

// SIGMA BERT-base per-operation online bytes (same reproduction,
// papers.md §4): softmax 0.259 GiB, GeLU 0.159, LayerNorm 0.111; the
// derived per-element figures (§8 anchor 6) 118 B per score element,
// 36.2 B per GeLU element, 50.5 B per LayerNorm element. Tolerance 1%.
func TestSIGMAPerOperation(t *testing.T) {
	r := price(t, NewSIGMA(), marill.BERTBase(), marill.Knobs{})
	within(t, "softmax GiB", float64(BlocksOp(r, mpc.OpSoftmax).Sent())/gib, 0.259, 0.01)
	within(t, "GeLU GiB", float64(BlocksOp(r, mpc.OpGeLU).Sent())/gib, 0.159, 0.01)
	within(t, "LayerNorm GiB", float64(BlocksOp(r, mpc.OpLayerNorm).Sent())/gib, 0.111, 0.01)
	sm := BlocksOp(r, mpc.OpSoftmax)
	within(t, "softmax B per score element", float64(sm.Sent())/float64(sm.Elements), 118, 0.01)
	g := BlocksOp(r, mpc.OpGeLU)
	within(t, "GeLU B per element", float64(g.Sent())/float64(g.Elements), 36.2, 0.01)
	ln := BlocksOp(r, mpc.OpLayerNorm)
	within(t, "LayerNorm B per element", float64(ln.Sent())/float64(ln.Elements), 50.5, 0.01)
	// 94 rounds per layer (§4, derived from the reproduction).
	for _, l := range r.ByLayer()[2:12] {
		if l.Rounds != 94 {
			t.Errorf("%s rounds = %d, want 94", l.Scope, l.Rounds)
		}
	}
}

// PUMA BERT-base (n = 128): 10.8 GB total over 5 Gbps (survey Table 12 via
// a teaching deck, papers.md §5.1 anchor 7, status "secondary"). The
// model's comparison and truncation costs are derived, not read from
// SPU, and the figure's own setting is second-hand, so the tolerance is
// 25%. The model gives 10.3 GB.
func TestPUMABERTBase(t *testing.T) {
	r := price(t, NewPUMA(), marill.BERTBase(), marill.Knobs{})
	within(t, "PUMA BERT-base GB", float64(r.Total().Sent())/1e9, 10.8, 0.25)
	// ABY3 matmul: one ring element per output per server, independent
	// of the inner dimension (papers.md §5.1, code-derived), plus the
	// modelled truncation element.
	mm, _ := r.Row("block3/attn/q", mpc.OpMatMul)
	if want := int64(128*768) * 8 * 2; mm.SentClient != want || mm.SentServer != 2*want {
		t.Errorf("PUMA q projection sent %d/%d, want %d per server", mm.SentClient, mm.SentServer, want)
	}
}

// CrypTen primitives (papers.md §6, code-derived counts, derived sizes):
// A2B 3,328 bits both ways in 7 rounds; ltz ≈ 3,456 bits in 8 rounds;
// exp 1,024 bits in 8 rounds. Exact.
func TestCrypTenPrimitives(t *testing.T) {
	c := NewCrypTen()
	if bits, rounds := c.A2BBits(); bits != 3328 || rounds != 7 {
		t.Errorf("A2B = %g bits, %d rounds; want 3328, 7", bits, rounds)
	}
	if bits, rounds := c.LtzBits(); bits != 3456 || rounds != 8 {
		t.Errorf("ltz = %g bits, %d rounds; want 3456, 8", bits, rounds)
	}
	e := c.prims().exp
	if e.p0+e.p1 != 1024 || e.rounds != 8 {
		t.Errorf("exp = %g bits, %d rounds; want 1024, 8", e.p0+e.p1, e.rounds)
	}
	// Beaver matmul [m×k]·[k×n]: each party opens mk + kn elements.
	r := price(t, c, marill.BERTBase(), marill.Knobs{})
	mm, _ := r.Row("block3/attn/q", mpc.OpMatMul)
	if want := int64(128*768+768*768) * 8; mm.SentClient != want || mm.Rounds != 1 {
		t.Errorf("CrypTen q projection sent %d in %d rounds, want %d in 1", mm.SentClient, mm.Rounds, want)
	}
}

// CrypTen/MPCFormer BERT-base: 12.1 GB (survey Table 12, papers.md §2.1
// and §8 anchor 8, status "secondary"; the deck labels the row
// 2PC-dealer and its sequence length, GeLU form and party count are
// unknown). This model gives 4.7 GB at n = 128 with the erf GeLU; the
// gap is not closed by fudging constants (see the package
// documentation), so the check is an order-of-magnitude one: within a
// factor of 3.
func TestCrypTenBERTBaseOrderOfMagnitude(t *testing.T) {
	r := price(t, NewCrypTen(), marill.BERTBase(), marill.Knobs{})
	got := float64(r.Total().Sent()) / 1e9
	t.Logf("CrypTen BERT-base: %.2f GB vs 12.1 GB (secondary)", got)
	if got < 12.1/3 || got > 12.1*3 {
		t.Errorf("CrypTen BERT-base = %.2f GB, want within a factor of 3 of 12.1 GB", got)
	}
}

// MPCFormer's microbenchmark (papers.md §2.1 and §8 anchor 12, confirmed
// values, setting unconfirmed; MPCFormer's harness uses n = 512):
// softmax 40 s vs 2Quad 3.2 s, 34.1 s vs 1.7 s of it communication.
// Our communication ratio exact/2Quad at BERT-base n = 512 must fall
// between the total-time ratio (12.5) and the communication-time ratio
// (20) within 20%.
func TestMPCFormerSoftmaxRatio(t *testing.T) {
	cfg := marill.BERTBase()
	cfg.SeqLen = 512
	exact := BlocksOp(price(t, NewCrypTen(), cfg, marill.Knobs{}), mpc.OpSoftmax).Sent()
	quad := BlocksOp(price(t, NewCrypTen(), cfg, marill.Knobs{Softmax: mpc.Softmax2Quad}), mpc.OpSoftmax).Sent()
	ratio := float64(exact) / float64(quad)
	t.Logf("CrypTen softmax / 2Quad bytes at n=512: %.1f (MPCFormer: 12.5× time, 20× comm time)", ratio)
	if ratio < 12.5*0.8 || ratio > 20*1.2 {
		t.Errorf("softmax/2Quad = %.1f, want within [10, 24]", ratio)
	}
	// GeLU vs Quad: 11 s vs 0.5 s (22×), 9.6 vs 0.4 s comm (24×).
	g := BlocksOp(price(t, NewCrypTen(), cfg, marill.Knobs{}), mpc.OpGeLU).Sent()
	q := BlocksOp(price(t, NewCrypTen(), cfg, marill.Knobs{GeLU: mpc.GeLUQuad}), mpc.OpGeLU).Sent()
	gr := float64(g) / float64(q)
	t.Logf("CrypTen GeLU / Quad bytes: %.1f (MPCFormer: 22× time, 24× comm time)", gr)
	if gr < 22*0.8 || gr > 24*1.2 {
		t.Errorf("GeLU/Quad = %.1f, want within [17.6, 28.8]", gr)
	}
}

// Cheetah/SPU silent-OT non-linear costs (SPU Cheetah README, papers.md
// §3.1, confirmed): comparison 690.5 bits at ℓ = 64 and 348.4 at ℓ = 32;
// truncation 723.8 bits at ℓ = 64, 369.5 at ℓ = 32 (f = 12). Exact.
func TestCheetahPrimitives(t *testing.T) {
	c := NewCheetah()
	p := c.ringPrims(64)
	if got := p.cmp.p0 + p.cmp.p1; math.Abs(got-690.5) > 1e-9 {
		t.Errorf("comparison at 64 bits = %g, want 690.5", got)
	}
	if got := p.trunc.p0 + p.trunc.p1; math.Abs(got-723.8) > 1e-9 {
		t.Errorf("truncation at 64 bits = %g, want 723.8", got)
	}
	c.Ring = 32
	if got := c.ComparisonBits(); math.Abs(got-348.4) > 1e-9 {
		t.Errorf("comparison at 32 bits = %g, want 348.4", got)
	}
	if got := c.TruncationBits(); math.Abs(got-369.5) > 1e-9 {
		t.Errorf("truncation at 32 bits = %g, want 369.5", got)
	}
}

// BumbleBee claims 1/10 of BOLT's communication (papers.md §5.2,
// confirmed claim); BOLT's BERT-base is 25.7 GB (survey, secondary), so
// ≈ 2.6 GB (derived). Our Cheetah/BumbleBee-style model prices BERT-base
// at 7.7 GB: the HE elementwise products and the 64-bit comparisons of
// softmax and LayerNorm are costlier than BumbleBee's specialised
// protocols, which were not read. The check is order of magnitude: the
// model must fall between BumbleBee's claim and BOLT's figure.
func TestCheetahBERTBaseBetweenBumbleBeeAndBOLT(t *testing.T) {
	r := price(t, NewCheetah(), marill.BERTBase(), marill.Knobs{})
	got := float64(r.Total().Sent()) / 1e9
	t.Logf("Cheetah/BumbleBee-style BERT-base: %.2f GB (BumbleBee ≈ 2.6 GB derived, BOLT 25.7 GB)", got)
	if got < 2.57 || got > 25.7 {
		t.Errorf("Cheetah BERT-base = %.2f GB, want between 2.57 and 25.7 GB", got)
	}
}

// CrypTFlow2 millionaire (papers.md §3.1, derived from SCI's code
// structure): ≈ 3.7 kbit at ℓ = 32, ≈ 8.1 kbit at ℓ = 64. Tolerance 3%
// (the opening term is an estimate).
func TestCrypTFlow2Millionaire(t *testing.T) {
	c := NewCrypTFlow2()
	bits, rounds := c.MillionaireBits()
	within(t, "millionaire bits at 64", bits, 8100, 0.03)
	if rounds != 6 {
		t.Errorf("millionaire rounds at 64 = %d, want 6", rounds)
	}
	c.Ring = 32
	bits, _ = c.MillionaireBits()
	within(t, "millionaire bits at 32", bits, 3700, 0.03)
}
