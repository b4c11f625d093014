package plots

import (
	"fmt"
	"math"
	"strconv"

	"github.com/marill-go/marill/mpc"
)

// Metric is the cost a chart draws from a report.
type Metric uint8

const (
	// Comm is the online bytes on the wire: sent by the client (P0) plus
	// sent by the server (P1).
	Comm Metric = iota
	// CommClient is the online bytes the client (P0) sent.
	CommClient
	// CommServer is the online bytes the server (P1) sent.
	CommServer
	// Offline is the correlated randomness shipped to both parties.
	Offline
	// Time is the report's time, measured or estimated as its TimeKind
	// says; charts label which.
	Time
	// Rounds is the causal depth of message flights.
	Rounds
	// MACs counts multiply-accumulates.
	MACs
	numMetrics
)

var metricNames = [numMetrics]string{"comm", "comm-client", "comm-server", "offline", "time", "rounds", "macs"}

// metricLabels are the axis quantities, without their unit.
var metricLabels = [numMetrics]string{
	"online communication, P0+P1",
	"online bytes sent by client (P0)",
	"online bytes sent by server (P1)",
	"offline correlations, P0+P1",
	"time",
	"rounds",
	"multiply-accumulates",
}

var metricTitles = [numMetrics]string{
	"Online communication", "Client (P0) online bytes", "Server (P1) online bytes",
	"Offline correlations", "Time", "Rounds", "Multiply-accumulates",
}

var metricUnits = [numMetrics]Unit{Bytes, Bytes, Bytes, Bytes, Seconds, Count, Count}

// String is the metric's short name, as ParseMetric accepts it.
func (m Metric) String() string {
	if m < numMetrics {
		return metricNames[m]
	}
	return "Metric(" + strconv.Itoa(int(m)) + ")"
}

// ParseMetric is the inverse of Metric.String.
func ParseMetric(s string) (Metric, error) {
	for i, n := range metricNames {
		if n == s {
			return Metric(i), nil
		}
	}
	return 0, fmt.Errorf("plots: unknown metric %q (want one of %v)", s, metricNames)
}

// Unit is the unit of the metric's values: Bytes, Seconds or Count.
func (m Metric) Unit() Unit {
	if m < numMetrics {
		return metricUnits[m]
	}
	return Plain
}

// Value is the metric of one cost, in its unit (bytes, seconds, counts).
func (m Metric) Value(c mpc.Cost) float64 {
	switch m {
	case Comm:
		return float64(c.Sent())
	case CommClient:
		return float64(c.SentClient)
	case CommServer:
		return float64(c.SentServer)
	case Offline:
		return float64(c.Offline())
	case Time:
		return c.Time.Seconds()
	case Rounds:
		return float64(c.Rounds)
	case MACs:
		return float64(c.MACs)
	}
	return math.NaN()
}

// Axis is the axis for this metric. Time axes say whether times were
// measured or estimated, from k.
func (m Metric) Axis(k mpc.TimeKind) Axis {
	a := Axis{Label: m.label(), Unit: m.Unit()}
	if m == Time {
		a.Label = "time, " + k.String()
	}
	return a
}

func (m Metric) label() string {
	if m < numMetrics {
		return metricLabels[m]
	}
	return m.String()
}

func (m Metric) title() string {
	if m < numMetrics {
		return metricTitles[m]
	}
	return m.String()
}

func (m Metric) check() error {
	if m >= numMetrics {
		return fmt.Errorf("plots: unknown metric %d", int(m))
	}
	return nil
}

// checkReport validates a report for metric m; what names it in errors.
func checkReport(r *mpc.Report, m Metric, what string) error {
	if r == nil {
		return fmt.Errorf("plots: %s is nil", what)
	}
	if len(r.Rows) == 0 {
		return fmt.Errorf("plots: %s (engine %q) has no rows", what, r.Engine)
	}
	if m == Time && r.TimeKind == mpc.NoTime {
		return fmt.Errorf("plots: %s (engine %q) has no times (time kind %v); chart another metric or use an engine that times", what, r.Engine, r.TimeKind)
	}
	for _, x := range r.Rows {
		if x.Count < 0 || x.Rounds < 0 || x.SentClient < 0 || x.SentServer < 0 ||
			x.OfflineClient < 0 || x.OfflineServer < 0 || x.Time < 0 || x.MACs < 0 {
			return fmt.Errorf("plots: %s (engine %q): row %s has a negative cost", what, r.Engine, x.Path())
		}
	}
	return nil
}

// Totals returns metric m summed over each report, in m's unit, for
// ablation lines built from reports (one report per knob value).
func Totals(reports []*mpc.Report, m Metric) ([]float64, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	out := make([]float64, len(reports))
	for i, r := range reports {
		if err := checkReport(r, m, "report "+strconv.Itoa(i)); err != nil {
			return nil, err
		}
		out[i] = m.Value(r.Total().Cost)
	}
	return out, nil
}
