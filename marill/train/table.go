package train

import (
	"encoding/csv"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/marill-go/marill/internal/table"
	"github.com/marill-go/marill/marill/study"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/plots"
)

// Row is one fine-tuned point of a sweep: its knobs, what it scored, and
// what secure inference with those knobs costs.
type Row struct {
	Task string
	// Model is the preset that gives the family and the priced size.
	Model    string
	SeqLen   int
	Freeze   float64
	LoRARank int
	Merge    int
	GeLU     mpc.GeLUKind
	Softmax  mpc.SoftmaxKind
	SiLU     mpc.SiLUKind
	Distill  bool
	Protocol string
	Network  string
	// Metric names the task metric; Value is it on the test split,
	// Baseline the standard fine-tuned model's, KeptPct 100·Value/Baseline.
	Metric                   string
	Value, Baseline, KeptPct float64
	// Replicates is the number of fine-tunings averaged (0 or 1: one);
	// ValueMin and ValueMax are the range of Value over them.
	Replicates         int
	ValueMin, ValueMax float64
	// TokenAccuracy is generation's per-token accuracy.
	TokenAccuracy   float64
	TrainableParams int64
	TrainSeconds    float64
	// SecureSeconds, OnlineBytes, OfflineBytes and Rounds price the preset
	// at SeqLen; Task* price the trained model at TaskSeqLen.
	SecureSeconds             float64
	OnlineBytes, OfflineBytes int64
	Rounds                    int64
	TaskSeqLen                int
	TaskSecureSeconds         float64
	TaskOnlineBytes           int64
	FixedPointValue           float64
	// Error is why the point failed ("" if it did not).
	Error string
}

// Label names the row's knobs briefly: "standard", or e.g.
// "freeze 0.5 · r8 · m2 · 2quad · KD".
func (r Row) Label() string {
	var p []string
	if r.Freeze > 0 {
		p = append(p, "freeze "+strconv.FormatFloat(r.Freeze, 'g', -1, 64))
	}
	if r.LoRARank > 0 {
		p = append(p, fmt.Sprintf("r%d", r.LoRARank))
	}
	if r.Merge > 1 {
		p = append(p, fmt.Sprintf("m%d", r.Merge))
	}
	if r.GeLU != mpc.GeLUUnset {
		p = append(p, "gelu "+r.GeLU.String())
	}
	if r.Softmax != mpc.SoftmaxUnset {
		p = append(p, r.Softmax.String())
	}
	if r.SiLU != mpc.SiLUUnset {
		p = append(p, "silu "+r.SiLU.String())
	}
	if r.Distill {
		p = append(p, "KD")
	}
	if len(p) == 0 {
		return "standard"
	}
	return strings.Join(p, " · ")
}

// Rows converts the results of one task's study into rows.
func Rows(task, metric string, distill bool, rs *study.Results) []Row {
	var out []Row
	for _, r := range rs.Results {
		p := r.Point
		row := Row{Task: task, Model: p.Model, SeqLen: p.SeqLen, Freeze: p.Freeze, LoRARank: p.LoRARank,
			Merge: max(p.Merge, 1), GeLU: p.GeLU, Softmax: p.Softmax, SiLU: p.SiLU, Distill: distill,
			Protocol: p.Protocol, Network: p.Network, Metric: metric, Error: firstLine(r.Error)}
		get := func(name string) float64 {
			v, ok := r.Metric(name)
			if !ok {
				return math.NaN()
			}
			return v
		}
		row.Value, row.Baseline, row.KeptPct = get("metric"), get("baseline_metric"), get("kept_pct")
		row.TokenAccuracy = get("token_accuracy")
		row.Replicates = 1
		if n := get("replicates"); !math.IsNaN(n) {
			row.Replicates = int(n)
		}
		row.ValueMin, row.ValueMax = get("metric_min"), get("metric_max")
		if row.Replicates == 1 {
			row.ValueMin, row.ValueMax = row.Value, row.Value
		}
		row.TrainableParams = int64(get("trainable_params"))
		row.TrainSeconds = get("train_seconds")
		row.SecureSeconds = get("secure_seconds")
		row.OnlineBytes, row.OfflineBytes = int64(get("online_bytes")), int64(get("offline_bytes"))
		row.Rounds = int64(get("rounds"))
		row.TaskSeqLen = int(get("task_seq_len"))
		row.TaskSecureSeconds, row.TaskOnlineBytes = get("task_secure_seconds"), int64(get("task_online_bytes"))
		row.FixedPointValue = get("fxp_metric")
		if r.Failed() {
			row.TrainableParams, row.OnlineBytes, row.OfflineBytes, row.Rounds, row.TaskSeqLen, row.TaskOnlineBytes = 0, 0, 0, 0, 0, 0
		}
		out = append(out, row)
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Table joins the rows of a sweep: task metric, share of standard
// fine-tuning kept and simulated secure cost per knob combination.
type Table struct {
	Rows []Row
	// Files lists the files the sweep wrote.
	Files []string
}

// key identifies a row's point.
func (r Row) key() string {
	return fmt.Sprintf("%s|%s|%d|%g|%d|%d|%v|%v|%v|%v|%s|%s|%d", r.Task, r.Model, r.SeqLen, r.Freeze, r.LoRARank,
		r.Merge, r.GeLU, r.Softmax, r.SiLU, r.Distill, r.Protocol, r.Network, r.Replicates)
}

// Merge appends the rows of other that t does not have yet (the same task,
// model, knobs, distillation, protocol and network), and its files.
func (t *Table) Merge(other *Table) {
	if other == nil {
		return
	}
	have := map[string]bool{}
	for _, r := range t.Rows {
		have[r.key()] = true
	}
	for _, r := range other.Rows {
		if !have[r.key()] {
			have[r.key()] = true
			t.Rows = append(t.Rows, r)
		}
	}
	seen := map[string]bool{}
	for _, f := range t.Files {
		seen[f] = true
	}
	for _, f := range other.Files {
		if !seen[f] {
			seen[f] = true
			t.Files = append(t.Files, f)
		}
	}
}

// Tasks lists the tasks of the table in first-seen order.
func (t *Table) Tasks() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range t.Rows {
		if !seen[r.Task] {
			seen[r.Task] = true
			out = append(out, r.Task)
		}
	}
	return out
}

// Task returns the rows of one task.
func (t *Table) Task(name string) *Table {
	out := &Table{}
	for _, r := range t.Rows {
		if r.Task == name {
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

func (t *Table) table() *table.Table {
	tb := &table.Table{
		Header: []string{"task", "model", "knobs", "metric", "value", "kept", "secure time", "online", "rounds", "trained params", "train s"},
		Align: []table.Align{table.Left, table.Left, table.Left, table.Left, table.Right, table.Right, table.Right,
			table.Right, table.Right, table.Right, table.Right},
	}
	proto := map[string]bool{}
	replicated := false
	for _, r := range t.Rows {
		replicated = replicated || r.Replicates > 1
		model := fmt.Sprintf("%s n=%d", r.Model, r.SeqLen)
		if r.Error != "" {
			tb.AddRow(r.Task, model, r.Label(), r.Metric, "error: "+r.Error, "", "", "", "", "", "")
			continue
		}
		kept := "-"
		if !math.IsNaN(r.KeptPct) {
			kept = strconv.FormatFloat(r.KeptPct, 'f', 1, 64) + "%"
		}
		value := pct(r.Value)
		if !math.IsNaN(r.TokenAccuracy) {
			value += " (tokens " + pct(r.TokenAccuracy) + ")"
		}
		if r.Replicates > 1 {
			value += fmt.Sprintf(" (%s–%s, %d runs)", pct(r.ValueMin), pct(r.ValueMax), r.Replicates)
		}
		tb.AddRow(r.Task, model, r.Label(), r.Metric, value, kept,
			strconv.FormatFloat(r.SecureSeconds, 'g', 3, 64)+" s", mpc.FormatBytes(r.OnlineBytes),
			strconv.FormatInt(r.Rounds, 10), strconv.FormatInt(r.TrainableParams, 10),
			strconv.FormatFloat(r.TrainSeconds, 'f', 1, 64))
		p := r.Protocol
		if p == "" {
			p = "sigma/lan (default)"
		}
		proto[p] = true
	}
	var ps []string
	for p := range proto {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	value := "value: test metric of the model fine-tuned with the knobs"
	if replicated {
		value += " (where several runs are listed: their mean over different seeds, and its range)"
	}
	tb.Notes = append(tb.Notes,
		value+"; kept: value ÷ standard fine-tuning's (same task, family, training budget and seeds)",
		"secure time (estimated), online bytes (both parties) and rounds: one forward pass of the preset at n tokens with the same knobs, priced by the simulator ("+strings.Join(ps, ", ")+")")
	return tb
}

// String renders the table as aligned text.
func (t *Table) String() string { return t.table().Text() }

// Markdown renders the table as Markdown.
func (t *Table) Markdown() string { return t.table().Markdown() }

// HTML renders the table as HTML.
func (t *Table) HTML() string { return t.table().HTML() }

// CSV renders every field of every row, one line per row.
func (t *Table) CSV() string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"task", "model", "seq_len", "freeze", "lora_rank", "merge", "gelu", "softmax", "silu", "distill",
		"protocol", "network", "metric", "value", "value_min", "value_max", "replicates", "baseline", "kept_pct", "token_accuracy", "fxp_value",
		"trainable_params", "train_seconds", "secure_seconds", "online_bytes", "offline_bytes", "rounds",
		"task_seq_len", "task_secure_seconds", "task_online_bytes", "error"})
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	for _, r := range t.Rows {
		w.Write([]string{r.Task, r.Model, strconv.Itoa(r.SeqLen), f(r.Freeze), strconv.Itoa(r.LoRARank),
			strconv.Itoa(r.Merge), r.GeLU.String(), r.Softmax.String(), r.SiLU.String(), strconv.FormatBool(r.Distill),
			r.Protocol, r.Network, r.Metric, f(r.Value), f(r.ValueMin), f(r.ValueMax), strconv.Itoa(r.Replicates), f(r.Baseline), f(r.KeptPct), f(r.TokenAccuracy),
			f(r.FixedPointValue), strconv.FormatInt(r.TrainableParams, 10), f(r.TrainSeconds), f(r.SecureSeconds),
			strconv.FormatInt(r.OnlineBytes, 10), strconv.FormatInt(r.OfflineBytes, 10), strconv.FormatInt(r.Rounds, 10),
			strconv.Itoa(r.TaskSeqLen), f(r.TaskSecureSeconds), strconv.FormatInt(r.TaskOnlineBytes, 10), r.Error})
	}
	w.Flush()
	return b.String()
}

// CostMetric picks the cost axis of a Pareto chart.
type CostMetric uint8

const (
	// OnlineBytes is the online communication of both parties.
	OnlineBytes CostMetric = iota
	// SecureTime is the simulator's estimated time.
	SecureTime
	// TaskOnlineBytes is the communication of the trained model itself at
	// the task's length.
	TaskOnlineBytes
)

func (c CostMetric) value(r Row) float64 {
	switch c {
	case SecureTime:
		return r.SecureSeconds
	case TaskOnlineBytes:
		return float64(r.TaskOnlineBytes)
	}
	return float64(r.OnlineBytes)
}

func (c CostMetric) axis() plots.Axis {
	switch c {
	case SecureTime:
		return plots.Time.Axis(mpc.Estimated)
	case TaskOnlineBytes:
		a := plots.Comm.Axis(mpc.Estimated)
		a.Label += " of the trained model"
		return a
	}
	return plots.Comm.Axis(mpc.Estimated)
}

// Pareto draws one task's share of standard fine-tuning kept against the
// secure cost, every successful point labelled with its knobs, the
// frontier highlighted.
func (t *Table) Pareto(task string, cost CostMetric, o plots.Options) (*plots.Figure, error) {
	var pts []plots.Point
	model := ""
	for _, r := range t.Rows {
		if r.Task != task || r.Error != "" || math.IsNaN(r.KeptPct) {
			continue
		}
		pts = append(pts, plots.Point{Name: r.Label(), Cost: cost.value(r), Quality: r.KeptPct / 100})
		if model == "" {
			model = fmt.Sprintf("%s, n=%d", r.Model, r.SeqLen)
			if cost == TaskOnlineBytes {
				model = fmt.Sprintf("the trained model, n=%d", r.TaskSeqLen)
			}
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("train: no successful point of task %q to plot", task)
	}
	if o.Title == "" && !o.NoTitle {
		o.Title = fmt.Sprintf("%s: accuracy kept vs secure cost", task)
		if o.Subtitle == "" {
			o.Subtitle = "cost: " + model + "; accuracy: small model fine-tuned here with the same knobs"
		}
	}
	return plots.Pareto(pts, cost.axis(), plots.Axis{Label: "standard fine-tuning kept", Unit: plots.Percent}, plots.HigherIsBetter, o)
}

// WriteFiles writes base.csv, base.md and one Pareto chart (online bytes)
// per task, base-<task>-pareto.svg, and returns their paths.
func (t *Table) WriteFiles(base string) ([]string, error) {
	var files []string
	for _, f := range []struct {
		ext  string
		body string
	}{{".csv", t.CSV()}, {".md", t.Markdown()}} {
		if err := writeFile(base+f.ext, []byte(f.body)); err != nil {
			return files, err
		}
		files = append(files, base+f.ext)
	}
	for _, task := range t.Tasks() {
		fig, err := t.Pareto(task, OnlineBytes, plots.Options{})
		if err != nil {
			continue // no successful point: nothing to draw
		}
		svg, err := fig.SVG()
		if err != nil {
			return files, err
		}
		p := base + "-" + task + "-pareto.svg"
		if err := writeFile(p, svg); err != nil {
			return files, err
		}
		files = append(files, p)
	}
	return files, nil
}
