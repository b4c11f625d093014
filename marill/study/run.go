package study

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Evaluator computes the metrics of one point. Evaluate must honour ctx
// (return soon after it is cancelled) and may be called from several
// goroutines at once. The plan evaluator and the fixed-point accuracy
// evaluator are here; the simulator and the secure engine provide theirs.
type Evaluator interface {
	// Name labels results; a journal holds the results of one evaluator.
	Name() string
	Evaluate(ctx context.Context, p Point) ([]Metric, error)
}

// NewEvaluator makes an Evaluator of a function, for evaluators written in
// a notebook cell.
func NewEvaluator(name string, f func(ctx context.Context, p Point) ([]Metric, error)) Evaluator {
	return funcEvaluator{name: name, f: f}
}

type funcEvaluator struct {
	name string
	f    func(context.Context, Point) ([]Metric, error)
}

func (e funcEvaluator) Name() string { return e.name }
func (e funcEvaluator) Evaluate(ctx context.Context, p Point) ([]Metric, error) {
	return e.f(ctx, p)
}

// Options control a run. The zero value runs on every core, keeps results in
// memory only and shows no progress.
type Options struct {
	// Workers is the number of points evaluated at once (default
	// runtime.NumCPU()).
	Workers int
	// Out is the base path of the result files: Out+".jsonl" is the
	// journal, appended to after every point, and Out+".csv", ".json" and
	// ".md" are written when the run ends (also when it is cancelled).
	// Points whose key is already in the journal are not evaluated again.
	// "" keeps results in memory only.
	Out string
	// Retry evaluates again the points whose journalled result is an error.
	Retry bool
	// Progress receives the run's status (nil: none). NewBar draws a bar.
	Progress Progress
	// Plot, if set, is called after the result files are written, with the
	// results and Out, and returns the paths of the plots it wrote; they are
	// added to Results.Files. This is where a plotting package plugs in.
	Plot func(rs *Results, base string) ([]string, error)
}

// Run evaluates every point of the grid with ev, on opts.Workers goroutines,
// and returns the results in grid order. With opts.Out set it is
// resumable: each finished point is appended to the journal at once (a
// killed run leaves every finished point on disk), and a rerun skips the
// points already there. A point whose evaluation fails (or panics) is a
// result with an error, not a failure of the run. When ctx is cancelled Run
// stops handing out points, writes what it has, and returns the partial
// results with ctx's error.
func Run(ctx context.Context, g Grid, ev Evaluator, opts Options) (*Results, error) {
	if ev == nil {
		return nil, errors.New("study: nil evaluator")
	}
	points, skipped, err := g.Points()
	if err != nil {
		return nil, err
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	start := time.Now()
	rs := &Results{Evaluator: ev.Name(), Grid: g, Skipped: skipped}

	done := make(map[string]Result)
	var journal *os.File
	if opts.Out != "" {
		if dir := filepath.Dir(opts.Out); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("study: %w", err)
			}
		}
		jpath := opts.Out + ".jsonl"
		prev, err := readJournal(jpath, ev.Name())
		if err != nil {
			return nil, err
		}
		for _, r := range prev {
			if r.Failed() && opts.Retry {
				continue
			}
			done[r.Key] = r
		}
		journal, err = os.OpenFile(jpath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
		defer journal.Close()
		rs.Files = append(rs.Files, jpath)
	}

	results := make([]Result, len(points))
	have := make([]bool, len(points))
	var todo []int
	for i, p := range points {
		if r, ok := done[p.Key()]; ok {
			r.Point = p
			results[i], have[i] = r, true
			rs.Resumed++
			continue
		}
		todo = append(todo, i)
	}

	st := Status{Total: len(points), Done: rs.Resumed, Resumed: rs.Resumed}
	for i := range results {
		if have[i] && results[i].Failed() {
			st.Failed++
		}
	}
	update := func(last string, finished bool) {
		st.Elapsed = time.Since(start)
		if n := st.Done - st.Resumed; n > 0 && st.Elapsed > 0 {
			st.Rate = float64(n) / st.Elapsed.Seconds()
			st.ETA = time.Duration(float64(st.Total-st.Done) / st.Rate * float64(time.Second))
		}
		st.Last, st.Finished = last, finished
		if opts.Progress != nil {
			opts.Progress.Update(st)
		}
	}
	update("", false)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	type finished struct {
		i int
		r Result
	}
	out := make(chan finished)
	var wg sync.WaitGroup
	for range min(workers, max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				r := evaluate(runCtx, ev, points[i])
				if runCtx.Err() != nil && r.Failed() {
					// Cancelled mid-point: not a result, evaluate it on rerun.
					continue
				}
				out <- finished{i, r}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, i := range todo {
			select {
			case jobs <- i:
			case <-runCtx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()

	var writeErr error
	for f := range out {
		results[f.i], have[f.i] = f.r, true
		st.Done++
		if f.r.Failed() {
			st.Failed++
		}
		if journal != nil && writeErr == nil {
			if err := appendJournal(journal, f.r); err != nil {
				writeErr = err
				cancel() // a study that cannot record its results must stop
			}
		}
		update(f.r.Key, false)
	}
	for i := range results {
		if have[i] {
			rs.Results = append(rs.Results, results[i])
		}
	}
	rs.Elapsed = time.Since(start)
	update("", true)
	if writeErr != nil {
		return rs, writeErr
	}
	if opts.Out != "" {
		files, err := rs.WriteFiles(opts.Out)
		rs.Files = append(rs.Files, files...)
		if err != nil {
			return rs, err
		}
		if opts.Plot != nil {
			plots, err := opts.Plot(rs, opts.Out)
			rs.Files = append(rs.Files, plots...)
			if err != nil {
				return rs, fmt.Errorf("study: plot: %w", err)
			}
		}
	}
	return rs, ctx.Err()
}

// evaluate runs one point, turning a panic in the evaluator (compiled code or
// a notebook's) into the point's error rather than a crash of the process.
func evaluate(ctx context.Context, ev Evaluator, p Point) (r Result) {
	r = Result{Key: p.Key(), Evaluator: ev.Name(), Point: p}
	start := time.Now()
	defer func() {
		r.Seconds = time.Since(start).Seconds()
		if v := recover(); v != nil {
			r.Metrics = nil
			r.Error = fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	ms, err := ev.Evaluate(ctx, p)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Metrics = ms
	return r
}

// appendJournal writes one result as one line, with a single write call, so a
// killed process leaves at worst a truncated last line, which readJournal
// drops.
func appendJournal(f *os.File, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("study: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("study: journal: %w", err)
	}
	return nil
}

// readJournal reads the results journalled by earlier runs. A truncated last
// line (a run killed mid-write) is cut off the file so appends start on a
// fresh line; a malformed line elsewhere, or results of another evaluator,
// are errors rather than silently mixed in.
func readJournal(path, evaluator string) ([]Result, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if n := bytes.LastIndexByte(b, '\n') + 1; n < len(b) {
		if err := os.Truncate(path, int64(n)); err != nil {
			return nil, fmt.Errorf("study: repairing %s: %w", path, err)
		}
		b = b[:n]
	}
	var out []Result
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("study: %s:%d: %w", path, line, err)
		}
		if r.Evaluator != evaluator {
			return nil, fmt.Errorf("study: %s holds results of evaluator %q, not %q: choose another Options.Out", path, r.Evaluator, evaluator)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil && err != io.EOF {
		return nil, fmt.Errorf("study: %s: %w", path, err)
	}
	return out, nil
}

// LoadJournal reads the results journalled at base+".jsonl" (by any
// evaluator), in the order they finished.
func LoadJournal(base string) ([]Result, error) {
	b, err := os.ReadFile(base + ".jsonl")
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	var out []Result
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Result
		if err := json.Unmarshal(line, &r); err != nil {
			if i == bytes.Count(b, []byte("\n")) { // truncated last line
				break
			}
			return nil, fmt.Errorf("study: %s.jsonl:%d: %w", base, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
