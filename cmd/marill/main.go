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
	"github.com/marill-go/marill/mpc/secure"
	"github.com/marill-go/marill/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "marill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "demo"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		return demo(ctx, args, stdout, stderr)
	case "plan":
		return plan(args, stdout, stderr)
	case "inspect":
		return inspect(args, stdout)
	case "bench":
		return bench(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  marill demo    [flags]   build a model, apply the knobs, print the plan, run it in
                           plaintext (float64 and fixed point) and print the report
  marill plan    [flags]   print the placement plan (-ops: every operation)
  marill inspect FILE      list the tensors of a safetensors file
  marill bench   [flags]   real 2PC-Dealer runs: time, bytes, rounds, memory, accuracy
                           (marill bench -h for its flags)

flags of demo and plan:
  -model NAME    preset: bert-base, bert-large, gpt2, gpt-neo-1.3b, llama-2-7b,
                 open-llama-3b-v2, tiny-bert, tiny-gpt2, tiny-llama
  -seq N         prompt length
  -freeze F      freeze the bottom ⌊F·L⌋ layers (0..1)
  -lora R        LoRA rank (0: full fine-tuning of private layers)
  -lora-targets  projections with adapters, e.g. q,v (default all)
  -merge M       merge heads by M
  -gelu K        exact | tanh | quad | relu
  -softmax K     exact | 2quad | 2relu
  -silu K        exact | quad | relu
  -seed N        weight seed
`

// modelFlags are the flags demo and plan share.
type modelFlags struct {
	model, gelu, softmax, silu, targets string
	seq, lora, merge                    int
	freeze                              float64
	seed                                uint64
}

func (m *modelFlags) register(fs *flag.FlagSet, model string, seq int) {
	fs.StringVar(&m.model, "model", model, "preset name")
	fs.IntVar(&m.seq, "seq", seq, "prompt length")
	fs.Float64Var(&m.freeze, "freeze", 0.5, "fraction of bottom layers frozen")
	fs.IntVar(&m.lora, "lora", 8, "LoRA rank (0 = none)")
	fs.StringVar(&m.targets, "lora-targets", "all", "projections with adapters")
	fs.IntVar(&m.merge, "merge", 4, "head merge factor")
	fs.StringVar(&m.gelu, "gelu", "", "GeLU form (default: the model's own)")
	fs.StringVar(&m.softmax, "softmax", "2quad", "softmax form")
	fs.StringVar(&m.silu, "silu", "", "SiLU form (default: exact)")
	fs.Uint64Var(&m.seed, "seed", 42, "weight seed")
}

// build returns the fine-tuned model the flags describe.
func (m *modelFlags) build() (*marill.Model, error) {
	cfg, err := marill.Preset(m.model)
	if err != nil {
		return nil, err
	}
	cfg.SeqLen = m.seq
	k := marill.Knobs{FreezeFraction: m.freeze, LoRARank: m.lora, MergeHeads: m.merge}
	if m.lora > 0 && m.targets != "all" {
		if k.LoRATargets, err = marill.ParseProj(m.targets); err != nil {
			return nil, err
		}
	}
	if m.gelu != "" {
		if k.GeLU, err = mpc.ParseGeLUKind(m.gelu); err != nil {
			return nil, err
		}
	}
	if m.softmax != "" {
		if k.Softmax, err = mpc.ParseSoftmaxKind(m.softmax); err != nil {
			return nil, err
		}
	}
	if m.silu != "" {
		if k.SiLU, err = mpc.ParseSiLUKind(m.silu); err != nil {
			return nil, err
		}
	}
	pre, err := marill.NewPretrained(cfg, m.seed)
	if err != nil {
		return nil, err
	}
	return pre.FineTune(k)
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

func plan(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plan", stderr)
	var mf modelFlags
	mf.register(fs, "bert-base", 128)
	ops := fs.Bool("ops", false, "list every operation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := mf.build()
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, m)
	p := m.Plan()
	if *ops {
		fmt.Fprint(stdout, p.Detail())
	} else {
		fmt.Fprint(stdout, p)
	}
	return nil
}

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	var mf modelFlags
	mf.register(fs, "bert-base", 16)
	full := fs.Int("price-seq", -1, "also price the model at this length with the simulator (0: skip; default 128 or the model's longest)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := mf.build()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model: %v\n\n", m)
	fmt.Fprintln(stdout, m.Plan())

	// 1. Real two-party computation, in process, with its dealer.
	in := marill.RandomInput(m.Config, 7)
	m.Materialize()
	e, err := secure.New(secure.Options{Seed: 1})
	if err != nil {
		return err
	}
	defer e.Close()
	fmt.Fprintf(stdout, "running secure 2PC-Dealer inference on %d tokens ...\n\n", len(in.IDs))
	rep, err := m.MeasureAccuracy(ctx, e, in, fxp.Params{})
	if err != nil {
		return err
	}
	rep.Meta = mpc.Meta{Model: m.Config.Name, SeqLen: len(in.IDs), Protocol: "ours (2PC-Dealer)", Network: "in-process", Knobs: m.Knobs.String()}
	fmt.Fprintln(stdout, rep.Summary())
	on, off, dl := e.Times()
	head := rep.Accuracy[len(rep.Accuracy)-1]
	fmt.Fprintf(stdout, "\nmeasured: online %v, offline party work %v, dealer %v\n", round3(on), round3(off), round3(dl))
	fmt.Fprintf(stdout, "logits within %.3g%% of float64 (and %.3g%% of the fixed-point functionality), relative to the largest logit\n",
		100*head.MaxRel, 100*head.MaxRelFixed)

	// 2. The simulator prices the same run exactly, then the full length.
	est, err := sim.Simulate(ctx, m, sim.Options{Family: sim.NewOurs(), Network: sim.LAN()})
	if err != nil {
		return err
	}
	mt, st := rep.Total(), est.Total()
	agree := mt.Rounds == st.Rounds && mt.SentClient == st.SentClient && mt.SentServer == st.SentServer &&
		mt.OfflineClient == st.OfflineClient && mt.OfflineServer == st.OfflineServer
	fmt.Fprintf(stdout, "simulator (ours): %d rounds, sent %s + %s, offline %s + %s — %s the measured run\n",
		st.Rounds, mpc.FormatBytes(st.SentClient), mpc.FormatBytes(st.SentServer),
		mpc.FormatBytes(st.OfflineClient), mpc.FormatBytes(st.OfflineServer), map[bool]string{true: "equal to", false: "DIFFERENT from"}[agree])
	if *full < 0 {
		*full = min(128, m.Config.MaxPositions)
	}
	if *full > 0 && *full != len(in.IDs) {
		cfg := m.Config
		cfg.SeqLen = *full
		if err := cfg.Validate(); err != nil {
			return err
		}
		for _, f := range []sim.Family{sim.NewOurs(), sim.NewSIGMA()} {
			r, err := sim.SimulateConfig(ctx, cfg, m.Knobs, sim.Options{Family: f, Network: sim.LAN(), Compute: sim.NoCompute()})
			if err != nil {
				return err
			}
			t := r.Total()
			fmt.Fprintf(stdout, "at %d tokens, %-22s %5d rounds, online %s, offline %s per party, LAN network time %v (estimated)\n",
				*full, f.Name()+":", t.Rounds, mpc.FormatBytes(t.Sent()), mpc.FormatBytes(t.OfflineServer), round3(t.Time))
		}
	}
	return nil
}

func inspect(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("inspect needs one safetensors file")
	}
	s, err := marill.OpenSafetensors(args[0])
	if err != nil {
		return err
	}
	defer s.Close()
	var total int64
	for _, n := range s.Names() {
		info, _ := s.Info(n)
		size := int64(1)
		for _, d := range info.Shape {
			size *= int64(d)
		}
		total += size
		fmt.Fprintf(stdout, "%-60s %-5s %v\n", n, info.DType, info.Shape)
	}
	fmt.Fprintf(stdout, "%d tensors, %d values\n", len(s.Names()), total)
	for k, v := range s.Metadata {
		if len(v) > 120 {
			v = v[:117] + "..."
		}
		fmt.Fprintf(stdout, "metadata %s = %s\n", k, v)
	}
	return nil
}

// round3 keeps three significant digits of a duration.
func round3(d time.Duration) time.Duration {
	for unit := time.Nanosecond; unit < time.Hour; unit *= 10 {
		if d < 1000*unit {
			return d.Round(unit)
		}
	}
	return d.Round(time.Second)
}
