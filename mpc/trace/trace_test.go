package trace

import (
	"strings"
	"testing"

	"github.com/marill-go/marill/mpc"
)

func TestRecordsAndPrices(t *testing.T) {
	var seen []Op
	e := New(Options{
		Name:     "priced",
		TimeKind: mpc.Estimated,
		Price: func(op Op) mpc.Cost {
			if op.Place == mpc.Interactive {
				return mpc.Cost{Rounds: 1, SentClient: 8 * op.Elements, SentServer: 8 * op.Elements}
			}
			return mpc.Cost{}
		},
		Observe: func(op Op, c mpc.Cost) { seen = append(seen, op) },
	})
	x := e.Input(mpc.Zeros(4, 8), mpc.Client)
	w := e.Input(mpc.Zeros(8, 8), mpc.Server)
	end := e.Scope("l")
	h := e.SplitHeads(e.MatMul(x, w), 2)
	p := e.Softmax(e.MatMul(h, e.Transpose(h)), mpc.Softmax2Quad, true)
	end()
	if p.Vis() != mpc.Shared || !p.Shape().Equal(mpc.Shape{2, 4, 4}) {
		t.Fatalf("softmax result %v %v", p.Vis(), p.Shape())
	}
	r := e.Report()
	if r.TimeKind != mpc.Estimated || r.Engine != "priced" {
		t.Errorf("report header %q %v", r.Engine, r.TimeKind)
	}
	sm, ok := r.Row("l", mpc.OpSoftmax)
	if !ok || sm.Elements != 32 || sm.SentClient != 256 || sm.Rounds != 1 {
		t.Errorf("softmax row %+v", sm)
	}
	mm, _ := r.Row("l", mpc.OpMatMul)
	if mm.Count != 2 || mm.MACs != 4*8*8+2*4*4*4 {
		t.Errorf("matmul row %+v", mm)
	}
	var sawSplit, sawCausal bool
	for _, op := range seen {
		sawSplit = sawSplit || op.Op == mpc.OpSplitHeads
		sawCausal = sawCausal || (op.Op == mpc.OpSoftmax && op.Causal && op.Softmax == mpc.Softmax2Quad)
	}
	if !sawSplit || !sawCausal {
		t.Errorf("Observe should see shape ops and softmax attributes")
	}
	for _, row := range r.Rows {
		if mpc.Unreported(row.Op) {
			t.Errorf("bookkeeping op %s in the report", row.Op)
		}
	}
	if _, err := e.Value(p); err == nil || !strings.Contains(err.Error(), "shapes only") {
		t.Errorf("Value on a trace: %v", err)
	}
}

func TestTraceErrors(t *testing.T) {
	e := New(Options{})
	a := e.Input(mpc.Zeros(2, 3), mpc.Client)
	e.LayerNorm(a, e.Input(mpc.Zeros(4), mpc.Public), e.Input(mpc.Zeros(3), mpc.Public), 1e-5)
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "norm scale has shape [4], want [3]") {
		t.Errorf("norm shape: %v", err)
	}
	f := New(Options{})
	f.Softmax(f.Input(mpc.Zeros(2, 3), mpc.Client), mpc.SoftmaxExact, true)
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "square") {
		t.Errorf("causal softmax on a non-square input: %v", err)
	}
	g := New(Options{})
	g.Input(mpc.Zeros(2), mpc.Shared)
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "share it afterwards") {
		t.Errorf("a shared input: %v", err)
	}
	h := New(Options{})
	h.Embed(h.Input(mpc.Zeros(4, 2), mpc.Server), []int{1})
	if err := h.Err(); err == nil || !strings.Contains(err.Error(), "public table") {
		t.Errorf("a private embedding table: %v", err)
	}
}
