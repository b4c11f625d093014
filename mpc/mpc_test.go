package mpc

import (
	"strings"
	"testing"
	"time"
)

func TestPlacementRules(t *testing.T) {
	for _, c := range []struct {
		a, b      Visibility
		product   Placement
		productV  Visibility
		local     Placement
		localV    Visibility
		nonlinear Placement
	}{
		{Public, Public, OnPublic, Public, OnPublic, Public, OnPublic},
		{Client, Public, OnClient, Client, OnClient, Client, OnClient},
		{Server, Public, OnServer, Server, OnServer, Server, OnServer},
		{Shared, Public, OnShares, Shared, OnShares, Shared, Interactive},
		{Client, Client, OnClient, Client, OnClient, Client, OnClient},
		{Client, Server, Interactive, Shared, OnShares, Shared, Interactive},
		{Shared, Server, Interactive, Shared, OnShares, Shared, Interactive},
		{Shared, Shared, Interactive, Shared, OnShares, Shared, Interactive},
	} {
		for _, swap := range []bool{false, true} {
			a, b := c.a, c.b
			if swap {
				a, b = b, a
			}
			if v, p := PlaceProduct(a, b); v != c.productV || p != c.product {
				t.Errorf("product %v×%v = %v/%v, want %v/%v", a, b, v, p, c.productV, c.product)
			}
			if v, p := PlaceLocal(a, b); v != c.localV || p != c.local {
				t.Errorf("local %v+%v = %v/%v, want %v/%v", a, b, v, p, c.localV, c.local)
			}
			if _, p := PlaceNonlinear(a, b); p != c.nonlinear {
				t.Errorf("nonlinear(%v, %v) on %v, want %v", a, b, p, c.nonlinear)
			}
		}
	}
	if _, p, err := PlaceReveal(Shared, Client); err != nil || p != Interactive {
		t.Errorf("revealing a shared value is interactive")
	}
	if v, p, _ := PlaceReveal(Client, Client); v != Client || p != OnClient {
		t.Errorf("revealing the client's own value to it is free")
	}
	if _, _, err := PlaceReveal(Shared, Shared); err == nil {
		t.Errorf("revealing to 'shared' should fail")
	}
}

func TestShapeRules(t *testing.T) {
	ok := func(s Shape, err error) Shape {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := ok(BroadcastShape(Shape{3, 4, 5}, Shape{4, 5})); !s.Equal(Shape{3, 4, 5}) {
		t.Errorf("trailing broadcast: %v", s)
	}
	if s := ok(BroadcastShape(Shape{3, 4}, Shape{3, 1})); !s.Equal(Shape{3, 4}) {
		t.Errorf("column broadcast: %v", s)
	}
	if _, err := BroadcastShape(Shape{3, 4}, Shape{4, 3}); err == nil {
		t.Errorf("[3 4] and [4 3] must not broadcast")
	}
	if s := ok(MatMulShape(Shape{2, 7, 3}, Shape{3, 5})); !s.Equal(Shape{2, 7, 5}) {
		t.Errorf("batched matmul by a matrix: %v", s)
	}
	if s := ok(MatMulShape(Shape{2, 7, 3}, Shape{2, 3, 5})); !s.Equal(Shape{2, 7, 5}) {
		t.Errorf("batched matmul: %v", s)
	}
	for _, bad := range [][2]Shape{{{2, 3}, {4, 5}}, {{2, 7, 3}, {4, 3, 5}}, {{3}, {3, 1}}} {
		if _, err := MatMulShape(bad[0], bad[1]); err == nil {
			t.Errorf("matmul %v·%v should fail", bad[0], bad[1])
		}
	}
	if MatMulMACs(Shape{2, 7, 3}, Shape{3, 5}) != 2*7*3*5 {
		t.Errorf("MACs of a batched product")
	}
	if s := ok(SplitHeadsShape(Shape{8, 12}, 3)); !s.Equal(Shape{3, 8, 4}) {
		t.Errorf("split heads: %v", s)
	}
	if _, err := SplitHeadsShape(Shape{8, 12}, 5); err == nil {
		t.Errorf("5 heads do not divide 12")
	}
	if _, err := RowsShape(Shape{4, 2}, 3, 5); err == nil {
		t.Errorf("rows beyond the end")
	}
	if err := SoftmaxShape(Shape{2, 3, 4}, true); err == nil {
		t.Errorf("a causal mask needs square scores")
	}
}

func TestRecorderScopes(t *testing.T) {
	var r Recorder
	end := r.Scope("block0")
	inner := r.Scope("attn")
	r.Record(OpSoftmax, Interactive, Cost{Count: 1, Elements: 10, Rounds: 3, SentClient: 5})
	r.Record(OpSoftmax, Interactive, Cost{Count: 1, Elements: 10, Rounds: 3, SentClient: 5})
	inner()
	r.Record(OpAdd, OnShares, Cost{Count: 1, Elements: 4})
	end()
	r.Record(OpReveal, Interactive, Cost{Count: 1, SentServer: 8, Rounds: 1})
	rows := r.Rows()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(rows), rows)
	}
	if rows[0].Path() != "block0/attn/softmax" || rows[0].Count != 2 || rows[0].SentClient != 10 || rows[0].Rounds != 6 {
		t.Errorf("merged row %+v", rows[0])
	}
	if rows[1].Scope != "block0" || rows[2].Scope != "" || rows[2].Layer() != "" {
		t.Errorf("scopes %q %q", rows[1].Scope, rows[2].Scope)
	}
	// Closing an outer scope closes whatever is still open inside it.
	end = r.Scope("a")
	r.Scope("b")
	end()
	if r.Path() != "" {
		t.Errorf("path %q after closing the outer scope", r.Path())
	}
}

func sampleReport() *Report {
	return &Report{
		Engine: "test", TimeKind: Measured, Meta: Meta{Model: "m", SeqLen: 8},
		Rows: []Row{
			{Scope: "block0/attn", Op: OpSoftmax, Place: Interactive, Cost: Cost{Count: 2, Elements: 100, Rounds: 4, SentClient: 1000, SentServer: 800, OfflineClient: 50, Time: time.Millisecond}},
			{Scope: "block0/ffn", Op: OpGeLU, Place: Interactive, Cost: Cost{Count: 1, Elements: 50, Rounds: 3, SentClient: 300, SentServer: 300}},
			{Scope: "block1/attn", Op: OpSoftmax, Place: OnClient, Cost: Cost{Count: 1, Elements: 100}},
			{Scope: "block10/attn", Op: OpMatMul, Place: OnShares, Cost: Cost{Count: 1, MACs: 99}},
		},
	}
}

func TestReportAggregates(t *testing.T) {
	r := sampleReport()
	tot := r.Total()
	if tot.SentClient != 1300 || tot.SentServer != 1100 || tot.Sent() != 2400 || tot.Rounds != 7 || tot.Count != 5 {
		t.Errorf("total %+v", tot)
	}
	layers := r.ByLayer()
	if len(layers) != 3 || layers[0].Scope != "block0" || layers[0].Sent() != 2400 || layers[0].Op != "*" {
		t.Errorf("by layer %+v", layers)
	}
	ops := r.ByOp()
	if ops[0].Op != OpSoftmax || ops[0].Count != 3 {
		t.Errorf("by op %+v", ops)
	}
	if w := r.Where("block1"); len(w.Rows) != 1 {
		t.Errorf("Where(block1) matched %d rows; block10 must not match", len(w.Rows))
	}
	if row, ok := r.Row("block0/attn", OpSoftmax); !ok || row.Count != 2 {
		t.Errorf("Row lookup %+v %v", row, ok)
	}
}

func TestReportExports(t *testing.T) {
	r := sampleReport()
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"schema": 1`, `"place": "mpc"`, `"time_kind": "measured"`, `"sent_client": 1000`, `"time_ns": 1000000`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	back, err := ParseReport(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Total() != r.Total() || back.Rows[0].Place != Interactive || back.TimeKind != Measured {
		t.Errorf("JSON round trip changed the report: %+v", back)
	}
	if _, err := ParseReport([]byte(`{"schema": 2}`)); err == nil {
		t.Errorf("a report of another schema must be refused")
	}
	csv := r.CSV()
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "scope,op,place,count") || !strings.HasPrefix(lines[1], "block0/attn,softmax,mpc,2,100,0,4,1000,800,50,0,1000000,measured") {
		t.Errorf("CSV:\n%s", csv)
	}
	text := r.String()
	for _, want := range []string{"test · m · n=8", "block0/attn", "1000 B", "1.0 ms", "total", "rounds: causal depth"} {
		if !strings.Contains(text, want) {
			t.Errorf("text table lacks %q:\n%s", want, text)
		}
	}
	if md := r.Markdown(); !strings.Contains(md, "| block0/attn | softmax | mpc |") {
		t.Errorf("Markdown:\n%s", md)
	}
	if h := r.HTML(); !strings.Contains(h, "<table") || !strings.Contains(h, "<td style=\"text-align:left\">block0/attn</td>") {
		t.Errorf("HTML:\n%s", h)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 512: "512 B", 2048: "2.0 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.00 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDense(t *testing.T) {
	d, err := FromRows([][]float64{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if d.At(1, 2) != 6 || d.Argmax() != 5 || d.MaxAbs() != 6 || len(d.Row(1)) != 3 {
		t.Errorf("accessors on %v", d)
	}
	if _, err := FromRows([][]float64{{1}, {2, 3}}); err == nil {
		t.Errorf("ragged rows must fail")
	}
	if _, err := NewDense(Shape{2, 2}, []float64{1}); err == nil {
		t.Errorf("too few values must fail")
	}
	abs, rel, err := Compare(Vector(1, 2.5), Vector(1, 2))
	if err != nil || abs != 0.5 || rel != 0.25 {
		t.Errorf("Compare = %v %v %v", abs, rel, err)
	}
}
