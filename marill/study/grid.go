package study

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
)

// Grid is the set of knob values a study sweeps; its points are the cross
// product of the lists. An empty list stands for one default value: the
// preset's sequence length, no freezing, no LoRA, no merging, the model's
// native non-linearities, and no protocol or network (for evaluators that do
// not use them). Models is required.
type Grid struct {
	// Models are preset names (marill.Presets: "bert-base", "gpt2",
	// "llama-2-7b", "tiny-bert", ...).
	Models []string `json:"models"`
	// SeqLens are prompt lengths n.
	SeqLens []int `json:"seq_lens,omitempty"`
	// Freeze are fractions f of frozen bottom layers (⌊f·L⌋ blocks).
	Freeze []float64 `json:"freeze,omitempty"`
	// LoRARanks are adapter ranks; 0 fine-tunes every weight.
	LoRARanks []int `json:"lora_ranks,omitempty"`
	// Merge are head-merge factors m (1 = no merging).
	Merge []int `json:"merge,omitempty"`
	// GeLU, Softmax and SiLU are the non-linearities of private blocks
	// (unset keeps the model's own). GeLU does not apply to LLaMA and SiLU
	// applies only to LLaMA: such points collapse onto the point with the
	// knob unset and are skipped as duplicates.
	GeLU    []mpc.GeLUKind    `json:"gelu,omitempty"`
	Softmax []mpc.SoftmaxKind `json:"softmax,omitempty"`
	SiLU    []mpc.SiLUKind    `json:"silu,omitempty"`
	// Protocols and Networks name protocol families and network profiles
	// for evaluators that price them (the simulator); evaluators that do not
	// use them report the same figures for every value.
	Protocols []string `json:"protocols,omitempty"`
	Networks  []string `json:"networks,omitempty"`
}

// Point is one combination of knob values.
type Point struct {
	Model    string          `json:"model"`
	SeqLen   int             `json:"seq_len"`
	Freeze   float64         `json:"freeze"`
	LoRARank int             `json:"lora_rank"`
	Merge    int             `json:"merge"`
	GeLU     mpc.GeLUKind    `json:"gelu"`
	Softmax  mpc.SoftmaxKind `json:"softmax"`
	SiLU     mpc.SiLUKind    `json:"silu"`
	Protocol string          `json:"protocol,omitempty"`
	Network  string          `json:"network,omitempty"`
}

// Skipped is a grid combination that is not evaluated, and why.
type Skipped struct {
	Point  Point  `json:"point"`
	Reason string `json:"reason"`
}

// Key identifies a point independently of its position in a grid, so a
// rerun of a changed grid still recognises the points already computed.
func (p Point) Key() string {
	var b strings.Builder
	b.WriteString(p.Model)
	fmt.Fprintf(&b, "/n=%d/freeze=%s/lora=%d/merge=%d/gelu=%v/softmax=%v/silu=%v",
		p.SeqLen, strconv.FormatFloat(p.Freeze, 'g', -1, 64), p.LoRARank, p.Merge, p.GeLU, p.Softmax, p.SiLU)
	if p.Protocol != "" {
		b.WriteString("/protocol=" + p.Protocol)
	}
	if p.Network != "" {
		b.WriteString("/network=" + p.Network)
	}
	return b.String()
}

// String is the point's key.
func (p Point) String() string { return p.Key() }

// Config returns the model configuration of the point: the preset with the
// point's sequence length.
func (p Point) Config() (marill.Config, error) {
	cfg, err := marill.Preset(p.Model)
	if err != nil {
		return marill.Config{}, fmt.Errorf("study: %w", err)
	}
	if p.SeqLen > 0 {
		cfg.SeqLen = p.SeqLen
	}
	return cfg, nil
}

// Knobs returns the fine-tuning knobs of the point.
func (p Point) Knobs() marill.Knobs {
	return marill.Knobs{
		FreezeFraction: p.Freeze,
		LoRARank:       p.LoRARank,
		MergeHeads:     p.Merge,
		GeLU:           p.GeLU,
		Softmax:        p.Softmax,
		SiLU:           p.SiLU,
	}
}

// Size is the number of combinations of the grid, skipped ones included.
func (g Grid) Size() int {
	n := len(g.Models)
	for _, k := range []int{len(g.SeqLens), len(g.Freeze), len(g.LoRARanks), len(g.Merge),
		len(g.GeLU), len(g.Softmax), len(g.SiLU), len(g.Protocols), len(g.Networks)} {
		n *= max(k, 1)
	}
	return n
}

// MaxPoints bounds a grid's size, so a typo cannot ask for billions of points.
const MaxPoints = 10_000_000

// Points expands the grid into the points to evaluate, in a fixed order
// (models outermost, networks innermost), and lists the combinations it skips:
// those the model cannot take (a sequence longer than its position table, a
// merge factor that does not divide its heads, a LoRA rank above its
// widths) and those that duplicate another point because a knob does not
// apply to the model's family. A grid that names no model or an unknown one,
// or has a non-positive sequence length, is an error.
func (g Grid) Points() ([]Point, []Skipped, error) {
	if len(g.Models) == 0 {
		return nil, nil, fmt.Errorf("study: Grid.Models is empty")
	}
	if n := g.Size(); n > MaxPoints {
		return nil, nil, fmt.Errorf("study: grid has %d combinations, more than %d", n, MaxPoints)
	}
	cfgs := make([]marill.Config, len(g.Models))
	for i, m := range g.Models {
		c, err := marill.Preset(m)
		if err != nil {
			return nil, nil, fmt.Errorf("study: Grid.Models[%d]: %w", i, err)
		}
		cfgs[i] = c
	}
	for i, n := range g.SeqLens {
		if n <= 0 {
			return nil, nil, fmt.Errorf("study: Grid.SeqLens[%d] = %d is not positive", i, n)
		}
	}
	for i, r := range g.LoRARanks {
		if r < 0 {
			return nil, nil, fmt.Errorf("study: Grid.LoRARanks[%d] = %d is negative", i, r)
		}
	}
	for i, m := range g.Merge {
		if m < 1 {
			return nil, nil, fmt.Errorf("study: Grid.Merge[%d] = %d, a merge factor is at least 1", i, m)
		}
	}
	var points []Point
	var skipped []Skipped
	seen := map[string]bool{}
	for _, cfg0 := range cfgs {
		for _, n := range orDefault(g.SeqLens, cfg0.SeqLen) {
			cfg := cfg0
			cfg.SeqLen = n
			for _, f := range orDefault(g.Freeze, 0) {
				for _, r := range orDefault(g.LoRARanks, 0) {
					for _, m := range orDefault(g.Merge, 1) {
						for _, ge := range orDefault(g.GeLU, mpc.GeLUUnset) {
							for _, sm := range orDefault(g.Softmax, mpc.SoftmaxUnset) {
								for _, si := range orDefault(g.SiLU, mpc.SiLUUnset) {
									for _, pr := range orDefault(g.Protocols, "") {
										for _, nw := range orDefault(g.Networks, "") {
											p := Point{Model: cfg.Name, SeqLen: n, Freeze: f, LoRARank: r, Merge: m,
												GeLU: ge, Softmax: sm, SiLU: si, Protocol: pr, Network: nw}
											if reason := check(cfg, &p); reason != "" {
												skipped = append(skipped, Skipped{Point: p, Reason: reason})
												continue
											}
											k := p.Key()
											if seen[k] {
												skipped = append(skipped, Skipped{Point: p, Reason: "duplicate of " + k + notApplicable(cfg, ge, si)})
												continue
											}
											seen[k] = true
											points = append(points, p)
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return points, skipped, nil
}

// check normalises knobs that do not apply to the model's family (so the
// point's key says what is actually run) and returns why the model cannot
// take the point, or "".
func check(cfg marill.Config, p *Point) string {
	if cfg.Arch == marill.LLaMA {
		p.GeLU = mpc.GeLUUnset
	} else {
		p.SiLU = mpc.SiLUUnset
	}
	if p.SeqLen > cfg.MaxPositions {
		return fmt.Sprintf("seq_len %d exceeds %s's %d positions", p.SeqLen, cfg.Name, cfg.MaxPositions)
	}
	if err := p.Knobs().Validate(cfg); err != nil {
		return err.Error()
	}
	return ""
}

func notApplicable(cfg marill.Config, ge mpc.GeLUKind, si mpc.SiLUKind) string {
	switch {
	case cfg.Arch == marill.LLaMA && ge != mpc.GeLUUnset:
		return " (gelu does not apply to " + cfg.Arch.String() + ": its FFN is SiLU-gated)"
	case cfg.Arch != marill.LLaMA && si != mpc.SiLUUnset:
		return " (silu applies only to llama)"
	}
	return ""
}

// orDefault returns xs, or a list of the one default value if xs is empty.
// It is unexported: the REPL-visible API stays non-generic.
func orDefault[T any](xs []T, def T) []T {
	if len(xs) == 0 {
		return []T{def}
	}
	return xs
}
