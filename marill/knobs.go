package marill

import (
	"fmt"
	"math"
	"strings"

	"github.com/marill-go/marill/mpc"
)

// Proj is a set of projections, used to choose where LoRA goes.
type Proj uint8

const (
	ProjQ Proj = 1 << iota
	ProjK
	ProjV
	ProjO
	ProjUp
	ProjDown
	ProjGate
)

// ProjAttn is the four attention projections.
const ProjAttn = ProjQ | ProjK | ProjV | ProjO

// ProjAll is every projection (gate only exists in LLaMA).
const ProjAll = ProjAttn | ProjUp | ProjDown | ProjGate

var projNames = [...]string{"q", "k", "v", "o", "up", "down", "gate"}

func (p Proj) String() string {
	var parts []string
	for i, n := range projNames {
		if p&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// ParseProj parses a comma-separated list such as "q,v" or "all".
func ParseProj(s string) (Proj, error) {
	if s == "all" {
		return ProjAll, nil
	}
	var p Proj
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		found := false
		for i, n := range projNames {
			if n == part {
				p |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("marill: unknown projection %q (want q, k, v, o, up, down, gate or all)", part)
		}
	}
	return p, nil
}

// MarshalText writes the projection list.
func (p Proj) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a projection list ("none" is the empty set).
func (p *Proj) UnmarshalText(b []byte) error {
	if string(b) == "none" || len(b) == 0 {
		*p = 0
		return nil
	}
	v, err := ParseProj(string(b))
	*p = v
	return err
}

// Knobs are Marill's fine-tuning choices. The zero value is standard fine-
// tuning: every layer private, no LoRA, the pretrained head count, the
// model's native non-linearities.
type Knobs struct {
	// FreezeLayers keeps the bottom k blocks public; they run on the
	// client in plaintext. Set at most one of FreezeLayers,
	// FreezeFraction and Frozen.
	FreezeLayers int `json:"freeze_layers,omitempty"`
	// FreezeFraction freezes ⌊f·L⌋ bottom blocks (0 ≤ f ≤ 1).
	FreezeFraction float64 `json:"freeze_fraction,omitempty"`
	// Frozen marks blocks one by one (length L). Only a prefix may be
	// frozen: a frozen block above a private one is refused.
	Frozen []bool `json:"frozen,omitempty"`
	// LoRARank r ≥ 1 fine-tunes private blocks through rank-r adapters
	// (W_pub + A·B, unmerged); 0 fine-tunes every weight of them.
	LoRARank int `json:"lora_rank,omitempty"`
	// LoRATargets picks the projections that get adapters (default all).
	LoRATargets Proj `json:"lora_targets,omitempty"`
	// LoRAAlpha scales the adapters by α/r (default α = r).
	LoRAAlpha float64 `json:"lora_alpha,omitempty"`
	// MergeHeads m merges adjacent groups of m heads in private blocks
	// (h → h/m heads of m× width); 0 and 1 mean no merging.
	MergeHeads int `json:"merge_heads,omitempty"`
	// GeLU, Softmax and SiLU replace the non-linearities of private
	// blocks (unset keeps the model's native form). Frozen blocks run in
	// plaintext and keep theirs.
	GeLU    mpc.GeLUKind    `json:"gelu,omitempty"`
	Softmax mpc.SoftmaxKind `json:"softmax,omitempty"`
	SiLU    mpc.SiLUKind    `json:"silu,omitempty"`
	// Perturb simulates fine-tuning: private weights get seeded Gaussian
	// deltas of Perturb × the initialisation scale, and LoRA's B starts
	// from such noise instead of zero. 0 keeps the pretrained values.
	Perturb float64 `json:"perturb,omitempty"`
	// Seed drives LoRA initialisation and Perturb.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate reports the first knob that does not fit the config, naming it.
func (k Knobs) Validate(c Config) error {
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("marill: Knobs.%s %s", field, fmt.Sprintf(format, args...))
	}
	set := 0
	if k.FreezeLayers != 0 {
		set++
	}
	if k.FreezeFraction != 0 {
		set++
	}
	if k.Frozen != nil {
		set++
	}
	switch {
	case set > 1:
		return bad("FreezeLayers", "conflicts: set only one of FreezeLayers, FreezeFraction and Frozen")
	case k.FreezeLayers < 0 || k.FreezeLayers > c.Layers:
		return bad("FreezeLayers", "= %d is outside [0, %d]", k.FreezeLayers, c.Layers)
	case math.IsNaN(k.FreezeFraction) || k.FreezeFraction < 0 || k.FreezeFraction > 1:
		return bad("FreezeFraction", "= %g is outside [0, 1]", k.FreezeFraction)
	case k.Frozen != nil && len(k.Frozen) != c.Layers:
		return bad("Frozen", "has %d entries for %d layers", len(k.Frozen), c.Layers)
	case k.LoRARank < 0:
		return bad("LoRARank", "= %d, rank must be ≥ 1 (or 0 for no LoRA)", k.LoRARank)
	case k.LoRARank == 0 && k.LoRATargets != 0:
		return bad("LoRATargets", "= %v given but LoRARank is 0 (rank must be ≥ 1)", k.LoRATargets)
	case k.LoRARank > min(c.Hidden, c.FFN):
		return bad("LoRARank", "= %d exceeds the smallest projection dimension %d", k.LoRARank, min(c.Hidden, c.FFN))
	case k.LoRATargets&^ProjAll != 0:
		return bad("LoRATargets", "has unknown projection bits %#x", uint8(k.LoRATargets&^ProjAll))
	case c.Arch != LLaMA && k.LoRATargets&ProjGate != 0 && k.LoRATargets != ProjAll:
		return bad("LoRATargets", "includes gate, which only LLaMA has")
	case k.LoRAAlpha < 0 || math.IsNaN(k.LoRAAlpha):
		return bad("LoRAAlpha", "= %g is negative", k.LoRAAlpha)
	case k.MergeHeads < 0:
		return bad("MergeHeads", "= %d is negative", k.MergeHeads)
	case k.MergeHeads > 1 && c.Heads%k.MergeHeads != 0:
		return bad("MergeHeads", "= %d does not divide Heads = %d", k.MergeHeads, c.Heads)
	case k.GeLU > mpc.GeLUReLU:
		return bad("GeLU", "= %v is not a GeLU kind", k.GeLU)
	case k.Softmax > mpc.Softmax2ReLU:
		return bad("Softmax", "= %v is not a softmax kind", k.Softmax)
	case k.SiLU > mpc.SiLUReLU:
		return bad("SiLU", "= %v is not a SiLU kind", k.SiLU)
	case k.Perturb < 0 || math.IsNaN(k.Perturb):
		return bad("Perturb", "= %g is negative", k.Perturb)
	}
	frozen := k.FrozenLayers(c.Layers)
	for i := 1; i < len(frozen); i++ {
		if frozen[i] && !frozen[i-1] {
			return bad("Frozen", "marks layer %d frozen above private layer %d: only a prefix of layers can leave MPC, since everything above a private layer depends on secret values", i, i-1)
		}
	}
	return nil
}

// FrozenLayers resolves the freezing knobs to one flag per layer.
func (k Knobs) FrozenLayers(layers int) []bool {
	out := make([]bool, layers)
	if k.Frozen != nil {
		copy(out, k.Frozen)
		return out
	}
	n := k.FreezeLayers
	if k.FreezeFraction != 0 {
		n = int(math.Floor(k.FreezeFraction*float64(layers) + 1e-9))
	}
	for i := 0; i < n && i < layers; i++ {
		out[i] = true
	}
	return out
}

// Targets resolves LoRATargets for an architecture (gate exists only in
// LLaMA).
func (k Knobs) Targets(a Arch) Proj {
	t := k.LoRATargets
	if t == 0 {
		t = ProjAll
	}
	if a != LLaMA {
		t &^= ProjGate
	}
	return t
}

// Merge resolves MergeHeads (0 means 1).
func (k Knobs) Merge() int {
	if k.MergeHeads < 1 {
		return 1
	}
	return k.MergeHeads
}

// String summarises the knobs that differ from standard fine-tuning,
// e.g. "freeze 6/12 · LoRA r=8 (all) · merge ×4 · softmax 2quad".
func (k Knobs) String() string { return k.describe(0) }

func (k Knobs) describe(layers int) string {
	var parts []string
	switch {
	case k.Frozen != nil:
		n := 0
		for _, f := range k.Frozen {
			if f {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("freeze %d/%d", n, len(k.Frozen)))
	case k.FreezeLayers > 0:
		if layers > 0 {
			parts = append(parts, fmt.Sprintf("freeze %d/%d", k.FreezeLayers, layers))
		} else {
			parts = append(parts, fmt.Sprintf("freeze %d", k.FreezeLayers))
		}
	case k.FreezeFraction > 0:
		if layers > 0 {
			parts = append(parts, fmt.Sprintf("freeze %d/%d", int(math.Floor(k.FreezeFraction*float64(layers)+1e-9)), layers))
		} else {
			parts = append(parts, fmt.Sprintf("freeze %g", k.FreezeFraction))
		}
	}
	if k.LoRARank > 0 {
		t := "all"
		if k.LoRATargets != 0 && k.LoRATargets != ProjAll {
			t = k.LoRATargets.String()
		}
		parts = append(parts, fmt.Sprintf("LoRA r=%d (%s)", k.LoRARank, t))
	}
	if k.Merge() > 1 {
		parts = append(parts, fmt.Sprintf("merge ×%d", k.Merge()))
	}
	if k.GeLU != mpc.GeLUUnset {
		parts = append(parts, "gelu "+k.GeLU.String())
	}
	if k.Softmax != mpc.SoftmaxUnset {
		parts = append(parts, "softmax "+k.Softmax.String())
	}
	if k.SiLU != mpc.SiLUUnset {
		parts = append(parts, "silu "+k.SiLU.String())
	}
	if len(parts) == 0 {
		return "standard fine-tuning"
	}
	return strings.Join(parts, " · ")
}
