package study

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/marill-go/marill/internal/table"
)

// Metric is one named figure an evaluator measured or derived for a point.
// Names carry their unit ("secure_macs", "fxp_rel_err", "online_bytes").
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Result is the outcome of one point: its metrics, or the error that stopped
// its evaluation.
type Result struct {
	Key       string   `json:"key"`
	Evaluator string   `json:"evaluator"`
	Point     Point    `json:"point"`
	Metrics   []Metric `json:"metrics,omitempty"`
	Error     string   `json:"error,omitempty"`
	// Seconds is the wall time of the evaluation.
	Seconds float64 `json:"seconds"`
}

// Metric returns the value of the named metric and whether the result has it.
func (r Result) Metric(name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// Failed reports whether the evaluation returned an error.
func (r Result) Failed() bool { return r.Error != "" }

// Results are the outcome of a study: one result per evaluated point, in
// grid order, and the combinations the grid skipped.
type Results struct {
	Evaluator string    `json:"evaluator"`
	Grid      Grid      `json:"grid"`
	Results   []Result  `json:"results"`
	Skipped   []Skipped `json:"skipped,omitempty"`
	// Resumed counts results read back from an earlier run's journal
	// rather than evaluated by this run.
	Resumed int `json:"resumed"`
	// Elapsed is the wall time of the run that produced these results.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Files lists the files Run wrote (journal, CSV, JSON, Markdown, plots).
	Files []string `json:"files,omitempty"`
}

// Failed counts results with an error.
func (rs *Results) Failed() int {
	n := 0
	for _, r := range rs.Results {
		if r.Failed() {
			n++
		}
	}
	return n
}

// MetricNames lists every metric name in the results, in first-seen order.
func (rs *Results) MetricNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rs.Results {
		for _, m := range r.Metrics {
			if !seen[m.Name] {
				seen[m.Name] = true
				names = append(names, m.Name)
			}
		}
	}
	return names
}

// Column returns one metric across the results, in result order, with ok
// false where a result lacks it (a failed point): the series a plot draws.
func (rs *Results) Column(name string) (values []float64, ok []bool) {
	values = make([]float64, len(rs.Results))
	ok = make([]bool, len(rs.Results))
	for i, r := range rs.Results {
		values[i], ok[i] = r.Metric(name)
	}
	return values, ok
}

// Find returns the result of the point with the given key.
func (rs *Results) Find(key string) (Result, bool) {
	for _, r := range rs.Results {
		if r.Key == key {
			return r, true
		}
	}
	return Result{}, false
}

var pointHeader = []string{"key", "model", "seq_len", "freeze", "lora_rank", "merge", "gelu", "softmax", "silu", "protocol", "network"}

func pointCells(p Point) []string {
	return []string{p.Key(), p.Model, strconv.Itoa(p.SeqLen), formatFloat(p.Freeze), strconv.Itoa(p.LoRARank),
		strconv.Itoa(p.Merge), p.GeLU.String(), p.Softmax.String(), p.SiLU.String(), p.Protocol, p.Network}
}

// formatFloat prints integers in full (CSV readers and people both prefer
// 11174217216 to 1.1174217216e+10) and other values in the shortest form
// that reads back exactly.
func formatFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// CSV renders one line per result: the point's knobs, the metrics (raw
// numbers, one column per metric name), the error and the seconds taken.
func (rs *Results) CSV() string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	names := rs.MetricNames()
	header := append(append(append([]string{}, pointHeader...), names...), "error", "seconds")
	_ = w.Write(header) // writes to a bytes.Buffer cannot fail
	for _, r := range rs.Results {
		row := pointCells(r.Point)
		for _, n := range names {
			if v, ok := r.Metric(n); ok {
				row = append(row, formatFloat(v))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, r.Error, strconv.FormatFloat(r.Seconds, 'f', 6, 64))
		_ = w.Write(row)
	}
	w.Flush()
	return b.String()
}

// JSON encodes the results, the skipped combinations and the grid.
func (rs *Results) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseResults decodes results written by JSON.
func ParseResults(b []byte) (*Results, error) {
	var rs Results
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("study: results: %w", err)
	}
	return &rs, nil
}

// Table is every result as a table; knobs that do not vary across the
// results are left out and listed in a note instead.
func (rs *Results) Table() *table.Table {
	names := rs.MetricNames()
	cells := make([][]string, len(rs.Results))
	for i, r := range rs.Results {
		cells[i] = pointCells(r.Point)[1:]
	}
	var keep []int
	var constant []string
	for c := range len(pointHeader) - 1 {
		varies := false
		for i := 1; i < len(cells); i++ {
			if cells[i][c] != cells[0][c] {
				varies = true
				break
			}
		}
		if varies || len(cells) == 0 {
			keep = append(keep, c)
		} else if cells[0][c] != "" {
			constant = append(constant, pointHeader[c+1]+"="+cells[0][c])
		}
	}
	t := &table.Table{Title: fmt.Sprintf("study (%s): %d points, %d failed, %d skipped", rs.Evaluator, len(rs.Results), rs.Failed(), len(rs.Skipped))}
	for _, c := range keep {
		t.Header = append(t.Header, pointHeader[c+1])
		t.Align = append(t.Align, table.Left)
	}
	for _, n := range names {
		t.Header = append(t.Header, n)
		t.Align = append(t.Align, table.Right)
	}
	t.Header = append(t.Header, "error")
	t.Align = append(t.Align, table.Left)
	for i, r := range rs.Results {
		var row []string
		for _, c := range keep {
			row = append(row, cells[i][c])
		}
		for _, n := range names {
			if v, ok := r.Metric(n); ok {
				row = append(row, formatMetric(v))
			} else {
				row = append(row, "-")
			}
		}
		msg, _, _ := strings.Cut(r.Error, "\n") // a panic's stack stays in CSV and JSON
		row = append(row, msg)
		t.AddRow(row...)
	}
	if len(constant) > 0 {
		t.Notes = append(t.Notes, "all points: "+strings.Join(constant, ", "))
	}
	if rs.Resumed > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d results resumed from an earlier run", rs.Resumed))
	}
	t.Notes = append(t.Notes, skipNotes(rs.Skipped)...)
	return t
}

// skipNotes summarises skipped combinations by reason, most frequent first.
func skipNotes(skipped []Skipped) []string {
	count := map[string]int{}
	var order []string
	for _, s := range skipped {
		reason := s.Reason
		if strings.HasPrefix(reason, "duplicate of ") {
			// Group duplicates by why they collapse, not by which point.
			if i := strings.Index(reason, " ("); i >= 0 {
				reason = "duplicate" + reason[i:]
			} else {
				reason = "duplicate"
			}
		}
		if count[reason] == 0 {
			order = append(order, reason)
		}
		count[reason]++
	}
	var notes []string
	for _, r := range order {
		notes = append(notes, fmt.Sprintf("skipped %d: %s", count[r], r))
	}
	return notes
}

// formatMetric prints integers exactly and other values with 4 significant
// digits.
func formatMetric(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// String renders the results as a text table; a long study shows its first
// and last rows (Markdown and CSV always hold every row).
func (rs *Results) String() string {
	t := rs.Table()
	const head, tail = 20, 5
	if n := len(t.Rows); n > head+tail+1 {
		rows := append([][]string{}, t.Rows[:head]...)
		rows = append(rows, nil)
		rows = append(rows, t.Rows[n-tail:]...)
		t.Rows = rows
		t.Notes = append([]string{fmt.Sprintf("%d of %d rows shown; Markdown() and CSV() have all", head+tail, n)}, t.Notes...)
	}
	return t.Text()
}

// Markdown renders every result as a Markdown table.
func (rs *Results) Markdown() string { return rs.Table().Markdown() }

// HTML renders every result as an HTML table.
func (rs *Results) HTML() string { return rs.Table().HTML() }

// Summary is one line: points, failures, skips, resumed results and time.
func (rs *Results) Summary() string {
	return fmt.Sprintf("study (%s): %d points (%d failed, %d resumed), %d combinations skipped, %s",
		rs.Evaluator, len(rs.Results), rs.Failed(), rs.Resumed, len(rs.Skipped), rs.Elapsed.Round(time.Millisecond))
}

// WriteFiles writes base+".csv", base+".json" and base+".md", each
// atomically (a reader never sees a half-written file), and returns their
// paths.
func (rs *Results) WriteFiles(base string) ([]string, error) {
	js, err := rs.JSON()
	if err != nil {
		return nil, err
	}
	outs := []struct {
		ext  string
		data []byte
	}{
		{".csv", []byte(rs.CSV())},
		{".json", js},
		{".md", []byte(rs.Markdown())},
	}
	var paths []string
	for _, o := range outs {
		p := base + o.ext
		if err := writeAtomic(p, o.data); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeAtomic writes data to a temporary file beside path and renames it.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("study: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("study: %w", werr)
	}
	return nil
}
