package sim

import (
	"fmt"
	"strings"

	"github.com/marill-go/marill/marill"
	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/trace"
)

// Setting is the MPC setting a protocol family runs in (Marill's names).
type Setting uint8

const (
	// TwoPC: client and server alone; correlations come from OT or HE.
	TwoPC Setting = iota + 1
	// ThreePC: three computing servers with an honest majority
	// (replicated secret sharing).
	ThreePC
	// TwoPCDealer: two parties and a trusted, input-independent dealer
	// that ships correlated randomness before the run.
	TwoPCDealer
)

var settingNames = [...]string{"", "2PC", "3PC", "2PC-Dealer"}

func (s Setting) String() string {
	if int(s) > 0 && int(s) < len(settingNames) {
		return settingNames[s]
	}
	return fmt.Sprintf("Setting(%d)", int(s))
}

// ParseSetting accepts "2pc", "3pc", "2pc-dealer" (or "dealer"), any case.
func ParseSetting(s string) (Setting, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "2pc":
		return TwoPC, nil
	case "3pc":
		return ThreePC, nil
	case "2pc-dealer", "dealer", "2pcdealer":
		return TwoPCDealer, nil
	}
	return 0, fmt.Errorf("sim: unknown setting %q (want 2pc, 3pc or 2pc-dealer)", s)
}

// Op is one operation as a family sees it: the trace engine's record
// (scope, shapes, visibilities, placement, kinds) plus two facts about its
// neighbours that the simulator derives from the run.
type Op struct {
	trace.Op
	// Masked is set on a product whose [.., n, n] output feeds a causal
	// softmax, so a family may compute only the lower triangle of each
	// matrix (n(n+1)/2 of n² elements), as SIGMA does.
	Masked bool
	// Batched is set on a product that has the same left operand as the
	// interactive product just before it and does not use its output (the
	// k and v projections after q, up after gate). A family that batches
	// such products (SIGMA's fused QKV) runs it in the same rounds.
	Batched bool
}

// Work is the local computation of an operation, counted for the busiest
// party (parties compute in parallel). A Compute profile turns it into
// time; the fields a family leaves zero cost nothing.
type Work struct {
	// PlainMACs and PlainOps: float64 multiply-accumulates and elementwise
	// operations on plaintext (the client's frozen layers).
	PlainMACs, PlainOps float64
	// RingMACs and RingOps: Z_2^64 multiply-accumulates and elementwise
	// operations on shares or masked values.
	RingMACs, RingOps float64
	// PRGBytes: pseudo-random bytes expanded with AES-CTR (shares, masks,
	// correlated randomness derived from seeds).
	PRGBytes float64
	// AESBlocks: AES block evaluations that cannot stream as CTR: FSS key
	// evaluation (DPF/DCF tree nodes) and OT-extension hashing.
	AESBlocks float64
	// HEMuls and HEEncs: ciphertext-plaintext products and encryptions at
	// the ring degree of the family's HE parameters, counted as N = 4096
	// equivalents (an N = 8192 operation counts as the cost ratio the
	// family states).
	HEMuls, HEEncs float64
	// COTs: correlated OTs produced by silent OT extension.
	COTs float64
	// Kernels: named measured kernels, each with a count of elements; a
	// Compute profile's Kernels map gives seconds per element. This is how
	// a family prices kernels the fixed fields do not cover (for example
	// the secure engine's FSS gates, timed by calibrate).
	Kernels []KernelWork
}

// KernelWork is a count of elements of a named kernel.
type KernelWork struct {
	Name  string
	Count float64
}

// Add accumulates w into the receiver.
func (a *Work) Add(w Work) {
	a.PlainMACs += w.PlainMACs
	a.PlainOps += w.PlainOps
	a.RingMACs += w.RingMACs
	a.RingOps += w.RingOps
	a.PRGBytes += w.PRGBytes
	a.AESBlocks += w.AESBlocks
	a.HEMuls += w.HEMuls
	a.HEEncs += w.HEEncs
	a.COTs += w.COTs
	a.Kernels = append(a.Kernels, w.Kernels...)
}

// Quote is a family's price for one operation: the costs a Report row
// carries (rounds, bytes sent by each party, offline bytes) and the local
// work that a Compute profile turns into time.
type Quote struct {
	mpc.Cost
	Work Work
}

// Family is a cost model: one protocol family's price for every engine
// operation. Families are values and stateless; Price must be safe to call
// for any operation the trace engine records, and costs nothing but Work
// for operations that are not interactive (client plaintext, public, local
// on shares).
//
// Byte columns: SentClient is what party P0 sends and SentServer what P1
// sends. In the 3PC setting SentClient is the first computing party's
// bytes and SentServer the other two parties' bytes added, so Sent() is
// still every byte on the wire (see the package documentation).
type Family interface {
	// Name identifies the family and its parameters, e.g. "sigma(bw=50,f=12)".
	Name() string
	// Setting is the MPC setting the family runs in.
	Setting() Setting
	// Price returns the cost of op.
	Price(op Op) Quote
}

// StatefulFamily is a Family whose price for an operation depends on the
// operations before it: the simulator asks it for a Pricer and prices the
// whole run, input and shape operations included, in order. Ours is one:
// the secure engine reuses openings and masks across operations.
type StatefulFamily interface {
	Family
	NewPricer() Pricer
}

// Pricer prices the operations of one run in order.
type Pricer interface {
	Price(op Op) Quote
}

// ModelFamily is implemented by families whose parameters depend on the
// model (SIGMA picks its ring width per model, as its code does). The
// simulator calls ForModel before pricing a model; Engine users can call
// it themselves.
type ModelFamily interface {
	Family
	ForModel(cfg marill.Config) Family
}

// ForModel returns f adapted to cfg if f implements ModelFamily, else f.
func ForModel(f Family, cfg marill.Config) Family {
	if m, ok := f.(ModelFamily); ok {
		return m.ForModel(cfg)
	}
	return f
}

// Families returns our own protocols (Ours, the secure engine's costs)
// and the published protocol families with their default parameters, one
// per line of the package documentation's table.
func Families() []Family {
	return []Family{NewOurs(), NewSIGMA(), NewCrypTen(), NewPUMA(), NewCheetah(), NewCrypTFlow2()}
}

// FamilyByName returns the family whose short name (ours, sigma, crypten,
// puma, cheetah, cryptflow2) matches, case-insensitively.
func FamilyByName(name string) (Family, error) {
	var names []string
	for _, f := range Families() {
		short := shortName(f)
		if strings.EqualFold(short, name) {
			return f, nil
		}
		names = append(names, short)
	}
	return nil, fmt.Errorf("sim: unknown family %q (have %s)", name, strings.Join(names, ", "))
}

// FamilyForSetting returns the family Marill used for a setting: SIGMA
// for 2PC-Dealer, PUMA for 3PC, Cheetah/BumbleBee-style for 2PC.
func FamilyForSetting(s Setting) (Family, error) {
	switch s {
	case TwoPC:
		return NewCheetah(), nil
	case ThreePC:
		return NewPUMA(), nil
	case TwoPCDealer:
		return NewSIGMA(), nil
	}
	return nil, fmt.Errorf("sim: no family for setting %v", s)
}

func shortName(f Family) string {
	n := f.Name()
	if i := strings.IndexByte(n, '('); i >= 0 {
		n = n[:i]
	}
	return n
}
