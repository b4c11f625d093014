package mpc

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/marill-go/marill/internal/table"
)

// TimeKind says where a report's times come from.
type TimeKind uint8

const (
	// NoTime: the engine does not time operations (a plan or trace).
	NoTime TimeKind = iota
	// Measured: wall-clock time of a real run (plain or secure engine).
	Measured
	// Estimated: compute + rounds × latency + bytes ÷ bandwidth (simulator).
	Estimated
)

var timeKindNames = [...]string{"none", "measured", "estimated"}

func (k TimeKind) String() string { return kindName(timeKindNames[:], int(k), "TimeKind") }

// Cost is what one or more operations cost. All byte counts are payload
// bytes (frame headers excluded); "client" is party P0 and "server" P1.
type Cost struct {
	// Count is the number of operations merged into this row.
	Count int64 `json:"count"`
	// Elements is the number of output elements.
	Elements int64 `json:"elements"`
	// MACs is the number of multiply-accumulates (products only).
	MACs int64 `json:"macs"`
	// Rounds is the causal depth the operations added (DESIGN §4).
	Rounds int64 `json:"rounds"`
	// SentClient and SentServer are online bytes sent by each party.
	SentClient int64 `json:"sent_client"`
	SentServer int64 `json:"sent_server"`
	// OfflineClient and OfflineServer are the correlated-randomness bytes
	// the dealer ships (or would ship, when expanded from seeds) to each.
	OfflineClient int64 `json:"offline_client"`
	OfflineServer int64 `json:"offline_server"`
	// Time is measured or estimated, as the report's TimeKind says.
	Time time.Duration `json:"time_ns"`
}

// Add accumulates c into the receiver.
func (a *Cost) Add(c Cost) {
	a.Count += c.Count
	a.Elements += c.Elements
	a.MACs += c.MACs
	a.Rounds += c.Rounds
	a.SentClient += c.SentClient
	a.SentServer += c.SentServer
	a.OfflineClient += c.OfflineClient
	a.OfflineServer += c.OfflineServer
	a.Time += c.Time
}

// Sent is the online bytes on the wire (both directions).
func (a Cost) Sent() int64 { return a.SentClient + a.SentServer }

// Offline is the offline bytes to both parties.
func (a Cost) Offline() int64 { return a.OfflineClient + a.OfflineServer }

// Row is one (scope, operation, placement) line of a report.
type Row struct {
	// Scope is the slash-separated scope path, e.g. "block3/attn".
	Scope string `json:"scope"`
	// Op is the engine operation, e.g. "softmax".
	Op string `json:"op"`
	// Place is who computed it.
	Place Placement `json:"place"`
	Cost
}

// Layer is the first component of the row's scope ("block3"), or "" at the top.
func (r Row) Layer() string {
	if i := strings.IndexByte(r.Scope, '/'); i >= 0 {
		return r.Scope[:i]
	}
	return r.Scope
}

// Path is the scope joined with the op, e.g. "block3/attn/softmax".
func (r Row) Path() string {
	if r.Scope == "" {
		return r.Op
	}
	return r.Scope + "/" + r.Op
}

// MarshalText makes Placement readable in JSON.
func (p Placement) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a placement name.
func (p *Placement) UnmarshalText(b []byte) error {
	v, err := ParsePlacement(string(b))
	*p = v
	return err
}

// MarshalText makes TimeKind readable in JSON.
func (k TimeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a time kind name.
func (k *TimeKind) UnmarshalText(b []byte) error {
	for i, n := range timeKindNames {
		if n == string(b) {
			*k = TimeKind(i)
			return nil
		}
	}
	return fmt.Errorf("mpc: unknown time kind %q", b)
}

// Meta describes the run a report belongs to; plots use it for titles.
type Meta struct {
	Model    string `json:"model,omitempty"`
	SeqLen   int    `json:"seq_len,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Network  string `json:"network,omitempty"`
	Knobs    string `json:"knobs,omitempty"`
}

// Report is an engine's account of a run: one row per scope, op and
// placement, in the order the operations first happened.
//
// Its JSON form (schema version 1) is
//
//	{"schema": 1, "engine": "...", "time_kind": "measured|estimated|none",
//	 "meta": {"model", "seq_len", "protocol", "network", "knobs"},
//	 "rows": [{"scope", "op", "place", "count", "elements", "macs", "rounds",
//	           "sent_client", "sent_server", "offline_client",
//	           "offline_server", "time_ns"}],
//	 "notes": ["..."]}
//
// with byte counts in bytes, times in nanoseconds and place one of public,
// client, server, local, mpc.
type Report struct {
	Schema   int      `json:"schema"`
	Engine   string   `json:"engine"`
	TimeKind TimeKind `json:"time_kind"`
	Meta     Meta     `json:"meta"`
	Rows     []Row    `json:"rows"`
	Notes    []string `json:"notes,omitempty"`
	// Accuracy, when measured (marill.MeasureAccuracy), gives each
	// layer's error against float64 and the fixed-point emulation.
	Accuracy []LayerError `json:"accuracy,omitempty"`
}

// ReportSchema is the version of the JSON layout documented on Report.
const ReportSchema = 1

// Definitions are printed under every report table (DESIGN §4).
var definitions = []string{
	"rounds: causal depth of message flights (a simultaneous exchange is 1, a ping-pong 2).",
	"sent: online payload bytes sent by the client (P0) and the server (P1); headers excluded.",
	"offline: correlated randomness the dealer ships, or would ship, to each party.",
}

// Total sums every row.
func (r *Report) Total() Row {
	t := Row{Scope: "total", Op: "*", Place: Interactive}
	for _, x := range r.Rows {
		t.Cost.Add(x.Cost)
	}
	return t
}

// Group sums rows under the key each gets from key, in first-seen order.
// The returned rows carry the key as Scope and "*" as Op unless all merged
// rows share one op or placement.
func (r *Report) Group(key func(Row) string) []Row {
	var out []Row
	pos := map[string]int{}
	for _, x := range r.Rows {
		k := key(x)
		i, ok := pos[k]
		if !ok {
			i = len(out)
			pos[k] = i
			out = append(out, Row{Scope: k, Op: x.Op, Place: x.Place})
		}
		if out[i].Op != x.Op {
			out[i].Op = "*"
		}
		if out[i].Place != x.Place {
			out[i].Place = maxPlace(out[i].Place, x.Place)
		}
		out[i].Cost.Add(x.Cost)
	}
	return out
}

func maxPlace(a, b Placement) Placement {
	if a > b {
		return a
	}
	return b
}

// ByLayer sums rows per layer (first scope component).
func (r *Report) ByLayer() []Row { return r.Group(Row.Layer) }

// ByOp sums rows per operation, sorted by online bytes, largest first.
func (r *Report) ByOp() []Row {
	rows := r.Group(func(x Row) string { return x.Op })
	for i := range rows {
		rows[i].Op = rows[i].Scope
		rows[i].Scope = "*"
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Sent() > rows[j].Sent() })
	return rows
}

// Where returns a report holding only the rows whose scope path starts with
// prefix (a whole component: "block1" does not match "block10").
func (r *Report) Where(prefix string) *Report {
	out := *r
	out.Rows = nil
	for _, x := range r.Rows {
		if x.Scope == prefix || strings.HasPrefix(x.Scope, prefix+"/") || x.Path() == prefix {
			out.Rows = append(out.Rows, x)
		}
	}
	return &out
}

// Row returns the row for a scope and op summed over placements, and
// whether any matched.
func (r *Report) Row(scope, op string) (Row, bool) {
	out := Row{Scope: scope, Op: op}
	found := false
	for _, x := range r.Rows {
		if x.Scope == scope && x.Op == op {
			if !found {
				out.Place = x.Place
			}
			out.Place = maxPlace(out.Place, x.Place)
			out.Cost.Add(x.Cost)
			found = true
		}
	}
	return out, found
}

// JSON encodes the report as documented on Report.
func (r *Report) JSON() ([]byte, error) {
	c := *r
	c.Schema = ReportSchema
	return json.MarshalIndent(&c, "", "  ")
}

// ParseReport decodes a report written by JSON.
func ParseReport(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("mpc: decode report: %w", err)
	}
	if r.Schema != ReportSchema {
		return nil, fmt.Errorf("mpc: report schema %d, want %d", r.Schema, ReportSchema)
	}
	return &r, nil
}

var csvHeader = []string{"scope", "op", "place", "count", "elements", "macs", "rounds",
	"sent_client", "sent_server", "offline_client", "offline_server", "time_ns", "time_kind"}

// CSV renders one line per row with a header; numbers are raw (bytes,
// nanoseconds).
func (r *Report) CSV() string {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(csvHeader)
	for _, x := range r.Rows {
		w.Write([]string{x.Scope, x.Op, x.Place.String(),
			i64(x.Count), i64(x.Elements), i64(x.MACs), i64(x.Rounds),
			i64(x.SentClient), i64(x.SentServer), i64(x.OfflineClient), i64(x.OfflineServer),
			i64(int64(x.Time)), r.TimeKind.String()})
	}
	w.Flush()
	return buf.String()
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }

func (r *Report) table(rows []Row, total bool) *table.Table {
	t := &table.Table{
		Title:  r.title(),
		Header: []string{"scope", "op", "where", "count", "elements", "rounds", "sent P0", "sent P1", "offline P0", "offline P1", "time (" + r.TimeKind.String() + ")"},
		Align:  []table.Align{table.Left, table.Left, table.Left, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right, table.Right},
	}
	add := func(x Row) {
		t.AddRow(x.Scope, x.Op, x.Place.String(), i64(x.Count), i64(x.Elements), i64(x.Rounds),
			FormatBytes(x.SentClient), FormatBytes(x.SentServer), FormatBytes(x.OfflineClient), FormatBytes(x.OfflineServer),
			formatTime(x.Time, r.TimeKind))
	}
	for _, x := range rows {
		add(x)
	}
	if total {
		t.AddSeparator()
		add(r.Total())
	}
	t.Notes = append(append([]string(nil), r.Notes...), definitions...)
	return t
}

func (r *Report) title() string {
	parts := []string{r.Engine}
	m := r.Meta
	if m.Model != "" {
		parts = append(parts, m.Model)
	}
	if m.SeqLen > 0 {
		parts = append(parts, "n="+strconv.Itoa(m.SeqLen))
	}
	if m.Protocol != "" {
		parts = append(parts, m.Protocol)
	}
	if m.Network != "" {
		parts = append(parts, m.Network)
	}
	if m.Knobs != "" {
		parts = append(parts, m.Knobs)
	}
	return strings.Join(parts, " · ")
}

// String renders every row and the total as an aligned text table.
func (r *Report) String() string {
	s := r.table(r.Rows, true).Text()
	if a := r.accuracyTable(); a != nil {
		s += "\n" + a.Text()
	}
	return s
}

// Summary renders one row per layer and the total.
func (r *Report) Summary() string { return r.table(r.ByLayer(), true).Text() }

// Markdown renders every row and the total as a Markdown table.
func (r *Report) Markdown() string {
	s := r.table(r.Rows, true).Markdown()
	if a := r.accuracyTable(); a != nil {
		s += "\n" + a.Markdown()
	}
	return s
}

// HTML renders every row and the total as an HTML table.
func (r *Report) HTML() string {
	s := r.table(r.Rows, true).HTML()
	if a := r.accuracyTable(); a != nil {
		s += a.HTML()
	}
	return s
}

// FormatBytes prints a byte count with a binary unit chosen by magnitude.
func FormatBytes(n int64) string {
	const k = 1024
	switch {
	case n == 0:
		return "0"
	case n < k:
		return strconv.FormatInt(n, 10) + " B"
	case n < k*k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	default:
		return fmt.Sprintf("%.2f GiB", float64(n)/(k*k*k))
	}
}

func formatTime(d time.Duration, k TimeKind) string {
	if k == NoTime {
		return "-"
	}
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + " ns"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}
