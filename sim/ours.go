package sim

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/marill-go/marill/mpc"
	"github.com/marill-go/marill/mpc/fxp"
)

// Ours prices the secure engine's own protocols (mpc/proto, as the engine
// of mpc/secure composes them) exactly: rounds, bytes sent by each party
// and offline bytes equal the secure engine's measured figures, operation
// by operation (sim_conformance_test in package conformance checks it on a
// grid of models, knobs and numerics).
//
// Exactness needs state. The secure engine reuses work across operations:
// a value opened once (x̂ = x + r) is never opened again, an activation's
// mask for weight products is sent once for all its products (Q, K and V
// share it), and a product's output stays at scale 2f until an operation
// needs it truncated. So Ours is a StatefulFamily: its Pricer follows each
// tensor from operation to operation (through the trace's tensor IDs) and
// mirrors, step for step, the share-level state of the protocols. Price
// without a pricer treats every operand as fresh (unopened, at scale f).
//
// The primitives, per element and party (c8(n) = ⌈n/8⌉, P(n, w) = ⌈n·w/8⌉,
// f = FracBits):
//
//	protocol     rounds  online bytes          offline bytes (dealer → party)
//	Open         1       8                     8
//	Trunc        0 (+1)  0 (+ Open)            16 (+ Open)
//	Mul          0 (+1)  0 (+ Open of each)    8 (+ Open of each)
//	MatMul       0 (+1)  0 (+ Open of each)    8 per output (+ Opens)
//	MatMulWeight 1*      client 8·|X| once     client 8·(|X| once + |Y|),
//	                                           server 8·(|W| + |Y|); the
//	                                           client also gets Ŵ: 8·|W|
//	Less(n bits) 0 (+1)  0 (+ Open)            16·n + 2·c8 (DCF key, MSB share)
//	Select       1       P(Σn, 1)              8 (+8 with a value) + c8
//	Lookup(m)    1       P(n, m)               8 + 8·2^m per table
//	Reveal       1       8 by each sender      0
//
// (* 0 rounds and bytes when the activation was already sent.) Composites
// (ReLU, Segments for GeLU, SiLU and tanh, Quad, NegExp, ReciprocalHi,
// RsqrtHi, RowMax, Softmax, LayerNorm, RMSNorm) are priced by running
// their steps on these primitives exactly as mpc/proto runs them; each
// method below names the protocol it mirrors.
type Ours struct {
	p fxp.Params
	f *fxp.Funcs
}

var _ StatefulFamily = Ours{}

// NewOurs returns our family with the secure engine's default numerics
// (fxp.Default).
func NewOurs() Ours {
	o, err := NewOursWith(fxp.Default())
	if err != nil {
		panic(err) // the defaults are valid
	}
	return o
}

// NewOursWith returns our family for the given fixed-point numerics: the
// same Params the secure engine is configured with (secure.Options).
func NewOursWith(p fxp.Params) (Ours, error) {
	f, err := fxp.New(p)
	if err != nil {
		return Ours{}, fmt.Errorf("sim: %w", err)
	}
	return Ours{p: p, f: f}, nil
}

// Name identifies the family and its numerics.
func (o Ours) Name() string { return "ours(" + o.params().String() + ")" }

// Setting is 2PC-Dealer.
func (o Ours) Setting() Setting { return TwoPCDealer }

// Params returns the numerics the family prices.
func (o Ours) Params() fxp.Params { return o.params() }

func (o Ours) params() fxp.Params {
	if o.f == nil {
		return fxp.Default()
	}
	return o.p
}

func (o Ours) funcs() *fxp.Funcs {
	if o.f == nil {
		return fxp.MustNew(fxp.Default())
	}
	return o.f
}

// Price prices op with fresh operands (see the type's documentation);
// the simulator uses NewPricer.
func (o Ours) Price(op Op) Quote { return o.NewPricer().Price(op) }

// NewPricer returns a pricer that follows a run's tensors from the first
// operation on.
func (o Ours) NewPricer() Pricer {
	f := o.funcs()
	return &oursPricer{p: f.Params(), f: f, ts: map[int]*oTensor{}}
}

// The kernels in which Ours counts the parties' online work (seconds per
// unit come from a Compute profile's Kernels; "marill-sim calibrate"
// measures them with mpc/proto's Calibrate, which uses the same names).
const (
	KernelRound  = "ours/round"   // a message flight
	KernelOpen   = "ours/open"    // an element opened (or revealed)
	KernelTrunc  = "ours/trunc"   // an element truncated, local part
	KernelMul    = "ours/mul"     // an output element of a Beaver product
	KernelDCFBit = "ours/dcf-bit" // a DCF level: n−1 per n-bit comparison and threshold
	KernelSelect = "ours/select"  // an element selected or injected
	KernelLookup = "ours/lookup"  // an element looked up in one table
	KernelLocal  = "ours/local"   // an element of a local linear operation

	KernelWeightMAC = "ours/weight-mac" // a MAC of the server's online weight product
	KernelBeaverMAC = "ours/beaver-mac" // a MAC of a Beaver matrix product
	KernelLocalMAC  = "ours/local-mac"  // a MAC of a secret × public product on shares
)

// OursKernels lists the kernels Ours counts.
func OursKernels() []string {
	return []string{KernelRound, KernelOpen, KernelTrunc, KernelMul, KernelDCFBit, KernelSelect, KernelLookup, KernelLocal,
		KernelWeightMAC, KernelBeaverMAC, KernelLocalMAC}
}

// oShare mirrors a proto.Shared: what the protocols' costs depend on.
type oShare struct {
	n, scale int
	// opened: the parties hold x̂; mod > 0 restricts it to mod bits (a
	// truncated view).
	opened bool
	mod    int
	// masked: the server holds X − A for weight products.
	masked bool
}

func (x *oShare) viewed(bits int) bool { return x.opened && (x.mod == 0 || bits <= x.mod) }
func (x *oShare) fullyOpened() bool    { return x.opened && x.mod == 0 }

// oTensor mirrors a secure engine tensor: its shared form and the shared
// form brought to scale f, each made once.
type oTensor struct {
	shape   mpc.Shape
	vis     mpc.Visibility
	sh, shF *oShare
}

// endpoint mirrors a transport.Meter's causal stamps.
type endpoint struct{ recv, stamp int64 }

type oursPricer struct {
	p  fxp.Params
	f  *fxp.Funcs
	ts map[int]*oTensor
	c  endpoint // the client's
	s  endpoint // the server's
	q  Quote    // the operation being priced
	k  [11]float64
}

// Kernel indices into oursPricer.k, in OursKernels order.
const (
	kRound = iota
	kOpen
	kTrunc
	kMul
	kDCF
	kSelect
	kLookup
	kLocal
	kWeightMAC
	kBeaverMAC
	kLocalMAC
)

// Price prices the next operation of the run.
func (pr *oursPricer) Price(op Op) Quote {
	pr.q, pr.k = Quote{}, [11]float64{}
	before := max(pr.c.stamp, pr.s.stamp)
	out := pr.run(op)
	if op.ID != 0 {
		pr.ts[op.ID] = &oTensor{shape: op.Out, vis: op.Vis, sh: out}
	}
	pr.q.Rounds = max(pr.c.stamp, pr.s.stamp) - before
	for i, name := range OursKernels() {
		if pr.k[i] != 0 {
			pr.q.Work.Kernels = append(pr.q.Work.Kernels, KernelWork{Name: name, Count: pr.k[i]})
		}
	}
	return pr.q
}

// operand returns the state of operand i (fresh if the pricer has not
// seen it).
func (pr *oursPricer) operand(op Op, i int) *oTensor {
	if i < len(op.InIDs) {
		if t, ok := pr.ts[op.InIDs[i]]; ok {
			return t
		}
	}
	t := &oTensor{shape: op.In[i], vis: op.InVis[i]}
	if i < len(op.InIDs) && op.InIDs[i] != 0 {
		pr.ts[op.InIDs[i]] = t
	}
	return t
}

// --- Messages and material ---

// exchange: both parties send `bytes` at once (one round).
func (pr *oursPricer) exchange(bytes int64) {
	sc, ss := pr.c.recv+1, pr.s.recv+1
	pr.c.stamp, pr.s.stamp = max(pr.c.stamp, sc), max(pr.s.stamp, ss)
	pr.c.recv, pr.s.recv = max(pr.c.recv, ss), max(pr.s.recv, sc)
	pr.c.stamp, pr.s.stamp = max(pr.c.stamp, ss), max(pr.s.stamp, sc)
	pr.q.SentClient += bytes
	pr.q.SentServer += bytes
	pr.k[kRound]++
}

// clientSends: a one-way message from the client to the server.
func (pr *oursPricer) clientSends(bytes int64) {
	st := pr.c.recv + 1
	pr.c.stamp = max(pr.c.stamp, st)
	pr.s.recv, pr.s.stamp = max(pr.s.recv, st), max(pr.s.stamp, st)
	pr.q.SentClient += bytes
	pr.k[kRound]++
}

// serverSends: a one-way message from the server to the client.
func (pr *oursPricer) serverSends(bytes int64) {
	st := pr.s.recv + 1
	pr.s.stamp = max(pr.s.stamp, st)
	pr.c.recv, pr.c.stamp = max(pr.c.recv, st), max(pr.c.stamp, st)
	pr.q.SentServer += bytes
	pr.k[kRound]++
}

// material: the dealer ships these bytes to each party.
func (pr *oursPricer) material(client, server int64) {
	pr.q.OfflineClient += client
	pr.q.OfflineServer += server
}

func c8(n int) int64             { return (int64(n) + 7) / 8 }
func packed(n, w int) int64      { return (int64(n)*int64(w) + 7) / 8 }
func fresh(n, scale int) *oShare { return &oShare{n: n, scale: scale} }

// --- Primitives (mpc/proto) ---

// open mirrors Session.openFor: one round opens every value not already
// opened for `bits`-bit use; a value listed twice opens once.
func (pr *oursPricer) open(bits int, xs ...*oShare) {
	var todo []*oShare
	for _, x := range xs {
		if x.viewed(bits) {
			continue
		}
		dup := false
		for _, y := range todo {
			dup = dup || y == x
		}
		if !dup {
			todo = append(todo, x)
		}
	}
	if len(todo) == 0 {
		return
	}
	var n int
	for _, x := range todo {
		x.opened, x.mod = true, 0
		n += x.n
		pr.material(8*int64(x.n), 8*int64(x.n))
	}
	pr.exchange(8 * int64(n))
	pr.k[kOpen] += float64(n)
}

// trunc mirrors Session.Trunc.
func (pr *oursPricer) trunc(x *oShare, k int) *oShare {
	if k == 0 {
		return x
	}
	pr.open(64, x)
	pr.material(16*int64(x.n), 16*int64(x.n))
	pr.k[kTrunc] += float64(x.n)
	return fresh(x.n, x.scale-k)
}

// truncTo mirrors Session.TruncTo.
func (pr *oursPricer) truncTo(x *oShare, scale int) *oShare {
	if x.scale <= scale {
		return shift(x, scale-x.scale)
	}
	return pr.trunc(x, x.scale-scale)
}

// truncView mirrors Session.TruncView: a truncation whose result keeps an
// opening valid modulo 2^(64−k).
func (pr *oursPricer) truncView(x *oShare, k int) *oShare {
	t := pr.trunc(x, k)
	t.opened, t.mod = true, 64-k
	return t
}

// shift mirrors Session.Shift (k = 0 returns x itself).
func shift(x *oShare, k int) *oShare {
	if k == 0 {
		return x
	}
	return fresh(x.n, x.scale+k)
}

// gather mirrors Session.Gather: the opening moves with the elements.
func gather(x *oShare, n int) *oShare {
	return &oShare{n: n, scale: x.scale, opened: x.opened, mod: x.mod}
}

// mul mirrors Session.Mul (y may be broadcast).
func (pr *oursPricer) mul(x, y *oShare) *oShare {
	pr.open(64, x, y)
	pr.material(8*int64(x.n), 8*int64(x.n))
	pr.k[kMul] += float64(x.n)
	return fresh(x.n, x.scale+y.scale)
}

// matMul mirrors Session.MatMul for out output elements and macs
// multiply-accumulates (the client computes three products, the server
// two).
func (pr *oursPricer) matMul(x, y *oShare, out int, macs int64) *oShare {
	pr.open(64, x, y)
	pr.material(8*int64(out), 8*int64(out))
	pr.k[kBeaverMAC] += float64(macs)
	return fresh(out, x.scale+y.scale)
}

// weight mirrors Session.weightProduct (MatMulWeight, MulWeight): out
// output elements, a weight of wn elements, macs multiply-accumulates
// (the server's online product; the client's runs offline).
func (pr *oursPricer) weight(x *oShare, out, wn int, macs int64) *oShare {
	pr.k[kWeightMAC] += float64(macs)
	a := 0
	if !x.masked {
		a = x.n
	}
	pr.material(8*int64(a+out), 8*int64(wn+out))
	pr.q.OfflineClient += 8 * int64(wn) // Ŵ, sent by the server offline
	if !x.masked {
		pr.clientSends(8 * int64(x.n))
		x.masked = true
	}
	return fresh(out, x.scale+pr.p.FracBits)
}

// less mirrors Session.Less at n bits on x/2^k against t thresholds
// (they share a key).
func (pr *oursPricer) less(x *oShare, k, n, t int) {
	pr.open(k+n, x)
	pr.k[kDCF] += float64(x.n) * float64(n-1) * float64(t)
	key := int64(x.n)*16*int64(n) + c8(x.n) // a DCF on n−1 bits: 16·n bytes per key
	pr.material(key+c8(x.n), key+c8(x.n))
}

// selReq is one request of a Select: a selection of x (x non-nil) or a
// bit injection, of n elements.
type selReq struct {
	x *oShare
	n int
}

// sel mirrors Session.Select.
func (pr *oursPricer) sel(reqs ...selReq) []*oShare {
	out := make([]*oShare, len(reqs))
	var total int
	for i, r := range reqs {
		b := 8*int64(r.n) + c8(r.n)
		if r.x != nil {
			b += 8 * int64(r.n)
			out[i] = &oShare{n: r.n, scale: r.x.scale, mod: r.x.mod}
		} else {
			out[i] = fresh(r.n, 0)
		}
		pr.material(b, b)
		total += r.n
	}
	pr.exchange(packed(total, 1))
	pr.k[kSelect] += float64(total)
	return out
}

// lutReq is one request of a Lookup: n indices of m bits into t tables.
type lutReq struct{ n, m, t int }

// lookup mirrors Session.Lookup.
func (pr *oursPricer) lookup(reqs ...lutReq) {
	var msg int64
	for _, r := range reqs {
		b := 8*int64(r.n) + int64(r.t)*8*int64(r.n)<<uint(r.m)
		pr.material(b, b)
		msg += packed(r.n, r.m)
		pr.k[kLookup] += float64(r.n) * float64(r.t)
	}
	pr.exchange(msg)
}

// reveal mirrors Session.Reveal.
func (pr *oursPricer) reveal(x *oShare, toClient, toServer bool) {
	b := 8 * int64(x.n)
	pr.k[kOpen] += float64(x.n)
	switch {
	case toClient && toServer:
		pr.exchange(b)
	case toClient:
		pr.serverSends(b)
	case toServer:
		pr.clientSends(b)
	}
}

// --- Composites (mpc/proto) ---

// relu mirrors Session.ReLU.
func (pr *oursPricer) relu(x *oShare) *oShare {
	pr.open(64, x)
	pr.less(x, x.scale-pr.p.FracBits, pr.p.CmpBits, 1)
	return pr.sel(selReq{x: x, n: x.n})[0]
}

// segments mirrors Session.Segments (x at scale f).
func (pr *oursPricer) segments(x *oShare, seg fxp.Segments) *oShare {
	f := pr.p.FracBits
	sh := f - seg.Frac
	pr.open(64, x)
	iv := pr.truncView(x, sh)
	pr.less(iv, 0, pr.p.CmpBits-sh, 2)
	withL := *iv // withPublic keeps the opening
	pr.sel(selReq{x: &withL, n: x.n}, selReq{n: x.n}, selReq{n: x.n})
	pr.lookup(lutReq{n: x.n, m: seg.Bits, t: 3})
	b := pr.f.ActSlopeScale()
	return pr.trunc(fresh(x.n, f+b), b)
}

// quad mirrors Session.Quad (x at scale f).
func (pr *oursPricer) quad(x *oShare) *oShare {
	f := pr.p.FracBits
	sq := pr.mul(x, x)
	pr.trunc(fresh(sq.n, sq.scale), f+3) // x² + 2x·2^f, local, then truncated
	return fresh(x.n, f)                 // + ½, local
}

// negExp mirrors Session.NegExp.
func (pr *oursPricer) negExp(z *oShare) *oShare {
	p := pr.p
	f, D := p.FracBits, p.ExpDigitBits
	dh := p.ExpBits() - D
	k := z.scale - p.ExpFrac
	pr.open(64, z)
	zt := pr.truncView(z, k)
	h := pr.truncView(z, k+D)
	pr.less(zt, 0, p.CmpBits-(f-p.ExpFrac), 1)
	pr.sel(selReq{x: h, n: z.n}, selReq{n: z.n})
	pr.lookup(lutReq{n: z.n, m: D + 2, t: 1}, lutReq{n: z.n, m: dh + 2, t: 1})
	tl, th := fresh(z.n, f), fresh(z.n, f)
	return pr.trunc(pr.mul(tl, th), f)
}

// normTable mirrors Session.normTable: y0 at HiScale and a fresh x·y0.
func (pr *oursPricer) normTable(x *oShare, width int) (y0, xy *oShare) {
	mb := pr.p.MantissaBits
	pr.open(64, x)
	pr.less(x, 0, width, width-2)
	reqs := make([]selReq, 0, 2*(width-1))
	for j := 0; j <= width-2; j++ {
		reqs = append(reqs, selReq{x: x, n: x.n}, selReq{n: x.n})
	}
	pr.sel(reqs...)
	pr.trunc(fresh(x.n, width), width-mb)
	entries := (width-1)<<uint(mb) + 1
	ib := bits.Len(uint(entries - 1))
	pr.lookup(lutReq{n: x.n, m: ib, t: 2})
	return fresh(x.n, pr.f.HiScale()), fresh(x.n, 0)
}

// reciprocalHi mirrors Session.ReciprocalHi (x at scale f).
func (pr *oursPricer) reciprocalHi(x *oShare) *oShare {
	p := pr.p
	hs, ns := pr.f.HiScale(), pr.f.NewtonScale()
	y, xy := pr.normTable(x, p.CmpBits)
	for it := range p.NewtonIters {
		if it > 0 {
			xy = pr.mul(x, y)
		}
		xy.scale = p.FracBits + hs
		t := pr.trunc(xy, p.FracBits+hs-ns)
		w := fresh(t.n, ns) // 2 − t, local
		y = pr.trunc(pr.mul(y, w), ns)
		y.scale = hs
	}
	return y
}

// rsqrtHi mirrors Session.RsqrtHi (x at scale 2f).
func (pr *oursPricer) rsqrtHi(x *oShare) *oShare {
	p := pr.p
	f := p.FracBits
	hs, ns := pr.f.HiScale(), pr.f.NewtonScale()
	y, xy := pr.normTable(x, p.NormBits())
	for it := range p.NewtonIters {
		if it > 0 {
			xy = pr.mul(x, y)
		}
		xy.scale = 2*f + hs
		t := pr.trunc(xy, 2*f)
		t.scale = hs
		xyy := pr.trunc(pr.mul(t, y), 2*hs-ns)
		w := fresh(xyy.n, ns) // 3 − xyy, local
		y = pr.trunc(pr.mul(y, w), ns+1)
		y.scale = hs
	}
	return y
}

// rowMax mirrors Session.RowMax over groups of the given sizes.
func (pr *oursPricer) rowMax(x *oShare, sizes map[int]int) *oShare {
	f := pr.p.FracBits
	groups := 0
	for _, c := range sizes {
		groups += c
	}
	cur := sizes
	for {
		pairs, done := 0, true
		next := map[int]int{}
		for size, count := range cur {
			if size > 1 {
				done = false
			}
			pairs += size / 2 * count
			next[size/2+size%2] += count
		}
		if done {
			break
		}
		d := fresh(pairs, x.scale)
		pr.open(64, d)
		pr.less(d, d.scale-f, pr.p.CmpBits, 1)
		pr.sel(selReq{x: d, n: pairs})
		cur = next
	}
	return fresh(groups, x.scale)
}

// softmax mirrors Session.Softmax on rows×cols (x at scale ≥ f).
func (pr *oursPricer) softmax(x *oShare, rows, cols int, kind mpc.SoftmaxKind, causal bool, block int) *oShare {
	f := pr.p.FracBits
	sizes := map[int]int{}
	valid := 0
	for r := 0; r < rows; r++ {
		v := cols
		if causal {
			v = r%block + 1
		}
		sizes[v]++
		valid += v
	}
	xv := gather(x, valid)
	var q *oShare
	switch kind {
	case mpc.SoftmaxExact:
		pr.rowMax(xv, sizes)
		q = pr.negExp(fresh(valid, xv.scale)) // max − x, local
	case mpc.Softmax2Quad:
		t := fresh(valid, pr.truncTo(xv, f).scale) // + c, local
		q = pr.trunc(pr.mul(t, t), f)
	case mpc.Softmax2ReLU:
		q = fresh(valid, pr.truncTo(pr.relu(xv), f).scale) // + 1 ulp, local
	}
	inv := pr.reciprocalHi(fresh(rows, q.scale))
	pr.trunc(pr.mul(q, inv), pr.f.HiScale())
	return fresh(x.n, f)
}

// scaleBy mirrors Session.scaleBy: a public real, truncated.
func (pr *oursPricer) scaleBy(x *oShare, c float64, to int) *oShare {
	_, sh := pr.f.ScaleConst(c)
	y := pr.trunc(fresh(x.n, x.scale+sh), sh)
	y.scale = to
	return y
}

// normalise mirrors Session.normalise; serverGamma selects the weight
// product for a private scale.
func (pr *oursPricer) normalise(c *oShare, rows, d int, serverGamma bool) *oShare {
	f := pr.p.FracBits
	pr.open(64, c)
	ss := pr.mul(c, c)
	q := bits.Len(uint(d)) - 1
	v := pr.scaleBy(pr.trunc(fresh(rows, ss.scale), q), math.Ldexp(1/float64(d), q), 2*f)
	rs := pr.rsqrtHi(fresh(rows, v.scale))
	n := pr.trunc(pr.mul(c, rs), pr.f.HiScale())
	n.scale = f
	if serverGamma {
		return pr.weight(n, n.n, d, int64(n.n))
	}
	return fresh(n.n, 2*f)
}

// --- Engine operations (mpc/secure) ---

func (pr *oursPricer) maxScale() int {
	return 61 - (pr.p.CmpBits - 1 - pr.p.FracBits)
}

// shared mirrors Party.shared: a plaintext's trivial sharing, made once.
func (pr *oursPricer) shared(t *oTensor) *oShare {
	if t.sh == nil {
		t.sh = fresh(t.shape.Size(), pr.p.FracBits)
	}
	return t.sh
}

// sharedF mirrors Party.sharedF.
func (pr *oursPricer) sharedF(t *oTensor) *oShare {
	x := pr.shared(t)
	f := pr.p.FracBits
	if x.scale == f {
		return x
	}
	if t.shF == nil {
		t.shF = pr.truncTo(x, f)
	}
	return t.shF
}

// atLeastF mirrors Party.atLeastF.
func (pr *oursPricer) atLeastF(t *oTensor) *oShare {
	x := pr.shared(t)
	if f := pr.p.FracBits; x.scale < f {
		return shift(x, f-x.scale)
	}
	return x
}

// run prices one engine operation and returns its result's shared form
// (nil for plaintext results).
func (pr *oursPricer) run(op Op) *oShare {
	switch op.Place {
	case mpc.OnPublic, mpc.OnClient, mpc.OnServer:
		if op.Op.Op != mpc.OpInput && !mpc.IsShapeOp(op.Op.Op) {
			pr.q.Work.PlainMACs += float64(op.MACs)
			pr.q.Work.PlainOps += float64(op.Elements)
		}
		return nil
	case mpc.OnShares:
		if op.Op.Op == mpc.OpMatMul {
			pr.k[kLocalMAC] += float64(op.MACs)
		} else if !mpc.IsShapeOp(op.Op.Op) {
			pr.k[kLocal] += float64(op.Elements)
		}
	}
	f := pr.p.FracBits
	n := op.Out.Size()
	switch op.Op.Op {
	case mpc.OpInput, mpc.OpEmbed:
		return nil
	case mpc.OpShare:
		return pr.shared(pr.operand(op, 0))
	case mpc.OpReveal:
		pr.reveal(pr.shared(pr.operand(op, 0)), op.To == mpc.Client || op.To == mpc.Public, op.To == mpc.Server || op.To == mpc.Public)
		return nil
	case mpc.OpAdd, mpc.OpSub, mpc.OpMul:
		return pr.elementwise(op)
	case mpc.OpNeg, mpc.OpAddConst:
		return fresh(n, pr.shared(pr.operand(op, 0)).scale)
	case mpc.OpScale:
		return pr.scale(op)
	case mpc.OpMatMul:
		return pr.matmul(op)
	case mpc.OpSum:
		return fresh(n, pr.shared(pr.operand(op, 0)).scale)
	case mpc.OpTranspose, mpc.OpSplitHeads, mpc.OpMergeHeads, mpc.OpRows:
		return gather(pr.shared(pr.operand(op, 0)), n)
	case mpc.OpRotateHalf:
		return fresh(n, pr.shared(pr.operand(op, 0)).scale) // gathered, then signs: no opening
	}
	t := pr.operand(op, 0)
	switch op.Op.Op {
	case mpc.OpReLU:
		return pr.relu(pr.atLeastF(t))
	case mpc.OpGeLU:
		switch op.GeLU {
		case mpc.GeLUQuad:
			return pr.quad(pr.sharedF(t))
		case mpc.GeLUReLU:
			return pr.relu(pr.atLeastF(t))
		}
		return pr.segments(pr.sharedF(t), pr.f.GeLUTable(op.GeLU))
	case mpc.OpSiLU:
		switch op.SiLU {
		case mpc.SiLUQuad:
			return pr.quad(pr.sharedF(t))
		case mpc.SiLUReLU:
			return pr.relu(pr.atLeastF(t))
		}
		return pr.segments(pr.sharedF(t), pr.f.SiLUTable())
	case mpc.OpTanh:
		return pr.segments(pr.sharedF(t), pr.f.TanhTable())
	case mpc.OpExp:
		z := pr.relu(fresh(n, pr.atLeastF(t).scale)) // ReLU(−x)
		return pr.negExp(z)
	case mpc.OpReciprocal:
		return pr.truncTo(pr.reciprocalHi(pr.sharedF(t)), f)
	case mpc.OpRsqrt:
		return pr.truncTo(pr.rsqrtHi(shift(pr.sharedF(t), f)), f)
	case mpc.OpMax:
		x := pr.atLeastF(t)
		c := t.shape.Cols()
		return pr.rowMax(x, map[int]int{c: t.shape.Size() / c})
	case mpc.OpSoftmax:
		s := t.shape
		return pr.softmax(pr.atLeastF(t), s.Size()/s.Cols(), s.Cols(), op.Softmax, op.Causal, s.Rows())
	case mpc.OpLayerNorm, mpc.OpRMSNorm:
		return pr.norm(op, t)
	}
	return nil
}

// elementwise mirrors Party.elementwise.
func (pr *oursPricer) elementwise(op Op) *oShare {
	ta, tb := pr.operand(op, 0), pr.operand(op, 1)
	f := pr.p.FracBits
	n := op.Out.Size()
	if op.Place == mpc.OnShares {
		if op.Op.Op == mpc.OpMul {
			var x *oShare
			if ta.vis == mpc.Public {
				x = gather(pr.shared(tb), ta.shape.Size())
				if x.scale+f > pr.maxScale() {
					x = pr.truncTo(x, f)
				}
			} else {
				x = pr.shared(ta)
				if x.scale+f > pr.maxScale() {
					x = pr.sharedF(ta)
				}
			}
			return fresh(x.n, x.scale+f)
		}
		return fresh(n, max(pr.shared(ta).scale, pr.shared(tb).scale))
	}
	if tb.vis == mpc.Server && (len(tb.shape) < len(ta.shape) || tb.shape.Equal(ta.shape)) {
		x := pr.sharedF(ta)
		return pr.weight(x, x.n, tb.shape.Size(), int64(x.n))
	}
	return pr.mul(pr.sharedF(ta), pr.sharedF(tb))
}

// scale mirrors Party.Scale.
func (pr *oursPricer) scale(op Op) *oShare {
	t := pr.operand(op, 0)
	x := pr.shared(t)
	c := op.Const
	if frac, e := math.Frexp(c); frac == 0.5 && e <= 1 && x.scale+1-e <= pr.maxScale() {
		y := *x // the same shares read at a higher scale, opening and mask included
		y.scale += 1 - e
		return &y
	}
	_, s := pr.f.ScaleConst(c)
	if x.scale+s > pr.maxScale() {
		x = pr.sharedF(t)
	}
	return fresh(x.n, x.scale+s)
}

// matmul mirrors Party.MatMul.
func (pr *oursPricer) matmul(op Op) *oShare {
	ta, tb := pr.operand(op, 0), pr.operand(op, 1)
	as, bs := ta.shape, tb.shape
	batch := 1
	if len(as) == 3 {
		batch = as[0]
	}
	out := batch * as.Rows() * bs.Cols()
	f := pr.p.FracBits
	if op.Place == mpc.OnShares {
		if tb.vis == mpc.Public {
			return fresh(out, pr.sharedF(ta).scale+f)
		}
		return fresh(out, pr.sharedF(tb).scale+f)
	}
	if tb.vis == mpc.Server && len(bs) == 2 && ta.vis != mpc.Server {
		x := pr.sharedF(ta)
		return pr.weight(x, x.n/as.Cols()*bs.Cols(), bs.Size(), op.MACs)
	}
	return pr.matMul(pr.sharedF(ta), pr.sharedF(tb), out, op.MACs)
}

// norm mirrors Party.norm and Session.LayerNorm / RMSNorm.
func (pr *oursPricer) norm(op Op, t *oTensor) *oShare {
	f := pr.p.FracBits
	s := t.shape
	d := s.Cols()
	rows := s.Size() / d
	serverGamma := len(op.InVis) > 1 && op.InVis[1] != mpc.Public
	x := pr.truncTo(pr.shared(t), f)
	if op.Op.Op == mpc.OpLayerNorm {
		pr.scaleBy(fresh(rows, x.scale), 1/float64(d), f) // the mean
		x = fresh(x.n, f)                                 // x − μ, local
	}
	return pr.normalise(x, rows, d, serverGamma)
}
