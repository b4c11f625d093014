package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/marill-go/marill/internal/table"
	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/mpc/secure"
	"github.com/marill-go/marill/mpc/transport"
	"github.com/marill-go/marill/sim"
)

// benchResult is one configuration's measurements (JSON between the
// parent and the child process that ran it).
type benchResult struct {
	Config     string  `json:"config"`
	Online     float64 `json:"online_s"`
	Offline    float64 `json:"offline_s"`
	Dealer     float64 `json:"dealer_s"`
	Wall       float64 `json:"wall_s"`
	SentClient int64   `json:"sent_client"`
	SentServer int64   `json:"sent_server"`
	Rounds     int64   `json:"rounds"`
	OffClient  int64   `json:"offline_client"`
	OffServer  int64   `json:"offline_server"`
	LogitErr   float64 `json:"logit_rel_err"`
	PeakRSS    int64   `json:"peak_rss"`
	TopOps     string  `json:"top_ops"`
	// Estimated is the simulator's online time (sim.Ours on the
	// calibrated profile, in-process network); Exact says whether its
	// rounds and bytes equal the measured ones row by row.
	Estimated float64 `json:"estimated_s,omitempty"`
	Exact     bool    `json:"costs_exact"`
	EstOps    string  `json:"estimated_ops,omitempty"`
	// LayerErr is each layer's relative error against float64.
	LayerErr string `json:"layer_rel_err"`
}

// benchConfig returns a configuration of issue 3's table by name: its
// knobs and a description.
func benchConfig(name string) (marill.Knobs, string, bool) {
	knobs := marill.Knobs{FreezeFraction: 0.5, LoRARank: 8, MergeHeads: 4}
	approx := func(k marill.Knobs) marill.Knobs {
		k.Softmax, k.GeLU, k.SiLU = mpc.Softmax2Quad, mpc.GeLUQuad, mpc.SiLUQuad
		return k
	}
	switch name {
	case "standard":
		return marill.Knobs{}, "standard fine-tuning", true
	case "knobs":
		return knobs, "freeze 1/2 · LoRA 8 · merge ×4", true
	case "standard+approx":
		return approx(marill.Knobs{}), "standard · 2Quad · Quad", true
	case "knobs+approx":
		return approx(knobs), "freeze 1/2 · LoRA 8 · merge ×4 · 2Quad · Quad", true
	case "freeze":
		return marill.Knobs{FreezeFraction: 0.5}, "freeze 1/2", true
	case "lora":
		return marill.Knobs{LoRARank: 8}, "LoRA 8", true
	case "merge":
		return marill.Knobs{MergeHeads: 4}, "merge ×4", true
	}
	return marill.Knobs{}, "", false
}

const benchUsage = `usage: marill bench [-model NAME] [-seq N] [-layers L] [-configs LIST] [-network NET] [-estimate] [-json]

Runs real two-party inference (the in-process secure engine with its
dealer) once per configuration, each in a fresh process, and prints online
time, online bytes per party, rounds, offline bytes per party, dealer time,
peak memory (max RSS of the process) and the logits' error against float64.
With -estimate (the default) it first calibrates this machine's kernels
(marill-sim calibrate), prices each run with the simulator's Ours family
and prints the estimated online time, its ratio to the measured one, and
whether the simulated rounds and bytes equal the measured ones row by row.
-network shapes the in-process link (latency, bandwidth) and estimates on
the same network.
Configurations (comma-separated): standard, knobs (freeze 1/2, LoRA 8,
merge ×4), standard+approx and knobs+approx (2Quad softmax, Quad
GeLU/SiLU), freeze, lora, merge.
`

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage) }
	model := fs.String("model", "bert-base", "preset")
	seq := fs.Int("seq", 128, "prompt length")
	configs := fs.String("configs", "standard,knobs", "configurations")
	layers := fs.Int("layers", 0, "keep only the first L blocks (0: all)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	estimate := fs.Bool("estimate", true, "calibrate, then compare the simulator's time estimate")
	one := fs.String("one", "", "internal: run one configuration in this process")
	profile := fs.String("compute", "", "internal: compute profile for the estimate")
	network := fs.String("network", "", "shape the parties' link like this network (RATE/LATENCY, e.g. 1Gbps/0.5ms, or lan, wan) and estimate on it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *one != "" {
		r, err := benchOne(ctx, *model, *seq, *layers, *one, *profile, *network)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(r)
	}
	names := strings.Split(*configs, ",")
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	var computeFile string
	if *estimate {
		fmt.Fprintln(stderr, "bench: calibrating this machine's kernels ...")
		c, err := sim.Calibrate(ctx, sim.CalibrateOptions{Name: "bench-calibrated"})
		if err != nil {
			return err
		}
		k, err := proto.Calibrate(ctx, fxp.MustNew(fxp.Default()), 1<<16)
		if err != nil {
			return err
		}
		for name, sec := range k {
			c = c.SetKernel(name, sec)
		}
		b, err := c.JSON()
		if err != nil {
			return err
		}
		f, err := os.CreateTemp("", "marill-bench-*.json")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		computeFile = f.Name()
		defer os.Remove(computeFile)
		if _, err := f.Write(b); err != nil {
			f.Close()
			return fmt.Errorf("bench: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	var results []benchResult
	for _, name := range names {
		name = strings.TrimSpace(name)
		if _, _, ok := benchConfig(name); !ok {
			return fmt.Errorf("bench: unknown configuration %q (want standard, knobs, standard+approx, knobs+approx, freeze, lora or merge)", name)
		}
		fmt.Fprintf(stderr, "bench: %s %s n=%d ...\n", *model, name, *seq)
		cmd := exec.CommandContext(ctx, self, "bench", "-model", *model, "-seq", fmt.Sprint(*seq),
			"-layers", fmt.Sprint(*layers), "-one", name, "-compute", computeFile, "-network", *network)
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("bench: %s: %w", name, err)
		}
		var r benchResult
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("bench: %s: %w", name, err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
		results = append(results, r)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(results)
	}
	layersNote := ""
	if *layers > 0 {
		layersNote = fmt.Sprintf(" · first %d blocks", *layers)
	}
	link := "in-process (no network delay)"
	if *network != "" {
		link = "in-process, link shaped as " + *network
	}
	t := &table.Table{
		Title: fmt.Sprintf("secure 2PC-Dealer · %s%s · n=%d · %s · %d cores", *model, layersNote, *seq, link, runtime.NumCPU()),
		Header: []string{"configuration", "online time", "estimated", "est/meas", "sim costs", "sent P0", "sent P1", "rounds", "offline P0", "offline P1",
			"offline party", "dealer time", "peak RSS", "logits err"},
		Align: []table.Align{table.Left, table.Right, table.Right, table.Right, table.Left, table.Right, table.Right, table.Right, table.Right, table.Right,
			table.Right, table.Right, table.Right, table.Right},
	}
	for _, r := range results {
		est, ratio, exact := "—", "—", "—"
		if r.Estimated > 0 {
			est, ratio = secs(r.Estimated), fmt.Sprintf("%.2f", r.Estimated/r.Online)
			exact = "differ"
			if r.Exact {
				exact = "exact"
			}
		}
		t.AddRow(r.Config, secs(r.Online), est, ratio, exact, mpc.FormatBytes(r.SentClient), mpc.FormatBytes(r.SentServer), fmt.Sprint(r.Rounds),
			mpc.FormatBytes(r.OffClient), mpc.FormatBytes(r.OffServer), secs(r.Offline), secs(r.Dealer),
			mpc.FormatBytes(r.PeakRSS), fmt.Sprintf("%.3f%%", 100*r.LogitErr))
	}
	t.Notes = []string{"times measured; online = the parties' wall time less input-independent steps; logits err = max |secure − float64| / max |float64|.",
		"estimated = sim.Ours on this machine's calibrated kernels and the same network; sim costs: whether its rounds and bytes (online, offline, per party) equal the measured ones row by row."}
	for _, r := range results {
		t.Notes = append(t.Notes, fmt.Sprintf("%s — online time by op: %s", r.Config, r.TopOps))
		t.Notes = append(t.Notes, fmt.Sprintf("%s — error vs float64 by layer: %s", r.Config, r.LayerErr))
		if r.EstOps != "" {
			t.Notes = append(t.Notes, fmt.Sprintf("%s — estimated/measured by op: %s", r.Config, r.EstOps))
		}
	}
	fmt.Fprint(stdout, t.Text())
	return nil
}

func secs(s float64) string { return fmt.Sprintf("%.2f s", s) }

// benchOne runs one configuration in this process.
func benchOne(ctx context.Context, model string, seq, layers int, name, profile, network string) (benchResult, error) {
	k, desc, ok := benchConfig(name)
	if !ok {
		return benchResult{}, fmt.Errorf("bench: unknown configuration %q", name)
	}
	cfg, err := marill.Preset(model)
	if err != nil {
		return benchResult{}, err
	}
	cfg.SeqLen = seq
	if layers > 0 && layers < cfg.Layers {
		cfg.Layers = layers
	}
	pre, err := marill.NewPretrained(cfg, 42)
	if err != nil {
		return benchResult{}, err
	}
	m, err := pre.FineTune(k)
	if err != nil {
		return benchResult{}, err
	}
	m.Materialize()
	in := marill.RandomInput(cfg, 7)
	opts := secure.Options{Seed: 1}
	net := sim.InProcess()
	if network != "" {
		if net, err = sim.ParseNetwork(network); err != nil {
			return benchResult{}, err
		}
		opts.Shaping = &transport.Shaping{Latency: net.Latency, Bandwidth: net.BitsPerSecond / 8}
	}
	e, err := secure.New(opts)
	if err != nil {
		return benchResult{}, err
	}
	defer e.Close()
	start := time.Now()
	// MeasureAccuracy runs the secure engine, then the float64 and
	// fixed-point references, and compares every layer; the secure run's
	// own time is its online, offline and dealer times.
	rep, err := m.MeasureAccuracy(ctx, e, in, fxp.Params{})
	if err != nil {
		return benchResult{}, err
	}
	wall := time.Since(start)
	var rel float64
	var perLayer []string
	for _, a := range rep.Accuracy {
		if a.Layer == "head" {
			rel = a.MaxRel
		}
		perLayer = append(perLayer, fmt.Sprintf("%s %.3f%%", a.Layer, 100*a.MaxRel))
	}
	tot := rep.Total()
	on, off, dl := e.Times()
	var top []string
	ops := rep.ByOp()
	sort.Slice(ops, func(i, j int) bool { return ops[i].Time > ops[j].Time })
	for i, row := range ops {
		if i == 5 {
			break
		}
		top = append(top, fmt.Sprintf("%s %.2f s", row.Op, row.Time.Seconds()))
	}
	r := benchResult{Config: desc, Online: on.Seconds(), Offline: off.Seconds(), Dealer: dl.Seconds(), Wall: wall.Seconds(),
		SentClient: tot.SentClient, SentServer: tot.SentServer, Rounds: tot.Rounds,
		OffClient: tot.OfflineClient, OffServer: tot.OfflineServer, LogitErr: rel, TopOps: strings.Join(top, ", "),
		LayerErr: strings.Join(perLayer, ", ")}
	if profile != "" {
		c, err := sim.LoadCompute(profile)
		if err != nil {
			return benchResult{}, err
		}
		est, err := sim.Simulate(ctx, m, sim.Options{Family: sim.NewOurs(), Network: net, Compute: c})
		if err != nil {
			return benchResult{}, err
		}
		r.Estimated = est.Total().Time.Seconds()
		r.Exact = sameCosts(rep, est)
		measured := map[string]float64{}
		for _, row := range ops {
			measured[row.Op] = row.Time.Seconds()
		}
		var parts []string
		for i, row := range ops {
			if i == 5 {
				break
			}
			for _, e := range est.ByOp() {
				if e.Op == row.Op && measured[row.Op] > 0 {
					parts = append(parts, fmt.Sprintf("%s %.2f", row.Op, e.Time.Seconds()/measured[row.Op]))
				}
			}
		}
		r.EstOps = strings.Join(parts, ", ")
	}
	return r, nil
}

// sameCosts reports whether two reports have the same rows with equal
// rounds and bytes (online per party, offline per party).
func sameCosts(a, b *mpc.Report) bool {
	type key struct {
		scope, op string
		place     mpc.Placement
	}
	sum := func(r *mpc.Report) map[key]mpc.Cost {
		m := map[key]mpc.Cost{}
		for _, row := range r.Rows {
			k := key{row.Scope, row.Op, row.Place}
			c := m[k]
			c.Add(row.Cost)
			m[k] = c
		}
		return m
	}
	x, y := sum(a), sum(b)
	if len(x) != len(y) {
		return false
	}
	for k, c := range x {
		d, ok := y[k]
		if !ok || c.Rounds != d.Rounds || c.SentClient != d.SentClient || c.SentServer != d.SentServer ||
			c.OfflineClient != d.OfflineClient || c.OfflineServer != d.OfflineServer {
			return false
		}
	}
	return true
}
