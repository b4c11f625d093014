package plots

import (
	"context"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/trace"
)

// toyPrice is a made-up cost model for tests only: Beaver-style products
// (each party opens its masked operands), a per-element price for each
// non-linearity, and estimated time = rounds × 0.5 ms + bytes ÷ 1 GB/s.
// It gives charts realistic shapes; its numbers mean nothing.
func toyPrice(op trace.Op) mpc.Cost {
	if op.Place != mpc.Interactive {
		return mpc.Cost{Time: time.Duration(op.MACs / 4)} // 4 GMAC/s local
	}
	e := op.Elements
	var c mpc.Cost
	switch op.Op {
	case mpc.OpMatMul:
		in := int64(0)
		for _, s := range op.In {
			in += int64(s.Size())
		}
		c = mpc.Cost{Rounds: 1, SentClient: 8 * in, SentServer: 8 * in, OfflineClient: 8 * (in + e), OfflineServer: 8 * (in + e)}
	case mpc.OpMul:
		c = mpc.Cost{Rounds: 1, SentClient: 16 * e, SentServer: 16 * e, OfflineClient: 24 * e, OfflineServer: 24 * e}
	case mpc.OpSoftmax:
		k := int64(12)
		r := int64(9)
		if op.Softmax == mpc.Softmax2Quad {
			k, r = 3, 3
		}
		c = mpc.Cost{Rounds: r, SentClient: 8 * k * e, SentServer: 8 * k * e, OfflineClient: 12 * k * e, OfflineServer: 12 * k * e}
	case mpc.OpGeLU, mpc.OpSiLU:
		k, r := int64(10), int64(6)
		if op.GeLU == mpc.GeLUQuad || op.SiLU == mpc.SiLUQuad {
			k, r = 2, 1
		}
		c = mpc.Cost{Rounds: r, SentClient: 8 * k * e, SentServer: 8 * k * e, OfflineClient: 12 * k * e, OfflineServer: 12 * k * e}
	case mpc.OpLayerNorm, mpc.OpRMSNorm:
		c = mpc.Cost{Rounds: 6, SentClient: 48 * e, SentServer: 48 * e, OfflineClient: 64 * e, OfflineServer: 64 * e}
	case mpc.OpReveal:
		c = mpc.Cost{Rounds: 1, SentServer: 8 * e}
	default:
		c = mpc.Cost{Rounds: 2, SentClient: 32 * e, SentServer: 32 * e, OfflineClient: 48 * e, OfflineServer: 48 * e}
	}
	c.Time = time.Duration(c.Rounds)*500*time.Microsecond + time.Duration(c.Sent()) // 1 ns per byte
	return c
}

// traceReport runs a model through the trace engine with toyPrice and
// adds a truncation row after every secure product, as the secure engine
// will record them.
func traceReport(t testing.TB, cfg marill.Config, k marill.Knobs, seq int) *mpc.Report {
	t.Helper()
	cfg.SeqLen = seq
	pre, err := marill.NewPretrained(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := pre.FineTune(k)
	if err != nil {
		t.Fatal(err)
	}
	e := trace.New(trace.Options{Name: "trace+toy", TimeKind: mpc.Estimated, Price: toyPrice})
	if _, err := ft.Apply(context.Background(), e, marill.RandomInput(cfg, 7)); err != nil {
		t.Fatal(err)
	}
	r := e.Report()
	var rows []mpc.Row
	for _, x := range r.Rows {
		rows = append(rows, x)
		if x.Place == mpc.Interactive && (x.Op == mpc.OpMatMul || x.Op == mpc.OpMul) {
			tr := mpc.Row{Scope: x.Scope, Op: "trunc", Place: mpc.Interactive}
			tr.Count = x.Count
			tr.Elements = x.Elements
			tr.Rounds = 1
			tr.SentClient, tr.SentServer = 2*x.Elements, 2*x.Elements
			tr.OfflineClient, tr.OfflineServer = 4*x.Elements, 4*x.Elements
			tr.Time = 500*time.Microsecond + time.Duration(tr.Sent())
			rows = append(rows, tr)
		}
	}
	r.Rows = rows
	r.Meta = mpc.Meta{Model: cfg.Name, SeqLen: seq, Protocol: "2PC-Dealer (toy prices)", Network: "LAN 1 Gbit/s, 0.5 ms", Knobs: ft.Knobs.String()}
	return r
}

// handReport is a small report written out by hand: an embedding and a
// frozen block on the client, two secure blocks with every op kind, an
// op this package does not know ("lut"), and a head.
func handReport() *mpc.Report {
	ms := time.Millisecond
	row := func(scope, op string, p mpc.Placement, sent, rounds int64, d time.Duration) mpc.Row {
		return mpc.Row{Scope: scope, Op: op, Place: p, Cost: mpc.Cost{Count: 1, Elements: 64, Rounds: rounds,
			SentClient: sent / 2, SentServer: sent - sent/2, OfflineClient: sent, OfflineServer: sent, Time: d}}
	}
	return &mpc.Report{
		Schema:   mpc.ReportSchema,
		Engine:   "hand",
		TimeKind: mpc.Measured,
		Meta:     mpc.Meta{Model: "tiny-bert", SeqLen: 16, Protocol: "2PC-Dealer", Network: "loopback", Knobs: "freeze 1/3"},
		Rows: []mpc.Row{
			row("embed", "embed", mpc.OnClient, 0, 0, 2*ms),
			row("embed/norm", "layernorm", mpc.OnClient, 0, 0, 1*ms),
			row("block0/attn/q", "matmul", mpc.OnClient, 0, 0, 3*ms),
			row("block0/attn", "softmax", mpc.OnClient, 0, 0, 2*ms),
			row("block0/ffn", "gelu", mpc.OnPublic, 0, 0, 1*ms),
			row("block1", "share", mpc.Interactive, 4<<20, 1, 3*ms),
			row("block1/attn/q", "matmul", mpc.OnClient, 0, 0, 2*ms),
			row("block1/attn/q", "matmul", mpc.Interactive, 24<<20, 1, 20*ms),
			row("block1/attn/q", "trunc", mpc.Interactive, 6<<20, 1, 5*ms),
			row("block1/attn", "softmax", mpc.Interactive, 40<<20, 9, 30*ms),
			row("block1/norm1", "layernorm", mpc.Interactive, 10<<20, 6, 9*ms),
			row("block1/ffn", "gelu", mpc.Interactive, 30<<20, 6, 25*ms),
			row("block1/ffn", "lut", mpc.Interactive, 5<<20, 2, 4*ms),
			row("block2/attn/q", "matmul", mpc.Interactive, 20<<20, 1, 18*ms),
			row("block2/attn/q", "add", mpc.OnShares, 0, 0, 1*ms),
			row("block2/attn/q", "trunc", mpc.Interactive, 6<<20, 1, 5*ms),
			row("block2/attn", "softmax", mpc.Interactive, 40<<20, 9, 31*ms),
			row("block2/norm2", "rmsnorm", mpc.Interactive, 9<<20, 6, 8*ms),
			row("block2/ffn", "silu", mpc.Interactive, 28<<20, 6, 22*ms),
			row("head", "matmul", mpc.Interactive, 2<<20, 1, 2*ms),
			row("head", "reveal", mpc.Interactive, 1<<10, 1, 1*ms),
		},
	}
}
