package train

import (
	"context"
	"fmt"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/marill/train/data"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/sim"
)

// CostOptions choose how secure inference is priced by the simulator.
type CostOptions struct {
	// Protocol is a simulator family (sim.FamilyByName: sigma, crypten,
	// puma, cheetah, cryptflow2); default "sigma", Marill's 2PC-Dealer
	// setting.
	Protocol string
	// Network is a network profile (sim.ParseNetwork: lan, wan, ... or
	// "1Gbps/0.5ms"); default "lan".
	Network string
}

func (o CostOptions) withDefaults() CostOptions {
	if o.Protocol == "" {
		o.Protocol = "sigma"
	}
	if o.Network == "" {
		o.Network = "lan"
	}
	return o
}

// Cost is the simulated price of one secure forward pass.
type Cost struct {
	// Model and SeqLen are what was priced.
	Model  string
	SeqLen int
	// Protocol and Network name the family and profile.
	Protocol, Network string
	// Seconds is the estimated time (compute + rounds × latency + bytes ÷
	// bandwidth, see package sim).
	Seconds float64
	// Sent is the online bytes of both parties; Offline the dealer's
	// correlated randomness for both; Rounds the online rounds.
	Sent, Offline, Rounds int64
	// Report is the full priced report, per layer and operation.
	Report *mpc.Report
}

func (c *Cost) String() string {
	return fmt.Sprintf("%s n=%d %s/%s: %.3gs, %s online, %d rounds", c.Model, c.SeqLen, c.Protocol, c.Network,
		c.Seconds, mpc.FormatBytes(c.Sent), c.Rounds)
}

// Price simulates a secure forward pass of cfg's model fine-tuned with the
// knobs, at cfg.SeqLen tokens.
func Price(ctx context.Context, cfg marill.Config, k marill.Knobs, opts CostOptions) (*Cost, error) {
	o := opts.withDefaults()
	fam, err := sim.FamilyByName(o.Protocol)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	nw, err := sim.ParseNetwork(o.Network)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	k.Perturb = 0
	r, err := sim.SimulateConfig(ctx, cfg, k, sim.Options{Family: fam, Network: nw})
	if err != nil {
		return nil, fmt.Errorf("train: pricing %s: %w", cfg.Name, err)
	}
	t := r.Total()
	return &Cost{Model: cfg.Name, SeqLen: cfg.SeqLen, Protocol: o.Protocol, Network: o.Network,
		Seconds: t.Time.Seconds(), Sent: t.Sent(), Offline: t.Offline(), Rounds: t.Rounds, Report: r}, nil
}

// TaskSeqLen is the length priced for a task model: the longest input of
// the task's test split as the model reads it ([CLS] text [SEP] or [BOS]
// text for classification; [BOS] prompt [SEP] target for generation, the last and
// longest pass of greedy decoding), capped at the model's positions.
func TaskSeqLen(cfg marill.Config, tok *data.Tokenizer, task *data.Task) int {
	n := 1
	for _, x := range task.Test {
		var l int
		if task.Kind == data.Classification {
			l = len(encodeText(cfg.Arch, tok, x.Text, cfg.MaxPositions))
		} else {
			l = len(encodeGeneration(tok, x.Prompt, x.Target).ids)
		}
		n = max(n, l)
	}
	return min(n, cfg.MaxPositions)
}
