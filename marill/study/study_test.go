package study

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

func TestPointsCrossProductAndSkips(t *testing.T) {
	g := Grid{
		Models:    []string{"bert-base", "llama-2-7b"},
		SeqLens:   []int{128, 1024},
		Merge:     []int{1, 5},
		GeLU:      []mpc.GeLUKind{mpc.GeLUUnset, mpc.GeLUQuad},
		Protocols: []string{"a", "b"},
	}
	if got, want := g.Size(), 2*2*2*2*2; got != want {
		t.Fatalf("Size = %d, want %d", got, want)
	}
	pts, skipped, err := g.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts)+len(skipped) != g.Size() {
		t.Fatalf("%d points + %d skipped != %d combinations", len(pts), len(skipped), g.Size())
	}
	// bert-base: 1024 > 512 positions; merge 5 divides neither 12 nor 32
	// heads; llama: the quad GeLU collapses onto unset.
	// Valid: bert n=128 m=1 × 2 gelu × 2 protocols = 4; llama n∈{128,1024}
	// m=1 × 1 gelu × 2 protocols = 4.
	if len(pts) != 8 {
		t.Fatalf("got %d points, want 8: %v", len(pts), pts)
	}
	reasons := map[string]int{}
	for _, s := range skipped {
		switch {
		case strings.Contains(s.Reason, "exceeds bert-base's 512 positions"):
			reasons["positions"]++
		case strings.Contains(s.Reason, "MergeHeads = 5 does not divide"):
			reasons["merge"]++
		case strings.HasPrefix(s.Reason, "duplicate of llama-2-7b") && strings.Contains(s.Reason, "gelu does not apply"):
			reasons["duplicate"]++
		default:
			t.Errorf("unexpected skip reason %q", s.Reason)
		}
	}
	// positions: bert n=1024 (2 merges × 2 gelu × 2 protocols) = 8; merge:
	// bert n=128 m=5 (4) + llama m=5 (2 seq × 2 gelu × 2 protocols = 8) = 12;
	// duplicates: llama m=1 gelu=quad (2 seq × 2 protocols) = 4.
	if reasons["positions"] != 8 || reasons["merge"] != 12 || reasons["duplicate"] != 4 {
		t.Errorf("skip reasons %v, want positions 8, merge 12, duplicate 4", reasons)
	}
	keys := map[string]bool{}
	for _, p := range pts {
		if keys[p.Key()] {
			t.Errorf("duplicate key %s", p.Key())
		}
		keys[p.Key()] = true
		if p.Model == "llama-2-7b" && p.GeLU != mpc.GeLUUnset {
			t.Errorf("llama point kept a GeLU knob: %s", p.Key())
		}
	}
	// The order is fixed: models outermost, protocols innermost.
	if pts[0].Model != "bert-base" || pts[0].Protocol != "a" || pts[1].Protocol != "b" || pts[len(pts)-1].Model != "llama-2-7b" {
		t.Errorf("unexpected order: first %s, second %s, last %s", pts[0], pts[1], pts[len(pts)-1])
	}
	pts2, _, _ := g.Points()
	for i := range pts {
		if pts[i].Key() != pts2[i].Key() {
			t.Fatalf("Points is not deterministic at %d", i)
		}
	}
}

func TestGridErrors(t *testing.T) {
	for _, tc := range []struct {
		g    Grid
		want string
	}{
		{Grid{}, "Grid.Models is empty"},
		{Grid{Models: []string{"nope"}}, `Grid.Models[0]: marill: no preset "nope"`},
		{Grid{Models: []string{"gpt2"}, SeqLens: []int{0}}, "Grid.SeqLens[0] = 0 is not positive"},
		{Grid{Models: []string{"gpt2"}, LoRARanks: []int{-1}}, "Grid.LoRARanks[0] = -1 is negative"},
		{Grid{Models: []string{"gpt2"}, Merge: []int{0}}, "Grid.Merge[0] = 0"},
	} {
		_, _, err := tc.g.Points()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to contain %q", tc.g, err, tc.want)
		}
	}
	if _, err := Run(context.Background(), Grid{Models: []string{"gpt2"}}, nil, Options{}); err == nil {
		t.Error("Run with a nil evaluator succeeded")
	}
}

func TestPlanEvaluatorCounts(t *testing.T) {
	// BERT-base at n = 128 with half the layers frozen and heads merged by
	// 4: 6 MPC layers of (12/4)·128² softmax elements.
	p := Point{Model: "bert-base", SeqLen: 128, Freeze: 0.5, LoRARank: 8, Merge: 4}
	ms, err := PlanEvaluator().Evaluate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	r := Result{Metrics: ms}
	want := map[string]float64{
		"mpc_layers":       6,
		"client_layers":    6,
		"softmax_elements": 6 * 3 * 128 * 128,
	}
	for k, v := range want {
		if got, _ := r.Metric(k); got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	// The same figures straight from the plan.
	cfg, _ := p.Config()
	pre, _ := marill.NewPretrained(cfg, 1)
	ft, _ := pre.FineTune(p.Knobs())
	tot := ft.Plan().Total()
	for k, v := range map[string]int64{"secure_macs": tot.SecureMACs, "local_macs": tot.LocalMACs, "client_macs": tot.ClientMACs, "interactive_ops": tot.Interactive} {
		if got, _ := r.Metric(k); got != float64(v) || v == 0 {
			t.Errorf("%s = %v, plan says %d", k, got, v)
		}
	}
	_, private := ft.ParamCount()
	if got, _ := r.Metric("private_params"); got != float64(private) {
		t.Errorf("private_params = %v, want %d", got, private)
	}
}

func TestAccuracyEvaluator(t *testing.T) {
	ev := AccuracyEvaluator(AccuracyOptions{Seed: 3, InputSeed: 5})
	exact, err := ev.Evaluate(context.Background(), Point{Model: "tiny-gpt2", Merge: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := Result{Metrics: exact}
	// Without merging or approximations (and LoRA's B zero) the fine-tuned
	// model is the pretrained one: no knob error at all.
	if v, _ := r.Metric("knob_max_abs_err"); v != 0 {
		t.Errorf("knob error of standard fine-tuning = %g, want 0", v)
	}
	// Fixed point differs from float64, but little.
	if v, _ := r.Metric("fxp_rel_err"); v <= 0 || v > 0.01 {
		t.Errorf("fxp_rel_err = %g, want in (0, 1%%]", v)
	}
	approx, err := ev.Evaluate(context.Background(), Point{Model: "tiny-gpt2", Merge: 2, Softmax: mpc.Softmax2Quad, GeLU: mpc.GeLUQuad})
	if err != nil {
		t.Fatal(err)
	}
	r = Result{Metrics: approx}
	if v, _ := r.Metric("knob_rel_err"); v <= 0 {
		t.Errorf("2quad softmax, quad GeLU and merged heads left the output unchanged (knob_rel_err %g)", v)
	}
	if _, err := ev.Evaluate(context.Background(), Point{Model: "llama-2-7b"}); err == nil || !strings.Contains(err.Error(), "MaxParams") {
		t.Errorf("a 7B model was not refused: %v", err)
	}
}

// countingEvaluator counts its calls, fails where fail says, and reports
// the point's merge factor and LoRA rank.
func countingEvaluator(calls *atomic.Int64, fail func(Point) error) Evaluator {
	return NewEvaluator("test", func(ctx context.Context, p Point) ([]Metric, error) {
		calls.Add(1)
		if fail != nil {
			if err := fail(p); err != nil {
				return nil, err
			}
		}
		return []Metric{{"merge", float64(p.Merge)}, {"lora", float64(p.LoRARank)}}, nil
	})
}

var smallGrid = Grid{
	Models:    []string{"tiny-bert", "tiny-gpt2", "tiny-llama"},
	Freeze:    []float64{0, 0.5, 1},
	LoRARanks: []int{0, 2, 4},
	Merge:     []int{1, 2, 4},
	Protocols: []string{"p0", "p1"},
}

func TestRunErrorsAndPanicsArePointResults(t *testing.T) {
	var calls atomic.Int64
	ev := countingEvaluator(&calls, func(p Point) error {
		switch {
		case p.Merge == 2 && p.Protocol == "p0":
			return errors.New("no protocol p0 for merged heads")
		case p.Merge == 4 && p.Protocol == "p1":
			var m map[string]int
			m["boom"]++ // a nil-map write: a real runtime panic
		}
		return nil
	})
	rs, err := Run(context.Background(), smallGrid, ev, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	pts, _, _ := smallGrid.Points()
	if len(rs.Results) != len(pts) || int(calls.Load()) != len(pts) {
		t.Fatalf("%d results, %d calls for %d points", len(rs.Results), calls.Load(), len(pts))
	}
	var errs, panics int
	for i, r := range rs.Results {
		if r.Key != pts[i].Key() {
			t.Fatalf("result %d is %s, want grid order (%s)", i, r.Key, pts[i].Key())
		}
		switch {
		case strings.Contains(r.Error, "no protocol p0"):
			errs++
		case strings.Contains(r.Error, "panic: assignment to entry in nil map"):
			panics++
		case r.Error != "":
			t.Errorf("unexpected error %q", r.Error)
		}
	}
	if errs == 0 || panics == 0 || rs.Failed() != errs+panics {
		t.Errorf("errors %d, panics %d, Failed() %d", errs, panics, rs.Failed())
	}
	// The panic's stack is in the result, but not in the table.
	if !strings.Contains(rs.CSV(), "goroutine ") || strings.Contains(rs.String(), "goroutine ") {
		t.Errorf("panic stacks: in CSV %v, in the table %v", strings.Contains(rs.CSV(), "goroutine "), strings.Contains(rs.String(), "goroutine "))
	}
}

func TestRunIsParallel(t *testing.T) {
	// Every evaluation waits until `workers` evaluations are in flight at
	// once: a serial run would time out.
	const workers = 4
	var mu sync.Mutex
	inFlight, peak := 0, 0
	all := make(chan struct{})
	ev := NewEvaluator("barrier", func(ctx context.Context, p Point) ([]Metric, error) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if peak == workers {
			select {
			case <-all:
			default:
				close(all)
			}
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		select {
		case <-all:
			return []Metric{{"x", 1}}, nil
		case <-time.After(10 * time.Second):
			return nil, errors.New("evaluations did not overlap")
		}
	})
	rs, err := Run(context.Background(), Grid{Models: []string{"tiny-bert"}, LoRARanks: []int{0, 1, 2, 3, 4, 5, 6, 7}}, ev, Options{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Failed() > 0 || peak != workers {
		t.Fatalf("peak concurrency %d, %d failed: %v", peak, rs.Failed(), rs.Results[0].Error)
	}
}

func TestRunResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "study")
	pts, _, _ := smallGrid.Points()

	// First run: cancelled after 20 points.
	var calls atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	ev := countingEvaluator(&calls, func(Point) error {
		if calls.Load() >= 20 {
			cancel()
		}
		return nil
	})
	rs, err := Run(ctx, smallGrid, ev, Options{Workers: 2, Out: out})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run returned %v", err)
	}
	first := len(rs.Results)
	if first == 0 || first >= len(pts) {
		t.Fatalf("cancelled run has %d of %d results", first, len(pts))
	}
	journal, _ := LoadJournal(out)
	if len(journal) != first {
		t.Fatalf("journal has %d lines, run reported %d results", len(journal), first)
	}
	// The outputs exist after a cancelled run too.
	for _, ext := range []string{".csv", ".json", ".md"} {
		if _, err := os.Stat(out + ext); err != nil {
			t.Errorf("cancelled run wrote no %s: %v", ext, err)
		}
	}

	// A kill mid-write leaves a truncated last line.
	f, _ := os.OpenFile(out+".jsonl", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"tiny-bert/n=8/fre`)
	f.Close()

	// Second run: only the missing points are evaluated.
	var calls2 atomic.Int64
	rs, err = Run(context.Background(), smallGrid, countingEvaluator(&calls2, nil), Options{Workers: 2, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if int(calls2.Load()) != len(pts)-first || rs.Resumed != first {
		t.Errorf("second run evaluated %d and resumed %d; want %d and %d", calls2.Load(), rs.Resumed, len(pts)-first, first)
	}
	journal, err = LoadJournal(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range journal {
		seen[r.Key]++
	}
	for _, p := range pts {
		if seen[p.Key()] != 1 {
			t.Errorf("point %s is %d times in the journal", p.Key(), seen[p.Key()])
		}
	}
	if len(journal) != len(pts) {
		t.Errorf("journal has %d results for %d points", len(journal), len(pts))
	}

	// Third run: nothing to do; the files hold every point.
	var calls3 atomic.Int64
	rs, err = Run(context.Background(), smallGrid, countingEvaluator(&calls3, nil), Options{Out: out})
	if err != nil || calls3.Load() != 0 || rs.Resumed != len(pts) {
		t.Fatalf("third run: err %v, %d calls, %d resumed", err, calls3.Load(), rs.Resumed)
	}
	b, _ := os.ReadFile(out + ".csv")
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != len(pts)+1 {
		t.Fatalf("CSV: %d rows, err %v", len(rows), err)
	}
	js, _ := os.ReadFile(out + ".json")
	back, err := ParseResults(js)
	if err != nil || len(back.Results) != len(pts) || back.Evaluator != "test" {
		t.Fatalf("JSON round trip: %v", err)
	}

	// Another evaluator may not append to this journal.
	if _, err := Run(context.Background(), smallGrid, PlanEvaluator(), Options{Out: out}); err == nil || !strings.Contains(err.Error(), `holds results of evaluator "test"`) {
		t.Errorf("mixing evaluators: %v", err)
	}
}

func TestRetryFailed(t *testing.T) {
	out := filepath.Join(t.TempDir(), "retry")
	g := Grid{Models: []string{"tiny-bert"}, Merge: []int{1, 2, 4}}
	var calls atomic.Int64
	failing := countingEvaluator(&calls, func(p Point) error {
		if p.Merge == 2 {
			return errors.New("flaky")
		}
		return nil
	})
	if _, err := Run(context.Background(), g, failing, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	var calls2 atomic.Int64
	rs, err := Run(context.Background(), g, countingEvaluator(&calls2, nil), Options{Out: out})
	if err != nil || calls2.Load() != 0 || rs.Failed() != 1 {
		t.Fatalf("without Retry: %d calls, %d failed, %v", calls2.Load(), rs.Failed(), err)
	}
	rs, err = Run(context.Background(), g, countingEvaluator(&calls2, nil), Options{Out: out, Retry: true})
	if err != nil || calls2.Load() != 1 || rs.Failed() != 0 {
		t.Fatalf("with Retry: %d calls, %d failed, %v", calls2.Load(), rs.Failed(), err)
	}
}

func TestProgress(t *testing.T) {
	var statuses []Status
	var buf bytes.Buffer
	bar := NewBar(&buf)
	prog := ProgressFunc(func(s Status) {
		statuses = append(statuses, s)
		bar.Update(s)
	})
	var calls atomic.Int64
	g := Grid{Models: []string{"tiny-gpt2"}, LoRARanks: []int{0, 1, 2, 3}}
	if _, err := Run(context.Background(), g, countingEvaluator(&calls, nil), Options{Workers: 2, Progress: prog}); err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 6 { // start, 4 points, finish
		t.Fatalf("%d updates, want 6", len(statuses))
	}
	last := statuses[len(statuses)-1]
	if !last.Finished || last.Done != 4 || last.Total != 4 || last.Fraction() != 1 {
		t.Errorf("last status %+v", last)
	}
	for i := 1; i < len(statuses)-1; i++ {
		if statuses[i].Done != i || statuses[i].Rate <= 0 || statuses[i].Last == "" {
			t.Errorf("status %d: %+v", i, statuses[i])
		}
	}
	text := buf.String()
	if !strings.HasPrefix(text, "\r[") || !strings.Contains(text, "\r[==============================] 4/4 (100%)") ||
		!strings.HasSuffix(text, ", took "+last.Elapsed.Round(time.Millisecond).String()+"\n") {
		t.Errorf("bar output %q", text)
	}
}

func TestResultsTable(t *testing.T) {
	rs := &Results{Evaluator: "plan", Results: []Result{
		{Key: "a", Point: Point{Model: "gpt2", SeqLen: 128, Merge: 1}, Metrics: []Metric{{"secure_macs", 12345678901}, {"rel", 0.000123456}}},
		{Key: "b", Point: Point{Model: "gpt2", SeqLen: 512, Merge: 1}, Error: "boom"},
	}, Skipped: []Skipped{{Reason: "duplicate of x (gelu does not apply to llama: its FFN is SiLU-gated)"}, {Reason: "duplicate of y (gelu does not apply to llama: its FFN is SiLU-gated)"}}}
	text := rs.String()
	for _, want := range []string{"seq_len", "12345678901", "0.0001235", "boom", "all points: model=gpt2", "skipped 2: duplicate (gelu does not apply"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if header := strings.Split(text, "\n")[1]; strings.Contains(header, "lora_rank") || !strings.HasPrefix(header, "seq_len") {
		t.Errorf("a knob that does not vary is a column:\n%s", text)
	}
	csvText := rs.CSV()
	if !strings.Contains(csvText, ",12345678901,") || !strings.Contains(csvText, ",boom,") {
		t.Errorf("CSV:\n%s", csvText)
	}
	if md := rs.Markdown(); !strings.Contains(md, "| seq_len |") {
		t.Errorf("Markdown:\n%s", md)
	}
	v, ok := rs.Column("secure_macs")
	if !ok[0] || ok[1] || v[0] != 12345678901 {
		t.Errorf("Column = %v %v", v, ok)
	}
}

func ExampleGrid_Points() {
	g := Grid{
		Models:  []string{"bert-base", "llama-2-7b"},
		SeqLens: []int{512, 1024},
		GeLU:    []mpc.GeLUKind{mpc.GeLUUnset, mpc.GeLUQuad},
	}
	points, skipped, _ := g.Points()
	for _, p := range points {
		fmt.Println(p.Key())
	}
	for _, s := range skipped {
		fmt.Println("skip:", s.Reason)
	}
	// Output:
	// bert-base/n=512/freeze=0/lora=0/merge=1/gelu=unset/softmax=unset/silu=unset
	// bert-base/n=512/freeze=0/lora=0/merge=1/gelu=quad/softmax=unset/silu=unset
	// llama-2-7b/n=512/freeze=0/lora=0/merge=1/gelu=unset/softmax=unset/silu=unset
	// llama-2-7b/n=1024/freeze=0/lora=0/merge=1/gelu=unset/softmax=unset/silu=unset
	// skip: seq_len 1024 exceeds bert-base's 512 positions
	// skip: seq_len 1024 exceeds bert-base's 512 positions
	// skip: duplicate of llama-2-7b/n=512/freeze=0/lora=0/merge=1/gelu=unset/softmax=unset/silu=unset (gelu does not apply to llama: its FFN is SiLU-gated)
	// skip: duplicate of llama-2-7b/n=1024/freeze=0/lora=0/merge=1/gelu=unset/softmax=unset/silu=unset (gelu does not apply to llama: its FFN is SiLU-gated)
}

func ExampleRun() {
	grid := Grid{
		Models:    []string{"bert-base"},
		Freeze:    []float64{0, 0.5},
		LoRARanks: []int{0, 8},
		Merge:     []int{1, 4},
	}
	res, err := Run(context.Background(), grid, PlanEvaluator(), Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Results {
		macs, _ := r.Metric("secure_macs")
		soft, _ := r.Metric("softmax_elements")
		fmt.Printf("freeze %-3v LoRA %d merge %d: %12.0f secure MACs, %7.0f softmax elements\n",
			r.Point.Freeze, r.Point.LoRARank, r.Point.Merge, macs, soft)
	}
	// Output:
	// freeze 0   LoRA 0 merge 1:  11174217216 secure MACs, 2359296 softmax elements
	// freeze 0   LoRA 0 merge 4:  11174217216 secure MACs,  589824 softmax elements
	// freeze 0   LoRA 8 merge 1:    472450560 secure MACs, 2359296 softmax elements
	// freeze 0   LoRA 8 merge 4:    472450560 secure MACs,  589824 softmax elements
	// freeze 0.5 LoRA 0 merge 1:   5587404288 secure MACs, 1179648 softmax elements
	// freeze 0.5 LoRA 0 merge 4:   5587404288 secure MACs,  294912 softmax elements
	// freeze 0.5 LoRA 8 merge 1:    236520960 secure MACs, 1179648 softmax elements
	// freeze 0.5 LoRA 8 merge 4:    236520960 secure MACs,  294912 softmax elements
}

func TestPlotHook(t *testing.T) {
	out := filepath.Join(t.TempDir(), "plotted")
	var got *Results
	plot := func(rs *Results, base string) ([]string, error) {
		got = rs
		p := base + "-secure_macs.svg"
		return []string{p}, os.WriteFile(p, []byte("<svg/>"), 0o644)
	}
	rs, err := Run(context.Background(), Grid{Models: []string{"tiny-llama"}, LoRARanks: []int{0, 2}}, PlanEvaluator(), Options{Out: out, Plot: plot})
	if err != nil {
		t.Fatal(err)
	}
	if got != rs || len(rs.Files) != 5 || rs.Files[4] != out+"-secure_macs.svg" {
		t.Errorf("files %v", rs.Files)
	}
	_, err = Run(context.Background(), Grid{Models: []string{"tiny-llama"}}, PlanEvaluator(), Options{Out: out + "2",
		Plot: func(*Results, string) ([]string, error) { return nil, errors.New("no fonts") }})
	if err == nil || !strings.Contains(err.Error(), "study: plot: no fonts") {
		t.Errorf("a failing plot hook: %v", err)
	}
}
