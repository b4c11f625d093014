package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/deploy"
	"github.com/marill-go/marill/mpc/transport/pki"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "marill-party:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "certs":
		return certs(args, stdout, stderr)
	case pki.Dealer, pki.Server, pki.Client:
		return party(ctx, cmd, args, stdout, stderr)
	case "merge":
		return merge(args, stdout, stderr)
	case "hash":
		return hash(args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (want certs, dealer, server, client, merge, hash or help)", cmd)
}

const usage = `marill-party runs one party of a secure inference: the dealer, the server or
the client, each on its own host, over TLS 1.3 with mutual authentication.

  marill-party certs  -dir DIR [-hosts client=H,server=H,dealer=H]
        make a deployment: a CA and a certificate per role (copy ca.pem,
        ROLE.pem and ROLE-key.pem to the host of each role)
  marill-party dealer [run flags] [party flags] -listen ADDR [-seed N]
  marill-party server [run flags] [party flags] -listen ADDR -dealer ADDR
                      (-checkpoint FILE | -seed N [-perturb X])
  marill-party client [run flags] [party flags] -connect ADDR -dealer ADDR
                      (-ids LIST | -input-seed N) [-out FILE]
  marill-party merge  [-format text|json|csv|markdown] [-o FILE] client.json server.json [dealer.json]
        join the parties' own reports into the run's report
  marill-party hash   [run flags] [-describe | -public]
        print the run description's hash (compare it across hosts), the
        description as a file (-describe) or its canonical public form (-public)

run flags (the public run description every party must share; a file and
flags that override it):
  -run FILE          run description (JSON; see "hash -describe")
  -model NAME        preset: bert-base, gpt2, tiny-bert, tiny-gpt2, tiny-llama, ...
  -layers N          keep the bottom N blocks
  -seq N             prompt length
  -freeze F          freeze the bottom ⌊F·L⌋ blocks (0..1)
  -freeze-layers K   freeze the bottom K blocks
  -lora R            LoRA rank (0: full fine-tuning of private blocks)
  -lora-targets P    projections with adapters, e.g. q,v (default all)
  -merge M           merge heads by M
  -gelu K, -softmax K, -silu K   approximations (quad, 2quad, relu, ...)
  -pretrained-seed N public pretrained weights drawn from seed N
  -pretrained FILE   public pretrained checkpoint (safetensors) on this host
  -pretrained-sha256 HEX  its digest (lets the dealer run without the file)
  -timeout D         idle timeout: a peer silent this long is dead (default 5s;
                     every party must use the same)
  -preload           offline phase first: the parties receive all the dealer's
                     material before the online phase (memory: all of it)

party flags (progress and refused connections are logged to stderr):
  -certs DIR         deployment directory with ca.pem, ROLE.pem, ROLE-key.pem
  -insecure          plain TCP without TLS, on loopback only: for tests
  -wait D            how long to wait for the other parties (default 2m)
  -shape NET         emulate a network on the client–server link, as
                     RATE/LATENCY[/JITTER] ("100mbps/10ms") or lan, wan; each
                     end shapes what it sends, so give it to both
  -report FILE       write this party's own report (JSON)
  -addr-file FILE    write the address this party listens on
  -stall-after N, -stall D   test hook: pause for D after N messages
`

// runFlags are the flags of the public run description.
type runFlags struct {
	file, model, gelu, softmax, silu, targets, pretrained, sha string
	layers, seq, freezeLayers, lora, merge                     int
	freeze, alpha                                              float64
	pretrainedSeed                                             uint64
	timeout                                                    time.Duration
	preload                                                    bool
}

func (r *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.file, "run", "", "run description file")
	fs.StringVar(&r.model, "model", "", "model preset")
	fs.IntVar(&r.layers, "layers", 0, "keep the bottom N blocks")
	fs.IntVar(&r.seq, "seq", 0, "prompt length")
	fs.Float64Var(&r.freeze, "freeze", 0, "fraction of bottom blocks frozen")
	fs.IntVar(&r.freezeLayers, "freeze-layers", 0, "bottom blocks frozen")
	fs.IntVar(&r.lora, "lora", 0, "LoRA rank")
	fs.StringVar(&r.targets, "lora-targets", "", "projections with adapters")
	fs.Float64Var(&r.alpha, "lora-alpha", 0, "LoRA alpha")
	fs.IntVar(&r.merge, "merge", 0, "head merge factor")
	fs.StringVar(&r.gelu, "gelu", "", "GeLU form")
	fs.StringVar(&r.softmax, "softmax", "", "softmax form")
	fs.StringVar(&r.silu, "silu", "", "SiLU form")
	fs.Uint64Var(&r.pretrainedSeed, "pretrained-seed", 0, "public pretrained weights seed")
	fs.StringVar(&r.pretrained, "pretrained", "", "public pretrained checkpoint")
	fs.StringVar(&r.sha, "pretrained-sha256", "", "public pretrained checkpoint's SHA-256")
	fs.DurationVar(&r.timeout, "timeout", 0, "idle timeout")
	fs.BoolVar(&r.preload, "preload", false, "offline phase first")
}

// spec reads the file, if any, and applies the flags given explicitly.
func (r *runFlags) spec(fs *flag.FlagSet) (deploy.Spec, error) {
	var s deploy.Spec
	if r.file != "" {
		var err error
		if s, err = deploy.LoadSpec(r.file); err != nil {
			return s, err
		}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		switch f.Name {
		case "model":
			s.Model, s.Config = r.model, nil
		case "layers":
			s.Layers = r.layers
		case "seq":
			s.SeqLen = r.seq
		case "freeze":
			s.Knobs.FreezeFraction, s.Knobs.FreezeLayers, s.Knobs.Frozen = r.freeze, 0, nil
		case "freeze-layers":
			s.Knobs.FreezeLayers, s.Knobs.FreezeFraction, s.Knobs.Frozen = r.freezeLayers, 0, nil
		case "lora":
			s.Knobs.LoRARank = r.lora
		case "lora-targets":
			s.Knobs.LoRATargets, err = marill.ParseProj(r.targets)
		case "lora-alpha":
			s.Knobs.LoRAAlpha = r.alpha
		case "merge":
			s.Knobs.MergeHeads = r.merge
		case "gelu":
			s.Knobs.GeLU, err = mpc.ParseGeLUKind(r.gelu)
		case "softmax":
			s.Knobs.Softmax, err = mpc.ParseSoftmaxKind(r.softmax)
		case "silu":
			s.Knobs.SiLU, err = mpc.ParseSiLUKind(r.silu)
		case "pretrained-seed":
			s.Pretrained.Seed = r.pretrainedSeed
		case "pretrained":
			s.Pretrained.Checkpoint = r.pretrained
		case "pretrained-sha256":
			s.Pretrained.SHA256 = r.sha
		case "timeout":
			s.IdleTimeout = deploy.Duration(r.timeout)
		case "preload":
			s.Preload = r.preload
		}
		if err != nil {
			err = fmt.Errorf("-%s: %w", f.Name, err)
		}
	})
	if err == nil && s.Model == "" && s.Config == nil {
		err = errors.New("no model: give -run FILE or -model NAME")
	}
	return s, err
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("marill-party "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// party runs the dealer, the server or the client.
func party(ctx context.Context, role string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(role, stderr)
	var rf runFlags
	rf.register(fs)
	certsDir := fs.String("certs", "", "deployment directory")
	insecure := fs.Bool("insecure", false, "plain TCP on loopback (tests only)")
	listen := fs.String("listen", "", "address to listen on")
	dealerAddr := fs.String("dealer", "", "the dealer's address")
	connect := fs.String("connect", "", "the server's address (client)")
	wait := fs.Duration("wait", deploy.DefaultWait, "how long to wait for the other parties")
	shape := fs.String("shape", "", "network to emulate on the client–server link")
	reportFile := fs.String("report", "", "write this party's report (JSON)")
	addrFile := fs.String("addr-file", "", "write the listening address")
	stallAfter := fs.Int("stall-after", 0, "test hook: pause after N messages")
	stallFor := fs.Duration("stall", 0, "test hook: pause length")
	seed := fs.Uint64("seed", 0, "dealer: dealer seed (default random); server: private weights seed")
	perturb := fs.Float64("perturb", 0, "server: private weights' perturbation")
	checkpoint := fs.String("checkpoint", "", "server: private fine-tuned checkpoint")
	ids := fs.String("ids", "", "client: prompt token ids, comma-separated")
	inputSeed := fs.Uint64("input-seed", 0, "client: random prompt from this seed")
	outFile := fs.String("out", "", "client: write the output logits (JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q", role, fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	allowed := map[string][]string{
		pki.Dealer: {"seed"},
		pki.Server: {"seed", "perturb", "checkpoint", "dealer", "shape"},
		pki.Client: {"ids", "input-seed", "out", "dealer", "connect", "shape"},
	}
	for _, name := range []string{"seed", "perturb", "checkpoint", "ids", "input-seed", "out", "dealer", "connect", "shape"} {
		if set[name] && !contains(allowed[role], name) {
			return fmt.Errorf("%s: -%s is not a %s flag", role, name, role)
		}
	}
	if set["listen"] && role == pki.Client {
		return errors.New("client: -listen is not a client flag (the client dials the server and the dealer)")
	}
	spec, err := rf.spec(fs)
	if err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	opts := deploy.Options{Listen: *listen, Dealer: *dealerAddr, Server: *connect, Wait: *wait,
		StallAfter: *stallAfter, StallFor: *stallFor, Insecure: *insecure, Log: stderr}
	switch {
	case *insecure && *certsDir != "":
		return fmt.Errorf("%s: -insecure and -certs: choose one", role)
	case *insecure:
		for _, a := range []string{*listen, *dealerAddr, *connect} {
			if err := loopback(a); err != nil {
				return fmt.Errorf("%s: -insecure: %w", role, err)
			}
		}
		fmt.Fprintf(stderr, "marill-party %s: WARNING: -insecure: plain TCP, no encryption, no authentication. "+
			"Anyone on the path can read the masked values and impersonate a party. For tests on one machine only.\n", role)
	case *certsDir == "":
		return fmt.Errorf("%s: no -certs DIR (make one with \"marill-party certs\"), or -insecure for a test on loopback", role)
	default:
		if opts.Identity, err = pki.LoadIdentity(*certsDir, role); err != nil {
			return fmt.Errorf("%s: %w", role, err)
		}
	}
	if opts.Shaping, _, err = deploy.ParseShaping(*shape); err != nil {
		return fmt.Errorf("%s: -shape: %w", role, err)
	}
	if *addrFile != "" {
		opts.Listening = func(a net.Addr) {
			if err := os.WriteFile(*addrFile, []byte(a.String()+"\n"), 0o644); err != nil {
				fmt.Fprintf(stderr, "marill-party %s: -addr-file: %v\n", role, err)
			}
		}
	}

	var res *deploy.Result
	switch role {
	case pki.Dealer:
		if set["seed"] {
			opts.DealerSeed = deploy.SeedBytes(*seed)
			fmt.Fprintf(stderr, "marill-party dealer: fixed dealer seed %d: the run is reproducible, and anyone who knows the seed can unmask it\n", *seed)
		}
		res, err = deploy.RunDealer(ctx, spec, opts)
	case pki.Server:
		opts.Weights = deploy.Weights{Checkpoint: *checkpoint, Seed: *seed, Perturb: *perturb}
		res, err = deploy.RunServer(ctx, spec, opts)
	case pki.Client:
		if opts.Input, err = clientInput(spec, *ids, *inputSeed, set); err != nil {
			return fmt.Errorf("client: %w", err)
		}
		res, err = deploy.RunClient(ctx, spec, opts)
	}
	if err != nil {
		return err
	}
	if *reportFile != "" {
		b, err := res.Report.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*reportFile, b, 0o644); err != nil {
			return fmt.Errorf("%s: -report: %w", role, err)
		}
	}
	if *outFile != "" {
		b, err := json.Marshal(output{Shape: res.Output.Shape(), Data: res.Output.Data()})
		if err != nil {
			return err
		}
		if err := os.WriteFile(*outFile, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("client: -out: %w", err)
		}
	}
	tot := res.Report.Total()
	fmt.Fprintf(stdout, "%s: done, run %s\n", role, res.Hash[:16])
	fmt.Fprintf(stdout, "  setup %v, offline %v, run %v; this party's view: %d rounds, sent %s (client) / %s (server), offline %s / %s\n",
		res.Setup.Round(time.Millisecond), res.Offline.Round(time.Millisecond), res.Run.Round(time.Millisecond), tot.Rounds,
		mpc.FormatBytes(tot.SentClient), mpc.FormatBytes(tot.SentServer), mpc.FormatBytes(tot.OfflineClient), mpc.FormatBytes(tot.OfflineServer))
	if res.Output != nil {
		fmt.Fprintf(stdout, "  output %v, argmax %d\n", res.Output.Shape(), res.Output.Argmax())
	}
	return nil
}

// output is the client's -out file.
type output struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loopback refuses an address that is not on this machine.
func loopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address (plain TCP is for one machine; use -certs across hosts)", addr)
}

// clientInput reads the prompt from -ids or -input-seed.
func clientInput(spec deploy.Spec, ids string, seed uint64, set map[string]bool) (marill.Input, error) {
	switch {
	case set["ids"] && set["input-seed"]:
		return marill.Input{}, errors.New("give -ids or -input-seed, not both")
	case set["ids"]:
		var in marill.Input
		for _, f := range strings.Split(ids, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return marill.Input{}, fmt.Errorf("-ids: %q is not a token id", f)
			}
			in.IDs = append(in.IDs, id)
		}
		return in, nil
	case set["input-seed"]:
		r, err := spec.Resolve()
		if err != nil {
			return marill.Input{}, err
		}
		return marill.RandomInput(r.ModelConfig, seed), nil
	}
	return marill.Input{}, errors.New("no prompt: give -ids LIST or -input-seed N")
}

// certs makes a deployment.
func certs(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("certs", stderr)
	dir := fs.String("dir", "", "directory to create")
	hosts := fs.String("hosts", "", "role=host,... (extra names in the certificates)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("certs: no -dir")
	}
	m := map[string][]string{}
	if *hosts != "" {
		for _, kv := range strings.Split(*hosts, ",") {
			role, host, ok := strings.Cut(kv, "=")
			if !ok || host == "" {
				return fmt.Errorf("certs: -hosts: %q is not role=host", kv)
			}
			if err := pki.ValidRole(role); err != nil {
				return fmt.Errorf("certs: -hosts: %w", err)
			}
			m[role] = append(m[role], host)
		}
	}
	if err := pki.WriteDeployment(*dir, m); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	fmt.Fprintf(stdout, "deployment written to %s\n", *dir)
	for _, r := range pki.Roles() {
		fmt.Fprintf(stdout, "  copy %s, %s and %s to the %s's host (the key stays secret)\n",
			pki.CAFile, pki.CertFile(r), pki.KeyFile(r), r)
	}
	return nil
}

// merge joins the parties' reports.
func merge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merge", stderr)
	format := fs.String("format", "text", "text, json, csv or markdown")
	out := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 || fs.NArg() > 3 {
		return errors.New("merge: want client.json server.json [dealer.json]")
	}
	var reps [3]*mpc.Report
	for i, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		if reps[i], err = mpc.ParseReport(b); err != nil {
			return fmt.Errorf("merge: %s: %w", path, err)
		}
	}
	merged, err := deploy.Merge(reps[0], reps[1], reps[2])
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	var text string
	switch *format {
	case "text":
		text = merged.String()
	case "json":
		b, err := merged.JSON()
		if err != nil {
			return err
		}
		text = string(b) + "\n"
	case "csv":
		text = merged.CSV()
	case "markdown":
		text = merged.Markdown()
	default:
		return fmt.Errorf("merge: -format %q: want text, json, csv or markdown", *format)
	}
	if *out != "" {
		return os.WriteFile(*out, []byte(text), 0o644)
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// hash prints the run description's hash.
func hash(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("hash", stderr)
	var rf runFlags
	rf.register(fs)
	describe := fs.Bool("describe", false, "print the run description as a file")
	public := fs.Bool("public", false, "print the canonical public form that is hashed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec, err := rf.spec(fs)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	r, err := spec.Resolve()
	if err != nil {
		return err
	}
	switch {
	case *describe:
		b, err := r.Spec.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	case *public:
		_, err = stdout.Write(r.Public())
		return err
	}
	fmt.Fprintf(stdout, "%s  %s (%s, %s)\n", r.HashString(), deploy.ProtocolVersion, r.ModelConfig.Name, r.Knobs)
	return nil
}
