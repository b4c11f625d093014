package sim

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/trace"
)

// Options configure an Engine.
type Options struct {
	// Family prices each operation (required).
	Family Family
	// Network turns rounds and bytes into time (default LAN).
	Network Network
	// Compute turns work into time (default DevVM2Core; NoCompute for
	// network time only).
	Compute Compute
	// Name is the engine's name (default "sim/<family>").
	Name string
}

// Engine is the cost simulator: a shape-only engine (mpc/trace checks
// shapes and decides placement with the shared mpc rules) whose report is
// priced by a Family and timed by a Network and a Compute profile. It
// implements mpc.Engine, so model code runs on it unchanged:
//
//	e, _ := sim.New(sim.Options{Family: sim.NewSIGMA(), Network: sim.LAN()})
//	_, err := model.Apply(ctx, e, marill.Input{IDs: make([]int, 128)})
//	fmt.Println(e.Report().Summary())
//
// Operations are recorded as they happen and priced when Report is
// called, so a family can use facts about an operation's neighbours (see
// Op). Value always fails: a simulation has no values.
type Engine struct {
	*trace.Engine
	opts Options
	meta mpc.Meta

	ops      []Op
	inMatMul bool
	lastA    mpc.Tensor // left operand of the last interactive product
	lastOut  mpc.Tensor // its output
}

var _ mpc.Engine = (*Engine)(nil)

// New returns a simulator engine.
func New(opts Options) (*Engine, error) {
	if opts.Family == nil {
		return nil, fmt.Errorf("sim: Options.Family is nil; pick one of sim.Families() or sim.FamilyForSetting")
	}
	if opts.Network.Name == "" {
		opts.Network = LAN()
	}
	if err := opts.Network.Validate(); err != nil {
		return nil, err
	}
	if opts.Compute.Name == "" {
		opts.Compute = DevVM2Core()
	}
	if err := opts.Compute.Validate(); err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = "sim/" + shortName(opts.Family)
	}
	e := &Engine{opts: opts}
	e.Engine = trace.New(trace.Options{Name: opts.Name, TimeKind: mpc.Estimated, Observe: e.observe})
	return e, nil
}

// Family returns the engine's cost model.
func (e *Engine) Family() Family { return e.opts.Family }

// Network returns the engine's network profile.
func (e *Engine) Network() Network { return e.opts.Network }

// Compute returns the engine's compute profile.
func (e *Engine) Compute() Compute { return e.opts.Compute }

// SetMeta sets the metadata stamped on reports; Protocol and Network are
// filled from the family and network when left empty.
func (e *Engine) SetMeta(m mpc.Meta) { e.meta = m }

// Ops returns the recorded operations (shape operations and inputs
// excluded), with the neighbour facts filled in.
func (e *Engine) Ops() []Op {
	e.markMasked()
	var out []Op
	for _, op := range e.ops {
		if !mpc.Unreported(op.Op.Op) {
			out = append(out, op)
		}
	}
	return out
}

func (e *Engine) observe(op trace.Op, _ mpc.Cost) {
	e.ops = append(e.ops, Op{Op: op})
	if op.Place == mpc.Interactive && !e.inMatMul {
		e.lastA, e.lastOut = nil, nil
	}
}

// MatMul records a·b and notes whether it can batch with the interactive
// product before it (see Op.Batched).
func (e *Engine) MatMul(a, b mpc.Tensor) mpc.Tensor {
	n := len(e.ops)
	e.inMatMul = true
	out := e.Engine.MatMul(a, b)
	e.inMatMul = false
	if len(e.ops) == n+1 && e.ops[n].Place == mpc.Interactive {
		if e.lastA != nil && same(a, e.lastA) && !same(b, e.lastOut) {
			e.ops[n].Batched = true
		}
		e.lastA, e.lastOut = a, out
	}
	return out
}

// same reports whether two tensor handles are the same value, without
// panicking on handles of incomparable types.
func same(a, b mpc.Tensor) bool {
	if a == nil || b == nil {
		return false
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}

// markMasked flags each product whose output a later causal softmax
// normalises: the nearest earlier matmul with the softmax input's shape.
func (e *Engine) markMasked() {
	for i, op := range e.ops {
		if op.Op.Op != mpc.OpSoftmax || !op.Causal || len(op.In) == 0 {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			if e.ops[j].Op.Op == mpc.OpMatMul && e.ops[j].Out.Equal(op.In[0]) {
				e.ops[j].Masked = true
				break
			}
		}
	}
}

// Quote prices one operation with the engine's family and returns its
// cost with the estimated time filled in.
func (e *Engine) quote(price func(Op) Quote, op Op) (mpc.Cost, []string) {
	q := price(op)
	c := q.Cost
	c.Count = 1
	c.Elements = op.Elements
	c.MACs = op.MACs
	compute, missing := e.opts.Compute.Time(q.Work)
	c.Time = compute + networkTime(e.opts.Network, e.opts.Family.Setting(), c)
	return c, missing
}

// NetworkTime is the network part of an operation's estimated time:
// rounds × one-way latency + the busiest link's bytes ÷ bandwidth.
func NetworkTime(n Network, s Setting, c mpc.Cost) time.Duration {
	return networkTime(n, s, c)
}

func networkTime(n Network, s Setting, c mpc.Cost) time.Duration {
	busiest := max(c.SentClient, c.SentServer)
	if s == ThreePC {
		// Three links, one per party: P0's bytes and the mean of the
		// other two parties' bytes.
		busiest = max(c.SentClient, (c.SentServer+1)/2)
	}
	return time.Duration(c.Rounds)*n.Latency + n.transfer(busiest)
}

// Report prices every operation recorded so far and returns the rows, one
// per scope, operation and placement, in first-seen order.
func (e *Engine) Report() *mpc.Report {
	e.markMasked()
	meta := e.meta
	if meta.Protocol == "" {
		meta.Protocol = e.opts.Family.Name() + " [" + e.opts.Family.Setting().String() + "]"
	}
	if meta.Network == "" {
		meta.Network = e.opts.Network.String()
	}
	r := &mpc.Report{Schema: mpc.ReportSchema, Engine: e.opts.Name, TimeKind: mpc.Estimated, Meta: meta}
	type key struct {
		scope, op string
		place     mpc.Placement
	}
	index := make(map[key]int, 256)
	missing := map[string]bool{}
	price, stateful := e.opts.Family.Price, false
	if sf, ok := e.opts.Family.(StatefulFamily); ok {
		price, stateful = sf.NewPricer().Price, true
	}
	for _, op := range e.ops {
		if mpc.Unreported(op.Op.Op) {
			if stateful {
				price(op) // it follows the run's values; the operation itself is free
			}
			continue
		}
		c, miss := e.quote(price, op)
		for _, m := range miss {
			missing[m] = true
		}
		k := key{op.Scope, op.Op.Op, op.Place}
		i, ok := index[k]
		if !ok {
			i = len(r.Rows)
			index[k] = i
			r.Rows = append(r.Rows, mpc.Row{Scope: op.Scope, Op: op.Op.Op, Place: op.Place})
		}
		r.Rows[i].Cost.Add(c)
	}
	r.Notes = e.notes(missing)
	return r
}

func (e *Engine) notes(missing map[string]bool) []string {
	o := e.opts
	notes := []string{
		fmt.Sprintf("estimated time per operation = compute (%s) + rounds × %v one-way latency + busiest link's bytes ÷ %s (%s); rows add their operations' times.",
			o.Compute.Name, o.Network.Latency, formatRate(o.Network.BitsPerSecond), o.Network.Name),
	}
	if o.Family.Setting() == ThreePC {
		notes = append(notes, "3PC: sent P0 is the first computing server's bytes, sent P1 the other two servers' bytes together; each server has its own link.")
	}
	if len(missing) > 0 && !o.Compute.zero() {
		var m []string
		for k := range missing {
			m = append(m, k)
		}
		sort.Strings(m)
		notes = append(notes, fmt.Sprintf("compute profile %q has no rate for %s: that work is not timed.", o.Compute.Name, strings.Join(m, ", ")))
	}
	return notes
}
