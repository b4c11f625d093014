package marill

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/marill-go/marill/internal/table"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/trace"
)

// Plan says, per layer and per operation, who computes what: the client in
// plaintext, each party locally on shares, or an interactive MPC protocol.
// It is derived by running the model's own forward pass through a shape-
// only engine (mpc/trace), so it cannot disagree with what the engines do.
type Plan struct {
	Model  string
	SeqLen int
	Knobs  string
	Layers []LayerPlan
	// Ops are the operations per (scope, op, placement), in execution order.
	Ops []mpc.Row
}

// LayerPlan summarises one layer ("embed", "block3", "head").
type LayerPlan struct {
	Name string
	// Where is OnClient or OnPublic for a layer the client runs alone,
	// Interactive if any operation needs MPC, OnShares otherwise.
	Where mpc.Placement
	// Heads and HeadDim of the attention (blocks only).
	Heads, HeadDim int
	// LoRARank of the layer's adapters (0 without).
	LoRARank int
	// Non-linearities (blocks only).
	GeLU    mpc.GeLUKind
	SiLU    mpc.SiLUKind
	Softmax mpc.SoftmaxKind
	// SoftmaxElements is the number of attention scores normalised in MPC.
	SoftmaxElements int64
	// SecureMACs are multiply-accumulates of interactive (secret × secret)
	// products; LocalMACs of secret × public products on shares;
	// ClientMACs of the client's plaintext products.
	SecureMACs, LocalMACs, ClientMACs int64
	// Interactive counts interactive operations.
	Interactive int64
}

// Plan derives the placement plan at the configured sequence length.
func (m *Model) Plan() *Plan {
	e := trace.New(trace.Options{Name: "plan"})
	in := Input{IDs: make([]int, m.Config.SeqLen)}
	_, err := m.Apply(context.Background(), e, in)
	if err != nil {
		// Models built by this package are always consistent; a failure here
		// is a bug, and the plan says so rather than hiding it.
		return &Plan{Model: m.Config.Name, Knobs: "invalid: " + err.Error()}
	}
	rep := e.Report()
	p := &Plan{Model: m.Config.Name, SeqLen: m.Config.SeqLen, Ops: rep.Rows}
	if m.FineTuned {
		p.Knobs = m.Knobs.describe(m.Config.Layers)
	} else {
		p.Knobs = "pretrained (public)"
	}
	byName := map[string]int{}
	for _, r := range rep.Rows {
		name := r.Layer()
		i, ok := byName[name]
		if !ok {
			i = len(p.Layers)
			byName[name] = i
			p.Layers = append(p.Layers, LayerPlan{Name: name, Where: mpc.OnPublic})
		}
		l := &p.Layers[i]
		if r.Place > l.Where {
			l.Where = r.Place
		}
		if r.Place == mpc.Interactive {
			l.Interactive += r.Count
		}
		if r.Op == mpc.OpSoftmax && r.Place == mpc.Interactive {
			l.SoftmaxElements += r.Elements
		}
		if r.Op == mpc.OpMatMul {
			switch r.Place {
			case mpc.Interactive:
				l.SecureMACs += r.MACs
			case mpc.OnShares:
				l.LocalMACs += r.MACs
			case mpc.OnClient:
				l.ClientMACs += r.MACs
			}
		}
	}
	for i := range p.Layers {
		l := &p.Layers[i]
		idx, ok := strings.CutPrefix(l.Name, "block")
		if !ok {
			continue
		}
		bi, err := strconv.Atoi(idx)
		if err != nil || bi >= len(m.Blocks) {
			continue
		}
		b := m.Blocks[bi]
		l.Heads, l.HeadDim = b.Heads, m.Config.Hidden/b.Heads
		l.GeLU, l.SiLU, l.Softmax = b.GeLU, b.SiLU, b.Softmax
		if b.Q.LoRAA != nil || (b.Up != nil && b.Up.LoRAA != nil) {
			l.LoRARank = m.Knobs.LoRARank
		}
		if m.Config.Arch == LLaMA {
			l.GeLU = mpc.GeLUUnset
		} else {
			l.SiLU = mpc.SiLUUnset
		}
	}
	return p
}

// MPCLayers counts transformer blocks that need MPC.
func (p *Plan) MPCLayers() int {
	n := 0
	for _, l := range p.Layers {
		if strings.HasPrefix(l.Name, "block") && l.Where == mpc.Interactive {
			n++
		}
	}
	return n
}

// ClientLayers counts transformer blocks the client runs alone.
func (p *Plan) ClientLayers() int {
	n := 0
	for _, l := range p.Layers {
		if strings.HasPrefix(l.Name, "block") && (l.Where == mpc.OnClient || l.Where == mpc.OnPublic) {
			n++
		}
	}
	return n
}

// ClientOnly reports whether nothing at all needs MPC.
func (p *Plan) ClientOnly() bool {
	for _, r := range p.Ops {
		if r.Place == mpc.Interactive || r.Place == mpc.OnShares || r.Place == mpc.OnServer {
			return false
		}
	}
	return true
}

// Total sums the layer figures.
func (p *Plan) Total() LayerPlan {
	t := LayerPlan{Name: "total"}
	for _, l := range p.Layers {
		t.SoftmaxElements += l.SoftmaxElements
		t.SecureMACs += l.SecureMACs
		t.LocalMACs += l.LocalMACs
		t.ClientMACs += l.ClientMACs
		t.Interactive += l.Interactive
		if l.Where > t.Where {
			t.Where = l.Where
		}
	}
	return t
}

func (p *Plan) title() string {
	return fmt.Sprintf("plan · %s · n=%d · %s", p.Model, p.SeqLen, p.Knobs)
}

func kindCol(l LayerPlan) string {
	var parts []string
	if l.GeLU != mpc.GeLUUnset {
		parts = append(parts, "gelu "+l.GeLU.String())
	}
	if l.SiLU != mpc.SiLUUnset {
		parts = append(parts, "silu "+l.SiLU.String())
	}
	if l.Softmax != mpc.SoftmaxUnset {
		parts = append(parts, "softmax "+l.Softmax.String())
	}
	return strings.Join(parts, ", ")
}

func whereName(p mpc.Placement) string {
	switch p {
	case mpc.OnClient, mpc.OnPublic:
		return "client (plaintext)"
	case mpc.Interactive:
		return "MPC"
	case mpc.OnShares:
		return "local on shares"
	default:
		return p.String()
	}
}

func count(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// LayerTable is the per-layer summary.
func (p *Plan) LayerTable() *table.Table {
	t := &table.Table{
		Title:  p.title(),
		Header: []string{"layer", "runs", "heads×dim", "LoRA", "non-linearities", "softmax elems (MPC)", "secure MACs", "local MACs", "client MACs"},
		Align:  []table.Align{table.Left, table.Left, table.Left, table.Right, table.Left, table.Right, table.Right, table.Right, table.Right},
	}
	row := func(l LayerPlan) []string {
		hd := ""
		if l.Heads > 0 {
			hd = fmt.Sprintf("%d×%d", l.Heads, l.HeadDim)
		}
		lora := ""
		if l.LoRARank > 0 {
			lora = "r=" + strconv.Itoa(l.LoRARank)
		}
		return []string{l.Name, whereName(l.Where), hd, lora, kindCol(l), count(l.SoftmaxElements),
			count(l.SecureMACs), count(l.LocalMACs), count(l.ClientMACs)}
	}
	for _, l := range p.Layers {
		t.AddRow(row(l)...)
	}
	t.AddSeparator()
	tot := p.Total()
	t.AddRow("total", fmt.Sprintf("%d MPC / %d client blocks", p.MPCLayers(), p.ClientLayers()), "", "", "",
		count(tot.SoftmaxElements), count(tot.SecureMACs), count(tot.LocalMACs), count(tot.ClientMACs))
	return t
}

// OpTable lists every operation with its placement.
func (p *Plan) OpTable() *table.Table {
	t := &table.Table{
		Title:  p.title(),
		Header: []string{"scope", "op", "who computes", "count", "elements", "MACs"},
		Align:  []table.Align{table.Left, table.Left, table.Left, table.Right, table.Right, table.Right},
	}
	for _, r := range p.Ops {
		t.AddRow(r.Scope, r.Op, opWho(r.Place), count(r.Count), count(r.Elements), count(r.MACs))
	}
	return t
}

func opWho(p mpc.Placement) string {
	switch p {
	case mpc.OnClient:
		return "client, plaintext"
	case mpc.OnServer:
		return "server, plaintext"
	case mpc.OnPublic:
		return "both, public"
	case mpc.OnShares:
		return "each party on shares"
	default:
		return "MPC (interactive)"
	}
}

// String prints the per-layer table.
func (p *Plan) String() string { return p.LayerTable().Text() }

// Detail prints every operation.
func (p *Plan) Detail() string { return p.OpTable().Text() }

// Markdown renders the per-layer table.
func (p *Plan) Markdown() string { return p.LayerTable().Markdown() }

// HTML renders the per-layer table.
func (p *Plan) HTML() string { return p.LayerTable().HTML() }
