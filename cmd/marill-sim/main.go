package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
	"github.com/marill-go/marill/mpc/proto"
	"github.com/marill-go/marill/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "marill-sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "price":
		return price(ctx, args, stdout, stderr)
	case "whatif":
		return whatif(ctx, args, stdout, stderr)
	case "calibrate":
		return calibrate(ctx, args, stdout, stderr)
	case "list":
		return list(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  marill-sim price     [flags]  price one model under one protocol family
  marill-sim whatif    [flags]  Marill's what-if table in 2PC, 3PC and 2PC-Dealer
  marill-sim calibrate [flags]  time this machine's kernels, write a compute profile (JSON)
  marill-sim list               families, networks and compute profiles

flags of price and whatif:
  -model NAME     preset: bert-base, bert-large, gpt2, gpt-neo-1.3b, llama-2-7b,
                  open-llama-3b-v2, tiny-bert, tiny-gpt2, tiny-llama
  -seq N          prompt length
  -network NET    lan, lan-5g, wan, wan-fast, or RATE/LATENCY (one-way), e.g. 1Gbps/0.5ms
  -compute C      dev-vm-2core, server-32core, network-only, or a calibrate .json file
price only:
  -family F       ours, sigma, crypten, puma, cheetah, cryptflow2 (default: -setting's family)
  -setting S      2pc (cheetah), 3pc (puma), 2pc-dealer (sigma)
  -freeze F -lora R -merge M -gelu K -softmax K -silu K   Marill knobs (default: standard)
  -ops            every row instead of one per layer
  -format FMT     text, markdown, csv or json
whatif only:
  -settings LIST  comma-separated settings (default 2pc,3pc,2pc-dealer)
  -families LIST  comma-separated families instead (e.g. ours,sigma)
  -freeze F -lora R -merge M   the knob values compared (default 0.5, 8, 4)
  -layers         also print per-layer time and bytes of every variant
  -format FMT     text or markdown
calibrate:
  -o FILE         write the profile there (default: standard output)
  -time D         minimum time per kernel (default 200ms)
`

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// common are the flags price and whatif share.
type common struct {
	model, network, compute string
	seq                     int
}

func (c *common) register(fs *flag.FlagSet, model string) {
	fs.StringVar(&c.model, "model", model, "preset name")
	fs.IntVar(&c.seq, "seq", 128, "prompt length")
	fs.StringVar(&c.network, "network", "lan", "network profile")
	fs.StringVar(&c.compute, "compute", "dev-vm-2core", "compute profile")
}

func (c *common) resolve() (marill.Config, sim.Network, sim.Compute, error) {
	cfg, err := marill.Preset(c.model)
	if err != nil {
		return cfg, sim.Network{}, sim.Compute{}, err
	}
	cfg.SeqLen = c.seq
	if err := cfg.Validate(); err != nil {
		return cfg, sim.Network{}, sim.Compute{}, err
	}
	net, err := sim.ParseNetwork(c.network)
	if err != nil {
		return cfg, net, sim.Compute{}, err
	}
	comp, err := sim.ComputeByName(c.compute)
	return cfg, net, comp, err
}

func price(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("price", stderr)
	var c common
	c.register(fs, "bert-base")
	family := fs.String("family", "", "protocol family")
	setting := fs.String("setting", "2pc-dealer", "MPC setting (picks the family when -family is empty)")
	freeze := fs.Float64("freeze", 0, "fraction of bottom layers frozen")
	lora := fs.Int("lora", 0, "LoRA rank (0 = none)")
	merge := fs.Int("merge", 0, "head merge factor")
	gelu := fs.String("gelu", "", "GeLU form")
	softmax := fs.String("softmax", "", "softmax form")
	silu := fs.String("silu", "", "SiLU form")
	ops := fs.Bool("ops", false, "every row")
	format := fs.String("format", "text", "text, markdown, csv or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, net, comp, err := c.resolve()
	if err != nil {
		return err
	}
	var fam sim.Family
	if *family != "" {
		fam, err = sim.FamilyByName(*family)
	} else {
		var s sim.Setting
		if s, err = sim.ParseSetting(*setting); err == nil {
			fam, err = sim.FamilyForSetting(s)
		}
	}
	if err != nil {
		return err
	}
	k := marill.Knobs{FreezeFraction: *freeze, LoRARank: *lora, MergeHeads: *merge}
	if *gelu != "" {
		if k.GeLU, err = mpc.ParseGeLUKind(*gelu); err != nil {
			return err
		}
	}
	if *softmax != "" {
		if k.Softmax, err = mpc.ParseSoftmaxKind(*softmax); err != nil {
			return err
		}
	}
	if *silu != "" {
		if k.SiLU, err = mpc.ParseSiLUKind(*silu); err != nil {
			return err
		}
	}
	start := time.Now()
	r, err := sim.SimulateConfig(ctx, cfg, k, sim.Options{Family: fam, Network: net, Compute: comp})
	if err != nil {
		return err
	}
	took := time.Since(start)
	switch *format {
	case "text":
		if *ops {
			fmt.Fprintln(stdout, r)
		} else {
			fmt.Fprintln(stdout, r.Summary())
		}
		fmt.Fprintf(stdout, "\npriced in %v\n", took.Round(time.Microsecond))
	case "markdown":
		fmt.Fprintln(stdout, r.Markdown())
	case "csv":
		fmt.Fprint(stdout, r.CSV())
	case "json":
		b, err := r.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
	default:
		return fmt.Errorf("unknown -format %q (want text, markdown, csv or json)", *format)
	}
	return nil
}

func whatif(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("whatif", stderr)
	var c common
	c.register(fs, "open-llama-3b-v2")
	settings := fs.String("settings", "2pc,3pc,2pc-dealer", "settings")
	families := fs.String("families", "", "comma-separated families (e.g. ours,sigma); replaces -settings")
	freeze := fs.Float64("freeze", 0.5, "fraction of bottom layers frozen")
	lora := fs.Int("lora", 8, "LoRA rank")
	merge := fs.Int("merge", 4, "head merge factor")
	layers := fs.Bool("layers", false, "per-layer tables")
	format := fs.String("format", "text", "text or markdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "markdown" {
		return fmt.Errorf("unknown -format %q (want text or markdown)", *format)
	}
	cfg, net, comp, err := c.resolve()
	if err != nil {
		return err
	}
	var fams []sim.Family
	if *families != "" {
		for _, name := range strings.Split(*families, ",") {
			f, err := sim.FamilyByName(strings.TrimSpace(name))
			if err != nil {
				return err
			}
			fams = append(fams, f)
		}
	} else {
		for _, name := range strings.Split(*settings, ",") {
			s, err := sim.ParseSetting(name)
			if err != nil {
				return err
			}
			f, err := sim.FamilyForSetting(s)
			if err != nil {
				return err
			}
			fams = append(fams, f)
		}
	}
	var summaries []string
	for _, fam := range fams {
		w, err := sim.RunWhatIf(ctx, cfg, sim.Options{Family: fam, Network: net, Compute: comp},
			sim.WhatIfOptions{Freeze: *freeze, LoRARank: *lora, MergeHeads: *merge})
		if err != nil {
			return err
		}
		if *format == "markdown" {
			fmt.Fprintln(stdout, w.Markdown())
		} else {
			fmt.Fprintln(stdout, w)
		}
		if *layers {
			fmt.Fprintln(stdout, w.Layers())
		}
		summaries = append(summaries, w.Summary())
	}
	fmt.Fprintln(stdout, "Marill's claim against these estimates:")
	for _, s := range summaries {
		fmt.Fprintln(stdout, "  "+s)
	}
	return nil
}

func calibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", stderr)
	out := fs.String("o", "", "output file (default standard output)")
	per := fs.Duration("time", 200*time.Millisecond, "minimum time per kernel")
	name := fs.String("name", "", "profile name")
	ours := fs.Bool("ours", true, "also time the secure engine's protocol kernels (the Ours family's work)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := sim.Calibrate(ctx, sim.CalibrateOptions{Name: *name, PerKernel: *per})
	if err != nil {
		return err
	}
	if *ours {
		k, err := proto.Calibrate(ctx, fxp.MustNew(fxp.Default()), 1<<16)
		if err != nil {
			return err
		}
		for name, sec := range k {
			c = c.SetKernel(name, sec)
		}
		c.Source += "; ours/* kernels timed with mpc/proto.Calibrate (2^16 elements, in memory)"
	}
	b, err := c.JSON()
	if err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	return nil
}

func list(stdout io.Writer) error {
	fmt.Fprintln(stdout, "families:")
	for _, f := range sim.Families() {
		fmt.Fprintf(stdout, "  %-24s %v\n", f.Name(), f.Setting())
	}
	fmt.Fprintln(stdout, "settings: 2pc → cheetah, 3pc → puma, 2pc-dealer → sigma")
	fmt.Fprintln(stdout, "networks:")
	for _, n := range sim.Networks() {
		fmt.Fprintf(stdout, "  %-40s %s\n", n, n.Source)
	}
	fmt.Fprintln(stdout, "compute profiles:")
	for _, c := range sim.Computes() {
		fmt.Fprintf(stdout, "  %-16s %s\n", c.Name, c.Source)
	}
	return nil
}
